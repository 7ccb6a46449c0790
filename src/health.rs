//! Feed health for the editor: the sources failing for longer than `[roundup] sick_after`, the
//! feeds that moved (update the config), the gone ones (take them out) and the blogs silent for
//! more than 90 days. Each draft opens with it as an HTML comment, invisible in the published
//! post; `sources` marks the same sources.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use crate::config::{defaults, Config};
use crate::store::{Meta, SourceState, Status, Store, StoreError};

/// What is wrong with a source, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mark {
    /// The server answered 410 Gone.
    Gone,
    /// Failing for longer than `sick_after`.
    Sick,
    /// Permanently redirected: the config still has the old URL.
    Moved,
    /// No new post for more than 90 days.
    Silent,
}

impl Mark {
    pub fn as_str(self) -> &'static str {
        match self {
            Mark::Gone => "gone",
            Mark::Sick => "sick",
            Mark::Moved => "moved",
            Mark::Silent => "silent",
        }
    }
}

/// Every mark that applies to a source in `state` at `now`.
pub fn marks(cfg: &Config, state: &SourceState, now: DateTime<Utc>) -> Vec<Mark> {
    let mut out = Vec::new();
    if state.status == Status::Gone {
        out.push(Mark::Gone);
    } else if state
        .failing_since
        .is_some_and(|since| state.is_failing() && now - since > cfg.roundup.sick_after)
    {
        out.push(Mark::Sick);
    }
    if state.moved_to.is_some() {
        out.push(Mark::Moved);
    }
    if state
        .newest_post
        .is_some_and(|newest| now - newest > defaults::SILENT_AFTER)
    {
        out.push(Mark::Silent);
    }
    out
}

/// One source that needs the editor's attention.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub name: String,
    pub url: String,
    pub marks: Vec<Mark>,
    pub state: SourceState,
}

/// The health of every configured source.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    pub sources: usize,
    pub entries: Vec<Entry>,
}

/// The health of `cfg`'s sources as the store has them at `now`. A store made before the newest
/// post was kept per source has it worked out once, from the items, and written back.
pub fn check(cfg: &Config, store: &Store, now: DateTime<Utc>) -> Result<Health, StoreError> {
    let mut states = Vec::with_capacity(cfg.sources.len());
    for source in &cfg.sources {
        states.push((source, store.source_state(&source.id(), &source.name)?));
    }
    let unknown = |st: &SourceState| st.newest_post.is_none() && st.status != Status::New;
    let found_before = store.meta::<bool>(Meta::NewestPostsFound)?.unwrap_or(false);
    if !found_before && states.iter().any(|(_, st)| unknown(st)) {
        let newest = store.newest_post_by_source()?;
        let mut found = Vec::new();
        for (source, st) in &mut states {
            if unknown(st) {
                if let Some(&t) = newest.get(&source.name) {
                    st.newest_post = Some(t);
                    found.push((source.id(), st.clone()));
                }
            }
        }
        let found: Vec<(&str, SourceState)> = found
            .iter()
            .map(|(id, st)| (id.as_str(), st.clone()))
            .collect();
        store.put_source_states(&found)?;
        store.put_meta(Meta::NewestPostsFound, &true)?;
    }
    let entries = states
        .into_iter()
        .filter_map(|(source, state)| {
            let marks = marks(cfg, &state, now);
            (!marks.is_empty()).then(|| Entry {
                name: source.name.clone(),
                url: source.url.to_string(),
                marks,
                state,
            })
        })
        .collect();
    Ok(Health {
        sources: cfg.sources.len(),
        entries,
    })
}

impl Health {
    fn with(&self, mark: Mark) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(move |e| e.marks.contains(&mark))
    }

    /// The comment a draft opens with: each group of sources with what to do about it.
    pub fn comment(&self, cfg: &Config) -> String {
        let mut out = String::from("<!-- roundup: feed health (this comment is not published)\n");
        if self.entries.is_empty() {
            let all = match self.sources {
                1 => "The source is well: not".to_owned(),
                n => format!("All {n} sources are well: none"),
            };
            let _ = writeln!(
                out,
                "{all} failing for more than {}, moved, gone or silent for more than {}.",
                days(cfg.roundup.sick_after),
                days(defaults::SILENT_AFTER)
            );
        }
        let day =
            |t: Option<DateTime<Utc>>| t.map_or("?".into(), |t| t.format("%Y-%m-%d").to_string());
        let mut group = |mark: Mark, heading: String, line: &dyn Fn(&Entry) -> String| {
            let entries: Vec<&Entry> = self.with(mark).collect();
            if entries.is_empty() {
                return;
            }
            let _ = writeln!(out, "\n{heading}");
            for e in entries {
                let _ = writeln!(out, "- {} <{}>: {}", e.name, e.url, line(e));
            }
        };
        group(
            Mark::Sick,
            format!(
                "Failing for more than {} (fix the URL, or ask the blogger):",
                days(cfg.roundup.sick_after)
            ),
            &|e| {
                format!(
                    "failing since {}, {}",
                    day(e.state.failing_since),
                    e.state.last_error.as_deref().unwrap_or("no error recorded")
                )
            },
        );
        group(
            Mark::Moved,
            "Moved (put the new URL in the config):".into(),
            &|e| format!("now at {}", e.state.moved_to.as_deref().unwrap_or("?")),
        );
        group(
            Mark::Gone,
            "Gone (take them out of the config):".into(),
            &|e| format!("410 Gone since {}", day(e.state.failing_since)),
        );
        group(
            Mark::Silent,
            format!("Silent for more than {}:", days(defaults::SILENT_AFTER)),
            &|e| format!("newest post {}", day(e.state.newest_post)),
        );
        out.push_str("-->\n");
        comment_safe(&out)
    }
}

