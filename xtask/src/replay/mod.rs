//! The replay: every way a database reaches the current version, run on real engines, then the
//! schemas introspected and compared with the fresh install's. Chains run in parallel, each in
//! a database of its own: an in-memory SQLite database, or a database of one PostgreSQL server
//! per run.

pub mod chain;
pub mod history;
mod report;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context as _;

use crate::allowlist::Allowlist;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::dialect::Dialect;
use crate::engine::postgres::{
    BinariesOptions, Cluster, ClusterOptions, ExistingServer, PgBinaries, PgServer,
    PostgresDatabase,
};
use crate::engine::sqlite::SqliteDatabase;
use crate::engine::Database;
use crate::source::SourceFile;
use crate::sql::{Role, SqlFile};
use crate::store::Store;
use chain::{Chain, Plan, Start};
use history::History;

#[derive(Clone, Debug)]
pub struct Options {
    /// How many chains run at once.
    pub jobs: usize,
    pub statement_timeout: Duration,
    /// Whether SQLite enforces foreign keys, as the service sets it.
    pub sqlite_foreign_keys: bool,
    pub postgres: PostgresSource,
    /// Where initialized PostgreSQL data directories (and downloaded binaries) are cached.
    pub cache_dir: PathBuf,
    /// Releases below this version cannot upgrade (the service refuses them).
    pub minimum_upgrade: semver::Version,
}

#[derive(Clone, Debug)]
pub enum PostgresSource {
    /// A throwaway cluster of this run, from these binaries.
    Throwaway(BinariesOptions),
    /// An existing server, by URL: scratch databases are created and dropped on it.
    Existing(String),
}

/// What the replay did, for the summary.
#[derive(Debug, Default, serde::Serialize)]
pub struct Summary {
    /// Each engine used, with its version and where it came from.
    pub engines: Vec<String>,
    pub chains: Vec<ChainSummary>,
    pub statements: usize,
}

#[derive(Debug, serde::Serialize)]
pub struct ChainSummary {
    pub dialect: Dialect,
    pub name: String,
    pub passed: bool,
}

pub fn run(
    store: &Store,
    files: &[SqlFile],
    dialects: &[Dialect],
    options: &Options,
    allowlist: &Allowlist,
    out: &mut Vec<Diagnostic>,
) -> anyhow::Result<Summary> {
    let history = history::read(&store.root);
    let mut chains = Vec::new();
    let mut plans = Vec::new();
    for &dialect in dialects {
        let Some(driver) = store.driver(dialect) else {
            continue;
        };
        let Some((plan, latest)) = plan(files, dialect, store, options) else {
            continue;
        };
        if let Some(latest) = latest {
            chains.push(Chain {
                dialect,
                name: "fresh".into(),
                start: Start::Fresh(latest),
            });
        }
        chains.push(Chain {
            dialect,
            name: "full".into(),
            start: Start::Empty,
        });
        if let Some(latest) = &driver.latest {
            chains.extend(release_chains(
                store, &history, dialect, latest, &plan, out,
            )?);
        }
        plans.push((dialect, plan));
    }
    if chains.is_empty() {
        return Ok(Summary::default());
    }

    let mut summary = Summary::default();
    let postgres = if chains.iter().any(|c| c.dialect == Dialect::Postgres) {
        let server = start_postgres(&options.postgres, &options.cache_dir)?;
        let version = server.server_version()?;
        summary
            .engines
            .push(format!("PostgreSQL {version} ({server})"));
        Some(server)
    } else {
        None
    };
    if chains.iter().any(|c| c.dialect == Dialect::Sqlite) {
        summary.engines.push(format!(
            "SQLite {} (bundled, in process)",
            crate::engine::sqlite::version()
        ));
    }

    let outcomes = run_chains(&chains, &plans, postgres.as_ref(), options);
    if let Some(server) = postgres {
        server.close().context("stopping PostgreSQL")?;
    }
    let outcomes = outcomes?;

    for (chain, outcome) in chains.iter().zip(&outcomes) {
        summary.statements += outcome.statements;
        summary.chains.push(ChainSummary {
            dialect: chain.dialect,
            name: chain.name.clone(),
            passed: outcome.failures.is_empty(),
        });
    }
    for (dialect, plan) in &plans {
        let latest = files
            .iter()
            .find(|f| f.dialect == *dialect && f.role == Role::Latest);
        report::failures(&chains, &outcomes, *dialect, plan, &summary.engines, out);
        report::differences(&chains, &outcomes, *dialect, latest, allowlist, out);
    }
    let ran: Vec<(Dialect, &str)> = chains
        .iter()
        .map(|c| (c.dialect, c.name.as_str()))
        .collect();
    allowlist.unused(&ran, out);
    Ok(summary)
}

/// What every chain of a dialect shares, and the fresh-install script where there is one.
fn plan<'a>(
    files: &'a [SqlFile],
    dialect: Dialect,
    store: &Store,
    options: &Options,
) -> Option<(Plan<'a>, Option<&'a SqlFile>)> {
    let mut migrations: Vec<(&semver::Version, &SqlFile)> = files
        .iter()
        .filter(|f| f.dialect == dialect)
        .filter_map(|f| match &f.role {
            Role::Migration(version) => Some((version, f)),
            _ => None,
        })
        .collect();
    migrations.sort_by(|a, b| a.0.cmp(b.0));
    let target = store
        .version_file
        .version()
        .cloned()
        .or_else(|| migrations.last().map(|(v, _)| (*v).clone()))?;
    let seeds = files
        .iter()
        .filter(|f| f.dialect == dialect && f.role == Role::Seed)
        .collect();
    let latest = files
        .iter()
        .find(|f| f.dialect == dialect && f.role == Role::Latest);
    Some((
        Plan {
            migrations,
            target,
            minimum_upgrade: options.minimum_upgrade.clone(),
            seeds,
            timeout: options.statement_timeout,
        },
        latest,
    ))
}

