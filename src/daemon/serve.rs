//! The public HTTP side of the daemon: `GET /{code}` redirects to the target of a code the
//! builtin shortener issued (404 for anything else: no open redirect), and `GET /healthz`
//! reports the last poll.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::clicks::Clicks;
use crate::config::Config;
use crate::poll::PollSummary;
use crate::store::Store;
use crate::store::{Meta, Status};

/// Codes longer than this are never issued: refuse them before touching the store.
const MAX_CODE_LEN: usize = 32;

#[derive(Clone)]
struct ServeState {
    store: Store,
    cfg: Arc<Config>,
    clicks: Clicks,
}

pub fn router(store: Store, cfg: Arc<Config>, clicks: Clicks) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/{code}", get(redirect))
        .fallback(not_found)
        .with_state(ServeState { store, cfg, clicks })
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "no such short link\n").into_response()
}

async fn redirect(
    State(st): State<ServeState>,
    method: axum::http::Method,
    Path(code): Path<String>,
) -> Response {
    let plausible = !code.is_empty()
        && code.len() <= MAX_CODE_LEN
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !plausible {
        return not_found().await;
    }
    match st.store.target_of(&code) {
        Ok(Some(target)) if target.starts_with("http://") || target.starts_with("https://") => {
            // A HEAD is a link checker or a preview bot asking, not a reader clicking.
            if method == axum::http::Method::GET {
                st.clicks.count(&code);
            }
            (
                StatusCode::MOVED_PERMANENTLY,
                [(header::LOCATION, target)],
                "",
            )
                .into_response()
        }
        Ok(_) => not_found().await,
        Err(e) => {
            tracing::error!(code = %code, error = %e, "short link lookup failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "store error\n").into_response()
        }
    }
}

#[derive(Debug, Serialize)]
struct Health {
    status: &'static str,
    last_poll: Option<PollSummary>,
    failing_sources: usize,
    sources: usize,
}

async fn healthz(State(st): State<ServeState>) -> Response {
    let last_poll: Option<PollSummary> = st.store.meta(Meta::LastPoll).ok().flatten();
    let failing = st
        .cfg
        .sources
        .iter()
        .filter(|s| {
            st.store
                .source_state(&s.id(), &s.name)
                .map(|x| matches!(x.status, Status::Failed | Status::Gone))
                .unwrap_or(true)
        })
        .count();
    let health = Health {
        status: if failing == 0 { "ok" } else { "degraded" },
        last_poll,
        failing_sources: failing,
        sources: st.cfg.sources.len(),
    };
    Json(health).into_response()
}
