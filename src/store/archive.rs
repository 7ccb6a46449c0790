//! The archive: the published and skipped posts, and the links that find them again, in a
//! sled store of their own (trees `items`, `alike`, `links`), opened only by a command that
//! reads or writes one of them. Its files are those of the store's folder; everything else
//! is in the sled store in `<store>/live`, which every command opens. (A store made before
//! the archive held everything in the folder's own files: it becomes the archive, and hands
//! the rest over to `live`, see `adopt_older_store`.)
//!
//! sled 0.34 reads its whole page table when it opens a store, a page per sixteen keys or
//! fewer: with a million published posts in the store, every command spent 0.14 s and 40 MB
//! on opening it. Kept apart, they cost only the commands that need them: a draft and a poll
//! whose posts are all new or unchanged never open the archive.
//!
//! A publish or a skip writes its items to the store's `items` tree as before, in the one
//! transaction that moves them (see `Store::apply_atomically`); the same command then moves
//! them on here (`archive_kept`): each chunk is copied into the archive and flushed there
//! before it leaves `items`. After a crash an item is in `items`, or in both (the same record:
//! `items` is read first, and the next write or open moves it again), never in neither. The
//! filter of `items` (see `filter`) holds the archive's keys and links, so a lookup opens the
//! archive only when the filter says what it looks for may be there.

use std::sync::Arc;

use sled::Transactional;

use crate::item::{Item, ItemState};

use super::items::LinkKey;
use super::{open_store_folder, Staged, Store, StoreError, Writes};

/// The folder, in the store's, of the sled store that holds everything but the archive.
pub(super) const LIVE: &str = "live";
/// The trees a store of the layout before the archive hands over to `live` when adopted (see
/// `adopt_older_store`), and those it drops (`filter` is made again, with the links).
const HANDED_OVER: [&str; 8] = [
    "inbox", "counts", "sources", "codes", "urls", "clicks", "drafts", "meta",
];
const DROPPED: [&str; 1] = ["filter"];
/// The meta key that says the store is of this layout, or was adopted into it.
const ADOPTED: &str = "archive_layout";
/// Items moved to the archive per transaction.
const CHUNK: usize = 5000;

pub(super) struct Archive {
    pub(super) db: sled::Db,
    pub(super) items: sled::Tree,
    pub(super) alike: sled::Tree,
    pub(super) links: sled::Tree,
}

/// Which link index of the archive a filter entry is for.
#[derive(Clone, Copy)]
pub(super) enum Index {
    Alike,
    Links,
}

/// The filter's entry for `link` in the archive's `index`: apart from every item key (a key
/// is text, and text never holds the byte 0xff).
pub(super) fn filter_entry(index: Index, link: &[u8]) -> Vec<u8> {
    let tag = match index {
        Index::Alike => b'a',
        Index::Links => b'l',
    };
    let mut entry = Vec::with_capacity(link.len() + 2);
    entry.extend_from_slice(&[0xff, tag]);
    entry.extend_from_slice(link);
    entry
}

impl Store {
    /// Whether the archive's sled store was ever made: its files are the store folder's own
    /// (the rest is in `live` inside it), and sled writes `conf` first.
    fn archive_exists(&self) -> bool {
        self.path.join("conf").exists()
    }

    /// Adopts a store of the layout before the archive, once: its sled store, at the store's
    /// path, becomes the archive, already holding its published and skipped posts (`items`)
    /// and the links that find them (`alike`, `links`); the other trees are copied into
    /// `live`, then dropped from it. Copied and flushed before dropped, and marked done
    /// last: after a crash anywhere in between, the next open does it again.
    pub(super) fn adopt_older_store(&self) -> Result<(), StoreError> {
        if self.meta_at::<bool>(ADOPTED)?.unwrap_or(false) {
            return Ok(());
        }
        if self.archive_exists() {
            let older = Store::over(&self.path, open_store_folder(&self.path)?, false)?;
            // What its own layout still owed: its unseen items into `inbox`, its `counts`.
            older.build_indexes()?;
            for name in HANDED_OVER {
                let from = older.db.open_tree(name).map_err(|e| self.io(e))?;
                let to = self.db.open_tree(name).map_err(|e| self.io(e))?;
                let mut writes = Writes::default();
                for entry in from.iter() {
                    let (key, value) = entry.map_err(|e| self.io(e))?;
                    writes.insert(key, value);
                }
                self.apply(&to, writes)?;
            }
            self.db.flush().map_err(|e| self.io(e))?;
            for name in HANDED_OVER.iter().chain(&DROPPED) {
                older.db.drop_tree(name).map_err(|e| self.io(e))?;
            }
            older.db.flush().map_err(|e| self.io(e))?;
            tracing::info!(store = %self.path.display(), "adopted a store made before the archive");
        }
        self.put_meta_at(ADOPTED, &true)
    }

