//! The engine's action-table reader on arbitrary bytes (a tampered bundle): errors, no panics.
#![no_main]

use plugboard_engine::table::Table;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(table) = Table::new(data) {
        let _ = table.meta();
        let _ = table.icon();
        for i in 0..table.len().min(64) {
            if let Ok(entry) = table.entry(i) {
                let _ = entry.parse_record();
                let _ = table.find(entry.id);
            }
        }
        let _ = table.find("list_items");
    }
});
