//! The record a draft leaves in the store, and the id its file carries. `publish` reads both
//! back; the next `draft` uses them to tell a file roundup wrote from one an editor changed.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::store::{Store, StoreError};

/// The front-matter key that carries a draft's id. Sites (Jekyll, Hugo, Middleman) ignore keys
/// they do not know, so a reader of the post never sees it.
pub const ID_KEY: &str = "roundup_draft";

/// What the store remembers of a draft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftRecord {
    pub id: String,
    /// The post's title, as rendered.
    pub title: String,
    /// When its content was selected (full precision): the next window starts here once it is
    /// published.
    pub selected_at: DateTime<Utc>,
    /// Where the window it showed started.
    pub window_start: DateTime<Utc>,
    /// Its posts, in draft order, with the links it printed.
    pub items: Vec<DraftedItem>,
    /// The file it was written to (absolute); none for standard output.
    pub file: Option<PathBuf>,
    /// blake3 of the bytes last written to `file`: a file that differs was edited.
    pub hash: Option<String>,
    /// The file holds an editor's edits (roundup added posts to it in place): even when it
    /// is byte for byte what roundup last wrote, it is not roundup's to replace.
    #[serde(default)]
    pub edited: bool,
    /// When it was published, if it was.
    #[serde(default)]
    pub published: Option<DateTime<Utc>>,
    /// blake3 of the file as last published: publishing the same bytes again changes nothing
    /// (not even what `skip` or `unskip` did since).
    #[serde(default)]
    pub published_hash: Option<String>,
    /// A write of the file in progress: the record as it becomes once the file holds
    /// `pending.hash`. Stored before the file is written and folded in after, so a crash in
    /// between leaves a record that `find` reads right whichever bytes the file holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Box<DraftRecord>>,
    /// What the editor changed on the review page (left out, moved, retitled posts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<Box<super::review::Review>>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "StoredDrafted")]
pub struct DraftedItem {
    pub key: String,
    pub link: String,
    /// The link the draft printed (short, or the full one). Stored as `shown`, and only when it
    /// is not `link`: without a shortener it never is, and a record of 20,000 posts is then
    /// 1.1 MB smaller.
    pub printed_link: String,
}

impl Serialize for DraftedItem {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let shown = self.printed_link != self.link;
        let mut out = s.serialize_struct("DraftedItem", 2 + usize::from(shown))?;
        out.serialize_field("key", &self.key)?;
        out.serialize_field("link", &self.link)?;
        if shown {
            out.serialize_field("shown", &self.printed_link)?;
        }
        out.end()
    }
}

/// `DraftedItem` as stored: records written before `shown` could be left out always have it.
#[derive(Deserialize)]
struct StoredDrafted {
    key: String,
    link: String,
    shown: Option<String>,
}

impl From<StoredDrafted> for DraftedItem {
    fn from(d: StoredDrafted) -> DraftedItem {
        DraftedItem {
            printed_link: d.shown.unwrap_or_else(|| d.link.clone()),
            key: d.key,
            link: d.link,
        }
    }
}

impl DraftRecord {
    /// The record of a draft just written (to `file`, with the bytes hashed as `hash`), not
    /// yet edited or published.
    pub fn new(
        id: String,
        title: String,
        selected_at: DateTime<Utc>,
        window_start: DateTime<Utc>,
        items: Vec<DraftedItem>,
        written: Option<(PathBuf, String)>,
    ) -> DraftRecord {
        let (file, hash) = written.unzip();
        DraftRecord {
            id,
            title,
            selected_at,
            window_start,
            items,
            file,
            hash,
            edited: false,
            published: None,
            published_hash: None,
            pending: None,
            review: None,
        }
    }

    pub fn holds(&self, key: &str) -> bool {
        self.items.iter().any(|d| d.key == key)
    }
}

/// A new draft id: a letter and twelve hex digits, unique to this store and instant.
pub fn new_id(store: &Store, now: DateTime<Utc>) -> String {
    let mut h = blake3::Hasher::new();
    h.update(store.path().to_string_lossy().as_bytes());
    h.update(&now.timestamp_nanos_opt().unwrap_or_default().to_le_bytes());
    h.update(&std::process::id().to_le_bytes());
    h.update(
        &std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos()
            .to_le_bytes(),
    );
    format!("d{}", &h.finalize().to_hex()[..12])
}

