//! The position index: where each value of a parsed document starts, by JSON pointer, and the
//! line table that turns byte offsets into 1-based lines and character columns.
//!
//! Memory: one 16-byte [`Entry`] per value (a 64-bit hash of the value's pointer, the byte offset
//! of its key and of the value itself), sorted by hash. No pointer strings are kept. Line starts
//! take 4 bytes per line; for non-ASCII text a 4-byte character count per 4 KiB block of text
//! keeps column computation bounded on very long (minified) lines.

use std::borrow::Cow;
use std::collections::HashMap;

use super::Position;

/// Hash of the root pointer (`""`).
pub(crate) const ROOT: u64 = 0x243f_6a88_85a3_08d3;

const K: u64 = 0x9e37_79b9_7f4a_7c15;

/// The hash of the pointer `parent/segment`, where `segment` is unescaped (raw key bytes or a
/// decimal array index). Chained from the root, so a pointer's hash depends on every segment.
pub(crate) fn child_hash(parent: u64, segment: &[u8]) -> u64 {
    let mut h = parent ^ (segment.len() as u64).wrapping_mul(K);
    let mut chunks = segment.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        h = (h.rotate_left(23) ^ u64::from_le_bytes(word)).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(23) ^ u64::from_le_bytes(word) ^ 0xff).wrapping_mul(K);
    }
    // murmur3's finaliser: every input bit affects every output bit.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// The hash of `parent/index` (the index written in decimal, as in a pointer).
pub(crate) fn index_hash(parent: u64, index: usize) -> u64 {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    let mut n = index;
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    child_hash(parent, &buf[at..])
}

/// One value's recorded offsets.
#[derive(Clone, Copy)]
struct Entry {
    hash: u64,
    /// Byte offset of the member's key (of the value itself for array items and the root).
    key: u32,
    /// Byte offset where the value starts.
    value: u32,
}

/// Collects entries while a parser runs.
#[derive(Default)]
pub(crate) struct IndexBuilder {
    entries: Vec<Entry>,
    redirects: HashMap<u64, u64>,
}

impl IndexBuilder {
    /// Records the value at the pointer hashed `hash`. Offsets fit in `u32`: inputs over 4 GiB are
    /// refused before parsing.
    #[inline]
    pub(crate) fn record(&mut self, hash: u64, key: usize, value: usize) {
        self.entries.push(Entry {
            hash,
            key: key as u32,
            value: value as u32,
        });
    }

    /// Says that the subtree at `from` has its source text at `to` (a YAML alias and its
    /// anchor, or a merged member and the member of the mapping merged in).
    pub(crate) fn redirect(&mut self, from: u64, to: u64) {
        self.redirects.insert(from, to);
    }

    /// Where the subtree at `hash` is written, following redirects.
    pub(crate) fn resolve(&self, mut hash: u64) -> u64 {
        for _ in 0..64 {
            match self.redirects.get(&hash) {
                Some(&to) => hash = to,
                None => break,
            }
        }
        hash
    }

    pub(crate) fn finish(mut self) -> Index {
        self.entries.sort_unstable_by_key(|e| e.hash);
        self.entries.shrink_to_fit();
        let mut redirects: Vec<(u64, u64)> = self.redirects.into_iter().collect();
        redirects.sort_unstable();
        Index {
            entries: self.entries,
            redirects,
        }
    }
}

/// Recorded offsets by pointer hash.
#[derive(Clone, Default)]
pub(crate) struct Index {
    entries: Vec<Entry>,
    redirects: Vec<(u64, u64)>,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("values", &self.entries.len())
            .field("redirects", &self.redirects.len())
            .finish()
    }
}

impl Index {
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<Entry>()
            + self.redirects.capacity() * std::mem::size_of::<(u64, u64)>()
    }

    fn entry(&self, hash: u64) -> Option<Entry> {
        self.entries
            .binary_search_by_key(&hash, |e| e.hash)
            .ok()
            .map(|i| self.entries[i])
    }

    fn redirect(&self, hash: u64) -> Option<u64> {
        if self.redirects.is_empty() {
            return None;
        }
        self.redirects
            .binary_search_by_key(&hash, |r| r.0)
            .ok()
            .map(|i| self.redirects[i].1)
    }

    /// `(key offset, value offset)` of the value at the pointer, or of its nearest ancestor that
    /// has one. `None` for an invalid pointer or a document without positions.
    pub(crate) fn locate(&self, pointer: &str) -> Option<(u32, u32)> {
        let segments = parse_pointer(pointer)?;
        let mut hash = ROOT;
        let mut best = self.entry(ROOT)?;
        for segment in segments {
            hash = child_hash(hash, segment.as_bytes());
            let own = self.entry(hash);
            // Follow aliases and merge keys to where the text is (bounded: chains are short).
            for _ in 0..64 {
                match self.redirect(hash) {
                    Some(to) => hash = to,
                    None => break,
                }
            }
            match own.or_else(|| self.entry(hash)) {
                Some(entry) => best = entry,
                None => break,
            }
        }
        Some((best.key, best.value))
    }
}

/// Splits an RFC 6901 pointer (`""`, `/a/b~1c`) into unescaped segments. A URI fragment
/// (`#/a/b%20c`) is accepted too. `None` when the text is not a pointer.
fn parse_pointer(pointer: &str) -> Option<Vec<String>> {
    let decoded: Cow<'_, str> = match pointer.strip_prefix('#') {
        Some(fragment) => percent_decode(fragment),
        None => Cow::Borrowed(pointer),
    };
    if decoded.is_empty() {
        return Some(Vec::new());
    }
    if !decoded.starts_with('/') {
        return None;
    }
    let segments = decoded[1..]
        .split('/')
        .map(|s| {
            if s.contains('~') {
                super::unescape_segment(s)
            } else {
                s.to_owned()
            }
        })
        .collect();
    Some(segments)
}

