//! A Bloom filter of the keys in `items` and the archive (the published and skipped posts),
//! and of the links in the archive's link indexes (see `archive::filter_entry`), kept in the
//! `filter` tree and read once by a poll: a new post's key is looked up in `items` only when
//! the filter says it may be there, so a poll into a store of a million old posts does not
//! read a page of that tree from disk for every new one.
//!
//! The filter only ever gains keys, and gains them before or with the items (see
//! `Store::apply_in_order`): it holds every key in `items`, so its "no" is always right. A
//! wrong "maybe" (about 1 in 100 when full) costs one read. When it fills, it is made again,
//! twice the size, from the keys in `items`.

use std::sync::Arc;

use super::archive::{filter_entry, Index};
use super::{Store, StoreError, Writes};

/// Bits per key and hash functions: about one wrong "maybe" in a hundred at capacity.
const BITS_PER_KEY: u64 = 10;
const HASHES: u64 = 7;
/// The smallest filter, in keys.
const MIN_KEYS: u64 = 4096;
/// The key it is stored under in the `filter` tree.
const KEY: &[u8] = b"items";

#[derive(Debug, Clone, PartialEq)]
pub struct KeyFilter {
    bits: Vec<u64>,
    /// Keys added (a key added twice counts twice: the count only decides when to grow).
    keys: u64,
    /// Keys it was sized for.
    capacity: u64,
}

impl KeyFilter {
    fn with_capacity(keys: u64) -> KeyFilter {
        let capacity = keys.max(MIN_KEYS);
        let words = (capacity * BITS_PER_KEY).div_ceil(64) as usize;
        KeyFilter {
            bits: vec![0; words],
            keys: 0,
            capacity,
        }
    }

    /// The bits of `key`, by double hashing over a blake3 hash of it.
    fn positions(&self, key: &[u8]) -> impl Iterator<Item = usize> {
        let hash = blake3::hash(key);
        let h = hash.as_bytes();
        let a = u64::from_le_bytes(h[..8].try_into().expect("8 bytes"));
        let b = u64::from_le_bytes(h[8..16].try_into().expect("8 bytes")) | 1;
        let m = self.bits.len() as u64 * 64;
        (0..HASHES).map(move |i| (a.wrapping_add(i.wrapping_mul(b)) % m) as usize)
    }

    pub fn may_contain(&self, key: &[u8]) -> bool {
        self.positions(key)
            .all(|p| self.bits[p / 64] & (1 << (p % 64)) != 0)
    }

    fn insert(&mut self, key: &[u8]) {
        let positions: Vec<usize> = self.positions(key).collect();
        for p in positions {
            self.bits[p / 64] |= 1 << (p % 64);
        }
        self.keys += 1;
    }

    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + self.bits.len() * 8);
        out.extend_from_slice(&self.keys.to_le_bytes());
        out.extend_from_slice(&self.capacity.to_le_bytes());
        for w in &self.bits {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out
    }

    fn from_bytes(bytes: &[u8]) -> Option<KeyFilter> {
        let word = |at: usize| Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?));
        let (keys, capacity) = (word(0)?, word(8)?);
        let words = (capacity.max(MIN_KEYS) * BITS_PER_KEY).div_ceil(64) as usize;
        if bytes.len() != 16 + words * 8 {
            return None;
        }
        let bits = (0..words)
            .map(|i| word(16 + i * 8))
            .collect::<Option<_>>()?;
        Some(KeyFilter {
            bits,
            keys,
            capacity,
        })
    }
}

impl Store {
    /// The filter of `items`' keys, read once and kept (shared, not copied: it is 2.5 MB for a
    /// million posts); made from the keys in `items` when the store has none (a store made
    /// before it) or what it has cannot be read.
    pub(super) fn key_filter(&self) -> Result<Arc<KeyFilter>, StoreError> {
        let mut cached = self
            .key_filter
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(f) = cached.as_ref() {
            return Ok(Arc::clone(f));
        }
        let stored = self.filter.get(KEY).map_err(|e| self.io(e))?;
        let filter = match stored.as_deref().and_then(KeyFilter::from_bytes) {
            Some(f) => f,
            None => {
                let f = self.filter_of_items(&[])?;
                self.filter
                    .insert(KEY, f.to_bytes())
                    .map_err(|e| self.io(e))?;
                f
            }
        };
        let filter = Arc::new(filter);
        *cached = Some(Arc::clone(&filter));
        Ok(filter)
    }

    /// A filter sized for twice the keys in `items`, the archive's keys and links, and
    /// `more`, holding them all: the trees are read twice, counted and then added, rather
    /// than their keys held (a million posts' keys and links are 100 MB as `Vec`s).
    fn filter_of_items(&self, more: &[Vec<u8>]) -> Result<KeyFilter, StoreError> {
        let archive = self.archive_if_any()?;
        let mut trees: Vec<(&sled::Tree, Option<Index>)> = vec![(&self.items, None)];
        if let Some(a) = &archive {
            trees.extend([
                (&a.items, None),
                (&a.alike, Some(Index::Alike)),
                (&a.links, Some(Index::Links)),
            ]);
        }
        let count: usize = trees.iter().map(|(tree, _)| tree.len()).sum();
        let mut f = KeyFilter::with_capacity((count + more.len()) as u64 * 2);
        for (tree, index) in trees {
            for key in tree.iter().keys() {
                let key = key.map_err(|e| self.io(e))?;
                match index {
                    None => f.insert(&key),
                    Some(index) => f.insert(&filter_entry(index, &key)),
                }
            }
        }
        for key in more {
            f.insert(key);
        }
        Ok(f)
    }

    /// The filter with `keys` added, as a write of the `filter` tree (made again, larger,
    /// when it would pass its capacity); `None` when there are no keys. The kept copy is
    /// replaced by `filter_written` once the write is applied.
    pub(super) fn filter_with(
        &self,
        keys: &[Vec<u8>],
    ) -> Result<Option<(KeyFilter, Writes)>, StoreError> {
        if keys.is_empty() {
            return Ok(None);
        }
        let mut filter = KeyFilter::clone(&*self.key_filter()?);
        if filter.keys + keys.len() as u64 > filter.capacity {
            filter = self.filter_of_items(keys)?;
        } else {
            for key in keys {
                filter.insert(key);
            }
        }
        let mut writes = Writes::default();
        writes.insert(KEY, filter.to_bytes());
        Ok(Some((filter, writes)))
    }

    /// Keeps `filter` as the store's, once it is written.
    pub(super) fn filter_written(&self, filter: KeyFilter) {
        *self
            .key_filter
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Arc::new(filter));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_says_no_only_for_keys_it_never_held() {
        let mut f = KeyFilter::with_capacity(5000);
        let keys: Vec<String> = (0..5000).map(|n| format!("{n:016x}")).collect();
        for k in &keys {
            f.insert(k.as_bytes());
        }
        assert!(keys.iter().all(|k| f.may_contain(k.as_bytes())));
        let wrong = (5000..25000)
            .filter(|n| f.may_contain(format!("{n:016x}").as_bytes()))
            .count();
        assert!(wrong < 20000 / 50, "{wrong} wrong maybes in 20000");
        let back = KeyFilter::from_bytes(&f.to_bytes()).unwrap();
        assert_eq!(back, f);
        assert_eq!(KeyFilter::from_bytes(&f.to_bytes()[..100]), None);
    }
}
