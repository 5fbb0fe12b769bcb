//! The throwaway PostgreSQL clusters started while the static checks run, one per major the run
//! replays on: finding the binaries and starting a cluster need only the options and the cache
//! folder, not the tree, and take longer than the static checks of a small tree, so the replay
//! finds the clusters ready (or nearly) instead of starting them after them.

use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::thread::JoinHandle;

use super::Options;
use crate::dialect::Dialect;
use crate::engine::postgres::{BinariesOptions, PgServer, PostgresServer, PostgresSource};

/// The clusters being started, each on a thread of its own: one, or one per PostgreSQL major
/// the run replays on, so that the majors start at once. The replay takes each (`take`); one it
/// does not take is stopped when this is dropped, so that no path out of the run (an error, the
/// static checks stopping it, a shard without PostgreSQL chains) leaves it running.
pub struct Prestart {
    threads: Mutex<Vec<Starting>>,
}

/// A cluster being started: of `major`, or of the one major found where `None`.
struct Starting {
    major: Option<u32>,
    thread: Option<JoinHandle<anyhow::Result<PgServer>>>,
}

impl Prestart {
    /// Starts the throwaway clusters on threads where the run may replay PostgreSQL chains on
    /// them: one per major of `majors` (`replay::majors`), or the one found where it is empty;
    /// nothing where it replays no PostgreSQL or uses an existing server (opened when the
    /// replay needs it, since that is one connection, and its scratch databases are its own).
    pub fn begin(dialects: &[Dialect], options: &Options, majors: &[u32]) -> Prestart {
        let mut threads = Vec::new();
        if let PostgresSource::Throwaway(binaries) = &options.postgres {
            if dialects.contains(&Dialect::Postgres) {
                let wanted: Vec<Option<u32>> = if majors.is_empty() {
                    vec![None]
                } else {
                    majors.iter().copied().map(Some).collect()
                };
                threads = wanted
                    .into_iter()
                    .map(|major| Starting {
                        major,
                        thread: Some(spawn(major, binaries.clone(), options.cache_dir.clone())),
                    })
                    .collect();
            }
        }
        Prestart {
            threads: Mutex::new(threads),
        }
    }

    /// The started cluster of `major` (`None`: of the one major found), or why it did not
    /// start; `None` where none was started or it was already taken. Waits for the start to
    /// end.
    pub(super) fn take(&self, major: Option<u32>) -> Option<anyhow::Result<PgServer>> {
        let handle = self
            .threads
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter_mut()
            .find(|starting| starting.major == major)?
            .thread
            .take()?;
        Some(handle.join().unwrap_or_else(|_| {
            Err(anyhow::anyhow!(
                "the thread that started PostgreSQL panicked"
            ))
        }))
    }
}

/// Starts the cluster of `major` (or of the one major found) on a thread.
fn spawn(
    major: Option<u32>,
    binaries: BinariesOptions,
    cache_dir: PathBuf,
) -> JoinHandle<anyhow::Result<PgServer>> {
    std::thread::spawn(move || match major {
        Some(major) => PostgresServer::start_major(major, &binaries, &cache_dir),
        None => PostgresServer::start_throwaway(&binaries, &cache_dir),
    })
}

impl Drop for Prestart {
    /// Stops the clusters the replay did not take, after their start ends: dropping one removes
    /// it.
    fn drop(&mut self) {
        let majors: Vec<Option<u32>> = self
            .threads
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|starting| starting.major)
            .collect();
        for major in majors {
            if let Some(Ok(server)) = self.take(major) {
                // Its errors are the cluster's own cleanup warnings, which its drop reports
                // too; nothing here can add to them.
                let _ = server.close();
            }
        }
    }
}

#[cfg(test)]
mod tests {
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
        let prestart = Prestart::begin(&[Dialect::Postgres], &Options::default(), &[]);
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
        let prestart = Prestart::begin(&[Dialect::Sqlite], &Options::default(), &[]);
        assert!(prestart.take(None).is_none());
    }
}
