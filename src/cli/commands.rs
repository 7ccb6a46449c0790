//! The commands, run against an open store: each gathers what it needs and hands it to a view
//! (`views`). Output is collected in a `Reply` (standard output, standard error, exit code) so
//! the same code serves the terminal and the daemon's control API.

use std::fmt::Write as _;
use std::sync::Arc;

use anyhow::Context as _;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::views::{self, SourceJson};
use super::{Command, StateFilter};
use crate::config::Config;
use crate::fetch::Fetcher;
use crate::item::{Item, ItemState};
use crate::poll::{self, PollOptions, PollReport};
use crate::render::RenderError;
use crate::store::Store;

/// Exit codes: all well; unexpected failure; done but some sources failed; bad config.
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
    /// Held for the length of a poll: two polls never overlap. Drafts hold it while they select
    /// and write, publishes (the command's and the review page's) while they run.
    pub polling: Arc<tokio::sync::Mutex<()>>,
    /// Draw progress bars (only when the output is a terminal).
    pub progress: bool,
    pub cancel: CancellationToken,
}

impl Env {
    pub fn new(cfg: Config, store: Store) -> Env {
        let fetcher = Arc::new(Fetcher::new(&cfg.http));
        Env::with_fetcher(cfg, store, fetcher)
    }

    /// `new`, with a fetcher made beforehand (its client perhaps being built already).
    pub fn with_fetcher(cfg: Config, store: Store, fetcher: Arc<Fetcher>) -> Env {
        Env {
            cfg: Arc::new(cfg),
            store,
            fetcher,
            polling: Arc::new(tokio::sync::Mutex::new(())),
            progress: false,
            cancel: CancellationToken::new(),
        }
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
        Command::Poll { force, json } => poll(env, *force, *json, &mut reply).await?,
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
        Command::Publish { file, social } => {
            // Not while a draft is written, nor while the review page publishes.
            let _desk = env.polling.lock().await;
            let r = crate::publish::run(&env.cfg, &env.store, file, Utc::now())?;
            reply.stdout = views::format_publish(&r, &views::display_path(file));
            if let Some(path) = social {
                let csv = crate::publish::social::csv(&r.posts);
                crate::files::write_atomically(path, csv.as_bytes(), crate::files::Access::Shared)
                    .with_context(|| {
                        format!("cannot write the social posts to {}", path.display())
                    })?;
                reply.stdout.push_str(&format!(
                    "wrote {}: {}\n",
                    views::display_path(path),
                    views::plural(r.posts.len(), "social post", "social posts")
                ));
            }
        }
        Command::Items { state, json } => {
            let items = select_items(&env.store, *state)?;
            // A YOURLS shortener without its signature still knows the links it issued
            // before: none.
            let shortener = shortener(env).ok();
            let short = |link: &str| shortener.as_ref().and_then(|s| s.stored(link));
            reply.stdout = if *json {
                let clicks = |link: &str| {
                    let code = env.store.code_for(link).ok().flatten()?;
                    env.store.clicks(&code).ok()
                };
                views::items_json(&items, short, clicks)?
            } else {
                views::format_items(&items, short)
            };
        }
        Command::Skip { items, force } => {
            set_state(env, items, ItemState::Skipped, *force, &mut reply)?
        }
        Command::Unskip { items, force } => {
            set_state(env, items, ItemState::Unseen, *force, &mut reply)?
        }
        Command::Sources { json } => sources(env, *json, &mut reply)?,
        Command::Daemon
        | Command::Import { .. }
        | Command::Check { .. }
        | Command::Review { .. } => {
            anyhow::bail!("`{}` cannot run through the control API", command_name(cmd));
        }
    }
    Ok(reply)
}

