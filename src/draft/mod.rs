//! The `draft` command: select the unseen items of the window, shorten their links, render the
//! template and write the post atomically, without ever losing an editor's edits (see
//! `target`). Every draft leaves a record in the store (`record`), which `publish` reads back.

pub mod read;
pub mod record;
pub mod review;
pub mod select;
pub mod target;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::config::window::Window;
use crate::config::Config;
use crate::item::Item;
use crate::render::escape::collapse;
use crate::render::{self, DraftView, EntryView, ItemView, RenderError, Renderer, SeriesView};
use crate::shorten::{Shortened, Shortener};
use crate::store::{Store, StoreError};

pub use record::{DraftRecord, DraftedItem};
use select::SeriesPick;
pub use select::{LastPublished, Selection, WindowStart};
use target::{Action, Known, Plan};

/// Shortener failures in a row after which a draft stops asking it.
const MAX_SHORTEN_FAILURES: usize = 3;

#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("cannot write the draft {path}: {}", write_advice(.source))]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot keep a backup of {path} in {backup}: {source}; nothing was written")]
    Backup {
        path: PathBuf,
        backup: PathBuf,
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
    /// `--since`; else the last published roundup's selection instant, else `roundup.since`.
    pub since: Option<Window>,
    pub out: Output,
    /// `--force`: replace a file an editor changed or that was published, keeping a backup.
    pub force: bool,
}

/// What happened to the draft's file.
#[derive(Debug, Clone, PartialEq)]
pub enum Written {
    /// A new file.
    Fresh,
    /// roundup's own unedited file, replaced.
    Replaced,
    /// The editor's file, with `added` posts put in after the last one.
    Merged { added: usize },
    /// The editor's file, left as it was: nothing arrived since it was written.
    Unchanged,
    /// `--force`: replaced, the old file kept at `backup`.
    Forced { backup: PathBuf },
    /// Standard output.
    Stdout,
}

/// What a draft run did.
#[derive(Debug, Clone, PartialEq)]
pub struct DraftReport {
    /// The file written (or left as it was); `None` for stdout.
    pub path: Option<PathBuf>,
    /// The draft's id (what its file carries, and `publish` looks for).
    pub id: String,
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
    /// Where the window started, and why there.
    pub since: WindowStart,
    pub written: Written,
    /// The file asked for, left alone (published, or not roundup's), and why: the draft went
    /// beside it.
    pub left_alone: Option<(PathBuf, String)>,
}

/// Renders a draft of the unseen items of the window and writes it where `opts.out` says,
/// never over an editor's edits. `now` is the selection instant: when this draft is published,
/// the next window starts there.
pub async fn run(
    cfg: &Config,
    store: &Store,
    shortener: &Shortener,
    opts: &DraftOptions,
    now: DateTime<Utc>,
) -> Result<DraftReport, DraftError> {
    let since = select::since(cfg, store, opts.since.as_ref(), now)?;
    let picked = store.unseen_items_where(select::wanted(cfg, since, cfg.roundup.late))?;
    let selection = select::arrange(cfg, picked, since);
    let renderer = Renderer::load(cfg.roundup.template.as_deref())?;
    let title = render::title_for(&cfg.roundup.title, now);
    let default_name = format!("{}-{}.md", now.format("%Y-%m-%d"), slug(&title));
    let target = match &opts.out {
        Output::DraftsDir => Some(cfg.roundup.drafts_dir.join(&default_name)),
        Output::File(p) => Some(std::path::absolute(p).unwrap_or_else(|_| p.clone())),
        Output::Stdout => None,
    };
    let plan = match &target {
        Some(p) => Some(target::plan(store, p, opts.force)?),
        None => None,
    };
    let mut draft = Draft {
        cfg,
        store,
        shortener,
        renderer,
        title,
        since,
        now,
        warnings: Vec::new(),
        health: crate::health::check(cfg, store, now)?.comment(cfg),
    };
    draft
        .warnings
        .extend(draft.renderer.warning.iter().cloned());
    let left_alone = plan.as_ref().and_then(|p| p.left_alone.clone());
    // The selection goes into the draft (its posts' text is moved into the view, not copied).
    let (all, series, empty) = (
        selection.all().count(),
        selection.series.len(),
        selection.is_empty(),
    );
    let (record, written, text, prior) = draft.write(selection, plan).await?;
    if matches!(written, Written::Merged { .. } | Written::Unchanged) {
        draft
            .warnings
            .extend(record::skipped_since(store, &record)?);
    }
    if written != Written::Unchanged {
        match &record.file {
            Some(path) => record::commit(store, prior, &record, path, &text)?,
            None => {
                store.put_draft(&record.id, None, &record)?;
                store.flush()?;
            }
        }
    }
    let (items, series) = match &written {
        Written::Merged { added } => (*added, 0),
        Written::Unchanged => (0, 0),
        _ => (all, series),
    };
    Ok(DraftReport {
        path: record.file.clone(),
        id: record.id,
        items,
        series,
        warnings: draft.warnings,
        empty,
        text: (opts.out == Output::Stdout).then_some(text),
        since,
        written,
        left_alone,
    })
}

