//! The commands, run against an open store. Output is collected in a `Reply` (standard output,
//! standard error, exit code) so the same code serves the terminal and the daemon's control API.

use std::fmt::Write as _;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::cli::{Command, StateFilter};
use crate::config::Config;
use crate::fetch::Fetcher;
use crate::item::{Item, ItemState, RoundupRef};
use crate::poll::{self, Outcome, PollOptions, PollReport};
use crate::render::RenderError;
use crate::store::Store;

/// Exit codes (DESIGN.md): all well; unexpected failure; done but some sources failed; bad config.
pub const EXIT_OK: i32 = 0;
pub const EXIT_FAILURE: i32 = 1;
pub const EXIT_SOURCES_FAILED: i32 = 2;
pub const EXIT_BAD_CONFIG: i32 = 3;

/// A value given on the command line in place of a config key (`draft --since`) that cannot be
/// used: a configuration problem like a bad key.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadSetting(pub String);

/// The exit code of a command that failed: `EXIT_BAD_CONFIG` when the configuration is at fault
/// (the config file, the template it names, a flag standing in for a config key), whichever
/// command met it; `EXIT_FAILURE` for anything else.
pub fn exit_code(e: &anyhow::Error) -> i32 {
    use crate::config::ConfigError;
    use crate::draft::DraftError;
    use crate::import::ImportError;
    let config = e.chain().any(|cause| {
        cause.is::<ConfigError>()
            || cause.is::<BadSetting>()
            || matches!(
                cause.downcast_ref::<ImportError>(),
                Some(ImportError::Config(_))
            )
            || cause
                .downcast_ref::<RenderError>()
                .is_some_and(RenderError::is_template_problem)
            // Transparent: the render error is not a cause of its own in the chain.
            || matches!(
                cause.downcast_ref::<DraftError>(),
                Some(DraftError::Render(r)) if r.is_template_problem()
            )
    });
    if config {
        EXIT_BAD_CONFIG
    } else {
        EXIT_FAILURE
    }
}

/// What a command printed, and how it ended.
#[derive(Debug, Default, Clone, Serialize, Deserialize, PartialEq)]
pub struct Reply {
    pub stdout: String,
    pub stderr: String,
    /// What `-q` still prints on standard error: the errors (a failing source), one a line.
    #[serde(default)]
    pub errors: String,
    pub code: i32,
}

/// Everything a command needs; the daemon keeps one for its whole life.
#[derive(Clone)]
pub struct Env {
    pub cfg: Arc<Config>,
    pub store: Store,
    pub fetcher: Arc<Fetcher>,
    /// Held for the length of a poll: two polls never overlap.
    pub polling: Arc<tokio::sync::Mutex<()>>,
    /// Draw progress bars (only when the output is a terminal).
    pub progress: bool,
    pub cancel: CancellationToken,
}

impl Env {
    pub fn new(cfg: Config, store: Store) -> anyhow::Result<Env> {
        let fetcher = Fetcher::new(&cfg.http)?;
        Ok(Env {
            cfg: Arc::new(cfg),
            store,
            fetcher: Arc::new(fetcher),
            polling: Arc::new(tokio::sync::Mutex::new(())),
            progress: false,
            cancel: CancellationToken::new(),
        })
    }

    /// One poll, waiting for a poll already under way to finish first.
    pub async fn poll(&self, force: bool) -> anyhow::Result<PollReport> {
        let _guard = self.polling.lock().await;
        let opts = PollOptions {
            force,
            progress: self.progress,
            cancel: self.cancel.clone(),
        };
        let report = poll::run(&self.cfg, &self.store, &self.fetcher, &opts, Utc::now()).await?;
        tracing::info!(
            new = report.new_items(),
            not_modified = report.not_modified(),
            failed = report.failed(),
            sources = report.sources.len(),
            duration_ms = report.duration_ms,
            "poll finished"
        );
        Ok(report)
    }
}

