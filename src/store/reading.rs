//! Reading many items at once: every item, or the unseen ones a draft wants, read and
//! decoded on every core.

use crate::item::{Item, ItemState};

use super::{Store, StoreError};

impl Store {
    /// Every item, in key order: an item in two trees (a crash between the steps of a move to
    /// or from the archive) is read from the first of `inbox`, `items` and the archive.
    pub fn items(&self) -> Result<Vec<Item>, StoreError> {
        let mut all = self.tree_items(&self.inbox, "inbox", |_| true)?;
        all.extend(self.tree_items(&self.items, "items", |_| true)?);
        if let Some(archive) = self.archive_if_any()? {
            all.extend(self.tree_items(&archive.items, "archive", |_| true)?);
        }
        // Stable: of two with one key, the first read stays.
        all.sort_by(|a, b| a.key.cmp(&b.key));
        all.dedup_by(|later, first| later.key == first.key);
        Ok(all)
    }

    /// Every item of `tree`, in key order, read and decoded on every core at once: a range of
    /// leading hex digits of the key per core (sled reads a page at a time, and most of a large
    /// read is waiting on pages). A key that is not hex still falls in exactly one range.
    fn tree_items(
        &self,
        tree: &sled::Tree,
        name: &'static str,
        keep: impl Fn(&Item) -> bool + Sync,
    ) -> Result<Vec<Item>, StoreError> {
        let keep = &keep;
        use std::ops::Bound::{Excluded, Included, Unbounded};
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get().min(16));
        let bounds: Vec<Vec<u8>> = (1..cores)
            .map(|i| format!("{:x}", i * 16 / cores).into_bytes())
            .collect();
        let lows = std::iter::once(Unbounded).chain(bounds.iter().map(|b| Included(&b[..])));
        let highs = bounds.iter().map(|b| Excluded(&b[..])).chain([Unbounded]);
        std::thread::scope(|scope| {
            let reading: Vec<_> = lows
                .zip(highs)
                .map(|range| {
                    scope.spawn(move || self.range_items(tree.range::<&[u8], _>(range), name, keep))
                })
                .collect();
            let mut parts = Vec::with_capacity(reading.len());
            for part in reading {
                match part.join() {
                    Ok(items) => parts.push(items?),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            // The first part is the whole when there is one, not a copy of it.
            let mut parts = parts.into_iter();
            let mut all = parts.next().unwrap_or_default();
            all.reserve(parts.as_slice().iter().map(Vec::len).sum());
            parts.for_each(|part| all.extend(part));
            Ok(all)
        })
    }

    /// The items of one range of a tree, decoded as they are read.
    fn range_items(
        &self,
        range: sled::Iter,
        name: &'static str,
        keep: &(impl Fn(&Item) -> bool + Sync),
    ) -> Result<Vec<Item>, StoreError> {
        let mut out = Vec::new();
        for value in range.values() {
            let item = self.decode_item(name, &value.map_err(|e| self.io(e))?)?;
            if keep(&item) {
                out.push(item);
            }
        }
        Ok(out)
    }

    /// Every unseen item, in key order, read from `inbox` alone: the published and skipped
    /// items, however many, are not read.
    pub fn unseen_items(&self) -> Result<Vec<Item>, StoreError> {
        self.unseen_items_where(|_| true)
    }

    /// The unseen items `keep` keeps, tested as they are read (on every core, each item while
    /// its text is at hand), in key order.
    pub fn unseen_items_where(
        &self,
        keep: impl Fn(&Item) -> bool + Sync,
    ) -> Result<Vec<Item>, StoreError> {
        self.tree_items(&self.inbox, "inbox", |i| {
            i.state == ItemState::Unseen && keep(i)
        })
    }
}
