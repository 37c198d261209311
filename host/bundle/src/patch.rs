//! Patching the action table into the engine component without a compiler.
//!
//! The engine's core module has a table slot: [`SLOT_MAGIC`] followed by a u32 address and a
//! u32 length, initially zero. The patcher
//! 1. grows the module's memory minimum by the pages the table needs,
//! 2. appends an active data segment with the table at the old end of memory (above the
//!    allocator's initial heap, which ends at the old minimum; later growth starts at the new
//!    minimum, so nothing ever writes over the table),
//! 3. writes the table's address and length after the magic,
//! 4. splices the new module back into the component in place of the old one.
//!
//! Only sections are rewritten; the engine's code is copied byte for byte.

use plugboard_engine::table::SLOT_MAGIC;
use wasm_encoder::{ConstExpr, Encode, MemorySection, MemoryType};
use wasmparser::{BinaryReader, MemorySectionReader};

use crate::sections::{push_section, sections};
use crate::{Error, Result};

const WASM_PAGE: u64 = 65536;
/// Component-level section id of an embedded core module.
const COMPONENT_CORE_MODULE: u8 = 1;
const SECTION_MEMORY: u8 = 5;
const SECTION_DATA: u8 = 11;
const SECTION_DATA_COUNT: u8 = 12;

/// Returns a copy of `engine` (a component) with `table` patched into its table slot.
pub fn patch_engine(engine: &[u8], table: &[u8]) -> Result<Vec<u8>> {
    let sections = sections(engine)?;
    let mut found = None;
    for (index, section) in sections.iter().enumerate() {
        if section.id == COMPONENT_CORE_MODULE
            && contains(&engine[section.content.clone()], &SLOT_MAGIC)
        {
            if found.is_some() {
                return Err(engine_error("more than one core module has a table slot"));
            }
            found = Some(index);
        }
    }
    let index = found.ok_or_else(|| engine_error("no core module has a table slot"))?;
    let module = patch_module(&engine[sections[index].content.clone()], table)?;
    let mut out = Vec::with_capacity(engine.len() + table.len() + 64);
    out.extend_from_slice(&engine[..sections[index].start]);
    push_section(&mut out, COMPONENT_CORE_MODULE, &module);
    out.extend_from_slice(&engine[sections[index].content.end..]);
    Ok(out)
}

fn patch_module(module: &[u8], table: &[u8]) -> Result<Vec<u8>> {
    let sections = sections(module)?;
    let memory = sections
        .iter()
        .find(|s| s.id == SECTION_MEMORY)
        .ok_or_else(|| engine_error("the engine module defines no memory"))?;
    let reader = MemorySectionReader::new(BinaryReader::new(&module[memory.content.clone()], 0))
        .map_err(|e| engine_error(format!("memory section: {e}")))?;
    let memories: Vec<wasmparser::MemoryType> = reader
        .into_iter()
        .collect::<Result<_, _>>()
        .map_err(|e| engine_error(format!("memory section: {e}")))?;
    let [memory_type] = memories.as_slice() else {
        return Err(engine_error(
            "the engine module must define exactly one memory",
        ));
    };
    if memory_type.memory64 || memory_type.shared || memory_type.page_size_log2.is_some() {
        return Err(engine_error(
            "the engine memory must be a plain 32-bit memory",
        ));
    }
    let address = memory_type.initial * WASM_PAGE;
    let pages = (table.len() as u64).div_ceil(WASM_PAGE).max(1);
    let new_initial = memory_type.initial + pages;
    if new_initial * WASM_PAGE > u64::from(u32::MAX) {
        return Err(Error::TooLarge(table.len()));
    }
    if memory_type.maximum.is_some_and(|max| new_initial > max) {
        return Err(engine_error(
            "the engine memory maximum leaves no room for the table",
        ));
    }
    let mut memory_section = MemorySection::new();
    memory_section.memory(MemoryType {
        minimum: new_initial,
        maximum: memory_type.maximum,
        memory64: false,
        shared: false,
        page_size_log2: None,
    });

    let mut out = Vec::with_capacity(module.len() + table.len() + 32);
    out.extend_from_slice(&module[..8]);
    let mut patched_slot = false;
    for section in &sections {
        let content = &module[section.content.clone()];
        match section.id {
            SECTION_MEMORY => push_section(
                &mut out,
                SECTION_MEMORY,
                &memory_section_bytes(&memory_section),
            ),
            SECTION_DATA_COUNT => {
                let count = BinaryReader::new(content, 0)
                    .read_var_u32()
                    .map_err(|e| engine_error(format!("data count section: {e}")))?;
                let mut bytes = Vec::new();
                (count + 1).encode(&mut bytes);
                push_section(&mut out, SECTION_DATA_COUNT, &bytes);
            }
            SECTION_DATA => {
                let mut reader = BinaryReader::new(content, 0);
                let count = reader
                    .read_var_u32()
                    .map_err(|e| engine_error(format!("data section: {e}")))?;
                let segments = &content[reader.current_position()..];
                let mut bytes = Vec::with_capacity(content.len() + table.len() + 16);
                (count + 1).encode(&mut bytes);
                let slot_at = bytes.len()
                    + find(segments, &SLOT_MAGIC)
                        .ok_or_else(|| engine_error("the table slot is not in the data section"))?;
                bytes.extend_from_slice(segments);
                let slot = slot_at + SLOT_MAGIC.len();
                let len = u32::try_from(table.len()).map_err(|_| Error::TooLarge(table.len()))?;
                bytes[slot..slot + 4].copy_from_slice(&(address as u32).to_le_bytes());
                bytes[slot + 4..slot + 8].copy_from_slice(&len.to_le_bytes());
                patched_slot = true;
                // One active segment for memory 0 at `address`.
                bytes.push(0x00);
                ConstExpr::i32_const(address as u32 as i32).encode(&mut bytes);
                len.encode(&mut bytes);
                bytes.extend_from_slice(table);
                push_section(&mut out, SECTION_DATA, &bytes);
            }
            id => push_section(&mut out, id, content),
        }
    }
    if !patched_slot {
        return Err(engine_error("the engine module has no data section"));
    }
    Ok(out)
}

fn memory_section_bytes(section: &MemorySection) -> Vec<u8> {
    let mut bytes = Vec::new();
    section.encode(&mut bytes);
    // `MemorySection::encode` writes the size-prefixed content; keep only the content.
    let mut reader = BinaryReader::new(&bytes, 0);
    let _ = reader.read_var_u32();
    bytes[reader.current_position()..].to_vec()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    find(haystack, needle).is_some()
}

fn engine_error(message: impl Into<String>) -> Error {
    Error::Engine(message.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patches_the_real_engine_and_stays_valid() {
        let table = vec![7u8; 100_000];
        let patched = patch_engine(crate::ENGINE_COMPONENT, &table).unwrap();
        let mut validator =
            wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all());
        validator.validate_all(&patched).unwrap();
        assert_eq!(find(&patched, &SLOT_MAGIC).map(|_| ()), Some(()));
        assert!(find(&patched, &table).is_some());
    }

    #[test]
    fn rejects_what_is_not_an_engine() {
        assert!(matches!(
            patch_engine(b"nope", &[1]),
            Err(Error::Component(_))
        ));
        assert!(
            matches!(patch_engine(b"\0asm\x0d\0\x01\0", &[1]), Err(Error::Engine(m)) if m.contains("table slot"))
        );
    }
}