/// One draft being made.
struct Draft<'a> {
    cfg: &'a Config,
    store: &'a Store,
    shortener: &'a Shortener,
    renderer: Renderer,
    title: String,
    since: WindowStart,
    now: DateTime<Utc>,
    warnings: Vec<String>,
    /// The feed-health comment the draft opens with.
    health: String,
}

impl Draft<'_> {
    /// Renders the whole draft, or merges what is new into the editor's file, as `plan` says;
    /// `None` prints it instead.
    async fn write(
        &mut self,
        selection: Selection,
        plan: Option<Plan>,
    ) -> Result<(DraftRecord, Written, String, Option<DraftRecord>), DraftError> {
        Ok(match plan {
            None => {
                let id = record::new_id(self.store, self.now);
                let (record, text) = self.whole(selection, id, None).await?;
                (record, Written::Stdout, text, None)
            }
            Some(Plan {
                path,
                action: Action::Merge { record, text },
                ..
            }) => {
                let prior = record.clone();
                let (record, written, text) = self.merge(selection, record, &text, &path).await?;
                (record, written, text, Some(prior))
            }
            Some(Plan { path, action, .. }) => {
                let mut prior = None;
                let (id, written) = match action {
                    Action::Replace(rec) => {
                        let id = rec.id.clone();
                        prior = Some(rec);
                        (id, Written::Replaced)
                    }
                    Action::Force { backup } => {
                        std::fs::copy(&path, &backup).map_err(|source| DraftError::Backup {
                            path: path.clone(),
                            backup: backup.clone(),
                            source,
                        })?;
                        (
                            record::new_id(self.store, self.now),
                            Written::Forced { backup },
                        )
                    }
                    Action::Fresh | Action::Merge { .. } => {
                        (record::new_id(self.store, self.now), Written::Fresh)
                    }
                };
                let (mut record, text) = self.whole(selection, id, Some(path)).await?;
                // What the editor did on the review page belongs to the roundup, not to the
                // file: a draft written again over its own file keeps it.
                if let Some(prior) = &prior {
                    record.review.clone_from(&prior.review);
                }
                (record, written, text, prior)
            }
        })
    }

    /// Renders `selection` as a whole post.
    async fn render(
        &mut self,
        selection: Selection,
    ) -> Result<(String, Vec<DraftedItem>), DraftError> {
        let empty = selection.is_empty();
        let (series, mut drafted) = series_views(&selection.series);
        let (items, shown, shorten_warnings) = item_views(selection.items, self.shortener).await;
        drafted.extend(shown);
        self.warnings.extend(shorten_warnings);
        let cfg = self.cfg;
        let view = DraftView {
            title: self.title.clone(),
            author: cfg.roundup.author.clone(),
            date: render::front_matter_date(self.now),
            tags: cfg.roundup.tags.join(", "),
            intro: cfg.roundup.intro.clone(),
            empty,
            empty_text: cfg.roundup.empty.clone(),
            series,
            series_outro: cfg.roundup.series_outro.clone(),
            items,
            read_more: cfg.roundup.read_more.clone(),
        };
        Ok((self.renderer.render(view)?, drafted))
    }

    /// The whole draft, stamped with `id`, written to `path` (none: standard output).
    async fn whole(
        &mut self,
        selection: Selection,
        id: String,
        path: Option<PathBuf>,
    ) -> Result<(DraftRecord, String), DraftError> {
        let (text, drafted) = self.render(selection).await?;
        let text = crate::health::open_with(record::stamp(text, &id), &self.health);
        let written = path.map(|p| (p, record::hash(&text)));
        let rec = DraftRecord::new(
            id,
            self.title.clone(),
            self.now,
            self.since.at(),
            drafted,
            written,
        );
        Ok((rec, text))
    }

    /// Adds the posts of `selection` that the editor's file `text` (at `path`, drafted as
    /// `record`) never held, after its last post. Every byte of the file stays.
    async fn merge(
        &mut self,
        selection: Selection,
        mut record: DraftRecord,
        text: &str,
        path: &Path,
    ) -> Result<(DraftRecord, Written, String), DraftError> {
        let new = selection.without(|key| record.holds(key));
        if new.is_empty() {
            return Ok((record, Written::Unchanged, text.to_owned()));
        }
        let (rendered, drafted) = self.render(new).await?;
        let count = drafted.len();
        let section = format!(
            "<!-- roundup: {count} {} that arrived after this draft was written, added {} -->\n\n{}",
            if count == 1 { "post" } else { "posts" },
            self.now.format("%Y-%m-%d %H:%M UTC"),
            target::posts_section(&rendered, &self.cfg.roundup.intro)
        );
        let titles: Vec<String> = record
            .items
            .iter()
            .map(|d| {
                self.store
                    .item(&d.key)
                    .ok()
                    .flatten()
                    .map(|i| i.title)
                    .unwrap_or_default()
            })
            .collect();
        let known: Vec<Known<'_>> = record
            .items
            .iter()
            .zip(&titles)
            .map(|(d, title)| Known {
                title,
                links: vec![d.link.as_str(), d.printed_link.as_str()],
            })
            .collect();
        let merged =
            target::insert_after_last_post(text, &known, &section, &self.cfg.roundup.read_more);
        record.items.extend(drafted);
        record.selected_at = self.now;
        record.hash = Some(record::hash(&merged));
        record.edited = true;
        record.file = Some(path.to_owned());
        Ok((record, Written::Merged { added: count }, merged))
    }
}

