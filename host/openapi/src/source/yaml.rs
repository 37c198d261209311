//! YAML 1.2 via `granit-parser` events: one pass builds the `serde_json::Value` (core schema) and
//! records where each value starts.
//!
//! - Scalars follow the YAML 1.2 core schema: `null`/`~`/empty, `true`/`false` (not `yes`/`no`),
//!   decimal, `0o` octal and `0x` hex integers (kept as integers), floats. `.inf`, `-.inf` and
//!   `.nan` have no JSON form and stay strings. Quoted and block scalars are strings.
//! - Mapping keys become strings, spelled as written (`200:` -> `"200"`); a mapping or sequence
//!   as a key is refused. A duplicate key is a syntax error at the second key.
//! - Aliases are resolved (copied). Every value copied counts against the alias budget, checked
//!   before copying: once when an anchored node is kept, once more for each alias of it.
//!   Positions under an alias are those of the anchored text.
//! - Merge keys (`<<: *base`, `<<: [*a, *b]`), common in hand-written YAML, are applied: keys
//!   written in the mapping win, then earlier merged mappings.
//! - One document only: a second document is a syntax error.

use std::collections::HashMap;

use granit_parser::{ErrorKind, Event, Marker, Parser, ScalarStyle, ScanError, Span, Tag};
use serde_json::{Map, Number, Value, map::Entry};

use super::index::{IndexBuilder, LineTable, ROOT, child_hash, index_hash};
use super::{Budget, Fail};

/// The pointer hash of an anchor with no value text (an anchored mapping key).
const NO_TEXT: u64 = 0;

/// A member key read, waiting for its value.
struct Pending {
    key: String,
    key_offset: usize,
    /// Hash of the member's pointer.
    hash: u64,
    /// A `<<` merge key.
    merge: bool,
}

enum Kind {
    Sequence(Vec<Value>),
    Mapping {
        map: Map<String, Value>,
        pending: Option<Pending>,
        /// Mappings to merge at the end, with the pointer hash of their text.
        merges: Vec<(Map<String, Value>, u64)>,
    },
}

struct Frame {
    kind: Kind,
    /// Hash of the collection's own pointer.
    hash: u64,
    anchor: usize,
    /// Nesting height so far (1 for an empty collection).
    height: usize,
    /// The node counter when the collection started.
    nodes_before: usize,
}

/// A completed anchored node.
struct Anchor {
    value: Value,
    /// Pointer hash of the anchored text.
    hash: u64,
    /// Number of values in it (what an alias of it copies).
    size: usize,
    height: usize,
    /// The scalar as written, for an alias used as a mapping key.
    key: Option<String>,
}

struct Builder<'a> {
    text: &'a str,
    lines: &'a LineTable,
    budget: &'a Budget,
    index: &'a mut IndexBuilder,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Anchor>,
    /// Values created so far (including copies made by aliases).
    nodes: usize,
    /// Values copied for anchors and aliases so far.
    copied: usize,
    root: Option<Value>,
}

/// Where the next value goes: its pointer hash and key offset (`None`: the value's own offset).
struct Slot {
    hash: u64,
    key_offset: Option<usize>,
}

