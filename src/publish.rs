//! The `publish` command and `skip`/`unskip`: reads an edited draft back and records what went
//! out. Items of the draft whose links are still in the file become Published in that roundup,
//! those the editor deleted become Skipped, and the roundup's date becomes the start of the next
//! draft's window.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use crate::config::{Config, ShortenerKind};
use crate::draft::{DraftRecord, DRAFT_PREFIX, LAST_ROUNDUP};
use crate::item::{Item, ItemState, RoundupRef};
use crate::render::link_target;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("cannot read the draft {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot publish {path}: {problem}")]
    FrontMatter { path: PathBuf, problem: String },
    #[error("no stored item has the key or link {0:?}; `roundup items` lists them")]
    UnknownItem(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What publishing a draft changed.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishReport {
    pub file: PathBuf,
    pub title: String,
    pub date: DateTime<Utc>,
    /// Items newly marked published.
    pub published: usize,
    /// Items newly marked skipped.
    pub skipped: usize,
    /// Items whose state changed (0 when the same file is published twice).
    pub changed: usize,
}

/// Marks what the edited draft `file` still holds as published, the rest of that draft as
/// skipped, records the roundup's date, and flushes.
pub fn run(cfg: &Config, store: &Store, file: &Path) -> Result<PublishReport, PublishError> {
    let text = std::fs::read_to_string(file).map_err(|source| PublishError::Read {
        path: file.to_owned(),
        source,
    })?;
    let (title, date, body) = front_matter(&text).map_err(|problem| PublishError::FrontMatter {
        path: file.to_owned(),
        problem,
    })?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let roundup = RoundupRef {
        title: title.clone(),
        date,
        file: name.clone(),
    };

    let candidates = candidates(cfg, store, &name)?;
    let mut changed = Vec::new();
    let (mut published, mut skipped) = (0, 0);
    for Candidate { item, links, ours } in candidates {
        // An item that went out in another roundup stays there.
        if item.state == ItemState::Published
            && item.roundup.as_ref().is_some_and(|r| r.file != name)
        {
            continue;
        }
        let present = links.iter().any(|l| contains_link(body, l));
        let mut next = item.clone();
        if present {
            next.state = ItemState::Published;
            next.roundup = Some(roundup.clone());
        } else if ours {
            next.state = ItemState::Skipped;
            next.roundup = None;
        } else {
            continue;
        }
        if next != item {
            match next.state {
                ItemState::Published => published += 1,
                _ => skipped += 1,
            }
            changed.push(next);
        }
    }
    store.put_items(&changed)?;
    let newer = match store.meta::<RoundupRef>(LAST_ROUNDUP)? {
        Some(last) => last.date < date,
        None => true,
    };
    if newer {
        store.put_meta(LAST_ROUNDUP, &roundup)?;
    }
    store.flush()?;
    Ok(PublishReport {
        file: file.to_owned(),
        title,
        date,
        published,
        skipped,
        changed: changed.len(),
    })
}

/// An item this publish may change, every link the draft may show it by, and whether it was in
/// the draft (so its absence means the editor deleted it).
struct Candidate {
    item: Item,
    links: Vec<String>,
    ours: bool,
}

/// The items of the draft `name`, from its record. Without a record (a draft written elsewhere,
/// or to stdout and saved under another name) every unseen item is a candidate: those whose
/// links appear are published, and nothing is skipped.
fn candidates(cfg: &Config, store: &Store, name: &str) -> Result<Vec<Candidate>, StoreError> {
    let mut out = Vec::new();
    match store.meta::<DraftRecord>(&format!("{DRAFT_PREFIX}{name}"))? {
        Some(rec) => {
            for d in rec.items {
                if let Some(item) = store.item(&d.key)? {
                    let links = vec![item.link.clone(), d.link, d.shown];
                    out.push(Candidate {
                        item,
                        links,
                        ours: true,
                    });
                }
            }
        }
        None => {
            for item in store.items()? {
                let ours = item.drafted_in.as_deref() == Some(name);
                if ours || item.state == ItemState::Unseen {
                    let mut links = vec![item.link.clone()];
                    links.extend(short_links(cfg, store, &item.link));
                    out.push(Candidate { item, links, ours });
                }
            }
        }
    }
    Ok(out)
}

/// Sets the state of items named by key or link (`roundup skip` / `unskip`). Every name is
/// checked before anything changes; an unknown one is an error naming it.
pub fn set_state(
    store: &Store,
    keys_or_links: &[String],
    state: ItemState,
) -> Result<Vec<Item>, PublishError> {
    let mut items = Vec::new();
    for k in keys_or_links {
        let item = store
            .find_item(k.trim())?
            .ok_or_else(|| PublishError::UnknownItem(k.clone()))?;
        items.push(item);
    }
    for item in &mut items {
        item.state = state;
        if state != ItemState::Published {
            item.roundup = None;
        }
    }
    store.put_items(&items)?;
    store.flush()?;
    Ok(items)
}

/// The short links already issued for `url`, for drafts without a record.
fn short_links(cfg: &Config, store: &Store, url: &str) -> Vec<String> {
    let mut out = Vec::new();
    if cfg.shortener.kind == ShortenerKind::Builtin {
        if let Ok(Some(code)) = store.code_for(url) {
            out.push(format!("{}{code}", cfg.shortener.base_url));
        }
    }
    if let Ok(Some(short)) = store.meta::<String>(&format!("yourls:{url}")) {
        out.push(short);
    }
    out
}

/// Whether `link` (as written, or as a markdown link target) occurs in `body` as a whole URL:
/// `http://tm3.org/6e` is not in `http://tm3.org/6ef`.
pub fn contains_link(body: &str, link: &str) -> bool {
    let link = link.trim();
    if link.is_empty() {
        return false;
    }
    let target = link_target(link);
    [link, target.as_str()].iter().any(|needle| {
        body.match_indices(needle).any(|(at, _)| {
            let mut after = body[at + needle.len()..].chars();
            match after.next() {
                None => true,
                Some(c) if c.is_alphanumeric() || "-_~/%?=&#+".contains(c) => false,
                Some('.') => !after.next().is_some_and(|c| c.is_alphanumeric()),
                Some(_) => true,
            }
        })
    })
}

/// The title, the date and the body of a draft.
pub fn front_matter(text: &str) -> Result<(String, DateTime<Utc>, &str), String> {
    let text = text.trim_start_matches('\u{feff}');
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "---" {
        return Err(
            "it does not start with front matter (a first line \"---\"); was it a roundup draft?"
                .into(),
        );
    }
    let mut consumed = first.len();
    let mut title = None;
    let mut date = None;
    let mut closed = false;
    for (n, line) in lines.enumerate() {
        consumed += line.len();
        let l = line.trim_end();
        if l == "---" || l == "..." {
            closed = true;
            break;
        }
        if let Some((key, value)) = l.split_once(':') {
            match key {
                "title" => title = Some(unquote(value.trim())),
                "date" => date = Some((n + 2, unquote(value.trim()))),
                _ => {}
            }
        }
    }
    if !closed {
        return Err("its front matter never ends (no closing line \"---\")".into());
    }
    let title = title
        .filter(|t| !t.is_empty())
        .ok_or("its front matter has no title (a line \"title: ...\")")?;
    let (line, date) =
        date.ok_or("its front matter has no date (a line \"date: 2016-05-17 17:18:56 UTC\")")?;
    let date = parse_date(&date).ok_or_else(|| {
        format!("line {line}: the date {date:?} is not like 2016-05-17 17:18:56 UTC")
    })?;
    Ok((title, date, &text[consumed..]))
}

fn unquote(v: &str) -> String {
    if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
        let inner = &v[1..v.len() - 1];
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n') => out.push(' '),
                    Some('t') => out.push('\t'),
                    Some(o) => out.push(o),
                    None => {}
                }
            } else {
                out.push(c);
            }
        }
        out
    } else if v.len() >= 2 && v.starts_with('\'') && v.ends_with('\'') {
        v[1..v.len() - 1].replace("''", "'")
    } else {
        v.to_owned()
    }
}

fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S %z") {
        return Some(t.with_timezone(&Utc));
    }
    let bare = s.strip_suffix("UTC").unwrap_or(s).trim();
    if let Ok(t) = NaiveDateTime::parse_from_str(bare, "%Y-%m-%d %H:%M:%S") {
        return Some(t.and_utc());
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(bare, "%Y-%m-%d %H:%M") {
        return Some(t.and_utc());
    }
    NaiveDate::parse_from_str(bare, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn cfg() -> Config {
        Config::parse(
            Path::new("test.toml"),
            "[shortener]\nkind = \"builtin\"\nbase_url = \"http://tm3.org/\"\n[[source]]\nname = \"A\"\nurl = \"https://a.example/feed\"\n",
        )
        .unwrap()
    }

    fn item(key: &str) -> Item {
        let t = Utc.with_ymd_and_hms(2016, 5, 10, 12, 0, 0).unwrap();
        Item {
            key: key.into(),
            source: "A".into(),
            link: format!("https://a.example/{key}"),
            title: key.into(),
            author: "Au".into(),
            summary: "S".into(),
            published: t,
            first_seen: t,
            categories: vec![],
            state: ItemState::Unseen,
            roundup: None,
            drafted_in: None,
        }
    }

    fn setup(dir: &Path) -> (Store, PathBuf) {
        let store = Store::open(&dir.join("db")).unwrap();
        let items: Vec<Item> = ["a", "b", "c"].iter().map(|k| item(k)).collect();
        store.upsert_items(&items).unwrap();
        let date = Utc.with_ymd_and_hms(2016, 5, 17, 17, 18, 56).unwrap();
        let rec = DraftRecord {
            name: "d.md".into(),
            title: "T".into(),
            date,
            items: items
                .iter()
                .map(|i| crate::draft::DraftedItem {
                    key: i.key.clone(),
                    link: i.link.clone(),
                    shown: format!("http://tm3.org/{}", i.key),
                })
                .collect(),
        };
        store.put_meta("draft:d.md", &rec).unwrap();
        let file = dir.join("d.md");
        // The editor deleted b's block; a is there by its short link, c by its full link.
        std::fs::write(
            &file,
            "---\ntitle: \"Roundup: May\"\ndate: 2016-05-17 17:18:56 UTC\npublished: true\n---\n\n\
             **a** by Au\n\n... read more at [http://tm3.org/a](http://tm3.org/a)\n\n\
             * [c](https://a.example/c)\n",
        )
        .unwrap();
        (store, file)
    }

    #[test]
    fn kept_items_are_published_and_deleted_ones_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let (store, file) = setup(dir.path());
        let r = run(&cfg(), &store, &file).unwrap();
        assert_eq!((r.published, r.skipped, r.changed), (2, 1, 3));
        assert_eq!(r.title, "Roundup: May");
        let a = store.item("a").unwrap().unwrap();
        assert_eq!(a.state, ItemState::Published);
        assert_eq!(a.roundup.unwrap().file, "d.md");
        assert_eq!(store.item("b").unwrap().unwrap().state, ItemState::Skipped);
        assert_eq!(
            store.item("c").unwrap().unwrap().state,
            ItemState::Published
        );
        let last: RoundupRef = store.meta(LAST_ROUNDUP).unwrap().unwrap();
        assert_eq!(last.date, r.date);
    }

    #[test]
    fn publishing_twice_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (store, file) = setup(dir.path());
        run(&cfg(), &store, &file).unwrap();
        let before = store.items().unwrap();
        let r = run(&cfg(), &store, &file).unwrap();
        assert_eq!((r.published, r.skipped, r.changed), (0, 0, 0));
        assert_eq!(store.items().unwrap(), before);
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
            let err = run(&cfg(), &store, &file).unwrap_err().to_string();
            assert!(err.contains(name) && err.contains(want), "{err}");
        }
        let err = run(&cfg(), &store, &dir.path().join("missing.md")).unwrap_err();
        assert!(err.to_string().contains("missing.md"), "{err}");
    }

    #[test]
    fn a_draft_without_a_record_publishes_what_it_links_and_skips_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        store.upsert_items(&[item("a"), item("b")]).unwrap();
        let code = store
            .issue_code("https://a.example/a", "0123456789", "5")
            .unwrap();
        let file = dir.path().join("saved-elsewhere.md");
        let text = format!("---\ntitle: T\ndate: 2016-05-17\n---\n[x](http://tm3.org/{code})\n");
        std::fs::write(&file, text).unwrap();
        let r = run(&cfg(), &store, &file).unwrap();
        assert_eq!((r.published, r.skipped), (1, 0));
        assert_eq!(
            store.item("a").unwrap().unwrap().state,
            ItemState::Published
        );
        assert_eq!(store.item("b").unwrap().unwrap().state, ItemState::Unseen);
    }

    #[test]
    fn whole_links_only() {
        assert!(contains_link("[x](http://tm3.org/6e)", "http://tm3.org/6e"));
        assert!(contains_link("see http://tm3.org/6e.", "http://tm3.org/6e"));
        assert!(!contains_link(
            "[x](http://tm3.org/6ef)",
            "http://tm3.org/6e"
        ));
        assert!(!contains_link("http://tm3.org/6e/x", "http://tm3.org/6e"));
        assert!(contains_link("(https://x/a_%28b%29)", "https://x/a_(b)"));
        assert!(!contains_link("anything", ""));
    }

    #[test]
    fn skip_and_unskip_by_key_or_link() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        store.upsert_items(&[item("a"), item("b")]).unwrap();
        let done = set_state(
            &store,
            &["a".into(), "https://a.example/b".into()],
            ItemState::Skipped,
        )
        .unwrap();
        assert_eq!(done.len(), 2);
        assert_eq!(store.item("b").unwrap().unwrap().state, ItemState::Skipped);
        set_state(&store, &["b".into()], ItemState::Unseen).unwrap();
        assert_eq!(store.item("b").unwrap().unwrap().state, ItemState::Unseen);
        let err = set_state(&store, &["a".into(), "nope".into()], ItemState::Skipped).unwrap_err();
        assert!(err.to_string().contains("\"nope\""), "{err}");
    }
}
