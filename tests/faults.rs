//! One poll against every kind of misbehaving server the internet has, side by side with good
//! feeds: each fault costs bounded time, is reported on its own source with its kind, and
//! leaves the good sources stored; then the daemon meets the same servers, poll after poll, and
//! keeps running.

mod common;

use common::{client, free_port, roundup, signal, start_daemon, wait_exit, wait_for_poll};

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::stream;

/// An RSS feed of `items` posts from blog `name`, each `title_len` bytes of title or more.
fn rss(name: &str, items: usize, title: impl Fn(usize) -> String) -> String {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>{name}</title><link>http://{name}.example/</link>"
    );
    for i in 0..items {
        s.push_str(&format!(
            "<item><title>{}</title><link>http://{name}.example/{i}</link><pubDate>Mon, 09 May 2016 10:00:00 +0000</pubDate><description>First paragraph {i}.</description></item>",
            title(i)
        ));
    }
    s.push_str("</channel></rss>");
    s
}

fn feed(body: impl Into<Body>) -> Response {
    ([(header::CONTENT_TYPE, "application/rss+xml")], body.into()).into_response()
}

/// A body that never ends: `item` again and again, 64 KiB at a time, as fast as it is read.
fn endless(item: &str) -> Body {
    let chunk = axum::body::Bytes::from(item.repeat(64 * 1024 / item.len()));
    Body::from_stream(stream::repeat_with(move || {
        Ok::<_, std::io::Error>(chunk.clone())
    }))
}

/// A valid feed sent one byte a second.
fn trickle(text: String) -> Body {
    let bytes = text.into_bytes();
    Body::from_stream(stream::unfold(0, move |i| {
        let byte = bytes.get(i).copied();
        async move {
            let byte = byte?;
            if i > 0 {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Some((Ok::<_, std::io::Error>(vec![byte]), i + 1))
        }
    }))
}

fn gzip_bomb() -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..64 {
        gz.write_all(&zeros).unwrap();
    }
    gz.finish().unwrap()
}

fn http_date(in_secs: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(in_secs))
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