pub fn hash(text: &str) -> String {
    blake3::hash(text.as_bytes()).to_hex().to_string()
}

/// Puts `roundup_draft: <id>` as the last line of the front matter; a text without front
/// matter (a custom template) gets it as an HTML comment at the end instead.
pub fn stamp(mut text: String, id: &str) -> String {
    // In place: a draft of thousands of posts is megabytes, and a copy of it costs more than
    // moving its bytes along.
    if let Some(close) = crate::render::front_matter_close(&text) {
        text.insert_str(close, &format!("{ID_KEY}: {id}\n"));
        return text;
    }
    text.truncate(text.trim_end().len());
    text.push_str(&format!("\n<!-- {ID_KEY}: {id} -->\n"));
    text
}

/// The draft id a file carries, in its front matter or a comment.
pub fn id_in(text: &str) -> Option<String> {
    text.match_indices(ID_KEY).find_map(|(at, _)| {
        let rest = text[at + ID_KEY.len()..].strip_prefix(':')?;
        let id: String = rest
            .trim_start_matches([' ', '\t', '"', '\''])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        (!id.is_empty()).then_some(id)
    })
}

/// The record of the draft `text` (the content of `file`) came from: by the id it carries,
/// else by what was last written to `file`.
pub fn find(store: &Store, file: &Path, text: &str) -> Result<Option<DraftRecord>, StoreError> {
    let mut found = None;
    if let Some(id) = id_in(text) {
        found = load(store, &id)?;
    }
    if found.is_none() {
        if let Some(id) = store.draft_id_for_file(file)? {
            found = load(store, &id)?;
        }
    }
    Ok(found.map(|rec| settle(rec, text)))
}

/// The record of draft `id`, its file write marked done taken as done. Every reader of a
/// draft's record goes through this (or `load_all`): the record a draft stores has its write
/// pending until its file is written, and is not stored again after (see `commit`).
pub fn load(store: &Store, id: &str) -> Result<Option<DraftRecord>, StoreError> {
    match store.draft::<DraftRecord>(id)? {
        Some(rec) => Ok(Some(written(store, rec)?)),
        None => Ok(None),
    }
}

/// Every draft's record, as `load` reads it, in id order.
pub fn load_all(store: &Store) -> Result<Vec<DraftRecord>, StoreError> {
    store
        .drafts::<DraftRecord>()?
        .into_iter()
        .map(|rec| written(store, rec))
        .collect()
}

/// `rec` with its pending write folded in when the store marks that write done.
fn written(store: &Store, mut rec: DraftRecord) -> Result<DraftRecord, StoreError> {
    let Some(hash) = rec.pending.as_ref().and_then(|p| p.hash.clone()) else {
        return Ok(rec);
    };
    if store.draft_written(&rec.id)?.as_deref() == Some(hash.as_str()) {
        if let Some(done) = rec.pending.take() {
            return Ok(*done);
        }
    }
    Ok(rec)
}

/// `rec` as it stands for a file holding `text`: a pending write the file shows was done (the
/// process stopped before recording it), one it does not show never happened.
fn settle(mut rec: DraftRecord, text: &str) -> DraftRecord {
    match rec.pending.take() {
        Some(done) if done.hash.as_deref() == Some(hash(text).as_str()) => *done,
        _ => rec,
    }
}

