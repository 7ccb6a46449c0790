//! A draft reviewed on the review page rather than in its file: which posts are left out, their
//! order, and the titles, authors and summaries the editor changed, kept in the draft's record
//! (for that roundup only: the stored items keep what the feeds said). `markdown` renders the
//! draft as those edits make it, the same file `draft` would have written with them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::record::{self, DraftRecord};
use super::select::{series_label, series_of, series_picks, SeriesEntry};
use super::DraftError;
use crate::config::Config;
use crate::item::Item;
use crate::render::{self, DraftView, ItemView, Renderer};
use crate::store::Store;

/// The editor's changes to a draft, made on the review page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Review {
    /// Keys in the order the editor put them (keys not named keep the draft's order, after).
    #[serde(default)]
    pub order: Vec<String>,
    #[serde(default)]
    pub left_out: BTreeSet<String>,
    #[serde(default)]
    pub edits: BTreeMap<String, Edit>,
}

/// A post's text as the editor changed it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Edit {
    pub title: Option<String>,
    pub author: Option<String>,
    pub summary: Option<String>,
}

/// One post of the draft as the review page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Card {
    pub key: String,
    pub title: String,
    pub author: String,
    pub summary: String,
    pub source: String,
    pub date: String,
    pub link: String,
    /// The link the draft prints (its short link).
    pub printed_link: String,
    pub included: bool,
    /// The series list it is in, if any (its introduction).
    pub series: Option<String>,
    pub edited: bool,
    #[serde(skip)]
    item: Item,
}

/// What the editor can do to one post.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Include,
    LeaveOut,
    Up,
    Down,
    Edit(Edit),
}

impl Review {
    /// Applies `change` to the post `key` of `record`.
    pub fn apply(&mut self, record: &DraftRecord, key: &str, change: Change) {
        if self.order.is_empty() {
            self.order = record.items.iter().map(|d| d.key.clone()).collect();
        }
        match change {
            Change::Include => {
                self.left_out.remove(key);
            }
            Change::LeaveOut => {
                self.left_out.insert(key.to_owned());
            }
            Change::Up | Change::Down => {
                if let Some(at) = self.order.iter().position(|k| k == key) {
                    let to = if change == Change::Up {
                        at.checked_sub(1)
                    } else {
                        Some(at + 1).filter(|&t| t < self.order.len())
                    };
                    if let Some(to) = to {
                        self.order.swap(at, to);
                    }
                }
            }
            Change::Edit(edit) => {
                self.edits.insert(key.to_owned(), edit);
            }
        }
    }
}

/// The posts of `record`, in the review's order, with the editor's text.
pub fn cards(cfg: &Config, store: &Store, record: &DraftRecord) -> Result<Vec<Card>, DraftError> {
    let review = record.review.as_deref().cloned().unwrap_or_default();
    let mut keys: Vec<&str> = review.order.iter().map(String::as_str).collect();
    let ordered: std::collections::HashSet<&str> = keys.iter().copied().collect();
    keys.extend(
        record
            .items
            .iter()
            .map(|d| d.key.as_str())
            .filter(|k| !ordered.contains(k)),
    );
    let printed: HashMap<&str, &str> = record
        .items
        .iter()
        .map(|d| (d.key.as_str(), d.printed_link.as_str()))
        .collect();
    let mut out = Vec::new();
    for key in keys {
        let (Some(item), Some(printed)) = (store.item(key)?, printed.get(key)) else {
            continue;
        };
        let edit = review.edits.get(key).cloned().unwrap_or_default();
        let series = cfg
            .series
            .iter()
            .find(|s| series_label(s, &item.title).is_some())
            .map(|s| s.intro.clone());
        out.push(Card {
            key: key.to_owned(),
            title: edit.title.clone().unwrap_or_else(|| item.title.clone()),
            author: edit.author.clone().unwrap_or_else(|| item.author.clone()),
            summary: edit.summary.clone().unwrap_or_else(|| item.summary.clone()),
            source: item.source.clone(),
            date: item.published.format("%Y-%m-%d").to_string(),
            link: item.link.clone(),
            printed_link: (*printed).to_owned(),
            included: !review.left_out.contains(key),
            series,
            edited: edit != Edit::default(),
            item,
        });
    }
    Ok(out)
}

