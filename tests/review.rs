//! The review page in a real headless browser (Debian's chromium, driven over WebDriver by
//! chromedriver; `.ci/run` installs both): leave a post out, edit a summary, move a post,
//! publish. The markdown file, the items' states and the next draft must be exactly what the same
//! edits made in the file would have given. A screenshot of the page is kept in the target folder.
//! Also: the page refuses changes without its token, and listens on loopback only.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};

const FEED: &str = r#"<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>B</title><link>https://blog.example/</link>
<item><title>Deploying the EC2 API</title><link>https://blog.example/ec2/</link><dc:creator>Rich Bowen</dc:creator><pubDate>HOURS1</pubDate><description>OpenStack has supported a subset of the EC2 API since the start of the project.</description></item>
<item><title>Containers at CERN</title><link>https://blog.example/containers/</link><dc:creator>Tim Bell</dc:creator><pubDate>HOURS2</pubDate><description>In recent years, different groups at CERN started looking at using containers.</description></item>
<item><title>Upgrading the undercloud</title><link>https://blog.example/undercloud/</link><dc:creator>Ann Example</dc:creator><pubDate>HOURS3</pubDate><description>An upgrade of the undercloud takes an afternoon if you follow these steps.</description></item>
<item><title>Meeting notes from the summit</title><link>https://blog.example/summit/</link><dc:creator>Bob Example</dc:creator><pubDate>HOURS4</pubDate><description>We met at the summit and talked about the next release and its gates.</description></item>
</channel></rss>"#;

const CONFIG: &str = "[store]\npath = \"state/roundup.db\"\n\n[roundup]\nsince = \"1w\"\n\n[shortener]\nkind = \"builtin\"\nbase_url = \"https://tm3.org/\"\nstart = \"6e\"\n\n[[source]]\nname = \"B\"\nurl = \"file:feed.xml\"\n";

const NEW_SUMMARY: &str = "A shorter summary the editor wrote for this post.";

fn roundup(dir: &Path, args: &[&str]) -> std::process::Output {
    common::run(dir, &[&["--config", "roundup.toml"], args].concat())
}

