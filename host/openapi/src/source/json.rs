//! A one-pass JSON (RFC 8259) reader that builds the `serde_json::Value` and records where each
//! value starts. Iterative (an explicit stack, no recursion), so nesting is limited by the budget
//! and never by the thread's stack. Duplicate object keys are refused.

use serde_json::{Map, Number, Value, map::Entry};

use super::Fail;
use super::index::{IndexBuilder, ROOT, child_hash, index_hash};

enum Frame {
    Array {
        items: Vec<Value>,
        /// Hash of the array's own pointer.
        hash: u64,
    },
    Object {
        map: Map<String, Value>,
        /// Hash of the object's own pointer.
        hash: u64,
        /// The member whose value is being read.
        key: String,
        key_offset: usize,
    },
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

/// Bytes that end the fast scan of a string: `"`, `\` and control characters.
static STRING_STOP: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        table[i] = true;
        i += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

impl<'a> Reader<'a> {
    #[inline]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn fail<T>(&self, offset: usize, message: impl Into<String>) -> Result<T, Fail> {
        Err(Fail::Syntax {
            offset,
            message: message.into(),
        })
    }

    fn unexpected<T>(&self, expected: &str) -> Result<T, Fail> {
        match self.text[self.pos..].chars().next() {
            None => self.fail(
                self.pos,
                format!("unexpected end of input, expected {expected}"),
            ),
            Some(c) => self.fail(self.pos, format!("unexpected `{c}`, expected {expected}")),
        }
    }

    /// Reads `"key"` and the following `:`; returns the key and where it starts.
    fn key(&mut self) -> Result<(String, usize), Fail> {
        let at = self.pos;
        if self.peek() != Some(b'"') {
            return self.unexpected("a string key in double quotes");
        }
        let key = self.string()?;
        self.skip_ws();
        if self.peek() != Some(b':') {
            return self.unexpected("`:` after an object key");
        }
        self.pos += 1;
        self.skip_ws();
        Ok((key, at))
    }

    /// Reads a string starting at its opening quote.
    fn string(&mut self) -> Result<String, Fail> {
        let open = self.pos;
        self.pos += 1;
        let start = self.pos;
        let bytes = self.bytes;
        let mut i = start;
        while i < bytes.len() && !STRING_STOP[bytes[i] as usize] {
            i += 1;
        }
        match bytes.get(i) {
            Some(b'"') => {
                self.pos = i + 1;
                Ok(self.text[start..i].to_owned())
            }
            Some(b'\\') => {
                let mut out = Vec::with_capacity(i - start + 16);
                out.extend_from_slice(&bytes[start..i]);
                self.pos = i;
                self.escaped_string(open, out)
            }
            Some(_) => self.fail(i, "control character in a string (escape it)"),
            None => self.fail(open, "string is not closed"),
        }
    }

    /// The rest of a string that has escapes; `out` has the text read so far.
    fn escaped_string(&mut self, open: usize, mut out: Vec<u8>) -> Result<String, Fail> {
        let bytes = self.bytes;
        loop {
            let start = self.pos;
            let mut i = start;
            while i < bytes.len() && !STRING_STOP[bytes[i] as usize] {
                i += 1;
            }
            out.extend_from_slice(&bytes[start..i]);
            self.pos = i;
            match bytes.get(i) {
                Some(b'"') => {
                    self.pos += 1;
                    // Only whole UTF-8 sequences and ASCII were copied.
                    return String::from_utf8(out)
                        .or_else(|_| self.fail(open, "invalid UTF-8 in a string"));
                }
                Some(b'\\') => {
                    let escape = bytes.get(i + 1).copied();
                    self.pos = i + 2;
                    let plain = match escape {
                        Some(b'"') => b'"',
                        Some(b'\\') => b'\\',
                        Some(b'/') => b'/',
                        Some(b'b') => 0x08,
                        Some(b'f') => 0x0c,
                        Some(b'n') => b'\n',
                        Some(b'r') => b'\r',
                        Some(b't') => b'\t',
                        Some(b'u') => {
                            let c = self.unicode_escape(i)?;
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                            continue;
                        }
                        None => return self.fail(open, "string is not closed"),
                        Some(_) => return self.fail(i, "invalid escape in a string"),
                    };
                    out.push(plain);
                }
                Some(_) => return self.fail(i, "control character in a string (escape it)"),
                None => return self.fail(open, "string is not closed"),
            }
        }
    }

    fn hex4(&mut self, escape_at: usize) -> Result<u32, Fail> {
        let digits = self.bytes.get(self.pos..self.pos + 4);
        let value = digits.and_then(|d| {
            d.iter()
                .try_fold(0u32, |acc, &b| Some(acc * 16 + (b as char).to_digit(16)?))
        });
        match value {
            Some(v) => {
                self.pos += 4;
                Ok(v)
            }
            None => self.fail(escape_at, "invalid \\u escape (four hex digits expected)"),
        }
    }

