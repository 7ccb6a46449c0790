//! The items, in two trees by state: `inbox` (key -> Item) for the unseen ones and `items`
//! for the published and skipped ones, moved on to the archive by the command that wrote them
//! (see `archive`: lookups read it last, and only when the filter says so); and the two link indexes that find an item again:
//! `alike` (the comparable form of an http(s) link, see `extract::link::comparable` -> key) and
//! `links` (any other link as written; stores made before this kept every link there too, and
//! it is still read first). One entry per link: each is a sled insert on the cold path. Polls
//! upsert here; publish, skip and unskip replace.
//!
//! `counts` keeps how many items each source name brought, added to as new items are stored
//! (after them: a crash in between undercounts by a poll's worth, a figure shown, never used).
//!
//! A poll's new posts go to `inbox`, a tree of the posts waiting for a roundup: however many
//! published ones the store holds, a poll writes and a draft reads a small tree (with one tree
//! of all items, each new post landed at a random place among a million old ones, and sled
//! read that page from disk). An item moves between the trees only in one transaction (publish,
//! skip, unskip): after a crash it is in one or the other, never both or neither. Stores made
//! before `inbox` have their unseen items moved there when first opened.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use crate::extract::link::comparable;
use crate::item::{Item, ItemState};

use serde::Serialize;

use super::filter::KeyFilter;
use super::{record, to_json, Meta, Staged, Store, StoreError, Writes};

/// Writes `items` into the tree their state belongs in, and removes them from the other: a
/// move, to be applied atomically (`Store::apply_atomically`).
fn stage_items(staged: &mut Staged, items: &[&Item]) {
    for item in items {
        stage_stored(staged, item);
        let key = item.key.as_bytes();
        if item.state == ItemState::Unseen {
            staged.items.remove(key);
        } else {
            staged.inbox.remove(key);
        }
    }
}

/// Writes an item that is in neither tree, or in the one its state belongs in already.
fn stage_stored(staged: &mut Staged, item: &Item) {
    let key = item.key.as_bytes();
    if item.state == ItemState::Unseen {
        staged.inbox.insert(key, record::encode(item));
    } else {
        staged.items.insert(key, record::encode(item));
        staged.filter_keys.push(key.to_vec());
    }
}

/// What storing one batch of extracted items did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Upsert {
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
}

impl Store {
    /// Stores one source's extracted items; see `upsert_groups`.
    pub fn upsert_items(&self, batch: &[Item]) -> Result<Upsert, StoreError> {
        Ok(self.upsert_groups(&[batch])?.pop().unwrap_or_default())
    }

    /// Stores the extracted items of several sources at once, reporting per source. An item
    /// already known (by key, or by comparable link when it arrives through another source)
    /// keeps its key, first-seen time and state; only an unseen item's text is refreshed. A
    /// published or skipped item is never touched: a feed re-dating it does not bring it back.
    ///
    /// Written as two batches, links first and then items, each atomic: a crash between them
    /// leaves links to keys with no item, which the next poll stores again under the same key.
    pub fn upsert_groups(&self, groups: &[&[Item]]) -> Result<Vec<Upsert>, StoreError> {
        self.upsert_extracted(groups, &[])
    }

    /// `upsert_groups`, with the comparable form of each item's link already worked out:
    /// `alike[g][i]` is `extract::link::comparable(&groups[g][i].link)` (as `Extracted::alike`
    /// holds it), and a group with none there has them worked out here.
    pub fn upsert_extracted(
        &self,
        groups: &[&[Item]],
        alike: &[&[Option<String>]],
    ) -> Result<Vec<Upsert>, StoreError> {
        let _writing = self
            .writing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut staged = Staged::default();
        let reports = self.stage_upsert(&mut staged, groups, alike)?;
        self.apply_in_order(staged)?;
        // Posts stored published (added by hand), moved on to the archive.
        if !self.items.is_empty() {
            self.archive_kept()?;
        }
        Ok(reports)
    }

