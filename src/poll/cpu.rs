//! The threads a poll parses and extracts on: one per core, started as the first bodies come
//! (a poll where every feed answers 304 starts none) and ended with the poll.
//!
//! tokio's blocking pool would start a thread whenever none is idle at the moment a job is
//! handed over, and a thread that has just finished a job is not idle yet: a poll of 1000
//! feeds on 2 cores ran a dozen parse threads, each with its own allocator cache (measured:
//! about 5 MiB of peak memory). Here the jobs wait in a queue for the few threads instead.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};

type Job = Box<dyn FnOnce() + Send>;

pub struct CpuPool {
    queue: Mutex<Queue>,
    most: usize,
}

struct Queue {
    tx: Sender<Job>,
    rx: Arc<Mutex<Receiver<Job>>>,
    started: usize,
}

impl CpuPool {
    /// A pool of at most `threads` threads (at least one).
    pub fn new(threads: usize) -> CpuPool {
        let (tx, rx) = channel();
        CpuPool {
            queue: Mutex::new(Queue {
                tx,
                rx: Arc::new(Mutex::new(rx)),
                started: 0,
            }),
            most: threads.max(1),
        }
    }

    /// One thread per core.
    pub fn per_core() -> CpuPool {
        CpuPool::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }

    /// Runs `job` on one of the pool's threads. A job that panics gives `Err` with the panic's
    /// message; the thread goes on with the next job. Dropping the future leaves the job to run
    /// and its result unread.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, String> {
        let (done, result) = tokio::sync::oneshot::channel();
        let wrapped: Job = Box::new(move || {
            let outcome = catch_unwind(AssertUnwindSafe(job)).map_err(|panic| {
                panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic with no message".to_string())
            });
            let _ = done.send(outcome);
        });
        {
            let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            if queue.started < self.most && start_worker(queue.rx.clone()) {
                queue.started += 1;
            }
            if queue.started == 0 {
                return Err("could not start a thread to parse on".to_string());
            }
            // The workers hold the receiver until the pool, which holds the sender, is gone.
            let _ = queue.tx.send(wrapped);
        }
        result
            .await
            .unwrap_or_else(|_| Err("the parse thread stopped".to_string()))
    }
}

/// Starts a thread taking jobs from `rx` until every sender is gone.
fn start_worker(rx: Arc<Mutex<Receiver<Job>>>) -> bool {
    std::thread::Builder::new()
        .name("roundup-parse".to_string())
        .spawn(move || {
            yield_to_the_writer();
            loop {
                let next = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                match next {
                    Ok(job) => job(),
                    Err(_) => break,
                }
            }
        })
        .is_ok()
}

/// How much less CPU a parse thread asks for than the poll's other threads (nice, in steps).
const PARSE_NICENESS: i32 = 5;

/// Lowers the calling thread's priority by `PARSE_NICENESS`: when the cores are all busy, the
/// poll's writer, one thread that must store every item, runs before the parse threads rather
/// than sharing a core with them. At an equal share it fell behind, and a cold poll of 1000
/// feeds ended with the writer alone storing a backlog of over a hundred sources while the
/// other core idled (README, Performance). Best effort: where it cannot, nothing changes.
fn yield_to_the_writer() {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{getpriority_process, setpriority_process};
        // On Linux a thread id names that thread alone.
        let me = Some(rustix::thread::gettid());
        if let Ok(now) = getpriority_process(me) {
            let _ = setpriority_process(me, now.saturating_add(PARSE_NICENESS).min(19));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_run_on_at_most_the_pools_threads_and_a_panic_is_an_error_not_a_lost_thread() {
        let pool = Arc::new(CpuPool::new(2));
        let names = futures_util::future::join_all((0..20).map(|i| {
            let pool = pool.clone();
            async move {
                pool.run(move || {
                    std::thread::sleep(std::time::Duration::from_millis(2));
                    (i, format!("{:?}", std::thread::current().id()))
                })
                .await
                .unwrap()
            }
        }))
        .await;
        let threads: std::collections::BTreeSet<_> = names.iter().map(|(_, t)| t).collect();
        assert_eq!(threads.len(), 2, "{names:?}");
        assert_eq!(
            names.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
            (0..20).collect::<Vec<_>>()
        );

        let err = pool
            .run(|| -> u8 { panic!("a parser bug") })
            .await
            .unwrap_err();
        assert_eq!(err, "a parser bug");
        assert_eq!(
            pool.run(|| 7).await,
            Ok(7),
            "the pool goes on after a panic"
        );
        assert_eq!(pool.queue.lock().unwrap().started, 2);
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn the_parse_threads_ask_for_less_cpu_than_the_thread_that_stores() {
        use rustix::process::getpriority_process;
        let nice = || getpriority_process(Some(rustix::thread::gettid())).unwrap();
        let mine = nice();
        let theirs = CpuPool::new(1).run(nice).await.unwrap();
        assert_eq!(theirs, (mine + PARSE_NICENESS).min(19));
        assert_eq!(nice(), mine, "only the pool's threads are lowered");
    }
}