    /// After `\u`: one character, combining a surrogate pair.
    fn unicode_escape(&mut self, escape_at: usize) -> Result<char, Fail> {
        let first = self.hex4(escape_at)?;
        let code = match first {
            0xD800..=0xDBFF => {
                if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
                    return self.fail(escape_at, "lone leading surrogate in a \\u escape");
                }
                let second_at = self.pos;
                self.pos += 2;
                let second = self.hex4(second_at)?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return self.fail(second_at, "invalid surrogate pair in a \\u escape");
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => {
                return self.fail(escape_at, "lone trailing surrogate in a \\u escape");
            }
            other => other,
        };
        match char::from_u32(code) {
            Some(c) => Ok(c),
            None => self.fail(escape_at, "invalid \\u escape"),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// Reads a number as serde_json does: integers as u64 / i64 (`-0` and integers out of range
    /// as f64), others as f64.
    fn number(&mut self) -> Result<Value, Fail> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return self.fail(start, "invalid number"),
        }
        let mut float = false;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return self.fail(start, "invalid number (digits expected after `.`)");
            }
            float = true;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return self.fail(start, "invalid number (digits expected in the exponent)");
            }
            float = true;
        }
        let text = &self.text[start..self.pos];
        if !float {
            if negative {
                if let Ok(n) = text.parse::<i64>() {
                    return Ok(if n == 0 {
                        float_value(-0.0)
                    } else {
                        Value::Number(n.into())
                    });
                }
            } else if let Ok(n) = text.parse::<u64>() {
                return Ok(Value::Number(n.into()));
            }
        }
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(float_value(f)),
            _ => self.fail(start, "number out of range"),
        }
    }

    fn literal(&mut self, word: &'static str, value: Value) -> Result<Value, Fail> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            self.unexpected("a JSON value")
        }
    }
}

fn float_value(f: f64) -> Value {
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

/// Parses JSON text into a value, recording positions in `index`.
pub(super) fn parse(text: &str, max_depth: usize, index: &mut IndexBuilder) -> Result<Value, Fail> {
    let mut r = Reader {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    let mut stack: Vec<Frame> = Vec::new();
    // The pointer hash and key offset of the value about to be read.
    let mut hash = ROOT;
    r.skip_ws();
    let mut key_offset = r.pos;
    let root = 'read: loop {
        let start = r.pos;
        index.record(hash, key_offset, start);
        let mut value = match r.peek() {
            Some(b'{') => {
                if stack.len() >= max_depth {
                    return Err(Fail::depth(max_depth));
                }
                r.pos += 1;
                r.skip_ws();
                if r.peek() == Some(b'}') {
                    r.pos += 1;
                    Value::Object(Map::new())
                } else {
                    let (key, at) = r.key()?;
                    let parent = hash;
                    hash = child_hash(parent, key.as_bytes());
                    key_offset = at;
                    stack.push(Frame::Object {
                        map: Map::new(),
                        hash: parent,
                        key,
                        key_offset: at,
                    });
                    continue 'read;
                }
            }
            Some(b'[') => {
                if stack.len() >= max_depth {
                    return Err(Fail::depth(max_depth));
                }
                r.pos += 1;
                r.skip_ws();
                if r.peek() == Some(b']') {
                    r.pos += 1;
                    Value::Array(Vec::new())
                } else {
                    stack.push(Frame::Array {
                        items: Vec::new(),
                        hash,
                    });
                    hash = index_hash(hash, 0);
                    key_offset = r.pos;
                    continue 'read;
                }
            }
            Some(b'"') => Value::String(r.string()?),
            Some(b't') => r.literal("true", Value::Bool(true))?,
            Some(b'f') => r.literal("false", Value::Bool(false))?,
            Some(b'n') => r.literal("null", Value::Null)?,
            Some(b'-' | b'0'..=b'9') => r.number()?,
            _ => return r.unexpected("a JSON value"),
        };
        // Attach the finished value to its parent; close every container that ends here.
        loop {
            match stack.last_mut() {
                None => break 'read value,
                Some(Frame::Object {
                    map,
                    hash: parent,
                    key,
                    key_offset: at,
                }) => {
                    match map.entry(std::mem::take(key)) {
                        Entry::Vacant(slot) => {
                            slot.insert(value);
                        }
                        Entry::Occupied(slot) => {
                            return r.fail(*at, format!("duplicate key `{}`", slot.key()));
                        }
                    }
                    r.skip_ws();
                    match r.peek() {
                        Some(b',') => {
                            r.pos += 1;
                            r.skip_ws();
                            let (next, next_at) = r.key()?;
                            hash = child_hash(*parent, next.as_bytes());
                            key_offset = next_at;
                            *key = next;
                            *at = next_at;
                            continue 'read;
                        }
                        Some(b'}') => {
                            r.pos += 1;
                            let Some(Frame::Object { map, .. }) = stack.pop() else {
                                return r.fail(r.pos, "internal: reader state out of step");
                            };
                            value = Value::Object(map);
                        }
                        _ => return r.unexpected("`,` or `}`"),
                    }
                }
                Some(Frame::Array {
                    items,
                    hash: parent,
                }) => {
                    items.push(value);
                    r.skip_ws();
                    match r.peek() {
                        Some(b',') => {
                            r.pos += 1;
                            r.skip_ws();
                            hash = index_hash(*parent, items.len());
                            key_offset = r.pos;
                            continue 'read;
                        }
                        Some(b']') => {
                            r.pos += 1;
                            let Some(Frame::Array { items, .. }) = stack.pop() else {
                                return r.fail(r.pos, "internal: reader state out of step");
                            };
                            value = Value::Array(items);
                        }
                        _ => return r.unexpected("`,` or `]`"),
                    }
                }
            }
        }
    };
    r.skip_ws();
    if r.pos < r.bytes.len() {
        return r.unexpected("the end of the input after the JSON value");
    }
    Ok(root)
}
