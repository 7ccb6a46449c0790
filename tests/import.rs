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
