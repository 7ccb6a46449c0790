//! The poll's writer: on its own thread, it stores what the fetchers send a group of sources
//! at a time (their items in batches, then their states) while fetching and parsing go on,
//! and returns the per-source reports.

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::mpsc::Receiver;

use crate::config::Source;
use crate::item::Item;
use crate::store::{SourceState, Store, StoreError};

use super::report::{SourceOutcome, SourceReport};
use super::state::{advance, Attempt};

/// Sources stored together in one set of batches, at most.
pub const WRITE_GROUP: usize = 64;

/// How long a group waits for more sources after its first: a poll of many sources stores
/// them in few groups, and a poll of one is stored at once when its fetch ends.
const GROUP_WAIT: std::time::Duration = std::time::Duration::from_millis(100);

/// What the writer needs to know of the sources, by their index in the config.
pub struct Sources {
    pub sources: Vec<Source>,
    /// `Source::fingerprint` of each.
    pub prints: Vec<String>,
    pub states: Vec<SourceState>,
}

/// Stores each group as it comes: items first, then states (validators last, so a crash in
/// between refetches rather than loses items).
pub fn write_results(
    store: &Store,
    mut known: Sources,
    mut rx: Receiver<(usize, Attempt)>,
    bar: &indicatif::ProgressBar,
    now: DateTime<Utc>,
) -> Result<Vec<SourceReport>, StoreError> {
    let mut reports: Vec<Option<SourceReport>> = vec![None; known.sources.len()];
    let ids: Vec<String> = known.sources.iter().map(Source::id).collect();
    while let Some(first) = rx.blocking_recv() {
        let group = next_group(first, &mut rx);
        let items: Vec<&[Item]> = group
            .iter()
            .map(|(_, a)| match a {
                Attempt::Items { extracted, .. } => &extracted.items[..],
                _ => &[],
            })
            .collect();
        let upserts = store.upsert_groups(&items)?;
        let mut changed = Vec::with_capacity(group.len());
        for ((i, attempt), upsert) in group.into_iter().zip(upserts) {
            let report = settle(&mut known, i, attempt, upsert, now);
            if !matches!(
                report.outcome,
                SourceOutcome::NotDue { .. } | SourceOutcome::Cancelled
            ) {
                changed.push((ids[i].as_str(), known.states[i].clone()));
            }
            bar.inc(1);
            reports[i] = Some(report);
        }
        store.put_source_states(&changed)?;
    }
    Ok(reports.into_iter().flatten().collect())
}

/// `first`, and what arrives after it within `GROUP_WAIT`, up to a group: each group costs
/// sled a write of its log buffer per tree, so a few large groups cost less than many small.
fn next_group(
    first: (usize, Attempt),
    rx: &mut Receiver<(usize, Attempt)>,
) -> Vec<(usize, Attempt)> {
    let deadline = tokio::time::Instant::now() + GROUP_WAIT;
    let runtime = tokio::runtime::Handle::current();
    let mut group = vec![first];
    while group.len() < WRITE_GROUP {
        let next = match rx.try_recv() {
            Ok(done) => Some(done),
            Err(TryRecvError::Disconnected) => None,
            Err(TryRecvError::Empty) => runtime
                .block_on(tokio::time::timeout_at(deadline, rx.recv()))
                .ok()
                .flatten(),
        };
        match next {
            Some(done) => group.push(done),
            None => break,
        }
    }
    group
}

/// Moves source `i`'s state on and reports it.
fn settle(
    known: &mut Sources,
    i: usize,
    attempt: Attempt,
    upsert: crate::store::Upsert,
    now: DateTime<Utc>,
) -> SourceReport {
    let source = &known.sources[i];
    let state = &mut known.states[i];
    let outcome = advance(source, state, attempt, upsert, now);
    if matches!(
        outcome,
        SourceOutcome::Stored { .. } | SourceOutcome::NotModified
    ) {
        state.fingerprint = Some(known.prints[i].clone());
    }
    if let SourceOutcome::Failed { error } = &outcome {
        tracing::warn!(source = %source.name, url = %source.url, error = %error, "source failed");
    }
    SourceReport {
        name: source.name.clone(),
        url: source.url.to_string(),
        outcome,
        moved_to: state.moved_to.clone(),
    }
}
