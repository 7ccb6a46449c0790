//! The `publish` command: reads an edited draft back the way its editor means it and records
//! what went out. A post of the draft is kept while its title line or its link is visible (HTML
//! comments are not); kept posts become Published in this roundup, the others Skipped. Posts
//! linked that the draft did not hold are published too, and links to posts the store never
//! saw are recorded as posts added by hand, so their feed does not bring them back. The next
//! draft's window starts where this one's content was selected.

pub mod front;
pub mod mark;
mod reading;
pub mod social;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::draft::read::{visible, Page};
use crate::draft::record::{self, DraftRecord};
use crate::draft::select::LastPublished;
use crate::item::{Item, RoundupRef};
use crate::store::{Meta, Store, StoreError};
use reading::Reading;

pub use front::front_matter;
pub use mark::{set_state, Marked};

/// The source recorded for posts an editor added to a roundup by hand.
pub const BY_HAND: &str = "(added by hand)";

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("cannot read the draft {path}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot publish {path}: {problem}")]
    FrontMatter { path: PathBuf, problem: String },
    #[error("cannot publish {path}: {why} {store}; was it drafted with another config or store? Nothing was recorded")]
    Foreign {
        path: PathBuf,
        store: PathBuf,
        /// What makes it another store's: its draft id, or no post and no id of this one.
        why: String,
    },
    #[error("cannot publish {path}: {what}, so nothing would go out; nothing was recorded{hint}")]
    NothingKept {
        path: PathBuf,
        what: String,
        hint: String,
    },
    #[error("no stored item has the key, key prefix, link or short link \"{0}\"; `roundup items` lists them")]
    UnknownItem(String),
    #[error("an empty argument names no item: give a key, key prefix, link or short link (`roundup items` lists them)")]
    EmptyName,
    #[error("\"{name}\" names more than one item ({keys}); give more of the key")]
    Ambiguous { name: String, keys: String },
    #[error("\"{name}\" ({title}) went out in {roundup}; pass --force to {verb} it anyway")]
    Published {
        name: String,
        title: String,
        roundup: String,
        verb: &'static str,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A post recorded as published because the editor added its link by hand.
#[derive(Debug, Clone, PartialEq)]
pub struct HandAdded {
    pub title: String,
    pub author: String,
    pub link: String,
}

/// What publishing a draft changed.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishReport {
    pub file: PathBuf,
    pub title: String,
    pub date: DateTime<Utc>,
    /// The draft it came from, if roundup knows it.
    pub draft: Option<String>,
    /// Posts of this store the file holds.
    pub kept: usize,
    /// Items newly marked published.
    pub published: usize,
    /// Items newly marked skipped.
    pub skipped: usize,
    /// Items already published in this roundup whose record of it changed (its title, date).
    pub updated: usize,
    /// Items written (0 when the same file is published twice).
    pub changed: usize,
    /// Links to posts the store did not know, now recorded as published.
    pub by_hand: Vec<HandAdded>,
    /// Posts it holds that went out in earlier roundups (they stay there).
    pub earlier: usize,
    /// Titles of posts that were skipped and are published now.
    pub revived: Vec<String>,
    /// Every post the file puts out (kept, and added by hand), with the link it printed: what
    /// `--social` writes.
    pub posts: Vec<social::PublishedPost>,
}

impl PublishReport {
    /// A report of publishing `file` that changed nothing (yet).
    fn unchanged(
        file: &Path,
        title: String,
        date: DateTime<Utc>,
        roundup: &RoundupRef,
        kept: usize,
    ) -> PublishReport {
        PublishReport {
            file: file.to_owned(),
            title,
            date,
            draft: roundup.draft.clone(),
            kept,
            published: 0,
            skipped: 0,
            updated: 0,
            changed: 0,
            by_hand: Vec::new(),
            earlier: 0,
            revived: Vec::new(),
            posts: Vec::new(),
        }
    }
}

