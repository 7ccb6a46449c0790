//! `roundup daemon` as it runs on a server: the real binary, an every-second poll schedule, a
//! local feed server, commands through the control API, short-link redirects, SIGTERM, and
//! SIGKILL at arbitrary points followed by a restart.

mod common;

use common::{client, free_port, roundup, signal, start_daemon, wait_exit, wait_for_poll};

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use axum::http::header;
use axum::routing::get;
use axum::Router;

fn rss(feed: usize, items: usize) -> String {
    let mut s = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Feed {feed}</title><link>http://blog{feed}.example/</link>"
    );
    for i in 0..items {
        s.push_str(&format!(
            "<item><title>Post {i} of blog {feed}</title><link>http://blog{feed}.example/{i}/</link>\
             <guid>http://blog{feed}.example/?p={i}</guid><author>author{feed}@blog{feed}.example (Author {feed})</author>\
             <pubDate>Mon, {day:02} May 2016 10:00:00 +0000</pubDate>\
             <description>&lt;p&gt;This is the first paragraph of post {i} of blog {feed}. It says something.&lt;/p&gt;</description></item>",
            day = 1 + i % 28
        ));
    }
    s.push_str("</channel></rss>");
    s
}

/// Serves `feeds` feeds of `items` items each at /feed/{n}, each answer delayed by `delay`.
async fn feed_server(items: usize, delay: Duration) -> std::net::SocketAddr {
    let app = Router::new().route(
        "/feed/{n}",
        get(
            move |axum::extract::Path(n): axum::extract::Path<usize>| async move {
                tokio::time::sleep(delay).await;
                (
                    [(header::CONTENT_TYPE, "application/rss+xml")],
                    rss(n, items),
                )
            },
        ),
    );
    common::serve(app).await
}

fn write_config(dir: &Path, feeds: std::net::SocketAddr, n: usize, listen: u16) -> PathBuf {
    let mut cfg = format!(
        r#"[store]
path = "state/roundup.db"

[roundup]
drafts_dir = "drafts"
since = "2016-04-01"

[schedule]
poll = "* * * * * *"
draft = "0 0 1 1 *"
timezone = "Europe/Paris"

[serve]
listen = "127.0.0.1:{listen}"

[review]
listen = "127.0.0.1:0"

[shortener]
kind = "builtin"
base_url = "http://127.0.0.1:{listen}/"
start = "6e"

[http]
timeout = "5s"
"#
    );
    for i in 0..n {
        cfg.push_str(&format!(
            "\n[[source]]\nname = \"Blog {i}\"\nurl = \"http://{feeds}/feed/{i}\"\n"
        ));
    }
    let path = dir.join("roundup.toml");
    std::fs::write(&path, cfg).unwrap();
    path
}

