//! One poll: every due source fetched (concurrently, politely), parsed and extracted on all
//! cores, its items stored once, and its state recorded. A source's failure is a line in the
//! report, never the end of the run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::config::{Config, Source, SourceKind};
use crate::extract::{self, Extracted};
use crate::fetch::{FetchError, FetchOutcome, Fetcher, Validators};
use crate::parse::{self, ParseError};
use crate::source::{backoff, SourceState, Status};
use crate::store::{Store, StoreError, Upsert};

pub struct PollOptions {
    /// Fetch every source, even one not due yet (backing off after errors) or gone.
    pub force: bool,
    /// Draw a progress bar (on a terminal only).
    pub progress: bool,
    pub cancel: CancellationToken,
}

impl Default for PollOptions {
    fn default() -> Self {
        PollOptions {
            force: false,
            progress: false,
            cancel: CancellationToken::new(),
        }
    }
}

impl Outcome {
    pub fn is_failing(&self) -> bool {
        match self {
            Outcome::Failed { .. } => true,
            Outcome::NotDue { status, .. } => matches!(status, Status::Failed | Status::Gone),
            _ => false,
        }
    }
}

/// What happened to one source in this poll.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Stored {
        new: usize,
        updated: usize,
        items: usize,
        filtered: usize,
        /// Entries left out: without a usable link, or past `[http] max_items`.
        dropped: usize,
        /// Of those, the entries past `[http] max_items`.
        over_max_items: usize,
        /// Items whose entry gave no date: dated when first seen.
        undated: usize,
        /// Items whose entry gave no title: titled from their summary.
        untitled: usize,
    },
    NotModified,
    Failed {
        error: String,
    },
    /// Not fetched this time. `status` says how the source stands: a source backing off after
    /// errors is `failed` (or `gone`), with its `error` and since when it has been failing.
    NotDue {
        next_check: Option<DateTime<Utc>>,
        status: Status,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        failing_since: Option<DateTime<Utc>>,
    },
    Cancelled,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceReport {
    pub name: String,
    pub url: String,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Set when the server moved the feed permanently: update the config.
    pub moved_to: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PollReport {
    pub started: DateTime<Utc>,
    pub duration_ms: u64,
    pub sources: Vec<SourceReport>,
}

/// What the store keeps of the last poll (for `/healthz` and `sources`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PollSummary {
    pub finished: DateTime<Utc>,
    pub duration_ms: u64,
    pub sources: usize,
    pub new: usize,
    pub not_modified: usize,
    pub failed: usize,
}

pub const LAST_POLL: &str = "last_poll";

impl PollReport {
    pub fn new_items(&self) -> usize {
        self.sources
            .iter()
            .map(|s| {
                if let Outcome::Stored { new, .. } = s.outcome {
                    new
                } else {
                    0
                }
            })
            .sum()
    }
    /// Sources failing: those that failed now, and those backing off after failing before.
    pub fn failed(&self) -> usize {
        self.sources
            .iter()
            .filter(|s| s.outcome.is_failing())
            .count()
    }

    /// Sources failing that were not fetched this time (backing off, or gone).
    pub fn backing_off(&self) -> usize {
        self.sources
            .iter()
            .filter(|s| matches!(s.outcome, Outcome::NotDue { .. }) && s.outcome.is_failing())
            .count()
    }
    pub fn not_modified(&self) -> usize {
        self.sources
            .iter()
            .filter(|s| s.outcome == Outcome::NotModified)
            .count()
    }
    pub fn summary(&self) -> PollSummary {
        PollSummary {
            finished: self.started + chrono::Duration::milliseconds(self.duration_ms as i64),
            duration_ms: self.duration_ms,
            sources: self.sources.len(),
            new: self.new_items(),
            not_modified: self.not_modified(),
            failed: self.failed(),
        }
    }
}

/// The result of fetching and parsing one source, before anything is stored.
enum Fetched {
    NotDue,
    Cancelled,
    NotModified {
        moved_to: Option<String>,
    },
    Items {
        extracted: Extracted,
        validators: Validators,
        final_url: String,
        moved_to: Option<String>,
    },
    Failed {
        error: String,
        retry_after: Option<Duration>,
        gone: bool,
        moved_to: Option<String>,
    },
}

