//! `draft` and `publish` stopped dead at every point where a crash could split their work
//! (`ROUNDUP_CRASH_POINT` aborts the process there, as kill -9 would), and at random moments with
//! SIGKILL: after a restart the store opens, the draft file is the old one or the new one, never
//! half, the next draft neither loses nor repeats a post, and a publish happened or did not.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

fn rss(posts: usize) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Blog</title><link>https://blog.example/</link>",
    );
    for i in 0..posts {
        s.push_str(&format!(
            "<item><title>Post number {i}</title><link>https://blog.example/{i}/</link>\
             <pubDate>{}</pubDate>\
             <description>The first paragraph of post {i}, long enough to be its summary.</description></item>",
            (chrono::Utc::now() - chrono::Duration::minutes((posts - i) as i64)).to_rfc2822()
        ));
    }
    s + "</channel></rss>"
}

const CONFIG: &str = r#"[store]
path = "state/roundup.db"

[roundup]
since = "1w"

[[source]]
name = "Blog"
url = "file:feed.xml"
"#;

fn roundup(dir: &Path, args: &[&str]) -> Output {
    common::run(dir, &[&["--config", "roundup.toml"], args].concat())
}

/// `roundup` that stops dead at `point`.
fn roundup_crashing(dir: &Path, point: &str, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_roundup"))
        .args([&["--config", "roundup.toml"], args].concat())
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .env("ROUNDUP_CRASH_POINT", point)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        None,
        "{point}: it did not stop there: {out:?}"
    );
    out
}

fn ok(out: Output, what: &str) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// The post numbers a draft shows, in order.
fn posts(draft: &str) -> Vec<usize> {
    draft
        .lines()
        .filter_map(|l| l.strip_prefix("**Post number "))
        .map(|l| l[..l.find('*').unwrap()].parse().unwrap())
        .collect()
}

/// A store with a draft of 3 posts in `draft.md`, and 2 more posts polled since.
fn setup(dir: &Path) -> String {
    std::fs::write(dir.join("roundup.toml"), CONFIG).unwrap();
    std::fs::write(dir.join("feed.xml"), rss(3)).unwrap();
    ok(roundup(dir, &["draft", "--out", "draft.md"]), "first draft");
    std::fs::write(dir.join("feed.xml"), rss(5)).unwrap();
    ok(roundup(dir, &["poll"]), "poll");
    std::fs::read_to_string(dir.join("draft.md")).unwrap()
}

#[test]
fn a_draft_stopped_anywhere_leaves_file_and_record_in_step() {
    let base = tempfile::tempdir().unwrap();
    let old = setup(base.path());
    assert_eq!(posts(&old), [0, 1, 2]);
    // The same draft edited by the editor: the third post deleted.
    let edited = old.replace("**Post number 2**", "**Post number 2 (cut)**");
    let edited = edited[..edited.find("**Post number 2 (cut)**").unwrap()].to_owned();

    for point in ["draft-record-staged", "draft-file-written"] {
        for (case, file) in [("unedited", &old), ("edited", &edited)] {
            let work = tempfile::tempdir().unwrap();
            let dir = work.path();
            copy_dir(base.path(), dir);
            std::fs::write(dir.join("draft.md"), file).unwrap();
            roundup_crashing(dir, point, &["draft", "--no-poll", "--out", "draft.md"]);
            let after = std::fs::read_to_string(dir.join("draft.md")).unwrap();
            let shown = posts(&after);
            let whole = if case == "unedited" {
                vec![0, 1, 2, 3, 4]
            } else {
                vec![0, 1, 3, 4]
            };
            assert!(
                after == *file || shown == whole,
                "{point}, {case}: neither the old file nor the new one: {shown:?}"
            );
            // The next draft finishes the job: every post once, the editor's cut kept.
            ok(
                roundup(dir, &["draft", "--no-poll", "--out", "draft.md"]),
                "redraft",
            );
            let redrafted = std::fs::read_to_string(dir.join("draft.md")).unwrap();
            assert_eq!(posts(&redrafted), whole, "{point}, {case}:\n{redrafted}");
            assert!(
                !dir.join("draft-2.md").exists(),
                "{point}, {case}: a -2 file"
            );
            let published = ok(roundup(dir, &["publish", "draft.md"]), "publish");
            assert!(
                published.contains(&format!("published {} items", whole.len())),
                "{point}, {case}: {published}"
            );
        }
    }
}