fn percent_decode(text: &str) -> Cow<'_, str> {
    if !text.contains('%') {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// Line starts and (for non-ASCII text) character counts, for offset -> line and column.
#[derive(Clone, Default)]
pub(crate) struct LineTable {
    /// Byte offset where each line starts; line breaks are `\n`, `\r\n` and a lone `\r`.
    starts: Vec<u32>,
    /// For non-ASCII text: the number of characters before each 4 KiB block.
    blocks: Option<Vec<u32>>,
}

const BLOCK_SHIFT: u32 = 12;

impl std::fmt::Debug for LineTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineTable")
            .field("lines", &self.starts.len())
            .finish()
    }
}

#[inline]
fn count_chars(bytes: &[u8]) -> usize {
    // Every byte that is not a UTF-8 continuation byte starts a character.
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
}

impl LineTable {
    pub(crate) fn new(text: &str) -> LineTable {
        let bytes = text.as_bytes();
        let mut starts = Vec::with_capacity(bytes.len() / 32 + 1);
        starts.push(0u32);
        for at in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            if bytes[at] == b'\r' && bytes.get(at + 1) == Some(&b'\n') {
                continue; // the `\n` of this `\r\n` ends the line
            }
            starts.push((at + 1) as u32);
        }
        starts.shrink_to_fit();
        let blocks = (!text.is_ascii()).then(|| {
            let mut total = 0u32;
            let mut blocks = Vec::with_capacity((bytes.len() >> BLOCK_SHIFT) + 1);
            for block in bytes.chunks(1 << BLOCK_SHIFT) {
                blocks.push(total);
                total += count_chars(block) as u32;
            }
            blocks.push(total);
            blocks
        });
        LineTable { starts, blocks }
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        (self.starts.capacity() + self.blocks.as_ref().map_or(0, Vec::capacity)) * 4
    }

    /// Number of characters in `text[..offset]` (bounded work: at most one block is counted).
    fn chars_before(&self, text: &str, offset: usize) -> usize {
        match &self.blocks {
            None => offset,
            Some(blocks) => {
                let block = offset >> BLOCK_SHIFT;
                let start = block << BLOCK_SHIFT;
                blocks[block] as usize + count_chars(&text.as_bytes()[start..offset])
            }
        }
    }

    /// The 1-based line and character column of a byte offset (clamped to the text).
    pub(crate) fn position(&self, text: &str, offset: usize) -> Position {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&s| s as usize <= offset);
        let start = self.starts[line - 1] as usize;
        let column = self.chars_before(text, offset) - self.chars_before(text, start) + 1;
        Position { line, column }
    }

    /// The byte offset of a 1-based line and 0-based character column (for parser markers
    /// without byte offsets).
    pub(crate) fn offset(&self, text: &str, line: usize, column: usize) -> usize {
        let Some(&start) = self.starts.get(line.saturating_sub(1)) else {
            return text.len();
        };
        let start = start as usize;
        text[start..]
            .char_indices()
            .nth(column)
            .map_or(text.len(), |(i, _)| start + i)
    }

    /// The text of a 1-based line, without its line break.
    pub(crate) fn line<'t>(&self, text: &'t str, line: usize) -> Option<&'t str> {
        let start = *self.starts.get(line.checked_sub(1)?)? as usize;
        let end = self.starts.get(line).map_or(text.len(), |&s| s as usize);
        if start >= text.len() && line > 1 {
            return None; // after a final line break there is no further line
        }
        let mut content = &text[start..end];
        if let Some(rest) = content.strip_suffix('\n') {
            content = rest;
        }
        if let Some(rest) = content.strip_suffix('\r') {
            content = rest;
        }
        Some(content)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_differ_by_path() {
        let a = child_hash(child_hash(ROOT, b"a"), b"b");
        let b = child_hash(ROOT, b"a/b");
        let c = child_hash(child_hash(ROOT, b"ab"), b"");
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(index_hash(ROOT, 120), child_hash(ROOT, b"120"));
        assert_eq!(index_hash(ROOT, 0), child_hash(ROOT, b"0"));
    }

    #[test]
    fn pointers() {
        assert_eq!(parse_pointer("").unwrap().len(), 0);
        assert_eq!(parse_pointer("/").unwrap(), vec![""]);
        assert_eq!(parse_pointer("/a~1b/c~0d").unwrap(), vec!["a/b", "c~d"]);
        assert_eq!(parse_pointer("#/a%20b/~01").unwrap(), vec!["a b", "~1"]);
        assert!(parse_pointer("a").is_none());
    }

    #[test]
    fn lines_and_columns() {
        let text = "ab\r\ncé\rx\n\nyz";
        let t = LineTable::new(text);
        assert_eq!(t.position(text, 0), Position { line: 1, column: 1 });
        assert_eq!(t.position(text, 4), Position { line: 2, column: 1 });
        assert_eq!(t.position(text, 7), Position { line: 2, column: 3 }); // the \r after é
        assert_eq!(t.position(text, 8), Position { line: 3, column: 1 });
        assert_eq!(t.line(text, 2), Some("cé"));
        assert_eq!(t.line(text, 4), Some(""));
        assert_eq!(t.line(text, 5), Some("yz"));
        assert_eq!(t.line(text, 6), None);
        assert_eq!(t.offset(text, 2, 2), 7);
    }
}
