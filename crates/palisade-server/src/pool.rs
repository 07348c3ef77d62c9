//! The judging pool: a fixed set of threads that run the engine and the user policies, so
//! that the async workers only move bytes. A slow policy then never stalls the connections
//! (and the health probes) that an async worker serves, and judging creates no thread per
//! request. (`tokio::task::block_in_place` did: it hands the worker's core to another
//! thread on every call. Under 2,000 requests/s that thread churn cost a fifth of the
//! latency and each new thread its own allocator heap: RSS grew from 40 to 180 MB.)
//!
//! The queue in front of it is bounded by the server's `max_in_flight` semaphore.

use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

type Job = Box<dyn FnOnce() + Send>;

/// A fixed pool of judging threads.
pub(crate) struct JudgePool {
    jobs: Mutex<Option<Sender<Job>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl JudgePool {
    /// Starts `threads` (at least one) judging threads.
    pub fn new(threads: usize) -> std::io::Result<JudgePool> {
        let (tx, rx) = channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let mut handles = Vec::new();
        for i in 0..threads.max(1) {
            let rx = Arc::clone(&rx);
            handles.push(
                std::thread::Builder::new()
                    .name(format!("palisade-judge-{i}"))
                    .spawn(move || work(&rx))?,
            );
        }
        Ok(JudgePool {
            jobs: Mutex::new(Some(tx)),
            threads: Mutex::new(handles),
        })
    }

    /// Runs `f` on a judging thread and waits for its result; `None` once the pool is shut
    /// down (or if `f` panicked).
    pub async fn run<T, F>(&self, f: F) -> Option<T>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            // The requester may have gone (client hung up): nothing to deliver to.
            let _ = tx.send(f());
        });
        {
            let jobs = self.jobs.lock().ok()?;
            jobs.as_ref()?.send(job).ok()?;
        }
        rx.await.ok()
    }

    /// Stops taking jobs, lets the queued ones finish and joins the threads.
    pub fn shutdown(&self) {
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.take();
        }
        let handles = self
            .threads
            .lock()
            .map(|mut h| std::mem::take(&mut *h))
            .unwrap_or_default();
        for h in handles {
            let _ = h.join();
        }
    }
}

fn work(jobs: &Mutex<Receiver<Job>>) {
    loop {
        // One thread waits in `recv` holding the lock, the others wait for the lock: each
        // job goes to exactly one thread.
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        match job {
            // A panicking job must not take the thread with it (the pool would shrink).
            Ok(job) => {
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
            }
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_run_on_pool_threads_and_a_panic_does_not_shrink_the_pool() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let pool = JudgePool::new(1).expect("pool");
        rt.block_on(async {
            let name = pool
                .run(|| std::thread::current().name().map(str::to_string))
                .await;
            assert_eq!(name, Some(Some("palisade-judge-0".to_string())));
            let panicked: Option<u32> = pool.run(|| panic!("a policy bug")).await;
            assert_eq!(panicked, None);
            assert_eq!(pool.run(|| 2 + 2).await, Some(4));
        });
        pool.shutdown();
        let after: Option<u32> = rt.block_on(pool.run(|| 1));
        assert_eq!(after, None, "a shut-down pool takes no jobs");
    }
}
