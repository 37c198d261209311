//! A small binary layout read in place: a few fixed blobs and an index of entries sorted by key,
//! so that a reader finds one entry by binary search without parsing the others. The manifest
//! section ([`crate::section`]) and the engine's action table both use it.
//!
//! Layout (integers are u32 little-endian; offsets are from the start):
//! ```text
//! magic (8 bytes) | count | fixed blobs: F x (offset, length)
//! index: count entries sorted by their first field's bytes, each K x (offset, length)
//! data:  the fixed blobs, then every entry's first field (the keys, contiguous: a reader that
//!        checks or searches them touches only those pages), then every second field, ...
//! ```

use crate::Error;

const REF_LEN: usize = 8;
const PREFIX_LEN: usize = 8 + 4;

/// Serializes fixed blobs and entries of `K` fields each; entries are sorted by their first field
/// (the key), which must be unique.
pub fn write<const K: usize>(
    magic: &[u8; 8],
    fixed: &[&[u8]],
    mut entries: Vec<[Vec<u8>; K]>,
) -> Result<Vec<u8>, Error> {
    entries.sort_unstable_by(|a, b| a[0].cmp(&b[0]));
    if let Some(pair) = entries.windows(2).find(|pair| pair[0][0] == pair[1][0]) {
        return Err(Error::Format(format!(
            "duplicate key `{}`",
            String::from_utf8_lossy(&pair[0][0])
        )));
    }
    let head = PREFIX_LEN + (fixed.len() + entries.len() * K) * REF_LEN;
    let data: usize = fixed.iter().map(|b| b.len()).sum::<usize>()
        + entries.iter().flatten().map(Vec::len).sum::<usize>();
    let total = head + data;
    if u32::try_from(total).is_err() {
        return Err(Error::TooLarge(total));
    }
    // Offsets in data order: the fixed blobs, then field 0 of every entry, then field 1, ...
    let mut next = head;
    let mut place = |len: usize| {
        let at = next;
        next += len;
        (at as u32, len as u32)
    };
    let fixed_refs: Vec<(u32, u32)> = fixed.iter().map(|b| place(b.len())).collect();
    let mut entry_refs = vec![(0u32, 0u32); entries.len() * K];
    for k in 0..K {
        for (i, entry) in entries.iter().enumerate() {
            entry_refs[i * K + k] = place(entry[k].len());
        }
    }
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(magic);
    out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    for (offset, len) in fixed_refs.iter().chain(&entry_refs) {
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
    }
    for blob in fixed {
        out.extend_from_slice(blob);
    }
    for k in 0..K {
        for entry in &entries {
            out.extend_from_slice(&entry[k]);
        }
    }
    Ok(out)
}

/// Packed bytes read in place: `F` fixed blobs (given to [`Packed::new`]) and entries of `K`
/// fields.
#[derive(Debug, Clone, Copy)]
pub struct Packed<'a, const K: usize> {
    bytes: &'a [u8],
    fixed: usize,
    count: usize,
}

impl<'a, const K: usize> Packed<'a, K> {
    /// Checks the magic and that the index lies within the bytes (the entries are read lazily).
    pub fn new(bytes: &'a [u8], magic: &[u8; 8], fixed: usize) -> Result<Self, Error> {
        if bytes.get(..8) != Some(magic.as_slice()) {
            return Err(Error::Format("missing or unknown header".into()));
        }
        let count = read_u32(bytes, 8)? as usize;
        let end = count
            .checked_mul(K)
            .and_then(|n| n.checked_add(fixed))
            .and_then(|n| n.checked_mul(REF_LEN))
            .and_then(|n| n.checked_add(PREFIX_LEN))
            .ok_or_else(|| Error::Format("index size overflows".into()))?;
        if end > bytes.len() {
            return Err(Error::Format("the index runs past the end".into()));
        }
        Ok(Packed {
            bytes,
            fixed,
            count,
        })
    }

    /// A view of bytes that [`Packed::new`] accepted before (with the same `fixed`).
    pub(crate) fn checked(bytes: &'a [u8], fixed: usize, count: usize) -> Self {
        Packed {
            bytes,
            fixed,
            count,
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Fixed blob `i`.
    pub fn fixed(&self, i: usize) -> Result<&'a [u8], Error> {
        if i >= self.fixed {
            return Err(Error::Format(format!("no fixed blob {i}")));
        }
        self.slice_at(PREFIX_LEN + i * REF_LEN)
    }

    /// Field `k` of entry `i` (in key order).
    pub fn field(&self, i: usize, k: usize) -> Result<&'a [u8], Error> {
        if i >= self.count || k >= K {
            return Err(Error::Format(format!("entry {i} field {k} out of range")));
        }
        self.slice_at(PREFIX_LEN + (self.fixed + i * K + k) * REF_LEN)
    }

