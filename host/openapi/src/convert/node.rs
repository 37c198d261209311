//! The tree the converter reads and writes: strings borrowed from the input where they can be,
//! objects as ordered member lists, and [`Node::Same`] for an input subtree carried over as it
//! is (no copy). Written with serde, so its JSON text is what `serde_json::Value`'s would be.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde_json::{Number, Value};

/// A JSON value, borrowing from an input that lives for `'a`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as serde_json reads it.
    Number(Number),
    /// A string.
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<Node<'a>>),
    /// An object.
    Object(Obj<'a>),
    /// An input value, unchanged.
    Same(&'a Node<'a>),
}

/// An empty object, to convert where a value is missing.
pub(crate) static EMPTY_OBJECT: Node<'static> = Node::Object(Obj(Vec::new()));

/// An object: members in order, keys unique.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Obj<'a>(Vec<(Cow<'a, str>, Node<'a>)>);

impl<'a> Node<'a> {
    /// The value itself (through [`Node::Same`]).
    pub(crate) fn resolved(&self) -> &Node<'a> {
        let mut node = self;
        while let Node::Same(inner) = node {
            node = inner;
        }
        node
    }

    /// A borrowed string.
    pub(crate) fn str(text: &'a str) -> Node<'a> {
        Node::String(Cow::Borrowed(text))
    }

    /// An owned string.
    pub(crate) fn string(text: String) -> Node<'a> {
        Node::String(Cow::Owned(text))
    }

    /// The member `key` of an object.
    pub(crate) fn get(&self, key: &str) -> Option<&Node<'a>> {
        self.as_object()?.get(key)
    }

    /// The object, if this is one.
    pub(crate) fn as_object(&self) -> Option<&Obj<'a>> {
        match self.resolved() {
            Node::Object(map) => Some(map),
            _ => None,
        }
    }

    /// The items, if this is an array.
    pub(crate) fn as_array(&self) -> Option<&[Node<'a>]> {
        match self.resolved() {
            Node::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The text, if this is a string.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self.resolved() {
            Node::String(text) => Some(text),
            _ => None,
        }
    }

    /// The value, if this is a boolean.
    pub(crate) fn as_bool(&self) -> Option<bool> {
        match self.resolved() {
            Node::Bool(value) => Some(*value),
            _ => None,
        }
    }

    /// The value at a JSON pointer (as `serde_json::Value::pointer`).
    pub(crate) fn pointer(&self, pointer: &str) -> Option<&Node<'a>> {
        if pointer.is_empty() {
            return Some(self);
        }
        let rest = pointer.strip_prefix('/')?;
        let mut node = self;
        for segment in rest.split('/') {
            let segment = crate::source::unescape_segment(segment);
            node = match node.resolved() {
                Node::Object(map) => map.get(&segment)?,
                Node::Array(items) => items.get(array_index(&segment)?)?,
                _ => return None,
            };
        }
        Some(node)
    }

    /// The JSON type as messages name it (as `plugboard_definition::json_kind`).
    pub(crate) fn kind(&self) -> &'static str {
        match self.resolved() {
            Node::Null => "null",
            Node::Bool(_) => "a boolean",
            Node::Number(_) => "a number",
            Node::String(_) => "a string",
            Node::Array(_) => "an array",
            Node::Object(_) | Node::Same(_) => "an object",
        }
    }

    /// Compact JSON text (as `serde_json::Value`'s `Display`).
    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A borrowing view of a `serde_json::Value`.
    pub(crate) fn from_value(value: &'a Value) -> Node<'a> {
        match value {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Number(n) => Node::Number(n.clone()),
            Value::String(s) => Node::str(s),
            Value::Array(items) => Node::Array(items.iter().map(Node::from_value).collect()),
            Value::Object(map) => Node::Object(Obj(map
                .iter()
                .map(|(k, v)| (Cow::Borrowed(k.as_str()), Node::from_value(v)))
                .collect())),
        }
    }

    /// An owned `serde_json::Value` of this tree.
    pub(crate) fn to_value(&self) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Number(n) => Value::Number(n.clone()),
            Node::String(s) => Value::String(s.to_string()),
            Node::Array(items) => Value::Array(items.iter().map(Node::to_value).collect()),
            Node::Object(map) => Value::Object(
                map.0
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_value()))
                    .collect(),
            ),
            Node::Same(inner) => inner.to_value(),
        }
    }
}

/// A pointer segment as an array index (no sign, no leading zeros).
fn array_index(segment: &str) -> Option<usize> {
    if segment.starts_with('+') || (segment.starts_with('0') && segment.len() > 1) {
        return None;
    }
    segment.parse().ok()
}

