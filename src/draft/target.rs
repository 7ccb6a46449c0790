//! What a draft does to a file that is already there. No edit is ever lost: roundup replaces
//! only a file that is byte for byte what it last wrote there; a file an editor changed is
//! updated in place (every edit kept, posts that arrived since added after the last one); a
//! published file, or one roundup did not write, is left alone and the draft goes beside it.
//! `--force` replaces any of them, keeping a backup.

use std::path::{Path, PathBuf};

use super::read::{is_title_line, links};
use super::record::{self, DraftRecord};
use crate::extract::link::comparable;
use crate::store::{Store, StoreError};

/// What to do with a file.
#[derive(Debug)]
pub enum Action {
    /// Nothing there yet.
    Fresh,
    /// roundup's own file, unedited: replaced, under the same draft id.
    Replace(DraftRecord),
    /// Edited: posts that arrived since go in after the last post, nothing else changes.
    Merge { record: DraftRecord, text: String },
    /// `--force`: replaced; what was there is copied to `backup` first.
    Force { backup: PathBuf },
}

/// Where a draft goes and what it does there.
#[derive(Debug)]
pub struct Plan {
    pub path: PathBuf,
    pub action: Action,
    /// The file asked for, left alone, and why (published, or not roundup's).
    pub left_alone: Option<(PathBuf, String)>,
}

/// Decides what a draft written to `path` does, looking at the file and the store's records.
/// A file that must be left alone sends the draft to the first numbered name beside it that
/// is free or holds a draft of ours (`x-2.md`, `x-3.md`, ...), so drafting again goes on
/// updating that one.
pub fn plan(store: &Store, path: &Path, force: bool) -> Result<Plan, StoreError> {
    let (stem, ext) = split_name(path);
    let dir = path.parent().unwrap_or(Path::new(""));
    let mut left_alone = None;
    for n in 1.. {
        let candidate = match n {
            1 => path.to_owned(),
            n => dir.join(format!("{stem}-{n}{ext}")),
        };
        let action = match look(store, &candidate)? {
            // `--force` replaces the editor's file, a published one or a stranger's.
            Look::Use(Action::Merge { .. }) | Look::LeaveAlone(_) if force && n == 1 => {
                Action::Force {
                    backup: free_name(path, |n| match n {
                        1 => format!("{}.bak", file_name(path)),
                        n => format!("{}.bak.{n}", file_name(path)),
                    }),
                }
            }
            Look::Use(action) => action,
            Look::LeaveAlone(why) => {
                left_alone.get_or_insert((candidate, why));
                continue;
            }
        };
        return Ok(Plan {
            path: candidate,
            action,
            left_alone,
        });
    }
    unreachable!("some numbered name is free")
}

enum Look {
    Use(Action),
    LeaveAlone(String),
}

/// What a draft may do with the file at `path`.
fn look(store: &Store, path: &Path) -> Result<Look, StoreError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        // Missing, or unreadable: a write there fails the same way, and names the error.
        Err(_) => return Ok(Look::Use(Action::Fresh)),
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return Ok(Look::LeaveAlone("roundup did not write it".into()));
    };
    let Some(rec) = record::find(store, path, &text)? else {
        return Ok(Look::LeaveAlone(
            "roundup did not write it, or wrote it with another store".into(),
        ));
    };
    if let Some(when) = rec.published {
        return Ok(Look::LeaveAlone(format!(
            "it was published on {}",
            short_time(when)
        )));
    }
    if !rec.edited && rec.hash.as_deref() == Some(record::hash(&text).as_str()) {
        return Ok(Look::Use(Action::Replace(rec)));
    }
    Ok(Look::Use(Action::Merge { record: rec, text }))
}

fn short_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "draft.md".into())
}

/// `draft.md` -> ("draft", ".md").
fn split_name(path: &Path) -> (String, String) {
    let name = file_name(path);
    match name.rfind('.').filter(|&i| i > 0) {
        Some(i) => (name[..i].to_owned(), name[i..].to_owned()),
        None => (name, String::new()),
    }
}

/// The first name `name(n)`, n = 1, 2, ..., that no file in `path`'s folder has.
fn free_name(path: &Path, name: impl Fn(usize) -> String) -> PathBuf {
    let dir = path.parent().unwrap_or(Path::new(""));
    (1..)
        .map(|n| dir.join(name(n)))
        .find(|p| !p.exists())
        .expect("some numbered name is free")
}

/// A post already in the edited file, as the merge looks for it.
pub struct Known<'a> {
    pub title: &'a str,
    pub links: Vec<&'a str>,
}

/// The end of the post whose title or link is on line `last`: its paragraph, then a summary
/// quote or "read more" line after it.
fn post_end(lines: &[&str], last: usize, read_more: &str) -> usize {
    let blank = |i: usize| lines[i].trim().is_empty();
    let paragraph_end = |mut i: usize| {
        while i < lines.len() && !blank(i) {
            i += 1;
        }
        i
    };
    let mut end = paragraph_end(last);
    loop {
        let mut next = end;
        while next < lines.len() && blank(next) {
            next += 1;
        }
        let belongs = next < lines.len() && {
            let l = lines[next].trim_start();
            l.starts_with('>') || (!read_more.trim().is_empty() && l.starts_with(read_more.trim()))
        };
        if !belongs {
            return end;
        }
        end = paragraph_end(next);
    }
}