    /// Field `k` of entry `i` as UTF-8 text.
    pub fn text(&self, i: usize, k: usize) -> Result<&'a str, Error> {
        std::str::from_utf8(self.field(i, k)?)
            .map_err(|_| Error::Format(format!("entry {i} field {k} is not UTF-8")))
    }

    /// The entry whose key is `key`, by binary search.
    pub fn find(&self, key: &[u8]) -> Result<Option<usize>, Error> {
        let (mut lo, mut hi) = (0usize, self.count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.field(mid, 0)?.cmp(key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(Some(mid)),
            }
        }
        Ok(None)
    }

    /// Checks that every reference lies within the bytes and that keys strictly ascend (so
    /// [`Packed::find`] is exact and keys are unique). Linear in the number of entries.
    pub fn check(&self) -> Result<(), Error> {
        for i in 0..self.fixed {
            self.fixed(i)?;
        }
        let mut previous: Option<&[u8]> = None;
        for i in 0..self.count {
            for k in 1..K {
                self.field(i, k)?;
            }
            let key = self.field(i, 0)?;
            if previous.is_some_and(|p| p >= key) {
                return Err(Error::Format(format!(
                    "entry {i} is out of order or repeats a key"
                )));
            }
            previous = Some(key);
        }
        Ok(())
    }

    fn slice_at(&self, at: usize) -> Result<&'a [u8], Error> {
        let off = read_u32(self.bytes, at)? as usize;
        let len = read_u32(self.bytes, at + 4)? as usize;
        off.checked_add(len)
            .and_then(|end| self.bytes.get(off..end))
            .ok_or_else(|| Error::Format(format!("the reference at byte {at} runs past the end")))
    }
}

fn read_u32(bytes: &[u8], at: usize) -> Result<u32, Error> {
    at.checked_add(4)
        .and_then(|end| bytes.get(at..end))
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
        .ok_or_else(|| Error::Format(format!("truncated at byte {at}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAGIC: &[u8; 8] = b"TESTPAK1";

    fn sample() -> Vec<u8> {
        let entries = ["zeta", "alpha", "mid"]
            .iter()
            .map(|k| [k.as_bytes().to_vec(), format!("value of {k}").into_bytes()])
            .collect();
        write::<2>(MAGIC, &[b"meta", b""], entries).unwrap()
    }

    #[test]
    fn round_trip_and_lookup() {
        let bytes = sample();
        let packed = Packed::<2>::new(&bytes, MAGIC, 2).unwrap();
        packed.check().unwrap();
        assert_eq!(packed.len(), 3);
        assert_eq!(packed.fixed(0).unwrap(), b"meta");
        assert_eq!(packed.fixed(1).unwrap(), b"");
        assert!(packed.fixed(2).is_err());
        assert_eq!(packed.text(0, 0).unwrap(), "alpha");
        let mid = packed.find(b"mid").unwrap().unwrap();
        assert_eq!(packed.text(mid, 1).unwrap(), "value of mid");
        assert_eq!(packed.find(b"nope").unwrap(), None);
        assert!(Packed::<2>::new(&bytes, b"OTHERPAK", 2).is_err());
    }

    #[test]
    fn duplicates_and_damage_are_errors_not_panics() {
        let dup = vec![[b"a".to_vec()], [b"a".to_vec()]];
        assert!(write::<1>(MAGIC, &[], dup).is_err());
        let bytes = sample();
        for cut in 0..bytes.len() {
            if let Ok(packed) = Packed::<2>::new(&bytes[..cut], MAGIC, 2) {
                let _ = packed.check();
                let _ = packed.find(b"mid");
                let _ = packed.fixed(0);
            }
        }
        // Swapped keys: found by `check`.
        let mut swapped = bytes.clone();
        let first = PREFIX_LEN + 2 * REF_LEN;
        let second = first + 2 * REF_LEN;
        let (a, b) = (
            swapped[first..first + 8].to_vec(),
            swapped[second..second + 8].to_vec(),
        );
        swapped[first..first + 8].copy_from_slice(&b);
        swapped[second..second + 8].copy_from_slice(&a);
        let packed = Packed::<2>::new(&swapped, MAGIC, 2).unwrap();
        assert!(packed.check().is_err());
        let mut huge = bytes;
        huge[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(Packed::<2>::new(&huge, MAGIC, 2).is_err());
    }
}
