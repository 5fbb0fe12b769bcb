//! The deadline of a chain's statements, enforced from outside the chain's session.
//!
//! The replay sets `statement_timeout` in the chain's session, but that session runs the
//! migrations, and a migration can set it back to 0, or catch the cancellation in PL/pgSQL
//! (`EXCEPTION WHEN query_canceled`) and go on. So every statement is also watched by a thread
//! with a connection of its own: once the statement has run `CANCEL_AFTER` past its timeout,
//! the thread cancels it with `pg_cancel_backend`; if it still runs `TERMINATE_AFTER` later,
//! the thread ends the whole backend with `pg_terminate_backend`, which no SQL can catch.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use postgres::{Client, NoTls};

/// How long past its timeout a statement runs before the watchdog cancels it: the session's
/// own `statement_timeout` normally stops it first, with PostgreSQL's usual message.
const CANCEL_AFTER: Duration = Duration::from_secs(1);

/// How long a cancelled statement may go on before its backend is terminated.
const TERMINATE_AFTER: Duration = Duration::from_secs(2);

/// What the watchdog did to the statement last watched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// It was cancelled from outside its session.
    Cancelled,
    /// Its backend was terminated: the session is gone.
    Terminated,
}

/// One chain's watchdog: a thread that acts on the chain's backend `pid` over an administrative
/// connection, opened from `admin` the first time it is needed.
pub struct Watchdog {
    shared: Arc<(Mutex<State>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

struct State {
    /// When the next action is due; `None` while no statement runs.
    at: Option<Instant>,
    /// What was done to the running statement so far.
    stopped: Option<Stopped>,
    shutdown: bool,
}

impl Watchdog {
    pub fn start(admin: postgres::Config, pid: i32) -> std::io::Result<Watchdog> {
        let shared = Arc::new((
            Mutex::new(State {
                at: None,
                stopped: None,
                shutdown: false,
            }),
            Condvar::new(),
        ));
        let thread = std::thread::Builder::new()
            .name("postgres-watchdog".into())
            .spawn({
                let shared = Arc::clone(&shared);
                move || watch(&shared, &admin, pid)
            })?;
        Ok(Watchdog {
            shared,
            thread: Some(thread),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Every field is written whole, so the state is consistent even after a panic.
        self.shared.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts the clock for a statement that may run `timeout`. A timeout too large to add to
    /// the clock means none.
    pub fn arm(&self, timeout: Duration) {
        let mut state = self.state();
        state.at = Instant::now()
            .checked_add(timeout)
            .and_then(|at| at.checked_add(CANCEL_AFTER));
        state.stopped = None;
        self.shared.1.notify_one();
    }

    /// Stops the clock and tells what was done to the statement. The watchdog acts while it
    /// holds the lock, so once this returns nothing it sends can reach the next statement.
    pub fn disarm(&self) -> Option<Stopped> {
        let mut state = self.state();
        state.at = None;
        state.stopped.take()
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.state().shutdown = true;
        self.shared.1.notify_one();
        if let Some(thread) = self.thread.take() {
            // The thread does not panic, and there is nothing to do here if it did.
            let _ = thread.join();
        }
    }
}

fn watch(shared: &(Mutex<State>, Condvar), admin: &postgres::Config, pid: i32) {
    let (lock, wake) = shared;
    let mut client: Option<Client> = None;
    let mut state = lock.lock().unwrap_or_else(PoisonError::into_inner);
    while !state.shutdown {
        let Some(at) = state.at else {
            state = wake.wait(state).unwrap_or_else(PoisonError::into_inner);
            continue;
        };
        let now = Instant::now();
        if now < at {
            state = wake
                .wait_timeout(state, at - now)
                .map_or_else(|poison| poison.into_inner().0, |(state, _)| state);
            continue;
        }
        let (function, stopped, next) = match state.stopped {
            None => (
                "pg_cancel_backend",
                Stopped::Cancelled,
                now.checked_add(TERMINATE_AFTER),
            ),
            Some(_) => ("pg_terminate_backend", Stopped::Terminated, None),
        };
        // A failure to reach the server is tried again at the next step (or, after the
        // termination, left to the connection's own end): the statement has no other way to
        // be stopped, and the run's own deadline still stands above it.
        if signal(&mut client, admin, function, pid) {
            state.stopped = Some(stopped);
        }
        state.at = next;
    }
}

/// Runs `SELECT function(pid)` over the administrative connection, opening it if needed;
/// tells whether the server accepted the call.
fn signal(client: &mut Option<Client>, admin: &postgres::Config, function: &str, pid: i32) -> bool {
    if client.as_ref().is_none_or(Client::is_closed) {
        *client = admin.connect(NoTls).ok();
    }
    let Some(connection) = client.as_mut() else {
        return false;
    };
    connection
        .query_one(&format!("SELECT {function}($1)"), &[&pid])
        .is_ok()
}