/// Writes the draft file and its record so that a process stopped at any point (kill -9, a
/// full disk) leaves them in step: the record goes first with the write marked pending, then
/// the file (atomically: old bytes or new, never half), then a mark that the write was done
/// (a few bytes: the record of a draft of 20,000 posts is 1.7 MB, and is not stored twice).
/// `load` folds a write marked done in; `find` settles one not yet marked by the file's
/// bytes. `prior` is the record the file held before, when this draft keeps its id.
pub(super) fn commit(
    store: &Store,
    prior: Option<DraftRecord>,
    record: &DraftRecord,
    path: &Path,
    text: &str,
) -> Result<(), super::DraftError> {
    // The file is written and synced beside `path` on a thread of its own while the record is
    // stored (a draft of 20,000 posts is 12 MB to write): it takes `path`'s place only once the
    // record is on disk, as when one followed the other.
    let (stored, prepared) = std::thread::scope(|scope| {
        let writing = scope.spawn(|| super::prepare(path, text));
        let stored = stage(store, prior, record, path).and_then(|()| store.flush());
        let prepared = writing
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (stored, prepared)
    });
    stored?;
    crate::files::crash_point("draft-record-staged");
    super::put(path, prepared?)?;
    crate::files::crash_point("draft-file-written");
    if let Some(hash) = &record.hash {
        store.mark_draft_written(&record.id, hash)?;
    }
    store.flush()?;
    Ok(())
}

/// `commit`'s first step: `record` stored as the pending write of `prior` (or of a record with
/// no posts), under `record`'s id and as what `path` holds.
fn stage(
    store: &Store,
    prior: Option<DraftRecord>,
    record: &DraftRecord,
    path: &Path,
) -> Result<(), StoreError> {
    // Without a prior record the file at `path` is not roundup's and is not written over
    // (see `target`): no file will show the outer record, so it carries no posts.
    let mut outer = prior.unwrap_or_else(|| DraftRecord {
        id: record.id.clone(),
        title: record.title.clone(),
        selected_at: record.selected_at,
        window_start: record.window_start,
        items: Vec::new(),
        file: record.file.clone(),
        hash: None,
        edited: record.edited,
        published: record.published,
        published_hash: record.published_hash.clone(),
        pending: None,
        review: None,
    });
    outer.pending = None;
    let staged = Staged {
        outer: &outer,
        pending: record,
    };
    store.put_draft(&record.id, Some(path), &staged)
}

/// A record with a write pending, serialised as `DraftRecord` reads it back, without copying
/// either record (a draft of 20,000 posts has 20,000 in each).
#[derive(Serialize)]
struct Staged<'a> {
    #[serde(flatten)]
    outer: &'a DraftRecord,
    pending: &'a DraftRecord,
}

