//! What the commands print: every text and JSON view, in one place. Pure functions from
//! reports and records to strings; the commands in `commands` gather the data.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::draft::{DraftReport, WindowStart, Written};
use crate::item::{Item, ItemState, RoundupRef};
use crate::poll::{PollReport, SourceOutcome as Outcome, SourceReport};
use crate::publish::{Marked, PublishReport};
use crate::store::Status;

// ------------------------------------------------------------------------------------- poll

/// The width of a column of source names: the longest, up to 40 characters.
fn name_width<'a>(names: impl Iterator<Item = &'a str>) -> usize {
    names.map(|n| n.chars().count()).max().unwrap_or(0).min(40)
}

/// `poll`: a line a source, then the summary line.
pub fn format_poll(report: &PollReport) -> String {
    let width = name_width(report.sources.iter().map(|s| s.name.as_str()));
    let mut out = String::new();
    for s in &report.sources {
        let _ = write!(
            out,
            "{:<12}  {:<width$}  {}",
            source_label(s),
            s.name,
            source_detail(s)
        );
        if let Some(to) = &s.moved_to {
            let _ = write!(out, " (moved permanently to {to}: update the config)");
        }
        out = out.trim_end().to_owned();
        out.push('\n');
    }
    out.push_str(&poll_summary(report));
    out.push('\n');
    out
}

/// The last line of a poll's report.
pub fn poll_summary(report: &PollReport) -> String {
    let polled = report
        .sources
        .iter()
        .filter(|s| !matches!(s.outcome, Outcome::NotDue { .. } | Outcome::Cancelled))
        .count();
    let mut line = format!(
        "polled {} in {:.1}s: {}, {} not modified, {} failed",
        plural(polled, "source", "sources"),
        report.duration_ms as f64 / 1000.0,
        plural(report.new_items(), "new item", "new items"),
        report.not_modified(),
        report.failed()
    );
    match report.backing_off() {
        0 => {}
        n if n == report.failed() => {
            line.push_str(" (backing off after errors, not fetched this time)")
        }
        n => {
            let _ = write!(
                line,
                " ({n} of them backing off after errors, not fetched this time)"
            );
        }
    }
    line
}

/// The first column of a source's report line.
fn source_label(s: &SourceReport) -> &'static str {
    match &s.outcome {
        Outcome::Stored { .. } => "ok",
        Outcome::NotModified => "not modified",
        Outcome::Failed { .. } => "FAILED",
        Outcome::NotDue { .. } if s.outcome.is_failing() => "FAILING",
        Outcome::NotDue { .. } => "not due",
        Outcome::Cancelled => "cancelled",
    }
}

/// What a source's report line says after its name.
pub fn source_detail(s: &SourceReport) -> String {
    match &s.outcome {
        Outcome::Stored { .. } => stored_detail(&s.outcome),
        Outcome::NotModified | Outcome::Cancelled => String::new(),
        Outcome::Failed { error } => format!("{}: {error}", s.url),
        Outcome::NotDue {
            next_check,
            error,
            failing_since,
            status,
        } => {
            let next = next_check.map(|t| format!("next try {}", short_time(t)));
            if *status == Status::Gone {
                format!(
                    "{}: {} (gone: it is not fetched again; remove it from the config, or poll --force)",
                    s.url,
                    error.as_deref().unwrap_or("410 Gone")
                )
            } else if s.outcome.is_failing() {
                let since = failing_since
                    .map(|t| format!("failing since {}", short_time(t)))
                    .unwrap_or_else(|| "failing".into());
                let next = next.map(|n| format!(", {n}")).unwrap_or_default();
                format!(
                    "{}: {} ({since}{next})",
                    s.url,
                    error.as_deref().unwrap_or("an error")
                )
            } else {
                next_check
                    .map(|t| format!("next check {}", short_time(t)))
                    .unwrap_or_default()
            }
        }
    }
}

/// "3 new, 10 items", then what was left out and why.
fn stored_detail(outcome: &Outcome) -> String {
    let Outcome::Stored {
        new,
        items,
        filtered,
        dropped,
        over_max_items,
        undated,
        untitled,
        ..
    } = outcome
    else {
        return String::new();
    };
    let mut d = format!("{new} new, {}", plural(*items, "item", "items"));
    let no_link = dropped - over_max_items;
    for (n, what) in [
        (*filtered, "filtered out"),
        (no_link, "left out (no usable link; -v names them)"),
        (*over_max_items, "older left out (past [http] max_items)"),
        (*untitled, "without a title (titled from their summary)"),
        (*undated, "without a date (dated when first seen)"),
    ] {
        if n > 0 {
            let _ = write!(d, ", {n} {what}");
        }
    }
    d
}

