//! Click counts for the builtin short links: each redirect served is counted in memory, and the
//! counts go to the store in one batch every few seconds and when the daemon stops. A redirect
//! never waits on a write; a crash loses at most the last few seconds of counts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::store::Store;

/// How often counted clicks are written to the store.
const FLUSH_EVERY: Duration = Duration::from_secs(2);

/// Redirects served and not yet written, by short code.
#[derive(Clone, Default)]
pub struct Clicks {
    pending: Arc<Mutex<HashMap<String, u64>>>,
}

impl Clicks {
    /// One redirect served for `code`.
    pub fn count(&self, code: &str) {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        *pending.entry(code.to_owned()).or_default() += 1;
    }

    /// Writes what was counted since the last write. On a store error the counts are kept for
    /// the next try.
    pub fn flush(&self, store: &Store) {
        let taken = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        if taken.is_empty() {
            return;
        }
        if let Err(e) = store.add_clicks(&taken) {
            tracing::warn!(error = %e, "cannot store click counts; kept for the next try");
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            for (code, n) in taken {
                *pending.entry(code).or_default() += n;
            }
        }
    }

    /// Flushes every `FLUSH_EVERY` until `stop`, then once more.
    pub async fn flush_loop(self, store: Store, stop: CancellationToken) {
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tokio::time::sleep(FLUSH_EVERY) => {}
            }
            let (clicks, store) = (self.clone(), store.clone());
            let _ = tokio::task::spawn_blocking(move || clicks.flush(&store)).await;
        }
        let _ = tokio::task::spawn_blocking(move || self.flush(&store)).await;
    }
}
