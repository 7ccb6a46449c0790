//! Reading an edited draft as its editor means it: which of the draft's posts are kept, which
//! other stored posts were linked, and which links are posts added by hand.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::draft::read::{unescape, FoundLink, Page};
use crate::draft::record::DraftRecord;
use crate::extract::link::{canonical, comparable};
use crate::item::{Item, ItemState, RoundupRef};
use crate::store::{Store, StoreError};

use super::{HandAdded, BY_HAND};

/// The key prefix of posts added by hand.
const HAND_PREFIX: &str = "hand-";

/// What a publish has decided so far.
pub(super) struct Reading<'a> {
    pub(super) roundup: &'a RoundupRef,
    /// Items whose state changes.
    pub(super) changed: Vec<Item>,
    /// Keys of stored items the file holds or its draft held.
    pub(super) seen: HashSet<String>,
    /// The posts kept, as they were when read (draft order, then the other posts linked).
    pub(super) kept: Vec<Item>,
    pub(super) published: usize,
    pub(super) skipped: usize,
    pub(super) updated: usize,
    pub(super) earlier: usize,
    pub(super) revived: Vec<String>,
}

impl<'a> Reading<'a> {
    pub(super) fn new(roundup: &'a RoundupRef) -> Reading<'a> {
        Reading {
            roundup,
            changed: Vec::new(),
            seen: HashSet::new(),
            kept: Vec::new(),
            published: 0,
            skipped: 0,
            updated: 0,
            earlier: 0,
            revived: Vec::new(),
        }
    }

    /// Whether `item` went out in another roundup (it stays there).
    fn elsewhere(&self, item: &Item) -> bool {
        item.state == ItemState::Published
            && item
                .roundup
                .as_ref()
                .is_some_and(|r| match (&r.draft, &self.roundup.draft) {
                    (Some(a), Some(b)) => a != b,
                    _ => r.file != self.roundup.file,
                })
    }

    /// `put_back`: an `unskip` made after this file was last published, which a file that
    /// does not show the post does not undo.
    fn decide(&mut self, item: Item, keep: bool, put_back: bool) {
        if !self.seen.insert(item.key.clone()) {
            return;
        }
        if keep {
            self.kept.push(item.clone());
        }
        if self.elsewhere(&item) {
            if keep {
                self.earlier += 1;
            }
            return;
        }
        // Put back with `unskip` since the file was published: a file that does not show it
        // does not skip it again. (Put back before, and deleted from a draft that showed it,
        // it is skipped like any other.)
        if !keep && put_back {
            return;
        }
        if keep && item.state == ItemState::Skipped {
            self.revived.push(item.title.clone());
        }
        let mut next = item.clone();
        next.returned = None;
        if keep {
            next.state = ItemState::Published;
            next.roundup = Some(self.roundup.clone());
        } else {
            next.state = ItemState::Skipped;
            next.roundup = None;
        }
        if next != item {
            match (item.state, next.state) {
                (a, b) if a == b => self.updated += 1,
                (_, ItemState::Published) => self.published += 1,
                _ => self.skipped += 1,
            }
            self.changed.push(next);
        }
    }

    /// The posts of the draft: kept while the page shows their title line or a link to them.
    pub(super) fn draft_items(
        &mut self,
        store: &Store,
        rec: &DraftRecord,
        page: &Page,
    ) -> Result<(), StoreError> {
        for d in &rec.items {
            if let Some(item) = store.item(&d.key)? {
                let keep = page.has_link(&item.link)
                    || page.has_link(&d.link)
                    || page.has_link(&d.printed_link)
                    || page.has_title_line(&item.title);
                let put_back = put_back_since(&item, rec);
                self.decide(item, keep, put_back);
            }
        }
        Ok(())
    }

    /// The posts added by hand to an earlier publish of this draft that the file no longer
    /// shows (everything the file shows was read before): skipped, as a deleted post is.
    pub(super) fn hand_items_gone(
        &mut self,
        store: &Store,
        rec: &DraftRecord,
    ) -> Result<(), StoreError> {
        for key in store.keys_with_prefix(HAND_PREFIX, usize::MAX)? {
            let Some(item) = store.item(&key)? else {
                continue;
            };
            let ours = item
                .roundup
                .as_ref()
                .is_some_and(|r| r.draft.as_deref() == Some(rec.id.as_str()));
            if ours && item.state == ItemState::Published {
                // Published: never put back (an unskip makes it unseen).
                self.decide(item, false, false);
            }
        }
        Ok(())
    }

    /// Every other link the editor placed: a stored post (added from the store, or one the
    /// draft did not hold), or a post the store never saw (returned, to be added by hand).
    pub(super) fn linked_items(
        &mut self,
        cfg: &Config,
        store: &Store,
        page: &Page,
    ) -> Result<Vec<HandAdded>, StoreError> {
        let fixed = fixed_texts(cfg);
        let mut by_hand: Vec<HandAdded> = Vec::new();
        let mut hand_seen = HashSet::new();
        let lines: Vec<&str> = page.text().lines().collect();
        for l in page.found.iter().filter(|l| !l.quoted) {
            let target = crate::shorten::builtin_target(&cfg.shortener, store, &l.url)?;
            let link = target.as_deref().unwrap_or(&l.url);
            if let Some(item) = store.find_item(link)? {
                self.decide(item, true, false);
                continue;
            }
            let line = lines.get(l.line).copied().unwrap_or("");
            // A bare URL in a `**Title**` line is part of the title, not the post's link (that
            // is a markdown link, or the "read more" line below).
            let in_title = l.text.is_none() && line.trim_start().starts_with("**");
            if crate::shorten::is_builtin_link(&cfg.shortener, &l.url)
                || fixed.iter().any(|t| t.contains(&l.url))
                || !is_post_line(line, &cfg.roundup.read_more)
                || in_title
            {
                continue;
            }
            let (Ok(canon), Some(c)) = (canonical(Some(link), None), comparable(link)) else {
                continue;
            };
            if hand_seen.insert(c) {
                let (title, author) = hand_credit(l, &lines);
                by_hand.push(HandAdded {
                    title: title.unwrap_or_else(|| canon.clone()),
                    author,
                    link: canon,
                });
            }
        }
        Ok(by_hand)
    }
}

/// Whether a line is where a draft puts a post's link: a `**Title**` line, a list item
/// (`* [Title](link)`) or the "read more" line. Links in the editor's own sentences are not
/// posts.
fn is_post_line(line: &str, read_more: &str) -> bool {
    let l = line.trim_start();
    l.starts_with("**")
        || l.starts_with("* ")
        || l.starts_with("- ")
        || (!read_more.trim().is_empty() && l.starts_with(read_more.trim()))
}

/// Texts of the config that may hold links which are not posts (the intro, series intros).
fn fixed_texts(cfg: &Config) -> Vec<String> {
    let mut out = vec![
        cfg.roundup.intro.clone(),
        cfg.roundup.empty.clone(),
        cfg.roundup.series_outro.clone(),
        cfg.roundup.read_more.clone(),
    ];
    out.extend(cfg.series.iter().map(|s| s.intro.clone()));
    out
}

/// The title and author of a post added by hand: its markdown link text, else the bold title
/// line above the link (`**Title** by Author`).
fn hand_credit(l: &FoundLink, lines: &[&str]) -> (Option<String>, String) {
    let title_line = lines[..=l.line.min(lines.len().saturating_sub(1))]
        .iter()
        .rev()
        .take(8)
        .find_map(|line| {
            let rest = line.trim().strip_prefix("**")?;
            let end = rest.find("**")?;
            let title = unescape(&rest[..end]).trim().to_owned();
            let author = rest[end + 2..]
                .trim()
                .strip_prefix("by ")
                .map(|a| unescape(a).trim().to_owned())
                .unwrap_or_default();
            (!title.is_empty()).then_some((title, author))
        });
    let link_text = l
        .text
        .as_deref()
        .map(|t| unescape(t).trim().to_owned())
        .filter(|t| !t.is_empty() && !t.starts_with("http://") && !t.starts_with("https://"));
    match (link_text, title_line) {
        (Some(text), _) => (Some(text), author_after_link(lines.get(l.line).copied())),
        (None, Some((title, author))) => (Some(title), author),
        (None, None) => (None, String::new()),
    }
}

/// The author after a link on its line: `**[Title](url)** by Alice` -> `Alice`.
fn author_after_link(line: Option<&str>) -> String {
    let Some(line) = line else {
        return String::new();
    };
    let after = line.rfind("](").map_or("", |at| {
        line[at..]
            .find(')')
            .map_or("", |close| &line[at + close + 1..])
    });
    after
        .trim_start_matches(['*', '_', ' '])
        .strip_prefix("by ")
        .map(|a| {
            unescape(a)
                .trim()
                .trim_end_matches(['*', '_'])
                .trim()
                .to_owned()
        })
        .unwrap_or_default()
}

/// Whether `item` was put back with `unskip` after the file of `rec` was last published.
fn put_back_since(item: &Item, rec: &DraftRecord) -> bool {
    match (item.returned, rec.published) {
        (Some(returned), Some(published)) => returned > published,
        _ => false,
    }
}

pub(super) fn hand_item(h: &HandAdded, roundup: &RoundupRef, now: DateTime<Utc>) -> Item {
    let c = comparable(&h.link).unwrap_or_else(|| h.link.clone());
    Item {
        key: format!(
            "{HAND_PREFIX}{}",
            &blake3::hash(c.as_bytes()).to_hex()[..16]
        ),
        source: BY_HAND.to_owned(),
        link: h.link.clone(),
        title: h.title.clone(),
        author: h.author.clone(),
        summary: String::new(),
        published: now,
        first_seen: now,
        categories: vec![],
        state: ItemState::Published,
        roundup: Some(roundup.clone()),
        returned: None,
    }
}
