//! Which stored items a draft shows: unseen, inside the window, not the community's own
//! roundups, in date order, with configured series gathered into their own lists. The window
//! is state: it starts where the last published roundup's content was selected.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::window::Window;
use crate::config::{Config, Order, Series};
use crate::item::{Item, ItemState, RoundupRef};
use crate::store::{Meta, Store, StoreError};

/// The published roundup the next window starts from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastPublished {
    /// The instant its content was selected: the next window starts here.
    pub selected_at: DateTime<Utc>,
    /// Its draft id, if it had one.
    pub draft: Option<String>,
    pub title: String,
    pub file: String,
    pub published_at: DateTime<Utc>,
}

/// Where a draft's window starts, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowStart {
    /// `--since`.
    Given(DateTime<Utc>),
    /// The selection instant of the last published roundup.
    LastRoundup(DateTime<Utc>),
    /// No roundup published yet: `roundup.since` back from now.
    Config(DateTime<Utc>),
}

impl WindowStart {
    pub fn at(self) -> DateTime<Utc> {
        match self {
            WindowStart::Given(t) | WindowStart::LastRoundup(t) | WindowStart::Config(t) => t,
        }
    }

    /// Items dated inside the window are new. After a roundup, so is an item first seen
    /// inside the window and dated at most `late` before it (its feed was down or slow); an
    /// older one is not new because it was first seen late (a feed added with its archive).
    fn admits(self, item: &Item, late: chrono::Duration) -> bool {
        // Put back by an editor: wanted in the next draft, unless `--since` says otherwise.
        if item.returned.is_some() && !matches!(self, WindowStart::Given(_)) {
            return true;
        }
        match self {
            WindowStart::LastRoundup(t) => {
                item.published >= t || (item.first_seen >= t && item.published >= t - late)
            }
            WindowStart::Given(t) | WindowStart::Config(t) => item.published >= t,
        }
    }
}

/// `--since` if given, else the selection instant of the last published roundup, else the
/// config's window.
pub fn since(
    cfg: &Config,
    store: &Store,
    given: Option<&Window>,
    now: DateTime<Utc>,
) -> Result<WindowStart, StoreError> {
    if let Some(w) = given {
        return Ok(WindowStart::Given(w.start(now)));
    }
    if let Some(last) = store.meta::<LastPublished>(Meta::LastPublished)? {
        return Ok(WindowStart::LastRoundup(last.selected_at));
    }
    Ok(match store.meta::<RoundupRef>(Meta::LastRoundup)? {
        Some(last) => WindowStart::LastRoundup(last.date),
        None => WindowStart::Config(cfg.roundup.since.start(now)),
    })
}

/// One entry of a series list.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesEntry {
    /// The title without the series prefix (the whole title when nothing is left).
    pub label: String,
    pub item: Item,
}

/// A configured series with the posts that belong to it.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesPick {
    pub intro: String,
    pub entries: Vec<SeriesEntry>,
}

/// What a draft holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    pub since: WindowStart,
    /// Only series with at least one post.
    pub series: Vec<SeriesPick>,
    /// The other posts.
    pub items: Vec<Item>,
}

impl Selection {
    pub fn is_empty(&self) -> bool {
        self.series.is_empty() && self.items.is_empty()
    }

    /// This selection without the items `drop` names by key.
    pub fn without(self, drop: impl Fn(&str) -> bool) -> Selection {
        let mut series = self.series;
        for s in &mut series {
            s.entries.retain(|e| !drop(&e.item.key));
        }
        series.retain(|s| !s.entries.is_empty());
        let mut items = self.items;
        items.retain(|i| !drop(&i.key));
        Selection {
            since: self.since,
            series,
            items,
        }
    }

    /// Every item, series first, in draft order.
    pub fn all(&self) -> impl Iterator<Item = &Item> {
        self.series
            .iter()
            .flat_map(|s| s.entries.iter().map(|e| &e.item))
            .chain(self.items.iter())
    }
}

