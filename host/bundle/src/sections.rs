//! The top-level sections of a module or component, as raw ranges: what the patcher, the
//! signature and the manifest section need, without parsing (or compiling) any code.

use wasm_encoder::Encode;
use wasmparser::BinaryReader;

use crate::{Error, Result};

/// Section id of a custom section.
pub(crate) const CUSTOM: u8 = 0;
/// Component-level section id of an import section.
pub(crate) const COMPONENT_IMPORT: u8 = 10;
/// Component-level section id of an export section.
pub(crate) const COMPONENT_EXPORT: u8 = 11;

/// One section: its id, where its header starts, and its content range.
pub(crate) struct Section {
    pub(crate) id: u8,
    pub(crate) start: usize,
    pub(crate) content: std::ops::Range<usize>,
}

impl Section {
    /// The whole section, header included.
    pub(crate) fn range(&self) -> std::ops::Range<usize> {
        self.start..self.content.end
    }
}

/// The top-level sections after the 8-byte preamble.
pub(crate) fn sections(bytes: &[u8]) -> Result<Vec<Section>> {
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        return Err(broken("not a WebAssembly binary"));
    }
    let mut out = Vec::new();
    let mut pos = 8;
    while pos < bytes.len() {
        let id = bytes[pos];
        let mut reader = BinaryReader::new(&bytes[pos + 1..], pos + 1);
        let size = reader
            .read_var_u32()
            .map_err(|e| broken(format!("section header at byte {pos}: {e}")))?
            as usize;
        let content_start = reader.original_position();
        let end = content_start
            .checked_add(size)
            .filter(|&end| end <= bytes.len())
            .ok_or_else(|| broken(format!("section at byte {pos} runs past the end")))?;
        out.push(Section {
            id,
            start: pos,
            content: content_start..end,
        });
        pos = end;
    }
    Ok(out)
}

/// Whether the preamble is a component's (`\0asm`, version 0x0d, layer 1).
pub(crate) fn is_component(bytes: &[u8]) -> bool {
    bytes.get(..8) == Some(&[0, b'a', b's', b'm', 0x0d, 0, 1, 0])
}

/// The name and data of a custom section.
pub(crate) fn custom<'a>(bytes: &'a [u8], section: &Section) -> Result<(&'a str, &'a [u8])> {
    let content = &bytes[section.content.clone()];
    let mut reader = BinaryReader::new(content, section.content.start);
    let name = reader
        .read_string()
        .map_err(|e| broken(format!("custom section at byte {}: {e}", section.start)))?;
    let data_start = reader.original_position() - section.content.start;
    Ok((name, &content[data_start..]))
}

/// Appends a section.
pub(crate) fn push_section(out: &mut Vec<u8>, id: u8, content: &[u8]) {
    out.push(id);
    (content.len() as u32).encode(out);
    out.extend_from_slice(content);
}

/// The bytes of a custom section.
pub(crate) fn custom_section(name: &str, data: &[u8]) -> Vec<u8> {
    let mut content = Vec::with_capacity(name.len() + data.len() + 5);
    name.encode(&mut content);
    content.extend_from_slice(data);
    let mut out = Vec::with_capacity(content.len() + 6);
    push_section(&mut out, CUSTOM, &content);
    out
}

pub(crate) fn broken(message: impl Into<String>) -> Error {
    Error::Component(message.into())
}
