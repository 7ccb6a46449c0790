//! `roundup import` as a user runs it: a Planet config.ini and an OPML file added to a config,
//! nothing duplicated, the result valid.

mod common;

use common::run as roundup;

#[test]
fn import_adds_sources_once_and_keeps_the_config_valid() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import");
    std::fs::write(
        dir.path().join("roundup.toml"),
        "# our feeds\n[store]\npath = \"state/db\"\n",
    )
    .unwrap();

    let out = roundup(
        dir.path(),
        &[
            "--config",
            "roundup.toml",
            "import",
            fixtures.join("planet-venus.ini").to_str().unwrap(),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.lines().any(|l| l.starts_with("added")), "{report}");
    let after_first = std::fs::read_to_string(dir.path().join("roundup.toml")).unwrap();
    assert!(
        after_first.starts_with("# our feeds\n"),
        "the user's text is kept"
    );

    // The same file again adds nothing.
    let out = roundup(
        dir.path(),
        &[
            "--config",
            "roundup.toml",
            "import",
            fixtures.join("planet-venus.ini").to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("0 sources added"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("roundup.toml")).unwrap(),
        after_first
    );

    let out = roundup(
        dir.path(),
        &[
            "--config",
            "roundup.toml",
            "import",
            fixtures.join("nested-outlines.opml").to_str().unwrap(),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // What import wrote is a config the other commands accept.
    let out = roundup(
        dir.path(),
        &["--config", "roundup.toml", "sources", "--json"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sources: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let mut urls: Vec<&str> = sources.iter().map(|s| s["url"].as_str().unwrap()).collect();
    let n = urls.len();
    urls.sort();
    urls.dedup();
    assert_eq!(urls.len(), n, "no source twice");
    assert!(n >= 3, "{sources:?}");

    let out = roundup(
        dir.path(),
        &["--config", "roundup.toml", "import", "Cargo.toml"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Cargo.toml"));
}

#[test]
fn two_sources_may_share_a_name_and_it_is_credited_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("people.opml"),
        "<?xml version=\"1.0\"?><opml version=\"2.0\"><body>\
         <outline text=\"Alice\" xmlUrl=\"https://work.example/feed\"/>\
         <outline text=\"Alice\" xmlUrl=\"https://home.example/feed\"/></body></opml>",
    )
    .unwrap();
    // Her work blog gives no author; her home blog is gone.
    std::fs::write(
        dir.path().join("alice-work.xml"),
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Work</title>\
         <link>https://work.example/</link><item><title>Quotas in Nova</title>\
         <link>https://work.example/quotas</link><pubDate>Mon, 02 May 2016 10:00:00 +0000</pubDate>\
         <description>How quotas are counted now, and why it changed.</description></item></channel></rss>",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("roundup.toml"),
        "[store]\npath = \"db\"\n[roundup]\nsince = \"2016-04-01\"\n",
    )
    .unwrap();
    let out = roundup(dir.path(), &["-c", "roundup.toml", "import", "people.opml"]);
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert!(!report.contains("(2)"), "no invented suffix: {report}");
    let config = std::fs::read_to_string(dir.path().join("roundup.toml")).unwrap();
    assert_eq!(config.matches("name = \"Alice\"").count(), 2, "{config}");
    // Read from local copies: the work feed, and a home feed that is gone.
    let config = config
        .replace("https://work.example/feed", "file:alice-work.xml")
        .replace("https://home.example/feed", "file:alice-home.xml");
    std::fs::write(dir.path().join("roundup.toml"), config).unwrap();

    let out = roundup(dir.path(), &["-c", "roundup.toml", "draft", "--out", "-"]);
    let draft = String::from_utf8_lossy(&out.stdout);
    assert!(draft.contains("**Quotas in Nova** by Alice\n"), "{draft}");
    // Each keeps its own health.
    let out = roundup(dir.path(), &["-c", "roundup.toml", "sources", "--json"]);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let statuses: Vec<&str> = rows.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["ok", "failed"]);
}
