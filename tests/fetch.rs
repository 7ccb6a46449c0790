//! The HTTP client against servers on 127.0.0.1 that misbehave on purpose.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use roundup::fetch::{FetchError, FetchOutcome, Fetcher, Validators};
use url::Url;

const FEED: &str =
    "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title></channel></rss>";

fn url(addr: std::net::SocketAddr, path: &str) -> Url {
    Url::parse(&format!("http://{addr}{path}")).unwrap()
}

async fn fetch(addr: std::net::SocketAddr, path: &str, v: &Validators) -> FetchOutcome {
    let fetcher = Fetcher::new(&common::http_config());
    fetcher.fetch(&url(addr, path), v).await
}

fn failure(o: FetchOutcome) -> roundup::fetch::Failure {
    match o {
        FetchOutcome::Failed(f) => f,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn conditional_get_gets_304() {
    let app = Router::new().route(
        "/feed",
        get(|h: HeaderMap| async move {
            if h.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some("\"v1\"") {
                return StatusCode::NOT_MODIFIED.into_response();
            }
            (
                [
                    (header::ETAG, "\"v1\""),
                    (header::LAST_MODIFIED, "Tue, 17 May 2016 17:18:56 GMT"),
                ],
                FEED,
            )
                .into_response()
        }),
    );
    let addr = common::serve(app).await;
    let FetchOutcome::Fetched(first) = fetch(addr, "/feed", &Validators::default()).await else {
        panic!("first fetch")
    };
    assert_eq!(first.body, FEED.as_bytes());
    assert_eq!(first.validators.etag.as_deref(), Some("\"v1\""));
    assert_eq!(
        first.validators.last_modified.as_deref(),
        Some("Tue, 17 May 2016 17:18:56 GMT")
    );
    let second = fetch(addr, "/feed", &first.validators).await;
    assert!(
        matches!(second, FetchOutcome::NotModified { .. }),
        "{second:?}"
    );
}

#[tokio::test]
async fn server_error_then_success_is_retried() {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let app = Router::new().route(
        "/feed",
        get(move || {
            let h = h.clone();
            async move {
                if h.fetch_add(1, Ordering::SeqCst) == 0 {
                    StatusCode::INTERNAL_SERVER_ERROR.into_response()
                } else {
                    FEED.into_response()
                }
            }
        }),
    );
    let addr = common::serve(app).await;
    assert!(matches!(
        fetch(addr, "/feed", &Validators::default()).await,
        FetchOutcome::Fetched(_)
    ));
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn too_many_requests_honours_retry_after() {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let app = Router::new().route(
        "/feed",
        get(move || {
            let h = h.clone();
            async move {
                if h.fetch_add(1, Ordering::SeqCst) == 0 {
                    (
                        StatusCode::TOO_MANY_REQUESTS,
                        [(header::RETRY_AFTER, "1")],
                        "slow down",
                    )
                        .into_response()
                } else {
                    FEED.into_response()
                }
            }
        }),
    );
    let addr = common::serve(app).await;
    let started = std::time::Instant::now();
    assert!(matches!(
        fetch(addr, "/feed", &Validators::default()).await,
        FetchOutcome::Fetched(_)
    ));
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited as Retry-After asked"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn long_retry_after_is_not_waited_for_but_recorded() {
    let app = Router::new().route(
        "/feed",
        get(|| async {
            (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, "3600")],
                "later",
            )
        }),
    );
    let addr = common::serve(app).await;
    let f = failure(fetch(addr, "/feed", &Validators::default()).await);
    assert_eq!(f.retry_after, Some(Duration::from_secs(3600)));
    assert!(matches!(f.error, FetchError::Status { code: 429, .. }));
}

#[tokio::test]
async fn not_found_is_not_retried() {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let app = Router::new().route(
        "/feed",
        get(move || {
            h.fetch_add(1, Ordering::SeqCst);
            async { StatusCode::NOT_FOUND }
        }),
    );
    let addr = common::serve(app).await;
    let f = failure(fetch(addr, "/feed", &Validators::default()).await);
    assert_eq!(f.error.to_string(), "HTTP 404 Not Found");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn gone_flags_the_source() {
    let app = Router::new().route("/feed", get(|| async { StatusCode::GONE }));
    let addr = common::serve(app).await;
    assert_eq!(
        failure(fetch(addr, "/feed", &Validators::default()).await).error,
        FetchError::Gone
    );
}

#[tokio::test]
async fn hanging_server_times_out() {
    let app = Router::new().route(
        "/feed",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            FEED
        }),
    );
    let addr = common::serve(app).await;
    let mut cfg = common::http_config();
    cfg.timeout = Duration::from_millis(300);
    cfg.retries = 0;
    let started = std::time::Instant::now();
    let out = Fetcher::new(&cfg)
        .fetch(&url(addr, "/feed"), &Validators::default())
        .await;
    assert!(matches!(failure(out).error, FetchError::Timeout(_)));
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_timeout_is_tried_again_once_only_whatever_the_retries() {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let app = Router::new().route(
        "/feed",
        get(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                FEED
            }
        }),
    );
    let addr = common::serve(app).await;
    let mut cfg = common::http_config();
    cfg.timeout = Duration::from_millis(200);
    cfg.retries = 3;
    let out = Fetcher::new(&cfg)
        .fetch(&url(addr, "/feed"), &Validators::default())
        .await;
    assert!(matches!(failure(out).error, FetchError::Timeout(_)));
    assert_eq!(
        hits.load(Ordering::SeqCst),
        2,
        "the first try and one retry"
    );
}