/// `draft` with `comment` at its top: after the front matter (which must come first for the
/// site to read it), else before everything.
pub fn open_with(mut draft: String, comment: &str) -> String {
    match crate::render::front_matter_close(&draft).map(|close| close + 4) {
        Some(at) => draft.insert_str(at, &format!("\n{comment}")),
        None => draft.insert_str(0, &format!("{comment}\n")),
    }
    draft
}

/// "7 days", "36 hours", "90 seconds".
fn days(d: chrono::Duration) -> String {
    let (n, unit) = if d.num_days() >= 1 && d.num_hours() % 24 == 0 {
        (d.num_days(), "day")
    } else if d.num_hours() >= 1 {
        (d.num_hours(), "hour")
    } else if d.num_minutes() >= 1 && d.num_seconds() % 60 == 0 {
        (d.num_minutes(), "minute")
    } else {
        (d.num_seconds(), "second")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// `text` (a whole comment) with no `--` inside it but its own markers: an error message or URL
/// holding `-->` would end the comment early and show the rest in the post.
fn comment_safe(text: &str) -> String {
    let body = &text["<!--".len()..text.len() - "-->\n".len()];
    let mut safe = body.replace("--", "- -");
    while safe.contains("--") {
        safe = safe.replace("--", "- -");
    }
    format!("<!--{safe}-->\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn cfg() -> Config {
        crate::config::test_parse(
            "[roundup]\nsick_after = \"3d\"\n[[source]]\nname = \"A\"\nurl = \"https://a.example/feed\"\n",
        )
        .unwrap()
    }

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, 12, 0, 0)
            .single()
            .unwrap()
    }

    #[test]
    fn failing_past_sick_after_moved_gone_and_silent_sources_are_marked() {
        let cfg = cfg();
        let failing = SourceState {
            status: Status::Failed,
            failing_since: Some(at(1)),
            ..SourceState::default()
        };
        assert_eq!(marks(&cfg, &failing, at(3)), []);
        assert_eq!(marks(&cfg, &failing, at(5)), [Mark::Sick]);
        let gone = SourceState {
            status: Status::Gone,
            failing_since: Some(at(1)),
            ..SourceState::default()
        };
        assert_eq!(marks(&cfg, &gone, at(30)), [Mark::Gone]);
        let moved_and_quiet = SourceState {
            status: Status::NotModified,
            moved_to: Some("https://new.example/feed".into()),
            newest_post: Some(at(1) - chrono::Duration::days(91)),
            ..SourceState::default()
        };
        assert_eq!(
            marks(&cfg, &moved_and_quiet, at(1)),
            [Mark::Moved, Mark::Silent]
        );
    }

    #[test]
    fn newest_posts_are_worked_out_from_the_items_once() {
        let cfg = cfg();
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let id = cfg.sources[0].id();
        let failing = SourceState {
            status: Status::Failed,
            ..SourceState::default()
        };
        store.put_source_states(&[(&id, failing.clone())]).unwrap();
        let old_post = at(1) - chrono::Duration::days(100);
        let post = |key: &str| {
            crate::item::Item::new(key, "A", format!("https://a.example/{key}"), "T", old_post)
        };
        store.upsert_items(&[post("k1")]).unwrap();
        // A store from before source states kept the newest post: found from the items.
        let health = check(&cfg, &store, at(1)).unwrap();
        assert_eq!(health.entries[0].state.newest_post, Some(old_post));
        assert_eq!(health.entries[0].marks, [Mark::Silent]);
        // A source that never brought a post is not looked for in every item at every check:
        // from now on the polls keep the newest post, so posts stored behind their back (as
        // here) are not read again.
        store.put_source_states(&[(&id, failing)]).unwrap();
        store.upsert_items(&[post("k2")]).unwrap();
        let health = check(&cfg, &store, at(1)).unwrap();
        assert_eq!(health.entries.len(), 0, "{:?}", health.entries);
    }

    #[test]
    fn the_comment_groups_sources_and_cannot_be_closed_early() {
        let cfg = cfg();
        let entry = |marks: Vec<Mark>, state: SourceState| Entry {
            name: "A".into(),
            url: "https://a.example/feed".into(),
            marks,
            state,
        };
        let health = Health {
            sources: 3,
            entries: vec![
                entry(
                    vec![Mark::Sick],
                    SourceState {
                        failing_since: Some(at(1)),
                        last_error: Some("HTTP 500 --> <b>oops</b> -->".into()),
                        ..SourceState::default()
                    },
                ),
                entry(
                    vec![Mark::Moved],
                    SourceState {
                        moved_to: Some("https://b.example/".into()),
                        ..SourceState::default()
                    },
                ),
            ],
        };
        let c = health.comment(&cfg);
        assert!(c.starts_with("<!-- roundup: feed health"), "{c}");
        assert!(c.ends_with("-->\n"), "{c}");
        assert_eq!(c.matches("-->").count(), 1, "{c}");
        assert!(c.contains("Failing for more than 3 days"), "{c}");
        assert!(
            c.contains("- A <https://a.example/feed>: failing since 2026-11-01, HTTP 500"),
            "{c}"
        );
        assert!(c.contains("now at https://b.example/"), "{c}");
        assert!(!c.contains("Gone") && !c.contains("Silent"), "{c}");
        let well = Health {
            sources: 3,
            entries: Vec::new(),
        };
        assert!(well.comment(&cfg).contains("All 3 sources are well"));
    }
}