/// Runs one command. `Err` is an unexpected failure (exit code 1); a command that finished with
/// a problem the user should see (a failed source) says so in the reply's code.
pub async fn execute(cmd: &Command, env: &Env) -> anyhow::Result<Reply> {
    let mut reply = Reply::default();
    match cmd {
        Command::Poll { force, json } => {
            let report = env.poll(*force).await?;
            if *json {
                reply.stdout = serde_json::to_string_pretty(&report)? + "\n";
            } else {
                reply.stdout = format_poll(&report);
            }
            for s in report.sources.iter().filter(|s| s.outcome.is_failing()) {
                let _ = writeln!(reply.errors, "error: {}: {}", s.name, source_detail(s));
            }
            if report.failed() > 0 {
                reply.code = EXIT_SOURCES_FAILED;
            }
        }
        Command::Draft {
            since,
            out,
            no_poll,
            force,
        } => {
            let opts = DraftArgs {
                since: since.as_deref(),
                out: out.as_deref(),
                no_poll: *no_poll,
                force: *force,
            };
            draft(env, opts, &mut reply).await?;
        }
        Command::Publish { file } => {
            publish(env, file, &mut reply).await?;
        }
        Command::Items { state, json } => {
            let items = select_items(&env.store, *state)?;
            reply.stdout = if *json {
                items_json(env, &items)?
            } else {
                format_items(env, &items)
            };
        }
        Command::Skip { items, force } => {
            set_state(env, items, ItemState::Skipped, *force, &mut reply)?;
        }
        Command::Unskip { items, force } => {
            set_state(env, items, ItemState::Unseen, *force, &mut reply)?;
        }
        Command::Sources { json } => {
            let rows = source_rows(env)?;
            reply.stdout = if *json {
                serde_json::to_string_pretty(&rows)? + "\n"
            } else {
                format_sources(&rows)
            };
            // Like `poll`: done, but some sources are failing.
            let failing: Vec<&SourceJson> =
                rows.iter().filter(|r| r.last_error.is_some()).collect();
            for r in &failing {
                let _ = writeln!(
                    reply.errors,
                    "error: {}: {}",
                    r.name,
                    r.last_error.as_deref().unwrap_or_default()
                );
            }
            if !failing.is_empty() {
                reply.code = EXIT_SOURCES_FAILED;
            }
        }
        Command::Daemon | Command::Import { .. } | Command::Check { .. } => {
            anyhow::bail!("`{}` cannot run through the control API", command_name(cmd));
        }
    }
    Ok(reply)
}

pub fn command_name(cmd: &Command) -> &'static str {
    match cmd {
        Command::Poll { .. } => "poll",
        Command::Draft { .. } => "draft",
        Command::Publish { .. } => "publish",
        Command::Items { .. } => "items",
        Command::Skip { .. } => "skip",
        Command::Unskip { .. } => "unskip",
        Command::Sources { .. } => "sources",
        Command::Daemon => "daemon",
        Command::Import { .. } => "import",
        Command::Check { .. } => "check",
    }
}

// ------------------------------------------------------------------------------------- poll

pub fn format_poll(report: &PollReport) -> String {
    let width = report
        .sources
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(40);
    let mut out = String::new();
    for s in &report.sources {
        let _ = write!(
            out,
            "{:<12}  {:<width$}  {}",
            source_label(s),
            s.name,
            source_detail(s)
        );
        if let Some(to) = &s.moved_to {
            let _ = write!(out, " (moved permanently to {to}: update the config)");
        }
        out = out.trim_end().to_owned();
        out.push('\n');
    }
    out.push_str(&poll_summary(report));
    out.push('\n');
    out
}

/// The last line of a poll's report.
pub fn poll_summary(report: &PollReport) -> String {
    let polled = report
        .sources
        .iter()
        .filter(|s| !matches!(s.outcome, Outcome::NotDue { .. } | Outcome::Cancelled))
        .count();
    let mut line = format!(
        "polled {} in {:.1}s: {}, {} not modified, {} failed",
        plural(polled, "source", "sources"),
        report.duration_ms as f64 / 1000.0,
        plural(report.new_items(), "new item", "new items"),
        report.not_modified(),
        report.failed()
    );
    match report.backing_off() {
        0 => {}
        n if n == report.failed() => {
            line.push_str(" (backing off after errors, not fetched this time)")
        }
        n => {
            let _ = write!(
                line,
                " ({n} of them backing off after errors, not fetched this time)"
            );
        }
    }
    line
}

/// The first column of a source's report line.
fn source_label(s: &crate::poll::SourceReport) -> &'static str {
    match &s.outcome {
        Outcome::Stored { .. } => "ok",
        Outcome::NotModified => "not modified",
        Outcome::Failed { .. } => "FAILED",
        Outcome::NotDue { .. } if s.outcome.is_failing() => "FAILING",
        Outcome::NotDue { .. } => "not due",
        Outcome::Cancelled => "cancelled",
    }
}

