//! The daemon's schedules: a loop per job (poll, draft) that sleeps until the job's next cron
//! fire time and runs it as the command line would.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::cli::commands::{self, Env};
use crate::cli::Command;
use crate::config::cron::Cron;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    Poll,
    Draft,
}

/// Sleeps until each fire time of `cron`, then runs the job; never two at once, and a fire time
/// that passed while a job ran is not made up for (the next one is computed from the end).
pub async fn schedule_loop(env: Env, job: Job, cron: Cron) {
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