    /// The archive, opened (or made) now if this process has not opened it yet.
    pub(super) fn archive(&self) -> Result<Arc<Archive>, StoreError> {
        let mut held = self
            .archive
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(archive) = held.as_ref() {
            return Ok(Arc::clone(archive));
        }
        let db = open_store_folder(&self.path)?;
        let tree = |name: &str| {
            db.open_tree(name).map_err(|cause| StoreError::Open {
                path: self.path.clone(),
                cause,
            })
        };
        let archive = Arc::new(Archive {
            items: tree("items")?,
            alike: tree("alike")?,
            links: tree("links")?,
            db,
        });
        *held = Some(Arc::clone(&archive));
        Ok(archive)
    }

    /// The archive, when there is one: a store that never published or skipped a post has
    /// none, and reading it does not make one.
    pub(super) fn archive_if_any(&self) -> Result<Option<Arc<Archive>>, StoreError> {
        if !self.archived || !self.archive_opened() && !self.archive_exists() {
            return Ok(None);
        }
        self.archive().map(Some)
    }

    /// Whether this process has opened the archive.
    pub(super) fn archive_opened(&self) -> bool {
        self.archive
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .is_some()
    }

    /// Flushes the archive, if this process opened it.
    pub(super) fn flush_archive(&self) -> Result<(), StoreError> {
        let held = self
            .archive
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        match held {
            Some(archive) => archive.db.flush().map(|_| ()).map_err(|e| self.io(e)),
            None => Ok(()),
        }
    }

    /// The key the archive's link indexes hold for `link` (as written, else in comparable
    /// form `key`), each read only when the filter says the link may be there.
    pub(super) fn archived_key_for(
        &self,
        link: &str,
        key: &LinkKey,
    ) -> Result<Option<sled::IVec>, StoreError> {
        let filter = self.key_filter()?;
        let exact = filter.may_contain(&filter_entry(Index::Links, link.as_bytes()));
        let alike = match key {
            LinkKey::Alike(c) => filter
                .may_contain(&filter_entry(Index::Alike, c.as_bytes()))
                .then_some(c),
            LinkKey::Exact(_) => None,
        };
        if !exact && alike.is_none() {
            return Ok(None);
        }
        let Some(archive) = self.archive_if_any()? else {
            return Ok(None);
        };
        if exact {
            if let Some(k) = archive.links.get(link.as_bytes()).map_err(|e| self.io(e))? {
                return Ok(Some(k));
            }
        }
        match alike {
            Some(c) => archive.alike.get(c.as_bytes()).map_err(|e| self.io(e)),
            None => Ok(None),
        }
    }