impl Builder<'_> {
    fn offset(&self, marker: &Marker) -> usize {
        marker
            .byte_offset()
            .unwrap_or_else(|| self.lines.offset(self.text, marker.line(), marker.col()))
    }

    fn fail<T>(&self, marker: &Marker, message: impl Into<String>) -> Result<T, Fail> {
        Err(Fail::Syntax {
            offset: self.offset(marker),
            message: message.into(),
        })
    }

    /// `true` when the next node is a mapping key.
    fn expects_key(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame {
                kind: Kind::Mapping { pending: None, .. },
                ..
            })
        )
    }

    fn slot(&self) -> Slot {
        match self.stack.last() {
            None => Slot {
                hash: ROOT,
                key_offset: None,
            },
            Some(frame) => match &frame.kind {
                Kind::Sequence(items) => Slot {
                    hash: index_hash(frame.hash, items.len()),
                    key_offset: None,
                },
                Kind::Mapping { pending, .. } => match pending {
                    Some(p) => Slot {
                        hash: p.hash,
                        key_offset: Some(p.key_offset),
                    },
                    None => Slot {
                        hash: frame.hash,
                        key_offset: None,
                    },
                },
            },
        }
    }

    fn key(&mut self, key: String, key_offset: usize, merge: bool) {
        if let Some(Frame {
            kind: Kind::Mapping { pending, .. },
            hash,
            ..
        }) = self.stack.last_mut()
        {
            let member = child_hash(*hash, key.as_bytes());
            *pending = Some(Pending {
                key,
                key_offset,
                hash: member,
                merge,
            });
        }
    }

    fn scalar(
        &mut self,
        text: &str,
        style: ScalarStyle,
        anchor: usize,
        tag: Option<&Tag>,
        span: &Span,
    ) -> Result<(), Fail> {
        let start = self.offset(&span.start);
        self.nodes += 1;
        if self.expects_key() {
            if anchor != 0 {
                self.charge(1)?;
                let value = Value::String(text.to_owned());
                self.anchor(anchor, value, NO_TEXT, 1, 0, Some(text.to_owned()));
            }
            let merge = text == "<<" && style == ScalarStyle::Plain && tag.is_none();
            self.key(text.to_owned(), start, merge);
            return Ok(());
        }
        let slot = self.slot();
        self.index
            .record(slot.hash, slot.key_offset.unwrap_or(start), start);
        let value = match scalar_value(text, style, tag) {
            Ok(value) => value,
            Err(message) => return self.fail(&span.tag_start().unwrap_or(span.start), message),
        };
        if anchor != 0 {
            self.charge(1)?;
            self.anchor(
                anchor,
                value.clone(),
                slot.hash,
                1,
                0,
                Some(text.to_owned()),
            );
        }
        self.attach(value, 0, slot.hash, span)
    }

    fn anchor(
        &mut self,
        id: usize,
        value: Value,
        hash: u64,
        size: usize,
        height: usize,
        key: Option<String>,
    ) {
        self.anchors.insert(
            id,
            Anchor {
                value,
                hash,
                size,
                height,
                key,
            },
        );
    }

    /// Counts `size` values copied for an anchor or an alias against the budget, before copying.
    fn charge(&mut self, size: usize) -> Result<(), Fail> {
        let limit = self.budget.max_alias_expansions;
        self.copied = self.copied.saturating_add(size);
        if self.copied > limit {
            return Err(Fail::Budget {
                what: "alias expansions",
                limit,
            });
        }
        Ok(())
    }

    fn alias(&mut self, id: usize, span: &Span) -> Result<(), Fail> {
        let Some(anchor) = self.anchors.get(&id) else {
            return self.fail(
                &span.start,
                "this alias refers to a node that contains it (recursive alias)",
            );
        };
        if self.expects_key() {
            let Some(key) = anchor.key.clone() else {
                return self.fail(&span.start, "a mapping or sequence cannot be a mapping key");
            };
            let start = self.offset(&span.start);
            self.key(key, start, false);
            return Ok(());
        }
        if self.stack.len() + anchor.height > self.budget.max_depth {
            return Err(Fail::depth(self.budget.max_depth));
        }
        let (size, height, target) = (anchor.size, anchor.height, anchor.hash);
        self.charge(size)?;
        self.nodes += size;
        let value = self
            .anchors
            .get(&id)
            .map_or(Value::Null, |a| a.value.clone());
        let slot = self.slot();
        let start = self.offset(&span.start);
        self.index
            .record(slot.hash, slot.key_offset.unwrap_or(start), start);
        if target != NO_TEXT {
            self.index.redirect(slot.hash, target);
        }
        self.attach(value, height, slot.hash, span)
    }

    fn start(&mut self, mapping: bool, anchor: usize, span: &Span) -> Result<(), Fail> {
        if self.expects_key() {
            return self.fail(&span.start, "a mapping or sequence cannot be a mapping key");
        }
        if self.stack.len() >= self.budget.max_depth {
            return Err(Fail::depth(self.budget.max_depth));
        }
        let slot = self.slot();
        let start = self.offset(&span.start);
        self.index
            .record(slot.hash, slot.key_offset.unwrap_or(start), start);
        self.nodes += 1;
        let kind = if mapping {
            Kind::Mapping {
                map: Map::new(),
                pending: None,
                merges: Vec::new(),
            }
        } else {
            Kind::Sequence(Vec::new())
        };
        self.stack.push(Frame {
            kind,
            hash: slot.hash,
            anchor,
            height: 1,
            nodes_before: self.nodes - 1,
        });
        Ok(())
    }

    fn end(&mut self, span: &Span) -> Result<(), Fail> {
        let Some(frame) = self.stack.pop() else {
            return self.fail(&span.start, "unbalanced end of a collection");
        };
        let value = match frame.kind {
            Kind::Sequence(items) => Value::Array(items),
            Kind::Mapping {
                mut map, merges, ..
            } => {
                for (merged, source) in merges {
                    for (key, value) in merged {
                        if let Entry::Vacant(slot) = map.entry(key) {
                            let member = child_hash(frame.hash, slot.key().as_bytes());
                            let text = child_hash(source, slot.key().as_bytes());
                            self.index.redirect(member, text);
                            slot.insert(value);
                        }
                    }
                }
                Value::Object(map)
            }
        };
        if frame.anchor != 0 {
            let size = self.nodes - frame.nodes_before;
            self.charge(size)?;
            self.anchor(
                frame.anchor,
                value.clone(),
                frame.hash,
                size,
                frame.height,
                None,
            );
        }
        self.attach(value, frame.height, frame.hash, span)
    }

    /// Puts a finished value (its pointer hash `hash`) into its parent.
    fn attach(&mut self, value: Value, height: usize, hash: u64, span: &Span) -> Result<(), Fail> {
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(value);
            return Ok(());
        };
        frame.height = frame.height.max(height + 1);
        match &mut frame.kind {
            Kind::Sequence(items) => items.push(value),
            Kind::Mapping {
                map,
                pending,
                merges,
            } => {
                let Some(p) = pending.take() else {
                    return self.fail(&span.start, "a mapping or sequence cannot be a mapping key");
                };
                if p.merge {
                    // `<<: {..}`, `<<: *a` or `<<: [*a, *b]`: the text of each merged mapping
                    // is where its redirects lead.
                    match value {
                        Value::Object(m) => merges.push((m, self.index.resolve(hash))),
                        Value::Array(items) if items.iter().all(Value::is_object) => {
                            for (i, item) in items.into_iter().enumerate() {
                                if let Value::Object(m) = item {
                                    merges.push((m, self.index.resolve(index_hash(hash, i))));
                                }
                            }
                        }
                        _ => {
                            return Err(Fail::Syntax {
                                offset: p.key_offset,
                                message: "a merge key `<<` needs a mapping or a sequence of \
                                          mappings"
                                    .into(),
                            });
                        }
                    }
                    return Ok(());
                }
                match map.entry(p.key) {
                    Entry::Vacant(slot) => {
                        slot.insert(value);
                    }
                    Entry::Occupied(slot) => {
                        return Err(Fail::Syntax {
                            offset: p.key_offset,
                            message: format!("duplicate key `{}`", slot.key()),
                        });
                    }
                }
            }
        }
        Ok(())
    }
}

