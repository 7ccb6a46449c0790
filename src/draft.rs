//! The `draft` command: select the unseen items, shorten their links, render the template and
//! write the post atomically. Owns `DraftOptions`, `DraftReport` and the record of which items
//! a draft holds (meta `draft:<file name>`), which `publish` reads back.

pub mod select;

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::render::escape::collapse;
use crate::render::{self, DraftView, EntryView, ItemView, RenderError, Renderer, SeriesView};
use crate::shorten::{Shortened, Shortener};
use crate::store::{Store, StoreError};
use crate::when::Window;

pub use select::{select, Selection, Since, LAST_ROUNDUP};

/// Shortener failures in a row after which a draft stops asking it.
const MAX_SHORTEN_FAILURES: usize = 3;

/// Meta key prefix of draft records (`draft:<file name>` -> `DraftRecord`).
pub const DRAFT_PREFIX: &str = "draft:";

#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(
        "cannot write the draft {path}: {source} (check that the folder exists and is writable)"
    )]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Where the draft goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Output {
    /// `<drafts_dir>/YYYY-MM-DD-<slug-of-title>.md`.
    #[default]
    DraftsDir,
    File(PathBuf),
    Stdout,
}

#[derive(Debug, Clone, Default)]
pub struct DraftOptions {
    /// `--since`; else the last roundup's date, else `roundup.since`.
    pub since: Option<Window>,
    pub out: Output,
}

/// What a draft run did.
#[derive(Debug, Clone, PartialEq)]
pub struct DraftReport {
    /// The file written; `None` for stdout.
    pub path: Option<PathBuf>,
    /// The name the draft is recorded under (what `publish` looks for).
    pub name: String,
    /// Posts in the draft, series lists included.
    pub items: usize,
    /// Series lists in the draft.
    pub series: usize,
    /// Links that stayed long, a missing template file.
    pub warnings: Vec<String>,
    /// Nothing new arrived; the post says so.
    pub empty: bool,
    /// The draft itself, for `Output::Stdout`.
    pub text: Option<String>,
    /// Where the window started.
    pub since: DateTime<Utc>,
}

/// What `publish` needs to know about a draft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftRecord {
    pub name: String,
    pub title: String,
    pub date: DateTime<Utc>,
    pub items: Vec<DraftedItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftedItem {
    pub key: String,
    pub link: String,
    /// The link the draft printed (short, or the full one).
    pub shown: String,
}

/// Renders a draft of the unseen items and writes it where `opts.out` says.
pub async fn run(
    cfg: &Config,
    store: &Store,
    shortener: &Shortener,
    opts: &DraftOptions,
    now: DateTime<Utc>,
) -> Result<DraftReport, DraftError> {
    let since = select::since(cfg, store, opts.since.as_ref(), now)?;
    let selection = select(cfg, store.items()?, since);
    let renderer = Renderer::load(&cfg.roundup.template)?;
    let mut warnings: Vec<String> = renderer.warning.iter().cloned().collect();

    let title = render::title_for(&cfg.roundup.title, now);
    let (series, mut drafted) = series_views(&selection);
    let (items, shown, shorten_warnings) = item_views(&selection, shortener).await;
    drafted.extend(shown);
    warnings.extend(shorten_warnings);
    let view = DraftView {
        title: title.clone(),
        author: cfg.roundup.author.clone(),
        date: render::front_matter_date(now),
        tags: cfg.roundup.tags.join(", "),
        intro: cfg.roundup.intro.clone(),
        empty: selection.is_empty(),
        empty_text: cfg.roundup.empty.clone(),
        series,
        series_outro: cfg.roundup.series_outro.clone(),
        items,
        read_more: cfg.roundup.read_more.clone(),
    };
    let text = renderer.render(&view)?;

    let default_name = format!("{}-{}.md", now.format("%Y-%m-%d"), slug(&title));
    let (path, name) = write_out(cfg, &opts.out, default_name, &text)?;
    record(store, &selection, &name, &title, now, drafted)?;
    Ok(DraftReport {
        path,
        name,
        items: selection.all().count(),
        series: selection.series.len(),
        warnings,
        empty: selection.is_empty(),
        since: since.at(),
        text: (opts.out == Output::Stdout).then_some(text),
    })
}

/// The series lists. They link the posts in full, as the editors did by hand.
fn series_views(selection: &Selection) -> (Vec<SeriesView>, Vec<DraftedItem>) {
    let mut drafted = Vec::new();
    let series = selection
        .series
        .iter()
        .map(|pick| SeriesView {
            intro: pick.intro.clone(),
            entries: pick
                .entries
                .iter()
                .map(|e| {
                    drafted.push(DraftedItem {
                        key: e.item.key.clone(),
                        link: e.item.link.clone(),
                        shown: e.item.link.clone(),
                    });
                    EntryView {
                        title: collapse(&e.label),
                        link: e.item.link.clone(),
                    }
                })
                .collect(),
        })
        .collect();
    (series, drafted)
}

