//! The sled store and the only code that touches it. Trees:
//! `inbox` (key -> Item, for the unseen items), `items` (key -> Item, for the published and
//! skipped ones until the command that wrote them moves them on to the archive, a store of
//! their own: see `archive`; a poll's new posts never land among them), `counts`
//! (source name -> how many items it brought), `alike` (the comparable form of an http(s)
//! link, see `extract::link::comparable` -> key), `links` (any other link as written -> key),
//! `sources` (name -> SourceState),
//! `codes` (short code -> URL), `urls` (URL -> short code), `clicks` (short code -> redirects
//! served), `drafts` (draft id -> record),
//! `meta` (counters, the window, which draft a file holds).
//! Items are in the layout of `record`; other values are JSON. Writes that belong together go
//! in one transaction; every command that changes something flushes before it returns.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::{de::DeserializeOwned, Serialize};

use crate::item::Item;

mod archive;
mod codes;
mod compact;
mod drafts;
mod filter;
mod items;
mod meta;
mod reading;
mod record;
mod sources;

pub use codes::next_code;
pub use items::Upsert;
pub use meta::Meta;
pub use sources::{SourceState, Status};

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

/// Opens the sled store in the folder `path`. One this process has just closed can still be
/// locked a moment by sled's background threads (a write to the log in flight): a lock held is
/// tried again for up to 0.2 s before it is reported.
fn open_sled(path: &Path) -> Result<sled::Db, StoreError> {
    let mut tries = 0;
    loop {
        match open_sled_once(path) {
            Err(StoreError::Locked { .. }) if tries < 50 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(4));
            }
            opened => return opened,
        }
    }
}

fn open_sled_once(path: &Path) -> Result<sled::Db, StoreError> {
    // sled 0.34 reports a held lock as an `Other` I/O error whose text is the only sign of it
    // (sled/src/config.rs); `WouldBlock` is what the lock call itself gives.
    sled::Config::new()
        .path(path)
        .cache_capacity(CACHE_BYTES)
        .open()
        .map_err(|e| match e {
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
        })
}

/// Opens the sled store in the folder `path`, after removing a snapshot a killed process left
/// unfinished if sled refuses it for one.
fn open_store_folder(path: &Path) -> Result<sled::Db, StoreError> {
    match open_sled(path) {
        Err(StoreError::Open {
            cause: sled::Error::Corruption { .. },
            ..
        }) if remove_unfinished_snapshots(path) > 0 => open_sled(path),
        opened => opened,
    }
}

/// Removes the `snap.*.generating` files of `path`, and says how many there were. sled 0.34
/// writes its snapshot to such a file when it opens a store, then renames it; a process killed
/// in between leaves it, and sled then reads it as the newest snapshot and reports the store
/// corrupt (spacejam/sled#1527). It is only ever half a snapshot: sled rebuilds it from its log.
/// Called after sled refused the store as corrupt, having held its lock.
fn remove_unfinished_snapshots(path: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("snap.")
            && name.ends_with(".generating")
            && std::fs::remove_file(entry.path()).is_ok()
        {
            tracing::warn!(store = %path.display(), file = %name, "removed a snapshot a stopped process left unfinished");
            removed += 1;
        }
    }
    removed
}

/// What sled may keep of the store in memory (its default is 1 GiB): a daemon running for
/// years stays this size; a poll or a draft reads what it needs from the OS's file cache.
const CACHE_BYTES: u64 = 32 << 20;

/// Bytes a process writes to a sled store before it settles it on ending (see `Store::settle`).
const SETTLE_AFTER: u64 = 8 << 20;