/// Whether an item belongs in a draft whose window starts at `since`: unseen, an http(s) link,
/// inside the window, not one of the community's own roundups. A test of one item at a time,
/// for the store to apply as it reads them, on every core (`Store::unseen_items_where`); then
/// `arrange` orders by date (ties by key, so two drafts agree) and gathers series.
pub fn wanted(
    cfg: &Config,
    since: WindowStart,
    late: chrono::Duration,
) -> impl Fn(&Item) -> bool + Sync + '_ {
    move |i: &Item| {
        i.state == ItemState::Unseen
            && {
                // Extraction only stores http(s) links; a `javascript:` one must never reach a
                // post.
                let web = is_web_link(&i.link);
                if !web {
                    tracing::warn!(key = %i.key, link = %i.link, "left out of the draft: not an http(s) link");
                }
                web
            }
            && since.admits(i, late)
            && !cfg.roundup.own_posts.is_match(&i.title)
    }
}

/// The `wanted` items in draft order (`by_date`), series gathered.
pub fn arrange(cfg: &Config, picked: Vec<Item>, since: WindowStart) -> Selection {
    // Sorted by a small copy of each item's date and key, then moved once into that order: an
    // item is a few hundred bytes, its key elsewhere in memory, and a sort of twenty thousand
    // compares and moves each many times.
    let mut order: Vec<SortKey> = picked.iter().enumerate().map(SortKey::of).collect();
    order.sort_unstable_by(|a, b| a.cmp(b, cfg.roundup.order, &picked));
    let order: Vec<usize> = order.into_iter().map(|k| k.index).collect();
    let mut picked = picked;
    permute(&mut picked, &order);
    let mut series = series_picks(cfg);
    let rest = if cfg.series.is_empty() {
        picked
    } else {
        let mut rest = Vec::with_capacity(picked.len());
        for item in picked {
            match series_of(cfg, &item.title) {
                Some((i, label)) => series[i].entries.push(SeriesEntry { label, item }),
                None => rest.push(item),
            }
        }
        rest
    };
    series.retain(|s| !s.entries.is_empty());
    Selection {
        since,
        series,
        items: rest,
    }
}

