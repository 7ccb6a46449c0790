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
