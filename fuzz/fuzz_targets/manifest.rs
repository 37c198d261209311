//! What a host reads from a bundle it did not make, on arbitrary bytes: the component's top
//! level, its contract version and its manifest section (as a whole component, and as section
//! bytes alone). Errors, no panics.
#![no_main]

use plugboard_manifest::section::ManifestSection;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(layout) = plugboard_bundle::layout(data) {
        let _ = layout.manifest();
        let _ = layout.code(data).count();
    }
    if let Ok(section) = plugboard_bundle::read_manifest(data) {
        let _ = section.to_manifest();
    }
    if let Ok(section) = ManifestSection::parse(data.to_vec()) {
        for id in section.ids().take(64).map(str::to_string).collect::<Vec<_>>() {
            let _ = section.action(&id);
        }
        let _ = section.schemas();
        let _ = section.to_manifest();
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = plugboard_manifest::Manifest::from_json(text);
    }
});