/// A chain per release tag at or above the minimum upgrade version, starting from the
/// `LATEST.sql` the tag shipped.
fn release_chains<'a>(
    store: &Store,
    history: &History,
    dialect: Dialect,
    latest_path: &std::path::Path,
    plan: &Plan<'_>,
    out: &mut Vec<Diagnostic>,
) -> anyhow::Result<Vec<Chain<'a>>> {
    let (repository, releases, shallow) = match history {
        History::Tags {
            repository,
            releases,
            shallow,
        } => (repository, releases, *shallow),
        History::Unavailable(why) => {
            out.push(skipped(
                dialect,
                &format!("{why}, so there are no release tags"),
            ));
            return Ok(Vec::new());
        }
    };
    if releases.is_empty() {
        let why = if shallow {
            "this is a shallow clone without tags: in GitHub Actions, check out with `fetch-depth: 0`; elsewhere run `git fetch --tags --unshallow`"
        } else {
            "the repository has no release tags `vX.Y.Z` yet"
        };
        out.push(skipped(dialect, why));
        return Ok(Vec::new());
    }
    let mut chains = Vec::new();
    for release in releases
        .iter()
        .filter(|r| r.version >= plan.minimum_upgrade)
    {
        let Some(text) = history::file_at(repository, &release.tag, latest_path)? else {
            continue;
        };
        let display = format!("{}:{}", release.tag, store.display(latest_path));
        let source = SourceFile::new(latest_path.to_path_buf(), display, text);
        chains.push(Chain {
            dialect,
            name: format!("upgrade-from-{}", release.tag),
            start: Start::Release {
                latest: Box::new(SqlFile::load(source, dialect, Role::Latest)),
            },
        });
    }
    Ok(chains)
}

fn skipped(dialect: Dialect, why: &str) -> Diagnostic {
    Diagnostic::new(
        Code::UpgradeChainsSkipped,
        format!(
            "{}: upgrade chains from released versions were not replayed: {why}",
            dialect.engine()
        ),
    )
}

fn start_postgres(
    source: &PostgresSource,
    cache_dir: &std::path::Path,
) -> anyhow::Result<PgServer> {
    match source {
        PostgresSource::Existing(url) => Ok(PgServer::Existing(ExistingServer::open(url)?)),
        PostgresSource::Throwaway(binaries) => {
            let mut binaries = binaries.clone();
            binaries
                .cache_dir
                .get_or_insert_with(|| cache_dir.to_path_buf());
            let binaries = PgBinaries::find(&binaries)?;
            let cluster = Cluster::start(
                &binaries,
                &ClusterOptions {
                    cache_dir: Some(cache_dir.to_path_buf()),
                    ..ClusterOptions::default()
                },
            )?;
            Ok(PgServer::Throwaway(cluster))
        }
    }
}

/// Runs every chain, `options.jobs` at a time, and returns their outcomes in chain order.
fn run_chains<'c>(
    chains: &'c [Chain<'c>],
    plans: &'c [(Dialect, Plan<'c>)],
    postgres: Option<&PgServer>,
    options: &Options,
) -> anyhow::Result<Vec<chain::Outcome<'c>>> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<anyhow::Result<chain::Outcome<'c>>>>> =
        Mutex::new((0..chains.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..options.jobs.clamp(1, chains.len()) {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(chain) = chains.get(index) else {
                    break;
                };
                let result = run_one(chain, plans, postgres, options);
                if let Ok(mut results) = results.lock() {
                    results[index] = Some(result);
                }
            });
        }
    });
    let results = results
        .into_inner()
        .map_err(|_| anyhow::anyhow!("a replay thread panicked"))?;
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(anyhow::anyhow!("a chain was not run"))))
        .collect()
}

fn run_one<'c>(
    chain: &'c Chain<'c>,
    plans: &'c [(Dialect, Plan<'c>)],
    postgres: Option<&PgServer>,
    options: &Options,
) -> anyhow::Result<chain::Outcome<'c>> {
    let plan = plans
        .iter()
        .find(|(d, _)| *d == chain.dialect)
        .map(|(_, p)| p)
        .context("a chain without a plan")?;
    match chain.dialect {
        Dialect::Sqlite => {
            let mut db = SqliteDatabase::open_in_memory(options.sqlite_foreign_keys)?;
            Ok(chain::run(chain, plan, &mut db))
        }
        Dialect::Postgres => {
            let server = postgres.context("PostgreSQL was not started")?;
            let name = database_name(&chain.name);
            server.create_database(&name, None)?;
            let outcome = server.connect(&name).map(|client| {
                let mut db = PostgresDatabase::new(client);
                chain::run(chain, plan, &mut db as &mut dyn Database)
            });
            // The connection is closed by now; the database goes so that an existing server
            // is left as it was found.
            server.drop_database(&name)?;
            outcome
        }
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
