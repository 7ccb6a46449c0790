//! `roundup daemon`: polls and drafts on cron schedules, serves short links and `/healthz`,
//! and runs commands sent through the control API while it holds the store. SIGTERM and SIGINT
//! stop it cleanly: in-flight fetches end, the store is flushed, the control file removed.
//!
//! `schedule` runs the cron jobs, `serve` the public listener (short links, `/healthz`),
//! `control` the loopback API that other roundup processes send their commands to; the review
//! page (`crate::review`) has a loopback listener of its own, `[review] listen`.

mod clicks;
pub mod control;
mod schedule;
pub mod serve;

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::cli::commands::Env;
use crate::config::Config;
use crate::store::Store;
use control::ControlFile;
use schedule::{schedule_loop, Job};

/// How long in-flight work gets to finish after a stop signal before it is abandoned.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

pub async fn run(cfg: Config) -> anyhow::Result<()> {
    let store = Store::open(&cfg.store.path)?;
    let env = Env::new(cfg, store);
    // Built now, for all its polls: a client that cannot be set up stops the daemon at start.
    env.fetcher.client()?;
    let cfg = env.cfg.clone();
    let stop = env.cancel.clone();

    let public = bind(cfg.serve.listen, "[serve] listen", &cfg).await?;
    let control_listener = bind(cfg.serve.control, "[serve] control", &cfg).await?;
    let control_addr = control_listener.local_addr()?;
    let review = match cfg.review.listen {
        Some(addr) => Some(bind(addr, "[review] listen", &cfg).await?),
        None => None,
    };
    let review_addr = review.as_ref().map(|l| l.local_addr()).transpose()?;
    let control_file = control::control_file_path(&cfg.store.path);
    let token = control::new_token()?;
    control::write_control_file(
        &control_file,
        &ControlFile {
            addr: control_addr,
            token: token.clone(),
            pid: std::process::id(),
            review: review_addr,
        },
    )?;
    tracing::info!(listen = %public.local_addr()?, control = %control_addr, "daemon started");
    if let Some(addr) = review_addr {
        tracing::info!("review the current draft at http://{addr}/");
    }

    let server_stop = CancellationToken::new();
    let clicks = clicks::Clicks::default();
    let mut tasks = vec![
        serve(
            public,
            serve::router(env.store.clone(), cfg.clone(), clicks.clone()),
            &server_stop,
        ),
        tokio::spawn(
            clicks
                .clone()
                .flush_loop(env.store.clone(), server_stop.clone()),
        ),
        serve(
            control_listener,
            control::router(env.clone(), token),
            &server_stop,
        ),
        tokio::spawn(schedule_loop(
            env.clone(),
            Job::Poll,
            cfg.schedule.poll.clone(),
        )),
        tokio::spawn(schedule_loop(
            env.clone(),
            Job::Draft,
            cfg.schedule.draft.clone(),
        )),
    ];
    if let Some(listener) = review {
        let access = crate::review::Access {
            allow_remote: cfg.review.allow_remote,
            // A page's publish waits for a draft being written, and the other way round.
            desk: env.polling.clone(),
        };
        let (cfg, store, stop) = (cfg.clone(), env.store.clone(), server_stop.clone());
        tasks.push(tokio::spawn(async move {
            if let Err(e) = crate::review::serve(listener, cfg, store, access, stop).await {
                tracing::error!(error = %e, "the review page stopped");
            }
        }));
    }

    wait_for_signal(&stop).await;
    tracing::info!("stopping");
    stop.cancel();
    server_stop.cancel();
    let all = futures_util::future::join_all(tasks);
    if tokio::time::timeout(SHUTDOWN_GRACE, all).await.is_err() {
        tracing::warn!("work still running after {SHUTDOWN_GRACE:?}: stopping anyway");
    }
    let _ = std::fs::remove_file(&control_file);
    clicks.flush(&env.store);
    env.store.flush()?;
    tracing::info!("stopped");
    Ok(())
}

/// Listens on `addr`, the config's `key`; the error names both.
async fn bind(addr: SocketAddr, key: &str, cfg: &Config) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|e| {
        anyhow::anyhow!(
            "cannot listen on {addr} ({key} in {}): {e}",
            cfg.path.display()
        )
    })
}

/// Serves `app` on `listener` until `stop` is cancelled.
fn serve(listener: TcpListener, app: axum::Router, stop: &CancellationToken) -> JoinHandle<()> {
    let stop = stop.clone();
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "a listener stopped");
        }
    })
}

async fn wait_for_signal(stop: &CancellationToken) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            tracing::error!("cannot install signal handlers");
            return stop.cancelled().await;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
            _ = stop.cancelled() => {}
        }
    }
    #[cfg(not(unix))]
    {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = stop.cancelled() => {}
        }
    }
}
