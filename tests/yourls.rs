//! The YOURLS shortener against a local server that answers as YOURLS 1.7 and 1.9 do: new URLs,
//! URLs it already knows (200 before 1.9.1, 400 since), flood protection, errors and hangs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use roundup::config::{ShortenerConfig, ShortenerKind};
use roundup::shorten::Shortener;
use roundup::store::Store;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// YOURLS 1.7-1.8: a known URL is HTTP 200 with `"code": "error:url"`.
    V17,
    /// YOURLS 1.9.1+: a known URL is HTTP 400 with the same body.
    V19,
    Flood,
    ServerError,
    Hang,
}

#[derive(Clone)]
struct Fake {
    mode: Mode,
    known: Arc<Mutex<HashMap<String, String>>>,
    calls: Arc<Mutex<usize>>,
}

const SIGNATURE: &str = "s3cr3t";

async fn api(State(fake): State<Fake>, body: String) -> Response {
    *fake.calls.lock().unwrap() += 1;
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    match fake.mode {
        Mode::Flood => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [("content-type", "text/html")],
                "<html><body><h1>Too Many Requests</h1><p>Too many URLs added too fast. Slow down please.</p></body></html>",
            )
                .into_response()
        }
        Mode::ServerError => {
            return (StatusCode::INTERNAL_SERVER_ERROR, "<h1>Error establishing a database connection</h1>").into_response()
        }
        Mode::Hang => {
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
        _ => {}
    }
    if form.get("signature").map(String::as_str) != Some(SIGNATURE)
        || form.get("action").map(String::as_str) != Some("shorturl")
        || form.get("format").map(String::as_str) != Some("json")
    {
        let body = r#"{"message":"Please log in","errorCode":403,"callback":""}"#;
        return (
            StatusCode::FORBIDDEN,
            [("content-type", "application/json")],
            body,
        )
            .into_response();
    }
    let url = form.get("url").cloned().unwrap_or_default();
    let mut known = fake.known.lock().unwrap();
    if let Some(code) = known.get(&url) {
        let status = if fake.mode == Mode::V19 { 400 } else { 200 };
        let body = serde_json::json!({
            "status": "fail",
            "code": "error:url",
            "url": {"keyword": code, "url": url, "title": "A post", "date": "2016-05-17 17:18:56", "ip": "127.0.0.1", "clicks": "0"},
            "message": format!("{url} already exists in database"),
            "title": "A post",
            "shorturl": format!("http://tm3.org/{code}"),
            "statusCode": status,
        });
        return (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response();
    }
    let code = format!("6{}", (b'e' + known.len() as u8) as char);
    known.insert(url.clone(), code.clone());
    let body = serde_json::json!({
        "url": {"keyword": code, "url": url, "title": "A post", "date": "2016-05-17 17:18:56", "ip": "127.0.0.1"},
        "status": "success",
        "message": format!("{url} added to database"),
        "title": "A post",
        "shorturl": format!("http://tm3.org/{code}"),
        "statusCode": 200,
    });
    axum::Json(body).into_response()
}

struct Server {
    api_url: url::Url,
    fake: Fake,
    _dir: tempfile::TempDir,
    store: Store,
}

async fn start(mode: Mode, known: &[(&str, &str)]) -> Server {
    let fake = Fake {
        mode,
        known: Arc::new(Mutex::new(
            known
                .iter()
                .map(|(u, c)| (u.to_string(), c.to_string()))
                .collect(),
        )),
        calls: Arc::new(Mutex::new(0)),
    };
    let app = Router::new()
        .route("/yourls-api.php", post(api))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).unwrap();
    Server {
        api_url: format!("http://{addr}/yourls-api.php").parse().unwrap(),
        fake,
        _dir: dir,
        store,
    }
}

