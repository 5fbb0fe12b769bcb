//! PostgreSQL as a [`Server`] of the replay: a throwaway cluster of this run or an existing
//! server ([`PgServer`]), with how the chains get their databases and roles ([`ChainAccess`]).

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{Context as _, Result};

use super::dump::{DrillSource, DumpTools, Tools};
use super::{
    BinariesOptions, ChainAccess, Cluster, ClusterOptions, ExistingServer, PgBinaries, PgServer,
    PostgresDatabase, ReplayAs,
};
use crate::config::Privileges;
use crate::dialect::Dialect;
use crate::engine::{Database, Server};

/// Where the replay's PostgreSQL comes from.
#[derive(Clone, Debug)]
pub enum PostgresSource {
    /// A throwaway cluster of this run, from these binaries.
    Throwaway(BinariesOptions),
    /// An existing server, by URL: scratch databases are created and dropped on it.
    Existing(String),
}

/// What starting PostgreSQL for a run needs to know.
pub struct PostgresSettings<'a> {
    pub source: &'a PostgresSource,
    /// Where initialized data directories (and downloaded binaries) are cached.
    pub cache_dir: &'a Path,
    /// Who the chains run as (`--replay-as`).
    pub replay_as: ReplayAs,
    /// The rights the configuration gives the chains' role.
    pub privileges: &'a Privileges,
}

/// The PostgreSQL server of a run, and how its chains get their databases.
pub struct PostgresServer {
    /// Shared with each chain's database, whose restore drill creates and drops a database on it.
    server: Arc<PgServer>,
    access: ChainAccess,
    /// Held by each chain where chains may create roles, which are cluster-wide: the roles one
    /// chain created are dropped before the next begins.
    one_at_a_time: Mutex<()>,
    version: String,
    /// The restore drill's `pg_dump` and `pg_restore`, or why there are none.
    dump_tools: Tools,
    /// Whether a chain's session may be ended while a statement runs (`may_end_sessions`), so
    /// that its statements are sent one at a time.
    ends_sessions: bool,
}

impl PostgresServer {
    /// Starts the throwaway cluster or opens the existing server, and decides how chains get
    /// their databases. `sql` is every text the chains will run, read to decide whether they may
    /// create roles.
    pub fn start(settings: &PostgresSettings<'_>, sql: &[&str]) -> Result<PostgresServer> {
        let server = match settings.source {
            PostgresSource::Existing(url) => PgServer::Existing(ExistingServer::open(url)?),
            PostgresSource::Throwaway(binaries) => {
                PostgresServer::start_throwaway(binaries, settings.cache_dir)?
            }
        };
        PostgresServer::on(server, settings, sql)
    }

    /// Starts a throwaway cluster from the binaries found (or fetched) as `binaries` says, its
    /// initialized data directory cached in `cache_dir`: the part of `start` that needs neither
    /// the tree nor the configuration, so that it can run while the static checks do.
    pub fn start_throwaway(binaries: &BinariesOptions, cache_dir: &Path) -> Result<PgServer> {
        Ok(PgServer::Throwaway(start_cluster(
            binaries, cache_dir, None,
        )?))
    }

    /// `start_throwaway` on the binaries of PostgreSQL `major` (`PgBinaries::find_major`), for a
    /// run on several majors. Each major's initialized data directory is cached apart, since the
    /// cache entry is named by the binaries' version.
    pub fn start_major(
        major: u32,
        binaries: &BinariesOptions,
        cache_dir: &Path,
    ) -> Result<PgServer> {
        Ok(PgServer::Throwaway(start_cluster(
            binaries,
            cache_dir,
            Some(major),
        )?))
    }

    /// The rest of `start`, on a server already started or opened.
    pub fn on(
        server: PgServer,
        settings: &PostgresSettings<'_>,
        sql: &[&str],
    ) -> Result<PostgresServer> {
        let version = server.server_version()?;
        let access = ChainAccess::decide(
            &server,
            settings.replay_as,
            settings.privileges,
            creates_roles(sql),
        )?;
        let dump_tools = dump_tools(&server, &version);
        Ok(PostgresServer {
            server: Arc::new(server),
            access,
            one_at_a_time: Mutex::new(()),
            version,
            dump_tools,
            ends_sessions: may_end_sessions(sql),
        })
    }
}

/// Where the restore drill finds `pg_dump` and `pg_restore`: next to the binaries the throwaway
/// cluster runs (a newer major elsewhere would be another installation than the one named), or,
/// for an existing server, in the installed PostgreSQL folders.
fn dump_tools(server: &PgServer, version: &str) -> Tools {
    match server {
        PgServer::Throwaway(cluster) => {
            let dir = cluster.binaries().bin_dir();
            DumpTools::find(&[dir.to_path_buf()], version, &dir.display().to_string())
        }
        PgServer::Existing(_) => DumpTools::find(
            &DumpTools::installed_dirs(),
            version,
            "pg_config --bindir, /usr/lib/postgresql/*/bin or PATH",
        ),
    }
}

