//! Parsed entries -> `Item`s, by the extraction rules in `docs/design.md`: what an editor
//! would write by hand. Title, author, summary, link, date, categories and our own stable key;
//! the configured filters decide what is kept. Everything here is pure: time comes in through `Context::now`.

pub mod author;
pub mod link;
pub mod summary;

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};

use crate::config::{Filters, Source};
use crate::item::{Item, ItemState};
use crate::parse::{Entry, ParsedFeed};
use crate::text::clean_inline;

/// What extraction needs besides the feed.
pub struct Context<'a> {
    pub source: &'a Source,
    pub global: &'a Filters,
    /// `[authors]`: login -> display name.
    pub aliases: &'a BTreeMap<String, String>,
    /// The feed's final URL after redirects.
    pub base: Option<&'a url::Url>,
    pub now: DateTime<Utc>,
    /// Only the first `max_items` entries are looked at.
    pub max_items: usize,
}

/// The items of one feed, how many entries the filters removed, and why others were dropped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extracted {
    pub items: Vec<Item>,
    /// The comparable form of each item's link (`link::comparable`), one per item: worked out
    /// here, on the poll's parse threads, for the store's writer to look links up by without
    /// parsing each one again.
    pub alike: Vec<Option<String>>,
    pub filtered: usize,
    /// One reason per entry that could not become an item (filtered entries are only counted).
    pub dropped: Vec<String>,
    /// Entries past `max_items`, not read.
    pub over_max_items: usize,
    /// Items whose entry gave no date: dated when first seen.
    pub undated: usize,
    /// Items whose entry gave no title: titled from their summary.
    pub untitled: usize,
}

impl Extracted {
    /// Entries there were, and none could become an item (no filter took them out): the
    /// source is broken, or its selectors are.
    pub fn unusable(&self) -> bool {
        self.items.is_empty() && self.filtered == 0 && !self.dropped.is_empty()
    }
}

/// Words of the summary used as a title when an entry has none.
const TITLE_FALLBACK_WORDS: usize = 10;

/// The longest title, author line and summary kept, in characters: a feed's text goes into a
/// post, and one that sends a 5 MB title or a 10,000-character word must not fill it.
pub const MAX_TITLE_CHARS: usize = 300;
pub const MAX_AUTHOR_CHARS: usize = 200;
pub const MAX_SUMMARY_CHARS: usize = 2000;

pub fn extract(feed: &ParsedFeed, cx: &Context<'_>) -> Extracted {
    let ids_usable = ids_usable(&feed.entries);
    let feed_authors: Vec<String> = feed
        .authors
        .iter()
        .filter_map(|a| author::clean_name(a, cx.aliases))
        .collect();
    let mut out = Extracted {
        over_max_items: feed.entries.len().saturating_sub(cx.max_items),
        ..Extracted::default()
    };
    for (i, entry) in feed.entries.iter().take(cx.max_items).enumerate() {
        let feed = FeedFacts {
            authors: &feed_authors,
            ids_usable,
        };
        if let Some((item, alike)) = extract_entry(i, entry, &feed, cx, &mut out) {
            out.items.push(item);
            out.alike.push(alike);
        }
    }
    out
}

/// What the whole feed says that each entry's extraction needs.
struct FeedFacts<'a> {
    authors: &'a [String],
    ids_usable: bool,
}

/// Entry `i` as an item and its link's comparable form, or `None` when it has no usable link
/// or a filter leaves it out (counted in `out`).
fn extract_entry(
    i: usize,
    entry: &Entry,
    feed: &FeedFacts<'_>,
    cx: &Context<'_>,
    out: &mut Extracted,
) -> Option<(Item, Option<String>)> {
    let raw_title = entry.title.as_deref().map(clean_inline).unwrap_or_default();
    let link = entry.orig_link.as_deref().or(entry.link.as_deref());
    let (link, alike) = match link::canonical_and_comparable(link, cx.base) {
        Ok(link) => link,
        Err(e) => {
            out.dropped.push(format!(
                "entry {} ({:?}) {}",
                i + 1,
                raw_title,
                why_unusable(e)
            ));
            return None;
        }
    };
    let summary = summary::summarize(entry.summary.as_deref(), entry.content.as_deref());
    let title = if raw_title.is_empty() {
        out.untitled += 1;
        title_from(&summary)
    } else {
        raw_title
    };
    let names = author_names(entry, feed.authors, cx);
    let categories = categories(&entry.categories);
    if !passes(&cx.source.filters, &title, &names, &categories)
        || !passes(cx.global, &title, &names, &categories)
    {
        out.filtered += 1;
        return None;
    }
    let published = date_of(entry, cx.now, out);
    let key = key(
        entry,
        feed.ids_usable,
        &link,
        &title,
        &summary,
        cx.source.url.as_str(),
    );
    let item = Item {
        key,
        source: cx.source.name.clone(),
        link,
        title: bounded(title, MAX_TITLE_CHARS),
        author: bounded(author::join_names(&names), MAX_AUTHOR_CHARS),
        summary: bounded(summary, MAX_SUMMARY_CHARS),
        published,
        first_seen: cx.now,
        categories,
        state: ItemState::Unseen,
        roundup: None,
        returned: None,
    };
    Some((item, alike))
}