impl Server {
    /// A shortener whose signature lives in its own environment variable (tests run in parallel).
    fn shortener(&self, var: &str, timeout: Duration) -> Shortener {
        std::env::set_var(var, SIGNATURE);
        let cfg = ShortenerConfig {
            kind: ShortenerKind::Yourls,
            base_url: String::new(),
            alphabet: "0123456789abcdefghijklmnopqrstuvwxyz".into(),
            start: "0".into(),
            api_url: Some(self.api_url.clone()),
            signature_env: var.into(),
            timeout,
        };
        Shortener::new(&cfg, self.store.clone(), || Ok(reqwest::Client::new())).unwrap()
    }

    fn calls(&self) -> usize {
        *self.fake.calls.lock().unwrap()
    }
}

const POST: &str = "http://openstack-in-production.blogspot.com/2016/04/deploying-new-openstack-ec2-api-project.html";

#[tokio::test]
async fn new_url_is_shortened_and_remembered() {
    let server = start(Mode::V17, &[]).await;
    let s = server.shortener("ROUNDUP_TEST_YOURLS_NEW", Duration::from_secs(5));
    let out = s.link(POST).await;
    assert_eq!(out.link, "http://tm3.org/6e");
    assert_eq!(out.warning, None);
    // A second draft gives the same link without asking again.
    assert_eq!(s.link(POST).await.link, "http://tm3.org/6e");
    assert_eq!(server.calls(), 1);
    let again = server.shortener("ROUNDUP_TEST_YOURLS_NEW", Duration::from_secs(5));
    assert_eq!(again.stored(POST).as_deref(), Some("http://tm3.org/6e"));
    assert_eq!(again.stored("https://other.example/"), None);
}

#[tokio::test]
async fn known_url_answered_with_200_by_yourls_1_7_is_a_success() {
    let server = start(Mode::V17, &[(POST, "6e")]).await;
    let s = server.shortener("ROUNDUP_TEST_YOURLS_17", Duration::from_secs(5));
    let out = s.link(POST).await;
    assert_eq!(
        (out.link.as_str(), out.warning),
        ("http://tm3.org/6e", None)
    );
}

#[tokio::test]
async fn known_url_answered_with_400_by_yourls_1_9_is_a_success() {
    let server = start(Mode::V19, &[(POST, "6e")]).await;
    let s = server.shortener("ROUNDUP_TEST_YOURLS_19", Duration::from_secs(5));
    let out = s.link(POST).await;
    assert_eq!(
        (out.link.as_str(), out.warning),
        ("http://tm3.org/6e", None)
    );
    assert_eq!(s.stored(POST).as_deref(), Some("http://tm3.org/6e"));
}

#[tokio::test]
async fn flood_protection_keeps_the_full_link_with_a_warning() {
    let server = start(Mode::Flood, &[]).await;
    let s = server.shortener("ROUNDUP_TEST_YOURLS_429", Duration::from_secs(5));
    let out = s.link(POST).await;
    assert_eq!(out.link, POST);
    let w = out.warning.unwrap();
    assert!(w.contains("429") && w.contains(POST), "{w}");
    // Nothing is cached: the next draft asks again.
    assert_eq!(s.stored(POST), None);
}

#[tokio::test]
async fn a_hang_beyond_the_timeout_keeps_the_full_link_with_a_warning() {
    let server = start(Mode::Hang, &[]).await;
    let s = server.shortener("ROUNDUP_TEST_YOURLS_HANG", Duration::from_millis(300));
    let out = s.link(POST).await;
    assert_eq!(out.link, POST);
    let w = out.warning.unwrap();
    assert!(w.contains("timeout"), "{w}");
}

#[tokio::test]
async fn server_errors_keep_the_full_link_with_a_warning() {
    let server = start(Mode::ServerError, &[]).await;
    let s = server.shortener("ROUNDUP_TEST_YOURLS_500", Duration::from_secs(5));
    let out = s.link(POST).await;
    assert_eq!(out.link, POST);
    assert!(out.warning.unwrap().contains("500"));
}

