//! What a user reads: `-q` prints only errors, messages name local files as files, causes are
//! said once, no colour codes in a pipe, the `sources` table shows the next check.

mod common;

use std::path::Path;
use std::process::Output;

fn texts(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

const FEED: &str = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Blog</title>\
    <link>https://blog.example/</link><item><title>A post</title><link>https://blog.example/1</link>\
    <pubDate>Mon, 02 May 2016 10:00:00 +0000</pubDate><description>Words about it.</description></item>\
    </channel></rss>";

/// A config with one good `file:` source and, when `broken`, an empty file and a missing one.
fn setup(dir: &Path, broken: bool) {
    std::fs::write(dir.join("good.xml"), FEED).unwrap();
    std::fs::write(dir.join("empty.xml"), "").unwrap();
    let mut cfg = String::from(
        "[store]\npath = \"db\"\n[roundup]\nsince = \"2016-04-01\"\n\
         [[source]]\nname = \"Good\"\nurl = \"file:good.xml\"\n",
    );
    if broken {
        cfg.push_str(
            "[[source]]\nname = \"Empty\"\nurl = \"file:empty.xml\"\n\
             [[source]]\nname = \"Missing\"\nurl = \"file:missing.xml\"\n",
        );
    }
    std::fs::write(dir.join("roundup.toml"), cfg).unwrap();
}

#[test]
fn quiet_prints_only_errors() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), false);
    let o = common::run(dir.path(), &["-c", "roundup.toml", "-q", "poll"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(texts(&o), (String::new(), String::new()));
    let o = common::run(dir.path(), &["-c", "roundup.toml", "-q", "draft"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(texts(&o), (String::new(), String::new()));
    // A draft asked for on standard output is the product, not a report: -q keeps it.
    let o = common::run(
        dir.path(),
        &["-c", "roundup.toml", "-q", "draft", "--out", "-"],
    );
    let (out, err) = texts(&o);
    assert!(out.contains("**A post**") && err.is_empty(), "{out}{err}");

    setup(dir.path(), true);
    let o = common::run(dir.path(), &["-c", "roundup.toml", "-q", "poll"]);
    let (out, err) = texts(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(out.is_empty(), "{out}");
    assert_eq!(err.lines().count(), 2, "one line per failing source: {err}");
    assert!(err.lines().all(|l| l.starts_with("error: ")), "{err}");
}

#[test]
fn messages_name_files_as_files_and_causes_once() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), true);
    let o = common::run(dir.path(), &["-c", "roundup.toml", "-v", "poll"]);
    let (out, err) = texts(&o);
    let empty = out.lines().find(|l| l.contains("Empty")).unwrap();
    assert!(empty.contains("the file holds nothing"), "{out}");
    assert!(!out.contains("server"), "a local file has no server: {out}");
    assert!(
        !err.contains('\u{1b}'),
        "no colour codes in a pipe: {err:?}"
    );

    let o = common::run(dir.path(), &["-c", "roundup.toml", "sources"]);
    let (out, _) = texts(&o);
    assert_eq!(o.status.code(), Some(2), "sources failing: {out}");
    let missing = out.lines().find(|l| l.contains("Missing")).unwrap();
    assert!(missing.contains("next check"), "{out}");
    let good = out.lines().find(|l| l.contains("Good")).unwrap();
    assert!(!good.contains("next check"), "due at every poll: {out}");

    let o = common::run(dir.path(), &["-c", "roundup.toml", "publish", "nope.md"]);
    let (_, err) = texts(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(err.contains("nope.md"), "{err}");
    assert_eq!(
        err.matches("os error 2").count(),
        1,
        "the cause once: {err}"
    );
}

#[test]
fn check_shows_what_each_item_would_be_without_storing() {
    let dir = tempfile::tempdir().unwrap();
    let page = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/html/team-blog-relative-dates.html");
    std::fs::write(
        dir.path().join("roundup.toml"),
        format!(
            "[store]\npath = \"db\"\n\n[[source]]\nname = \"Cloud team\"\nurl = \"file://{}\"\n\
             kind = \"html\"\nitem = \"article.card\"\ntitle = \".card-title\"\nlink = \".card-title a\"\n\
             summary = \".excerpt\"\nauthor_selector = \".byline\"\ndate = \".when\"\n",
            page.display()
        ),
    )
    .unwrap();
    let o = common::run(dir.path(), &["-c", "roundup.toml", "check"]);
    let (out, err) = texts(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(out.contains("3 items, 1 without a date"), "{out}");
    assert!(
        out.contains("title:   Ironic: booting from a volume\n  author:  Julia Kreger"),
        "{out}"
    );
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    assert!(out.contains(&format!("date:    {yesterday}")), "{out}");
    assert!(
        out.contains("date:    none found (it would be dated when first seen)"),
        "{out}"
    );
    assert!(!dir.path().join("db").exists(), "check stores nothing");

    // A poll says the same about the undated post.
    let o = common::run(dir.path(), &["-c", "roundup.toml", "poll"]);
    let (out, _) = texts(&o);
    assert!(
        out.contains("1 without a date (dated when first seen)"),
        "{out}"
    );

    let o = common::run(dir.path(), &["-c", "roundup.toml", "check", "Nobody"]);
    let (_, err) = texts(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err.contains("no source is named \"Nobody\"") && err.contains("Cloud team"),
        "{err}"
    );
}

#[test]
fn a_loosened_filter_brings_back_the_posts_it_left_out() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), false);
    let config = std::fs::read_to_string(dir.path().join("roundup.toml")).unwrap();
    let filtered = config.replace(
        "[[source]]\nname = \"Good\"",
        "[filters]\nexclude_title = \"^A post\"\n[[source]]\nname = \"Good\"",
    );
    std::fs::write(dir.path().join("roundup.toml"), &filtered).unwrap();
    let o = common::run(dir.path(), &["-c", "roundup.toml", "poll"]);
    assert!(
        texts(&o).0.contains("0 new, 0 items, 1 filtered out"),
        "{:?}",
        texts(&o)
    );
    // The filter goes; the file has not changed, yet the post comes.
    std::fs::write(dir.path().join("roundup.toml"), &config).unwrap();
    let o = common::run(dir.path(), &["-c", "roundup.toml", "poll"]);
    assert!(texts(&o).0.contains("1 new, 1 item"), "{:?}", texts(&o));
}