/// Published, else updated, else now (counted as undated); never in the future.
fn date_of(entry: &Entry, now: DateTime<Utc>, out: &mut Extracted) -> DateTime<Utc> {
    match entry.published.or(entry.updated) {
        Some(date) => date.min(now),
        None => {
            out.undated += 1;
            now
        }
    }
}

fn why_unusable(e: link::LinkError) -> String {
    match e {
        link::LinkError::Missing => "has no link".to_owned(),
        link::LinkError::Unparsable(l) => format!("has a link that is not a URL ({l})"),
        link::LinkError::NotHttp(l) => format!("has no http(s) link ({l})"),
        link::LinkError::TooLong(n) => format!(
            "has a link of {n} characters (at most {} are taken)",
            link::MAX_LINK
        ),
    }
}

/// Author order: the source's override, the entry's authors, the feed's, the source's name.
fn author_names(entry: &Entry, feed_authors: &[String], cx: &Context<'_>) -> Vec<String> {
    if let Some(over) = cx
        .source
        .author
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        return vec![over.to_owned()];
    }
    let own: Vec<String> = entry
        .authors
        .iter()
        .filter_map(|a| author::clean_name(a, cx.aliases))
        .collect();
    if !own.is_empty() {
        return own;
    }
    if !feed_authors.is_empty() {
        return feed_authors.to_vec();
    }
    vec![cx.source.name.clone()]
}

fn title_from(summary: &str) -> String {
    let words: Vec<&str> = summary.split_whitespace().collect();
    if words.is_empty() {
        return "Untitled post".to_owned();
    }
    if words.len() <= TITLE_FALLBACK_WORDS {
        return words.join(" ");
    }
    let head = words[..TITLE_FALLBACK_WORDS].join(" ");
    format!(
        "{}…",
        head.trim_end_matches([',', ';', ':', '.', '-', '–', '…'])
    )
}

/// `text` as it is when it has at most `max` characters; else cut to fewer, at the last space
/// in the second half of the allowance when there is one, and ended with "…".
fn bounded(text: String, max: usize) -> String {
    let Some((end, _)) = text.char_indices().nth(max.saturating_sub(1)) else {
        return text;
    };
    if text[end..].chars().nth(1).is_none() {
        return text;
    }
    let head = &text[..end];
    let head = match head.rfind(char::is_whitespace) {
        Some(space) if head[..space].chars().count() >= max / 2 => &head[..space],
        _ => head,
    };
    format!("{}…", head.trim_end_matches([',', ';', ':', '-', '–', ' ']))
}

fn categories(raw: &[String]) -> Vec<String> {
    let mut seen = HashSet::new();
    raw.iter()
        .map(|c| clean_inline(c))
        .filter(|c| !c.is_empty() && seen.insert(c.to_lowercase()))
        .collect()
}

/// Whether an entry passes one set of filters (tags and authors case-insensitive).
fn passes(f: &Filters, title: &str, authors: &[String], categories: &[String]) -> bool {
    let has_tag = |tags: &[String]| {
        tags.iter()
            .any(|t| categories.iter().any(|c| c.eq_ignore_ascii_case(t.trim())))
    };
    let has_author = |wanted: &[String]| {
        wanted.iter().any(|w| {
            let w = w.trim();
            authors.iter().any(|a| a.eq_ignore_ascii_case(w))
                || author::join_names(authors).eq_ignore_ascii_case(w)
        })
    };
    if !f.include_tags.is_empty() && !has_tag(&f.include_tags) {
        return false;
    }
    if has_tag(&f.exclude_tags) {
        return false;
    }
    if !f.include_title.is_empty() && !f.include_title.iter().any(|re| re.is_match(title)) {
        return false;
    }
    if f.exclude_title.iter().any(|re| re.is_match(title)) {
        return false;
    }
    if !f.include_authors.is_empty() && !has_author(&f.include_authors) {
        return false;
    }
    !has_author(&f.exclude_authors)
}

/// Ids are trusted only when every entry has one and none repeats within the feed.
fn ids_usable(entries: &[Entry]) -> bool {
    let mut seen = HashSet::new();
    !entries.is_empty()
        && entries
            .iter()
            .all(|e| e.id.as_deref().is_some_and(|id| seen.insert(id)))
}

/// Our own stable key: 16 hex chars of blake3 over the id (scoped by the source when it does not
/// look globally unique), else the canonical link, else title + summary.
fn key(
    entry: &Entry,
    ids_usable: bool,
    link: &str,
    title: &str,
    summary: &str,
    source_url: &str,
) -> String {
    let material = match entry.id.as_deref() {
        Some(id) if ids_usable => {
            if looks_global(id) {
                format!("id\n{id}")
            } else {
                format!("id\n{source_url}\n{id}")
            }
        }
        _ if !link.is_empty() => format!("link\n{link}"),
        _ => format!("text\n{title}\n{summary}"),
    };
    hash16(&material)
}

fn looks_global(id: &str) -> bool {
    let lower = id.to_ascii_lowercase();
    ["http://", "https://", "tag:", "urn:"]
        .iter()
        .any(|p| lower.starts_with(p))
}

fn hash16(s: &str) -> String {
    let hex = blake3::hash(s.as_bytes()).to_hex();
    hex.as_str()[..16].to_owned()
}

#[cfg(test)]
mod tests;
