//! The sled store and the only code that touches it. Trees:
//! `items` (key -> Item), `links` (canonical link -> key), `alike` (the comparable form of a
//! link, see `extract::link::comparable` -> key), `sources` (name -> SourceState),
//! `codes` (short code -> URL), `urls` (URL -> short code), `drafts` (draft id -> record),
//! `meta` (counters, the window, which draft a file holds).
//! Values are JSON. Writes that belong together go in one transaction; every command that
//! changes something flushes before it returns.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{de::DeserializeOwned, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};

use crate::extract::link::comparable;
use crate::item::{Item, ItemState};
use crate::source::SourceState;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the store {path} is in use by another roundup process (the daemon?); run the command through it, or stop it first")]
    Locked { path: PathBuf },
    #[error("cannot open the store {path}: {}", sled_message(.cause))]
    Open { path: PathBuf, cause: sled::Error },
    #[error("store {path}: {}", sled_message(.cause))]
    Io { path: PathBuf, cause: sled::Error },
    #[error("store {path}: corrupt record in {tree}: {message}")]
    Corrupt {
        path: PathBuf,
        tree: &'static str,
        message: String,
    },
    #[error("the short-link alphabet ran out of codes")]
    CodesExhausted,
}

/// A sled error in words a user can act on (sled's own text for a full disk is a debug dump).
fn sled_message(e: &sled::Error) -> String {
    use std::io::ErrorKind;
    match e {
        sled::Error::Io(io) => match io.kind() {
            ErrorKind::StorageFull => "the disk is full: free some space and run it again".into(),
            ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem => format!(
                "{io}: roundup needs to write to its store; run it as the user who owns the store, or point [store] path at a folder you can write"
            ),
            _ => io.to_string(),
        },
        other => other.to_string(),
    }
}

/// What storing one batch of extracted items did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Upsert {
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
}

