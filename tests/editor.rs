//! The editor's loop as editors really work, with the real binary and a feed server that
//! changes between polls: edit the draft by hand (add a line, delete, comment out, change a link
//! or the date, add a post), draft again, publish, draft again, from another folder.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};

use axum::extract::Path as UrlPath;
use axum::routing::get;
use axum::Router;
use chrono::{Duration, Utc};

/// One post of a test feed: its number and how many days ago it was published.
type Post = (u32, i64);

fn rss(blog: &str, posts: &[Post]) -> String {
    let now = Utc::now();
    let items: String = posts
        .iter()
        .map(|(n, days)| {
            let date = (now - Duration::days(*days) - Duration::hours(1)).to_rfc2822();
            format!(
                "<item><title>{blog} post {n}</title><link>https://{blog}.example/{n}/a_post/</link>\
                 <guid>https://{blog}.example/?p={n}</guid><pubDate>{date}</pubDate>\
                 <description>&lt;p&gt;The first paragraph of {blog} post {n} says what it is about.&lt;/p&gt;</description></item>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>{blog}</title>\
         <link>https://{blog}.example/</link>{items}</channel></rss>"
    )
}

/// A community: a folder with a config, and a feed server whose feeds the test changes.
struct Desk {
    dir: tempfile::TempDir,
    addr: std::net::SocketAddr,
    feeds: Arc<Mutex<HashMap<String, String>>>,
}

impl Desk {
    /// Serves `blogs` (each with its posts) and writes `roundup.toml` naming them.
    async fn new(blogs: &[(&str, &[Post])], extra: &str) -> Desk {
        let feeds: Arc<Mutex<HashMap<String, String>>> = Arc::default();
        let served = feeds.clone();
        let app = Router::new().route(
            "/{blog}",
            get(move |UrlPath(blog): UrlPath<String>| {
                let served = served.clone();
                async move {
                    served
                        .lock()
                        .unwrap()
                        .get(&blog)
                        .cloned()
                        .unwrap_or_default()
                }
            }),
        );
        let addr = common::serve(app).await;
        let desk = Desk {
            dir: tempfile::tempdir().unwrap(),
            addr,
            feeds,
        };
        let shortener = if extra.contains("[shortener]") {
            ""
        } else {
            "[shortener]\nkind = \"builtin\"\nbase_url = \"https://tm3.org/\"\nstart = \"6e\"\n"
        };
        let mut config = format!(
            "[store]\npath = \"state/db\"\n\n[roundup]\nsince = \"3w\"\n{extra}\n\n{shortener}"
        );
        for (blog, posts) in blogs {
            desk.set_feed(blog, posts);
            config.push_str(&desk.source(blog));
        }
        std::fs::write(desk.config(), config).unwrap();
        desk
    }

    fn source(&self, blog: &str) -> String {
        format!(
            "\n[[source]]\nname = \"{blog}\"\nurl = \"http://{}/{blog}\"\n",
            self.addr
        )
    }

    fn set_feed(&self, blog: &str, posts: &[Post]) {
        self.feeds
            .lock()
            .unwrap()
            .insert(blog.to_owned(), rss(blog, posts));
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("roundup.toml")
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap()
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path(name), text).unwrap();
    }

    async fn run(&self, args: &[&str]) -> Output {
        let args = [&["--config", "roundup.toml"], args].concat();
        common::roundup(self.dir.path(), &args).await
    }

    /// Runs a command that must succeed; its standard output and error.
    async fn ok(&self, args: &[&str]) -> (String, String) {
        let o = self.run(args).await;
        let (out, err) = texts(&o);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{args:?}\nstdout: {out}\nstderr: {err}"
        );
        (out, err)
    }

    async fn items(&self, state: &str) -> Vec<serde_json::Value> {
        let (out, _) = self.ok(&["items", "--json", "--state", state]).await;
        serde_json::from_str(&out).unwrap()
    }
}

