//! Configuration problems as a user meets them: whichever command reads the config, a problem
//! in it exits 3 and says what to change.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::run as roundup;

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The exit code of `roundup ARGS` in `dir`, which must end within a few seconds (a daemon that
/// starts is killed and fails the test).
fn code_within(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_roundup"))
        .args(args)
        .current_dir(dir)
        .env_remove("ROUNDUP_CONFIG")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run roundup");
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(10) {
            child.kill().unwrap();
            panic!("roundup {args:?} was still running after 10s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    (out.status.code(), stderr(&out))
}

#[test]
fn a_config_without_sources_is_refused_by_every_command_but_import() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("roundup.toml"),
        "[store]\npath = \"state/db\"\n[serve]\nlisten = \"127.0.0.1:0\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("d.md"), "# a draft\n").unwrap();
    for args in [
        &["poll"][..],
        &["draft", "--no-poll"],
        &["draft", "--out", "-"],
        &["items"],
        &["sources"],
        &["publish", "d.md"],
        &["skip", "abc"],
        &["unskip", "abc"],
        &["daemon"],
    ] {
        let all = [&["--config", "roundup.toml"][..], args].concat();
        let (code, err) = code_within(dir.path(), &all);
        assert_eq!(code, Some(3), "{args:?}: {err}");
        assert!(
            err.contains("roundup.toml has no sources")
                && err.contains("`roundup --config roundup.toml import FILE`")
                && err.contains("[[source]]\n  name = ")
                && err.contains("\n  url = "),
            "{args:?}: {err}"
        );
    }
    assert!(
        !dir.path().join("drafts").exists(),
        "no empty draft was written"
    );

    // `import` is how sources get there; then the commands run.
    let opml =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import/nested-outlines.opml");
    let out = roundup(
        dir.path(),
        &["--config", "roundup.toml", "import", opml.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = roundup(dir.path(), &["--config", "roundup.toml", "sources"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn one_bracket_source_tables_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("roundup.toml"),
        "[store]\npath = \"state/db\"\n\n[source]\nname = \"A\"\nurl = \"https://a.example/feed\"\n",
    )
    .unwrap();
    let out = roundup(dir.path(), &["--config", "roundup.toml", "sources"]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        stderr(&out),
        "error: roundup.toml:4: source: sources are an array of tables: write [[source]], with two brackets, above each source\n"
    );
}

/// A folder with a config whose one source is a local feed file, plus `extra` config text.
fn desk(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("feed.xml"),
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Blog</title>\
         <item><title>A post</title><link>https://blog.example/a</link>\
         <pubDate>Mon, 02 May 2016 10:00:00 +0000</pubDate>\
         <description>The first paragraph.</description></item></channel></rss>",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("roundup.toml"),
        format!(
            "[store]\npath = \"state/db\"\n\n[roundup]\nsince = \"2016-04-01\"\n{extra}\n\
             [[source]]\nname = \"Blog\"\nurl = \"file:feed.xml\"\n"
        ),
    )
    .unwrap();
    dir
}

#[test]
fn every_configuration_problem_exits_3_whichever_command_meets_it() {
    // A template that does not parse, under the command that reads it.
    let dir = desk("template = \"broken.hbs\"\n");
    std::fs::write(dir.path().join("broken.hbs"), "{{#each items}}\n{{title}\n").unwrap();
    let out = roundup(dir.path(), &["--config", "roundup.toml", "draft"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("broken.hbs line 2"), "{err}");

    // A template naming a field the draft does not have.
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/render/misspelt-field.md.hbs");
    let dir = desk(&format!("template = {:?}\n", fixture.to_str().unwrap()));
    let out = roundup(
        dir.path(),
        &["--config", "roundup.toml", "draft", "--out", "-"],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("misspelt-field.md.hbs line 6"), "{err}");

    // `draft --since` stands in for [roundup] since.
    let dir = desk("");
    let out = roundup(
        dir.path(),
        &["--config", "roundup.toml", "draft", "--since", "yesterday"],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("--since \"yesterday\" is not a date"), "{err}");

    // A value reqwest would refuse only when the client is built.
    let dir = desk("[http]\nuser_agent = \"two\\nlines\"\n");
    let out = roundup(dir.path(), &["--config", "roundup.toml", "poll"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("roundup.toml:7: http.user_agent"), "{err}");

    // `import` into a config that is not valid: nothing written.
    let dir = desk("");
    let bad = "[store]\npath =\n";
    std::fs::write(dir.path().join("roundup.toml"), bad).unwrap();
    let opml =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import/nested-outlines.opml");
    let out = roundup(
        dir.path(),
        &["--config", "roundup.toml", "import", opml.to_str().unwrap()],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("roundup.toml:2: string values must be quoted"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("roundup.toml")).unwrap(),
        bad
    );
}

#[test]
fn other_failures_still_exit_1() {
    let dir = desk("");
    // An import file that is neither OPML nor a Planet config.
    let out = roundup(
        dir.path(),
        &["--config", "roundup.toml", "import", "roundup.toml"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    // A draft that is not there.
    let out = roundup(
        dir.path(),
        &["--config", "roundup.toml", "publish", "missing.md"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    // The good config drafts.
    let out = roundup(
        dir.path(),
        &["--config", "roundup.toml", "draft", "--out", "-"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
