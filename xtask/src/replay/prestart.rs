//! The throwaway PostgreSQL cluster started while the static checks run: finding the binaries
//! and starting the cluster need only the options and the cache folder, not the tree, and take
//! longer than the static checks of a small tree, so the replay finds the cluster ready (or
//! nearly) instead of starting it after them.

use std::sync::{Mutex, PoisonError};
use std::thread::JoinHandle;

use super::Options;
use crate::dialect::Dialect;
use crate::engine::postgres::{PgServer, PostgresServer, PostgresSource};

/// A cluster being started on a thread of its own. The replay takes it (`take`); one it does
/// not take is stopped when this is dropped, so that no path out of the run (an error, the
/// static checks stopping it, a shard without PostgreSQL chains) leaves it running.
pub struct Prestart {
    thread: Mutex<Option<JoinHandle<anyhow::Result<PgServer>>>>,
}

impl Prestart {
    /// Starts the throwaway cluster on a thread where the run may replay PostgreSQL chains on
    /// one; nothing where it replays no PostgreSQL or uses an existing server (opened when the
    /// replay needs it, since that is one connection, and its scratch databases are its own).
    pub fn begin(dialects: &[Dialect], options: &Options) -> Prestart {
        let thread = match &options.postgres {
            PostgresSource::Throwaway(binaries) if dialects.contains(&Dialect::Postgres) => {
                let binaries = binaries.clone();
                let cache_dir = options.cache_dir.clone();
                Some(std::thread::spawn(move || {
                    PostgresServer::start_throwaway(&binaries, &cache_dir)
                }))
            }
            _ => None,
        };
        Prestart {
            thread: Mutex::new(thread),
        }
    }

    /// The started cluster, or why it did not start; `None` where none was started or it was
    /// already taken. Waits for the start to end.
    pub(super) fn take(&self) -> Option<anyhow::Result<PgServer>> {
        let handle = self
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()?;
        Some(handle.join().unwrap_or_else(|_| {
            Err(anyhow::anyhow!(
                "the thread that started PostgreSQL panicked"
            ))
        }))
    }
}

impl Drop for Prestart {
    /// Stops a cluster the replay did not take, after its start ends: dropping it removes it.
    fn drop(&mut self) {
        if let Some(Ok(server)) = self.take() {
            // Its errors are the cluster's own cleanup warnings, which its drop reports too;
            // nothing here can add to them.
            let _ = server.close();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::{Duration, Instant};

    use super::*;

    /// The cluster folders of this process (no other unit test starts a cluster), wherever the
    /// cluster registry puts them.
    fn cluster_dirs() -> Vec<PathBuf> {
        let prefix = format!("validate-migrations-pg-{}-", std::process::id());
        [PathBuf::from("/dev/shm"), std::env::temp_dir()]
            .iter()
            .filter_map(|dir| std::fs::read_dir(dir).ok())
            .flatten()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
            .map(|e| e.path())
            .collect()
    }

    #[test]
    fn a_cluster_the_replay_does_not_take_is_stopped_when_dropped() {
        let prestart = Prestart::begin(&[Dialect::Postgres], &Options::default());
        // Dropped while the cluster starts: the drop waits for the start, then stops it.
        let deadline = Instant::now() + Duration::from_secs(60);
        let dirs = loop {
            let dirs = cluster_dirs();
            if !dirs.is_empty() {
                break dirs;
            }
            assert!(Instant::now() < deadline, "no cluster folder appeared");
            std::thread::sleep(Duration::from_millis(5));
        };
        drop(prestart);
        let left: Vec<&PathBuf> = dirs.iter().filter(|dir| dir.exists()).collect();
        assert!(left.is_empty(), "left behind: {left:?}");
    }

    #[test]
    fn nothing_starts_without_postgres_chains() {
        let prestart = Prestart::begin(&[Dialect::Sqlite], &Options::default());
        assert!(prestart.take().is_none());
    }
}