/// What each fault is expected to come to: (source name, path, outcome).
enum Expect {
    /// Stored: at least this many items.
    Stored(usize),
    /// Failed with this `error_kind`.
    Failed(&'static str),
}

const FAULTS: &[(&str, &str, Expect)] = &[
    ("Good one", "/good/1", Expect::Stored(3)),
    ("Good two", "/good/2", Expect::Stored(3)),
    ("No answer", "/hang", Expect::Failed("timeout")),
    ("A byte a second", "/trickle", Expect::Failed("timeout")),
    ("Endless body", "/endless", Expect::Failed("too_large")),
    ("Gzip bomb", "/bomb", Expect::Failed("too_large")),
    ("500 then 200", "/flaky", Expect::Stored(3)),
    ("429 in seconds", "/busy/seconds", Expect::Failed("http")),
    ("429 with a date", "/busy/date", Expect::Failed("http")),
    ("Moved", "/moved", Expect::Stored(3)),
    ("Redirect loop", "/loop", Expect::Failed("redirect")),
    ("Gone", "/gone", Expect::Failed("gone")),
    ("A web page", "/page", Expect::Failed("html")),
    ("Truncated", "/truncated", Expect::Stored(2)),
    ("Wrong encoding", "/latin1", Expect::Stored(1)),
    ("Empty body", "/empty", Expect::Failed("empty")),
    ("Fifty thousand items", "/many", Expect::Stored(200)),
    ("Five megabyte title", "/long-title", Expect::Stored(2)),
];

struct Faults {
    addr: std::net::SocketAddr,
    hits: Arc<BTreeMap<&'static str, AtomicUsize>>,
}

async fn fault_server() -> Faults {
    let hits: Arc<BTreeMap<&'static str, AtomicUsize>> = Arc::new(
        FAULTS
            .iter()
            .map(|(_, path, _)| (*path, AtomicUsize::new(0)))
            .collect(),
    );
    let counted = |path: &'static str, hits: &Arc<BTreeMap<&'static str, AtomicUsize>>| {
        let hits = hits.clone();
        move || hits[path].fetch_add(1, Ordering::SeqCst)
    };
    let flaky = counted("/flaky", &hits);
    let busy_seconds = counted("/busy/seconds", &hits);
    let busy_date = counted("/busy/date", &hits);
    let many = {
        let mut s = String::from("<rss version=\"2.0\"><channel><title>many</title>");
        for i in 0..50_000 {
            s.push_str(&format!(
                "<item><title>P{i}</title><link>http://many.example/{i}</link></item>"
            ));
        }
        s + "</channel></rss>"
    };
    let long = rss("long", 2, |i| {
        if i == 0 {
            "W".repeat(5 << 20)
        } else {
            "A short title".into()
        }
    });
    let truncated = {
        let full = rss("cut", 3, |i| format!("Post {i}"));
        full[..full.rfind("<item>").unwrap() + 30].to_owned()
    };
    let latin1: Vec<u8> = rss("latin", 1, |_| "Caf\u{e9} na\u{ef}ve".into())
        .chars()
        .map(|c| c as u32 as u8)
        .collect();
    let bomb = gzip_bomb();
    let app = Router::new()
        .route(
            "/good/{n}",
            get(|axum::extract::Path(n): axum::extract::Path<String>| async move {
                feed(rss(&format!("good{n}"), 3, |i| format!("Post {i}")))
            }),
        )
        .route(
            "/hang",
            get(std::future::pending::<&'static str>),
        )
        .route(
            "/trickle",
            get(|| async { feed(trickle(rss("slow", 3, |i| format!("Post {i}")))) }),
        )
        .route(
            "/endless",
            get(|| async {
                feed(endless(
                    "<item><title>again</title><link>http://endless.example/</link></item>",
                ))
            }),
        )
        .route(
            "/bomb",
            get(move || async move {
                (
                    [
                        (header::CONTENT_TYPE, "application/rss+xml"),
                        (header::CONTENT_ENCODING, "gzip"),
                    ],
                    bomb,
                )
            }),
        )
        .route(
            "/flaky",
            get(move || async move {
                if flaky() % 2 == 0 {
                    StatusCode::INTERNAL_SERVER_ERROR.into_response()
                } else {
                    feed(rss("flaky", 3, |i| format!("Post {i}")))
                }
            }),
        )
        .route(
            "/busy/seconds",
            get(move || async move {
                busy_seconds();
                (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "3600")])
            }),
        )
        .route(
            "/busy/date",
            get(move || async move {
                busy_date();
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [(header::RETRY_AFTER, http_date(7200))],
                )
            }),
        )
        .route(
            "/moved",
            get(|| async { (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, "/good/3")]) }),
        )
        .route(
            "/loop",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/loop")]) }),
        )
        .route("/gone", get(|| async { StatusCode::GONE }))
        .route(
            "/page",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/html")],
                    "<!DOCTYPE html><html><head><title>Blog</title></head><body><p>Hello</p></body></html>",
                )
            }),
        )
        .route("/truncated", get(move || async move { feed(truncated) }))
        .route("/latin1", get(move || async move { feed(latin1) }))
        .route("/empty", get(|| async { feed("") }))
        .route("/many", get(move || async move { feed(many) }))
        .route("/long-title", get(move || async move { feed(long) }));
    let addr = common::serve(app).await;
    Faults { addr, hits }
}

fn write_config(dir: &std::path::Path, addr: std::net::SocketAddr, head: &str) {
    let mut cfg = format!(
        "{head}
[store]
path = \"state/roundup.db\"

[roundup]
since = \"2016-04-01\"
sick_after = \"0m\"

[http]
timeout = \"2s\"
max_body = \"8MB\"
poll_deadline = \"20s\"
"
    );
    for (name, path, _) in FAULTS {
        cfg.push_str(&format!(
            "\n[[source]]\nname = \"{name}\"\nurl = \"http://{addr}{path}\"\n"
        ));
    }
    std::fs::write(dir.join("roundup.toml"), cfg).unwrap();
}