/// The posts of an editor's file that were skipped after it was written: the file still shows
/// them, and publishing it as it is would put them out.
pub(super) fn skipped_since(
    store: &Store,
    record: &DraftRecord,
) -> Result<Option<String>, StoreError> {
    let Some(path) = &record.file else {
        return Ok(None);
    };
    let mut titles = Vec::new();
    for d in &record.items {
        if let Some(item) = store.item(&d.key)? {
            if item.state == crate::item::ItemState::Skipped {
                titles.push(format!("\"{}\"", item.title));
            }
        }
    }
    let (posts, them) = match titles.len() {
        0 => return Ok(None),
        1 => ("1 post".to_owned(), "it"),
        n => (format!("{n} posts"), "them"),
    };
    Ok(Some(format!(
        "{} still shows {posts} skipped since it was written ({}): delete {them} from the file, or publishing it puts {them} out",
        path.display(),
        titles.join(", "),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_goes_into_the_front_matter_and_comes_back() {
        let text = "---\ntitle: x\npublished: false\n---\n\nbody\n";
        let stamped = stamp(text.to_owned(), "d0123456789ab");
        assert_eq!(
            stamped,
            "---\ntitle: x\npublished: false\nroundup_draft: d0123456789ab\n---\n\nbody\n"
        );
        assert_eq!(id_in(&stamped).as_deref(), Some("d0123456789ab"));
        let plain = stamp("# Roundup\n\nbody\n  \n".to_owned(), "dfeed");
        assert!(
            plain.ends_with("<!-- roundup_draft: dfeed -->\n"),
            "{plain}"
        );
        assert_eq!(id_in(&plain).as_deref(), Some("dfeed"));
        assert_eq!(id_in("roundup_draft:\n"), None);
        assert_eq!(id_in("no id"), None);
    }

    fn record(id: &str, keys: &[&str], text: &str) -> DraftRecord {
        let t = chrono::TimeZone::with_ymd_and_hms(&Utc, 2016, 5, 17, 10, 0, 0).unwrap();
        let items = keys
            .iter()
            .map(|k| DraftedItem {
                key: (*k).into(),
                link: format!("https://a.example/{k}"),
                printed_link: format!("https://a.example/{k}"),
            })
            .collect();
        let file = Some((PathBuf::from("/drafts/d.md"), hash(text)));
        DraftRecord::new(id.into(), "T".into(), t, t, items, file)
    }

    /// The staged record is written from borrowed records: it must read back as the
    /// `DraftRecord` a crash leaves, the pending write settled by the file's bytes.
    #[test]
    fn a_staged_record_reads_back_with_its_pending_write() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let path = Path::new("/drafts/d.md");
        let new = record("dnew", &["k1", "k2"], "new text");
        // No prior record: the outer one carries no posts.
        stage(&store, None, &new, path).unwrap();
        let read: DraftRecord = store.draft("dnew").unwrap().unwrap();
        assert_eq!(read.pending.as_deref(), Some(&new));
        assert!(read.items.is_empty());
        assert_eq!(find(&store, path, "new text").unwrap(), Some(new.clone()));
        let other = find(&store, path, "other text").unwrap().unwrap();
        assert_eq!((other.hash, other.pending), (None, None));
        // A prior record keeps its posts; a pending write it had is replaced, not doubled.
        let mut prior = record("dnew", &["k0"], "old text");
        prior.pending = Some(Box::new(record("dnew", &["k9"], "lost text")));
        stage(&store, Some(prior.clone()), &new, path).unwrap();
        prior.pending = None;
        assert_eq!(find(&store, path, "old text").unwrap(), Some(prior));
        assert_eq!(find(&store, path, "new text").unwrap(), Some(new));
    }

    /// The record is stored once, with its write pending; once the file is written a mark
    /// says so, and every reader takes the pending record, even after the editor changed the
    /// file (its bytes no longer show which write happened).
    #[test]
    fn a_write_marked_done_is_read_as_done_by_every_reader() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let path = dir.path().join("d.md");
        let mut new = record("dnew", &["k1", "k2"], "new text");
        new.file = Some(path.clone());
        let prior = record("dnew", &["k0"], "old text");
        commit(&store, Some(prior.clone()), &new, &path, "new text").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new text");
        let raw: DraftRecord = store.draft("dnew").unwrap().unwrap();
        assert_eq!(raw.pending.as_deref(), Some(&new), "stored once, pending");
        assert_eq!(raw.items, prior.items);
        assert_eq!(load(&store, "dnew").unwrap().as_ref(), Some(&new));
        assert_eq!(load_all(&store).unwrap(), [new.clone()]);
        assert_eq!(
            find(&store, &path, "edited text").unwrap().as_ref(),
            Some(&new)
        );
        // Storing the record again drops the mark: it was for the write staged before.
        stage(
            &store,
            Some(new.clone()),
            &record("dnew", &["k3"], "next"),
            &path,
        )
        .unwrap();
        let staged = load(&store, "dnew").unwrap().unwrap();
        assert_eq!(staged.items, new.items);
        assert_eq!(staged.pending.map(|p| p.items.len()), Some(1));
        assert_eq!(
            find(&store, &path, "edited text").unwrap().as_ref(),
            Some(&new)
        );
    }

    #[test]
    fn a_printed_link_is_stored_only_when_it_is_not_the_link() {
        let item = |shown: &str| DraftedItem {
            key: "k".into(),
            link: "https://a.example/p".into(),
            printed_link: shown.into(),
        };
        let plain = serde_json::to_string(&item("https://a.example/p")).unwrap();
        assert_eq!(plain, r#"{"key":"k","link":"https://a.example/p"}"#);
        let short = serde_json::to_string(&item("https://s.example/6e")).unwrap();
        assert!(
            short.ends_with(r#""shown":"https://s.example/6e"}"#),
            "{short}"
        );
        for (json, want) in [
            (plain.as_str(), item("https://a.example/p")),
            (short.as_str(), item("https://s.example/6e")),
            // As records made before stored it.
            (
                r#"{"key":"k","link":"https://a.example/p","shown":"https://a.example/p"}"#,
                item("https://a.example/p"),
            ),
        ] {
            assert_eq!(serde_json::from_str::<DraftedItem>(json).unwrap(), want);
        }
    }
}