#[tokio::test]
async fn huge_body_is_cut_off() {
    let app = Router::new().route("/feed", get(|| async { "x".repeat(1 << 20) }));
    let addr = common::serve(app).await;
    assert_eq!(
        failure(fetch(addr, "/feed", &Validators::default()).await).error,
        FetchError::TooLarge(64 * 1024)
    );
}

#[tokio::test]
async fn gzip_bomb_is_cut_off_after_decompression() {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&vec![b'<'; 50 << 20]).unwrap();
    let bomb = gz.finish().unwrap();
    assert!(
        bomb.len() < 200 * 1024,
        "50 MiB compresses to {} bytes",
        bomb.len()
    );
    let app = Router::new().route(
        "/feed",
        get(move || async move { ([(header::CONTENT_ENCODING, "gzip")], bomb.clone()) }),
    );
    let addr = common::serve(app).await;
    assert_eq!(
        failure(fetch(addr, "/feed", &Validators::default()).await).error,
        FetchError::TooLarge(64 * 1024)
    );
}

#[tokio::test]
async fn gzip_body_is_decompressed() {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(FEED.as_bytes()).unwrap();
    let body = gz.finish().unwrap();
    let app = Router::new().route(
        "/feed",
        get(move || async move { ([(header::CONTENT_ENCODING, "gzip")], body.clone()) }),
    );
    let addr = common::serve(app).await;
    let FetchOutcome::Fetched(f) = fetch(addr, "/feed", &Validators::default()).await else {
        panic!()
    };
    assert_eq!(f.body, FEED.as_bytes());
}

/// A body gzipped without a `Content-Encoding` (a misconfigured server, or a `.gz` file) is
/// inflated, and a bomb sent that way stops at `[http] max_body` like any other body.
#[tokio::test]
async fn gzip_without_content_encoding_is_inflated_within_max_body() {
    use std::io::Write;
    let gzip = |data: &[u8]| {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(data).unwrap();
        gz.finish().unwrap()
    };
    let (feed, bomb) = (gzip(FEED.as_bytes()), gzip(&vec![b'<'; 10 << 20]));
    let app = Router::new()
        .route("/feed", get(move || async move { feed.clone() }))
        .route("/bomb", get(move || async move { bomb.clone() }));
    let addr = common::serve(app).await;
    let FetchOutcome::Fetched(f) = fetch(addr, "/feed", &Validators::default()).await else {
        panic!("the feed is fetched")
    };
    assert_eq!(f.body, FEED.as_bytes());
    assert_eq!(
        failure(fetch(addr, "/bomb", &Validators::default()).await).error,
        FetchError::TooLarge(64 * 1024)
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("feed.xml.gz");
    std::fs::write(&file, gzip(FEED.as_bytes())).unwrap();
    let fetcher = Fetcher::new(&common::http_config());
    let local = Url::from_file_path(&file).unwrap();
    let FetchOutcome::Fetched(f) = fetcher.fetch(&local, &Validators::default()).await else {
        panic!("the file is read")
    };
    assert_eq!(f.body, FEED.as_bytes());
}

#[tokio::test]
async fn permanent_redirect_is_recorded_temporary_is_not() {
    let app = Router::new()
        .route(
            "/old",
            get(|| async { (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, "/new")]) }),
        )
        .route(
            "/tmp",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/new")]) }),
        )
        .route("/new", get(|| async { FEED }));
    let addr = common::serve(app).await;
    let FetchOutcome::Fetched(f) = fetch(addr, "/old", &Validators::default()).await else {
        panic!()
    };
    assert_eq!(f.moved_to, Some(url(addr, "/new")));
    assert_eq!(f.final_url, url(addr, "/new"));
    let FetchOutcome::Fetched(f) = fetch(addr, "/tmp", &Validators::default()).await else {
        panic!()
    };
    assert_eq!(f.moved_to, None);
    assert_eq!(f.final_url, url(addr, "/new"));
}