fn short_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

// ------------------------------------------------------------------------------------- items

/// The stable `items --json` record.
#[derive(Debug, Serialize, Deserialize)]
pub struct ItemJson {
    pub key: String,
    pub source: String,
    pub title: String,
    pub author: String,
    pub link: String,
    pub short_link: Option<String>,
    /// Redirects its builtin short link served; none without one.
    pub clicks: Option<u64>,
    pub summary: String,
    pub published: DateTime<Utc>,
    pub first_seen: DateTime<Utc>,
    pub state: ItemState,
    pub roundup: Option<RoundupRef>,
}

/// `items --json`: `short` gives the short link already issued for a link, if any, and `clicks`
/// how many redirects its builtin short link served.
pub fn items_json(
    items: &[Item],
    short: impl Fn(&str) -> Option<String>,
    clicks: impl Fn(&str) -> Option<u64>,
) -> serde_json::Result<String> {
    let rows = items
        .iter()
        .map(|i| ItemJson {
            key: i.key.clone(),
            source: i.source.clone(),
            title: i.title.clone(),
            author: i.author.clone(),
            link: i.link.clone(),
            short_link: short(&i.link),
            clicks: clicks(&i.link),
            summary: i.summary.clone(),
            published: i.published,
            first_seen: i.first_seen,
            state: i.state,
            roundup: i.roundup.clone(),
        })
        .collect::<Vec<_>>();
    Ok(serde_json::to_string_pretty(&rows)? + "\n")
}

/// `items`: two lines an item, the short link after the link when one was issued.
pub fn format_items(items: &[Item], short: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    for i in items {
        let _ = write!(
            out,
            "{}  {:<9}  {}  {}",
            i.key,
            i.state.as_str(),
            i.published.format("%Y-%m-%d"),
            i.title,
        );
        if !i.author.is_empty() {
            let _ = write!(out, " ({})", i.author);
        }
        if let Some(r) = &i.roundup {
            let _ = write!(out, " [in {} of {}]", r.title, r.date.format("%Y-%m-%d"));
        }
        let _ = write!(out, "\n    {}", i.link);
        if let Some(short) = short(&i.link) {
            let _ = write!(out, "  {short}");
        }
        out.push('\n');
    }
    let _ = writeln!(out, "{}", plural(items.len(), "item", "items"));
    out
}

// ------------------------------------------------------------------------------------- sources

/// The stable `sources --json` record.
#[derive(Debug, Serialize, Deserialize)]
pub struct SourceJson {
    pub name: String,
    pub url: String,
    pub status: String,
    pub last_fetch: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// What kind of error `last_error` is, in one word (`timeout`, `http`, `gone`, ...).
    pub error_kind: Option<String>,
    pub items: usize,
    pub next_check: Option<DateTime<Utc>>,
    pub moved_to: Option<String>,
    pub error_count: u32,
    /// The date of the newest post it has delivered.
    pub newest_post: Option<DateTime<Utc>>,
    /// What the editor should know (`health::Mark`): `sick`, `moved`, `gone`, `silent`.
    pub health: Vec<String>,
}

/// `sources`: a line a source, then how many are failing.
pub fn format_sources(rows: &[SourceJson]) -> String {
    let width = name_width(rows.iter().map(|r| r.name.as_str()));
    let mut out = String::new();
    for r in rows {
        let _ = write!(
            out,
            "{:<width$}  {:<12}  {:>4} {}",
            r.name,
            r.status,
            r.items,
            if r.items == 1 { "item " } else { "items" }
        );
        if let Some(t) = r.last_fetch {
            let _ = write!(out, "  last fetch {}", short_time(t));
        }
        // A healthy source is due at every poll: a next check only says something later.
        if let Some(t) = r.next_check.filter(|t| r.last_fetch.is_none_or(|f| *t > f)) {
            let _ = write!(out, "  next check {}", short_time(t));
        }
        if let Some(e) = &r.last_error {
            let _ = write!(out, "  error: {e}");
        }
        if let Some(m) = &r.moved_to {
            let _ = write!(out, "  moved permanently to {m}");
        }
        if !r.health.is_empty() {
            let _ = write!(out, "  [{}]", r.health.join(", "));
        }
        out.push('\n');
    }
    let failing = rows.iter().filter(|r| r.last_error.is_some()).count();
    let sources = if rows.len() == 1 { "source" } else { "sources" };
    let _ = write!(out, "{} {sources}, {failing} failing", rows.len());
    let marked = rows.iter().filter(|r| !r.health.is_empty()).count();
    if marked > 0 {
        let _ = write!(
            out,
            ", {marked} needing attention (sick, moved, gone or silent: the health comment at the top of each draft says what to do)"
        );
    }
    out.push('\n');
    out
}

