//! Specs from arbitrary text: read (JSON/YAML with positions), convert, lint, repair and
//! import never panic, whatever the input.
#![no_main]

use plugboard_openapi::{convert, import, lint, repair, source::Document};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(document) = Document::parse(text) else {
        return;
    };
    let _ = lint::lint_document(&document);
    if let Ok(converted) = convert::to_openapi3(&document.value) {
        let _ = converted.original_pointer("/paths/~1a/get");
        let _ = lint::lint(&converted.value);
        let options = import::Options {
            hostname: Some("api.example.com".into()),
            pagination: None,
        };
        let _ = import::import(&converted.value, &options);
        if let Ok(cleaned) = repair::clean(&converted.value, &repair::CleanOptions::default()) {
            let _ = import::import(&cleaned.value, &options);
        }
    }
});