/// The value of a scalar (YAML 1.2 core schema, with the core tags honoured).
fn scalar_value(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Result<Value, String> {
    if let Some(tag) = tag {
        let core = tag.core_suffix();
        if tag.handle() == "!" && tag.suffix().is_empty() {
            return Ok(Value::String(text.to_owned())); // the non-specific tag `!`
        }
        let typed = match core {
            Some("str") => return Ok(Value::String(text.to_owned())),
            Some("null") => null(text).then_some(Value::Null),
            Some("bool") => boolean(text).map(Value::Bool),
            Some("int") => integer(text),
            Some("float") => float(text).or_else(|| integer(text).map(|v| to_float(&v))),
            _ => None,
        };
        if let Some(kind) = core.filter(|k| matches!(*k, "null" | "bool" | "int" | "float")) {
            return typed.ok_or_else(|| format!("`{text}` is not a valid !!{kind}"));
        }
    }
    if style != ScalarStyle::Plain {
        return Ok(Value::String(text.to_owned()));
    }
    Ok(plain(text))
}

/// A plain (unquoted, untagged) scalar by the core schema.
fn plain(text: &str) -> Value {
    let first = text.as_bytes().first().copied();
    // Most scalars start with a letter that no non-string form starts with.
    if let Some(b) = first
        && !matches!(
            b,
            b'0'..=b'9' | b'-' | b'+' | b'.' | b'~' | b'n' | b'N' | b't' | b'T' | b'f' | b'F'
        )
    {
        return Value::String(text.to_owned());
    }
    if null(text) {
        return Value::Null;
    }
    if let Some(b) = boolean(text) {
        return Value::Bool(b);
    }
    if let Some(v) = integer(text) {
        return v;
    }
    if let Some(v) = float(text) {
        return v;
    }
    Value::String(text.to_owned())
}

fn null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

fn boolean(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn all_digits(text: &str, radix: u32) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_digit(radix))
}

