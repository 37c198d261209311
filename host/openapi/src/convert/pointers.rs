//! The longest-prefix map from converted pointers to input pointers.

use rustc_hash::FxHashMap;

/// Maps JSON pointers in a converted document to pointers in the input. Only places where the
/// converted path differs from what the enclosing entry implies are stored (a hash map: a
/// lookup tries each prefix of a pointer, so each try must be cheap).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PointerMap {
    entries: FxHashMap<String, String>,
}

impl PointerMap {
    /// The input pointer for a converted pointer: the origin of its longest recorded prefix
    /// (on segment boundaries) plus the rest of the pointer; the pointer itself when no prefix
    /// is recorded.
    pub fn lookup(&self, pointer: &str) -> String {
        let mut end = pointer.len();
        loop {
            let prefix = &pointer[..end];
            if let Some(origin) = self.entries.get(prefix) {
                return format!("{origin}{}", &pointer[end..]);
            }
            match prefix.rfind('/') {
                Some(slash) => end = slash,
                None => return pointer.to_string(),
            }
        }
    }

    /// Records an origin, unless the existing entries already imply it.
    pub fn record(&mut self, to: &str, from: &str) {
        if !self.implies(to, from) {
            self.entries.insert(to.to_string(), from.to_string());
        }
    }

    /// Whether [`PointerMap::lookup`] of `to` already gives `from` (without building it).
    fn implies(&self, to: &str, from: &str) -> bool {
        let mut end = to.len();
        loop {
            let prefix = &to[..end];
            if let Some(origin) = self.entries.get(prefix) {
                let rest = &to[end..];
                return from.len() == origin.len() + rest.len()
                    && from.starts_with(origin.as_str())
                    && from.ends_with(rest);
            }
            match prefix.rfind('/') {
                Some(slash) => end = slash,
                None => return to == from,
            }
        }
    }

    /// The number of stored entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is stored (an identity map).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The stored entries, converted pointer -> input pointer, sorted.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        let mut entries: Vec<_> = self
            .entries
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        entries.sort_unstable();
        entries.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_with_remainder() {
        let mut map = PointerMap::default();
        map.record("/components/schemas", "/definitions");
        map.record(
            "/components/schemas/Pet/nullable",
            "/definitions/Pet/x-nullable",
        );
        assert_eq!(
            map.lookup("/components/schemas/Pet/type"),
            "/definitions/Pet/type"
        );
        assert_eq!(
            map.lookup("/components/schemas/Pet/nullable"),
            "/definitions/Pet/x-nullable"
        );
        // Segment boundaries only: `/components/schemasX` is not under `/components/schemas`.
        assert_eq!(map.lookup("/components/schemasX"), "/components/schemasX");
        assert_eq!(map.lookup("/info/title"), "/info/title");
        assert_eq!(map.lookup(""), "");
        // Implied entries are not stored.
        map.record("/components/schemas/Pet", "/definitions/Pet");
        assert_eq!(map.len(), 2);
    }
}
