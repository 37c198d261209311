//! The engine's action-table reader on arbitrary bytes (a tampered bundle): errors, no panics.
#![no_main]

use plugboard_engine::table::Table;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(table) = Table::new(data) {
        let _ = table.meta();
        for i in 0..table.len().min(64) {
            if let Ok(id) = table.id(i) {
                let _ = table.record(id);
            }
        }
        let _ = table.record("list_items");
    }
});