/// What a source's report line says after its name.
pub fn source_detail(s: &crate::poll::SourceReport) -> String {
    match &s.outcome {
        Outcome::Stored {
            new,
            items,
            filtered,
            dropped,
            over_max_items,
            undated,
            untitled,
            ..
        } => {
            let mut d = format!("{new} new, {}", plural(*items, "item", "items"));
            if *filtered > 0 {
                let _ = write!(d, ", {filtered} filtered out");
            }
            let no_link = dropped - over_max_items;
            if no_link > 0 {
                let _ = write!(d, ", {no_link} left out (no usable link; -v names them)");
            }
            if *over_max_items > 0 {
                let _ = write!(
                    d,
                    ", {over_max_items} older left out (past [http] max_items)"
                );
            }
            if *untitled > 0 {
                let _ = write!(
                    d,
                    ", {untitled} without a title (titled from their summary)"
                );
            }
            if *undated > 0 {
                let _ = write!(d, ", {undated} without a date (dated when first seen)");
            }
            d
        }
        Outcome::NotModified | Outcome::Cancelled => String::new(),
        Outcome::Failed { error } => format!("{}: {error}", s.url),
        Outcome::NotDue {
            next_check,
            error,
            failing_since,
            status,
        } => {
            let next = next_check.map(|t| format!("next try {}", short_time(t)));
            if *status == crate::source::Status::Gone {
                format!(
                    "{}: {} (gone: it is not fetched again; remove it from the config, or poll --force)",
                    s.url,
                    error.as_deref().unwrap_or("410 Gone")
                )
            } else if s.outcome.is_failing() {
                let since = failing_since
                    .map(|t| format!("failing since {}", short_time(t)))
                    .unwrap_or_else(|| "failing".into());
                let next = next.map(|n| format!(", {n}")).unwrap_or_default();
                format!(
                    "{}: {} ({since}{next})",
                    s.url,
                    error.as_deref().unwrap_or("an error")
                )
            } else {
                next_check
                    .map(|t| format!("next check {}", short_time(t)))
                    .unwrap_or_default()
            }
        }
    }
}

fn short_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

// ------------------------------------------------------------------------------------- items

pub fn select_items(store: &Store, state: StateFilter) -> anyhow::Result<Vec<Item>> {
    let mut items = store.items()?;
    items.retain(|i| match state {
        StateFilter::All => true,
        StateFilter::Unseen => i.state == ItemState::Unseen,
        StateFilter::Published => i.state == ItemState::Published,
        StateFilter::Skipped => i.state == ItemState::Skipped,
    });
    items.sort_by(|a, b| {
        a.published
            .cmp(&b.published)
            .then_with(|| a.key.cmp(&b.key))
    });
    Ok(items)
}

/// The stable `items --json` record.
#[derive(Debug, Serialize, Deserialize)]
pub struct ItemJson {
    pub key: String,
    pub source: String,
    pub title: String,
    pub author: String,
    pub link: String,
    pub short_link: Option<String>,
    pub summary: String,
    pub published: DateTime<Utc>,
    pub first_seen: DateTime<Utc>,
    pub state: ItemState,
    pub roundup: Option<RoundupRef>,
}

fn items_json(env: &Env, items: &[Item]) -> anyhow::Result<String> {
    // A YOURLS shortener without its signature still knows the links it issued before: none.
    let shortener = shortener(env).ok();
    let rows = items
        .iter()
        .map(|i| ItemJson {
            key: i.key.clone(),
            source: i.source.clone(),
            title: i.title.clone(),
            author: i.author.clone(),
            link: i.link.clone(),
            short_link: shortener.as_ref().and_then(|s| s.stored(&i.link)),
            summary: i.summary.clone(),
            published: i.published,
            first_seen: i.first_seen,
            state: i.state,
            roundup: i.roundup.clone(),
        })
        .collect::<Vec<_>>();
    Ok(serde_json::to_string_pretty(&rows)? + "\n")
}

fn format_items(env: &Env, items: &[Item]) -> String {
    let shortener = shortener(env).ok();
    let mut out = String::new();
    for i in items {
        let _ = write!(
            out,
            "{}  {:<9}  {}  {} ({})",
            i.key,
            i.state.as_str(),
            i.published.format("%Y-%m-%d"),
            i.title,
            i.author
        );
        if let Some(r) = &i.roundup {
            let _ = write!(out, " [in {} of {}]", r.title, r.date.format("%Y-%m-%d"));
        }
        let _ = write!(out, "\n    {}", i.link);
        if let Some(short) = shortener.as_ref().and_then(|s| s.stored(&i.link)) {
            let _ = write!(out, "  {short}");
        }
        out.push('\n');
    }
    let _ = writeln!(out, "{}", plural(items.len(), "item", "items"));
    out
}