/// Puts `items` in the order `order` gives (`order[k]`: the index of the item that goes to
/// place `k`) where they are: each cycle of the permutation followed by swaps, rather than each
/// item moved into a second vector (20,000 items are 5 MB, and a new vector's pages each cost
/// a fault).
fn permute(items: &mut [Item], order: &[usize]) {
    let mut placed = vec![false; items.len()];
    for start in 0..items.len() {
        let mut at = start;
        while !placed[at] {
            placed[at] = true;
            let from = order[at];
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

/// What `by_date` compares of an item, copied out of it: its date and the first bytes of its
/// key (zero-padded: a key's bytes are never zero), the whole key read only when those agree.
struct SortKey {
    published: DateTime<Utc>,
    key: [u8; 16],
    index: usize,
}

impl SortKey {
    fn of((index, item): (usize, &Item)) -> SortKey {
        let mut key = [0; 16];
        let head = &item.key.as_bytes()[..item.key.len().min(16)];
        key[..head.len()].copy_from_slice(head);
        SortKey {
            published: item.published,
            key,
            index,
        }
    }

    /// `by_date` of the items `self` and `other` stand for in `items`.
    fn cmp(&self, other: &SortKey, order: Order, items: &[Item]) -> Ordering {
        by_dates(order, &self.published, &other.published)
            .then_with(|| self.key.cmp(&other.key))
            .then_with(|| by_date(order, &items[self.index], &items[other.index]))
    }
}

/// One empty pick for each configured series, in the config's order.
pub fn series_picks(cfg: &Config) -> Vec<SeriesPick> {
    cfg.series
        .iter()
        .map(|s| SeriesPick {
            intro: s.intro.clone(),
            entries: Vec::new(),
        })
        .collect()
}

/// The first configured series a post titled `title` belongs to (its index), and its label
/// there.
pub fn series_of(cfg: &Config, title: &str) -> Option<(usize, String)> {
    cfg.series
        .iter()
        .enumerate()
        .find_map(|(i, s)| series_label(s, title).map(|label| (i, label)))
}

/// Whether `link` is an http(s) URL, read as a URL parser reads it (leading and trailing spaces
/// aside, the scheme in any case). A link of printable characters alone, as extraction stores
/// them, is judged by its scheme; only one holding a space or a control character (which a
/// parser drops or refuses) is parsed whole: a draft checks every link it selects.
fn is_web_link(link: &str) -> bool {
    let link = link.trim();
    let scheme = |s: &str| {
        link.get(..s.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(s))
    };
    if !(scheme("http://") || scheme("https://")) {
        return false;
    }
    link.bytes().all(|b| b > b' ' && b != 0x7f)
        || url::Url::parse(link).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

fn by_date(order: Order, a: &Item, b: &Item) -> Ordering {
    by_dates(order, &a.published, &b.published).then_with(|| a.key.cmp(&b.key))
}

/// Two dates in the configured order.
fn by_dates(order: Order, a: &DateTime<Utc>, b: &DateTime<Utc>) -> Ordering {
    match order {
        Order::OldestFirst => a.cmp(b),
        Order::NewestFirst => b.cmp(a),
    }
}

/// Quotes and punctuation around a series prefix ("What did you do in Mitaka: Ivan",
/// "“What did you do in Mitaka?” – Ivan").
fn is_decoration(c: char) -> bool {
    c.is_whitespace() || (!c.is_alphanumeric() && c != '(' && c != '[')
}

/// When `title` belongs to `series` (it starts with the prefix, case-insensitive, quotes and
/// punctuation around it ignored), the rest of the title.
pub fn series_label(series: &Series, title: &str) -> Option<String> {
    let prefix = series.prefix.trim();
    if prefix.is_empty() {
        return None;
    }
    let body = title.trim_start_matches(is_decoration);
    let mut rest = body.chars();
    for p in prefix.chars() {
        let c = rest.next()?;
        if !c.to_lowercase().eq(p.to_lowercase()) {
            return None;
        }
    }
    let rest = rest.as_str();
    // "Mitaka" must not match "Mitakaish".
    if rest.chars().next().is_some_and(|c| c.is_alphanumeric())
        && prefix.chars().last().is_some_and(|c| c.is_alphanumeric())
    {
        return None;
    }
    let label = rest.trim_matches(is_decoration);
    Some(if label.is_empty() {
        title.trim().to_owned()
    } else {
        label.to_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `wanted` and `arrange`, as a draft applies them to the items it reads.
    fn select(
        cfg: &Config,
        items: Vec<Item>,
        since: WindowStart,
        late: chrono::Duration,
    ) -> Selection {
        let wanted = wanted(cfg, since, late);
        arrange(
            cfg,
            items.into_iter().filter(|i| wanted(i)).collect(),
            since,
        )
    }
    use chrono::TimeZone;
    use std::path::Path;

    fn cfg(extra: &str) -> Config {
        let text = format!(
            "[store]\npath = \"db\"\n{extra}\n[[source]]\nname = \"A\"\nurl = \"https://a.example/feed\"\n"
        );
        Config::parse(Path::new("test.toml"), &text).unwrap()
    }

    fn day(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2016, 5, d, 12, 0, 0).unwrap()
    }

    fn item(key: &str, title: &str, d: u32) -> Item {
        Item {
            author: "Au".into(),
            summary: "S".into(),
            ..Item::new(key, "A", format!("https://a.example/{key}"), title, day(d))
        }
    }

    const WEEK: chrono::Duration = chrono::Duration::days(7);

    fn keys(items: &[Item]) -> Vec<&str> {
        items.iter().map(|i| i.key.as_str()).collect()
    }

    #[test]
    fn only_http_and_https_links_reach_a_draft() {
        for web in [
            "https://a.example/1",
            "HTTP://a.example/1",
            "  http://a.example/1  ",
            "https://xn--bcher-kva.example/ü",
            "http://a.example/a\tb",
        ] {
            assert!(is_web_link(web), "{web:?}");
        }
        for other in [
            "javascript:alert(1)",
            " javascript:alert(1)",
            "JavaScript://a.example/%0Aalert(1)",
            "ht\ttp://a.example/1",
            "mailto:a@example.org",
            "/relative/post",
            "http:/a.example",
            "http",
            "",
            "https://a example/1",
        ] {
            assert!(!is_web_link(other), "{other:?}");
        }
        let c = cfg("");
        let mut hostile = item("j", "Hostile", 10);
        hostile.link = "javascript:alert(1)".into();
        let sel = select(
            &c,
            vec![hostile, item("w", "Web", 10)],
            WindowStart::Given(day(5)),
            WEEK,
        );
        assert_eq!(keys(&sel.items), ["w"]);
    }

    #[test]
    fn window_keeps_unseen_items_on_or_after_since() {
        let c = cfg("");
        let mut published = item("p", "Published", 10);
        published.state = ItemState::Published;
        let mut skipped = item("s", "Skipped", 10);
        skipped.state = ItemState::Skipped;
        let items = vec![
            item("old", "Old", 1),
            item("edge", "Edge", 5),
            published,
            skipped,
        ];
        let sel = select(&c, items, WindowStart::Given(day(5)), WEEK);
        assert_eq!(keys(&sel.items), ["edge"]);
    }

    #[test]
    fn after_a_roundup_late_arrivals_count_as_new_within_the_grace() {
        let c = cfg("");
        let week = chrono::Duration::days(7);
        // Its feed was down: dated before the window, first seen inside it.
        let mut late = item("late", "Back-dated", 5);
        late.first_seen = day(12);
        // A feed added with its archive: first seen inside the window, dated long before it.
        let mut archive = item("archive", "From the archive", 1);
        archive.first_seen = day(12);
        // Seen before the window and dated before it: the last roundup had its chance.
        let old = item("old", "Old", 9);
        let items = vec![late, archive, old, item("new", "New", 11)];
        assert_eq!(
            keys(&select(&c, items.clone(), WindowStart::LastRoundup(day(10)), week).items),
            ["late", "new"]
        );
        assert_eq!(
            keys(&select(&c, items.clone(), WindowStart::Given(day(10)), week).items),
            ["new"]
        );
        // An editor put the old one back: it is in the draft whatever its date.
        let mut items = items;
        items[2].returned = Some(day(13));
        assert_eq!(
            keys(&select(&c, items, WindowStart::LastRoundup(day(10)), week).items),
            ["late", "old", "new"]
        );
    }

    #[test]
    fn only_web_links_reach_a_draft() {
        let mut bad = item("bad", "Bad", 9);
        bad.link = "javascript:alert(1)".into();
        let sel = select(
            &cfg(""),
            vec![bad, item("ok", "Ok", 9)],
            WindowStart::Given(day(1)),
            WEEK,
        );
        assert_eq!(keys(&sel.items), ["ok"]);
    }

    #[test]
    fn order_follows_the_config() {
        let items = vec![item("b", "B", 9), item("a", "A", 3), item("c", "C", 9)];
        let sel = select(&cfg(""), items.clone(), WindowStart::Given(day(1)), WEEK);
        assert_eq!(keys(&sel.items), ["a", "b", "c"]);
        let newest = cfg("[roundup]\norder = \"newest-first\"\n");
        let sel = select(&newest, items, WindowStart::Given(day(1)), WEEK);
        // Same date: by key, so two drafts agree.
        assert_eq!(keys(&sel.items), ["b", "c", "a"]);
    }

    #[test]
    fn own_roundups_are_left_out() {
        let items = vec![
            item("own", "RDO blogs over the last few weeks", 9),
            item("own2", "RDO Blog Roundup, week of May 9", 9),
            item("x", "Blogs about RDO", 9),
        ];
        let sel = select(&cfg(""), items, WindowStart::Given(day(1)), WEEK);
        assert_eq!(keys(&sel.items), ["x"]);
    }

    #[test]
    fn series_are_gathered_ahead_of_the_rest() {
        let c =
            cfg("[[series]]\nprefix = \"What did you do in Mitaka\"\nintro = \"Interviews:\"\n");
        let items = vec![
            item("i1", "What did you do in Mitaka: Ivan Chavero", 3),
            item("x", "Containers and the CERN cloud", 4),
            item(
                "i2",
                "\u{201c}What Did You Do In Mitaka?\u{201d} \u{2013} Chandan Kumar",
                5,
            ),
            item("i3", "What did you do in Mitaka", 6),
            item("no", "What did you do in Mitakaish times", 7),
        ];
        let sel = select(&c, items, WindowStart::Given(day(1)), WEEK);
        assert_eq!(sel.series.len(), 1);
        let labels: Vec<&str> = sel.series[0]
            .entries
            .iter()
            .map(|e| e.label.as_str())
            .collect();
        assert_eq!(
            labels,
            ["Ivan Chavero", "Chandan Kumar", "What did you do in Mitaka"]
        );
        assert_eq!(sel.series[0].intro, "Interviews:");
        assert_eq!(keys(&sel.items), ["x", "no"]);
        let all: Vec<&str> = sel.all().map(|i| i.key.as_str()).collect();
        assert_eq!(all, ["i1", "i2", "i3", "x", "no"]);
    }

    #[test]
    fn series_without_posts_are_dropped() {
        let c = cfg("[[series]]\nprefix = \"Nothing\"\nintro = \"x\"\n");
        let sel = select(
            &c,
            vec![item("a", "A", 3)],
            WindowStart::Given(day(1)),
            WEEK,
        );
        assert!(sel.series.is_empty());
    }

    #[test]
    fn the_order_of_the_copied_dates_and_keys_is_that_of_the_items() {
        // Many on one day, keys that agree in their first sixteen bytes or are shorter.
        let long = "0123456789abcdef";
        let keys = [
            "b",
            "a",
            "ab",
            "a0",
            "",
            "ff",
            "0",
            "00",
            "zz",
            "Z",
            &format!("{long}2"),
            &format!("{long}10"),
            &format!("{long}1"),
            long,
            "0123456789abcde",
        ];
        let items: Vec<Item> = keys
            .iter()
            .enumerate()
            .map(|(n, k)| item(k, "T", [3, 4, 3][n % 3]))
            .collect();
        for order in ["oldest-first", "newest-first"] {
            let c = cfg(&format!("[roundup]\norder = \"{order}\"\n"));
            let mut expected = items.clone();
            expected.sort_by(|a, b| by_date(c.roundup.order, a, b));
            let got = arrange(&c, items.clone(), WindowStart::Given(day(1)));
            assert_eq!(keys_of(&got.items), keys_of(&expected), "{order}");
        }
    }

    fn keys_of(items: &[Item]) -> Vec<String> {
        items.iter().map(|i| i.key.clone()).collect()
    }

    #[test]
    fn items_are_put_in_order_where_they_are() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for n in [0, 1, 2, 3, 7, 64, 1000] {
            // A permutation of 0..n: a shuffle by a small generator (xorshift).
            let mut order: Vec<usize> = (0..n).collect();
            for i in (1..n).rev() {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                order.swap(i, (seed % (i as u64 + 1)) as usize);
            }
            let items: Vec<Item> = (0..n).map(|i| item(&i.to_string(), "T", 3)).collect();
            let mut permuted = items.clone();
            permute(&mut permuted, &order);
            let expected: Vec<&Item> = order.iter().map(|&i| &items[i]).collect();
            assert_eq!(
                permuted.iter().collect::<Vec<_>>(),
                expected,
                "{n}: {order:?}"
            );
        }
    }
}
