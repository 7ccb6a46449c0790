//! `roundup daemon`: polls and drafts on cron schedules, serves short links and `/healthz`,
//! and runs commands sent through the control API while it holds the store. SIGTERM and SIGINT
//! stop it cleanly: in-flight fetches end, the store is flushed, the control file removed.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::cli::Command;
use crate::commands::{self, Env};
use crate::config::Config;
use crate::control::{self, ControlFile};
use crate::schedule::Cron;
use crate::store::Store;

/// How long in-flight work gets to finish after a stop signal before it is abandoned.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Job {
    Poll,
    Draft,
}

pub async fn run(cfg: Config) -> anyhow::Result<()> {
    let store = Store::open(&cfg.store.path)?;
    let env = Env::new(cfg, store)?;
    let cfg = env.cfg.clone();
    let stop = env.cancel.clone();

    let public = TcpListener::bind(cfg.serve.listen).await.map_err(|e| {
        anyhow::anyhow!(
            "cannot listen on {} ([serve] listen in {}): {e}",
            cfg.serve.listen,
            cfg.path.display()
        )
    })?;
    let control_listener = TcpListener::bind(cfg.serve.control).await.map_err(|e| {
        anyhow::anyhow!(
            "cannot listen on {} ([serve] control in {}): {e}",
            cfg.serve.control,
            cfg.path.display()
        )
    })?;
    let control_addr = control_listener.local_addr()?;
    let control_file = control::control_file_path(&cfg.store.path);
    let token = control::new_token();
    control::write_control_file(
        &control_file,
        &ControlFile {
            addr: control_addr,
            token: token.clone(),
            pid: std::process::id(),
        },
    )?;
    tracing::info!(listen = %public.local_addr()?, control = %control_addr, "daemon started");

    let server_stop = CancellationToken::new();
    let serve_task = {
        let app = crate::serve::router(env.store.clone(), cfg.clone());
        let s = server_stop.clone();
        tokio::spawn(async move {
            axum::serve(public, app)
                .with_graceful_shutdown(async move { s.cancelled().await })
                .await
        })
    };
    let control_task = {
        let app = control::router(env.clone(), token);
        let s = server_stop.clone();
        tokio::spawn(async move {
            axum::serve(control_listener, app)
                .with_graceful_shutdown(async move { s.cancelled().await })
                .await
        })
    };
    let poll_task = tokio::spawn(schedule_loop(
        env.clone(),
        Job::Poll,
        cfg.schedule.poll.clone(),
    ));
    let draft_task = tokio::spawn(schedule_loop(
        env.clone(),
        Job::Draft,
        cfg.schedule.draft.clone(),
    ));

    wait_for_signal(&stop).await;
    tracing::info!("stopping");
    stop.cancel();
    server_stop.cancel();
    let all = async {
        let _ = poll_task.await;
        let _ = draft_task.await;
        let _ = serve_task.await;
        let _ = control_task.await;
    };
    if tokio::time::timeout(SHUTDOWN_GRACE, all).await.is_err() {
        tracing::warn!("work still running after {SHUTDOWN_GRACE:?}: stopping anyway");
    }
    let _ = std::fs::remove_file(&control_file);
    env.store.flush()?;
    tracing::info!("stopped");
    Ok(())
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

/// Sleeps until each fire time of `cron`, then runs the job; never two at once, and a fire time
/// that passed while a job ran is not made up for (the next one is computed from the end).
async fn schedule_loop(env: Env, job: Job, cron: Cron) {
    let tz = env.cfg.schedule.timezone;
    let mut last: DateTime<Utc> = Utc::now();
    loop {
        let Some(next) = cron.next_after(last.max(Utc::now()), tz) else {
            tracing::warn!(job = ?job, schedule = %cron, "the schedule never fires again");
            return;
        };
        tracing::info!(job = ?job, schedule = %cron, next = %next.with_timezone(&tz), "next run");
        let wait = (next - Utc::now()).to_std().unwrap_or(Duration::ZERO);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = env.cancel.cancelled() => return,
        }
        last = next;
        let cmd = match job {
            Job::Poll => Command::Poll {
                force: false,
                json: false,
            },
            Job::Draft => Command::Draft {
                since: None,
                out: None,
                no_poll: false,
                force: false,
            },
        };
        match commands::execute(&cmd, &env).await {
            Ok(reply) => {
                if job == Job::Draft {
                    tracing::info!(result = %reply.stderr.trim(), "scheduled draft");
                }
            }
            Err(e) => {
                tracing::error!(job = ?job, error = %format!("{e:#}"), "scheduled run failed")
            }
        }
    }
}