/// Polls every due source once and stores what is new. Only a store failure is an `Err`.
pub async fn run(
    cfg: &Config,
    store: &Store,
    fetcher: &Fetcher,
    opts: &PollOptions,
    now: DateTime<Utc>,
) -> Result<PollReport, StoreError> {
    let clock = Instant::now();
    let states: Vec<SourceState> = cfg
        .sources
        .iter()
        .map(|s| store.source_state(&s.id(), &s.name))
        .collect::<Result<_, _>>()?;
    let cpus = Arc::new(Semaphore::new(
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2),
    ));
    let bar = progress_bar(cfg.sources.len(), opts.progress);

    // Collected up front (boxed) rather than mapped lazily: a lazy closure in the stream trips
    // the compiler's Send check for futures that borrow (rust-lang/rust#102211).
    type Task<'a> =
        std::pin::Pin<Box<dyn std::future::Future<Output = (usize, Fetched)> + Send + 'a>>;
    let mut tasks: Vec<Task<'_>> = Vec::with_capacity(cfg.sources.len());
    // What the config makes of each source, worked out once: fetches compare it with the
    // state's, the writer records it.
    let prints: Vec<String> = cfg
        .sources
        .iter()
        .map(|s| s.fingerprint(&cfg.filters, &cfg.authors))
        .collect();
    for (i, ((source, state), print)) in cfg
        .sources
        .iter()
        .zip(states.iter())
        .zip(prints.iter())
        .enumerate()
    {
        let cpus = cpus.clone();
        let validators =
            (opts.force || state.is_due(now)).then(|| validators_for(source, state, print));
        tasks.push(Box::pin(async move {
            let fetched = if opts.cancel.is_cancelled() {
                Fetched::Cancelled
            } else {
                tokio::select! {
                    f = fetch_one(cfg, source, validators, fetcher, cpus, now) => f,
                    _ = opts.cancel.cancelled() => Fetched::Cancelled,
                }
            };
            (i, fetched)
        }));
    }
    let mut results = stream::iter(tasks).buffer_unordered(cfg.http.concurrency);

    // Results go to a writer on its own thread, which stores them a group at a time while
    // fetching and parsing go on.
    let (tx, rx) = std::sync::mpsc::channel::<(usize, Fetched)>();
    let writer = {
        let (store, sources, bar) = (store.clone(), cfg.sources.clone(), bar.clone());
        let states = states.clone();
        let prints = prints.clone();
        tokio::task::spawn_blocking(move || {
            write_results(&store, &sources, &prints, states, rx, &bar, now)
        })
    };
    while let Some(done) = results.next().await {
        if tx.send(done).is_err() {
            break; // the writer stopped on a store error, which it returns
        }
    }
    drop(tx);
    let reports = match writer.await {
        Ok(r) => r?,
        Err(join) => std::panic::resume_unwind(join.into_panic()),
    };
    bar.finish_and_clear();

    let report = PollReport {
        started: now,
        duration_ms: clock.elapsed().as_millis() as u64,
        sources: reports,
    };
    store.put_meta(LAST_POLL, &report.summary())?;
    store.flush()?;
    Ok(report)
}

/// Sources stored together in one pair of batches, at most.
const WRITE_GROUP: usize = 64;

/// Stores what the fetchers send, a group of sources at a time: their items in batches, then
/// their states (validators last, so a crash in between refetches rather than loses items).
fn write_results(
    store: &Store,
    sources: &[Source],
    prints: &[String],
    mut states: Vec<SourceState>,
    rx: std::sync::mpsc::Receiver<(usize, Fetched)>,
    bar: &indicatif::ProgressBar,
    now: DateTime<Utc>,
) -> Result<Vec<SourceReport>, StoreError> {
    let mut reports: Vec<Option<SourceReport>> = vec![None; sources.len()];
    let ids: Vec<String> = sources.iter().map(Source::id).collect();
    while let Ok(first) = rx.recv() {
        let mut group = vec![first];
        while group.len() < WRITE_GROUP {
            match rx.try_recv() {
                Ok(done) => group.push(done),
                Err(_) => break,
            }
        }
        let items: Vec<&[crate::item::Item]> = group
            .iter()
            .map(|(_, f)| match f {
                Fetched::Items { extracted, .. } => &extracted.items[..],
                _ => &[],
            })
            .collect();
        let upserts = store.upsert_groups(&items)?;
        let mut changed = Vec::with_capacity(group.len());
        for ((i, fetched), upsert) in group.into_iter().zip(upserts) {
            let source = &sources[i];
            let state = &mut states[i];
            let outcome = record(source, state, fetched, upsert, now);
            if matches!(outcome, Outcome::Stored { .. } | Outcome::NotModified) {
                state.fingerprint = Some(prints[i].clone());
            }
            if !matches!(outcome, Outcome::NotDue { .. } | Outcome::Cancelled) {
                changed.push((ids[i].as_str(), state.clone()));
            }
            if let Outcome::Failed { error } = &outcome {
                tracing::warn!(source = %source.name, url = %source.url, error = %error, "source failed");
            }
            bar.inc(1);
            reports[i] = Some(SourceReport {
                name: source.name.clone(),
                url: source.url.to_string(),
                outcome,
                moved_to: state.moved_to.clone(),
            });
        }
        store.put_source_states(&changed)?;
    }
    Ok(reports.into_iter().flatten().collect())
}