impl<'a> Obj<'a> {
    /// An empty object.
    pub(crate) fn new() -> Obj<'a> {
        Obj(Vec::new())
    }

    /// An empty object with room for `capacity` members.
    pub(crate) fn with_capacity(capacity: usize) -> Obj<'a> {
        Obj(Vec::with_capacity(capacity))
    }

    /// The value of member `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&Node<'a>> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Whether there is a member `key`.
    pub(crate) fn contains_key(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    /// Sets member `key`: an existing member keeps its place (as `serde_json::Map::insert`).
    pub(crate) fn insert(&mut self, key: impl Into<Cow<'a, str>>, value: Node<'a>) {
        let key = key.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some((_, slot)) => *slot = value,
            None => self.0.push((key, value)),
        }
    }

    /// [`Obj::push`], or [`Obj::insert`] when `key` is one of `added`: the keys the converter
    /// may already have set itself (the other keys come from the input, once each).
    pub(crate) fn put(&mut self, key: impl Into<Cow<'a, str>>, value: Node<'a>, added: &[&str]) {
        let key = key.into();
        if added.contains(&key.as_ref()) {
            self.insert(key, value);
        } else {
            self.push(key, value);
        }
    }

    /// Adds a member whose key the object does not have yet (its keys come from an object).
    pub(crate) fn push(&mut self, key: impl Into<Cow<'a, str>>, value: Node<'a>) {
        self.0.push((key.into(), value));
    }

    /// The object of member `key`, added empty at the end when missing.
    pub(crate) fn object_entry(&mut self, key: impl Into<Cow<'a, str>>) -> Option<&mut Obj<'a>> {
        let key = key.into();
        let index = match self.0.iter().position(|(k, _)| *k == key) {
            Some(index) => index,
            None => {
                self.0.push((key, Node::Object(Obj::new())));
                self.0.len() - 1
            }
        };
        match &mut self.0[index].1 {
            Node::Object(map) => Some(map),
            _ => None,
        }
    }

    /// The members in order.
    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &Node<'a>)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v))
    }

    /// The number of members.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no members.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The members of `map` that `keep` accepts, each carried over unchanged.
    pub(crate) fn same_members(map: &'a Obj<'a>, keep: impl Fn(&str) -> bool) -> Obj<'a> {
        Obj(map
            .0
            .iter()
            .filter(|(k, _)| keep(k))
            .map(|(k, v)| (Cow::Borrowed(k.as_ref()), Node::Same(v)))
            .collect())
    }
}

impl serde::Serialize for Node<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Null => serializer.serialize_unit(),
            Node::Bool(b) => serializer.serialize_bool(*b),
            Node::Number(n) => n.serialize(serializer),
            Node::String(s) => serializer.serialize_str(s),
            Node::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Node::Object(map) => {
                let mut out = serializer.serialize_map(Some(map.len()))?;
                for (key, value) in &map.0 {
                    out.serialize_entry(key.as_ref(), value)?;
                }
                out.end()
            }
            Node::Same(inner) => inner.serialize(serializer),
        }
    }
}

impl Node<'_> {
    /// Appends pretty JSON text: the same bytes as `serde_json::to_writer_pretty` writes for
    /// the equal `serde_json::Value` (two-space indent, `": "` after keys).
    pub(crate) fn write_pretty(&self, out: &mut Vec<u8>, depth: usize) {
        match self {
            Node::Null => out.extend_from_slice(b"null"),
            Node::Bool(true) => out.extend_from_slice(b"true"),
            Node::Bool(false) => out.extend_from_slice(b"false"),
            Node::Number(n) => {
                // A number's text is the same in compact and pretty form.
                let _ = serde_json::to_writer(&mut *out, n);
            }
            Node::String(s) => write_str(out, s),
            Node::Array(items) if items.is_empty() => out.extend_from_slice(b"[]"),
            Node::Array(items) => {
                out.push(b'[');
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        out.push(b',');
                    }
                    newline(out, depth + 1);
                    item.write_pretty(out, depth + 1);
                }
                newline(out, depth);
                out.push(b']');
            }
            Node::Object(map) if map.is_empty() => out.extend_from_slice(b"{}"),
            Node::Object(map) => {
                out.push(b'{');
                for (index, (key, value)) in map.0.iter().enumerate() {
                    if index > 0 {
                        out.push(b',');
                    }
                    newline(out, depth + 1);
                    write_str(out, key);
                    out.extend_from_slice(b": ");
                    value.write_pretty(out, depth + 1);
                }
                newline(out, depth);
                out.push(b'}');
            }
            Node::Same(inner) => inner.write_pretty(out, depth),
        }
    }
}

/// A line break and `depth` levels of two-space indent.
fn newline(out: &mut Vec<u8>, depth: usize) {
    const LINE: [u8; 129] = {
        let mut line = [b' '; 129];
        line[0] = b'\n';
        line
    };
    let width = 1 + depth * 2;
    if width <= LINE.len() {
        out.extend_from_slice(&LINE[..width]);
    } else {
        out.push(b'\n');
        out.resize(out.len() + depth * 2, b' ');
    }
}

/// A JSON string literal, escaped as serde_json escapes it.
fn write_str(out: &mut Vec<u8>, text: &str) {
    if plain(text.as_bytes()) {
        out.reserve(text.len() + 2);
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    } else {
        // Writing to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, text);
    }
}

