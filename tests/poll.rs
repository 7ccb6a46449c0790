//! `roundup poll`, `items` and `sources` as a user runs them: the real binary against a feed
//! server on 127.0.0.1 that misbehaves on purpose.

mod common;

use common::roundup;

use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

/// A WordPress feed: dc:creator login names, content:encoded, "[…]" and "appeared first on" tails.
const WORDPRESS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>Rich Bowen</title>
  <link>http://drbacchus.example/</link>
  <item>
    <title>Deploying the new OpenStack EC2 API project</title>
    <link>http://drbacchus.example/2016/05/ec2-api/?utm_source=rss&amp;utm_medium=rss</link>
    <guid isPermaLink="false">http://drbacchus.example/?p=101</guid>
    <dc:creator><![CDATA[rbowen]]></dc:creator>
    <pubDate>Mon, 09 May 2016 10:00:00 +0000</pubDate>
    <category>openstack</category>
    <description><![CDATA[OpenStack has supported a subset of the EC2 API since the start of the project. [&#8230;]<p>The post <a href="http://drbacchus.example/2016/05/ec2-api/">Deploying</a> appeared first on <a href="http://drbacchus.example">Rich Bowen</a>.</p>]]></description>
    <content:encoded><![CDATA[<p>OpenStack has supported a subset of the EC2 API since the start of the project. This was originally built in to Nova directly.</p><p>More here.</p>]]></content:encoded>
  </item>
  <item>
    <title>Containers and the CERN cloud</title>
    <link>http://drbacchus.example/2016/05/containers/</link>
    <guid isPermaLink="false">http://drbacchus.example/?p=102</guid>
    <dc:creator><![CDATA[rbowen]]></dc:creator>
    <pubDate>Tue, 10 May 2016 10:00:00 +0000</pubDate>
    <description><![CDATA[In recent years, different groups at CERN started looking at using containers. Continue reading &rarr;]]></description>
  </item>
</channel>
</rss>"#;

const ATOM: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Tim's blog</title>
  <id>tag:blogger.com,1999:blog-1</id>
  <updated>2016-05-11T10:00:00Z</updated>
  <entry>
    <id>tag:blogger.com,1999:blog-1.post-1</id>
    <title type="html">Resource management at CERN</title>
    <link rel="alternate" type="text/html" href="http://openstack-in-production.example/2016/05/resource.html"/>
    <author><name>Tim Bell</name><email>noreply@blogger.com</email></author>
    <published>2016-05-11T10:00:00Z</published>
    <updated>2016-05-11T10:00:00Z</updated>
    <content type="html">&lt;p&gt;As part of the recent OpenStack summit in Austin, the Scientific Working group was established.&lt;/p&gt;</content>
  </entry>
</feed>"#;

const HTML_PAGE: &str = r#"<!DOCTYPE html><html><head><title>A blog</title>
<link rel="alternate" type="application/rss+xml" title="Feed" href="/blog/feed.xml">
</head><body><p>Hello</p></body></html>"#;

struct Server {
    addr: std::net::SocketAddr,
    conditional: Arc<AtomicUsize>,
    flaky_hits: Arc<AtomicUsize>,
    not_modified: Arc<AtomicUsize>,
}

async fn feed_server() -> Server {
    let conditional = Arc::new(AtomicUsize::new(0));
    let not_modified = Arc::new(AtomicUsize::new(0));
    let flaky_hits = Arc::new(AtomicUsize::new(0));
    let etagged = |body: &'static str,
                   tag: &'static str,
                   conditional: Arc<AtomicUsize>,
                   nm: Arc<AtomicUsize>| {
        get(move |h: HeaderMap| async move {
            if h.contains_key(header::IF_NONE_MATCH) {
                conditional.fetch_add(1, Ordering::SeqCst);
            }
            if h.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(tag) {
                nm.fetch_add(1, Ordering::SeqCst);
                return StatusCode::NOT_MODIFIED.into_response();
            }
            (
                [
                    (header::ETAG, tag),
                    (header::CONTENT_TYPE, "application/rss+xml"),
                ],
                body,
            )
                .into_response()
        })
    };
    let fh = flaky_hits.clone();
    let app = Router::new()
        .route(
            "/wp/feed/",
            etagged(
                WORDPRESS,
                "\"wp1\"",
                conditional.clone(),
                not_modified.clone(),
            ),
        )
        .route(
            "/atom.xml",
            etagged(ATOM, "\"atom1\"", conditional.clone(), not_modified.clone()),
        )
        .route(
            "/flaky.xml",
            get(move || {
                let fh = fh.clone();
                async move {
                    if fh.fetch_add(1, Ordering::SeqCst) == 0 {
                        StatusCode::SERVICE_UNAVAILABLE.into_response()
                    } else {
                        ATOM.replace("blog-1", "blog-2")
                            .replace("resource.html", "flaky.html")
                            .into_response()
                    }
                }
            }),
        )
        .route(
            "/blog/",
            get(|| async { ([(header::CONTENT_TYPE, "text/html")], HTML_PAGE) }),
        )
        .route("/gone.xml", get(|| async { StatusCode::GONE }))
        .route(
            "/old.xml",
            get(|| async {
                (
                    StatusCode::MOVED_PERMANENTLY,
                    [(header::LOCATION, "/atom.xml")],
                )
            }),
        )
        .route(
            "/busy.xml",
            get(|| async {
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [(header::RETRY_AFTER, "7200")],
                    "<html>slow down</html>",
                )
            }),
        )
        .route("/missing.xml", get(|| async { StatusCode::NOT_FOUND }));
    let addr = common::serve(app).await;
    Server {
        addr,
        conditional,
        flaky_hits,
        not_modified,
    }
}

fn config(addr: std::net::SocketAddr, extra: &str) -> String {
    format!(
        r#"[store]
path = "state/test.db"

[http]
timeout = "3s"
retries = 1

[authors]
rbowen = "Rich Bowen"

[[source]]
name = "Rich Bowen"
url = "http://{addr}/wp/feed/"

[[source]]
name = "Tim Bell"
url = "http://{addr}/atom.xml"

[[source]]
name = "Flaky"
url = "http://{addr}/flaky.xml"
{extra}"#
    )
}

const BROKEN_SOURCES: &str = r#"
[[source]]
name = "Not a feed"
url = "http://{addr}/blog/"

[[source]]
name = "Gone"
url = "http://{addr}/gone.xml"

[[source]]
name = "Missing"
url = "http://{addr}/missing.xml"

[[source]]
name = "Moved"
url = "http://{addr}/old.xml"

[[source]]
name = "Busy"
url = "http://{addr}/busy.xml"
"#;

/// Runs the binary in `dir` (blocking, off the runtime that serves the feeds).
fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn poll_stores_items_once_and_polls_again_conditionally() {
    let server = feed_server().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("roundup.toml"), config(server.addr, "")).unwrap();

    let first = roundup(dir.path(), &["--config", "roundup.toml", "poll"]).await;
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}{}",
        stdout(&first),
        stderr(&first)
    );
    let out = stdout(&first);
    assert!(out.contains("Rich Bowen") && out.contains("2 new"), "{out}");
    assert!(out.contains("4 new items"), "{out}");
    assert_eq!(
        server.flaky_hits.load(Ordering::SeqCst),
        2,
        "503 then 200: retried once"
    );

    let items = roundup(dir.path(), &["--config", "roundup.toml", "items", "--json"]).await;
    let items: Vec<serde_json::Value> = serde_json::from_slice(&items.stdout).unwrap();
    assert_eq!(items.len(), 4);
    let ec2 = items
        .iter()
        .find(|i| i["title"] == "Deploying the new OpenStack EC2 API project")
        .unwrap();
    assert_eq!(
        ec2["author"], "Rich Bowen",
        "login name mapped by [authors]"
    );
    assert_eq!(
        ec2["link"], "http://drbacchus.example/2016/05/ec2-api/",
        "utm_* removed"
    );
    assert_eq!(ec2["source"], "Rich Bowen");
    assert_eq!(ec2["state"], "unseen");
    let summary = ec2["summary"].as_str().unwrap();
    assert!(summary.starts_with("OpenStack has supported"), "{summary}");
    assert!(
        !summary.contains('…') && !summary.contains("appeared first"),
        "{summary}"
    );
    for key in [
        "key",
        "source",
        "title",
        "author",
        "link",
        "short_link",
        "summary",
        "published",
        "first_seen",
        "state",
        "roundup",
    ] {
        assert!(ec2.get(key).is_some(), "items --json has {key}");
    }

    let second = roundup(dir.path(), &["--config", "roundup.toml", "poll"]).await;
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    let out = stdout(&second);
    assert!(out.contains("0 new items"), "{out}");
    assert!(
        server.conditional.load(Ordering::SeqCst) >= 2,
        "conditional requests sent"
    );
    assert_eq!(
        server.not_modified.load(Ordering::SeqCst),
        2,
        "both etagged feeds answered 304"
    );
    assert!(
        out.lines()
            .filter(|l| l.starts_with("not modified"))
            .count()
            >= 2,
        "{out}"
    );

    let items = roundup(dir.path(), &["--config", "roundup.toml", "items", "--json"]).await;
    let items: Vec<serde_json::Value> = serde_json::from_slice(&items.stdout).unwrap();
    assert_eq!(items.len(), 4, "nothing stored twice");
}