/// `roundup draft --no-poll --out draft.md` in `dir`, while the daemon holds the store.
async fn draft_to_file(dir: &std::path::Path) -> std::process::Output {
    roundup(
        dir,
        &[
            "--config",
            "roundup.toml",
            "draft",
            "--no-poll",
            "--out",
            "draft.md",
        ],
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn daemon_polls_serves_links_takes_commands_and_stops_on_sigterm() {
    let feeds = feed_server(3, Duration::ZERO).await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    write_config(dir.path(), feeds, 2, port);
    let mut daemon = start_daemon(dir.path());

    let health = wait_for_poll(port, Duration::from_secs(20)).await;
    assert_eq!(health["failing_sources"], 0, "{health}");
    assert_eq!(health["status"], "ok");

    // Commands go through the control API while the daemon holds the store.
    let items = roundup(dir.path(), &["--config", "roundup.toml", "items", "--json"]).await;
    assert_eq!(
        items.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&items.stderr)
    );
    let items: Vec<serde_json::Value> = serde_json::from_slice(&items.stdout).unwrap();
    assert_eq!(items.len(), 6);

    let draft = draft_to_file(dir.path()).await;
    assert_eq!(
        draft.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&draft.stderr)
    );
    let text = std::fs::read_to_string(dir.path().join("draft.md")).unwrap();
    // A configuration problem met by the daemon exits 3, as it would without the daemon.
    let bad = roundup(
        dir.path(),
        &[
            "--config",
            "roundup.toml",
            "draft",
            "--no-poll",
            "--since",
            "soon",
        ],
    )
    .await;
    let err = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(3), "{err}");
    assert!(err.contains("--since \"soon\""), "{err}");
    let short = format!("http://127.0.0.1:{port}/6e");
    assert!(text.contains(&format!("[{short}]({short})")), "{text}");

    // The control API checks its token before it reads the body: without the token a caller
    // learns nothing, not even that the body is malformed or what commands there are.
    let control: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("state/roundup.db.control")).unwrap(),
    )
    .unwrap();
    let run_url = format!("http://{}/v1/run", control["addr"].as_str().unwrap());
    for (token, body, status) in [
        (None, "{\"command\":\"nonsense\"}", 401),
        (Some("wrong"), "not json at all", 401),
        (None, "{\"command\":\"Items\"}", 401),
        (control["token"].as_str(), "{\"command\":\"nonsense\"}", 400),
    ] {
        let mut req = client().post(&run_url).body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), status, "{token:?} {body}");
        let text = r.text().await.unwrap();
        if status == 401 {
            assert!(text.contains("bad or missing control token"), "{text}");
            assert!(!text.contains("variant"), "{text}");
        }
    }

    // The short link redirects to the post; anything else is a 404.
    let r = client().get(&short).send().await.unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    let target = r.headers()[header::LOCATION].to_str().unwrap().to_owned();
    assert!(
        items.iter().any(|i| i["link"] == target.as_str()),
        "{target}"
    );
    for path in [
        "zzzz",
        "6E",
        "6e/",
        "6e%2f..%2f6f",
        "..%2f..%2fetc%2fpasswd",
        "http:%2f%2fevil.example",
    ] {
        let r = client()
            .get(format!("http://127.0.0.1:{port}/{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "/{path}");
    }

    signal(&daemon, "-TERM");
    assert_eq!(wait_exit(&mut daemon, Duration::from_secs(10)), Some(0));
    assert!(
        !dir.path().join("state/roundup.db.control").exists(),
        "control file removed"
    );

    // With the daemon gone the store opens directly, and holds what the daemon stored.
    let items = roundup(dir.path(), &["--config", "roundup.toml", "items", "--json"]).await;
    let items: Vec<serde_json::Value> = serde_json::from_slice(&items.stdout).unwrap();
    assert_eq!(items.len(), 6);
    let log = std::fs::read_to_string(dir.path().join("daemon.log")).unwrap();
    assert!(log.contains("poll finished"), "{log}");
    assert!(log.contains("next run"), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_daemon_a_locked_store_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("roundup.toml"),
        "[store]\npath = \"state/x.db\"\n\n[[source]]\nname = \"A\"\nurl = \"https://a.example/feed\"\n",
    )
    .unwrap();
    let _held = roundup::store::Store::open(&dir.path().join("state/x.db")).unwrap();
    let out = roundup(
        dir.path(),
        &["--config", "roundup.toml", "--wait", "1s", "sources"],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("locked by another process") && err.contains("no daemon control file"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_at_any_point_loses_nothing_and_duplicates_nothing() {
    const FEEDS: usize = 40;
    const ITEMS: usize = 10;
    let feeds = feed_server(ITEMS, Duration::from_millis(30)).await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    write_config(dir.path(), feeds, FEEDS, port);

    let mut seen_before = 0usize;
    for (round, wait_ms) in [150u64, 400, 700, 1100, 1600].into_iter().enumerate() {
        let mut daemon = start_daemon(dir.path());
        tokio::time::sleep(Duration::from_millis(wait_ms)).await;
        daemon.kill().unwrap(); // SIGKILL
        daemon.wait().unwrap();
        // Whatever a previous round stored is still there, once.
        let out = roundup(dir.path(), &["--config", "roundup.toml", "items", "--json"]).await;
        assert_eq!(
            out.status.code(),
            Some(0),
            "round {round}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let items: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
        let mut links: Vec<&str> = items.iter().map(|i| i["link"].as_str().unwrap()).collect();
        links.sort();
        links.dedup();
        assert_eq!(links.len(), items.len(), "round {round}: duplicates");
        assert!(
            items.len() >= seen_before,
            "round {round}: lost items ({} < {seen_before})",
            items.len()
        );
        seen_before = items.len();
    }

    // A restarted daemon completes its next poll and ends with every item exactly once.
    let mut daemon = start_daemon(dir.path());
    wait_for_poll(port, Duration::from_secs(30)).await;
    let started = Instant::now();
    loop {
        let out = roundup(dir.path(), &["--config", "roundup.toml", "items", "--json"]).await;
        let items: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap_or_default();
        if items.len() == FEEDS * ITEMS {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "only {} of {} items after restart",
            items.len(),
            FEEDS * ITEMS
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    signal(&daemon, "-TERM");
    assert_eq!(wait_exit(&mut daemon, Duration::from_secs(10)), Some(0));
    let out = roundup(dir.path(), &["--config", "roundup.toml", "items", "--json"]).await;
    let items: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        items.len(),
        FEEDS * ITEMS,
        "nothing lost, nothing duplicated"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_scheduled_draft_keeps_an_editors_edits() {
    let feeds = feed_server(3, Duration::ZERO).await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let path = write_config(dir.path(), feeds, 1, port);
    // A draft every second, the poll with it.
    let config = std::fs::read_to_string(&path)
        .unwrap()
        .replace("draft = \"0 0 1 1 *\"", "draft = \"* * * * * *\"")
        .replace("poll = \"* * * * * *\"", "poll = \"0 0 1 1 *\"");
    std::fs::write(&path, config).unwrap();
    let mut daemon = start_daemon(dir.path());
    let drafts = dir.path().join("drafts");
    let log = || std::fs::read_to_string(dir.path().join("daemon.log")).unwrap_or_default();
    let runs = || log().matches("scheduled draft").count();
    let started = Instant::now();
    let file = loop {
        let found = std::fs::read_dir(&drafts)
            .ok()
            .and_then(|mut d| d.next())
            .map(|e| e.unwrap().path());
        if let Some(f) = found.filter(|_| runs() > 0) {
            break f;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no draft: {}",
            log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let text = std::fs::read_to_string(&file).unwrap();
    let edited = text.replacen("\n\n**", "\n\nThe editor was here.\n\n**", 1);
    assert_ne!(edited, text);
    std::fs::write(&file, &edited).unwrap();

    // Two more scheduled drafts run; the editor's file is left as it was.
    let before = runs();
    while runs() < before + 2 {
        assert!(started.elapsed() < Duration::from_secs(30), "{}", log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), edited);
    assert!(log().contains("your edits"), "{}", log());
    signal(&daemon, "-TERM");
    assert_eq!(wait_exit(&mut daemon, Duration::from_secs(10)), Some(0));
}

/// Every redirect the short-link server serves is counted (in memory, written in batches: a
/// redirect never waits on the store); the counts are in `items --json` and survive restarts.
#[tokio::test(flavor = "multi_thread")]
async fn short_link_clicks_are_counted_under_load_and_survive_restarts() {
    let feeds = feed_server(2, Duration::ZERO).await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    write_config(dir.path(), feeds, 1, port);
    let mut daemon = start_daemon(dir.path());
    wait_for_poll(port, Duration::from_secs(20)).await;
    let draft = draft_to_file(dir.path()).await;
    assert_eq!(draft.status.code(), Some(0), "{draft:?}");

    // 60 concurrent clicks on one link, 25 on the other, and some on codes never issued.
    let get = |path: String| async move {
        client()
            .get(format!("http://127.0.0.1:{port}/{path}"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    let clicks = (0..60)
        .map(|_| "6e")
        .chain((0..25).map(|_| "6f"))
        .chain((0..10).map(|_| "zz"))
        .map(|code| tokio::spawn(get(code.to_owned())));
    let statuses = futures_util::future::join_all(clicks).await;
    let redirects = statuses
        .iter()
        .filter(|s| *s.as_ref().unwrap() == 301)
        .count();
    assert_eq!(redirects, 85);

    let counts = |out: std::process::Output| -> Vec<(String, Option<u64>)> {
        let items: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
        let mut c: Vec<(String, Option<u64>)> = items
            .iter()
            .map(|i| {
                (
                    i["short_link"]
                        .as_str()
                        .unwrap_or("")
                        .rsplit('/')
                        .next()
                        .unwrap()
                        .to_owned(),
                    i["clicks"].as_u64(),
                )
            })
            .collect();
        c.sort();
        c
    };
    // Through the daemon, once its next batch is written.
    let started = Instant::now();
    loop {
        let c = counts(roundup(dir.path(), &["--config", "roundup.toml", "items", "--json"]).await);
        if c == [("6e".into(), Some(60)), ("6f".into(), Some(25))] {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{c:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // Clicks served just before a stop are written as it stops; a HEAD (a link checker, a
    // preview) is answered but is not a click.
    let head = client()
        .head(format!("http://127.0.0.1:{port}/6e"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status().as_u16(), 301);
    let more = (0..7).map(|_| tokio::spawn(get("6f".to_owned())));
    futures_util::future::join_all(more).await;
    signal(&daemon, "-TERM");
    assert_eq!(wait_exit(&mut daemon, Duration::from_secs(10)), Some(0));
    let c = counts(roundup(dir.path(), &["--config", "roundup.toml", "items", "--json"]).await);
    assert_eq!(c, [("6e".into(), Some(60)), ("6f".into(), Some(32))]);

    // A restarted daemon adds to them.
    let mut daemon = start_daemon(dir.path());
    wait_for_poll(port, Duration::from_secs(20)).await;
    let again = (0..5).map(|_| tokio::spawn(get("6e".to_owned())));
    futures_util::future::join_all(again).await;
    signal(&daemon, "-TERM");
    assert_eq!(wait_exit(&mut daemon, Duration::from_secs(10)), Some(0));
    let c = counts(roundup(dir.path(), &["--config", "roundup.toml", "items", "--json"]).await);
    assert_eq!(c, [("6e".into(), Some(65)), ("6f".into(), Some(32))]);
}

/// The daemon serves the review page on a listener of its own, `[review] listen` (loopback),
/// never on the public short-link one; `roundup review` while it runs points there; a request
/// naming another host (a DNS-rebinding page) is refused; publishing from the page records the
/// states through the daemon's store.
#[tokio::test(flavor = "multi_thread")]
async fn the_daemon_serves_the_review_page_on_its_own_loopback_listener() {
    let feeds = feed_server(2, Duration::ZERO).await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    write_config(dir.path(), feeds, 2, port);
    let mut daemon = start_daemon(dir.path());
    wait_for_poll(port, Duration::from_secs(20)).await;
    let drafted = roundup(
        dir.path(),
        &["--config", "roundup.toml", "draft", "--no-poll"],
    )
    .await;
    assert!(drafted.status.success(), "{drafted:?}");

    let control: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("state/roundup.db.control")).unwrap(),
    )
    .unwrap();
    let addr = control["review"]
        .as_str()
        .expect("the review address")
        .to_owned();
    assert!(addr.starts_with("127.0.0.1:"), "{control}");
    let url = format!("http://{addr}/");
    let told = roundup(dir.path(), &["--config", "roundup.toml", "review"]).await;
    let said = String::from_utf8_lossy(&told.stdout);
    assert!(told.status.success() && said.contains(&url), "{told:?}");

    let http = client();
    let page = http.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("Post 0 of blog 1"), "{page}");
    let public = http
        .get(format!("http://127.0.0.1:{port}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        public.status(),
        404,
        "the public listener has no review page"
    );
    let rebound = http
        .get(&url)
        .header(
            "Host",
            format!("evil.example:{}", addr.rsplit(':').next().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 421);
    assert!(!rebound.text().await.unwrap().contains("token"));

    let token = page
        .split("name=\"token\" value=\"")
        .nth(1)
        .map(|t| t[..t.find('"').unwrap()].to_owned())
        .unwrap();
    let published = http
        .post(format!("{url}publish"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Origin", format!("http://{addr}"))
        .body(format!("token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(published.status(), 200);
    let said = published.text().await.unwrap();
    assert!(said.contains("Published 4 posts"), "{said}");
    let items = roundup(dir.path(), &["--config", "roundup.toml", "items", "--json"]).await;
    let items: Vec<serde_json::Value> = serde_json::from_slice(&items.stdout).unwrap();
    assert_eq!(items.len(), 4);
    assert!(items.iter().all(|i| i["state"] == "published"), "{items:?}");

    signal(&daemon, "-TERM");
    assert_eq!(wait_exit(&mut daemon, Duration::from_secs(10)), Some(0));
    assert!(
        reqwest::get(&url).await.is_err(),
        "the review page stops with the daemon"
    );
}
