//! The poll's writer: on its own thread, it stores what the fetchers send a group of sources
//! at a time (their items in batches, then their states) while fetching and parsing go on,
//! and returns the per-source reports.

use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};
use tokio::sync::mpsc::Receiver;

use crate::config::Source;
use crate::item::Item;
use crate::store::{SourceState, Store, StoreError};

use super::report::{SourceOutcome, SourceReport};
use super::state::{advance, Attempt};

/// Sources with items stored together in one set of batches, at most.
pub const WRITE_GROUP: usize = 64;

/// Sources stored together in one set of batches, at most, counting those that brought no
/// items (not modified, failed): each of those is only its state to write, a few hundred
/// bytes. A warm poll of 1000 sources is one batch of states rather than 16, each of which
/// sled wrote to its log and waited for the disk on.
pub const WRITE_GROUP_STATES: usize = WRITE_GROUP * 16;

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
    mut rx: Receiver<Vec<(usize, Attempt)>>,
    bar: &indicatif::ProgressBar,
    now: DateTime<Utc>,
) -> Result<Vec<SourceReport>, StoreError> {
    let mut reports: Vec<Option<SourceReport>> = vec![None; known.sources.len()];
    let ids: Vec<String> = known.sources.iter().map(Source::id).collect();
    while let Some(group) = rx.blocking_recv() {
        let (items, alike): (Vec<&[Item]>, Vec<&[Option<String>]>) = group
            .iter()
            .map(|(_, a)| match a {
                Attempt::Items { extracted, .. } => (&extracted.items[..], &extracted.alike[..]),
                _ => (&[][..], &[][..]),
            })
            .unzip();
        let upserts = store.upsert_extracted(&items, &alike)?;
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

/// The next group of results: the first to come, and what follows it within `GROUP_WAIT`, up
/// to `WRITE_GROUP` sources with items or `WRITE_GROUP_STATES` in all; `None` when all have
/// come. Each group costs sled a write of its log buffer per tree, so a few large groups cost
/// less than many small; and gathered here, on the fetchers' side, the writer's thread is woken
/// once a group rather than once a source.
pub async fn next_group<S>(results: &mut S) -> Option<Vec<(usize, Attempt)>>
where
    S: Stream<Item = (usize, Attempt)> + Unpin,
{
    let first = results.next().await?;
    let deadline = tokio::time::Instant::now() + GROUP_WAIT;
    let has_items = |(_, a): &(usize, Attempt)| matches!(a, Attempt::Items { .. });
    let mut with_items = usize::from(has_items(&first));
    let mut group = vec![first];
    while with_items < WRITE_GROUP && group.len() < WRITE_GROUP_STATES {
        match tokio::time::timeout_at(deadline, results.next()).await {
            Ok(Some(done)) => {
                with_items += usize::from(has_items(&done));
                group.push(done);
            }
            Ok(None) | Err(_) => break,
        }
    }
    Some(group)
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

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::stream;

    fn done(i: usize) -> (usize, Attempt) {
        (i, Attempt::NotModified { moved_to: None })
    }

    fn fetched(i: usize) -> (usize, Attempt) {
        let attempt = Attempt::Items {
            extracted: crate::extract::Extracted::default(),
            validators: Default::default(),
            final_url: String::new(),
            moved_to: None,
        };
        (i, attempt)
    }

    fn indexes(group: &[(usize, Attempt)]) -> Vec<usize> {
        group.iter().map(|(i, _)| *i).collect()
    }

    #[tokio::test]
    async fn results_go_to_the_writer_in_groups_of_what_has_come() {
        // All at once, with items: full groups, then the rest, then the end.
        let mut all = stream::iter((0..WRITE_GROUP + 6).map(fetched));
        let first = next_group(&mut all).await.unwrap();
        assert_eq!(indexes(&first), (0..WRITE_GROUP).collect::<Vec<_>>());
        let rest = next_group(&mut all).await.unwrap();
        assert_eq!(
            indexes(&rest),
            (WRITE_GROUP..WRITE_GROUP + 6).collect::<Vec<_>>()
        );
        assert!(next_group(&mut all).await.is_none());
        // Sources without items (304s) are states only: many more of them share a group.
        let mut states = stream::iter((0..WRITE_GROUP_STATES + 6).map(done));
        let first = next_group(&mut states).await.unwrap();
        assert_eq!(first.len(), WRITE_GROUP_STATES);
        assert_eq!(next_group(&mut states).await.unwrap().len(), 6);
        assert!(next_group(&mut states).await.is_none());
        // Mixed: the group closes at WRITE_GROUP sources with items, states aside.
        let mixed = (0..3 * WRITE_GROUP).map(|i| if i % 3 == 0 { fetched(i) } else { done(i) });
        let mut mixed = stream::iter(mixed);
        let first = next_group(&mut mixed).await.unwrap();
        assert_eq!(first.len(), 3 * (WRITE_GROUP - 1) + 1);
        // A result that comes later than GROUP_WAIT after the first is not waited for: the
        // first goes to the writer alone (a hanging source holds no other's results back).
        let late = stream::iter([0, 1]).then(|i| async move {
            if i == 1 {
                tokio::time::sleep(GROUP_WAIT + GROUP_WAIT / 2).await;
            }
            done(i)
        });
        let mut late = Box::pin(late);
        assert_eq!(indexes(&next_group(&mut late).await.unwrap()), [0]);
        assert_eq!(indexes(&next_group(&mut late).await.unwrap()), [1]);
        assert!(next_group(&mut late).await.is_none());
    }
}
