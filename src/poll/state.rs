//! How a source's state moves on after one attempt, and what the attempt may send: pure
//! functions of the state, the attempt and the clock, with no I/O (the writer stores the
//! result).

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::Source;
use crate::extract::Extracted;
use crate::fetch::Validators;
use crate::store::{SourceState, Status, Upsert};

use super::report::{SourceError, SourceOutcome};

/// What one attempt at a source gave, before anything is stored.
#[derive(Debug)]
pub enum Attempt {
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
        error: SourceError,
        retry_after: Option<Duration>,
        moved_to: Option<String>,
    },
}

/// How long to leave a failing source alone: 1, 2, 4 ... minutes, at most a day.
pub fn backoff(error_count: u32) -> chrono::Duration {
    let minutes = 1i64 << error_count.saturating_sub(1).min(11);
    chrono::Duration::minutes(minutes.min(24 * 60))
}

/// The validators a fetch of `source` may send: those its state holds, when they belong to
/// the same URL and to what the config made of its body (`print`); a changed URL, filter or
/// selector reads the feed whole again.
pub fn validators_for(source: &Source, state: &SourceState, print: &str) -> Validators {
    if state.url == source.url.as_str() && state.fingerprint.as_deref().is_none_or(|p| p == print) {
        Validators {
            etag: state.etag.clone(),
            last_modified: state.last_modified.clone(),
        }
    } else {
        Validators::default()
    }
}

/// Moves `state` on after `attempt` (whose items the store took as `upsert`) and says what
/// happened. A source not fetched keeps its state untouched.
pub fn advance(
    source: &Source,
    state: &mut SourceState,
    attempt: Attempt,
    upsert: Upsert,
    now: DateTime<Utc>,
) -> SourceOutcome {
    let outcome = match attempt {
        Attempt::NotDue => return not_due(state),
        Attempt::Cancelled => return SourceOutcome::Cancelled,
        Attempt::NotModified { moved_to } => {
            succeeded(state, Status::NotModified, moved_to, now);
            SourceOutcome::NotModified
        }
        Attempt::Items {
            extracted,
            validators,
            final_url,
            moved_to,
        } => {
            for reason in &extracted.dropped {
                tracing::debug!(source = %source.name, reason = %reason, "entry not kept");
            }
            succeeded(state, Status::Ok, moved_to, now);
            state.etag = validators.etag;
            state.last_modified = validators.last_modified;
            state.final_url = Some(final_url);
            let newest = extracted.items.iter().map(|i| i.published).max();
            state.newest_post = state.newest_post.max(newest);
            stored(&extracted, upsert)
        }
        Attempt::Failed {
            error,
            retry_after,
            moved_to,
        } => {
            failed(state, &error, retry_after, moved_to, now);
            SourceOutcome::Failed { error }
        }
    };
    state.url = source.url.to_string();
    state.last_fetch = Some(now);
    outcome
}

fn not_due(state: &SourceState) -> SourceOutcome {
    let failing = state.is_failing();
    SourceOutcome::NotDue {
        next_check: state.next_check,
        status: state.status,
        error: failing.then(|| state.last_error.clone()).flatten(),
        failing_since: failing.then_some(state.failing_since).flatten(),
    }
}

/// The server answered: the error streak ends and the source is due again at once.
fn succeeded(
    state: &mut SourceState,
    status: Status,
    moved_to: Option<String>,
    now: DateTime<Utc>,
) {
    state.status = status;
    state.moved_to = moved_to;
    state.error_count = 0;
    state.failing_since = None;
    state.last_error = None;
    state.error_kind = None;
    state.next_check = Some(now);
}

/// One more failure: wait twice as long as the last time, or as long as the server asked.
fn failed(
    state: &mut SourceState,
    error: &SourceError,
    retry_after: Option<Duration>,
    moved_to: Option<String>,
    now: DateTime<Utc>,
) {
    state.moved_to = moved_to;
    state.status = if error.is_gone() {
        Status::Gone
    } else {
        Status::Failed
    };
    state.error_count = state.error_count.saturating_add(1);
    state.failing_since.get_or_insert(now);
    state.last_error = Some(error.to_string());
    state.error_kind = Some(error.kind().to_owned());
    let wait = backoff(state.error_count);
    let asked = retry_after
        .and_then(|d| chrono::Duration::from_std(d).ok())
        .unwrap_or(wait);
    state.next_check = Some(now + wait.max(asked));
}