#[derive(Clone)]
pub struct Store {
    path: PathBuf,
    /// Held by every read-modify-write of items, so a poll and a publish sent through the
    /// daemon never interleave.
    writing: Arc<Mutex<()>>,
    db: sled::Db,
    items: sled::Tree,
    /// The unseen items: what a draft selects from and where a poll's new posts go, a tree
    /// apart from the published and skipped ones (`items`), which only grow by a publish or a
    /// skip (see `items`).
    inbox: sled::Tree,
    /// A Bloom filter of the keys in `items` (see `filter`), and the copy read of it.
    filter: sled::Tree,
    key_filter: Arc<Mutex<Option<Arc<filter::KeyFilter>>>>,
    /// How many items each source name has brought (`sources` shows it without reading them).
    counts: sled::Tree,
    links: sled::Tree,
    alike: sled::Tree,
    drafts: sled::Tree,
    sources: sled::Tree,
    codes: sled::Tree,
    urls: sled::Tree,
    /// Short code -> redirects served (u64, big-endian), added to in batches by the daemon.
    clicks: sled::Tree,
    meta: sled::Tree,
    /// The published and skipped items, once this process has opened them (see `archive`).
    archive: Arc<Mutex<Option<Arc<archive::Archive>>>>,
    /// Whether the store has an archive: all do but an older one being adopted.
    archived: bool,
    /// Bytes written to `live` and to the archive by this process (see `settle`).
    written: Arc<[AtomicU64; 2]>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

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
        let store = Store::over(path, open_store_folder(&path.join(archive::LIVE))?, true)?;
        compact::clear_leftover(path);
        store.adopt_older_store()?;
        store.build_indexes()?;
        // Published or skipped items a command stopped before archiving.
        if !store.items.is_empty() {
            let _writing = store
                .writing
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            store.archive_kept()?;
        }
        Ok(store)
    }

    /// The store whose trees are those of `db`; its archive is the sled store at `path` when
    /// `archived` (else it has none: a store of the layout before the archive, being adopted).
    fn over(path: &Path, db: sled::Db, archived: bool) -> Result<Store, StoreError> {
        let tree = |name: &str| {
            db.open_tree(name).map_err(|cause| StoreError::Open {
                path: path.to_owned(),
                cause,
            })
        };
        Ok(Store {
            items: tree("items")?,
            inbox: tree("inbox")?,
            filter: tree("filter")?,
            key_filter: Arc::new(Mutex::new(None)),
            counts: tree("counts")?,
            links: tree("links")?,
            alike: tree("alike")?,
            drafts: tree("drafts")?,
            sources: tree("sources")?,
            codes: tree("codes")?,
            urls: tree("urls")?,
            clicks: tree("clicks")?,
            meta: tree("meta")?,
            path: path.to_owned(),
            writing: Arc::new(Mutex::new(())),
            archive: Arc::new(Mutex::new(None)),
            archived,
            written: Arc::new([AtomicU64::new(0), AtomicU64::new(0)]),
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
        serde_json::from_slice(bytes).map_err(|e| self.corrupt(tree, e.to_string()))
    }

    /// An item as `inbox` and `items` hold it (`record`).
    fn decode_item(&self, tree: &'static str, bytes: &[u8]) -> Result<Item, StoreError> {
        record::decode(bytes).map_err(|message| self.corrupt(tree, message))
    }

    /// What `tree` holds cannot be read: `message` says why.
    fn corrupt(&self, tree: &'static str, message: String) -> StoreError {
        StoreError::Corrupt {
            path: self.path.clone(),
            tree,
            message,
        }
    }

    /// Applies `writes` to `tree` as one atomic batch; nothing at all when there are none
    /// (sled seals and writes its log buffer for every batch, even an empty one).
    fn apply(&self, tree: &sled::Tree, writes: Writes) -> Result<(), StoreError> {
        if writes.len == 0 {
            return Ok(());
        }
        self.wrote(false, writes.bytes);
        tree.apply_batch(writes.batch).map_err(|e| self.io(e))
    }

    /// Counts `bytes` written to `live`, or to the archive.
    fn wrote(&self, archive: bool, bytes: u64) {
        self.written[usize::from(archive)].fetch_add(bytes, Ordering::Relaxed);
    }

    /// Settles a store this process wrote much to, for the next command to open: sled 0.34
    /// brings a store's snapshot up to date only when it opens it, reading back every message
    /// of its log since the last one (30 MB after a cold poll of 1000 feeds: a third of the
    /// next command's time). Each of the two sled stores this process wrote more than
    /// `SETTLE_AFTER` to is opened once more, now, and let go; the others are left as they
    /// are; after much moved on to the archive, `live` is copied afresh instead (`compact`).
    /// Takes the store (its last copy) to close it first: sled lets one handle hold it.
    /// Best effort: a store that cannot be opened again now is settled by the next command.
    /// For a process about to end: what is not closed is not torn down (sled's teardown walks
    /// every page it holds), and stays open until the process ends.
    pub fn settle(self) {
        let written = [0, 1].map(|i| self.written[i].load(Ordering::Relaxed));
        if written.iter().all(|&w| w <= SETTLE_AFTER) {
            // Not torn down either (see below).
            std::mem::forget(self);
            return;
        }
        let [to_live, to_archive] = written.map(|w| w > SETTLE_AFTER);
        let path = self.path.clone();
        drop(self);
        // What is opened again is not torn down (walking its pages): the process is about to
        // end. Much moved on to the archive: `live` is copied afresh, its free space left out.
        if to_archive {
            if let Ok(db) = open_sled(&path.join(archive::LIVE)) {
                if let Err(e) = compact::compact_live(&path, db) {
                    tracing::warn!("could not compact the store: {e}");
                }
            }
            if let Ok(db) = open_sled(&path) {
                std::mem::forget(db);
            }
        } else if to_live {
            if let Ok(db) = open_sled(&path.join(archive::LIVE)) {
                std::mem::forget(db);
            }
        }
    }

    /// Applies `staged` batch by batch, in the order that keeps the store readable after a
    /// crash between any two: link indexes, then the items, the counts, the drafts and the
    /// meta keys. Only for writes that move no item between `inbox` and `items` (a crash
    /// between the two would leave it in both, or in neither): those go `apply_atomically`.
    fn apply_in_order(&self, staged: Staged) -> Result<(), StoreError> {
        let Staged {
            links,
            alike,
            inbox,
            items,
            counts,
            drafts,
            meta,
            filter_keys,
        } = staged;
        // The filter first: it must hold every key in `items` (see `filter`).
        if let Some((f, writes)) = self.filter_with(&filter_keys)? {
            self.apply(&self.filter, writes)?;
            self.filter_written(f);
        }
        self.apply(&self.links, links)?;
        self.apply(&self.alike, alike)?;
        self.apply(&self.inbox, inbox)?;
        self.apply(&self.items, items)?;
        self.apply(&self.counts, counts)?;
        self.apply(&self.drafts, drafts)?;
        self.apply(&self.meta, meta)
    }

    /// Applies `staged` as one sled transaction over every tree it touches: all of it is
    /// stored, or (after a crash) none of it.
    fn apply_atomically(&self, staged: Staged) -> Result<(), StoreError> {
        use sled::transaction::{ConflictableTransactionError, TransactionError};
        use sled::Transactional;
        let filter = self.filter_with(&staged.filter_keys)?;
        let no_filter = Writes::default();
        let filter_writes = filter.as_ref().map_or(&no_filter, |(_, w)| w);
        let trees = (
            &self.filter,
            &self.links,
            &self.alike,
            &self.inbox,
            &self.items,
            &self.counts,
            &self.drafts,
            &self.meta,
        );
        let bytes = [
            &staged.links,
            &staged.alike,
            &staged.inbox,
            &staged.items,
            &staged.counts,
            &staged.drafts,
            &staged.meta,
        ]
        .iter()
        .map(|w| w.bytes)
        .sum::<u64>()
            + filter_writes.bytes;
        self.wrote(false, bytes);
        let result: Result<(), TransactionError<()>> = trees.transaction(
            |(filter, links, alike, inbox, items, counts, drafts, meta)| {
                filter.apply_batch(&filter_writes.batch)?;
                links.apply_batch(&staged.links.batch)?;
                alike.apply_batch(&staged.alike.batch)?;
                inbox.apply_batch(&staged.inbox.batch)?;
                items.apply_batch(&staged.items.batch)?;
                counts.apply_batch(&staged.counts.batch)?;
                drafts.apply_batch(&staged.drafts.batch)?;
                meta.apply_batch(&staged.meta.batch)?;
                Ok::<(), ConflictableTransactionError<()>>(())
            },
        );
        result.map_err(|e| match e {
            TransactionError::Storage(e) => self.io(e),
            TransactionError::Abort(()) => unreachable!("the transaction never aborts"),
        })?;
        if let Some((f, _)) = filter {
            self.filter_written(f);
        }
        Ok(())
    }

    /// Forces everything written so far to disk.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.flush_archive()?;
        self.db.flush().map(|_| ()).map_err(|e| self.io(e))
    }
}