// ------------------------------------------------------------------------------------- sources

/// The stable `sources --json` record.
#[derive(Debug, Serialize, Deserialize)]
pub struct SourceJson {
    pub name: String,
    pub url: String,
    pub status: String,
    pub last_fetch: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub items: usize,
    pub next_check: Option<DateTime<Utc>>,
    pub moved_to: Option<String>,
    pub error_count: u32,
}

fn source_rows(env: &Env) -> anyhow::Result<Vec<SourceJson>> {
    let mut counts = std::collections::HashMap::<String, usize>::new();
    for item in env.store.items()? {
        *counts.entry(item.source).or_default() += 1;
    }
    env.cfg
        .sources
        .iter()
        .map(|s| {
            let st = env.store.source_state(&s.id(), &s.name)?;
            Ok(SourceJson {
                name: s.name.clone(),
                url: s.url.to_string(),
                status: st.status.as_str().to_owned(),
                last_fetch: st.last_fetch,
                last_error: st.last_error,
                items: counts.get(&s.name).copied().unwrap_or(0),
                next_check: st.next_check,
                moved_to: st.moved_to,
                error_count: st.error_count,
            })
        })
        .collect()
}

fn format_sources(rows: &[SourceJson]) -> String {
    let width = rows
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(40);
    let mut out = String::new();
    for r in rows {
        let _ = write!(
            out,
            "{:<width$}  {:<12}  {:>4} {}",
            r.name,
            r.status,
            r.items,
            if r.items == 1 { "item " } else { "items" }
        );
        if let Some(t) = r.last_fetch {
            let _ = write!(out, "  last fetch {}", short_time(t));
        }
        // A healthy source is due at every poll: a next check only says something later.
        if let Some(t) = r.next_check.filter(|t| r.last_fetch.is_none_or(|f| *t > f)) {
            let _ = write!(out, "  next check {}", short_time(t));
        }
        if let Some(e) = &r.last_error {
            let _ = write!(out, "  error: {e}");
        }
        if let Some(m) = &r.moved_to {
            let _ = write!(out, "  moved permanently to {m}");
        }
        out.push('\n');
    }
    let failing = rows.iter().filter(|r| r.last_error.is_some()).count();
    let _ = writeln!(out, "{} sources, {failing} failing", rows.len());
    out
}

// ------------------------------------------------------------------------------------- drafts

fn shortener(env: &Env) -> Result<crate::shorten::Shortener, crate::shorten::ShortenError> {
    crate::shorten::Shortener::new(
        &env.cfg.shortener,
        env.store.clone(),
        env.fetcher.client().clone(),
    )
}

/// `roundup draft`'s arguments.
struct DraftArgs<'a> {
    since: Option<&'a str>,
    out: Option<&'a std::path::Path>,
    no_poll: bool,
    force: bool,
}

async fn draft(env: &Env, args: DraftArgs<'_>, reply: &mut Reply) -> anyhow::Result<()> {
    use crate::draft::{DraftOptions, Output, Since, Written};
    let since = match args.since {
        Some(s) => {
            Some(crate::when::Window::parse(s).map_err(|e| BadSetting(format!("--since {e}")))?)
        }
        None => None,
    };
    let out = match args.out {
        None => Output::DraftsDir,
        Some(p) if p.as_os_str() == "-" => Output::Stdout,
        Some(p) => Output::File(p.to_owned()),
    };
    let shortener = shortener(env)?;
    if !args.no_poll {
        let report = env.poll(false).await?;
        for s in report.sources.iter().filter(|s| s.outcome.is_failing()) {
            let _ = writeln!(reply.stderr, "warning: {}: {}", s.name, source_detail(s));
            let _ = writeln!(reply.errors, "error: {}: {}", s.name, source_detail(s));
        }
        let _ = writeln!(reply.stderr, "{}", poll_summary(&report));
        if report.failed() > 0 {
            reply.code = EXIT_SOURCES_FAILED;
        }
    }
    // No poll stores items while the content is selected: a post stored after the selection
    // instant but first seen before it would fall out of the next window.
    let _polling = env.polling.lock().await;
    let opts = DraftOptions {
        since,
        out,
        force: args.force,
    };
    let report = crate::draft::run(&env.cfg, &env.store, &shortener, &opts, Utc::now()).await?;
    for w in &report.warnings {
        let _ = writeln!(reply.stderr, "warning: {w}");
    }
    let since = match report.since {
        Since::LastRoundup(t) => format!(
            "since the last published roundup ({})",
            t.format("%Y-%m-%d %H:%M UTC")
        ),
        s => format!("since {}", s.at().format("%Y-%m-%d")),
    };
    let posts = |n: usize| plural(n, "post", "posts");
    let what = if report.empty {
        format!("nothing new {since} (the draft says so)")
    } else {
        let series = match report.series {
            0 => String::new(),
            1 => " (one series list)".to_owned(),
            n => format!(" ({n} series lists)"),
        };
        format!("{}{series} {since}", posts(report.items))
    };
    let Some(path) = &report.path else {
        reply.stdout = report.text.unwrap_or_default();
        let _ = writeln!(reply.stderr, "draft {}: {what}", report.id);
        return Ok(());
    };
    let shown = display_path(path);
    let _ = writeln!(reply.stdout, "{shown}");
    let mut line = match &report.written {
        Written::Fresh | Written::Replaced | Written::Stdout => format!("wrote {shown}: {what}"),
        Written::Merged { added } => format!(
            "updated {shown} in place: your edits are kept, {} that arrived since added after the last post",
            posts(*added)
        ),
        Written::Unchanged => format!(
            "left {shown} as it is: it has your edits, and nothing new arrived since it was written"
        ),
        Written::Forced { backup } => format!(
            "wrote {shown}: {what}; what was there is kept in {}",
            display_path(backup)
        ),
    };
    if let Some((original, why)) = &report.left_alone {
        line = format!("left {} alone ({why}); {line}", display_path(original));
    }
    let _ = writeln!(reply.stderr, "{line}");
    Ok(())
}