/// The validators a fetch of `source` may send: those its state holds, when they belong to
/// the same URL and to what the config made of its body (`print`); a changed URL, filter or
/// selector reads the feed whole again.
fn validators_for(source: &Source, state: &SourceState, print: &str) -> Validators {
    if state.url == source.url.as_str() && state.fingerprint.as_deref().is_none_or(|p| p == print) {
        Validators {
            etag: state.etag.clone(),
            last_modified: state.last_modified.clone(),
        }
    } else {
        Validators::default()
    }
}

/// Fetches and parses one source; `validators` is `None` when it is not due.
async fn fetch_one(
    cfg: &Config,
    source: &Source,
    validators: Option<Validators>,
    fetcher: &Fetcher,
    cpus: Arc<Semaphore>,
    now: DateTime<Utc>,
) -> Fetched {
    let Some(validators) = validators else {
        return Fetched::NotDue;
    };
    let fetched = match fetcher.fetch(&source.url, &validators).await {
        FetchOutcome::Fetched(f) => f,
        FetchOutcome::NotModified { moved_to } => {
            return Fetched::NotModified {
                moved_to: moved_to.map(String::from),
            }
        }
        FetchOutcome::Failed(f) => {
            return Fetched::Failed {
                gone: f.error == FetchError::Gone,
                error: f.error.to_string(),
                retry_after: f.retry_after,
                moved_to: f.moved_to.map(String::from),
            };
        }
    };
    let moved_to = fetched.moved_to.as_ref().map(|u| u.to_string());
    // Parsing and extraction are CPU work: on the blocking pool, at most one per core.
    let _cpu = cpus
        .acquire_owned()
        .await
        .expect("the cpu semaphore is never closed");
    let job = {
        let source = source.clone();
        let global = cfg.filters.clone();
        let aliases = cfg.authors.clone();
        let max_items = cfg.http.max_items;
        move || {
            parse_and_extract(
                &fetched.body,
                &fetched.final_url,
                &source,
                &global,
                &aliases,
                max_items,
                now,
            )
            .map(|e| (e, fetched.validators, fetched.final_url.to_string()))
        }
    };
    match tokio::task::spawn_blocking(job).await {
        Ok(Ok((extracted, _, _))) if extracted.unusable() => Fetched::Failed {
            error: format!(
                "none of its {} entries could be used: {}{}",
                extracted.dropped.len(),
                extracted.dropped[0],
                match source.kind {
                    SourceKind::Html(_) => " (check the `link` selector with `roundup check`)",
                    SourceKind::Feed => "",
                }
            ),
            retry_after: None,
            gone: false,
            moved_to,
        },
        Ok(Ok((extracted, validators, final_url))) => Fetched::Items {
            extracted,
            validators,
            final_url,
            moved_to,
        },
        Ok(Err(e)) => Fetched::Failed {
            error: if source.url.scheme() == "file" {
                // The messages speak of a server; a local file has none.
                e.to_string().replace("the server sent", "the file holds")
            } else {
                e.to_string()
            },
            retry_after: None,
            gone: false,
            moved_to,
        },
        Err(join) => Fetched::Failed {
            error: format!("internal error while parsing (please report it): {join}"),
            retry_after: None,
            gone: false,
            moved_to,
        },
    }
}

/// Bytes -> items, for one source.
pub fn parse_and_extract(
    body: &[u8],
    final_url: &url::Url,
    source: &Source,
    global: &crate::config::Filters,
    aliases: &std::collections::BTreeMap<String, String>,
    max_items: usize,
    now: DateTime<Utc>,
) -> Result<Extracted, ParseError> {
    // Relative links resolve against the final URL; for a local file, against the site the
    // feed names (its alternate link) instead, since a file:// link is no use to a reader.
    let web = matches!(final_url.scheme(), "http" | "https");
    let feed = match &source.kind {
        SourceKind::Feed => parse::feed::parse(body, web.then_some(final_url))?,
        SourceKind::Html(sel) => parse::html::scrape(body, sel, final_url)?,
    };
    let site = feed.link.as_deref().and_then(|l| url::Url::parse(l).ok());
    let base = if web {
        Some(final_url)
    } else {
        site.as_ref().or(Some(final_url))
    };
    let cx = extract::Context {
        source,
        global,
        aliases,
        base,
        now,
        max_items,
    };
    Ok(extract::extract(&feed, &cx))
}