/// Publishes the edited draft `file` at `now`: see the module's documentation. A file that
/// holds nothing of this store is refused and records nothing.
pub fn run(
    cfg: &Config,
    store: &Store,
    file: &Path,
    now: DateTime<Utc>,
) -> Result<PublishReport, PublishError> {
    let text = std::fs::read_to_string(file).map_err(|source| PublishError::Read {
        path: file.to_owned(),
        source,
    })?;
    let abs = std::path::absolute(file).unwrap_or_else(|_| file.to_owned());
    let record = record::find(store, &abs, &text)?;
    let (title, date, body) = match (front_matter(&text), &record) {
        (Ok(read), _) => read,
        // A template without front matter: the draft's id is in a closing comment, and the
        // title and date are the draft's own.
        (Err(_), Some(rec)) if !text.trim_start_matches('\u{feff}').starts_with("---") => {
            (rec.title.clone(), rec.selected_at, text.as_str())
        }
        (Err(problem), _) => {
            return Err(PublishError::FrontMatter {
                path: file.to_owned(),
                problem,
            })
        }
    };
    let page = page_of(cfg, store, body)?;
    let roundup = RoundupRef {
        title: title.clone(),
        date,
        file: file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        draft: record.as_ref().map(|r| r.id.clone()),
    };
    let mut reading = Reading::new(&roundup);
    if let Some(rec) = &record {
        reading.draft_items(store, rec, &page)?;
    }
    let foreign_id = record::id_in(&text).filter(|_| record.is_none());
    let by_hand = reading.linked_items(cfg, store, &page)?;
    if let Some(rec) = &record {
        reading.hand_items_gone(store, rec)?;
    }
    refuse_empty(file, store, record.as_ref(), &reading, &by_hand, foreign_id)?;

    let mut report = PublishReport::unchanged(file, title, date, &roundup, reading.kept.len());
    report.posts = posts_out(record.as_ref(), &page, &reading, &by_hand);
    let digest = record::hash(&text);
    if record
        .as_ref()
        .is_some_and(|r| r.published_hash.as_deref() == Some(digest.as_str()))
    {
        // The very file published before: what changed since (an unskip) stands.
        return Ok(report);
    }
    let hand_items = record_states(store, record, &reading, &by_hand, &roundup, digest, now)?;
    report.published = reading.published + hand_items;
    report.skipped = reading.skipped;
    report.updated = reading.updated;
    report.changed = reading.changed.len() + hand_items;
    report.by_hand = by_hand;
    report.earlier = reading.earlier;
    report.revived = reading.revived;
    Ok(report)
}

/// The posts the file puts out, each with the link the draft printed for it (its short link).
/// The posts the file puts out, in the order the file shows them.
fn posts_out(
    record: Option<&DraftRecord>,
    page: &Page,
    reading: &Reading<'_>,
    by_hand: &[HandAdded],
) -> Vec<social::PublishedPost> {
    let printed: HashMap<&str, &str> = record
        .map(|r| {
            r.items
                .iter()
                .map(|d| (d.key.as_str(), d.printed_link.as_str()))
                .collect()
        })
        .unwrap_or_default();
    let kept = reading.kept.iter().map(|i| {
        let link = printed
            .get(i.key.as_str())
            .map_or_else(|| i.link.clone(), |p| (*p).to_owned());
        let at = page.line_of(&i.title, &[&link, &i.link]);
        let post = social::PublishedPost {
            title: i.title.clone(),
            author: i.author.clone(),
            link,
        };
        (at, post)
    });
    let added = by_hand.iter().map(|h| {
        let post = social::PublishedPost {
            title: h.title.clone(),
            author: h.author.clone(),
            link: h.link.clone(),
        };
        (page.line_of(&h.title, &[&h.link]), post)
    });
    let mut posts: Vec<_> = kept.chain(added).collect();
    posts.sort_by_key(|(at, _)| at.unwrap_or(usize::MAX));
    posts.into_iter().map(|(_, post)| post).collect()
}

/// The visible text of the draft's body, its builtin short links read as their targets too.
fn page_of(cfg: &Config, store: &Store, body: &str) -> Result<Page, StoreError> {
    let mut page = Page::new(&visible(body));
    for l in page.found.clone() {
        if let Some(target) = crate::shorten::builtin_target(&cfg.shortener, store, &l.url)? {
            page.add_link(&target);
        }
    }
    Ok(page)
}

