//! `roundup check [SOURCE]`: fetch and extract one source, or all, without storing anything,
//! and show what each item would be. For trying a new feed or the selectors of an HTML source
//! before they go into the config; it needs no store, so it runs beside the daemon.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::config::Source;
use crate::extract::Extracted;
use crate::fetch::{FetchOutcome, Fetcher, Validators};
use crate::poll::parse_and_extract;

/// Words of a summary shown per item.
const SUMMARY_WORDS: usize = 40;

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("no source is named {name:?} in {config}; the sources are: {names}")]
    UnknownSource {
        name: String,
        config: String,
        names: String,
    },
}

/// What checking one source found: its report, and whether it failed.
pub struct Checked {
    pub text: String,
    pub failed: bool,
}

/// The sources `name` picks: that one, or all.
pub fn pick<'a>(cfg: &'a Config, name: Option<&str>) -> Result<Vec<&'a Source>, CheckError> {
    match name {
        None => Ok(cfg.sources.iter().collect()),
        Some(n) => {
            let found: Vec<&Source> = cfg
                .sources
                .iter()
                .filter(|s| s.name.eq_ignore_ascii_case(n.trim()) || s.url.as_str() == n)
                .collect();
            if found.is_empty() {
                return Err(CheckError::UnknownSource {
                    name: n.to_owned(),
                    config: cfg.path.display().to_string(),
                    names: cfg
                        .sources
                        .iter()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
            Ok(found)
        }
    }
}

/// Fetches (without validators) and extracts `source`, and describes every item it gives.
pub async fn check(
    cfg: &Config,
    fetcher: &Fetcher,
    source: &Source,
    now: DateTime<Utc>,
) -> Checked {
    let mut text = format!("{} <{}>: ", source.name, source.url);
    let failure = match fetcher.fetch(&source.url, &Validators::default()).await {
        FetchOutcome::Fetched(f) => {
            let result = parse_and_extract(
                &f.body,
                &f.final_url,
                source,
                &cfg.filters,
                &cfg.authors,
                cfg.http.max_items,
                now,
            );
            match result {
                Ok(x) if x.unusable() => {
                    let mut why = format!(
                        "none of its {} entries could be used (check the selectors)\n",
                        x.dropped.len()
                    );
                    for reason in &x.dropped {
                        let _ = writeln!(why, "  left out: {reason}");
                    }
                    Some(why)
                }
                Ok(x) => {
                    describe(&mut text, &x, now);
                    None
                }
                Err(e) => Some(format!("{e}\n")),
            }
        }
        FetchOutcome::NotModified { .. } => {
            Some("answered 304 Not Modified to a request without validators\n".to_owned())
        }
        FetchOutcome::Failed(f) => Some(format!("{}\n", f.error)),
    };
    if let Some(why) = &failure {
        let _ = write!(text, "FAILED: {why}");
    }
    Checked {
        text,
        failed: failure.is_some(),
    }
}

/// The counts, what was left out, then every item as it would be stored.
fn describe(text: &mut String, x: &Extracted, now: DateTime<Utc>) {
    let _ = write!(text, "{} items", x.items.len());
    for (what, n) in [
        ("filtered out", x.filtered),
        ("left out (no usable link)", x.dropped.len()),
        ("past [http] max_items", x.over_max_items),
        ("without a title (check the title selector)", x.untitled),
        ("without a date", x.undated),
    ] {
        if n > 0 {
            let _ = write!(text, ", {n} {what}");
        }
    }
    text.push('\n');
    for reason in &x.dropped {
        let _ = writeln!(text, "  left out: {reason}");
    }
    for item in &x.items {
        let date = if item.published == now {
            "none found (it would be dated when first seen)".to_owned()
        } else {
            item.published.format("%Y-%m-%d %H:%M UTC").to_string()
        };
        let words: Vec<&str> = item.summary.split_whitespace().collect();
        let mut summary = words[..words.len().min(SUMMARY_WORDS)].join(" ");
        if words.len() > SUMMARY_WORDS {
            summary.push_str(" …");
        }
        let _ = write!(
            text,
            "\n  title:   {}\n  author:  {}\n  date:    {date}\n  link:    {}\n  summary: {}\n",
            item.title,
            item.author,
            item.link,
            if summary.is_empty() {
                "(none)"
            } else {
                &summary
            }
        );
    }
}
