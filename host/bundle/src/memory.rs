//! How much linear memory a component has before it runs: what every call's memory limit must
//! leave room for.

use wasmparser::{Parser, Payload};

use crate::Result;
use crate::sections::broken;

/// Bytes of linear memory a component's memories have at instantiation (their minimum sizes,
/// all core modules together).
pub fn initial_memory(component: &[u8]) -> Result<u64> {
    let mut total: u64 = 0;
    for payload in Parser::new(0).parse_all(component) {
        let payload = payload.map_err(|e| broken(format!("cannot read the component: {e}")))?;
        if let Payload::MemorySection(reader) = payload {
            for memory in reader {
                let memory = memory.map_err(|e| broken(format!("memory section: {e}")))?;
                let page = 1u64 << memory.page_size_log2.unwrap_or(16);
                total = total.saturating_add(memory.initial.saturating_mul(page));
            }
        }
    }
    Ok(total)
}

#[cfg(all(test, feature = "finalize"))]
mod tests {
    #[test]
    fn the_engine_starts_small_and_a_table_adds_its_pages() {
        let engine = super::initial_memory(crate::ENGINE_COMPONENT).unwrap();
        assert!(engine > 0 && engine < 4 << 20, "{engine}");
        let patched = crate::patch_engine(crate::ENGINE_COMPONENT, &vec![1u8; 1 << 20]).unwrap();
        let grown = super::initial_memory(&patched).unwrap();
        assert!(grown >= engine + (1 << 20), "{engine} -> {grown}");
    }
}