/// Refuses a file that holds nothing of this store, or none of its draft's posts.
fn refuse_empty(
    file: &Path,
    store: &Store,
    record: Option<&DraftRecord>,
    reading: &Reading<'_>,
    by_hand: &[HandAdded],
    foreign_id: Option<String>,
) -> Result<(), PublishError> {
    match record {
        // A file that carries the draft id of another store came from another store, whatever
        // its links happen to match (two stores may share a shortener's address).
        None if reading.seen.is_empty() || foreign_id.is_some() => Err(PublishError::Foreign {
            path: file.to_owned(),
            store: store.path().to_owned(),
            why: match foreign_id {
                Some(id) => format!("it is a draft of another store: its draft id {id} is not in"),
                None => "none of its links is a post, and it carries no draft id, of the store"
                    .to_owned(),
            },
        }),
        Some(rec) if reading.kept.is_empty() && by_hand.is_empty() => {
            let (what, hint) = match rec.items.len() {
                0 => (
                    format!(
                        "its draft {} had no posts (nothing new had arrived)",
                        rec.id
                    ),
                    String::new(),
                ),
                n => (
                    format!(
                        "it shows none of the {} of its draft {} (deleted or commented out)",
                        if n == 1 {
                            "1 post".to_owned()
                        } else {
                            format!("{n} posts")
                        },
                        rec.id
                    ),
                    " (to leave them out of the next draft, `roundup skip` them)".to_owned(),
                ),
            };
            Err(PublishError::NothingKept {
                path: file.to_owned(),
                what,
                hint,
            })
        }
        _ => Ok(()),
    }
}