// ------------------------------------------------------------------------------------- drafts

/// "1 post", "2 posts".
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `path` relative to the working folder when it is inside it, as a user would type it.
pub fn display_path(path: &std::path::Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(|p| p.display().to_string()))
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| path.display().to_string())
}

/// `import`: what was added, skipped and noted, then the count.
pub fn format_import(report: &crate::import::ImportReport, config: &std::path::Path) -> String {
    let mut out = String::new();
    for name in &report.added {
        let _ = writeln!(out, "added    {name}");
    }
    for s in &report.skipped {
        let url = if s.url.is_empty() {
            String::new()
        } else {
            format!(" ({})", s.url)
        };
        let _ = writeln!(out, "skipped  {}{url}: {}", s.name, s.reason);
    }
    for n in &report.notes {
        let _ = writeln!(out, "note     {n}");
    }
    let _ = writeln!(
        out,
        "{} added to {}, {} skipped",
        match report.added.len() {
            1 => "1 source".to_owned(),
            n => format!("{n} sources"),
        },
        config.display(),
        report.skipped.len()
    );
    out
}

/// How far back the draft looked, as its report line says it.
fn since_words(since: &WindowStart) -> String {
    match since {
        WindowStart::LastRoundup(t) => format!(
            "since the last published roundup ({})",
            t.format("%Y-%m-%d %H:%M UTC")
        ),
        s => format!("since {}", s.at().format("%Y-%m-%d")),
    }
}

/// What a draft holds: "14 posts (one series list) since 2016-04-01".
fn draft_contents(report: &DraftReport) -> String {
    let since = since_words(&report.since);
    if report.empty {
        return format!("nothing new {since} (the draft says so)");
    }
    let series = match report.series {
        0 => String::new(),
        1 => " (one series list)".to_owned(),
        n => format!(" ({n} series lists)"),
    };
    format!("{}{series} {since}", plural(report.items, "post", "posts"))
}

/// The line `draft` ends with on standard error, saying what happened to the file at `shown`.
pub fn draft_line(report: &DraftReport, shown: &str) -> String {
    let what = draft_contents(report);
    let line = match &report.written {
        Written::Fresh | Written::Replaced | Written::Stdout => format!("wrote {shown}: {what}"),
        Written::Merged { added } => format!(
            "updated {shown} in place: your edits are kept, {} that arrived since added after the last post",
            plural(*added, "post", "posts")
        ),
        Written::Unchanged => format!(
            "left {shown} as it is: it has your edits, and nothing new arrived since it was written"
        ),
        Written::Forced { backup } => format!(
            "wrote {shown}: {what}; what was there is kept in {}",
            display_path(backup)
        ),
    };
    match &report.left_alone {
        Some((original, why)) => format!("left {} alone ({why}); {line}", display_path(original)),
        None => line,
    }
}

/// The line on standard error of a draft printed to standard output.
pub fn printed_draft_line(report: &DraftReport) -> String {
    format!("draft {}: {}", report.id, draft_contents(report))
}

// ------------------------------------------------------------------------------------- publish

/// What `publish` of the file shown as `shown` did.
pub fn format_publish(r: &PublishReport, shown: &str) -> String {
    let mut out = String::new();
    if r.changed == 0 {
        let _ = writeln!(
            out,
            "nothing changed: {shown} was already published ({} in \"{}\")",
            plural(r.kept, "post", "posts"),
            r.title
        );
    } else {
        let _ = write!(
            out,
            "published {}, skipped {} in \"{}\" of {}",
            plural(r.published, "item", "items"),
            r.skipped,
            r.title,
            r.date.format("%Y-%m-%d"),
        );
        if r.updated > 0 {
            let _ = write!(
                out,
                "; {} already published in it now carry its new title or date",
                plural(r.updated, "post", "posts")
            );
        }
        out.push('\n');
    }
    publish_notes(r, &mut out);
    out
}