#[tokio::test(flavor = "multi_thread")]
async fn failing_sources_are_reported_and_do_not_stop_the_others() {
    let server = feed_server().await;
    let dir = tempfile::tempdir().unwrap();
    let extra = BROKEN_SOURCES.replace("{addr}", &server.addr.to_string());
    std::fs::write(dir.path().join("roundup.toml"), config(server.addr, &extra)).unwrap();

    let poll = roundup(dir.path(), &["--config", "roundup.toml", "poll"]).await;
    assert_eq!(
        poll.status.code(),
        Some(2),
        "exit code 2 when some sources failed"
    );
    let out = stdout(&poll);
    let line = |name: &str| {
        out.lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("no line for {name} in {out}"))
            .to_owned()
    };
    assert!(line("Not a feed").starts_with("FAILED"), "{out}");
    assert!(
        line("Not a feed").contains(&format!("http://{}/blog/feed.xml", server.addr)),
        "names the advertised feed: {out}"
    );
    assert!(line("Gone").contains("410"), "{out}");
    assert!(line("Missing").contains("404"), "{out}");
    assert!(line("Tim Bell").starts_with("ok"), "{out}");

    let sources = roundup(
        dir.path(),
        &["--config", "roundup.toml", "sources", "--json"],
    )
    .await;
    let sources: Vec<serde_json::Value> = serde_json::from_slice(&sources.stdout).unwrap();
    let gone = sources.iter().find(|s| s["name"] == "Gone").unwrap();
    assert_eq!(gone["status"], "gone");
    for key in [
        "name",
        "url",
        "status",
        "last_fetch",
        "last_error",
        "items",
        "next_check",
    ] {
        assert!(gone.get(key).is_some(), "sources --json has {key}");
    }
    let moved = sources.iter().find(|s| s["name"] == "Moved").unwrap();
    assert_eq!(
        moved["moved_to"],
        format!("http://{}/atom.xml", server.addr)
    );
    assert_eq!(moved["status"], "ok");
    let busy = sources.iter().find(|s| s["name"] == "Busy").unwrap();
    assert!(
        busy["last_error"].as_str().unwrap().contains("429"),
        "{busy}"
    );
    let next: chrono::DateTime<chrono::Utc> = busy["next_check"].as_str().unwrap().parse().unwrap();
    assert!(
        next > chrono::Utc::now() + chrono::Duration::minutes(110),
        "Retry-After honoured: {next}"
    );

    // The next poll leaves the failing sources alone until their next try, but they are
    // still failing: named with their error, counted, and the exit code says so.
    let again = roundup(dir.path(), &["--config", "roundup.toml", "poll"]).await;
    let out2 = stdout(&again);
    assert_eq!(again.status.code(), Some(2), "{out2}");
    let line2 = |name: &str| out2.lines().find(|l| l.contains(name)).unwrap().to_owned();
    assert!(line2("Busy").starts_with("FAILING"), "{out2}");
    assert!(
        line2("Busy").contains("429")
            && line2("Busy").contains("failing since")
            && line2("Busy").contains("next try"),
        "{out2}"
    );
    assert!(
        line2("Gone").starts_with("FAILING") && line2("Gone").contains("not fetched again"),
        "a gone source is not fetched again: {out2}"
    );
    let summary = out2.lines().last().unwrap();
    assert!(
        summary.contains(", 4 failed (backing off after errors, not fetched this time)"),
        "{summary}"
    );
    let json = roundup(dir.path(), &["--config", "roundup.toml", "poll", "--json"]).await;
    assert_eq!(json.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let busy = report["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Busy")
        .unwrap();
    assert_eq!(
        (busy["outcome"].as_str(), busy["status"].as_str()),
        (Some("not_due"), Some("failed"))
    );
    assert!(busy["error"].as_str().unwrap().contains("429"), "{busy}");
    assert!(line2("Moved").contains("moved permanently to"), "{out2}");

    let rich = sources.iter().find(|s| s["name"] == "Rich Bowen").unwrap();
    assert_eq!(rich["items"], 2);
    assert_eq!(rich["status"], "ok");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_config_exits_3_naming_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "[store]\npath = \"x.db\"\n\n[http]\nconcurrency = 0\n",
    )
    .unwrap();
    let out = roundup(dir.path(), &["--config", "bad.toml", "poll"]).await;
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(err.contains("bad.toml:5: http.concurrency"), "{err}");

    let out = roundup(dir.path(), &["--config", "nope.toml", "poll"]).await;
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("nope.toml"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_process_is_told_plainly_that_the_store_is_in_use() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("roundup.toml"),
        "[store]\npath = \"state/x.db\"\n\n[[source]]\nname = \"A\"\nurl = \"https://a.example/feed\"\n",
    )
    .unwrap();
    let store = roundup::store::Store::open(&dir.path().join("state/x.db")).unwrap();
    let out = roundup(
        dir.path(),
        &["--config", "roundup.toml", "--wait", "0", "items"],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("locked by another process"), "{err}");
    assert!(
        !err.contains("waiting for"),
        "--wait 0 does not wait: {err}"
    );

    // By default a command waits for the one holding the store, saying so once.
    let held = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(1500));
        drop(store);
    });
    let out = roundup(dir.path(), &["--config", "roundup.toml", "items"]).await;
    held.join().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(err.matches("waiting for the store").count(), 1, "{err}");
    assert!(!err.contains("WouldBlock"), "not sled's lock error: {err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_304_without_validators_and_a_feed_cut_at_max_items_are_reported() {
    let items: String = (1..=5)
        .map(|n| {
            format!(
                "<item><title>Post {n}</title><link>https://cut.example/{n}</link>\
                 <pubDate>0{n} May 2016 10:00:00 +0000</pubDate><description>Words.</description></item>"
            )
        })
        .collect();
    let feed = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Cut</title>{items}</channel></rss>"
    );
    let app = Router::new()
        .route("/stuck.xml", get(|| async { StatusCode::NOT_MODIFIED }))
        .route("/long.xml", get(move || async move { feed.clone() }));
    let addr = common::serve(app).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("roundup.toml"),
        format!(
            "[store]\npath = \"db\"\n[http]\nmax_items = 3\nretries = 0\n\
             [[source]]\nname = \"Stuck\"\nurl = \"http://{addr}/stuck.xml\"\n\
             [[source]]\nname = \"Long\"\nurl = \"http://{addr}/long.xml\"\n"
        ),
    )
    .unwrap();
    let poll = roundup(dir.path(), &["--config", "roundup.toml", "poll"]).await;
    let out = stdout(&poll);
    assert_eq!(poll.status.code(), Some(2), "{out}");
    let line = |name: &str| out.lines().find(|l| l.contains(name)).unwrap().to_owned();
    assert!(line("Stuck").starts_with("FAILED"), "{out}");
    assert!(
        line("Stuck").contains("304 Not Modified to a request that sent no validators"),
        "{out}"
    );
    assert!(
        line("Long").contains("3 items, 2 older left out (past [http] max_items)"),
        "{out}"
    );
    let json = roundup(
        dir.path(),
        &["--config", "roundup.toml", "poll", "--json", "--force"],
    )
    .await;
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let long = report["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Long")
        .unwrap()
        .clone();
    assert_eq!(
        (long["dropped"].as_u64(), long["over_max_items"].as_u64()),
        (Some(2), Some(2)),
        "{long}"
    );
}

