//! Import from JSON text without the whole spec as a `serde_json::Value`: the path items and
//! the entries of `components` (all but `securitySchemes`) stay slices of the text, read when
//! the import reaches them (a path item, or a component schema being copied, is read and
//! dropped; an entry a reference is followed into is kept); the rest of the document is read
//! whole. Auth detection reads every operation's `security` (when the spec has security
//! schemes), so `paths` in the document value keeps only that. Every slice is checked (read
//! once) before the import starts.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::fmt;

use rustc_hash::FxHashMap;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::{Gathered, Imported, Options, gather};
use crate::convert::node;
use crate::version::{SpecVersion, detect};

/// Imports an OpenAPI 3.x JSON document from its text, reading path items lazily (peak memory
/// well under what the whole document as a value takes). `None` when this path does not apply
/// or the import fails (YAML, Swagger 2.0, a syntax error, duplicate keys, nesting deeper than
/// serde_json reads, a reference into `paths`, an import error): the caller then takes the
/// general path ([`crate::source::Document::parse`], [`super::import`]), which gives the same
/// result, or the error with its place.
pub fn import_json_text(text: &str, options: &Options) -> Option<Imported> {
    read_json_text(text, options)?.finish()
}

/// The first half of [`import_json_text`]: everything that needs the text. A caller that
/// holds the only copy of the text can free it before [`PendingImport::finish`] (peak memory
/// is then what the finished definition takes, not that plus the text).
pub fn read_json_text(text: &str, options: &Options) -> Option<PendingImport> {
    if text.len() > crate::source::Budget::default().max_bytes {
        return None;
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if !text.trim_start().starts_with('{') {
        return None;
    }
    let members: Members<'_> = serde_json::from_str(text).ok()?;
    // Swagger 2.0 is converted on the general path: leave before reading any member.
    let has = |name: &str| members.0.iter().any(|(key, _)| key == name);
    if has("swagger") && !has("openapi") {
        return None;
    }
    let mut spec = Map::new();
    let mut paths = None;
    let mut parts = Parts::default();
    for (key, raw) in &members.0 {
        if key == "components"
            && let Ok(sections) = serde_json::from_str::<Members<'_>>(raw.get())
        {
            spec.insert(key.to_string(), parts.components(sections)?);
            continue;
        }
        if key == "paths"
            && let Ok(items) = serde_json::from_str::<Members<'_>>(raw.get())
        {
            // Filled in below, once it is known whether auth detection needs it.
            spec.insert(key.to_string(), Value::Object(Map::new()));
            paths = Some(items);
            continue;
        }
        spec.insert(key.to_string(), node::parse(raw.get()).ok()?.to_value());
    }
    // Auth detection reads the operations' `security` only when there are security schemes.
    let schemes = spec
        .get("components")
        .and_then(|c| c.get("securitySchemes"))
        .is_some_and(Value::is_object);
    if let Some(items) = paths.as_ref().filter(|_| schemes) {
        let mut skeleton = Map::new();
        for (path, item) in &items.0 {
            let security: Security = serde_json::from_str(item.get()).ok()?;
            skeleton.insert(path.to_string(), security.0);
        }
        spec.insert("paths".into(), Value::Object(skeleton));
    }
    let spec = Value::Object(spec);
    if detect(&spec).ok()? == SpecVersion::Swagger2 {
        return None;
    }
    let items = paths.as_ref().map(|items| {
        items.0.iter().map(|(path, raw)| {
            let item = node::parse(raw.get()).ok()?.to_value();
            Some((Cow::Borrowed(path.as_ref()), Cow::Owned(item)))
        })
    });
    gather(&spec, items, Some(&parts), true, options)
        .ok()?
        .map(PendingImport)
}

/// An import read from JSON text by [`read_json_text`], to be finished by
/// [`PendingImport::finish`] without the text: the actions are held as compact JSON until
/// then, so that the text and the spec's values can be freed first.
pub struct PendingImport(Gathered);

impl PendingImport {
    /// Completes the import (pagination, the definition, its validation); `None` when it
    /// fails: the caller then takes the general path, which reports the error.
    pub fn finish(self) -> Option<Imported> {
        self.0.finish().ok()
    }
}

/// Reads a checked slice (see [`Parts::components`]).
fn read(raw: &RawValue) -> Value {
    node::parse(raw.get()).map_or(Value::Null, |node| node.to_value())
}

/// The sections of `components` read lazily: entries by name, each read when a reference
/// reaches it.
#[derive(Default)]
pub(crate) struct Parts<'t> {
    sections: FxHashMap<Cow<'t, str>, Section<'t>>,
}

/// One section's entries.
#[derive(Default)]
struct Section<'t> {
    entries: FxHashMap<Cow<'t, str>, Entry<'t>>,
}

/// One entry: its text, and its value once a reference has been followed into it.
struct Entry<'t> {
    raw: &'t RawValue,
    value: OnceCell<Value>,
}

impl<'t> Parts<'t> {
    /// Takes the object sections of `components` but `securitySchemes` (auth reads it whole);
    /// returns `components` without them. `None` when an entry does not read cleanly.
    fn components(&mut self, sections: Members<'t>) -> Option<Value> {
        let mut kept = Map::new();
        for (name, raw) in sections.0 {
            if name != "securitySchemes"
                && let Ok(entries) = serde_json::from_str::<Members<'t>>(raw.get())
            {
                let mut section = Section::default();
                for (key, raw) in entries.0 {
                    // Checked now, so that later reads cannot fail.
                    node::parse(raw.get()).ok()?;
                    let value = OnceCell::new();
                    section.entries.insert(key, Entry { raw, value });
                }
                self.sections.insert(name, section);
                continue;
            }
            kept.insert(name.to_string(), node::parse(raw.get()).ok()?.to_value());
        }
        Some(Value::Object(kept))
    }