#[tokio::test]
async fn redirect_loops_and_chains_are_bounded() {
    let app = Router::new()
        .route(
            "/a",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/b")]) }),
        )
        .route(
            "/b",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/a")]) }),
        )
        .route(
            "/chain/{n}",
            get(
                |axum::extract::Path(n): axum::extract::Path<u32>| async move {
                    (
                        StatusCode::FOUND,
                        [(header::LOCATION, format!("/chain/{}", n + 1))],
                    )
                },
            ),
        )
        .route(
            "/js",
            get(|| async {
                (
                    StatusCode::FOUND,
                    [(header::LOCATION, "javascript:alert(1)")],
                )
            }),
        );
    let addr = common::serve(app).await;
    assert!(matches!(
        failure(fetch(addr, "/a", &Validators::default()).await).error,
        FetchError::RedirectLoop(_)
    ));
    assert_eq!(
        failure(fetch(addr, "/chain/0", &Validators::default()).await).error,
        FetchError::TooManyRedirects(3)
    );
    assert!(matches!(
        failure(fetch(addr, "/js", &Validators::default()).await).error,
        FetchError::BadRedirect(_)
    ));
}

#[tokio::test]
async fn refused_connection_names_the_cause() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let mut cfg = common::http_config();
    cfg.retries = 0;
    let out = Fetcher::new(&cfg)
        .fetch(&url(addr, "/feed"), &Validators::default())
        .await;
    let msg = failure(out).error.to_string();
    assert!(msg.contains("refused"), "{msg}");
}

#[tokio::test]
async fn file_sources_are_read_and_unchanged_files_not_modified() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.xml");
    std::fs::write(&path, FEED).unwrap();
    let fetcher = Fetcher::new(&common::http_config());
    let u = Url::from_file_path(&path).unwrap();
    let FetchOutcome::Fetched(f) = fetcher.fetch(&u, &Validators::default()).await else {
        panic!()
    };
    assert_eq!(f.body, FEED.as_bytes());
    assert!(matches!(
        fetcher.fetch(&u, &f.validators).await,
        FetchOutcome::NotModified { .. }
    ));
    let missing = Url::from_file_path(dir.path().join("nope.xml")).unwrap();
    let msg = failure(fetcher.fetch(&missing, &Validators::default()).await)
        .error
        .to_string();
    assert!(msg.contains("nope.xml"), "{msg}");
}

/// A server that drops the first connection without answering, then serves the feed: the
/// broken-off answer is retried within the same poll.
#[tokio::test]
async fn a_connection_closed_before_the_answer_is_tried_again() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served = Arc::new(AtomicUsize::new(0));
    let count = served.clone();
    tokio::spawn(async move {
        loop {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf).await;
            if count.fetch_add(1, Ordering::SeqCst) == 0 {
                drop(sock); // closed, mid-answer
                continue;
            }
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/rss+xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{FEED}",
                FEED.len()
            );
            let _ = sock.write_all(answer.as_bytes()).await;
        }
    });
    let outcome = fetch(addr, "/feed", &Validators::default()).await;
    assert!(matches!(outcome, FetchOutcome::Fetched(_)), "{outcome:?}");
    assert_eq!(served.load(Ordering::SeqCst), 2);
}