fn stored(extracted: &Extracted, upsert: Upsert) -> SourceOutcome {
    SourceOutcome::Stored {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::FetchError;
    use chrono::TimeZone;

    fn source() -> Source {
        let text = "[[source]]\nname = \"A\"\nurl = \"https://a.example/feed\"\n";
        crate::config::Config::parse(std::path::Path::new("t.toml"), text)
            .unwrap()
            .sources
            .remove(0)
    }

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2016, 5, 17, 9, minute, 0).unwrap()
    }

    fn failure(error: FetchError, retry_after: Option<Duration>) -> Attempt {
        Attempt::Failed {
            error: SourceError::Fetch(error),
            retry_after,
            moved_to: None,
        }
    }

    #[test]
    fn failures_back_off_twice_as_long_each_time_and_a_success_ends_the_streak() {
        let (src, mut state) = (source(), SourceState::default());
        let timeout = || failure(FetchError::Timeout(Duration::from_secs(20)), None);
        advance(&src, &mut state, timeout(), Upsert::default(), at(0));
        assert_eq!(state.next_check, Some(at(1)));
        advance(&src, &mut state, timeout(), Upsert::default(), at(1));
        assert_eq!(state.next_check, Some(at(3)));
        assert_eq!((state.status, state.error_count), (Status::Failed, 2));
        assert_eq!(state.failing_since, Some(at(0)));
        assert!(state
            .last_error
            .as_deref()
            .unwrap()
            .starts_with("timed out"));

        let ok = Attempt::NotModified { moved_to: None };
        assert_eq!(
            advance(&src, &mut state, ok, Upsert::default(), at(5)),
            SourceOutcome::NotModified
        );
        assert_eq!((state.status, state.error_count), (Status::NotModified, 0));
        assert_eq!(
            (state.failing_since, state.last_error.clone()),
            (None, None)
        );
        assert_eq!(state.next_check, Some(at(5)));
    }

    #[test]
    fn a_longer_retry_after_is_honoured_and_410_is_gone() {
        let (src, mut state) = (source(), SourceState::default());
        let busy = failure(
            FetchError::Status {
                code: 429,
                reason: String::new(),
            },
            Some(Duration::from_secs(600)),
        );
        advance(&src, &mut state, busy, Upsert::default(), at(0));
        assert_eq!(state.next_check, Some(at(10)));
        advance(
            &src,
            &mut state,
            failure(FetchError::Gone, None),
            Upsert::default(),
            at(10),
        );
        assert_eq!(state.status, Status::Gone);
        assert_eq!(state.error_kind.as_deref(), Some("gone"));
        assert!(!state.is_due(at(59)));
    }

    #[test]
    fn a_source_not_due_is_left_as_it_was_and_reported_failing_while_it_backs_off() {
        let (src, mut state) = (source(), SourceState::default());
        advance(
            &src,
            &mut state,
            failure(FetchError::Timeout(Duration::from_secs(1)), None),
            Upsert::default(),
            at(0),
        );
        let before = state.clone();
        let outcome = advance(&src, &mut state, Attempt::NotDue, Upsert::default(), at(0));
        assert_eq!(state, before);
        assert!(outcome.is_failing());
        let SourceOutcome::NotDue {
            error,
            failing_since,
            ..
        } = outcome
        else {
            panic!("{outcome:?}");
        };
        assert!(error.is_some());
        assert_eq!(failing_since, Some(at(0)));
    }

    #[test]
    fn validators_are_sent_only_for_the_same_url_and_config() {
        let src = source();
        let state = SourceState {
            url: src.url.to_string(),
            etag: Some("\"v1\"".into()),
            fingerprint: Some("print".into()),
            ..SourceState::default()
        };
        assert_eq!(
            validators_for(&src, &state, "print").etag.as_deref(),
            Some("\"v1\"")
        );
        assert_eq!(
            validators_for(&src, &state, "changed"),
            Validators::default()
        );
        let moved = SourceState {
            url: "https://old.example/feed".into(),
            ..state
        };
        assert_eq!(validators_for(&src, &moved, "print"), Validators::default());
    }

    #[test]
    fn backoff_doubles_up_to_a_day() {
        assert_eq!(backoff(1), chrono::Duration::minutes(1));
        assert_eq!(backoff(3), chrono::Duration::minutes(4));
        assert_eq!(backoff(40), chrono::Duration::minutes(24 * 60));
    }
}
