//! One poll: every due source fetched (concurrently, politely), parsed and extracted on all
//! cores, its items stored once, and its state recorded. A source's failure is a line in the
//! report, never the end of the run; only a store failure ends it.
//!
//! `attempt` fetches one source and parses it on the threads of `cpu`, `state` moves its state
//! on (pure), `writer` stores results in groups on its own thread, `report` is what the
//! commands print.

mod attempt;
mod cpu;
mod report;
mod state;
mod writer;

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::fetch::Fetcher;
use crate::store::{Meta, SourceState, Store, StoreError};

pub use attempt::parse_and_extract;
use cpu::CpuPool;
pub use report::{PollReport, PollSummary, SourceError, SourceOutcome, SourceReport};
pub use state::backoff;
use state::{validators_for, Attempt};

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

/// Collected up front (boxed) rather than mapped lazily: a lazy closure in the stream trips
/// the compiler's Send check for futures that borrow (rust-lang/rust#102211).
type Task<'a> = Pin<Box<dyn Future<Output = (usize, Attempt)> + Send + 'a>>;

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
    // What the config makes of each source, worked out once: fetches compare it with the
    // state's, the writer records it.
    let shared = crate::config::shared_print(&cfg.filters, &cfg.authors);
    let prints: Vec<String> = cfg.sources.iter().map(|s| s.fingerprint(&shared)).collect();
    let bar = progress_bar(cfg.sources.len(), opts.progress);
    let cpus = CpuPool::per_core();
    let tasks = tasks(cfg, fetcher, &cpus, opts, &states, &prints, now);
    let mut results = stream::iter(tasks).buffer_unordered(cfg.http.concurrency);

    // Results go to the writer a group at a time (`writer::next_group`), and it stores them
    // while fetching and parsing go on. The channel is bounded: when storing falls behind,
    // fetching waits rather than piling parsed items up in memory.
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<(usize, Attempt)>>(2);
    let writer = {
        let (store, bar) = (store.clone(), bar.clone());
        let known = writer::Sources {
            sources: cfg.sources.clone(),
            prints,
            states,
        };
        tokio::task::spawn_blocking(move || writer::write_results(&store, known, rx, &bar, now))
    };
    while let Some(group) = writer::next_group(&mut results).await {
        if tx.send(group).await.is_err() {
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
    store.put_meta(Meta::LastPoll, &report.summary())?;
    store.flush()?;
    Ok(report)
}

/// One task per source: an attempt when it is due (or forced), `NotDue` otherwise, and
/// `Cancelled` once the poll is cancelled.
fn tasks<'a>(
    cfg: &'a Config,
    fetcher: &'a Fetcher,
    cpus: &'a CpuPool,
    opts: &'a PollOptions,
    states: &[SourceState],
    prints: &[String],
    now: DateTime<Utc>,
) -> Vec<Task<'a>> {
    // One deadline for the whole poll: a server that hangs (or trickles a byte a second) holds
    // up its own source only, never the others' results, which are stored as they come.
    let deadline = tokio::time::Instant::now() + cfg.http.poll_deadline;
    let mut tasks: Vec<Task<'a>> = Vec::with_capacity(cfg.sources.len());
    for (i, source) in cfg.sources.iter().enumerate() {
        let (state, print) = (&states[i], &prints[i]);
        let validators =
            (opts.force || state.is_due(now)).then(|| validators_for(source, state, print));
        tasks.push(Box::pin(async move {
            let attempt = if opts.cancel.is_cancelled() {
                Attempt::Cancelled
            } else {
                tokio::select! {
                    biased;
                    _ = opts.cancel.cancelled() => Attempt::Cancelled,
                    _ = tokio::time::sleep_until(deadline) => Attempt::Failed {
                        error: SourceError::Deadline(cfg.http.poll_deadline),
                        retry_after: None,
                        moved_to: None,
                    },
                    a = attempt::attempt(cfg, source, validators, fetcher, cpus, now) => a,
                }
            };
            (i, attempt)
        }));
    }
    tasks
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