/// `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`: an integer (a float when out of range).
fn integer(text: &str) -> Option<Value> {
    for (prefix, radix) in [("0o", 8), ("0x", 16)] {
        if let Some(digits) = text.strip_prefix(prefix) {
            if !all_digits(digits, radix) {
                return None;
            }
            return Some(match u64::from_str_radix(digits, radix) {
                Ok(n) => Value::Number(n.into()),
                Err(_) => float_value(digits.chars().fold(0f64, |acc, c| {
                    acc * f64::from(radix) + f64::from(c.to_digit(radix).unwrap_or(0))
                })),
            });
        }
    }
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if !all_digits(digits, 10) {
        return None;
    }
    let parsed = if negative {
        text.parse::<i64>().ok().map(|n| Value::Number(n.into()))
    } else {
        digits.parse::<u64>().ok().map(|n| Value::Number(n.into()))
    };
    Some(parsed.unwrap_or_else(|| float_value(text.parse::<f64>().unwrap_or(f64::NAN))))
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`. (`.inf` and `.nan` are not numbers in
/// JSON: they stay strings.)
fn float(text: &str) -> Option<Value> {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => all_digits(frac, 10),
        Some((int, frac)) => all_digits(int, 10) && (frac.is_empty() || all_digits(frac, 10)),
        None => all_digits(mantissa, 10),
    };
    let exponent_ok =
        exponent.is_none_or(|e| all_digits(e.strip_prefix(['-', '+']).unwrap_or(e), 10));
    if !(mantissa_ok && exponent_ok) {
        return None;
    }
    let f: f64 = text.parse().ok()?;
    f.is_finite().then(|| float_value(f))
}

fn float_value(f: f64) -> Value {
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

fn to_float(v: &Value) -> Value {
    v.as_f64().map_or(Value::Null, float_value)
}

fn scan_error(error: &ScanError, builder: &Builder<'_>, budget: &Budget) -> Fail {
    if matches!(error.kind(), ErrorKind::RecursionLimitExceeded) {
        return Fail::depth(budget.max_depth);
    }
    let mut offset = builder.offset(error.marker());
    if matches!(
        error.kind(),
        ErrorKind::TabInBlockIndentation | ErrorKind::TabInIndentation
    ) {
        // Point at the tab itself, not at what follows it.
        let text = builder.text;
        let line_start = text[..offset].rfind(['\n', '\r']).map_or(0, |i| i + 1);
        let indent = &text[line_start..offset];
        if let Some(tab) = indent.find('\t')
            && indent.trim_start_matches([' ', '\t']).is_empty()
        {
            offset = line_start + tab;
        }
    }
    Fail::Syntax {
        offset,
        message: error.kind().to_string(),
    }
}

/// Parses YAML text into a value, recording positions in `index`.
pub(super) fn parse(
    text: &str,
    lines: &LineTable,
    budget: &Budget,
    index: &mut IndexBuilder,
) -> Result<Value, Fail> {
    let mut options = granit_parser::Options::default();
    options.emit_comments = false;
    // One more than the budget: our own check (a budget error) comes first.
    options.block_nesting_limit = budget.max_depth.saturating_add(1);
    options.flow_nesting_limit = budget.max_depth.saturating_add(1);
    let mut parser = Parser::new_from_str_with_options(text, options);
    let mut b = Builder {
        text,
        lines,
        budget,
        index,
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        copied: 0,
        root: None,
    };
    let mut documents = 0;
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| scan_error(&e, &b, budget))?;
        match event {
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return b.fail(
                        &span.start,
                        "a spec must be a single YAML document (found a second `---`)",
                    );
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                b.scalar(&value, style, anchor, tag.as_deref(), &span)?;
            }
            Event::Alias(id) => b.alias(id, &span)?,
            Event::SequenceStart(_, anchor, _) => b.start(false, anchor, &span)?,
            Event::MappingStart(_, anchor, _) => b.start(true, anchor, &span)?,
            Event::SequenceEnd | Event::MappingEnd => b.end(&span)?,
            Event::UnresolvedAlias(name) => {
                return b.fail(&span.start, format!("unknown anchor `{name}`"));
            }
            _ => {}
        }
    }
    Ok(b.root.unwrap_or(Value::Null))
}