fn json(out: &std::process::Output) -> Vec<serde_json::Value> {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// Each source's outcome as `sources --json` and `items --json` tell it, against `FAULTS`.
async fn check_outcomes(dir: &std::path::Path) {
    let sources = json(&roundup(dir, &["--config", "roundup.toml", "sources", "--json"]).await);
    let items = json(&roundup(dir, &["--config", "roundup.toml", "items", "--json"]).await);
    for (name, path, expect) in FAULTS {
        let source = sources
            .iter()
            .find(|s| s["name"] == *name)
            .unwrap_or_else(|| panic!("{name} not in sources"));
        let stored = items.iter().filter(|i| i["source"] == *name).count();
        match expect {
            Expect::Stored(n) => {
                assert!(stored >= *n, "{name} ({path}): {stored} items; {source}");
                assert!(source["error_kind"].is_null(), "{name}: {source}");
            }
            Expect::Failed(kind) => {
                assert_eq!(stored, 0, "{name} ({path})");
                assert_eq!(source["error_kind"], *kind, "{name} ({path}): {source}");
                let error = source["last_error"].as_str().unwrap_or_default();
                assert!(!error.is_empty(), "{name}: no message: {source}");
            }
        }
    }
    let moved = sources.iter().find(|s| s["name"] == "Moved").unwrap();
    assert!(
        moved["moved_to"]
            .as_str()
            .is_some_and(|m| m.ends_with("/good/3")),
        "{moved}"
    );
    for item in &items {
        let title = item["title"].as_str().unwrap();
        assert!(
            title.chars().count() <= 300,
            "a title of {} bytes",
            title.len()
        );
    }
    let latin = items
        .iter()
        .find(|i| i["source"] == "Wrong encoding")
        .unwrap();
    assert_eq!(latin["title"], "Café naïve");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_fault_is_bounded_reported_on_its_source_and_spares_the_others() {
    let faults = fault_server().await;
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), faults.addr, "");

    let started = Instant::now();
    let poll = roundup(dir.path(), &["--config", "roundup.toml", "poll"]).await;
    let took = started.elapsed();
    let out = String::from_utf8_lossy(&poll.stdout);
    assert_eq!(poll.status.code(), Some(2), "some sources failed: {out}");
    // Not a speed check: a poll held hostage would wait for the trickle's whole body (about
    // 400 s) or forever for the hanging server.
    assert!(took < Duration::from_secs(60), "{took:?}");
    for (name, _, expect) in FAULTS {
        let line = out
            .lines()
            .find(|l| l.contains(&format!(" {name}")))
            .unwrap_or_else(|| panic!("{name} not reported: {out}"));
        let failed = line.starts_with("FAILED");
        assert_eq!(failed, matches!(expect, Expect::Failed(_)), "{line}");
    }
    check_outcomes(dir.path()).await;
    // 500 then 200 is tried again within the poll; a 429 is not hammered: one request, and
    // its Retry-After, in seconds or as a date, is its next check.
    assert_eq!(faults.hits["/flaky"].load(Ordering::SeqCst), 2);
    let sources = json(
        &roundup(
            dir.path(),
            &["--config", "roundup.toml", "sources", "--json"],
        )
        .await,
    );
    for (name, path, at_least) in [
        ("429 in seconds", "/busy/seconds", 3500),
        ("429 with a date", "/busy/date", 7100),
    ] {
        assert_eq!(faults.hits[path].load(Ordering::SeqCst), 1, "{name}");
        let source = sources.iter().find(|s| s["name"] == name).unwrap();
        let next: chrono::DateTime<chrono::Utc> =
            source["next_check"].as_str().unwrap().parse().unwrap();
        let wait = (next - chrono::Utc::now()).num_seconds();
        assert!(wait >= at_least, "{name}: next check in {wait} s: {source}");
    }

    // A second poll: the failing sources are backing off, the good ones are asked again.
    let again = roundup(dir.path(), &["--config", "roundup.toml", "poll"]).await;
    assert!(again.status.code().is_some_and(|c| c <= 2), "{again:?}");
    check_outcomes(dir.path()).await;

    // The editor hears of it all: each draft opens with the feed-health comment, and `sources`
    // marks the same sources.
    let draft = roundup(
        dir.path(),
        &[
            "--config",
            "roundup.toml",
            "draft",
            "--no-poll",
            "--out",
            "-",
        ],
    )
    .await;
    let text = String::from_utf8_lossy(&draft.stdout);
    let front_end = text.match_indices("---\n").nth(1).unwrap().0 + 4;
    let comment = &text[front_end..text.find("-->").unwrap()];
    assert!(comment.starts_with("\n<!-- roundup: feed health"), "{text}");
    let group = |heading: &str| -> Vec<&str> {
        let at = comment
            .find(heading)
            .unwrap_or_else(|| panic!("{heading}: {comment}"));
        comment[at..]
            .lines()
            .skip(1)
            .take_while(|l| l.starts_with("- "))
            .map(|l| &l[2..l.find(" <").unwrap()])
            .collect()
    };
    let mut sick = group("Failing for more than 0 seconds");
    sick.sort();
    assert_eq!(
        sick,
        [
            "429 in seconds",
            "429 with a date",
            "A byte a second",
            "A web page",
            "Empty body",
            "Endless body",
            "Gzip bomb",
            "No answer",
            "Redirect loop"
        ]
    );
    assert_eq!(group("Moved (put the new URL in the config)"), ["Moved"]);
    assert_eq!(group("Gone (take them out of the config)"), ["Gone"]);
    // Every stored feed here is dated 2016, bar the undated one.
    assert!(
        group("Silent for more than 90 days").contains(&"Good one"),
        "{comment}"
    );
    let sources = roundup(dir.path(), &["--config", "roundup.toml", "sources"]).await;
    let sources = String::from_utf8_lossy(&sources.stdout);
    let line = |name: &str| {
        sources
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap()
            .to_owned()
    };
    assert!(line("Gone ").ends_with("[gone]"), "{sources}");
    assert!(line("No answer").ends_with("[sick]"), "{sources}");
    assert!(line("Moved").ends_with("[moved, silent]"), "{sources}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_daemon_keeps_running_through_every_fault() {
    let faults = fault_server().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let head = format!(
        "[schedule]\npoll = \"*/2 * * * * *\"\ndraft = \"0 0 1 1 *\"\n\n[serve]\nlisten = \"127.0.0.1:{port}\"\n\n[review]\nlisten = \"127.0.0.1:0\"\n"
    );
    write_config(dir.path(), faults.addr, &head);
    let mut daemon = start_daemon(dir.path());

    let first = wait_for_poll(port, Duration::from_secs(90)).await;
    assert!(first["failing_sources"].as_u64().unwrap() > 0, "{first}");
    // Another poll comes round on schedule after the faults, and the daemon still answers.
    let started = Instant::now();
    loop {
        let health = wait_for_poll(port, Duration::from_secs(90)).await;
        if health["last_poll"] != first["last_poll"] {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "no second poll"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(daemon.try_wait().unwrap().is_none(), "the daemon died");
    let r = client()
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success() || r.status() == 503,
        "{}",
        r.status()
    );
    // Commands still reach it while it holds the store.
    check_outcomes(dir.path()).await;
    signal(&daemon, "-TERM");
    assert_eq!(wait_exit(&mut daemon, Duration::from_secs(30)), Some(0));
}