#[tokio::test]
async fn a_wrong_signature_is_a_warning_quoting_yourls() {
    let server = start(Mode::V17, &[]).await;
    std::env::set_var("ROUNDUP_TEST_YOURLS_BAD", "wrong");
    let cfg = ShortenerConfig {
        kind: ShortenerKind::Yourls,
        base_url: String::new(),
        alphabet: "0123456789".into(),
        start: "0".into(),
        api_url: Some(server.api_url.clone()),
        signature_env: "ROUNDUP_TEST_YOURLS_BAD".into(),
        timeout: Duration::from_secs(5),
    };
    let s = Shortener::new(&cfg, server.store.clone(), || Ok(reqwest::Client::new())).unwrap();
    let out = s.link(POST).await;
    assert_eq!(out.link, POST);
    assert!(out.warning.unwrap().contains("Please log in"));
}

/// A draft shortening with YOURLS at `server`, of five posts of source A (the newest first):
/// its config (in the folder returned) and its report.
async fn drafted(
    server: &Server,
    var: &str,
) -> (
    tempfile::TempDir,
    roundup::config::Config,
    roundup::draft::DraftReport,
) {
    use chrono::{TimeZone, Utc};
    use roundup::item::Item;

    std::env::set_var(var, SIGNATURE);
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[roundup]\ndrafts_dir = \"{d}/drafts\"\ntemplate = \"{d}/none.hbs\"\n\
         [shortener]\nkind = \"yourls\"\napi_url = \"{api}\"\nsignature_env = \"{var}\"\n\
         [[source]]\nname = \"A\"\nurl = \"https://a.example/feed\"\n",
        d = dir.path().display(),
        api = server.api_url
    );
    let cfg = roundup::config::Config::parse(&dir.path().join("r.toml"), &text).unwrap();
    let now = Utc.with_ymd_and_hms(2016, 5, 17, 12, 0, 0).unwrap();
    let items: Vec<Item> = (0..5)
        .map(|n| Item {
            author: "Au".into(),
            summary: "S".into(),
            first_seen: now,
            ..Item::new(
                format!("k{n}"),
                "A",
                format!("https://a.example/{n}"),
                format!("Post {n}"),
                now - chrono::Duration::days(n + 1),
            )
        })
        .collect();
    server.store.upsert_items(&items).unwrap();
    let s = Shortener::new(&cfg.shortener, server.store.clone(), || {
        Ok(reqwest::Client::new())
    })
    .unwrap();
    let report = roundup::draft::run(&cfg, &server.store, &s, &Default::default(), now)
        .await
        .unwrap();
    (dir, cfg, report)
}

#[tokio::test]
async fn a_draft_stops_asking_after_three_failures_in_a_row() {
    let server = start(Mode::Flood, &[]).await;
    let (_dir, _, report) = drafted(&server, "ROUNDUP_TEST_YOURLS_DRAFT").await;
    assert_eq!(report.items, 5);
    assert_eq!(server.calls(), 3);
    assert!(
        report.warnings.iter().any(|w| w.contains("2 more links")),
        "{:?}",
        report.warnings
    );
    let text = std::fs::read_to_string(report.path.unwrap()).unwrap();
    assert!(
        text.contains("[https://a.example/4](https://a.example/4)"),
        "{text}"
    );
}

/// A YOURLS link is known only from the draft that printed it: `skip` finds the post by it,
/// in the record the draft stored (written once, its file write marked done).
#[tokio::test]
async fn skip_takes_a_yourls_link_the_draft_printed() {
    use roundup::item::ItemState;

    let server = start(Mode::V17, &[]).await;
    let (_dir, cfg, report) = drafted(&server, "ROUNDUP_TEST_YOURLS_SKIP").await;
    let text = std::fs::read_to_string(report.path.unwrap()).unwrap();
    let short = server.fake.known.lock().unwrap()["https://a.example/2"].clone();
    let printed = format!("http://tm3.org/{short}");
    assert!(text.contains(&format!("]({printed})")), "{text}");
    let marked =
        roundup::publish::set_state(&cfg, &server.store, &[printed], ItemState::Skipped, false)
            .unwrap();
    assert_eq!(marked[0].item.key, "k2");
    assert_eq!(
        server.store.item("k2").unwrap().unwrap().state,
        ItemState::Skipped
    );
}