    /// `upsert_groups`'s writes, gathered in `staged` rather than applied.
    fn stage_upsert<'g>(
        &self,
        staged: &mut Staged,
        groups: &[&'g [Item]],
        alike: &[&[Option<String>]],
    ) -> Result<Vec<Upsert>, StoreError> {
        // New items are written as they came, uncopied; merged ones are made here.
        let mut pending_items: HashMap<String, Cow<'g, Item>> = HashMap::new();
        let mut pending_links: HashMap<LinkKey, String> = HashMap::new();
        let mut reports = Vec::with_capacity(groups.len());
        let mut new_by_source: BTreeMap<&str, u64> = BTreeMap::new();
        let filter = self.key_filter()?;
        // Most stores hold no link as written (only links no comparable form exists for): then
        // a new post's link is not looked up there (20,000 reads fewer in a cold poll).
        let exact_links = !self.links.is_empty();
        for (g, group) in groups.iter().enumerate() {
            let mut report = Upsert::default();
            let known = alike.get(g).copied().unwrap_or_default();
            debug_assert!(known.is_empty() || known.len() == group.len());
            for (i, incoming) in group.iter().enumerate() {
                let link = match known.get(i) {
                    Some(alike) => LinkKey::known(&incoming.link, alike.clone()),
                    None => LinkKey::of(&incoming.link),
                };
                let Some(old) = self.lookup(
                    incoming,
                    &link,
                    &pending_items,
                    &pending_links,
                    &filter,
                    exact_links,
                )?
                else {
                    pending_links.insert(link, incoming.key.clone());
                    pending_items.insert(incoming.key.clone(), Cow::Borrowed(incoming));
                    *new_by_source.entry(incoming.source.as_str()).or_default() += 1;
                    report.new += 1;
                    continue;
                };
                if old.link != incoming.link {
                    pending_links.insert(link, old.key.clone());
                }
                if old.state != ItemState::Unseen {
                    report.unchanged += 1;
                    continue;
                }
                let mut merged = old.clone();
                merged.title.clone_from(&incoming.title);
                merged.author.clone_from(&incoming.author);
                merged.summary.clone_from(&incoming.summary);
                merged.categories.clone_from(&incoming.categories);
                // An entry without a date of its own is dated when first seen: keep that date.
                if incoming.published != incoming.first_seen {
                    merged.published = incoming.published;
                }
                if merged == old {
                    report.unchanged += 1;
                } else {
                    pending_items.insert(old.key.clone(), Cow::Owned(merged));
                    report.updated += 1;
                }
            }
            reports.push(report);
        }
        for (link, key) in &pending_links {
            match link {
                LinkKey::Alike(c) => staged.alike.insert(c, key),
                LinkKey::Exact(l) => staged.links.insert(l, key),
            }
        }
        // New items are in neither tree, merged ones unseen and in `inbox`: nothing moves.
        for item in pending_items.values() {
            stage_stored(staged, item);
        }
        self.stage_counts(staged, &new_by_source)?;
        Ok(reports)
    }

    /// The stored (or about to be stored) item that `incoming` is: by key, else by link.
    fn lookup(
        &self,
        incoming: &Item,
        link: &LinkKey,
        pending_items: &HashMap<String, Cow<'_, Item>>,
        pending_links: &HashMap<LinkKey, String>,
        filter: &KeyFilter,
        exact_links: bool,
    ) -> Result<Option<Item>, StoreError> {
        let pending = |key: &str| pending_items.get(key).map(|i| i.as_ref().clone());
        // By key: `items` is read only when its filter says the key may be there.
        if let Some(item) = pending(&incoming.key) {
            return Ok(Some(item));
        }
        if let Some(item) = self.stored(&incoming.key, Some(filter))? {
            return Ok(Some(item));
        }
        let key = match pending_links.get(link) {
            Some(k) => Some(k.clone()),
            None => self.key_for(&incoming.link, link, exact_links)?,
        };
        match key {
            Some(k) => match pending(&k) {
                Some(item) => Ok(Some(item)),
                None => self.item(&k),
            },
            None => Ok(None),
        }
    }

    pub fn item(&self, key: &str) -> Result<Option<Item>, StoreError> {
        self.stored(key, None)
    }

    /// The item stored under `key`: in `inbox`, else in `items`, else in the archive, which is
    /// read (and opened) only when the filter (`filter`, or the store's) says the key may be
    /// there.
    fn stored(&self, key: &str, filter: Option<&KeyFilter>) -> Result<Option<Item>, StoreError> {
        let key = key.as_bytes();
        if let Some(v) = self.inbox.get(key).map_err(|e| self.io(e))? {
            return Ok(Some(self.decode_item("inbox", &v)?));
        }
        let maybe = match filter {
            Some(f) => f.may_contain(key),
            None => self.key_filter()?.may_contain(key),
        };
        if !maybe {
            return Ok(None);
        }
        if let Some(v) = self.items.get(key).map_err(|e| self.io(e))? {
            return Ok(Some(self.decode_item("items", &v)?));
        }
        let Some(archive) = self.archive_if_any()? else {
            return Ok(None);
        };
        match archive.items.get(key).map_err(|e| self.io(e))? {
            Some(v) => Ok(Some(self.decode_item("archive", &v)?)),
            None => Ok(None),
        }
    }