/// One server that never answers must not hold the poll hostage: at `[http] poll_deadline` it
/// is cut and reported, and what the other sources sent is stored.
#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_never_answers_is_cut_at_the_polls_deadline() {
    let server = feed_server().await;
    let hangs = common::serve(Router::new().route(
        "/feed.xml",
        get(|| async { std::future::pending::<&'static str>().await }),
    ))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let extra = format!("\n[[source]]\nname = \"Hangs\"\nurl = \"http://{hangs}/feed.xml\"\n");
    // Without the deadline this source would take 30 s a try, and be tried twice.
    let cfg = config(server.addr, &extra).replace(
        "timeout = \"3s\"",
        "timeout = \"30s\"\npoll_deadline = \"2s\"",
    );
    std::fs::write(dir.path().join("roundup.toml"), cfg).unwrap();

    let poll = roundup(dir.path(), &["--config", "roundup.toml", "poll"]).await;
    assert_eq!(poll.status.code(), Some(2), "some sources failed");
    let out = stdout(&poll);
    let hung = out
        .lines()
        .find(|l| l.contains("Hangs"))
        .unwrap_or_default();
    assert!(hung.starts_with("FAILED"), "{out}");
    assert!(hung.contains("cut at the poll's deadline (2s"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.contains("Tim Bell") && l.starts_with("ok")),
        "{out}"
    );

    let sources = roundup(
        dir.path(),
        &["--config", "roundup.toml", "sources", "--json"],
    )
    .await;
    let sources: Vec<serde_json::Value> = serde_json::from_slice(&sources.stdout).unwrap();
    let hung = sources.iter().find(|s| s["name"] == "Hangs").unwrap();
    assert_eq!(hung["error_kind"], "deadline");
    let items = roundup(dir.path(), &["--config", "roundup.toml", "items", "--json"]).await;
    let items: Vec<serde_json::Value> = serde_json::from_slice(&items.stdout).unwrap();
    assert!(items.iter().any(|i| i["source"] == "Tim Bell"), "{items:?}");
    assert!(items.iter().all(|i| i["source"] != "Hangs"));
}