/// The states of the stored posts, by post number.
fn states(dir: &Path) -> Vec<(String, String)> {
    let out = ok(roundup(dir, &["items", "--json"]), "items");
    let items: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let mut states: Vec<(String, String)> = items
        .iter()
        .map(|i| {
            (
                i["title"].as_str().unwrap().to_owned(),
                i["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    states.sort();
    states
}

#[test]
fn a_publish_stopped_anywhere_happened_or_did_not() {
    let base = tempfile::tempdir().unwrap();
    setup(base.path());
    // The editor keeps posts 0 and 2 and adds one by hand.
    let draft = std::fs::read_to_string(base.path().join("draft.md")).unwrap();
    let start = draft.find("**Post number 1**").unwrap();
    let end = draft.find("**Post number 2**").unwrap();
    let edited = format!(
        "{}{}**A post added by hand** by Ann\n\n... read more at [https://elsewhere.example/p](https://elsewhere.example/p)\n",
        &draft[..start],
        &draft[end..]
    );
    std::fs::write(base.path().join("draft.md"), &edited).unwrap();
    let before = states(base.path());

    // "archive-copied": the published posts are in the archive and still in the rest of the
    // store (a move to the archive stopped halfway).
    for point in [
        "publish-read",
        "publish-recorded",
        "archive-copied",
        "publish-flushed",
    ] {
        let work = tempfile::tempdir().unwrap();
        let dir = work.path();
        copy_dir(base.path(), dir);
        roundup_crashing(dir, point, &["publish", "draft.md"]);
        let after = states(dir);
        let published: Vec<&str> = after
            .iter()
            .filter(|(_, s)| s == "published")
            .map(|(t, _)| t.as_str())
            .collect();
        let all = ["A post added by hand", "Post number 0", "Post number 2"];
        assert!(
            after == before || published == all,
            "{point}: half a publish: {after:?}"
        );
        // Publishing again completes it, and the next draft brings back none of it.
        let again = ok(roundup(dir, &["publish", "draft.md"]), "publish again");
        assert!(again.contains("in \"RDO blogs"), "{again}");
        let published: Vec<(String, String)> = states(dir)
            .into_iter()
            .filter(|(_, s)| s == "published")
            .collect();
        assert_eq!(published.len(), 3, "{point}: {published:?}");
        let next = ok(
            roundup(dir, &["draft", "--no-poll", "--out", "next.md"]),
            "next draft",
        );
        let text = std::fs::read_to_string(dir.join("next.md")).unwrap();
        assert_eq!(posts(&text), [3, 4], "{point}: {next}\n{text}");
    }
}

/// A skipped post, already moved to the archive, taken back by `unskip` stopped dead after
/// it was copied back out of the archive and before the archive let it go, and a skip stopped
/// after the archive got it: each happened or did not, and doing it again finishes it.
#[test]
fn a_skip_or_unskip_stopped_between_the_two_stores_happened_or_did_not() {
    let base = tempfile::tempdir().unwrap();
    setup(base.path());
    let state = |dir: &Path| -> String {
        let found: Vec<(String, String)> = states(dir)
            .into_iter()
            .filter(|(t, _)| t == "Post number 1")
            .collect();
        assert_eq!(found.len(), 1, "one post, read once: {found:?}");
        found[0].1.clone()
    };
    let key = |dir: &Path| -> String {
        let out = ok(roundup(dir, &["items", "--json"]), "items");
        let items: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
        let it = items
            .iter()
            .find(|i| i["title"] == "Post number 1")
            .unwrap();
        it["key"].as_str().unwrap().to_owned()
    };
    let k = key(base.path());
    for (point, first, then) in [
        ("archive-copied", "skip", "unskip"),
        ("unarchive-copied", "unskip", "skip"),
    ] {
        let work = tempfile::tempdir().unwrap();
        let dir = work.path();
        copy_dir(base.path(), dir);
        if first == "unskip" {
            ok(roundup(dir, &["skip", &k]), "skip");
            assert_eq!(state(dir), "skipped");
        }
        let before = state(dir);
        roundup_crashing(dir, point, &[first, &k]);
        let after = state(dir);
        let done = if first == "skip" { "skipped" } else { "unseen" };
        assert!(after == before || after == done, "{point}: {after}");
        ok(roundup(dir, &[first, &k]), "again");
        assert_eq!(state(dir), done, "{point}");
        ok(roundup(dir, &[then, &k]), "and back");
        assert_ne!(state(dir), done, "{point}");
        let drafted = ok(
            roundup(dir, &["draft", "--no-poll", "--out", "next.md"]),
            "draft",
        );
        let text = std::fs::read_to_string(dir.join("next.md")).unwrap();
        let shows = posts(&text).contains(&1);
        assert_eq!(shows, then == "unskip", "{point}: {drafted}\n{text}");
    }
}

#[test]
fn sigkill_at_random_moments_of_draft_and_publish_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    std::fs::write(dir.join("roundup.toml"), CONFIG).unwrap();
    std::fs::write(dir.join("feed.xml"), rss(150)).unwrap();
    ok(roundup(dir, &["poll"]), "poll");
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    for round in 0..12 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let args: &[&str] = if round % 2 == 0 {
            &[
                "--config",
                "roundup.toml",
                "draft",
                "--no-poll",
                "--out",
                "draft.md",
            ]
        } else {
            &["--config", "roundup.toml", "publish", "draft.md"]
        };
        if round % 2 == 1 && !dir.join("draft.md").exists() {
            continue;
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_roundup"))
            .args(args)
            .current_dir(dir)
            .env_remove("RUST_LOG")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(seed % 120));
        let _ = child.kill();
        child.wait().unwrap();
        // The store opens and holds every post once; the draft, if any, is whole.
        let out = ok(roundup(dir, &["items", "--json"]), "items after a kill");
        let items: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
        assert_eq!(items.len(), 150, "round {round}");
        if let Ok(text) = std::fs::read_to_string(dir.join("draft.md")) {
            assert!(
                text.trim_end().ends_with(')') || text.contains("Nothing new"),
                "round {round}: half a draft:\n{text}"
            );
        }
    }
    // Whatever happened, a draft and a publish from here account for every post exactly once.
    ok(
        roundup(dir, &["draft", "--no-poll", "--out", "final.md", "--force"]),
        "final draft",
    );
    let text = std::fs::read_to_string(dir.join("final.md")).unwrap();
    if !posts(&text).is_empty() {
        ok(roundup(dir, &["publish", "final.md"]), "final publish");
    }
    let states = states(dir);
    let published = states.iter().filter(|(_, s)| s == "published").count();
    let unseen = states.iter().filter(|(_, s)| s == "unseen").count();
    assert_eq!(published + unseen, 150, "{states:?}");
    assert_eq!(unseen, 0, "every post was in a published draft:\n{text}");
}
