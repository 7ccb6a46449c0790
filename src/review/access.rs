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
/// from.
pub(super) fn allowed(headers: &HeaderMap, sent: &str, token: &str) -> bool {
    let same_origin = match (headers.get(header::ORIGIN), headers.get(header::HOST)) {
        (Some(origin), Some(host)) => {
            origin.to_str().ok() == host.to_str().ok().map(|h| format!("http://{h}")).as_deref()
        }
        (Some(_), None) => false,
        (None, _) => true,
    };
    same_origin && !sent.is_empty() && sent == token
}

pub(super) fn forbidden() -> Response {
    (
        StatusCode::FORBIDDEN,
        "error: this request did not come from the review page (bad or missing token); reload the page and try again\n",
    )
        .into_response()
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

    #[test]
    fn a_change_needs_the_token_and_this_origin() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "127.0.0.1:8081".parse().unwrap());
        assert!(allowed(&h, "t0k", "t0k"));
        assert!(!allowed(&h, "", ""));
        assert!(!allowed(&h, "other", "t0k"));
        h.insert(header::ORIGIN, "http://127.0.0.1:8081".parse().unwrap());
        assert!(allowed(&h, "t0k", "t0k"));
        h.insert(header::ORIGIN, "http://evil.example".parse().unwrap());
        assert!(!allowed(&h, "t0k", "t0k"));
    }
}