fn ok(out: std::process::Output) -> String {
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// The one draft file in `dir/drafts`.
fn draft_file(dir: &Path) -> PathBuf {
    std::fs::read_dir(dir.join("drafts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "md"))
        .expect("a draft file")
}

/// The same edits, made in the file by hand: the post `out` deleted, `summary`'s summary
/// rewritten, `up` moved above the post before it.
fn edit_by_hand(text: &str, out: &str, summary: &str, up: &str) -> String {
    // The body's blocks, one per post: from a `**Title**` line to the next.
    let first = text.find("\n**").unwrap() + 1;
    let (head, body) = text.split_at(first);
    let mut blocks: Vec<String> = body
        .split("\n**")
        .enumerate()
        .map(|(i, b)| {
            if i == 0 {
                b.to_owned()
            } else {
                format!("**{b}")
            }
        })
        .map(|b| format!("{}\n", b.trim_end()))
        .collect();
    blocks.retain(|b| !b.starts_with(&format!("**{out}**")));
    for b in &mut blocks {
        if b.starts_with(&format!("**{summary}**")) {
            let start = b.find("\n> ").unwrap() + 3;
            let end = start + b[start..].find('\n').unwrap();
            b.replace_range(start..end, NEW_SUMMARY);
        }
    }
    let at = blocks
        .iter()
        .position(|b| b.starts_with(&format!("**{up}**")))
        .unwrap();
    blocks.swap(at - 1, at);
    format!("{head}{}", blocks.join("\n"))
}

/// The lines that differ between two drafts made at different instants: the date, the id.
fn stable(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with("date: ") && !l.starts_with("roundup_draft: "))
        .collect::<Vec<_>>()
        .join("\n")
}

fn states(dir: &Path) -> Vec<(String, String, String)> {
    let items: Vec<Value> = serde_json::from_str(&ok(roundup(dir, &["items", "--json"]))).unwrap();
    let mut s: Vec<(String, String, String)> = items
        .iter()
        .map(|i| {
            (
                i["title"].as_str().unwrap().to_owned(),
                i["state"].as_str().unwrap().to_owned(),
                i["summary"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    s.sort();
    s
}

/// A `roundup review` process, stopped when dropped (a failing test leaves none behind).
struct Review(Option<Child>);

impl Drop for Review {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// In `dir`: the feed's four posts dated now, the config, and their draft.
fn draft_of_four_new_posts(dir: &Path) {
    let now = chrono::Utc::now().to_rfc2822();
    let feed = (1..=4).fold(FEED.to_owned(), |f, h| {
        f.replace(&format!("HOURS{h}"), &now)
    });
    std::fs::write(dir.join("feed.xml"), feed).unwrap();
    std::fs::write(dir.join("roundup.toml"), CONFIG).unwrap();
    ok(roundup(dir, &["draft"]));
}

/// `roundup review` in `dir`, and the address it printed.
fn start_review(dir: &Path, extra: &[&str]) -> (Review, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_roundup"))
        .args([&["--config", "roundup.toml", "review"], extra].concat())
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();
    (Review(Some(child)), url)
}

/// Stops `review` with SIGTERM, as an editor's Ctrl-C would, and waits for it to exit.
fn stop(mut review: Review) {
    let mut child = review.0.take().unwrap();
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "review did not stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Just enough of a WebDriver client: a session, navigation, elements, clicks, keys, a
/// screenshot.
struct Browser {
    driver: Child,
    base: String,
    http: reqwest::blocking::Client,
}

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Browser {
    fn start(profile: &Path) -> Browser {
        let port = common::free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs (apt-get install chromium chromium-driver; .ci/run does)");
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let root = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while http.get(format!("{root}/status")).send().is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                         "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync",
                         "--window-size=1100,1600",
                         format!("--user-data-dir={}", profile.display())]
            }
        }}});
        let session: Value = http
            .post(format!("{root}/session"))
            .json(&caps)
            .send()
            .unwrap()
            .json()
            .unwrap();
        let id = session["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {session}"))
            .to_owned();
        Browser {
            driver,
            base: format!("{root}/session/{id}"),
            http,
        }
    }

    fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let r = self.answer(method, path, body);
        assert!(r["value"]["error"].is_null(), "{path}: {r}");
        r["value"].clone()
    }

    /// The driver's whole answer, an error included.
    fn answer(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if !body.is_null() {
            req = req.json(&body);
        }
        req.send().unwrap().json().unwrap()
    }

    /// Clicks a button that submits a form, and waits for the page it leads to: a new
    /// document (its root element is another element), fully loaded.
    fn submit(&self, css: &str) {
        let old = self.find("html");
        self.click(css);
        let started = std::time::Instant::now();
        loop {
            let root = self.answer(
                reqwest::Method::POST,
                "/element",
                json!({"using": "css selector", "value": "html"}),
            );
            let state = self.answer(
                reqwest::Method::POST,
                "/execute/sync",
                json!({"script": "return document.readyState", "args": []}),
            );
            let new = root["value"][ELEMENT].as_str().is_some_and(|e| e != old);
            if new && state["value"] == "complete" {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "{css}: no new page after the click"
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    fn go(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", json!({ "url": url }));
    }

    fn find(&self, css: &str) -> String {
        let v = self.call(
            reqwest::Method::POST,
            "/element",
            json!({"using": "css selector", "value": css}),
        );
        v[ELEMENT].as_str().unwrap().to_owned()
    }

    fn click(&self, css: &str) {
        let e = self.find(css);
        self.call(
            reqwest::Method::POST,
            &format!("/element/{e}/click"),
            json!({}),
        );
    }

    fn fill(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.call(
            reqwest::Method::POST,
            &format!("/element/{e}/clear"),
            json!({}),
        );
        self.call(
            reqwest::Method::POST,
            &format!("/element/{e}/value"),
            json!({ "text": text }),
        );
    }

    fn text(&self, css: &str) -> String {
        let e = self.find(css);
        self.call(
            reqwest::Method::GET,
            &format!("/element/{e}/text"),
            Value::Null,
        )
        .as_str()
        .unwrap()
        .to_owned()
    }

    fn screenshot(&self, to: &Path) {
        let png = self.call(reqwest::Method::GET, "/screenshot", Value::Null);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        std::fs::write(to, bytes).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.http.delete(&self.base).send();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

#[test]
fn the_review_page_publishes_what_the_same_edits_in_the_file_would() {
    let root = tempfile::tempdir().unwrap();
    let page_dir = root.path().join("page");
    let file_dir = root.path().join("file");
    std::fs::create_dir_all(&page_dir).unwrap();
    let now = chrono::Utc::now();
    let mut feed = FEED.to_owned();
    for h in 1..=4 {
        let date = (now - chrono::Duration::hours(10 - h)).to_rfc2822();
        feed = feed.replace(&format!("HOURS{h}"), &date);
    }
    std::fs::write(page_dir.join("feed.xml"), &feed).unwrap();
    std::fs::write(page_dir.join("roundup.toml"), CONFIG).unwrap();
    ok(roundup(&page_dir, &["draft"]));
    copy_dir(&page_dir, &file_dir);
    let keys: Vec<Value> =
        serde_json::from_str(&ok(roundup(&page_dir, &["items", "--json"]))).unwrap();
    let key = |title: &str| {
        keys.iter().find(|i| i["title"] == title).unwrap()["key"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (out, edit, up) = (
        "Containers at CERN",
        "Upgrading the undercloud",
        "Meeting notes from the summit",
    );

    // By page, in the browser.
    let (review, url) = start_review(&page_dir, &[]);
    let browser = Browser::start(&root.path().join("chromium"));
    browser.go(&url);
    assert!(browser.text("h1").contains("RDO blogs"), "the page opened");
    browser.submit(&format!("#post-{} button.leave-out", key(out)));
    assert!(browser
        .text(&format!("#post-{}", key(out)))
        .contains("left out"));
    browser.click(&format!("#post-{} details.edit summary", key(edit)));
    browser.fill(
        &format!("#post-{} textarea[name=summary]", key(edit)),
        NEW_SUMMARY,
    );
    browser.submit(&format!("#post-{} button.save", key(edit)));
    browser.submit(&format!("#post-{} button.up", key(up)));
    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("review-page.png");
    browser.screenshot(&shot);
    eprintln!("screenshot of the review page: {}", shot.display());
    browser.go(&format!("{url}preview"));
    assert!(browser.text("#preview-html").contains(NEW_SUMMARY));
    browser.go(&url);
    browser.submit("#publish");
    let said = browser.text("#message");
    assert!(said.contains("Published 3 posts"), "{said}");
    drop(browser);
    stop(review);

    // By hand, in the file.
    let file = draft_file(&file_dir);
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, edit_by_hand(&text, out, edit, up)).unwrap();
    ok(roundup(&file_dir, &["publish", file.to_str().unwrap()]));

    let by_page = std::fs::read_to_string(draft_file(&page_dir)).unwrap();
    let by_hand = std::fs::read_to_string(&file).unwrap();
    assert_eq!(by_page, by_hand, "the published markdown");
    assert_eq!(states(&page_dir), states(&file_dir), "the items' states");
    // The stored item keeps what the feed said.
    assert!(states(&page_dir).iter().all(|(_, _, s)| s != NEW_SUMMARY));
    // And the next draft, once a new post arrives.
    for dir in [&page_dir, &file_dir] {
        let more = feed.replace(
            "</channel>",
            &format!(
                "<item><title>A new post</title><link>https://blog.example/new/</link><pubDate>{}</pubDate><description>Posted after the roundup went out, and long enough to count.</description></item></channel>",
                chrono::Utc::now().to_rfc2822()
            ),
        );
        std::fs::write(dir.join("feed.xml"), more).unwrap();
    }
    let next = |dir: &Path| stable(&ok(roundup(dir, &["draft", "--out", "-"])));
    let next_page = next(&page_dir);
    assert_eq!(next_page, next(&file_dir), "the next draft");
    assert!(
        next_page.contains("A new post") && !next_page.contains(out),
        "{next_page}"
    );
}

#[test]
fn the_review_page_refuses_changes_from_elsewhere_and_listens_on_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    draft_of_four_new_posts(dir);

    let remote = roundup(dir, &["review", "--listen", "0.0.0.0:0"]);
    let err = String::from_utf8_lossy(&remote.stderr);
    assert_eq!(remote.status.code(), Some(1), "{err}");
    assert!(
        err.contains("loopback only") && err.contains("--allow-remote"),
        "{err}"
    );

    let (review, url) = start_review(dir, &[]);
    let http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = http.get(&url).send().unwrap().text().unwrap();
    let token = page
        .split("name=\"token\" value=\"")
        .nth(1)
        .map(|t| &t[..t.find('"').unwrap()])
        .unwrap()
        .to_owned();
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    let same_origin = format!("http://{host}");
    let cases = [
        ("", None, 403),
        ("wrong", None, 403),
        (token.as_str(), Some("http://evil.example"), 403),
        (token.as_str(), Some(same_origin.as_str()), 200),
    ];
    for (t, origin, status) in cases {
        let mut req = http
            .post(format!("{url}publish"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(format!("token={t}"));
        if let Some(o) = origin {
            req = req.header("Origin", o);
        }
        let r = req.send().unwrap();
        assert_eq!(
            r.status().as_u16(),
            status,
            "token {t:?}, origin {origin:?}"
        );
    }
    stop(review);
    // Only the last request published.
    let items: Vec<Value> = serde_json::from_str(&ok(roundup(dir, &["items", "--json"]))).unwrap();
    assert!(items.iter().all(|i| i["state"] == "published"), "{items:?}");
}

/// What an editor met trying the page: page edits must outlive a redraft of the same roundup,
/// an empty title keeps the feed's, a form without its token is refused as such, and a publish
/// with every post left out is refused without touching the file.
#[test]
fn page_edits_outlive_a_redraft_and_a_refused_publish_leaves_the_file_alone() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    draft_of_four_new_posts(dir);

    let http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let open = || {
        let (review, url) = start_review(dir, &[]);
        let page = http.get(&url).send().unwrap().text().unwrap();
        let token = page
            .split("name=\"token\" value=\"")
            .nth(1)
            .map(|t| t[..t.find('"').unwrap()].to_owned())
            .unwrap();
        (review, url, page, token)
    };
    let post = |url: &str, path: &str, body: String| {
        http.post(format!("{url}{path}"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .unwrap()
    };
    let (review, url, page, token) = open();
    let keys: Vec<String> = page
        .split("id=\"post-")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].to_owned())
        .collect();
    assert_eq!(keys.len(), 4, "{page}");
    let r = post(
        &url,
        &format!("post/{}", keys[0]),
        "action=leave_out".into(),
    );
    assert_eq!(r.status().as_u16(), 403);
    assert!(r.text().unwrap().contains("missing token"));
    let r = post(
        &url,
        &format!("post/{}", keys[0]),
        format!("token={token}&action=leave_out"),
    );
    assert_eq!(r.status().as_u16(), 303);
    let r = post(
        &url,
        &format!("post/{}", keys[1]),
        format!("token={token}&action=edit&title=+&author=Ann+Editor&summary=Short."),
    );
    assert_eq!(r.status().as_u16(), 303);
    stop(review);

    // The same roundup drafted again the same day: the file is replaced, the page's edits stay.
    ok(roundup(dir, &["draft"]));
    let (review, url, page, token) = open();
    let card = |key: &str| {
        let at = page.find(&format!("id=\"post-{key}\"")).unwrap();
        let start = page[..at].rfind("<article").unwrap();
        let end = at + page[at..].find("</article>").unwrap();
        page[start..end].to_owned()
    };
    assert!(card(&keys[0]).contains("left-out"), "{}", card(&keys[0]));
    let edited = card(&keys[1]);
    assert!(
        edited.contains("Ann Editor") && edited.contains("Short."),
        "{edited}"
    );
    assert!(!edited.contains("value=\" \""), "an empty title: {edited}");
    let preview = http
        .get(format!("{url}download"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(!preview.contains("****"), "{preview}");

    // Every post left out: publishing is refused and the file stays as it was.
    for key in &keys[1..] {
        let r = post(
            &url,
            &format!("post/{key}"),
            format!("token={token}&action=leave_out"),
        );
        assert_eq!(r.status().as_u16(), 303);
    }
    let file = draft_file(dir);
    let before = std::fs::read(&file).unwrap();
    let r = post(&url, "publish", format!("token={token}"));
    let said = r.text().unwrap();
    assert!(said.contains("every post is left out"), "{said}");
    assert_eq!(std::fs::read(&file).unwrap(), before);
    stop(review);
    let items: Vec<Value> = serde_json::from_str(&ok(roundup(dir, &["items", "--json"]))).unwrap();
    assert!(items.iter().all(|i| i["state"] == "unseen"), "{items:?}");
}