/// Writes what the reading decided: the items' new states, the posts added by hand, the
/// draft record's publication, and where the next window starts. Returns how many posts were
/// added by hand.
fn record_states(
    store: &Store,
    record: Option<DraftRecord>,
    reading: &Reading<'_>,
    by_hand: &[HandAdded],
    roundup: &RoundupRef,
    digest: String,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let hand_items: Vec<Item> = by_hand
        .iter()
        .map(|h| reading::hand_item(h, roundup, now))
        .collect();
    // The next window starts where this roundup's content was selected; a file roundup did
    // not write was selected no earlier than the last post it holds was first seen.
    let selected_at = match &record {
        Some(rec) => rec.selected_at,
        None => reading
            .kept
            .iter()
            .map(|i| i.first_seen)
            .max()
            .unwrap_or(now),
    };
    let record = record.map(|mut rec| {
        rec.published.get_or_insert(now);
        rec.published_hash = Some(digest);
        rec
    });
    let last = store.meta::<LastPublished>(Meta::LastPublished)?;
    let last = last
        .as_ref()
        .is_none_or(|l| l.selected_at <= selected_at)
        .then(|| LastPublished {
            selected_at,
            draft: roundup.draft.clone(),
            title: roundup.title.clone(),
            file: roundup.file.clone(),
            published_at: last
                .as_ref()
                .filter(|l| l.selected_at == selected_at)
                .map_or(now, |l| l.published_at),
        });
    // One transaction: a crash leaves the publish done or not done, never half.
    crate::files::crash_point("publish-read");
    store.record_publication(
        &reading.changed,
        &hand_items,
        record.as_ref().map(|rec| (rec.id.as_str(), rec)),
        last.as_ref().map(|l| (Meta::LastPublished, l)),
    )?;
    crate::files::crash_point("publish-recorded");
    store.flush()?;
    crate::files::crash_point("publish-flushed");
    Ok(hand_items.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::draft::DraftedItem;
    use crate::item::ItemState;
    use chrono::TimeZone;

    fn cfg() -> Config {
        Config::parse(
            Path::new("test.toml"),
            "[shortener]\nkind = \"builtin\"\nbase_url = \"http://tm3.org/\"\n[[source]]\nname = \"A\"\nurl = \"https://a.example/feed\"\n",
        )
        .unwrap()
    }

    fn t(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2016, 5, day, 12, 0, 0).unwrap()
    }

    fn item(key: &str) -> Item {
        Item {
            author: "Au".into(),
            summary: "S".into(),
            ..Item::new(
                key,
                "A",
                format!("https://a.example/{key}/"),
                format!("Post {key}"),
                t(10),
            )
        }
    }

    fn block(key: &str) -> String {
        format!("**Post {key}** by Au\n\n> S\n\n... read more at [http://tm3.org/{key}](http://tm3.org/{key})\n\n")
    }

    /// A store with items a, b, c, the record of draft `dtest` holding them, and `body` as the
    /// file's text after its front matter.
    fn setup(dir: &Path, body: &str) -> (Store, PathBuf) {
        let store = Store::open(&dir.join("db")).unwrap();
        let items: Vec<Item> = ["a", "b", "c"].iter().map(|k| item(k)).collect();
        store.upsert_items(&items).unwrap();
        let file = dir.join("d.md");
        let drafted = items
            .iter()
            .map(|i| DraftedItem {
                key: i.key.clone(),
                link: i.link.clone(),
                printed_link: format!("http://tm3.org/{}", i.key),
            })
            .collect();
        let mut rec = DraftRecord::new("dtest".into(), "T".into(), t(17), t(1), drafted, None);
        rec.file = Some(file.clone());
        store.put_draft("dtest", Some(&file), &rec).unwrap();
        std::fs::write(
            &file,
            format!("---\ntitle: \"Roundup: May\"\ndate: 2016-05-30 09:00:00 UTC\nroundup_draft: dtest\n---\n\n{body}"),
        )
        .unwrap();
        (store, file)
    }

    fn state(store: &Store, key: &str) -> ItemState {
        store.item(key).unwrap().unwrap().state
    }

    #[test]
    fn kept_items_are_published_and_deleted_ones_skipped() {
        let dir = tempfile::tempdir().unwrap();
        // b deleted; c kept by its full link in a list.
        let body = format!("{}* [c](https://a.example/c/)\n", block("a"));
        let (store, file) = setup(dir.path(), &body);
        let r = run(&cfg(), &store, &file, t(30)).unwrap();
        assert_eq!((r.published, r.skipped, r.changed), (2, 1, 3));
        assert_eq!(r.title, "Roundup: May");
        let a = store.item("a").unwrap().unwrap();
        assert_eq!(a.state, ItemState::Published);
        assert_eq!(a.roundup.unwrap().draft.as_deref(), Some("dtest"));
        assert_eq!(state(&store, "b"), ItemState::Skipped);
        assert_eq!(state(&store, "c"), ItemState::Published);
        // The window is the draft's selection instant, not the front matter's date.
        let last: LastPublished = store.meta(Meta::LastPublished).unwrap().unwrap();
        assert_eq!(last.selected_at, t(17));
    }

    #[test]
    fn a_draft_without_front_matter_publishes_by_its_closing_id() {
        let dir = tempfile::tempdir().unwrap();
        let (store, file) = setup(dir.path(), "");
        let body = format!(
            "{}{}<!-- roundup_draft: dtest -->\n",
            block("a"),
            block("c")
        );
        std::fs::write(&file, &body).unwrap();
        let r = run(&cfg(), &store, &file, t(30)).unwrap();
        assert_eq!((r.published, r.skipped), (2, 1));
        assert_eq!((r.title.as_str(), r.date), ("T", t(17)));
        assert_eq!(state(&store, "b"), ItemState::Skipped);
        // Without the id it is no draft of this store: refused as before.
        std::fs::write(dir.path().join("other.md"), block("a")).unwrap();
        let err = run(&cfg(), &store, &dir.path().join("other.md"), t(30)).unwrap_err();
        assert!(err.to_string().contains("front matter"), "{err}");
    }

    #[test]
    fn publishing_twice_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (store, file) = setup(dir.path(), &block("a"));
        run(&cfg(), &store, &file, t(30)).unwrap();
        let before = store.items().unwrap();
        let r = run(&cfg(), &store, &file, t(31)).unwrap();
        assert_eq!((r.published, r.skipped, r.changed, r.kept), (0, 0, 0, 1));
        assert_eq!(store.items().unwrap(), before);
    }

    #[test]
    fn commented_out_items_are_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let body = format!("{}<!--\n{}-->\n{}", block("a"), block("b"), block("c"));
        let (store, file) = setup(dir.path(), &body);
        run(&cfg(), &store, &file, t(30)).unwrap();
        assert_eq!(state(&store, "b"), ItemState::Skipped);
        assert_eq!(state(&store, "a"), ItemState::Published);
    }

    #[test]
    fn a_link_edited_to_https_or_a_title_without_its_link_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        // a: the short link's scheme changed; b: only its title line is left; c: its full link
        // without the trailing slash, with a tracking parameter.
        let body = "... read more at [https://tm3.org/a](https://tm3.org/a)\n\n\
                    **Post b** by Au\n\n\
                    See http://a.example/c?utm_source=x too.\n";
        let (store, file) = setup(dir.path(), body);
        let r = run(&cfg(), &store, &file, t(30)).unwrap();
        assert_eq!((r.published, r.skipped), (3, 0), "{r:?}");
    }

    #[test]
    fn a_foreign_or_emptied_file_is_refused_and_records_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (store, file) = setup(dir.path(), "Nothing left.\n");
        let err = run(&cfg(), &store, &file, t(30)).unwrap_err().to_string();
        assert!(
            err.contains("none of the 3 posts of its draft dtest"),
            "{err}"
        );
        let foreign = dir.path().join("other.md");
        std::fs::write(
            &foreign,
            "---\ntitle: Other\ndate: 2016-05-30\nroundup_draft: dffff\n---\n\n**X** by Y\n\n... read more at [https://other.example/x](https://other.example/x)\n",
        )
        .unwrap();
        let err = run(&cfg(), &store, &foreign, t(30))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("a draft of another store: its draft id dffff is not in"),
            "{err}"
        );
        assert!(store
            .items()
            .unwrap()
            .iter()
            .all(|i| i.state == ItemState::Unseen));
        assert_eq!(
            store.meta::<LastPublished>(Meta::LastPublished).unwrap(),
            None
        );
    }

    #[test]
    fn links_added_by_hand_are_recorded_and_their_feed_does_not_bring_them_back() {
        let dir = tempfile::tempdir().unwrap();
        let body = format!(
            "{}**A post the editor found** by Someone\n\n... read more at [http://other.example/found/](http://other.example/found/)\n",
            block("a")
        );
        let (store, file) = setup(dir.path(), &body);
        let r = run(&cfg(), &store, &file, t(30)).unwrap();
        assert_eq!(r.by_hand.len(), 1);
        assert_eq!(r.by_hand[0].title, "A post the editor found");
        assert_eq!(r.by_hand[0].author, "Someone");
        // Its feed delivers it later, by https and without the slash.
        let mut from_feed = item("feedkey");
        from_feed.link = "https://other.example/found".into();
        let up = store.upsert_items(&[from_feed]).unwrap();
        assert_eq!((up.new, up.unchanged), (0, 1));
        let stored = store
            .find_item("https://other.example/found")
            .unwrap()
            .unwrap();
        assert_eq!(stored.state, ItemState::Published);
        // Publishing the same file again finds it stored: nothing changes.
        let r = run(&cfg(), &store, &file, t(31)).unwrap();
        assert_eq!((r.changed, r.by_hand.len()), (0, 0));
        // Taken out of the file and published again: it did not go out after all.
        std::fs::write(&file, std::fs::read_to_string(&file).unwrap().replace("**A post the editor found** by Someone\n\n... read more at [http://other.example/found/](http://other.example/found/)\n", "")).unwrap();
        let r = run(&cfg(), &store, &file, t(31)).unwrap();
        assert_eq!((r.published, r.skipped), (0, 1));
        assert_eq!(state(&store, &stored.key), ItemState::Skipped);
        assert!(r.posts.iter().all(|p| p.title != "A post the editor found"));
    }

    #[test]
    fn only_links_where_a_draft_puts_posts_are_posts_added_by_hand() {
        let dir = tempfile::tempdir().unwrap();
        let body = format!(
            "Thanks to the [RDO meetup](https://meetup.example/rdo) and https://photos.example/a for this month.\n\n\
             {}**[A linked title](https://x.example/linked/)** by Alice A\n\n\
             * [A list entry](https://x.example/entry) by Eve E\n\n\
             **Why we moved our docs to https://docs.example** by Mary M\n\n\
             ... read more at [https://me.example/post](https://me.example/post)\n\n\
             **=HYPERLINK(\"http://evil.example\",\"click\")** by @eve\n",
            block("a")
        );
        let (store, file) = setup(dir.path(), &body);
        let r = run(&cfg(), &store, &file, t(30)).unwrap();
        let got: Vec<(&str, &str)> = r
            .by_hand
            .iter()
            .map(|h| (h.title.as_str(), h.author.as_str()))
            .collect();
        // A URL inside a bold title is part of the title, not a post of its own.
        assert_eq!(
            got,
            [
                ("A linked title", "Alice A"),
                ("A list entry", "Eve E"),
                ("Why we moved our docs to https://docs.example", "Mary M")
            ]
        );
        assert_eq!(r.by_hand[2].link, "https://me.example/post");
    }

    #[test]
    fn republishing_an_edited_file_keeps_an_unskip_and_counts_record_updates() {
        let dir = tempfile::tempdir().unwrap();
        let (store, file) = setup(dir.path(), &format!("{}{}", block("a"), block("b")));
        run(&cfg(), &store, &file, t(30)).unwrap();
        assert_eq!(state(&store, "c"), ItemState::Skipped);
        set_state(&cfg(), &store, &["c".into()], ItemState::Unseen, false).unwrap();
        // A typo fixed, the date moved: c stays put back, a and b only carry the new date.
        let text = std::fs::read_to_string(&file)
            .unwrap()
            .replace("2016-05-30 09:00:00", "2016-06-01 09:00:00");
        std::fs::write(&file, text).unwrap();
        let r = run(&cfg(), &store, &file, t(31)).unwrap();
        assert_eq!((r.published, r.skipped, r.updated), (0, 0, 2));
        assert_eq!(state(&store, "c"), ItemState::Unseen);
        let a = store.item("a").unwrap().unwrap();
        assert_eq!(a.roundup.unwrap().date.format("%m-%d").to_string(), "06-01");
    }

    /// Put back before the draft was written, shown in it and deleted by the editor: the
    /// deletion is the newer word, and the post is skipped.
    #[test]
    fn a_post_put_back_before_its_draft_and_deleted_from_it_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let (store, file) = setup(dir.path(), &format!("{}{}", block("a"), block("b")));
        set_state(&cfg(), &store, &["c".into()], ItemState::Skipped, false).unwrap();
        set_state(&cfg(), &store, &["c".into()], ItemState::Unseen, false).unwrap();
        assert!(store.item("c").unwrap().unwrap().returned.is_some());
        let r = run(&cfg(), &store, &file, t(30)).unwrap();
        assert_eq!((r.published, r.skipped), (2, 1));
        assert_eq!(state(&store, "c"), ItemState::Skipped);
    }

    #[test]
    fn bad_front_matter_names_the_file_and_the_problem() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let cases = [
            ("no-fm.md", "Hello\n", "does not start with front matter"),
            ("open.md", "---\ntitle: x\n", "never ends"),
            ("no-title.md", "---\ndate: 2016-05-17\n---\n", "no title"),
            ("no-date.md", "---\ntitle: x\n---\n", "no date"),
            (
                "bad-date.md",
                "---\ntitle: x\ndate: tuesday\n---\n",
                "line 3: the date \"tuesday\"",
            ),
        ];
        for (name, text, want) in cases {
            let file = dir.path().join(name);
            std::fs::write(&file, text).unwrap();
            let err = run(&cfg(), &store, &file, t(30)).unwrap_err().to_string();
            assert!(err.contains(name) && err.contains(want), "{err}");
        }
        let err = run(&cfg(), &store, &dir.path().join("missing.md"), t(30)).unwrap_err();
        assert!(err.to_string().contains("missing.md"), "{err}");
    }

    #[test]
    fn a_draft_without_a_record_publishes_what_it_links_and_skips_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        store.upsert_items(&[item("a"), item("b")]).unwrap();
        let code = store
            .issue_code("https://a.example/a/", "0123456789", "5")
            .unwrap();
        let file = dir.path().join("saved-elsewhere.md");
        let text = format!("---\ntitle: T\ndate: 2016-05-17\n---\n[x](http://tm3.org/{code})\n");
        std::fs::write(&file, text).unwrap();
        let r = run(&cfg(), &store, &file, t(30)).unwrap();
        assert_eq!((r.published, r.skipped), (1, 0));
        assert_eq!(state(&store, "a"), ItemState::Published);
        assert_eq!(state(&store, "b"), ItemState::Unseen);
        let last: LastPublished = store.meta(Meta::LastPublished).unwrap().unwrap();
        assert_eq!(last.selected_at, t(10), "the last post's first sighting");
    }

    #[test]
    fn skip_takes_a_short_code_a_link_without_scheme_and_an_escaped_link() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let mut under = item("u");
        under.link = "https://a.example/json_feed/".into();
        store.upsert_items(&[item("a"), item("b"), under]).unwrap();
        let code = store
            .issue_code("https://a.example/a/", "0123456789", "5")
            .unwrap();
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let m = set_state(&cfg(), &store, &names(&[&code]), ItemState::Skipped, false).unwrap();
        assert_eq!((m[0].item.key.as_str(), m[0].was), ("a", ItemState::Unseen));
        let m = set_state(
            &cfg(),
            &store,
            &names(&["tm3.org/5"]),
            ItemState::Skipped,
            false,
        )
        .unwrap();
        assert_eq!(
            (m[0].item.key.as_str(), m[0].was),
            ("a", ItemState::Skipped)
        );
        set_state(
            &cfg(),
            &store,
            &names(&["a.example/b"]),
            ItemState::Skipped,
            false,
        )
        .unwrap();
        assert_eq!(state(&store, "b"), ItemState::Skipped);
        // As a draft shows it in text: markdown-escaped.
        set_state(
            &cfg(),
            &store,
            &names(&["https://a.example/json\\_feed/"]),
            ItemState::Skipped,
            false,
        )
        .unwrap();
        assert_eq!(state(&store, "u"), ItemState::Skipped);
    }

    #[test]
    fn skip_and_unskip_by_key_prefix_link_or_short_link() {
        let dir = tempfile::tempdir().unwrap();
        let (store, file) = setup(dir.path(), &block("a"));
        let code = store
            .issue_code("https://a.example/c/", "0123456789", "5")
            .unwrap();
        let skip = |names: &[&str], force: bool| {
            let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
            set_state(&cfg(), &store, &names, ItemState::Skipped, force)
        };
        let done = skip(
            &["http://a.example/b", &format!("https://tm3.org/{code}/")],
            false,
        )
        .unwrap();
        assert_eq!(done.len(), 2);
        assert_eq!(state(&store, "b"), ItemState::Skipped);
        assert_eq!(state(&store, "c"), ItemState::Skipped);
        store.upsert_items(&[item("zz1"), item("zz2")]).unwrap();
        let err = skip(&["zz"], false).unwrap_err().to_string();
        assert!(err.contains("zz1, zz2"), "{err}");
        skip(&["zz2"], false).unwrap();
        let err = skip(&["b", "nope"], false).unwrap_err().to_string();
        assert!(err.contains("\"nope\""), "{err}");
        // A published item is not skipped without --force.
        run(&cfg(), &store, &file, t(30)).unwrap();
        let err = skip(&["a"], false).unwrap_err().to_string();
        assert!(
            err.contains("--force") && err.contains("Roundup: May"),
            "{err}"
        );
        assert_eq!(state(&store, "a"), ItemState::Published);
        skip(&["a"], true).unwrap();
        assert_eq!(state(&store, "a"), ItemState::Skipped);
    }
}