/// "1 post", "2 posts".
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `path` relative to the working folder when it is inside it, as a user would type it.
pub fn display_path(path: &std::path::Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(|p| p.display().to_string()))
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| path.display().to_string())
}

async fn publish(env: &Env, file: &std::path::Path, reply: &mut Reply) -> anyhow::Result<()> {
    let r = crate::publish::run(&env.cfg, &env.store, file, Utc::now())?;
    let shown = display_path(file);
    if r.changed == 0 {
        let _ = writeln!(
            reply.stdout,
            "nothing changed: {shown} was already published ({} in \"{}\")",
            plural(r.kept, "post", "posts"),
            r.title
        );
    } else {
        let mut line = format!(
            "published {}, skipped {} in \"{}\" of {}",
            plural(r.published, "item", "items"),
            r.skipped,
            r.title,
            r.date.format("%Y-%m-%d"),
        );
        if r.updated > 0 {
            let _ = write!(
                line,
                "; {} already published in it now carry its new title or date",
                plural(r.updated, "post", "posts")
            );
        }
        let _ = writeln!(reply.stdout, "{line}");
    }
    for h in &r.by_hand {
        let _ = writeln!(
            reply.stdout,
            "added by hand, recorded as published: {} <{}>",
            h.title, h.link
        );
    }
    for title in &r.revived {
        let _ = writeln!(
            reply.stdout,
            "note: \"{title}\" had been skipped; it is in this roundup, so it counts as published"
        );
    }
    if r.earlier > 0 {
        let _ = writeln!(
            reply.stdout,
            "note: {} in it went out in earlier roundups; they stay recorded there",
            plural(r.earlier, "post", "posts")
        );
    }
    Ok(())
}

fn set_state(
    env: &Env,
    items: &[String],
    state: ItemState,
    force: bool,
    reply: &mut Reply,
) -> anyhow::Result<()> {
    let marked = crate::publish::set_state(&env.cfg, &env.store, items, state, force)?;
    for m in &marked {
        let already = if m.was == state { "already " } else { "" };
        let _ = writeln!(
            reply.stdout,
            "{}  {already}{}  {}",
            m.item.key,
            state.as_str(),
            m.item.title
        );
    }
    Ok(())
}

// ------------------------------------------------------------------------------------- import

pub fn format_import(report: &crate::import::ImportReport, config: &std::path::Path) -> String {
    let mut out = String::new();
    for name in &report.added {
        let _ = writeln!(out, "added    {name}");
    }
    for s in &report.skipped {
        let url = if s.url.is_empty() {
            String::new()
        } else {
            format!(" ({})", s.url)
        };
        let _ = writeln!(out, "skipped  {}{url}: {}", s.name, s.reason);
    }
    for n in &report.notes {
        let _ = writeln!(out, "note     {n}");
    }
    let _ = writeln!(
        out,
        "{} sources added to {}, {} skipped",
        report.added.len(),
        config.display(),
        report.skipped.len()
    );
    out
}