/// Stores what one source gave and moves its state on.
fn record(
    source: &Source,
    state: &mut SourceState,
    fetched: Fetched,
    upsert: Upsert,
    now: DateTime<Utc>,
) -> Outcome {
    let outcome = match fetched {
        Fetched::NotDue => {
            return Outcome::NotDue {
                next_check: state.next_check,
                status: state.status,
                error: state
                    .is_failing()
                    .then(|| state.last_error.clone())
                    .flatten(),
                failing_since: state.is_failing().then_some(state.failing_since).flatten(),
            }
        }
        Fetched::Cancelled => return Outcome::Cancelled,
        Fetched::NotModified { moved_to } => {
            state.moved_to = moved_to;
            state.status = Status::NotModified;
            state.error_count = 0;
            state.failing_since = None;
            state.last_error = None;
            state.next_check = Some(now);
            Outcome::NotModified
        }
        Fetched::Items {
            extracted,
            validators,
            final_url,
            moved_to,
        } => {
            for reason in &extracted.dropped {
                tracing::debug!(source = %source.name, reason = %reason, "entry not kept");
            }
            state.status = Status::Ok;
            state.etag = validators.etag;
            state.last_modified = validators.last_modified;
            state.error_count = 0;
            state.failing_since = None;
            state.last_error = None;
            state.next_check = Some(now);
            state.moved_to = moved_to;
            state.final_url = Some(final_url);
            Outcome::Stored {
                new: upsert.new,
                updated: upsert.updated,
                items: extracted.items.len(),
                filtered: extracted.filtered,
                dropped: extracted.dropped.len() + extracted.over_max_items,
                over_max_items: extracted.over_max_items,
                undated: extracted.undated,
                untitled: extracted.untitled,
            }
        }
        Fetched::Failed {
            error,
            retry_after,
            gone,
            moved_to,
        } => {
            state.moved_to = moved_to;
            state.status = if gone { Status::Gone } else { Status::Failed };
            state.error_count = state.error_count.saturating_add(1);
            state.failing_since.get_or_insert(now);
            state.last_error = Some(error.clone());
            let wait = backoff(state.error_count);
            let asked = retry_after
                .and_then(|d| chrono::Duration::from_std(d).ok())
                .unwrap_or(wait);
            state.next_check = Some(now + wait.max(asked));
            Outcome::Failed { error }
        }
    };
    state.url = source.url.to_string();
    state.last_fetch = Some(now);
    outcome
}

fn progress_bar(len: usize, show: bool) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} polling {pos}/{len} sources {wide_bar} {elapsed}",
        )
        .expect("the progress template is valid"),
    );
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    const RELATIVE: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <link rel="self" href="http://intertwingly.example/blog/index.atom"/>
  <link href="/blog/"/>
  <id>http://intertwingly.example/blog/index.atom</id>
  <title>Sam</title><author><name>Sam Ruby</name></author>
  <updated>2013-02-23T18:33:07-08:00</updated>
  <entry><id>tag:intertwingly.example,2004:3371</id><title>Plex</title>
    <link href="/blog/2013/01/30/Plex"/><updated>2013-01-30T10:00:00Z</updated>
    <summary>A first paragraph.</summary></entry>
</feed>"#;

    fn source(url: &str) -> Source {
        let text = format!("[[source]]\nname = \"Sam\"\nurl = \"{url}\"\n");
        Config::parse(std::path::Path::new("t.toml"), &text)
            .unwrap()
            .sources
            .remove(0)
    }

    fn first_link(feed_url: &str) -> String {
        let url = url::Url::parse(feed_url).unwrap();
        let src = source(url.as_str());
        let (global, aliases) = (Default::default(), Default::default());
        let got = parse_and_extract(
            RELATIVE.as_bytes(),
            &url,
            &src,
            &global,
            &aliases,
            10,
            Utc::now(),
        )
        .unwrap();
        assert_eq!(got.items.len(), 1, "{:?}", got.dropped);
        got.items[0].link.clone()
    }

    #[test]
    fn relative_links_of_a_local_file_resolve_against_the_feeds_web_address() {
        assert_eq!(
            first_link("file:///srv/feeds/sam.atom"),
            "http://intertwingly.example/blog/2013/01/30/Plex"
        );
    }

    #[test]
    fn relative_links_of_a_fetched_feed_resolve_against_its_final_url() {
        assert_eq!(
            first_link("https://mirror.example/feeds/sam.atom"),
            "https://mirror.example/blog/2013/01/30/Plex"
        );
    }
}