/// The series lists. They link the posts in full, as the editors did by hand.
fn series_views(series: &[SeriesPick]) -> (Vec<SeriesView>, Vec<DraftedItem>) {
    let mut drafted = Vec::new();
    let series = series
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
                        printed_link: e.item.link.clone(),
                    });
                    EntryView {
                        title: collapse(&e.label).into_owned(),
                        link: e.item.link.clone(),
                    }
                })
                .collect(),
        })
        .collect();
    (series, drafted)
}

/// The other posts (`picked`, taken whole), with their short links and the warnings of links
/// that stayed long.
async fn item_views(
    picked: Vec<Item>,
    shortener: &Shortener,
) -> (Vec<ItemView>, Vec<DraftedItem>, Vec<String>) {
    let (mut items, mut drafted, mut warnings) = (Vec::new(), Vec::new(), Vec::new());
    let (mut failures, mut not_asked) = (0, 0);
    for item in picked {
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
            key: item.key,
            link: item.link.clone(),
            printed_link: short.link.clone(),
        });
        // Moved, not copied; the renderer finishes them (`ItemView::finish`), on every core.
        items.push(ItemView {
            title: item.title,
            author: item.author,
            summary: item.summary,
            link: short.link,
            full_link: item.link,
        });
    }
    if not_asked > 0 {
        warnings.push(format!(
            "the shortener failed {MAX_SHORTEN_FAILURES} times in a row; {} left as {} (draft again later to shorten them)",
            if not_asked == 1 { "1 more link was".to_owned() } else { format!("{not_asked} more links were") },
            if not_asked == 1 { "it was" } else { "they were" }
        ));
    }
    (items, drafted, warnings)
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

/// Why a draft could not be written, and what to do; the file as it was is kept either way.
fn write_advice(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
            "the disk is full: free some space and run it again (the file there, if any, is unchanged)".into()
        }
        _ => format!("{e} (check that the folder exists and is writable)"),
    }
}

/// The draft `text` written and synced beside `path` (`files::prepare`), for `put` to put in
/// its place once the draft's record is stored: a reader sees the old file or the new one,
/// never half of one.
pub fn prepare(path: &Path, text: &str) -> Result<crate::files::Prepared, DraftError> {
    crate::files::prepare(path, text.as_bytes(), crate::files::Access::Shared)
        .map_err(unwritten(path))
}

/// Puts a `prepare`d draft in its place, `path`.
pub fn put(path: &Path, prepared: crate::files::Prepared) -> Result<(), DraftError> {
    prepared.put().map_err(unwritten(path))
}

fn unwritten(path: &Path) -> impl FnOnce(std::io::Error) -> DraftError + '_ {
    move |source| DraftError::Write {
        path: path.to_owned(),
        source,
    }
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
    fn atomic_write_to_an_unwritable_place_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "x").unwrap();
        let err = prepare(&blocker.join("draft.md"), "x").unwrap_err();
        assert!(err.to_string().contains("draft.md"), "{err}");
    }
}
