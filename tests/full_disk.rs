//! A full disk, for real: the store and the drafts folder on small tmpfs mounts. Each command
//! gives one clear error naming what could not be written and what to do, corrupts nothing, and
//! the next run after space is freed completes.
//!
//! Mounting needs root, which CI has; run as another user, the test says it was skipped.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A tmpfs mounted at a folder, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(at).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status()
            .expect("run mount");
        assert!(status.success(), "mount a tmpfs at {}", at.display());
        Tmpfs(at.to_owned())
    }

    fn resize(&self, size: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(status.success(), "remount");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

fn feed(posts: usize) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Blog</title><link>https://blog.example/</link>",
    );
    let date = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc2822();
    for i in 0..posts {
        s.push_str(&format!(
            "<item><title>Post {i} of a blog that fills the disk</title><link>https://blog.example/{i}/</link>\
             <pubDate>{date}</pubDate><description>The first paragraph of post {i}, long enough to be \
             its summary, with more words to take up room in the store.</description></item>"
        ));
    }
    s + "</channel></rss>"
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// One error a person can act on: no Rust debug output, no sled log lines.
fn assert_one_clear_error(o: &Output, names: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains(names), "{err}");
    assert!(
        err.contains("the disk is full: free some space and run it again"),
        "{err}"
    );
    for noise in ["Os {", "StorageFull", "sled", "panicked", "DEBUG", "WARN"] {
        assert!(!err.contains(noise), "{noise} in: {err}");
    }
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn a_full_disk_gives_one_clear_error_and_the_next_run_completes() {
    if !is_root() {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let state = Tmpfs::mount(&dir.join("state"), "1m");
    let drafts = Tmpfs::mount(&dir.join("drafts"), "64k");
    std::fs::write(dir.join("feed.xml"), feed(3000)).unwrap();
    std::fs::write(
        dir.join("roundup.toml"),
        "[store]\npath = \"state/roundup.db\"\n\n[roundup]\nsince = \"1w\"\n\n[http]\nmax_items = 10000\n\n[[source]]\nname = \"Blog\"\nurl = \"file:feed.xml\"\n",
    )
    .unwrap();

    // The store's disk fills during the poll.
    let poll = common::run(dir, &["--config", "roundup.toml", "poll"]);
    assert_one_clear_error(&poll, "state/roundup.db");

    // Space freed: the store opens, the poll completes, every post is there once.
    state.resize("64m");
    let poll = common::run(dir, &["--config", "roundup.toml", "poll"]);
    assert_eq!(poll.status.code(), Some(0), "{}", stderr(&poll));
    let items = common::run(dir, &["--config", "roundup.toml", "items", "--json"]);
    let items: Vec<serde_json::Value> = serde_json::from_slice(&items.stdout).unwrap();
    assert_eq!(items.len(), 3000);
    let mut links: Vec<&str> = items.iter().map(|i| i["link"].as_str().unwrap()).collect();
    links.sort();
    links.dedup();
    assert_eq!(links.len(), 3000, "duplicates");

    // The drafts folder's disk is full: the draft is not written, half or whole.
    std::fs::write(dir.join("drafts/filler"), vec![0u8; 64 * 1024]).unwrap_or(());
    let draft = common::run(dir, &["--config", "roundup.toml", "draft", "--no-poll"]);
    assert_one_clear_error(&draft, "cannot write the draft");
    let left: Vec<_> = std::fs::read_dir(dir.join("drafts"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["filler"], "nothing half-written is left");

    // Space freed: the draft is written and publishes all 3000 posts.
    drafts.resize("16m");
    let draft = common::run(dir, &["--config", "roundup.toml", "draft", "--no-poll"]);
    assert_eq!(draft.status.code(), Some(0), "{}", stderr(&draft));
    let file = std::fs::read_dir(dir.join("drafts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "md"))
        .unwrap();
    let publish = common::run(
        dir,
        &[
            "--config",
            "roundup.toml",
            "publish",
            file.to_str().unwrap(),
        ],
    );
    let said = String::from_utf8_lossy(&publish.stdout);
    assert!(
        said.contains("published 3000 items"),
        "{said}{}",
        stderr(&publish)
    );
}