fn publish_notes(r: &PublishReport, out: &mut String) {
    for h in &r.by_hand {
        let _ = writeln!(
            out,
            "added by hand, recorded as published: {} <{}>",
            h.title, h.link
        );
    }
    for title in &r.revived {
        let _ = writeln!(
            out,
            "note: \"{title}\" had been skipped; it is in this roundup, so it counts as published"
        );
    }
    if r.earlier > 0 {
        let _ = writeln!(
            out,
            "note: {} in it went out in earlier roundups; they stay recorded there",
            plural(r.earlier, "post", "posts")
        );
    }
}

/// `skip` and `unskip`: a line an item.
pub fn format_marked(marked: &[Marked], state: ItemState) -> String {
    let mut out = String::new();
    for m in marked {
        let already = if m.was == state { "already " } else { "" };
        let _ = writeln!(
            out,
            "{}  {already}{}  {}",
            m.item.key,
            state.as_str(),
            m.item.title
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{ImportReport, Skipped};

    #[test]
    fn an_item_without_an_author_shows_no_empty_brackets() {
        use chrono::TimeZone;
        let at = Utc.with_ymd_and_hms(2016, 5, 17, 12, 0, 0).unwrap();
        let items = [
            Item {
                author: "Ann".into(),
                ..Item::new("k1", "S", "https://a.example/1", "With", at)
            },
            Item::new("k2", "S", "https://a.example/2", "Without", at),
        ];
        let out = format_items(&items, |_| None);
        assert!(out.contains("2016-05-17  With (Ann)\n"), "{out}");
        assert!(out.contains("2016-05-17  Without\n"), "{out}");
    }

    #[test]
    fn the_import_report_names_what_was_added_and_why_the_rest_was_not() {
        let report = ImportReport {
            added: vec!["Lars Kellogg-Stedman".into()],
            skipped: vec![
                Skipped {
                    name: "Folder without feeds".into(),
                    url: String::new(),
                    reason: "an outline without xmlUrl".into(),
                },
                Skipped {
                    name: "Rich Bowen (OpenStack tag)".into(),
                    url: "https://drbacchus.com/tag/openstack/feed".into(),
                    reason: "its url is already in the config".into(),
                },
            ],
            notes: vec!["renamed".into()],
        };
        assert_eq!(
            format_import(&report, std::path::Path::new("config/roundup.toml")),
            "added    Lars Kellogg-Stedman\n\
             skipped  Folder without feeds: an outline without xmlUrl\n\
             skipped  Rich Bowen (OpenStack tag) (https://drbacchus.com/tag/openstack/feed): its url is already in the config\n\
             note     renamed\n\
             1 source added to config/roundup.toml, 2 skipped\n"
        );
    }

    #[test]
    fn sources_show_a_next_check_only_when_it_is_later_than_the_last_fetch() {
        let at = |h| chrono::TimeZone::with_ymd_and_hms(&Utc, 2016, 5, 17, h, 0, 0).unwrap();
        let row = |name: &str, error: Option<&str>, next: u32| SourceJson {
            name: name.into(),
            url: format!("https://{name}.example/feed"),
            status: if error.is_some() { "failed" } else { "ok" }.into(),
            last_fetch: Some(at(9)),
            last_error: error.map(str::to_owned),
            error_kind: error.map(|_| "timeout".to_owned()),
            items: 1,
            next_check: Some(at(next)),
            moved_to: None,
            error_count: u32::from(error.is_some()),
            newest_post: None,
            health: if error.is_some() {
                vec!["sick".into()]
            } else {
                Vec::new()
            },
        };
        let shown = format_sources(&[row("a", None, 9), row("bb", Some("timed out"), 10)]);
        assert_eq!(
            shown,
            "a   ok               1 item   last fetch 2016-05-17 09:00 UTC\n\
             bb  failed           1 item   last fetch 2016-05-17 09:00 UTC  next check 2016-05-17 10:00 UTC  error: timed out  [sick]\n\
             2 sources, 1 failing, 1 needing attention (sick, moved, gone or silent: the health comment at the top of each draft says what to do)\n"
        );
    }

    #[test]
    fn counts_read_as_words() {
        assert_eq!(plural(1, "post", "posts"), "1 post");
        assert_eq!(plural(0, "post", "posts"), "0 posts");
    }
}