    /// The key stored for `link`: as written, else in comparable form (http or https, a
    /// trailing slash, tracking parameters: an item an editor added by hand is found again when
    /// its feed delivers it).
    pub fn key_for_link(&self, link: &str) -> Result<Option<String>, StoreError> {
        self.key_for(link, &LinkKey::of(link), true)
    }

    /// `key_for_link`, its comparable form already worked out; the links as written are read
    /// only when `exact_links` says there are any.
    fn key_for(
        &self,
        link: &str,
        key: &LinkKey,
        exact_links: bool,
    ) -> Result<Option<String>, StoreError> {
        let exact = if exact_links {
            self.links.get(link.as_bytes()).map_err(|e| self.io(e))?
        } else {
            None
        };
        let found = match exact {
            Some(k) => Some(k),
            None => match key {
                LinkKey::Alike(c) => self.alike.get(c.as_bytes()).map_err(|e| self.io(e))?,
                LinkKey::Exact(_) => None,
            },
        };
        let found = match found {
            Some(k) => Some(k),
            None => self.archived_key_for(link, key)?,
        };
        Ok(found.map(|k| String::from_utf8_lossy(&k).into_owned()))
    }

    /// Finds an item by its key or by its link (in any comparable form).
    pub fn find_item(&self, key_or_link: &str) -> Result<Option<Item>, StoreError> {
        if let Some(item) = self.item(key_or_link)? {
            return Ok(Some(item));
        }
        match self.key_for_link(key_or_link)? {
            Some(k) => self.item(&k),
            None => Ok(None),
        }
    }

    /// Up to `limit` keys that start with `prefix`, in key order.
    pub fn keys_with_prefix(&self, prefix: &str, limit: usize) -> Result<Vec<String>, StoreError> {
        let mut keys = Vec::new();
        let archive = self.archive_if_any()?;
        let mut trees = vec![&self.inbox, &self.items];
        trees.extend(archive.as_ref().map(|a| &a.items));
        for tree in trees {
            for k in tree.scan_prefix(prefix.as_bytes()).keys().take(limit) {
                let k = k.map_err(|e| self.io(e))?;
                keys.push(String::from_utf8_lossy(&k).into_owned());
            }
        }
        keys.sort_unstable();
        keys.dedup();
        keys.truncate(limit);
        Ok(keys)
    }

    /// Replaces stored items (state changes by skip and unskip) in one transaction.
    pub fn put_items(&self, items: &[Item]) -> Result<(), StoreError> {
        let _writing = self
            .writing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        self.unarchive(items)?;
        let mut staged = Staged::default();
        stage_items(&mut staged, &items.iter().collect::<Vec<_>>());
        self.apply_atomically(staged)?;
        self.archive_kept()
    }

    /// What `publish` records, all at once: the items it changed, the posts added by hand
    /// (stored as `upsert_items` would), the draft's record and where the next window starts.
    /// One sled transaction: after a crash, the publish happened or it did not.
    pub fn record_publication(
        &self,
        changed: &[Item],
        by_hand: &[Item],
        draft: Option<(&str, &impl Serialize)>,
        meta: Option<(Meta, &impl Serialize)>,
    ) -> Result<(), StoreError> {
        let _writing = self
            .writing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        self.unarchive(changed)?;
        let mut staged = Staged::default();
        self.stage_upsert(&mut staged, &[by_hand], &[])?;
        stage_items(&mut staged, &changed.iter().collect::<Vec<_>>());
        if let Some((id, record)) = draft {
            staged.drafts.insert(id.as_bytes(), to_json(record));
        }
        if let Some((which, value)) = meta {
            staged.meta.insert(which.key().as_bytes(), to_json(value));
        }
        self.apply_atomically(staged)?;
        self.archive_kept()
    }

