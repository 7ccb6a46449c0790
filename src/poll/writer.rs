//! The poll's writer: on its own thread, it stores what the fetchers send a group of sources
//! at a time (their items in batches, then their states) while fetching and parsing go on,
//! and returns the per-source reports.

use std::sync::mpsc::Receiver;

use chrono::{DateTime, Utc};

use crate::config::Source;
use crate::item::Item;
use crate::store::{SourceState, Store, StoreError};

use super::report::{SourceOutcome, SourceReport};
use super::state::{advance, Attempt};

/// Sources stored together in one pair of batches, at most.
const WRITE_GROUP: usize = 64;

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
    rx: Receiver<(usize, Attempt)>,
    bar: &indicatif::ProgressBar,
    now: DateTime<Utc>,
) -> Result<Vec<SourceReport>, StoreError> {
    let mut reports: Vec<Option<SourceReport>> = vec![None; known.sources.len()];
    let ids: Vec<String> = known.sources.iter().map(Source::id).collect();
    while let Ok(first) = rx.recv() {
        let group = next_group(first, &rx);
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

/// `first`, and whatever else has arrived, up to a group.
fn next_group(first: (usize, Attempt), rx: &Receiver<(usize, Attempt)>) -> Vec<(usize, Attempt)> {
    let mut group = vec![first];
    while group.len() < WRITE_GROUP {
        match rx.try_recv() {
            Ok(done) => group.push(done),
            Err(_) => break,
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