/// The draft as the review makes it: the included posts in their order, series gathered as
/// `draft` gathers them, the editor's text, the record's id and the feed-health comment.
pub fn markdown(
    cfg: &Config,
    store: &Store,
    record: &DraftRecord,
    now: DateTime<Utc>,
) -> Result<String, DraftError> {
    let cards = cards(cfg, store, record)?;
    let mut series = series_picks(cfg);
    let mut items = Vec::new();
    for card in cards.iter().filter(|c| c.included) {
        // The series is the feed title's; the label is the editor's title, cut the same way.
        if let Some((i, _)) = series_of(cfg, &card.item.title) {
            let label =
                series_label(&cfg.series[i], &card.title).unwrap_or_else(|| card.title.clone());
            let mut item = card.item.clone();
            item.title.clone_from(&card.title);
            series[i].entries.push(SeriesEntry { label, item });
            continue;
        }
        items.push(ItemView {
            title: card.title.clone(),
            author: card.author.clone(),
            summary: card.summary.clone(),
            link: card.printed_link.clone(),
            full_link: card.link.clone(),
        });
    }
    series.retain(|s| !s.entries.is_empty());
    let view = DraftView {
        title: record.title.clone(),
        author: cfg.roundup.author.clone(),
        date: render::front_matter_date(record.selected_at),
        tags: cfg.roundup.tags.join(", "),
        intro: cfg.roundup.intro.clone(),
        empty: series.is_empty() && items.is_empty(),
        empty_text: cfg.roundup.empty.clone(),
        series: super::series_views(&series).0,
        series_outro: cfg.roundup.series_outro.clone(),
        items,
        read_more: cfg.roundup.read_more.clone(),
    };
    let renderer = Renderer::load(cfg.roundup.template.as_deref())?;
    let text = record::stamp(renderer.render(view)?, &record.id);
    let health = crate::health::check(cfg, store, now)?.comment(cfg);
    Ok(crate::health::open_with(text, &health))
}

/// The current draft: the one last written to a file and not yet published.
pub fn current(store: &Store) -> Result<Option<DraftRecord>, DraftError> {
    let records = record::load_all(store)?;
    Ok(records
        .into_iter()
        .filter(|r| r.file.is_some() && r.published.is_none())
        .max_by_key(|r| r.selected_at))
}

/// Whether the editor changed the draft's file since roundup wrote it: then the page must not
/// overwrite it. A file that is gone was not edited: publishing from the page writes it again.
pub fn edited_by_hand(record: &DraftRecord) -> bool {
    let Some(path) = &record.file else {
        return false;
    };
    match std::fs::read(path) {
        Ok(bytes) => {
            record.edited
                || record.hash.as_deref()
                    != Some(record::hash(&String::from_utf8_lossy(&bytes)).as_str())
        }
        Err(e) => e.kind() != std::io::ErrorKind::NotFound,
    }
}

/// Writes the reviewed draft over its file (only when it was not edited by hand: see
/// `edited_by_hand`), keeping the record in step, and returns the path.
pub fn write(
    cfg: &Config,
    store: &Store,
    record: &DraftRecord,
    now: DateTime<Utc>,
) -> Result<std::path::PathBuf, DraftError> {
    let text = markdown(cfg, store, record, now)?;
    let path = record.file.clone().expect("a current draft has a file");
    let mut next = record.clone();
    next.hash = Some(record::hash(&text));
    record::commit(store, Some(record.clone()), &next, &path, &text)?;
    Ok(path)
}