/// `text` with `section` inserted after the last post of `known` that the file still shows
/// (after its summary and "read more" line), or at the end when none is left.
pub fn insert_after_last_post(
    text: &str,
    known: &[Known<'_>],
    section: &str,
    read_more: &str,
) -> String {
    // Commented-out posts count as positions too: they keep their place in the file.
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let wanted: Vec<(String, Vec<String>)> = known
        .iter()
        .map(|k| {
            (
                k.title.to_owned(),
                k.links.iter().filter_map(|l| comparable(l)).collect(),
            )
        })
        .collect();
    let mentions = |line: &str| {
        let here: Vec<String> = links(line)
            .iter()
            .filter_map(|l| comparable(&l.url))
            .collect();
        wanted
            .iter()
            .any(|(title, ls)| is_title_line(line, title) || ls.iter().any(|l| here.contains(l)))
    };
    // The front matter is never a place for posts.
    let body_start = front_matter_lines(&lines);
    let Some(last) = (body_start..lines.len())
        .rev()
        .find(|&i| mentions(lines[i]))
    else {
        return format!("{}\n\n{}\n", text.trim_end(), section.trim());
    };
    let end = post_end(&lines, last, read_more);
    let before: String = lines[..end].concat();
    let after: String = lines[end..].concat();
    let mut out = before.trim_end_matches('\n').to_owned();
    out.push_str("\n\n");
    out.push_str(section.trim());
    out.push('\n');
    if !after.trim().is_empty() {
        if !after.starts_with('\n') {
            out.push('\n');
        }
        out.push_str(&after);
    } else {
        out.push_str(after.trim_start_matches('\n'));
    }
    out
}

/// How many lines the front matter takes (0 when there is none).
fn front_matter_lines(lines: &[&str]) -> usize {
    if lines.first().map(|l| l.trim_end()) != Some("---") {
        return 0;
    }
    lines
        .iter()
        .skip(1)
        .position(|l| l.trim_end() == "---")
        .map(|i| i + 2)
        .unwrap_or(0)
}

/// The posts of a rendered draft: without its front matter and its intro.
pub(super) fn posts_section(rendered: &str, intro: &str) -> String {
    let body = match rendered.strip_prefix("---\n") {
        Some(rest) => rest.find("\n---\n").map_or(rendered, |i| &rest[i + 5..]),
        None => rendered,
    };
    let intro = intro.trim();
    let body = if intro.is_empty() {
        body.to_owned()
    } else {
        body.replacen(intro, "", 1)
    };
    body.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EDITED: &str = "---\ntitle: T\n---\n\nIntro, rewritten by the editor.\n\n\
        **First post** by A\n\n> Its summary.\n\n... read more at [http://s/1](http://s/1)\n\n\
        **Second post** by B\n\n> Its summary.\n\n... read more at [http://s/2](http://s/2)\n\n\
        Thanks for reading! (the editor's outro)\n";

    #[test]
    fn new_posts_go_after_the_last_post_and_before_the_editors_outro() {
        let known = [
            Known {
                title: "First post",
                links: vec!["http://s/1"],
            },
            Known {
                title: "Second post",
                links: vec!["https://s/2/"],
            },
        ];
        let out = insert_after_last_post(EDITED, &known, "**Third** by C\n", "... read more at");
        let expected = EDITED.replace(
            "[http://s/2](http://s/2)\n\n",
            "[http://s/2](http://s/2)\n\n**Third** by C\n\n",
        );
        assert_eq!(out, expected);
    }

    #[test]
    fn a_post_whose_read_more_line_was_removed_still_places_the_new_ones() {
        let text = EDITED.replace("... read more at [http://s/2](http://s/2)\n\n", "");
        let known = [Known {
            title: "Second post",
            links: vec!["http://s/2"],
        }];
        let out = insert_after_last_post(&text, &known, "NEW\n", "... read more at");
        assert!(out.contains("> Its summary.\n\nNEW\n\nThanks"), "{out}");
    }

    #[test]
    fn with_no_post_left_they_go_at_the_end() {
        let out = insert_after_last_post("---\nt: 1\n---\n\nAll gone.\n", &[], "NEW", "...");
        assert_eq!(out, "---\nt: 1\n---\n\nAll gone.\n\nNEW\n");
    }

    #[test]
    fn a_file_roundup_did_not_write_is_left_alone_and_its_neighbour_reused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let path = dir.path().join("draft.md");
        std::fs::write(&path, "the editor's own notes").unwrap();
        let p = plan(&store, &path, false).unwrap();
        assert_eq!(p.path, dir.path().join("draft-2.md"));
        assert!(matches!(p.action, Action::Fresh));
        assert_eq!(p.left_alone.unwrap().0, path);
        // With --force it is replaced, a backup kept.
        let p = plan(&store, &path, true).unwrap();
        assert_eq!(p.path, path);
        assert!(
            matches!(p.action, Action::Force { ref backup } if backup.ends_with("draft.md.bak"))
        );
    }

    #[test]
    fn numbered_names_beside_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("draft.md");
        std::fs::write(&path, "x").unwrap();
        std::fs::write(dir.path().join("draft-2.md"), "x").unwrap();
        let (stem, ext) = split_name(&path);
        let p = free_name(&path, |n| format!("{stem}-{}{ext}", n + 1));
        assert_eq!(p, dir.path().join("draft-3.md"));
    }
}
