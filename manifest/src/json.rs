//! The JSON check both sides of the component boundary share: the engine passes an upstream's
//! JSON body on as text after it, and the host accepts a component's output after it.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// Checks that `bytes` are one JSON document exactly as parsing them into a
/// `serde_json::Value` would (grammar, nesting limit, string escapes and UTF-8, number range,
/// nothing after the document), without building anything.
///
/// `serde::de::IgnoredAny` would be faster still, but it skips strings without checking their
/// escapes: a lone surrogate (`"\ud800"`) would pass.
pub fn check(bytes: &[u8]) -> Result<(), serde_json::Error> {
    serde_json::from_slice::<Checked>(bytes).map(|Checked| ())
}

/// Any JSON value, checked and dropped.
struct Checked;

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Checked, D::Error> {
        deserializer.deserialize_any(CheckedVisitor)
    }
}

struct CheckedVisitor;

impl<'de> Visitor<'de> for CheckedVisitor {
    type Value = Checked;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_str<E>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_unit<E>(self) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        while map.next_entry::<Checked, Checked>()?.is_some() {}
        Ok(Checked)
    }
}

#[cfg(test)]
mod tests {
    use super::check;
    use serde_json::Value;

    #[test]
    fn accepts_and_refuses_what_a_value_parse_does() {
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let shallow = format!("{}{}", "[".repeat(100), "]".repeat(100));
        for (text, valid) in [
            (
                &br#"{"a": [1, -2.5e3, true, null, "\u00e9\ud83d\ude00"], "b": {}}"#[..],
                true,
            ),
            (b" 12 ", true),
            (shallow.as_bytes(), true),
            // A lone surrogate escape, a bad escape, invalid UTF-8 in a string, a control
            // character in a string, a number out of range, nesting past the limit, trailing
            // text, an empty document.
            (b"\"\\ud800\"", false),
            (b"\"\\q\"", false),
            (b"\"\xff\"", false),
            (b"\"a\nb\"", false),
            (b"1e400", false),
            (deep.as_bytes(), false),
            (b"{} x", false),
            (b"", false),
        ] {
            assert_eq!(
                serde_json::from_slice::<Value>(text).is_ok(),
                valid,
                "{text:?}"
            );
            assert_eq!(check(text).is_ok(), valid, "{text:?}");
        }
    }
}