/// Writes gathered for several trees, applied together by `Store::apply_in_order` or
/// `Store::apply_atomically`.
#[derive(Default)]
struct Staged {
    links: Writes,
    alike: Writes,
    /// Unseen items written, and items that stopped being unseen removed.
    inbox: Writes,
    /// Published and skipped items written, and items put back to unseen removed.
    items: Writes,
    /// The keys written to `items`, for its filter.
    filter_keys: Vec<Vec<u8>>,
    counts: Writes,
    drafts: Writes,
    meta: Writes,
}

/// A `sled::Batch` that knows whether it holds anything.
#[derive(Default)]
struct Writes {
    batch: sled::Batch,
    len: usize,
    /// Bytes of the keys and values inserted.
    bytes: u64,
}

impl Writes {
    fn insert(&mut self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) {
        self.bytes += (key.as_ref().len() + value.as_ref().len()) as u64;
        self.batch.insert(key.as_ref(), value.as_ref());
        self.len += 1;
    }

    fn remove(&mut self, key: impl AsRef<[u8]>) {
        self.batch.remove(key.as_ref());
        self.len += 1;
    }
}

fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("store records are plain data and always serialize")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::{Item, ItemState};
    use chrono::{TimeZone, Utc};

    /// How many items `items` and the archive hold, with the archive's share checked: it
    /// holds them all once the command that wrote them returns.
    fn kept(store: &Store) -> usize {
        let archived = store.archive_if_any().unwrap().map_or(0, |a| a.items.len());
        assert_eq!(store.items.len(), 0, "moved on to the archive");
        archived
    }

    /// The keys of the unseen items, in key order.
    fn unseen_keys(store: &Store) -> Vec<String> {
        let unseen = store.unseen_items().unwrap();
        unseen.into_iter().map(|i| i.key).collect()
    }

    fn item(key: &str, link: &str) -> Item {
        let t = Utc.with_ymd_and_hms(2016, 5, 1, 10, 0, 0).unwrap();
        Item {
            author: "Au".into(),
            summary: "S".into(),
            ..Item::new(key, "A", link, "T", t)
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
    fn one_post_linked_as_http_and_https_by_two_sources_in_one_group_is_one_item() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let mut b = item("k2", "http://www.a.example/p/?utm_source=feed");
        b.source = "B".into();
        let reports = store
            .upsert_groups(&[&[item("k1", "https://a.example/p")], &[b]])
            .unwrap();
        assert_eq!((reports[0].new, reports[1].new), (1, 0));
        assert_eq!(store.items().unwrap().len(), 1);
        let found = store.find_item("https://a.example/p/").unwrap().unwrap();
        assert_eq!(found.key, "k1");
    }

    #[test]
    fn storing_nothing_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        store.upsert_items(&[item("k1", "https://a/p")]).unwrap();
        store.flush().unwrap();
        let before = store.db.size_on_disk().unwrap();
        for _ in 0..50 {
            store.upsert_groups(&[&[], &[]]).unwrap();
            store.put_source_states(&[]).unwrap();
        }
        store.flush().unwrap();
        // sled seals and writes its log buffer for every batch, even an empty one.
        assert_eq!(store.db.size_on_disk().unwrap(), before);
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

    #[test]
    fn counts_of_items_by_source_follow_what_is_stored() {
        let (_dir, store) = {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::open(&dir.path().join("db")).unwrap();
            (dir, store)
        };
        let mut b = item("b", "https://b/1");
        b.source = "B".into();
        store
            .upsert_groups(&[&[item("a", "https://a/1"), item("a2", "https://a/2")], &[b]])
            .unwrap();
        // Known again (by key, or by link through another source): not counted twice.
        let mut again = item("x", "https://a/1");
        again.source = "B".into();
        store
            .upsert_items(&[item("a", "https://a/1"), again])
            .unwrap();
        let counts = store.item_counts().unwrap();
        assert_eq!((counts["A"], counts["B"], counts.len()), (2, 1, 2));
    }

    #[test]
    fn a_post_with_no_comparable_link_is_found_again_by_its_link_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let odd = "not a url at all";
        assert_eq!(crate::extract::link::comparable(odd), None);
        assert_eq!(
            store.upsert_items(&[item("a", "https://a/1")]).unwrap().new,
            1
        );
        assert!(
            store.links.is_empty(),
            "a comparable link is kept in `alike` only"
        );
        assert_eq!(store.upsert_items(&[item("b", odd)]).unwrap().new, 1);
        // The same post under another key (its feed changed its ids): known by its link.
        let again = store.upsert_items(&[item("c", odd)]).unwrap();
        assert_eq!((again.new, again.unchanged), (0, 1));
        assert_eq!(store.key_for_link(odd).unwrap().as_deref(), Some("b"));
        assert!(store.item("c").unwrap().is_none());
    }

    #[test]
    fn many_unseen_items_read_back_whole_in_key_order_and_a_corrupt_one_is_named() {
        // Hex keys over the whole range, and a few that are not hex: the tree is read in a
        // range of leading digits per core, and every key is in exactly one.
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let mut keys: Vec<String> = (0..4007).map(|i| format!("{:04x}", i * 16)).collect();
        keys.extend(["", "G", "zz", "\u{e9}"].map(String::from));
        keys.sort();
        let n = keys.len();
        let items: Vec<Item> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| item(k, &format!("https://a/{i}")))
            .collect();
        store.upsert_items(&items).unwrap();
        let read = store.unseen_items().unwrap();
        assert_eq!(read.len(), n);
        assert!(read.iter().zip(&items).all(|(r, i)| r.key == i.key));
        // A test applied as they are read keeps its items, in the same order.
        let odd = |i: &Item| i.link.ends_with(['1', '3', '5', '7', '9']);
        let kept: Vec<&String> = items.iter().filter(|i| odd(i)).map(|i| &i.key).collect();
        let read = store.unseen_items_where(odd).unwrap();
        assert_eq!(read.iter().map(|i| &i.key).collect::<Vec<_>>(), kept);
        store.inbox.insert(b"8a60", &b"{not json"[..]).unwrap();
        match store.unseen_items() {
            Err(StoreError::Corrupt { tree, .. }) => assert_eq!(tree, "inbox"),
            other => panic!(
                "expected a corrupt record, got {:?}",
                other.map(|v| v.len())
            ),
        }
    }

    #[test]
    fn unseen_items_live_in_the_inbox_and_move_out_and_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let items = [item("a", "https://a/1"), item("b", "https://a/2")];
        store.upsert_items(&items).unwrap();
        let keys = |s: &Store| {
            s.unseen_items()
                .unwrap()
                .into_iter()
                .map(|i| i.key)
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(&store), ["a", "b"]);
        assert_eq!((store.inbox.len(), kept(&store)), (2, 0));
        let mut published = store.item("a").unwrap().unwrap();
        published.state = ItemState::Published;
        store.put_items(&[published.clone()]).unwrap();
        assert_eq!(keys(&store), ["b"]);
        assert_eq!(
            (store.inbox.len(), kept(&store)),
            (1, 1),
            "moved, not copied"
        );
        assert_eq!(
            store.item("a").unwrap().unwrap().state,
            ItemState::Published
        );
        assert_eq!(store.keys_with_prefix("", 5).unwrap(), ["a", "b"]);
        assert_eq!(store.items().unwrap().len(), 2);
        // Polled again, a published post stays where it is, untouched.
        assert_eq!(store.upsert_items(&items).unwrap().unchanged, 2);
        assert_eq!((store.inbox.len(), kept(&store)), (1, 1));
        published.state = ItemState::Unseen;
        store.put_items(&[published]).unwrap();
        assert_eq!(keys(&store), ["a", "b"]);
        assert_eq!((store.inbox.len(), kept(&store)), (2, 0));
        // A post added by hand at publish time is published already: it goes to `items`.
        let mut by_hand = item("h", "https://b/1");
        by_hand.state = ItemState::Published;
        store.upsert_items(&[by_hand]).unwrap();
        assert_eq!((store.inbox.len(), kept(&store)), (2, 1));
    }

    /// A process killed while sled wrote its snapshot leaves `snap.*.generating`, which sled
    /// 0.34 then reads as the newest snapshot: the store opens all the same, as it was.
    #[test]
    fn a_snapshot_left_unfinished_by_a_killed_process_does_not_stop_the_store_opening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        {
            let store = Store::open(&path).unwrap();
            store.upsert_items(&[item("k1", "https://a/1")]).unwrap();
            store.flush().unwrap();
        }
        drop(Store::open(&path).unwrap()); // a snapshot written, as every open after a write
        let live = path.join(archive::LIVE);
        for half in ["", "half a snapshot"] {
            std::fs::write(live.join("snap.FFFFFFFFFFFFFFFF.generating"), half).unwrap();
            let store = Store::open(&path).unwrap();
            assert_eq!(store.item("k1").unwrap().unwrap().link, "https://a/1");
            assert!(!live.join("snap.FFFFFFFFFFFFFFFF.generating").exists());
        }
    }

    /// A published post whose feed changed its link is found by key, through the filter of
    /// `items`' keys: after a reopen (the filter read back), and in a store that had no filter.
    #[test]
    fn a_published_post_is_found_by_key_through_the_filter() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        {
            let store = Store::open(&path).unwrap();
            store.upsert_items(&[item("k1", "https://a/1")]).unwrap();
            let mut published = store.item("k1").unwrap().unwrap();
            published.state = ItemState::Published;
            store.put_items(&[published]).unwrap();
        }
        let moved = |store: &Store, link: &str| {
            let r = store.upsert_items(&[item("k1", link)]).unwrap();
            assert_eq!((r.new, r.unchanged), (0, 1), "{link}");
            assert_eq!(
                store.item("k1").unwrap().unwrap().state,
                ItemState::Published
            );
        };
        {
            let store = Store::open(&path).unwrap();
            moved(&store, "https://b/1");
            store.filter.clear().unwrap();
            store.flush().unwrap();
        }
        let store = Store::open(&path).unwrap();
        moved(&store, "https://c/1");
        assert!(store.key_filter().unwrap().may_contain(b"k1"));
        assert!(!store.key_filter().unwrap().may_contain(b"not there"));
    }

    /// A process that wrote more than `SETTLE_AFTER` to the store opens it once more as it
    /// ends, so that sled's snapshot covers what it wrote and the next command reads none of
    /// its log back; one that wrote little leaves the store as it is.
    #[test]
    fn a_store_written_much_is_settled_for_the_next_command() {
        let snapshots = |path: &Path| -> Vec<String> {
            let mut names: Vec<String> = std::fs::read_dir(path.join(archive::LIVE))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("snap."))
                .collect();
            names.sort();
            names
        };
        for much in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("db");
            let store = Store::open(&path).unwrap();
            let n = if much { 1200 } else { 10 };
            let items: Vec<Item> = (0..n)
                .map(|i| Item {
                    summary: "x".repeat(8000),
                    ..item(&format!("k{i}"), &format!("https://a/{i}"))
                })
                .collect();
            store.upsert_items(&items).unwrap();
            store.flush().unwrap();
            let before = snapshots(&path);
            store.settle();
            let after = snapshots(&path);
            assert_eq!(after != before, much, "{before:?} -> {after:?}");
            if much {
                assert!(after.last() > before.last(), "a newer snapshot: {after:?}");
            }
        }
    }

    /// After much moved on to the archive, `live` is copied afresh as the command ends: its
    /// file shrinks to what it holds, which reads back the same; a copy a crash left behind is
    /// removed on opening.
    #[test]
    fn live_is_copied_afresh_after_much_moved_to_the_archive() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let size = || {
            std::fs::metadata(path.join(archive::LIVE).join("db"))
                .unwrap()
                .len()
        };
        let store = Store::open(&path).unwrap();
        let mut items: Vec<Item> = (0..1200)
            .map(|i| Item {
                summary: "x".repeat(8000),
                ..item(&format!("k{i}"), &format!("https://a/{i}"))
            })
            .collect();
        store.upsert_items(&items).unwrap();
        for it in &mut items {
            it.state = ItemState::Published;
        }
        store.put_items(&items).unwrap();
        store.upsert_items(&[item("u", "https://b/1")]).unwrap();
        store.flush().unwrap();
        let before = size();
        store.settle();
        assert!(size() < before / 2, "{before} -> {}", size());
        assert!(!path.join("live.new").exists());
        std::fs::create_dir_all(path.join("live.new").join("blobs")).unwrap();
        let reopened = Store::open(&path).unwrap();
        assert!(!path.join("live.new").exists(), "a leftover removed");
        assert_eq!(unseen_keys(&reopened), ["u"]);
        assert_eq!(reopened.item_counts().unwrap()["A"], 1201);
        assert_eq!(
            reopened.key_for_link("https://b/1/").unwrap().as_deref(),
            Some("u")
        );
    }

    /// A store from before `inbox` (every item in `items`, the unseen ones named by an `unseen`
    /// index) or from before that index too: its unseen items move to `inbox` on opening.
    #[test]
    fn an_old_store_has_its_unseen_items_moved_to_the_inbox() {
        for indexed in [true, false] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("db");
            {
                // The layout before the archive: one sled store, in the folder itself.
                let db = sled::open(&path).unwrap();
                let items = db.open_tree("items").unwrap();
                let mut old = item("p", "https://a/0");
                old.state = ItemState::Skipped;
                for it in [item("a", "https://a/1"), item("b", "https://a/2"), old] {
                    items.insert(it.key.as_bytes(), to_json(&it)).unwrap();
                }
                if indexed {
                    let index = db.open_tree("unseen").unwrap();
                    index.insert("a", "").unwrap();
                    index.insert("b", "").unwrap();
                    let meta = db.open_tree("meta").unwrap();
                    meta.insert("indexes_built", to_json(&true)).unwrap();
                }
                db.flush().unwrap();
            }
            let reopened = Store::open(&path).unwrap();
            assert_eq!(unseen_keys(&reopened), ["a", "b"], "indexed: {indexed}");
            assert_eq!(kept(&reopened), 1, "the skipped one stays");
            assert!(!reopened
                .archive()
                .unwrap()
                .db
                .tree_names()
                .iter()
                .any(|n| n.as_ref() == b"unseen"));
            assert_eq!(
                reopened.item("p").unwrap().unwrap().state,
                ItemState::Skipped
            );
            if !indexed {
                assert_eq!(reopened.item_counts().unwrap()["A"], 3);
            }
        }
    }
}