/// The other posts, with their short links and the warnings of links that stayed long.
async fn item_views(
    selection: &Selection,
    shortener: &Shortener,
) -> (Vec<ItemView>, Vec<DraftedItem>, Vec<String>) {
    let (mut items, mut drafted, mut warnings) = (Vec::new(), Vec::new(), Vec::new());
    let (mut failures, mut not_asked) = (0, 0);
    for item in &selection.items {
        // After a few failures in a row (flood protection, a hanging server) stop asking: every
        // further call would meet the same wall. Links issued before are still used.
        let short = if failures >= MAX_SHORTEN_FAILURES {
            not_asked += 1;
            Shortened {
                link: shortener
                    .stored(&item.link)
                    .unwrap_or_else(|| item.link.clone()),
                warning: None,
            }
        } else {
            let short = shortener.link(&item.link).await;
            match &short.warning {
                Some(w) => {
                    failures += 1;
                    tracing::warn!(link = %item.link, warning = %w, "short link");
                    warnings.push(w.clone());
                }
                None => failures = 0,
            }
            short
        };
        drafted.push(DraftedItem {
            key: item.key.clone(),
            link: item.link.clone(),
            shown: short.link.clone(),
        });
        // Collapsed here too, so `{{#if summary}}` sees what the escape would print; an empty
        // title would leave `****`, a rule.
        let title = Some(collapse(&item.title))
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| item.link.clone());
        items.push(ItemView {
            title,
            author: collapse(&item.author),
            summary: collapse(&item.summary),
            link: short.link,
            full_link: item.link.clone(),
        });
    }
    if not_asked > 0 {
        warnings.push(format!(
            "the shortener failed {MAX_SHORTEN_FAILURES} times in a row; {not_asked} more links were left as they were (draft again later to shorten them)"
        ));
    }
    (items, drafted, warnings)
}

/// Writes the post; returns the file (none for stdout) and the name the draft is recorded under.
fn write_out(
    cfg: &Config,
    out: &Output,
    default_name: String,
    text: &str,
) -> Result<(Option<PathBuf>, String), DraftError> {
    match out {
        Output::DraftsDir => {
            let path = cfg.roundup.drafts_dir.join(&default_name);
            write_atomically(&path, text)?;
            Ok((Some(path), default_name))
        }
        Output::File(path) => {
            write_atomically(path, text)?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or(default_name);
            Ok((Some(path.clone()), name))
        }
        // The caller prints it: the text may travel back through the control API.
        Output::Stdout => Ok((None, default_name)),
    }
}

/// Remembers what the draft holds, for `publish`, and flushes.
fn record(
    store: &Store,
    selection: &Selection,
    name: &str,
    title: &str,
    now: DateTime<Utc>,
    drafted: Vec<DraftedItem>,
) -> Result<(), StoreError> {
    let rec = DraftRecord {
        name: name.to_owned(),
        title: title.to_owned(),
        date: now,
        items: drafted,
    };
    store.put_meta(&format!("{DRAFT_PREFIX}{name}"), &rec)?;
    // Re-read each item so a poll that refreshed it meanwhile is not undone.
    let mut marked = Vec::new();
    for key in selection.all().map(|i| &i.key) {
        if let Some(mut item) = store.item(key)? {
            if item.drafted_in.as_deref() != Some(name) {
                item.drafted_in = Some(name.to_owned());
                marked.push(item);
            }
        }
    }
    store.put_items(&marked)?;
    store.flush()
}

/// Lowercase ASCII letters and digits joined by single dashes; "roundup" when nothing is left.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= 80 {
            break;
        }
    }
    let out = out.trim_end_matches('-');
    if out.is_empty() {
        "roundup".into()
    } else {
        out.to_owned()
    }
}

/// Writes `text` to a temporary file beside `path`, syncs it, then renames it over `path`: a
/// reader sees the old file or the new one, never half of one.
pub fn write_atomically(path: &Path, text: &str) -> Result<(), DraftError> {
    let err = |source| DraftError::Write {
        path: path.to_owned(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(err)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "draft".into());
    let nanos = Utc::now().timestamp_subsec_nanos();
    let tmp = dir.join(format!(".{file_name}.{}.{nanos}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // Make the rename itself durable; not every platform can open a folder.
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(
            slug("RDO blogs over the last few weeks"),
            "rdo-blogs-over-the-last-few-weeks"
        );
        assert_eq!(slug("  Über: *new*  2016-05-17 "), "ber-new-2016-05-17");
        assert_eq!(slug("!!!"), "roundup");
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/draft.md");
        write_atomically(&path, "one").unwrap();
        write_atomically(&path, "two").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        let names: Vec<_> = std::fs::read_dir(dir.path().join("sub")).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn atomic_write_to_an_unwritable_place_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "x").unwrap();
        let err = write_atomically(&blocker.join("draft.md"), "x").unwrap_err();
        assert!(err.to_string().contains("draft.md"), "{err}");
    }
}
