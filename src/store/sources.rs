//! The `sources` tree (`Source::id` -> SourceState): what the store remembers about each
//! source between polls: validators for conditional GET, the last outcome, the error streak
//! and when to check again. How a state moves on is the poll's business (`poll::state`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{to_json, Store, StoreError, Writes};

/// The last outcome of a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Never fetched.
    #[default]
    New,
    /// Fetched and parsed.
    Ok,
    /// The server answered 304: nothing changed.
    NotModified,
    /// Fetch or parse failed; see `last_error`.
    Failed,
    /// The server answered 410 Gone: the feed is not coming back.
    Gone,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Ok => "ok",
            Status::NotModified => "not_modified",
            Status::Failed => "failed",
            Status::Gone => "gone",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceState {
    /// The URL the validators belong to; when the config's URL changes they are dropped.
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub etag: Option<String>,
    #[serde(default)]
    pub last_modified: Option<String>,
    #[serde(default)]
    pub status: Status,
    #[serde(default)]
    pub last_fetch: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_error: Option<String>,
    /// `poll::SourceError::kind` of the last error: one word, for scripts.
    #[serde(default)]
    pub error_kind: Option<String>,
    /// Failures in a row.
    #[serde(default)]
    pub error_count: u32,
    /// When the current run of failures began.
    #[serde(default)]
    pub failing_since: Option<DateTime<Utc>>,
    /// `Source::fingerprint` when the validators were issued: a config change since means the
    /// feed is read whole again.
    #[serde(default)]
    pub fingerprint: Option<String>,
    #[serde(default)]
    pub next_check: Option<DateTime<Utc>>,
    /// Where the source now lives after a permanent redirect (301/308): update the config.
    #[serde(default)]
    pub moved_to: Option<String>,
    /// The URL the last body came from, after redirects (base for relative links).
    #[serde(default)]
    pub final_url: Option<String>,
    /// The date of the newest post it has delivered: long ago means the blog went silent.
    #[serde(default)]
    pub newest_post: Option<DateTime<Utc>>,
}

impl SourceState {
    /// A source is due when its next check has come, and it has not answered 410 Gone.
    /// Failing or gone: a source backing off after errors is still failing.
    pub fn is_failing(&self) -> bool {
        matches!(self.status, Status::Failed | Status::Gone)
    }

    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.status != Status::Gone && self.next_check.is_none_or(|t| t <= now)
    }
}

impl Store {
    /// The state of the source `id` (`Source::id`: two sources may share a display name).
    /// Stores before that kept it under the source's `name`: read there too.
    pub fn source_state(&self, id: &str, name: &str) -> Result<SourceState, StoreError> {
        for key in [id, name] {
            if let Some(v) = self.sources.get(key.as_bytes()).map_err(|e| self.io(e))? {
                return self.decode("sources", &v);
            }
        }
        Ok(SourceState::default())
    }

    /// Several sources' states in one batch, each under its `Source::id`.
    pub fn put_source_states(&self, states: &[(&str, SourceState)]) -> Result<(), StoreError> {
        let mut batch = Writes::default();
        for (id, state) in states {
            batch.insert(id.as_bytes(), to_json(state));
        }
        self.apply(&self.sources, batch)
    }
}
