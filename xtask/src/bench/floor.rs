//! The floor: the SQL that the validation replays, run by the engines' own command-line
//! clients and nothing else.
//!
//! Per dialect there are the two chains the validation replays on a tree outside git: `fresh`
//! (`LATEST.sql`) and `full` (every migration in semver order), each in one transaction on a
//! new, empty database:
//! - PostgreSQL: `CREATE DATABASE` (through the `postgres` crate, as the replay does), then
//!   `psql -X -q -v ON_ERROR_STOP=1 -1 -f FILE ...` on the cluster's socket;
//! - SQLite: `sqlite3 -bail :memory:` with `PRAGMA foreign_keys=ON; BEGIN; ... COMMIT;` on its
//!   standard input, as the service sets up its connection.
//!
//! The tool runs its SQLite chains on the SQLite it bundles, which may be another version than
//! the `sqlite3` installed (and faster or slower than it). So the floor can also run the same
//! SQLite scripts through the bundled library, in process, with one `execute_batch` call
//! ([`SqliteClient::Bundled`]): the same engine version, with no per-statement work at all.
//!
//! The chains run `jobs` at a time, as the validation runs them. The timed window holds the
//! database creation, the clients' process starts and their work; the scripts are put together
//! and the databases dropped outside it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use xshell::{cmd, Shell};

use crate::dialect::Dialect;
use crate::engine::postgres::{Cluster, PgBinaries};
use crate::store::Store;

/// What runs the SQLite chains of the floor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SqliteClient {
    /// `sqlite3 -bail :memory:`.
    Cli,
    /// The SQLite library bundled into this tool, in process.
    Bundled,
}

/// One chain of the floor.
struct Chain {
    dialect: Dialect,
    name: &'static str,
    /// PostgreSQL: the files, in order, for `psql -f`. SQLite: unused.
    files: Vec<PathBuf>,
    /// SQLite: the whole script for `sqlite3`'s standard input. PostgreSQL: unused.
    script: String,
}

pub struct Floor<'c> {
    chains: Vec<Chain>,
    cluster: &'c Cluster,
    psql: PathBuf,
    /// Numbers the databases, which are new for every chain run.
    next_database: AtomicUsize,
}

impl<'c> Floor<'c> {
    /// Reads the tree's layout and prepares the chains of both dialects.
    pub fn new(root: &Path, binaries: &PgBinaries, cluster: &'c Cluster) -> anyhow::Result<Self> {
        let store = Store::open(root, root.parent().unwrap_or(root), None)?;
        let mut chains = Vec::new();
        for dialect in Dialect::ALL {
            let driver = store
                .driver(dialect)
                .with_context(|| format!("the generated tree has no {dialect} folder"))?;
            let latest = driver
                .latest
                .clone()
                .with_context(|| format!("the generated tree has no {dialect} LATEST.sql"))?;
            let migrations: Vec<PathBuf> = driver
                .migrations()
                .into_iter()
                .map(|(_, file)| file.path.clone())
                .collect();
            for (name, files) in [("fresh", vec![latest]), ("full", migrations)] {
                let script = match dialect {
                    Dialect::Postgres => String::new(),
                    Dialect::Sqlite => sqlite_script(&files)?,
                };
                chains.push(Chain {
                    dialect,
                    name,
                    files,
                    script,
                });
            }
        }
        // psql from the server's own installation where it has one, so that client and server
        // match; else the one on PATH.
        let beside_server = binaries.bin_dir().join("psql");
        let psql = if beside_server.is_file() {
            beside_server
        } else {
            PathBuf::from("psql")
        };
        Ok(Floor {
            chains,
            cluster,
            psql,
            next_database: AtomicUsize::new(0),
        })
    }