/// Whether text needs no escape in JSON: no `"`, `\\` or control character (eight bytes at a
/// time).
fn plain(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Whether any byte of `x` is zero (exact for the word as a whole).
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGH != 0;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let control = x.wrapping_sub(ONES * 0x20) & !x & HIGH != 0;
        if control
            || zero_byte(x ^ (ONES * u64::from(b'"')))
            || zero_byte(x ^ (ONES * u64::from(b'\\')))
        {
            return false;
        }
    }
    chunks
        .remainder()
        .iter()
        .all(|&b| b >= 0x20 && b != b'"' && b != b'\\')
}

/// Reads JSON text into a [`Node`] tree that borrows every string without escapes. A duplicate
/// key is an error (as in [`crate::source`]).
pub(crate) fn parse(text: &str) -> Result<Node<'_>, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let mut scratch = Scratch::default();
    let node = NodeSeed {
        scratch: &mut scratch,
        depth: 0,
    }
    .deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(node)
}

/// Lists being read, one per nesting level, reused: each finished list is copied out at its
/// exact size (no growth copies, no spare room kept in the tree).
#[derive(Default)]
struct Scratch<'de> {
    members: Vec<Vec<(Cow<'de, str>, Node<'de>)>>,
    items: Vec<Vec<Node<'de>>>,
}

/// Takes the list of level `depth` out of `levels` (empty, with its room).
fn level<T>(levels: &mut Vec<Vec<T>>, depth: usize) -> Vec<T> {
    if levels.len() <= depth {
        levels.resize_with(depth + 1, Vec::new);
    }
    std::mem::take(&mut levels[depth])
}

struct NodeSeed<'s, 'de> {
    scratch: &'s mut Scratch<'de>,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_, 'de> {
    type Value = Node<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node<'de>, D::Error> {
        deserializer.deserialize_any(NodeVisitor {
            scratch: self.scratch,
            depth: self.depth,
        })
    }
}

struct NodeVisitor<'s, 'de> {
    scratch: &'s mut Scratch<'de>,
    depth: usize,
}

impl<'de> Visitor<'de> for NodeVisitor<'_, 'de> {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }

    fn visit_bool<E>(self, value: bool) -> Result<Node<'de>, E> {
        Ok(Node::Bool(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Node<'de>, E> {
        Ok(Node::Number(value.into()))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Node<'de>, E> {
        Ok(Node::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Node<'de>, E> {
        Ok(Number::from_f64(value).map_or(Node::Null, Node::Number))
    }

    fn visit_borrowed_str<E>(self, value: &'de str) -> Result<Node<'de>, E> {
        Ok(Node::str(value))
    }

    fn visit_str<E>(self, value: &str) -> Result<Node<'de>, E> {
        Ok(Node::string(value.to_string()))
    }

    fn visit_string<E>(self, value: String) -> Result<Node<'de>, E> {
        Ok(Node::string(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
        let mut buffer = level(&mut self.scratch.items, self.depth);
        while let Some(item) = seq.next_element_seed(NodeSeed {
            scratch: &mut *self.scratch,
            depth: self.depth + 1,
        })? {
            buffer.push(item);
        }
        let mut items = Vec::with_capacity(buffer.len());
        items.append(&mut buffer);
        self.scratch.items[self.depth] = buffer;
        Ok(Node::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
        let mut buffer = level(&mut self.scratch.members, self.depth);
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let value = map.next_value_seed(NodeSeed {
                scratch: &mut *self.scratch,
                depth: self.depth + 1,
            })?;
            buffer.push((key, value));
        }
        let mut members = Vec::with_capacity(buffer.len());
        members.append(&mut buffer);
        self.scratch.members[self.depth] = buffer;
        if has_duplicate(&members) {
            return Err(de::Error::custom("duplicate key"));
        }
        Ok(Node::Object(Obj(members)))
    }
}

/// Whether two members share a key.
fn has_duplicate(members: &[(Cow<'_, str>, Node<'_>)]) -> bool {
    if members.len() <= 16 {
        return members
            .iter()
            .enumerate()
            .any(|(i, (key, _))| members[..i].iter().any(|(k, _)| k == key));
    }
    let mut seen = rustc_hash::FxHashSet::default();
    seen.reserve(members.len());
    !members.iter().all(|(key, _)| seen.insert(key.as_ref()))
}

pub(crate) struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Cow<'de, str>, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_borrowed_str<E>(self, value: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(value))
    }

    fn visit_str<E>(self, value: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(value.to_string()))
    }

    fn visit_string<E>(self, value: String) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_what_needs_no_escape() {
        let naive = |t: &str| t.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\');
        for text in [
            "",
            "abc",
            "a plain sentence, long enough for words",
            "caf\u{e9} \u{1f600} and more text after it",
            "quote \" late in a long enough string",
            "back\\slash",
            "tab\tin the middle of sixteen+",
            "\u{1f}",
            "\u{7f} delete is not escaped by serde_json",
            "0123456\"",
            "01234567\n",
        ] {
            assert_eq!(plain(text.as_bytes()), naive(text), "{text:?}");
        }
    }
}