#[derive(Clone)]
pub struct Store {
    path: PathBuf,
    /// Held by every read-modify-write of items, so a poll and a publish sent through the
    /// daemon never interleave.
    writing: Arc<Mutex<()>>,
    db: sled::Db,
    items: sled::Tree,
    links: sled::Tree,
    alike: sled::Tree,
    drafts: sled::Tree,
    sources: sled::Tree,
    codes: sled::Tree,
    urls: sled::Tree,
    meta: sled::Tree,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

type TxResult<T> = Result<T, ConflictableTransactionError<String>>;

impl Store {
    /// Opens (or creates) the store. A second process gets `StoreError::Locked`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(parent) = path.parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(|e| StoreError::Open {
                    path: path.to_owned(),
                    cause: sled::Error::Io(e),
                })?;
            }
        }
        let db = sled::Config::new().path(path).open().map_err(|e| match e {
            sled::Error::Io(ref io)
                if io.kind() == std::io::ErrorKind::WouldBlock
                    || io.to_string().contains("could not acquire lock") =>
            {
                StoreError::Locked {
                    path: path.to_owned(),
                }
            }
            cause => StoreError::Open {
                path: path.to_owned(),
                cause,
            },
        })?;
        let tree = |name: &str| {
            db.open_tree(name).map_err(|cause| StoreError::Open {
                path: path.to_owned(),
                cause,
            })
        };
        Ok(Store {
            items: tree("items")?,
            links: tree("links")?,
            alike: tree("alike")?,
            drafts: tree("drafts")?,
            sources: tree("sources")?,
            codes: tree("codes")?,
            urls: tree("urls")?,
            meta: tree("meta")?,
            path: path.to_owned(),
            writing: Arc::new(Mutex::new(())),
            db,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self, cause: sled::Error) -> StoreError {
        StoreError::Io {
            path: self.path.clone(),
            cause,
        }
    }

    fn decode<T: DeserializeOwned>(
        &self,
        tree: &'static str,
        bytes: &[u8],
    ) -> Result<T, StoreError> {
        serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
            path: self.path.clone(),
            tree,
            message: e.to_string(),
        })
    }

    /// Forces everything written so far to disk.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush().map(|_| ()).map_err(|e| self.io(e))
    }

    // ----------------------------------------------------------------------------- items

    /// Stores one source's extracted items; see `upsert_groups`.
    pub fn upsert_items(&self, batch: &[Item]) -> Result<Upsert, StoreError> {
        Ok(self.upsert_groups(&[batch])?.pop().unwrap_or_default())
    }

    /// Stores the extracted items of several sources at once, reporting per source. An item
    /// already known (by key, or by canonical link when it arrives through another source)
    /// keeps its key, first-seen time and state; only an unseen item's text is refreshed. A
    /// published or skipped item is never touched: a feed re-dating it does not bring it back.
    ///
    /// Written as two batches, links first and then items, each atomic: a crash between them
    /// leaves links to keys with no item, which the next poll stores again under the same key.
    pub fn upsert_groups(&self, groups: &[&[Item]]) -> Result<Vec<Upsert>, StoreError> {
        let _writing = self
            .writing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut pending_items: HashMap<String, Item> = HashMap::new();
        let mut pending_links: HashMap<String, String> = HashMap::new();
        let mut reports = Vec::with_capacity(groups.len());
        for group in groups {
            let mut report = Upsert::default();
            for incoming in group.iter() {
                let Some(old) = self.lookup(incoming, &pending_items, &pending_links)? else {
                    pending_links.insert(incoming.link.clone(), incoming.key.clone());
                    pending_items.insert(incoming.key.clone(), incoming.clone());
                    report.new += 1;
                    continue;
                };
                if old.link != incoming.link {
                    pending_links.insert(incoming.link.clone(), old.key.clone());
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
                    pending_items.insert(old.key.clone(), merged);
                    report.updated += 1;
                }
            }
            reports.push(report);
        }
        let mut links = sled::Batch::default();
        let mut alike = sled::Batch::default();
        for (link, key) in &pending_links {
            links.insert(link.as_bytes(), key.as_bytes());
            if let Some(c) = comparable(link) {
                alike.insert(c.as_bytes(), key.as_bytes());
            }
        }
        let mut items = sled::Batch::default();
        for (key, item) in &pending_items {
            items.insert(key.as_bytes(), to_json(item));
        }
        self.links.apply_batch(links).map_err(|e| self.io(e))?;
        self.alike.apply_batch(alike).map_err(|e| self.io(e))?;
        self.items.apply_batch(items).map_err(|e| self.io(e))?;
        Ok(reports)
    }

    /// The stored (or about to be stored) item that `incoming` is: by key, else by link.
    fn lookup(
        &self,
        incoming: &Item,
        pending_items: &HashMap<String, Item>,
        pending_links: &HashMap<String, String>,
    ) -> Result<Option<Item>, StoreError> {
        let by_key = |key: &str| -> Result<Option<Item>, StoreError> {
            if let Some(item) = pending_items.get(key) {
                return Ok(Some(item.clone()));
            }
            self.item(key)
        };
        if let Some(item) = by_key(&incoming.key)? {
            return Ok(Some(item));
        }
        let key = match pending_links.get(&incoming.link) {
            Some(k) => Some(k.clone()),
            None => self.key_for_link(&incoming.link)?,
        };
        match key {
            Some(k) => by_key(&k),
            None => Ok(None),
        }
    }

    pub fn item(&self, key: &str) -> Result<Option<Item>, StoreError> {
        match self.items.get(key.as_bytes()).map_err(|e| self.io(e))? {
            Some(v) => Ok(Some(self.decode("items", &v)?)),
            None => Ok(None),
        }
    }

    /// The key stored for `link`: as written, else in comparable form (http or https, a
    /// trailing slash, tracking parameters: an item an editor added by hand is found again when
    /// its feed delivers it).
    pub fn key_for_link(&self, link: &str) -> Result<Option<String>, StoreError> {
        let found = match self.links.get(link.as_bytes()).map_err(|e| self.io(e))? {
            Some(k) => Some(k),
            None => match comparable(link) {
                Some(c) => self.alike.get(c.as_bytes()).map_err(|e| self.io(e))?,
                None => None,
            },
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
        self.items
            .scan_prefix(prefix.as_bytes())
            .keys()
            .take(limit)
            .map(|k| {
                k.map(|k| String::from_utf8_lossy(&k).into_owned())
                    .map_err(|e| self.io(e))
            })
            .collect()
    }

    /// Every item, in key order.
    pub fn items(&self) -> Result<Vec<Item>, StoreError> {
        self.items
            .iter()
            .map(|r| {
                let (_, v) = r.map_err(|e| self.io(e))?;
                self.decode("items", &v)
            })
            .collect()
    }

    /// Replaces stored items (state changes by draft, publish, skip) in one batch.
    pub fn put_items(&self, items: &[Item]) -> Result<(), StoreError> {
        let _writing = self
            .writing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut batch = sled::Batch::default();
        for item in items {
            batch.insert(item.key.as_bytes(), to_json(item));
        }
        self.items.apply_batch(batch).map_err(|e| self.io(e))
    }

    // ----------------------------------------------------------------------------- sources

    /// The state of the source `id` (`Source::id`: two sources may share a display name).
    /// Stores before that kept it under the source's `name`: read there too.
    pub fn source_state(&self, id: &str, name: &str) -> Result<SourceState, StoreError> {
        for key in [id, name] {
            if let Some(v) = self.sources.get(key.as_bytes()).map_err(|e| self.io(e))? {
                return self.decode("sources", &v);
            }
        }
        Ok(SourceState::default())
    }

    /// Several sources' states in one batch, each under its `Source::id`.
    pub fn put_source_states(&self, states: &[(&str, SourceState)]) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for (id, state) in states {
            batch.insert(id.as_bytes(), to_json(state));
        }
        self.sources.apply_batch(batch).map_err(|e| self.io(e))
    }

    // ----------------------------------------------------------------------------- short links

    /// The code already issued for `url`, if any.
    pub fn code_for(&self, url: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .urls
            .get(url.as_bytes())
            .map_err(|e| self.io(e))?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// The URL a code was issued for, if it was.
    pub fn target_of(&self, code: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .codes
            .get(code.as_bytes())
            .map_err(|e| self.io(e))?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// The code for `url`: the one issued before, or the next free one in the sequence
    /// `next(alphabet, previous)` starting at `start`. Atomic: two URLs never share a code.
    pub fn issue_code(&self, url: &str, alphabet: &str, start: &str) -> Result<String, StoreError> {
        let result = (&self.codes, &self.urls, &self.meta).transaction(
            |(codes, urls, meta)| -> TxResult<Option<String>> {
                if let Some(code) = urls.get(url.as_bytes())? {
                    return Ok(Some(String::from_utf8_lossy(&code).into_owned()));
                }
                let mut candidate = match meta.get(b"next_code")? {
                    Some(v) => String::from_utf8_lossy(&v).into_owned(),
                    None => start.to_owned(),
                };
                // Skip codes already taken (a start moved backwards, or codes imported by hand).
                let mut tries = 0;
                while codes.get(candidate.as_bytes())?.is_some() {
                    candidate = crate::shorten::next_code(alphabet, &candidate);
                    tries += 1;
                    if tries > 1_000_000 {
                        return Ok(None);
                    }
                }
                codes.insert(candidate.as_bytes(), url.as_bytes())?;
                urls.insert(url.as_bytes(), candidate.as_bytes())?;
                meta.insert(
                    b"next_code",
                    crate::shorten::next_code(alphabet, &candidate).as_bytes(),
                )?;
                Ok(Some(candidate))
            },
        );
        match result {
            Ok(Some(code)) => Ok(code),
            Ok(None) => Err(StoreError::CodesExhausted),
            Err(TransactionError::Abort(message)) => Err(StoreError::Corrupt {
                path: self.path.clone(),
                tree: "codes",
                message,
            }),
            Err(TransactionError::Storage(e)) => Err(self.io(e)),
        }
    }

    // ----------------------------------------------------------------------------- drafts

    /// Stores a draft's record under `id`; `file`, when given, now holds that draft.
    pub fn put_draft<T: Serialize>(
        &self,
        id: &str,
        file: Option<&Path>,
        record: &T,
    ) -> Result<(), StoreError> {
        self.drafts
            .insert(id.as_bytes(), to_json(record))
            .map_err(|e| self.io(e))?;
        if let Some(file) = file {
            self.meta
                .insert(file_key(file).as_bytes(), id.as_bytes())
                .map_err(|e| self.io(e))?;
        }
        Ok(())
    }

    pub fn draft<T: DeserializeOwned>(&self, id: &str) -> Result<Option<T>, StoreError> {
        match self.drafts.get(id.as_bytes()).map_err(|e| self.io(e))? {
            Some(v) => Ok(Some(self.decode("drafts", &v)?)),
            None => Ok(None),
        }
    }

    /// The id of the draft last written to `file`.
    pub fn draft_id_for_file(&self, file: &Path) -> Result<Option<String>, StoreError> {
        Ok(self
            .meta
            .get(file_key(file).as_bytes())
            .map_err(|e| self.io(e))?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// Every draft record, in id order.
    pub fn drafts<T: DeserializeOwned>(&self) -> Result<Vec<T>, StoreError> {
        self.drafts
            .iter()
            .map(|r| {
                let (_, v) = r.map_err(|e| self.io(e))?;
                self.decode("drafts", &v)
            })
            .collect()
    }

    // ----------------------------------------------------------------------------- meta

    pub fn meta<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        match self.meta.get(key.as_bytes()).map_err(|e| self.io(e))? {
            Some(v) => Ok(Some(self.decode("meta", &v)?)),
            None => Ok(None),
        }
    }

    pub fn put_meta<T: Serialize>(&self, key: &str, value: &T) -> Result<(), StoreError> {
        self.meta
            .insert(key.as_bytes(), to_json(value))
            .map(|_| ())
            .map_err(|e| self.io(e))
    }
}

/// The meta key of the draft a file holds.
fn file_key(file: &Path) -> String {
    format!("draft-file:{}", file.display())
}

fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("store records are plain data and always serialize")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn item(key: &str, link: &str) -> Item {
        let t = Utc.with_ymd_and_hms(2016, 5, 1, 10, 0, 0).unwrap();
        Item {
            key: key.into(),
            source: "A".into(),
            link: link.into(),
            title: "T".into(),
            author: "Au".into(),
            summary: "S".into(),
            published: t,
            first_seen: t,
            categories: vec![],
            state: ItemState::Unseen,
            roundup: None,
            returned: None,
        }
    }

    #[test]
    fn a_full_disk_or_a_store_it_may_not_write_is_said_in_words() {
        let full = sled::Error::Io(std::io::Error::from(std::io::ErrorKind::StorageFull));
        let msg = StoreError::Io {
            path: "state/db".into(),
            cause: full,
        }
        .to_string();
        assert_eq!(
            msg,
            "store state/db: the disk is full: free some space and run it again"
        );
        let denied = sled::Error::Io(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        let msg = StoreError::Open {
            path: "state/db".into(),
            cause: denied,
        }
        .to_string();
        assert!(
            msg.contains("run it as the user who owns the store"),
            "{msg}"
        );
    }

    #[test]
    fn second_open_is_reported_plainly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let _first = Store::open(&path).unwrap();
        let err = Store::open(&path).unwrap_err();
        assert!(matches!(err, StoreError::Locked { .. }), "{err}");
        assert!(err
            .to_string()
            .contains("in use by another roundup process"));
    }

    #[test]
    fn same_post_through_two_sources_is_one_item() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let r = store.upsert_items(&[item("k1", "https://a/p")]).unwrap();
        assert_eq!(r.new, 1);
        let mut other = item("k2", "https://a/p");
        other.source = "Planet".into();
        let r = store.upsert_items(&[other]).unwrap();
        assert_eq!((r.new, r.unchanged), (0, 1));
        assert_eq!(store.items().unwrap().len(), 1);
        assert_eq!(store.find_item("https://a/p").unwrap().unwrap().key, "k1");
    }

    #[test]
    fn published_items_are_never_touched() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let mut it = item("k1", "https://a/p");
        store.upsert_items(std::slice::from_ref(&it)).unwrap();
        it.state = ItemState::Published;
        store.put_items(std::slice::from_ref(&it)).unwrap();
        let mut redated = item("k1", "https://a/p");
        redated.published = Utc.with_ymd_and_hms(2017, 1, 1, 0, 0, 0).unwrap();
        redated.title = "New title".into();
        store.upsert_items(&[redated]).unwrap();
        let stored = store.item("k1").unwrap().unwrap();
        assert_eq!(stored.state, ItemState::Published);
        assert_eq!(stored.title, "T");
    }

    #[test]
    fn an_item_is_found_by_any_form_of_its_link_and_by_key_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        store
            .upsert_items(&[
                item("abc1", "https://a.example/p/"),
                item("abd2", "https://a.example/q"),
            ])
            .unwrap();
        let key = |l: &str| store.find_item(l).unwrap().map(|i| i.key);
        assert_eq!(key("http://a.example/p").as_deref(), Some("abc1"));
        assert_eq!(
            key("https://www.a.example/p/?utm_source=x").as_deref(),
            Some("abc1")
        );
        assert_eq!(key("https://a.example/r"), None);
        assert_eq!(store.keys_with_prefix("ab", 5).unwrap(), ["abc1", "abd2"]);
        assert_eq!(store.keys_with_prefix("abc", 5).unwrap(), ["abc1"]);
        // The same post from a feed, by http instead of https, is the stored item.
        let r = store
            .upsert_items(&[item("feed-guid", "http://a.example/p")])
            .unwrap();
        assert_eq!((r.new, r.unchanged), (0, 1));
    }

    #[test]
    fn codes_are_sequential_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let a = "0123456789abcdefghijklmnopqrstuvwxyz";
        assert_eq!(store.issue_code("https://x/1", a, "6e").unwrap(), "6e");
        assert_eq!(store.issue_code("https://x/2", a, "6e").unwrap(), "6f");
        assert_eq!(store.issue_code("https://x/1", a, "6e").unwrap(), "6e");
        assert_eq!(
            store.target_of("6f").unwrap().as_deref(),
            Some("https://x/2")
        );
        assert_eq!(store.target_of("6g").unwrap(), None);
    }

    #[test]
    fn one_post_twice_in_one_batch_is_stored_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let a = [item("k1", "https://a/p"), item("k1", "https://a/p")];
        let mut b = [item("k2", "https://a/p"), item("k3", "https://a/q")];
        for i in &mut b {
            i.source = "Planet".into();
        }
        let reports = store.upsert_groups(&[&a, &b]).unwrap();
        assert_eq!((reports[0].new, reports[0].unchanged), (1, 1));
        assert_eq!((reports[1].new, reports[1].unchanged), (1, 1));
        assert_eq!(store.items().unwrap().len(), 2);
        assert_eq!(store.find_item("https://a/p").unwrap().unwrap().source, "A");
    }

    #[test]
    fn a_link_without_its_item_after_a_crash_is_stored_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        // As if a crash came between the links batch and the items batch.
        store.links.insert(b"https://a/p", b"k1").unwrap();
        let r = store.upsert_items(&[item("k1", "https://a/p")]).unwrap();
        assert_eq!(r.new, 1);
        assert_eq!(store.item("k1").unwrap().unwrap().link, "https://a/p");
    }
}
