//! The editor's round trip with the real binary and a feed server that changes between polls:
//! draft; delete two posts from the file; publish; the feed re-dates a published post and adds
//! new ones; draft again: only the new posts, with unchanged short links for those that return.

mod common;

use common::roundup;

use std::path::Path;
use std::process::Output;
use std::sync::{Arc, Mutex};

use axum::routing::get;
use axum::Router;

fn item(n: u32, day: u32) -> String {
    format!(
        "<item><title>Post number {n}</title><link>https://blog.example/{n}/</link><guid>https://blog.example/?p={n}</guid>\
         <dc:creator>jdoe</dc:creator><pubDate>{day:02} May 2016 10:00:00 +0000</pubDate>\
         <description>&lt;p&gt;The first paragraph of post {n} says what it is about.&lt;/p&gt;</description></item>"
    )
}

fn feed(items: &[(u32, u32)]) -> String {
    let body: String = items.iter().map(|(n, d)| item(*n, *d)).collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel>\
         <title>Blog</title><link>https://blog.example/</link>{body}</channel></rss>"
    )
}

fn ok(o: &Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The short link printed under the post titled `title`.
fn short_link_of(draft: &str, title: &str) -> Option<String> {
    let start = draft.find(&format!("**{title}**"))?;
    let rest = &draft[start..];
    let at = rest.find("read more at [")? + "read more at [".len();
    Some(rest[at..at + rest[at..].find(']')?].to_owned())
}

/// Deletes the block of the post titled `title` (from its title line to its read-more line).
fn delete_post(draft: &str, title: &str) -> String {
    let start = draft.find(&format!("**{title}**")).expect("post in draft");
    let end = start + draft[start..].find("read more at").expect("read more line");
    let end = end
        + draft[end..]
            .find('\n')
            .map(|i| i + 1)
            .unwrap_or(draft.len() - end);
    format!("{}{}", &draft[..start], &draft[end..])
}

#[tokio::test(flavor = "multi_thread")]
async fn draft_edit_publish_redate_draft_again() {
    let served = Arc::new(Mutex::new(feed(&[(1, 2), (2, 3), (3, 4), (4, 5), (5, 6)])));
    let s = served.clone();
    let app = Router::new().route(
        "/feed",
        get(move || {
            let s = s.clone();
            async move { s.lock().unwrap().clone() }
        }),
    );
    let addr = common::serve(app).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("roundup.toml"),
        format!(
            "[store]\npath = \"state/db\"\n\n[roundup]\nsince = \"2016-04-01\"\ntemplate = \"missing.hbs\"\n\n\
             [shortener]\nkind = \"builtin\"\nbase_url = \"https://tm3.org/\"\nstart = \"6e\"\n\n\
             [authors]\njdoe = \"Jane Doe\"\n\n[[source]]\nname = \"Blog\"\nurl = \"http://{addr}/feed\"\n"
        ),
    )
    .unwrap();
    let cfg = ["--config", "roundup.toml"];

    let first = roundup(
        dir.path(),
        &[&cfg[..], &["draft", "--out", "first.md"]].concat(),
    )
    .await;
    ok(&first);
    let draft = std::fs::read_to_string(dir.path().join("first.md")).unwrap();
    for n in 1..=5 {
        assert!(
            draft.contains(&format!("**Post number {n}** by Jane Doe")),
            "{draft}"
        );
    }
    let link3 = short_link_of(&draft, "Post number 3").unwrap();
    let link5 = short_link_of(&draft, "Post number 5").unwrap();

    // Drafting again without publishing gives the same post.
    ok(&roundup(
        dir.path(),
        &[&cfg[..], &["draft", "--no-poll", "--out", "again.md"]].concat(),
    )
    .await);
    let again = std::fs::read_to_string(dir.path().join("again.md")).unwrap();
    let strip_date = |s: &str| {
        s.lines()
            .filter(|l| !l.starts_with("date:") && !l.starts_with("roundup_draft:"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip_date(&draft), strip_date(&again));

    // The editor deletes posts 2 and 4 and publishes.
    let edited = delete_post(&delete_post(&draft, "Post number 2"), "Post number 4");
    std::fs::write(dir.path().join("first.md"), &edited).unwrap();
    let out = ok(&roundup(dir.path(), &[&cfg[..], &["publish", "first.md"]].concat()).await);
    assert!(out.contains("published 3 items, skipped 2"), "{out}");
    let out = ok(&roundup(dir.path(), &[&cfg[..], &["publish", "first.md"]].concat()).await);
    assert!(
        out.contains("nothing changed"),
        "publishing twice changes nothing: {out}"
    );

    let items: Vec<serde_json::Value> = serde_json::from_str(&ok(&roundup(
        dir.path(),
        &[&cfg[..], &["items", "--json", "--state", "published"]].concat(),
    )
    .await))
    .unwrap();
    assert_eq!(items.len(), 3);
    assert!(
        items.iter().all(|i| i["roundup"]["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("first.md"))),
        "{items:?}"
    );

    // The feed re-dates published post 1 and skipped post 2 to today, and adds posts 6 and 7.
    *served.lock().unwrap() = feed(&[(1, 28), (2, 28), (3, 4), (5, 6), (6, 20), (7, 21)]);
    let second = roundup(
        dir.path(),
        &[
            &cfg[..],
            &["draft", "--since", "2016-04-01", "--out", "second.md"],
        ]
        .concat(),
    )
    .await;
    ok(&second);
    let draft2 = std::fs::read_to_string(dir.path().join("second.md")).unwrap();
    for n in [1, 2, 3, 4, 5] {
        assert!(
            !draft2.contains(&format!("**Post number {n}**")),
            "post {n} came back: {draft2}"
        );
    }
    assert!(
        draft2.contains("**Post number 6**") && draft2.contains("**Post number 7**"),
        "{draft2}"
    );
    // Short codes continue the sequence: the published posts keep theirs.
    let link6 = short_link_of(&draft2, "Post number 6").unwrap();
    assert!(link6 != link3 && link6 != link5);
    let items: Vec<serde_json::Value> = serde_json::from_str(&ok(&roundup(
        dir.path(),
        &[&cfg[..], &["items", "--json"]].concat(),
    )
    .await))
    .unwrap();
    let short = |n: u32| {
        items
            .iter()
            .find(|i| i["link"] == format!("https://blog.example/{n}/"))
            .unwrap()["short_link"]
            .clone()
    };
    assert_eq!(short(3), link3.as_str());
    assert_eq!(short(5), link5.as_str());

    // Unskipping post 2 brings it back into the next draft with its short link unchanged.
    ok(&roundup(
        dir.path(),
        &[&cfg[..], &["unskip", "https://blog.example/2/"]].concat(),
    )
    .await);
    ok(&roundup(
        dir.path(),
        &[
            &cfg[..],
            &[
                "draft",
                "--no-poll",
                "--since",
                "2016-04-01",
                "--out",
                "third.md",
            ],
        ]
        .concat(),
    )
    .await);
    let draft3 = std::fs::read_to_string(dir.path().join("third.md")).unwrap();
    assert_eq!(
        short_link_of(&draft3, "Post number 2"),
        short_link_of(&draft, "Post number 2")
    );
    assert_eq!(short_link_of(&draft3, "Post number 6"), Some(link6));

    // An empty window still writes a valid post, and says so on the terminal.
    let empty = roundup(
        dir.path(),
        &[
            &cfg[..],
            &[
                "draft",
                "--no-poll",
                "--since",
                "2030-01-01",
                "--out",
                "empty.md",
            ],
        ]
        .concat(),
    )
    .await;
    ok(&empty);
    assert!(
        String::from_utf8_lossy(&empty.stderr).contains("nothing new since 2030-01-01"),
        "{}",
        String::from_utf8_lossy(&empty.stderr)
    );
    let text = std::fs::read_to_string(dir.path().join("empty.md")).unwrap();
    assert!(
        text.starts_with("---\n")
            && text.contains("published: false")
            && !text.contains("read more at"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_quick_start_writes_a_draft_with_no_network() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for sub in ["config", "templates"] {
        copy_dir(&root.join(sub), &dir.path().join(sub));
    }
    let out = roundup(dir.path(), &["--config", "config/demo.toml", "draft"]).await;
    let path = ok(&out);
    let draft = std::fs::read_to_string(dir.path().join(path.trim())).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("wrote drafts/"), "{stderr}");
    assert!(draft.starts_with("---\ntitle: "), "{draft}");
    assert!(draft.contains("published: false"));
    assert!(
        draft.contains("Additionally, there were the following:"),
        "the series list: {draft}"
    );
    assert!(
        !draft.contains("**RDO blogs over the last few weeks**"),
        "the community's own roundup is left out"
    );
    assert!(
        !draft.contains("appeared first on") && !draft.contains("[…]") && !draft.contains("&#"),
        "{draft}"
    );
    assert!(
        draft.contains("read more at [http://127.0.0.1:8080/6e](http://127.0.0.1:8080/6e)"),
        "{draft}"
    ); // Every sample feed gave posts, the Hugo one (relative links, no author) included.
    let out = roundup(
        dir.path(),
        &["--config", "config/demo.toml", "sources", "--json"],
    )
    .await;
    let sources: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sources.len(), 4);
    for s in &sources {
        assert!(s["items"].as_u64().unwrap() > 0, "{s}");
    }
    assert!(
        draft.contains(
            "**WeIRDO: running the upstream gate jobs on RDO packages** by David Moreau Simard"
        ),
        "{draft}"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
