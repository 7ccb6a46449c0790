//! Who may use the review page. It can publish, so: a change carries the page's token and, when
//! the browser names one, this page's Origin (no other site can post to it); and unless remote
//! use was allowed, a request must name a loopback host (`127.0.0.1`, `[::1]`, `localhost`), so a
//! web page whose own name was made to resolve to 127.0.0.1 (DNS rebinding) cannot read the page
//! and its token.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// A change must carry `token`, and come from this page when the browser says where it comes
/// from; else the answer that says which was wrong.
pub(super) fn refusal(headers: &HeaderMap, sent: &str, token: &str) -> Option<Response> {
    let origin = headers
        .get(header::ORIGIN)
        .map(|o| o.to_str().unwrap_or("?"));
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    if let Some(origin) = origin {
        if host.map(|h| format!("http://{h}")).as_deref() != Some(origin) {
            return Some(forbidden(&format!(
                "this request came from another site ({origin}), not from the review page; use the page itself"
            )));
        }
    }
    if sent.is_empty() || sent != token {
        return Some(forbidden(
            "this request did not come from the review page (bad or missing token); reload the page and try again",
        ));
    }
    None
}

fn forbidden(why: &str) -> Response {
    (StatusCode::FORBIDDEN, format!("error: {why}\n")).into_response()
}

/// Refuses a request whose Host is not a loopback name, unless remote use is allowed.
pub(super) async fn loopback_host(
    State(allow_remote): State<bool>,
    request: Request,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .map(|h| h.to_str().unwrap_or("?").to_owned());
    match host {
        Some(host) if !allow_remote && !is_loopback_host(&host) => (
            StatusCode::MISDIRECTED_REQUEST,
            format!("error: the review page answers only at a loopback address, not at {host:?}: open it at http://127.0.0.1:<port>/ on this machine\n"),
        )
            .into_response(),
        _ => next.run(request).await,
    }
}

/// `127.0.0.1:8081`, `[::1]:8081`, `localhost:8081` (any port, or none).
pub(super) fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_names_are_loopback_hosts() {
        for host in [
            "127.0.0.1:8081",
            "127.0.0.1",
            "127.1.2.3:80",
            "[::1]:8081",
            "[::1]",
            "localhost:8081",
            "LocalHost",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "evil.example:8081",
            "evil.example",
            "10.0.0.1:8081",
            "[2001:db8::1]:80",
            "localhost.evil.example",
            "127.0.0.1.evil.example:8081",
            "",
            "?",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[tokio::test]
    async fn a_change_needs_the_token_and_this_origin() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "127.0.0.1:8081".parse().unwrap());
        async fn said(r: Option<Response>) -> String {
            match r {
                None => "ok".to_owned(),
                Some(resp) => {
                    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
                    let bytes = axum::body::to_bytes(resp.into_body(), 1000).await.unwrap();
                    String::from_utf8_lossy(&bytes).into_owned()
                }
            }
        }
        assert_eq!(said(refusal(&h, "t0k", "t0k")).await, "ok");
        assert!(said(refusal(&h, "", "")).await.contains("missing token"));
        assert!(said(refusal(&h, "other", "t0k"))
            .await
            .contains("missing token"));
        h.insert(header::ORIGIN, "http://127.0.0.1:8081".parse().unwrap());
        assert_eq!(said(refusal(&h, "t0k", "t0k")).await, "ok");
        h.insert(header::ORIGIN, "http://evil.example".parse().unwrap());
        let other = said(refusal(&h, "t0k", "t0k")).await;
        assert!(
            other.contains("another site (http://evil.example)"),
            "{other}"
        );
    }
}