async fn poll(env: &Env, force: bool, json: bool, reply: &mut Reply) -> anyhow::Result<()> {
    let report = env.poll(force).await?;
    reply.stdout = if json {
        serde_json::to_string_pretty(&report)? + "\n"
    } else {
        views::format_poll(&report)
    };
    for s in report.sources.iter().filter(|s| s.outcome.is_failing()) {
        let _ = writeln!(
            reply.errors,
            "error: {}: {}",
            s.name,
            views::source_detail(s)
        );
    }
    if report.failed() > 0 {
        reply.code = EXIT_SOURCES_FAILED;
    }
    Ok(())
}

fn sources(env: &Env, json: bool, reply: &mut Reply) -> anyhow::Result<()> {
    let rows = source_rows(env)?;
    reply.stdout = if json {
        serde_json::to_string_pretty(&rows)? + "\n"
    } else {
        views::format_sources(&rows)
    };
    // Like `poll`: done, but some sources are failing.
    let failing: Vec<&SourceJson> = rows.iter().filter(|r| r.last_error.is_some()).collect();
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
    Ok(())
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
        Command::Review { .. } => "review",
        Command::Import { .. } => "import",
        Command::Check { .. } => "check",
    }
}

// ------------------------------------------------------------------------------------- items

pub fn select_items(store: &Store, state: StateFilter) -> anyhow::Result<Vec<Item>> {
    let mut items = match state {
        StateFilter::Unseen => store.unseen_items()?,
        _ => store.items()?,
    };
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

// ------------------------------------------------------------------------------------- sources

fn source_rows(env: &Env) -> anyhow::Result<Vec<SourceJson>> {
    let counts = env.store.item_counts()?;
    let now = chrono::Utc::now();
    env.cfg
        .sources
        .iter()
        .map(|s| {
            let st = env.store.source_state(&s.id(), &s.name)?;
            let health = crate::health::marks(&env.cfg, &st, now)
                .iter()
                .map(|m| m.as_str().to_owned())
                .collect();
            Ok(SourceJson {
                name: s.name.clone(),
                url: s.url.to_string(),
                status: st.status.as_str().to_owned(),
                last_fetch: st.last_fetch,
                last_error: st.last_error,
                error_kind: st.error_kind,
                items: counts.get(&s.name).copied().unwrap_or(0),
                next_check: st.next_check,
                health,
                moved_to: st.moved_to,
                error_count: st.error_count,
                newest_post: st.newest_post,
            })
        })
        .collect()
}

// ------------------------------------------------------------------------------------- drafts

fn shortener(env: &Env) -> Result<crate::shorten::Shortener, crate::shorten::ShortenError> {
    crate::shorten::Shortener::new(&env.cfg.shortener, env.store.clone(), || {
        env.fetcher.client().cloned().map_err(|e| e.to_string())
    })
}

/// `roundup draft`'s arguments.
struct DraftArgs<'a> {
    since: Option<&'a str>,
    out: Option<&'a std::path::Path>,
    no_poll: bool,
    force: bool,
}

async fn draft(env: &Env, args: DraftArgs<'_>, reply: &mut Reply) -> anyhow::Result<()> {
    use crate::draft::{DraftOptions, Output};
    let since = match args.since {
        Some(s) => Some(
            crate::config::window::Window::parse(s)
                .map_err(|e| BadSetting(format!("--since {e}")))?,
        ),
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
            let detail = views::source_detail(s);
            let _ = writeln!(reply.stderr, "warning: {}: {detail}", s.name);
            let _ = writeln!(reply.errors, "error: {}: {detail}", s.name);
        }
        let _ = writeln!(reply.stderr, "{}", views::poll_summary(&report));
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
    let Some(path) = &report.path else {
        let _ = writeln!(reply.stderr, "{}", views::printed_draft_line(&report));
        reply.stdout = report.text.unwrap_or_default();
        return Ok(());
    };
    let shown = views::display_path(path);
    let _ = writeln!(reply.stdout, "{shown}");
    let _ = writeln!(reply.stderr, "{}", views::draft_line(&report, &shown));
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
    reply.stdout = views::format_marked(&marked, state);
    Ok(())
}
