//! Definitions from arbitrary text: parse, validate and compile never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(definition) = plugboard_definition::Definition::parse_unchecked(text)
    {
        let _ = definition.validate();
        for action in &definition.actions {
            let _ = plugboard_definition::input_schema(action);
            let _ = plugboard_definition::output_schema(
                action,
                &definition.pagination.results_key,
                &definition.schemas,
            );
        }
    }
});