    /// Moves everything in `items` to the archive, with the link index entries that point to
    /// it, `CHUNK` items at a time: the filter gains the links first, then the archive gets
    /// the chunk and is flushed, then one transaction takes it out of `items`, `alike` and
    /// `links`. The caller holds `writing`.
    pub(super) fn archive_kept(&self) -> Result<(), StoreError> {
        loop {
            let chunk = self
                .items
                .iter()
                .take(CHUNK)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| self.io(e))?;
            if chunk.is_empty() {
                return Ok(());
            }
            let archive = self.archive()?;
            let (mut items, mut alike, mut links) =
                (Writes::default(), Writes::default(), Writes::default());
            let mut filter_keys = Vec::new();
            let mut moved = Staged::default();
            for (key, value) in &chunk {
                let item = self.decode_item("items", value)?;
                items.insert(key, value);
                moved.items.remove(key);
                let mut follow = |tree: &sled::Tree, link: &[u8], index: Index| {
                    let points_here = tree.get(link).map_err(|e| self.io(e))?;
                    if points_here.as_deref() == Some(&key[..]) {
                        let (archived, left) = match index {
                            Index::Alike => (&mut alike, &mut moved.alike),
                            Index::Links => (&mut links, &mut moved.links),
                        };
                        archived.insert(link, key);
                        left.remove(link);
                        filter_keys.push(filter_entry(index, link));
                    }
                    Ok::<(), StoreError>(())
                };
                // Stores made before `alike` kept every link as written, too.
                follow(&self.links, item.link.as_bytes(), Index::Links)?;
                if let LinkKey::Alike(c) = LinkKey::of(&item.link) {
                    follow(&self.alike, c.as_bytes(), Index::Alike)?;
                }
            }
            if let Some((f, writes)) = self.filter_with(&filter_keys)? {
                self.apply(&self.filter, writes)?;
                self.filter_written(f);
            }
            self.write_archive(&archive, [items, alike, links])?;
            archive.db.flush().map_err(|e| self.io(e))?;
            crate::files::crash_point("archive-copied");
            self.apply_atomically(moved)?;
        }
    }

    /// Writes the archive's `items`, `alike` and `links` in one transaction.
    fn write_archive(&self, archive: &Archive, writes: [Writes; 3]) -> Result<(), StoreError> {
        use sled::transaction::{ConflictableTransactionError, TransactionError};
        let [items, alike, links] = writes;
        self.wrote(true, items.bytes + alike.bytes + links.bytes);
        let trees = (&archive.items, &archive.alike, &archive.links);
        let result: Result<(), TransactionError<()>> = trees.transaction(|(i, a, l)| {
            i.apply_batch(&items.batch)?;
            a.apply_batch(&alike.batch)?;
            l.apply_batch(&links.batch)?;
            Ok::<(), ConflictableTransactionError<()>>(())
        });
        result.map_err(|e| match e {
            TransactionError::Storage(e) => self.io(e),
            TransactionError::Abort(()) => unreachable!("the transaction never aborts"),
        })
    }

    /// Brings the archived ones of `changing` (items about to become unseen again) back into
    /// `items`, for the transaction that moves them on to `inbox`: copied and flushed there
    /// first, then taken out of the archive. The caller holds `writing`.
    pub(super) fn unarchive(&self, changing: &[Item]) -> Result<(), StoreError> {
        let back: Vec<&Item> = changing
            .iter()
            .filter(|i| i.state == ItemState::Unseen)
            .collect();
        if back.is_empty() {
            return Ok(());
        }
        let Some(archive) = self.archive_if_any()? else {
            return Ok(());
        };
        let (mut copies, mut gone) = (Writes::default(), Writes::default());
        for item in back {
            let key = item.key.as_bytes();
            if let Some(value) = archive.items.get(key).map_err(|e| self.io(e))? {
                copies.insert(key, value);
                gone.remove(key);
            }
        }
        if copies.len == 0 {
            return Ok(());
        }
        self.apply(&self.items, copies)?;
        self.db.flush().map_err(|e| self.io(e))?;
        crate::files::crash_point("unarchive-copied");
        archive
            .items
            .apply_batch(gone.batch)
            .map_err(|e| self.io(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::Item;
    use chrono::{TimeZone, Utc};

    fn item(key: &str, link: &str) -> Item {
        let t = Utc.with_ymd_and_hms(2016, 5, 1, 10, 0, 0).unwrap();
        Item::new(key, "A", link, "T", t)
    }

    fn published(store: &Store, key: &str) -> Item {
        let mut it = store.item(key).unwrap().unwrap();
        it.state = ItemState::Published;
        it
    }

    /// A store at `path` holding two unseen posts, "a" and "b".
    fn two_unseen(path: &std::path::Path) -> Store {
        let store = Store::open(path).unwrap();
        store
            .upsert_items(&[item("a", "https://a/1"), item("b", "https://a/2")])
            .unwrap();
        store
    }

    fn keys(items: Vec<Item>) -> Vec<String> {
        items.into_iter().map(|i| i.key).collect()
    }

    /// Published posts leave the store's own trees for the archive; a command that reads only
    /// unseen posts, or looks up posts that are new, never opens it; one that looks up a
    /// published post by key or by link finds it there.
    #[test]
    fn published_posts_live_in_the_archive_and_only_their_readers_open_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        {
            let store = two_unseen(&path);
            assert!(!store.archive_opened(), "nothing published yet");
            store.put_items(&[published(&store, "a")]).unwrap();
            assert!(path.join("conf").exists() && path.join(LIVE).join("conf").exists());
            let archive = store.archive().unwrap();
            assert_eq!((archive.items.len(), store.items.len()), (1, 0));
            assert_eq!((archive.alike.len(), store.alike.len()), (1, 1));
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(keys(store.unseen_items().unwrap()), ["b"]);
        assert_eq!(store.item("b").unwrap().unwrap().state, ItemState::Unseen);
        let new = store
            .upsert_items(&[item("c", "https://a/3"), item("d", "https://b/4")])
            .unwrap();
        assert_eq!(new.new, 2);
        assert!(!store.archive_opened(), "no read so far needed it");
        // The same post again, under another key and in another form of its link.
        let again = store
            .upsert_items(&[item("z", "http://a/1/?utm_source=x")])
            .unwrap();
        assert_eq!((again.new, again.unchanged), (0, 1));
        assert!(store.archive_opened());
        assert_eq!(
            store.find_item("https://a/1").unwrap().unwrap().state,
            ItemState::Published
        );
        assert_eq!(keys(store.items().unwrap()), ["a", "b", "c", "d"]);
        assert_eq!(store.keys_with_prefix("a", 5).unwrap(), ["a"]);
    }

    /// A skipped post taken back comes out of the archive into the inbox, and goes back when
    /// skipped again.
    #[test]
    fn a_skipped_post_taken_back_leaves_the_archive() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let store = Store::open(&path).unwrap();
        store.upsert_items(&[item("a", "https://a/1")]).unwrap();
        let mut skipped = store.item("a").unwrap().unwrap();
        skipped.state = ItemState::Skipped;
        store.put_items(&[skipped.clone()]).unwrap();
        drop(store);
        let store = Store::open(&path).unwrap();
        let mut back = store.item("a").unwrap().unwrap();
        assert_eq!(back.state, ItemState::Skipped);
        back.state = ItemState::Unseen;
        store.put_items(&[back]).unwrap();
        assert_eq!(store.archive().unwrap().items.len(), 0);
        assert_eq!(keys(store.unseen_items().unwrap()), ["a"]);
        assert_eq!(keys(store.items().unwrap()), ["a"]);
        store.put_items(&[skipped]).unwrap();
        assert_eq!(store.archive().unwrap().items.len(), 1);
        assert!(store.unseen_items().unwrap().is_empty());
    }

    /// A command killed between the steps of a move leaves an item in two places, never in
    /// none: it is read once, from the first, and the next open finishes the move.
    #[test]
    fn a_move_stopped_halfway_is_read_once_and_finished_on_opening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        {
            let store = two_unseen(&path);
            store.put_items(&[published(&store, "a")]).unwrap();
            // Killed after the archive got "a" and before `items` let it go.
            let archive = store.archive().unwrap();
            let value = archive.items.get("a").unwrap().unwrap();
            store.items.insert("a", value.clone()).unwrap();
            // Killed after "b", skipped and archived, was brought back to `items` for unskip
            // and before the archive let it go.
            let mut skipped = store.item("b").unwrap().unwrap();
            skipped.state = ItemState::Skipped;
            store.put_items(&[skipped]).unwrap();
            let value = archive.items.get("b").unwrap().unwrap();
            store.items.insert("b", value).unwrap();
            assert_eq!(keys(store.items().unwrap()), ["a", "b"]);
            assert_eq!(store.keys_with_prefix("", 5).unwrap(), ["a", "b"]);
            store.flush().unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.items.len(), 0, "the move finished on opening");
        assert_eq!(store.archive().unwrap().items.len(), 2);
        let states: Vec<ItemState> = store.items().unwrap().iter().map(|i| i.state).collect();
        assert_eq!(states, [ItemState::Published, ItemState::Skipped]);
    }

    /// A store made before the archive (everything in the folder's own sled files) becomes
    /// the archive of its published posts, with the links that find them, when first opened;
    /// the rest moves to `live`. Opened again, there is nothing more to do.
    #[test]
    fn an_older_store_becomes_the_archive_and_hands_the_rest_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        {
            let db = sled::open(&path).unwrap();
            let tree = |name: &str| db.open_tree(name).unwrap();
            for (key, link, state) in [
                ("p", "https://a/1", ItemState::Published),
                ("q", "not a url", ItemState::Skipped),
                ("u", "https://a/0", ItemState::Unseen),
            ] {
                let mut it = item(key, link);
                it.state = state;
                let name = if state == ItemState::Unseen {
                    "inbox"
                } else {
                    "items"
                };
                tree(name)
                    .insert(key, super::super::record::encode(&it))
                    .unwrap();
                match LinkKey::of(link) {
                    LinkKey::Alike(c) => tree("alike").insert(c, key).unwrap(),
                    LinkKey::Exact(l) => tree("links").insert(l, key).unwrap(),
                };
            }
            tree("sources").insert("A", &b"{}"[..]).unwrap();
            for done in ["indexes_built", "inbox_built"] {
                tree("meta").insert(done, &b"true"[..]).unwrap();
            }
            db.flush().unwrap();
        }
        for _ in 0..2 {
            let store = Store::open(&path).unwrap();
            assert_eq!(keys(store.unseen_items().unwrap()), ["u"]);
            assert_eq!(store.items.len() + store.alike.len() + store.links.len(), 0);
            assert_eq!(store.sources.len(), 1);
            assert_eq!(
                store.key_for_link("http://a/1").unwrap().as_deref(),
                Some("p")
            );
            assert_eq!(
                store.key_for_link("not a url").unwrap().as_deref(),
                Some("q")
            );
            assert_eq!(
                store.key_for_link("https://a/0/").unwrap().as_deref(),
                Some("u")
            );
            let archive = store.archive().unwrap();
            assert_eq!(keys(store.items().unwrap()), ["p", "q", "u"]);
            let names = archive.db.tree_names();
            assert!(!names.iter().any(|n| n.as_ref() == b"inbox"), "handed over");
            assert_eq!(archive.items.len(), 2);
            store.flush().unwrap();
        }
    }
}