    /// Runs the chains of `dialects`, `jobs` at a time, and returns the wall time from the first
    /// start to the last end. The databases are dropped afterwards, outside that time.
    pub fn run(
        &self,
        dialects: &[Dialect],
        jobs: usize,
        sqlite: SqliteClient,
    ) -> anyhow::Result<Duration> {
        let chains: Vec<&Chain> = self
            .chains
            .iter()
            .filter(|c| dialects.contains(&c.dialect))
            .collect();
        let next = AtomicUsize::new(0);
        let created = Mutex::new(Vec::new());
        let errors = Mutex::new(Vec::new());
        let started = Instant::now();
        std::thread::scope(|scope| {
            for _ in 0..jobs.clamp(1, chains.len().max(1)) {
                scope.spawn(|| {
                    while let Some(chain) = chains.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let result = self.run_chain(chain, sqlite, &created);
                        if let (Err(error), Ok(mut errors)) = (result, errors.lock()) {
                            errors.push(format!("{} {}: {error:#}", chain.dialect, chain.name));
                        }
                    }
                });
            }
        });
        let elapsed = started.elapsed();
        let created = created.into_inner().unwrap_or_default();
        for database in &created {
            self.cluster.drop_database(database)?;
        }
        let errors = errors.into_inner().unwrap_or_default();
        if !errors.is_empty() {
            bail!("the floor failed:\n{}", errors.join("\n"));
        }
        Ok(elapsed)
    }

    /// Runs one chain alone and returns its time, for the profile.
    pub fn run_one(&self, dialect: Dialect, name: &str) -> anyhow::Result<Duration> {
        let chain = self
            .chains
            .iter()
            .find(|c| c.dialect == dialect && c.name == name)
            .with_context(|| format!("no floor chain {dialect} {name}"))?;
        let created = Mutex::new(Vec::new());
        let started = Instant::now();
        let result = self.run_chain(chain, SqliteClient::Cli, &created);
        let elapsed = started.elapsed();
        for database in created.into_inner().unwrap_or_default() {
            self.cluster.drop_database(&database)?;
        }
        result.map(|()| elapsed)
    }

    fn run_chain(
        &self,
        chain: &Chain,
        sqlite: SqliteClient,
        created: &Mutex<Vec<String>>,
    ) -> anyhow::Result<()> {
        if chain.dialect == Dialect::Sqlite && sqlite == SqliteClient::Bundled {
            let connection = rusqlite::Connection::open_in_memory()
                .context("cannot open an in-memory SQLite database")?;
            return connection
                .execute_batch(&chain.script)
                .with_context(|| format!("{} (bundled SQLite)", chain.name));
        }
        let sh = Shell::new().context("cannot run a command")?;
        let output = match chain.dialect {
            Dialect::Postgres => {
                let number = self.next_database.fetch_add(1, Ordering::Relaxed);
                let database = format!("floor_{number}");
                self.cluster.create_database(&database, None)?;
                if let Ok(mut created) = created.lock() {
                    created.push(database.clone());
                }
                let psql = &self.psql;
                let socket = self.cluster.socket_dir();
                let port = self.cluster.port().to_string();
                let files: Vec<OsString> = chain
                    .files
                    .iter()
                    .flat_map(|f| [OsString::from("-f"), f.clone().into_os_string()])
                    .collect();
                // -X: no ~/.psqlrc; -q: no command tags; -1: everything in one transaction.
                cmd!(
                    sh,
                    "{psql} -X -q -v ON_ERROR_STOP=1 -1 -h {socket} -p {port} -U postgres -d {database} {files...}"
                )
                .quiet()
                .ignore_status()
                .output()
            }
            Dialect::Sqlite => cmd!(sh, "sqlite3 -bail :memory:")
                .stdin(&chain.script)
                .quiet()
                .ignore_status()
                .output(),
        }
        .context("cannot run the engine's client")?;
        if !output.status.success() {
            bail!(
                "{} ({}):\n{}",
                chain.name,
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(())
    }

    /// `psql --version`, e.g. `psql (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)`.
    pub fn psql_version(&self) -> anyhow::Result<String> {
        let sh = Shell::new().context("cannot run a command")?;
        let psql = &self.psql;
        cmd!(sh, "{psql} --version")
            .quiet()
            .read()
            .context("cannot run psql --version")
    }

    /// `sqlite3 --version`, its version and date.
    pub fn sqlite3_version(&self) -> anyhow::Result<String> {
        let sh = Shell::new().context("cannot run a command")?;
        let version = cmd!(sh, "sqlite3 --version")
            .quiet()
            .read()
            .context("cannot run sqlite3 --version")?;
        Ok(version
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "))
    }
}

/// The script `sqlite3` reads: the files in one transaction, with foreign keys on as the service
/// opens its database.
fn sqlite_script(files: &[PathBuf]) -> anyhow::Result<String> {
    let mut script = String::from("PRAGMA foreign_keys=ON;\nBEGIN;\n");
    for file in files {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        script.push_str(&text);
        // A file's last statement may end in a comment without a newline.
        script.push('\n');
    }
    script.push_str("COMMIT;\n");
    Ok(script)
}