#[test]
fn html_selectors_that_match_nothing_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let page = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/html/team-blog-relative-dates.html");
    let source = |name: &str, item: &str, title: &str, link: &str| {
        format!(
            "\n[[source]]\nname = \"{name}\"\nurl = \"file://{}\"\nkind = \"html\"\nitem = \"{item}\"\n\
             title = \"{title}\"\nlink = \"{link}\"\nsummary = \".excerpt\"\n",
            page.display()
        )
    };
    // Two sources may read one page, with different item selectors.
    let config = format!(
        "[store]\npath = \"db\"\n{}{}",
        source("No links", "article.card", ".card-title", "h4"),
        source("No titles", "main", "h5", ".card-title a"),
    );
    std::fs::write(dir.path().join("roundup.toml"), config).unwrap();
    let o = common::run(dir.path(), &["-c", "roundup.toml", "poll"]);
    let (out, err) = texts(&o);
    assert_eq!(o.status.code(), Some(2), "{out}{err}");
    let no_links = out.lines().find(|l| l.contains("No links")).unwrap();
    assert!(
        no_links.starts_with("FAILED")
            && no_links.contains("none of its 3 entries could be used")
            && no_links.contains("`link` selector"),
        "{out}"
    );
    let no_titles = out.lines().find(|l| l.contains("No titles")).unwrap();
    assert!(no_titles.contains("1 without a title"), "{out}");
    // check finds a source whatever the case of its name, and fails with it.
    let o = common::run(dir.path(), &["-c", "roundup.toml", "check", "no links"]);
    let (out, _) = texts(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(
        out.contains("FAILED: none of its 3 entries could be used"),
        "{out}"
    );
}