    /// Whether a pointer reaches a place the lazily read document does not hold: the root,
    /// `paths`, `components` or a whole lazy section.
    pub(crate) fn unread(&self, pointer: &str) -> bool {
        if pointer.is_empty() || pointer == "/paths" || pointer.starts_with("/paths/") {
            return true;
        }
        match self.place(pointer) {
            Some((_, None)) => true,
            _ => pointer == "/components",
        }
    }

    /// The section and, when the pointer goes further, the entry name and the rest of the
    /// pointer, for a pointer into a lazy section.
    fn place<'p>(&self, pointer: &'p str) -> Option<(&Section<'t>, Option<(String, &'p str)>)> {
        let rest = pointer.strip_prefix("/components/")?;
        let (section, rest) = match rest.find('/') {
            Some(slash) => (&rest[..slash], Some(&rest[slash + 1..])),
            None => (rest, None),
        };
        let section = self.sections.get(&*unescape(section))?;
        let Some(rest) = rest else {
            return Some((section, None));
        };
        let (name, rest) = match rest.find('/') {
            Some(slash) => (&rest[..slash], &rest[slash..]),
            None => (rest, ""),
        };
        Some((section, Some((unescape(name).into_owned(), rest))))
    }

    /// The value at a pointer into a lazy section (read once and kept); `None` when the
    /// pointer is not into one.
    pub(crate) fn lookup(&self, pointer: &str) -> Option<Option<&Value>> {
        let (section, entry) = self.place(pointer)?;
        let Some((name, rest)) = entry else {
            return Some(None);
        };
        Some(
            section
                .entries
                .get(name.as_str())
                .and_then(|entry| entry.value.get_or_init(|| read(entry.raw)).pointer(rest)),
        )
    }

    /// The value at a pointer to a whole entry not read yet, read now and not kept; `None`
    /// when [`Parts::lookup`] should be used.
    pub(crate) fn read(&self, pointer: &str) -> Option<Option<Value>> {
        let (section, Some((name, ""))) = self.place(pointer)? else {
            return None;
        };
        match section.entries.get(name.as_str()) {
            None => Some(None),
            Some(entry) if entry.value.get().is_none() => Some(Some(read(entry.raw))),
            Some(_) => None,
        }
    }

    /// Whether a pointer to a whole entry of a lazy section finds one (`None` for other
    /// pointers).
    pub(crate) fn contains(&self, pointer: &str) -> Option<bool> {
        let (section, Some((name, ""))) = self.place(pointer)? else {
            return None;
        };
        Some(section.entries.contains_key(name.as_str()))
    }
}

/// A JSON pointer segment unescaped as `serde_json::Value::pointer` does.
fn unescape(segment: &str) -> Cow<'_, str> {
    if segment.contains('~') {
        Cow::Owned(segment.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(segment)
    }
}

/// The members of a JSON object, their values unread; duplicate keys are an error.
struct Members<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> serde::Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(MembersVisitor)
    }
}

struct MembersVisitor;

impl<'de> Visitor<'de> for MembersVisitor {
    type Value = Members<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<'de>, A::Error> {
        let mut members: Vec<(Cow<'de, str>, &'de RawValue)> = Vec::new();
        let mut seen = rustc_hash::FxHashSet::default();
        while let Some(key) = map.next_key_seed(node::KeySeed)? {
            let value = map.next_value()?;
            members.push((key, value));
        }
        for (key, _) in &members {
            if !seen.insert(key.as_ref()) {
                return Err(de::Error::custom("duplicate key"));
            }
        }
        Ok(Members(members))
    }
}

/// A path item as auth detection reads it: each member an object with only its `security`
/// (when it has one), or `null` when it is not an object.
struct Security(Value);

impl<'de> serde::Deserialize<'de> for Security {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SecurityVisitor { item: true })
    }
}

/// Reads a path item (`item`) or one of its members.
struct SecurityVisitor {
    item: bool,
}

impl<'de> Visitor<'de> for SecurityVisitor {
    type Value = Security;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Security, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if self.item {
                let member: SecurityMember = map.next_value()?;
                out.insert(key.into_owned(), member.0);
            } else if key == "security" {
                out.insert(key.into_owned(), map.next_value()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(Security(Value::Object(out)))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Security, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Security(Value::Null))
    }

    fn visit_unit<E>(self) -> Result<Security, E> {
        Ok(Security(Value::Null))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Security, E> {
        Ok(Security(Value::Null))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Security, E> {
        Ok(Security(Value::Null))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Security, E> {
        Ok(Security(Value::Null))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Security, E> {
        Ok(Security(Value::Null))
    }

    fn visit_str<E>(self, _: &str) -> Result<Security, E> {
        Ok(Security(Value::Null))
    }
}

/// One member of a path item, as [`Security`] keeps it.
struct SecurityMember(Value);

impl<'de> serde::Deserialize<'de> for SecurityMember {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let read = deserializer.deserialize_any(SecurityVisitor { item: false })?;
        Ok(SecurityMember(read.0))
    }
}
