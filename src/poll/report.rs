//! What one poll did, per source and in all: the report the commands print (text or JSON)
//! and the summary the store keeps for `/healthz` and `sources`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::fetch::FetchError;
use crate::parse::ParseError;
use crate::store::Status;

/// Why a source gave nothing this time. Kept typed until the report; its text is the message
/// a user reads (in JSON too).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SourceError {
    #[error("{0}")]
    Fetch(FetchError),
    /// `local`: the body came from a file, which holds what a server would have sent.
    #[error("{}", parse_message(.error, *.local))]
    Parse { error: ParseError, local: bool },
    /// Entries there were, and none could become an item.
    #[error("none of its {count} entries could be used: {first}{}", if *.html { " (check the `link` selector with `roundup check`)" } else { "" })]
    Unusable {
        count: usize,
        first: String,
        html: bool,
    },
    /// The parse job panicked: a bug, in roundup or in a parser under it.
    #[error("internal error while parsing (please report it): {0}")]
    Internal(String),
    /// Still unanswered (or unparsed) when the poll's deadline came.
    #[error("cut at the poll's deadline ({}s, [http] poll_deadline): the server had not finished answering; it is tried again at its next check, like any failure", .0.as_secs())]
    Deadline(std::time::Duration),
}

fn parse_message(error: &ParseError, local: bool) -> String {
    let text = error.to_string();
    if local {
        // The messages speak of a server; a local file has none.
        text.replace("the server sent", "the file holds")
    } else {
        text
    }
}

impl SourceError {
    /// What kind of failure it was, in one word for scripts (`sources --json`): `timeout`,
    /// `connect`, `interrupted`, `http`, `gone`, `too_large`, `redirect`, `file`,
    /// `not_modified`, `empty`, `html`, `not_a_feed`, `malformed`, `scrape`, `unusable`,
    /// `internal`, `deadline`, `other`.
    pub fn kind(&self) -> &'static str {
        match self {
            SourceError::Fetch(e) => match e {
                FetchError::Timeout(_) => "timeout",
                FetchError::Connect(_) => "connect",
                FetchError::Interrupted(_) => "interrupted",
                FetchError::Status { .. } => "http",
                FetchError::Gone => "gone",
                FetchError::TooLarge(_) => "too_large",
                FetchError::TooManyRedirects(_)
                | FetchError::RedirectLoop(_)
                | FetchError::BadRedirect(_) => "redirect",
                FetchError::File { .. } => "file",
                FetchError::BadGzip(_) => "malformed",
                FetchError::UnconditionalNotModified => "not_modified",
                FetchError::Other(_) => "other",
            },
            SourceError::Parse { error, .. } => match error {
                ParseError::Empty => "empty",
                ParseError::Html { .. } => "html",
                ParseError::NotAFeed(_) => "not_a_feed",
                ParseError::Malformed(_) => "malformed",
                ParseError::Scrape(_) => "scrape",
            },
            SourceError::Unusable { .. } => "unusable",
            SourceError::Internal(_) => "internal",
            SourceError::Deadline(_) => "deadline",
        }
    }

    /// The server said the feed is gone for good (HTTP 410).
    pub fn is_gone(&self) -> bool {
        matches!(self, SourceError::Fetch(FetchError::Gone))
    }
}

impl Serialize for SourceError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What happened to one source in this poll.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SourceOutcome {
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
        error: SourceError,
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

impl SourceOutcome {
    pub fn is_failing(&self) -> bool {
        match self {
            SourceOutcome::Failed { .. } => true,
            SourceOutcome::NotDue { status, .. } => matches!(status, Status::Failed | Status::Gone),
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceReport {
    pub name: String,
    pub url: String,
    #[serde(flatten)]
    pub outcome: SourceOutcome,
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

impl PollReport {
    pub fn new_items(&self) -> usize {
        self.sources
            .iter()
            .map(|s| match s.outcome {
                SourceOutcome::Stored { new, .. } => new,
                _ => 0,
            })
            .sum()
    }

    /// Sources failing: those that failed now, and those backing off after failing before.
    pub fn failed(&self) -> usize {
        self.count(SourceOutcome::is_failing)
    }

    /// Sources failing that were not fetched this time (backing off, or gone).
    pub fn backing_off(&self) -> usize {
        self.count(|o| matches!(o, SourceOutcome::NotDue { .. }) && o.is_failing())
    }

    pub fn not_modified(&self) -> usize {
        self.count(|o| *o == SourceOutcome::NotModified)
    }

    fn count(&self, pick: impl Fn(&SourceOutcome) -> bool) -> usize {
        self.sources.iter().filter(|s| pick(&s.outcome)).count()
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