    /// The date of the newest post of each source name, in one read of every item: for stores
    /// made before the source states kept it (`health::check` writes it back).
    pub fn newest_post_by_source(
        &self,
    ) -> Result<HashMap<String, chrono::DateTime<chrono::Utc>>, StoreError> {
        let mut newest: HashMap<String, chrono::DateTime<chrono::Utc>> = HashMap::new();
        for item in self.items()? {
            let t = newest.entry(item.source).or_insert(item.published);
            *t = (*t).max(item.published);
        }
        Ok(newest)
    }

    /// How many items each source name has brought, in all states.
    pub fn item_counts(&self) -> Result<HashMap<String, usize>, StoreError> {
        self.counts
            .iter()
            .map(|r| {
                let (k, v) = r.map_err(|e| self.io(e))?;
                Ok((
                    String::from_utf8_lossy(&k).into_owned(),
                    count_of(&v) as usize,
                ))
            })
            .collect()
    }

    fn stage_counts(
        &self,
        staged: &mut Staged,
        new_by_source: &BTreeMap<&str, u64>,
    ) -> Result<(), StoreError> {
        for (name, n) in new_by_source {
            let old = self.counts.get(name.as_bytes()).map_err(|e| self.io(e))?;
            let total = old.map_or(0, |v| count_of(&v)) + n;
            staged.counts.insert(name.as_bytes(), total.to_be_bytes());
        }
        Ok(())
    }

    /// Moves the unseen items of a store made before `inbox` there, and builds the `counts` of
    /// a store made before them: once each, on opening.
    pub(super) fn build_indexes(&self) -> Result<(), StoreError> {
        const BUILT: &str = "indexes_built";
        let counted = self.meta_at::<bool>(BUILT)?.unwrap_or(false);
        self.move_unseen_to_inbox(counted)?;
        if counted {
            return Ok(());
        }
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        for item in self.items()? {
            *counts.entry(item.source).or_default() += 1;
        }
        let mut batch = Writes::default();
        for (name, n) in &counts {
            batch.insert(name.as_bytes(), n.to_be_bytes());
        }
        self.apply(&self.counts, batch)?;
        self.put_meta_at(BUILT, &true)
    }

    /// The move into `inbox` of a store made before it: the unseen items its `unseen` index
    /// names (`indexed`: the index was built; else every item is read), each moved in a
    /// transaction of a few thousand, so that a crash leaves each where it was or where it
    /// goes, and the next open goes on. The old index is dropped after.
    fn move_unseen_to_inbox(&self, indexed: bool) -> Result<(), StoreError> {
        const MOVED: &str = "inbox_built";
        if self.meta_at::<bool>(MOVED)?.unwrap_or(false) {
            return Ok(());
        }
        let keys: Vec<sled::IVec> = match indexed && !self.items.is_empty() {
            true => {
                let index = self.db.open_tree("unseen").map_err(|e| self.io(e))?;
                index.iter().keys().collect::<Result<_, _>>()
            }
            false => self.items.iter().keys().collect::<Result<_, _>>(),
        }
        .map_err(|e| self.io(e))?;
        for chunk in keys.chunks(5000) {
            let mut staged = Staged::default();
            for key in chunk {
                let Some(v) = self.items.get(key).map_err(|e| self.io(e))? else {
                    continue;
                };
                let item: Item = self.decode_item("items", &v)?;
                if item.state == ItemState::Unseen {
                    staged.inbox.insert(key, &v);
                    staged.items.remove(key);
                }
            }
            self.apply_atomically(staged)?;
        }
        self.db.drop_tree("unseen").map_err(|e| self.io(e))?;
        self.put_meta_at(MOVED, &true)
    }
}

/// How a link is indexed: its comparable form in `alike` when it is an http(s) URL (worked
/// out once per item: it parses the URL twice), else as written in `links`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum LinkKey {
    Alike(String),
    Exact(String),
}

impl LinkKey {
    pub(super) fn of(link: &str) -> LinkKey {
        LinkKey::known(link, comparable(link))
    }

    /// The key of `link`, its comparable form `alike` already worked out.
    fn known(link: &str, alike: Option<String>) -> LinkKey {
        match alike {
            Some(c) => LinkKey::Alike(c),
            None => LinkKey::Exact(link.to_owned()),
        }
    }
}

/// A count as `counts` keeps it: eight big-endian bytes.
fn count_of(bytes: &[u8]) -> u64 {
    bytes.try_into().map(u64::from_be_bytes).unwrap_or(0)
}