/// A throwaway cluster from the binaries found (or fetched) as `binaries` says, of `major` where
/// one is asked for, its initialized data directory cached in `cache_dir`.
fn start_cluster(
    binaries: &BinariesOptions,
    cache_dir: &Path,
    major: Option<u32>,
) -> Result<Cluster> {
    let mut binaries = binaries.clone();
    binaries
        .cache_dir
        .get_or_insert_with(|| cache_dir.to_path_buf());
    let binaries = match major {
        Some(major) => PgBinaries::find_major(major, &binaries)?,
        None => PgBinaries::find(&binaries)?,
    };
    Cluster::start(
        &binaries,
        &ClusterOptions {
            cache_dir: Some(cache_dir.to_path_buf()),
            ..ClusterOptions::default()
        },
    )
}

impl Server for PostgresServer {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn version(&self) -> &str {
        &self.version
    }

    fn origin(&self) -> String {
        match &*self.server {
            PgServer::Throwaway(cluster) => format!(
                "throwaway cluster, binaries in {} ({})",
                cluster.binaries().bin_dir().display(),
                cluster.binaries().origin()
            ),
            PgServer::Existing(existing) => existing.to_string(),
        }
    }

    fn location(&self) -> String {
        match &*self.server {
            PgServer::Throwaway(cluster) => cluster.binaries().bin_dir().display().to_string(),
            PgServer::Existing(existing) => existing.to_string(),
        }
    }

    fn unchecked(&self) -> Option<&str> {
        self.access.unchecked()
    }

    fn with_database(&self, chain: &str, work: &mut dyn FnMut(&mut dyn Database)) -> Result<()> {
        let _turn = self.access.creates_roles().then(|| {
            self.one_at_a_time
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
        });
        let (scope, client) = self.access.open(&self.server, &database_name(chain))?;
        let source = DrillSource {
            server: Arc::clone(&self.server),
            database: database_name(chain),
            tools: self.dump_tools.clone(),
            discarded_with_server: matches!(*self.server, PgServer::Throwaway(_))
                && !self.access.creates_roles(),
        };
        let ran = PostgresDatabase::watched(client, self.server.admin_config()).map(|db| {
            let db = db.drilled_by(source);
            let mut db = if self.ends_sessions {
                db.without_batches()
            } else {
                db
            };
            work(&mut db)
        });
        // The connection is closed by now; the database and the roles go so that an existing
        // server is left as it was found, and the next chain finds no role of this one.
        self.access.close(&self.server, scope)?;
        ran
    }

    fn close(self: Box<Self>) -> Result<()> {
        let server = Arc::try_unwrap(self.server).map_err(|_| {
            anyhow::anyhow!("stopping PostgreSQL while a chain's database is still open")
        })?;
        server.close().context("stopping PostgreSQL")
    }
}

/// A database name for a chain: `chain_full`, `chain_upgrade_from_v0_9_0`.
fn database_name(chain: &str) -> String {
    let name: String = chain
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("chain_{name}")
}

/// Whether the SQL the chains run may create roles: a `CREATE ROLE`, `CREATE USER` or
/// `CREATE GROUP` anywhere in its text, a string that a `DO` block executes included. Where the
/// chains' role may create roles and this says so, chains run one at a time and the roles each
/// one created are dropped after it; a tree that builds the words at run time escapes it and
/// runs its chains side by side, as every tree did before roles were isolated.
fn creates_roles(sql: &[&str]) -> bool {
    static CREATE_ROLE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let pattern = CREATE_ROLE.get_or_init(|| {
        regex::Regex::new(r"(?i)\bcreate\s+(role|user|group)\b").expect("the pattern is valid")
    });
    sql.iter().any(|text| pattern.is_match(text))
}

/// Whether the SQL the chains run may end a chain's session while a statement runs: a PL/pgSQL
/// `EXCEPTION` block can catch the cancellation of a statement past its timeout, which the
/// watchdog then answers by terminating the session, and `pg_terminate_backend` ends other
/// sessions outright. A batch of statements that fails that way cannot be replayed statement by
/// statement in the same session to name the statement, so such trees send statements one at a
/// time. As with `creates_roles`, a tree that builds the words at run time escapes it; its
/// failure is then still reported, without the statement.
fn may_end_sessions(sql: &[&str]) -> bool {
    static ENDS: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let pattern = ENDS.get_or_init(|| {
        regex::Regex::new(r"(?i)\b(exception|pg_terminate_backend)\b")
            .expect("the pattern is valid")
    });
    sql.iter().any(|text| pattern.is_match(text))
}