fn texts(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The titles of the posts a draft lists, in order.
fn posts_in(draft: &str) -> Vec<String> {
    draft
        .lines()
        .filter_map(|l| l.strip_prefix("**"))
        .filter_map(|l| l.split("**").next())
        .map(str::to_owned)
        .collect()
}

/// The block of the post titled `title`: its title line through its "read more" line.
fn block(draft: &str, title: &str) -> (usize, usize) {
    let start = draft
        .find(&format!("**{title}**"))
        .unwrap_or_else(|| panic!("{title} in {draft}"));
    let more = start + draft[start..].find("read more at").expect("read more line");
    let end = more
        + draft[more..]
            .find('\n')
            .map_or(draft.len() - more, |i| i + 1);
    (start, end)
}

fn short_link_of(draft: &str, title: &str) -> String {
    let (start, end) = block(draft, title);
    let b = &draft[start..end];
    let at = b.find("read more at [").unwrap() + "read more at [".len();
    b[at..at + b[at..].find(']').unwrap()].to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redraft_never_overwrites_the_editors_edits() {
    let desk = Desk::new(&[("blog", &[(1, 2), (2, 1)])], "").await;
    desk.ok(&["draft", "--out", "draft.md"]).await;
    let first = desk.read("draft.md");
    assert_eq!(posts_in(&first), ["blog post 1", "blog post 2"]);

    // Untouched, it is roundup's own: a redraft replaces it, under the same draft id.
    desk.ok(&["draft", "--out", "draft.md"]).await;
    let again = desk.read("draft.md");
    assert_eq!(
        first.lines().find(|l| l.starts_with("roundup_draft:")),
        again.lines().find(|l| l.starts_with("roundup_draft:"))
    );

    // The editor adds a line; the same-day redraft keeps it and says so.
    let edited = again.replacen(
        "\n\n**blog post 1**",
        "\n\nA word from the editor.\n\n**blog post 1**",
        1,
    );
    desk.write("draft.md", &edited);
    let (out, err) = desk.ok(&["draft", "--out", "draft.md"]).await;
    assert_eq!(desk.read("draft.md"), edited, "{err}");
    assert!(out.trim().ends_with("draft.md"), "{out}");
    assert!(err.contains("your edits"), "{err}");

    // A new post arrives: it goes in after the last post, and every edit stays.
    desk.set_feed("blog", &[(1, 2), (2, 1), (3, 0)]);
    let (_, err) = desk.ok(&["draft", "--out", "draft.md"]).await;
    let merged = desk.read("draft.md");
    assert!(err.contains("1 post that arrived since"), "{err}");
    assert!(merged.contains("A word from the editor."), "{merged}");
    assert_eq!(
        posts_in(&merged),
        ["blog post 1", "blog post 2", "blog post 3"]
    );
    assert!(merged.starts_with(&edited[..block(&edited, "blog post 2").1]));

    // Once roundup has added to the editor's file it is still the editor's: a redraft with
    // nothing new leaves it exactly as it is.
    let (_, err) = desk.ok(&["draft", "--out", "draft.md"]).await;
    assert_eq!(desk.read("draft.md"), merged, "{err}");

    // --force replaces it, keeping what was there.
    let (_, err) = desk.ok(&["draft", "--out", "draft.md", "--force"]).await;
    assert!(err.contains("draft.md.bak"), "{err}");
    assert_eq!(desk.read("draft.md.bak"), merged);
    assert!(!desk.read("draft.md").contains("A word from the editor."));
}

#[tokio::test(flavor = "multi_thread")]
async fn after_a_publish_only_what_is_new_comes_back() {
    // 40 posts 18 days apart: a three-week window holds two.
    let archive: Vec<Post> = (0..40).map(|n| (40 - n, 1 + 18 * i64::from(n))).collect();
    let desk = Desk::new(&[("blog", &archive)], "").await;
    desk.ok(&["draft", "--out", "first.md"]).await;
    assert_eq!(
        posts_in(&desk.read("first.md")),
        ["blog post 39", "blog post 40"]
    );
    let (out, _) = desk.ok(&["publish", "first.md"]).await;
    assert!(out.contains("published 2 items, skipped 0"), "{out}");

    // Drafting at once: nothing is new, and nothing from the archive comes back.
    let (_, err) = desk.ok(&["draft", "--no-poll", "--out", "second.md"]).await;
    assert!(err.contains("nothing new"), "{err}");
    assert!(posts_in(&desk.read("second.md")).is_empty());
    // The published file is never written over: the draft goes beside it.
    let (out, err) = desk.ok(&["draft", "--no-poll", "--out", "first.md"]).await;
    assert!(out.trim().ends_with("first-2.md"), "{out}");
    assert!(err.contains("was published"), "{err}");
    // Drafting again goes on with that one rather than piling up first-3.md, first-4.md...
    let (out, _) = desk.ok(&["draft", "--no-poll", "--out", "first.md"]).await;
    assert!(out.trim().ends_with("first-2.md"), "{out}");

    // A new post afterwards: exactly that post.
    let mut more = archive.clone();
    more.push((41, 0));
    desk.set_feed("blog", &more);
    desk.ok(&["draft", "--out", "third.md"]).await;
    assert_eq!(posts_in(&desk.read("third.md")), ["blog post 41"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_front_matter_date_moved_ahead_drops_no_new_post() {
    let desk = Desk::new(&[("blog", &[(1, 3)])], "").await;
    desk.ok(&["draft", "--out", "first.md"]).await;
    let draft = desk.read("first.md");
    let ahead = (Utc::now() + Duration::days(7)).format("%Y-%m-%d 09:00:00 UTC");
    let edited: String = draft
        .lines()
        .map(|l| {
            if l.starts_with("date:") {
                format!("date: {ahead}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    desk.write("first.md", &edited);
    desk.ok(&["publish", "first.md"]).await;
    desk.set_feed("blog", &[(1, 3), (2, 0)]);
    desk.ok(&["draft", "--out", "next.md"]).await;
    assert_eq!(posts_in(&desk.read("next.md")), ["blog post 2"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_foreign_or_emptied_file_is_refused_and_records_nothing() {
    let desk = Desk::new(&[("blog", &[(1, 2), (2, 1)])], "").await;
    desk.ok(&["draft", "--out", "ours.md"]).await;
    // Another community's roundup, drafted with another config and store.
    let other = Desk::new(&[("elsewhere", &[(7, 1)])], "").await;
    other.ok(&["draft", "--out", "theirs.md"]).await;
    desk.write("theirs.md", &other.read("theirs.md"));

    let o = desk.run(&["publish", "theirs.md"]).await;
    let (_, err) = texts(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("theirs.md") && err.contains("another config or store"),
        "{err}"
    );

    // The editor emptied the body of our own draft.
    let ours = desk.read("ours.md");
    let front = &ours[..ours[4..].find("\n---\n").unwrap() + 9];
    desk.write("ours.md", &format!("{front}\nNothing this week.\n"));
    let o = desk.run(&["publish", "ours.md"]).await;
    let (_, err) = texts(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("none of the 2 posts"), "{err}");

    // Nothing was recorded: no state changed, and the window did not move.
    assert!(desk.items("published").await.is_empty());
    assert!(desk.items("skipped").await.is_empty());
    desk.ok(&["draft", "--no-poll", "--out", "again.md"]).await;
    assert_eq!(
        posts_in(&desk.read("again.md")),
        ["blog post 1", "blog post 2"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn publish_reads_the_file_as_the_editor_means_it() {
    let desk = Desk::new(&[("blog", &[(1, 5), (2, 4), (3, 3), (4, 2)])], "").await;
    desk.ok(&["draft", "--out", "d.md"]).await;
    let draft = desk.read("d.md");
    // Post 1 commented out; post 2's short link edited to https; post 3's "read more" line
    // removed, its title kept; post 4 untouched; a post from elsewhere added by hand.
    let (s1, e1) = block(&draft, "blog post 1");
    let mut edited = format!(
        "{}<!--\n{}-->\n{}",
        &draft[..s1],
        &draft[s1..e1],
        &draft[e1..]
    );
    let link2 = short_link_of(&edited, "blog post 2");
    edited = edited.replace(
        &format!("[{link2}]({link2})"),
        &format!("[{0}]({0})", link2.replace("http://", "https://")),
    );
    let (s3, e3) = block(&edited, "blog post 3");
    let without_more = edited[s3..e3]
        .lines()
        .filter(|l| !l.contains("read more at"))
        .collect::<Vec<_>>()
        .join("\n");
    edited = format!("{}{without_more}\n{}", &edited[..s3], &edited[e3..]);
    edited.push_str(
        "\n**A friend's post about RDO** by A Friend\n\n\
         ... read more at [https://friend.example/rdo/](https://friend.example/rdo/)\n",
    );
    desk.write("d.md", &edited);

    let (out, _) = desk.ok(&["publish", "d.md"]).await;
    assert!(out.contains("skipped 1"), "{out}");
    assert!(
        out.contains("added by hand, recorded as published: A friend's post about RDO"),
        "{out}"
    );
    let published: Vec<String> = desk
        .items("published")
        .await
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        published,
        [
            "blog post 2",
            "blog post 3",
            "blog post 4",
            "A friend's post about RDO"
        ]
    );
    let skipped = desk.items("skipped").await;
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0]["title"], "blog post 1");

    // The editor takes post 4 out after all and publishes the file again: its state follows.
    let (s4, e4) = block(&edited, "blog post 4");
    let edited = format!("{}{}", &edited[..s4], &edited[e4..]);
    desk.write("d.md", &edited);
    let (out, _) = desk.ok(&["publish", "d.md"]).await;
    assert!(out.contains("published 0 items, skipped 1"), "{out}");
    let skipped = desk.items("skipped").await;
    assert_eq!(skipped.len(), 2);
    assert_eq!(skipped[1]["title"], "blog post 4");

    // The friend's feed joins the config and delivers that post (by http, no slash): it is not
    // listed again.
    desk.set_feed("friend", &[(9, 0)]);
    let mut config = std::fs::read_to_string(desk.config()).unwrap();
    config.push_str(&desk.source("friend"));
    std::fs::write(desk.config(), config).unwrap();
    desk.feeds.lock().unwrap().insert(
        "friend".into(),
        rss("friend", &[(9, 0)]).replace(
            "https://friend.example/9/a_post/",
            "http://friend.example/rdo",
        ),
    );
    desk.ok(&["draft", "--out", "next.md"]).await;
    assert!(
        posts_in(&desk.read("next.md")).is_empty(),
        "{}",
        desk.read("next.md")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn skip_takes_a_short_link_or_a_key_prefix_and_spares_published_posts() {
    let desk = Desk::new(&[("blog", &[(1, 3), (2, 2), (3, 1)])], "").await;
    desk.ok(&["draft", "--out", "d.md"]).await;
    let draft = desk.read("d.md");

    // The short link as the draft printed it.
    let link1 = short_link_of(&draft, "blog post 1");
    desk.ok(&["skip", &link1]).await;
    // The shortest start of post 2's key that no other key shares.
    let all = desk.items("all").await;
    let keys: Vec<&str> = all.iter().map(|i| i["key"].as_str().unwrap()).collect();
    let key2 = all.iter().find(|i| i["title"] == "blog post 2").unwrap()["key"]
        .as_str()
        .unwrap();
    let prefix = (1..=key2.len())
        .map(|n| &key2[..n])
        .find(|p| keys.iter().filter(|k| k.starts_with(p)).count() == 1)
        .unwrap();
    desk.ok(&["skip", prefix]).await;
    let skipped: Vec<String> = desk
        .items("skipped")
        .await
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(skipped, ["blog post 1", "blog post 2"]);

    // Unskipped, a post is back in the next draft whatever its date.
    desk.ok(&["unskip", &link1]).await;
    desk.ok(&["draft", "--no-poll", "--out", "next.md"]).await;
    assert_eq!(
        posts_in(&desk.read("next.md")),
        ["blog post 1", "blog post 3"]
    );

    // Published: not skipped without --force.
    let (s1, e1) = block(&draft, "blog post 1");
    let without1 = format!("{}{}", &draft[..s1], &draft[e1..]);
    let (s2, e2) = block(&without1, "blog post 2");
    desk.write("d.md", &format!("{}{}", &without1[..s2], &without1[e2..]));
    desk.ok(&["publish", "d.md"]).await;
    let link3 = short_link_of(&draft, "blog post 3");
    let o = desk.run(&["skip", &link3]).await;
    let (_, err) = texts(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(desk.items("published").await.len(), 1);
    desk.ok(&["skip", "--force", &link3]).await;
    assert!(desk.items("published").await.is_empty());
    // An empty argument (a shell variable that was not set) is said to be one.
    let o = desk.run(&["skip", ""]).await;
    let (_, err) = texts(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("an empty argument names no item"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_post_skipped_after_the_draft_was_edited_is_pointed_out() {
    let desk = Desk::new(&[("blog", &[(1, 3), (2, 2)])], "").await;
    desk.ok(&["draft", "--out", "d.md"]).await;
    let draft = desk.read("d.md");
    desk.write("d.md", &format!("{draft}\nThanks to everyone who wrote.\n"));
    desk.ok(&["skip", &short_link_of(&draft, "blog post 1")])
        .await;
    // The file is the editor's: left as it is, and told what it still shows.
    let (_, err) = desk.ok(&["draft", "--no-poll", "--out", "d.md"]).await;
    assert!(
        err.contains("still shows 1 post skipped since it was written (\"blog post 1\")"),
        "{err}"
    );
    assert!(desk.read("d.md").contains("Thanks to everyone"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_feed_added_after_a_roundup_brings_only_what_falls_in_the_window() {
    let desk = Desk::new(&[("blog", &[(1, 2)])], "").await;
    desk.ok(&["draft", "--out", "first.md"]).await;
    desk.ok(&["publish", "first.md"]).await;
    // Two years of archive, one post of them from two days ago.
    let archive: Vec<Post> = (0..40).map(|n| (n, 2 + 18 * i64::from(n))).collect();
    desk.set_feed("newcomer", &archive);
    let mut config = std::fs::read_to_string(desk.config()).unwrap();
    config.push_str(&desk.source("newcomer"));
    std::fs::write(desk.config(), config).unwrap();
    desk.ok(&["draft", "--out", "second.md"]).await;
    assert_eq!(posts_in(&desk.read("second.md")), ["newcomer post 0"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_relative_store_path_is_the_config_folders_from_anywhere() {
    let desk = Desk::new(&[("blog", &[(1, 2)])], "drafts_dir = \"drafts\"").await;
    let site = desk.path("site");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::rename(desk.config(), site.join("roundup.toml")).unwrap();
    let elsewhere = desk.path("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();

    let o = common::roundup(desk.dir.path(), &["-c", "site/roundup.toml", "draft"]).await;
    let (out, err) = texts(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        Path::new(out.trim()).starts_with("site/drafts"),
        "drafts go beside the config: {out}"
    );
    let o = common::roundup(&elsewhere, &["-c", "../site/roundup.toml", "items"]).await;
    let (out, _) = texts(&o);
    assert!(out.contains("1 item"), "{out}");
    assert!(
        std::fs::read_dir(&elsewhere).unwrap().next().is_none(),
        "no second store in the working folder"
    );
    assert!(site.join("state/db").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn with_full_links_an_unedited_draft_publishes_exactly_its_posts() {
    // No shortener: the draft shows each post's full link as text, markdown-escaped
    // (`a\\_post`), which must not read as a post added by hand.
    let desk = Desk::new(
        &[("blog", &[(1, 3), (2, 2)])],
        "\n[shortener]\nkind = \"none\"",
    )
    .await;
    desk.ok(&["draft", "--out", "d.md"]).await;
    assert!(
        desk.read("d.md").contains("a\\_post"),
        "{}",
        desk.read("d.md")
    );
    let (out, _) = desk.ok(&["publish", "d.md"]).await;
    assert!(out.contains("published 2 items, skipped 0"), "{out}");
    assert!(!out.contains("added by hand"), "{out}");
    assert_eq!(desk.items("all").await.len(), 2);

    // Publishing the very same file again changes nothing, not even an unskip made since.
    desk.ok(&["unskip", "--force", "https://blog.example/1/a_post/"])
        .await;
    let (out, _) = desk.ok(&["publish", "d.md"]).await;
    assert!(out.contains("nothing changed"), "{out}");
    assert_eq!(desk.items("unseen").await.len(), 1);
}
