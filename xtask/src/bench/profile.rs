//! Where the validation of the large tree spends its time, phase by phase, measured with the
//! same library calls the validation makes: the static checks alone, the throwaway cluster's
//! start and stop, each chain's replay (with the introspection of its schema), and the diff.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};

use super::floor::Floor;
use super::generate::Generated;
use super::{sample, validate_clean, Options, Stats};
use crate::dialect::Dialect;
use crate::engine::postgres::{Cluster, ClusterOptions, PgBinaries, PostgresDatabase};
use crate::engine::sqlite::SqliteDatabase;
use crate::engine::Database;
use crate::replay::chain::{self, Chain, Plan, Start};
use crate::schema::{diff, Schema};
use crate::source::SourceFile;
use crate::sql::{Role, SqlFile};
use crate::store::Store;

pub struct Profile {
    pub static_checks: Stats,
    /// Finding the PostgreSQL binaries (`pg_config --bindir`, `postgres --version`).
    pub binaries_lookup: Stats,
    pub cluster_start: Stats,
    pub cluster_stop: Stats,
    pub chains: Vec<ChainProfile>,
    /// `CREATE DATABASE` and `DROP DATABASE` of a PostgreSQL chain's database, each with its
    /// maintenance connection; the drop is of a database that holds the whole schema.
    pub create_database: Stats,
    pub drop_database: Stats,
    /// The diff of `full` against `fresh`, per dialect.
    pub diffs: Vec<(Dialect, Stats)>,
}

pub struct ChainProfile {
    pub dialect: Dialect,
    pub name: String,
    /// Opening (SQLite) or creating and connecting to (PostgreSQL) the database, applying the
    /// chain, checking the stored version and introspecting the schema, as the replay does.
    pub replay: Stats,
    /// The introspection alone, once more on the same database.
    pub introspection: Stats,
    /// The floor of this chain run alone.
    pub floor: Stats,
}

pub fn measure(
    tree: &Path,
    generated: &Generated,
    options: &Options,
    binaries: &PgBinaries,
    cluster: &Cluster,
    floor: &Floor<'_>,
) -> anyhow::Result<Profile> {
    let runs = options.runs;
    let static_checks = sample(runs, || validate_clean(tree, &[], None))?;
    let binaries_options = super::binaries_options(options);
    let binaries_lookup = sample(runs, || {
        let started = Instant::now();
        PgBinaries::find(&binaries_options)?;
        Ok(started.elapsed())
    })?;
    let (cluster_start, cluster_stop) = cluster_start_stop(runs, binaries, options)?;

    let store = Store::open(tree, tree.parent().unwrap_or(tree), None)?;
    let mut databases = Databases::default();
    let mut chains = Vec::new();
    let mut diffs = Vec::new();
    for dialect in Dialect::ALL {
        let (latest, migrations) = load_dialect(&store, dialect)?;
        let plan = plan(&store, generated, &migrations);
        let mut schemas = Vec::new();
        for (name, start) in [("fresh", Start::Fresh(&latest)), ("full", Start::Empty)] {
            let chain = Chain::new(dialect, start);
            let mut schema = None;
            let mut introspections = Vec::new();
            let replay = sample(runs, || {
                let (elapsed, introspection, read) =
                    replay_chain(&chain, &plan, cluster, &mut databases)?;
                introspections.push(introspection);
                schema = Some(read);
                Ok(elapsed)
            })?;
            // The first introspection belongs to the warm-up run.
            introspections.remove(0);
            chains.push(ChainProfile {
                dialect,
                name: name.into(),
                replay,
                introspection: Stats::of(introspections),
                floor: sample(runs, || floor.run_one(dialect, name))?,
            });
            schemas.push(schema.context("a chain was not replayed")?);
        }
        let stats = time_diff(runs, dialect, &schemas)?;
        diffs.push((dialect, stats));
    }
    // Each list holds one warm-up sample per PostgreSQL chain, which the other samples
    // outnumber.
    Ok(Profile {
        static_checks,
        binaries_lookup,
        cluster_start,
        cluster_stop,
        chains,
        create_database: Stats::of(databases.creates),
        drop_database: Stats::of(databases.drops),
        diffs,
    })
}

/// A dialect's `LATEST.sql` and migrations, loaded as the validation loads them.
fn load_dialect(
    store: &Store,
    dialect: Dialect,
) -> anyhow::Result<(SqlFile, Vec<(semver::Version, SqlFile)>)> {
    let driver = store
        .driver(dialect)
        .with_context(|| format!("the generated tree has no {dialect} folder"))?;
    let latest_path = driver
        .latest
        .as_ref()
        .with_context(|| format!("the generated tree has no {dialect} LATEST.sql"))?;
    let latest = load(store, latest_path, dialect, Role::Latest)?;
    let migrations = driver
        .migrations()
        .into_iter()
        .map(|(version, file)| {
            let role = Role::Migration(version.clone());
            Ok((version.clone(), load(store, &file.path, dialect, role)?))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok((latest, migrations))
}

/// The replay's plan for the generated tree, as the validation makes it.
fn plan<'a>(
    store: &Store,
    generated: &Generated,
    migrations: &'a [(semver::Version, SqlFile)],
) -> Plan<'a> {
    Plan {
        migrations: migrations.iter().map(|(v, f)| (v, f)).collect(),
        target: generated.version.clone(),
        target_source: "VERSION".into(),
        minimum_upgrade: store.config.minimum_upgrade.clone(),
        seeds: Vec::new(),
        timeout: Duration::from_secs(30),
        deadline: None,
        stamp: store.config.stamp.clone(),
        transaction: store.config.transaction,
        rule: store.config.layout.versions,
        two_part: store.config.layout.two_part,
        skip_extensions: store.config.skip_extensions.clone(),
        // The phases timed here are the chain's own; the drill's cost is the whole run's
        // (docs/benchmarks.md, "The restore drill's cost").
        restore_drill: false,
        data: crate::replay::chain::data::Data::default(),
    }
}

/// Times the diff of the full chain's schema against the fresh one's, which must be equal.
fn time_diff(runs: usize, dialect: Dialect, schemas: &[Schema]) -> anyhow::Result<Stats> {
    let [fresh, full] = schemas else {
        bail!("expected the fresh and the full chain");
    };
    sample(runs, || {
        let started = Instant::now();
        let differences = diff::diff(fresh, full);
        let elapsed = started.elapsed();
        if !differences.is_empty() {
            bail!("{dialect}: the full chain differs from LATEST.sql: {differences:?}");
        }
        Ok(elapsed)
    })
}

fn load(store: &Store, path: &Path, dialect: Dialect, role: Role) -> anyhow::Result<SqlFile> {
    let source = SourceFile::read(path, store.display(path))?;
    Ok(SqlFile::load(source, dialect, role))
}

/// Starts and stops a throwaway cluster as the validation does (from the cached data
/// directory), timing both.
fn cluster_start_stop(
    runs: usize,
    binaries: &PgBinaries,
    options: &Options,
) -> anyhow::Result<(Stats, Stats)> {
    let cluster_options = ClusterOptions {
        cache_dir: Some(options.cache_dir.clone()),
        ..ClusterOptions::default()
    };
    let mut starts = Vec::new();
    let mut stops = Vec::new();
    for _ in 0..=runs {
        let started = Instant::now();
        let cluster = Cluster::start(binaries, &cluster_options)?;
        starts.push(started.elapsed());
        let stopping = Instant::now();
        cluster.stop()?;
        stops.push(stopping.elapsed());
    }
    // The first start and stop are the warm-up.
    starts.remove(0);
    stops.remove(0);
    Ok((Stats::of(starts), Stats::of(stops)))
}

/// The PostgreSQL databases of the profile: how many there were, and how long creating and
/// dropping each took.
#[derive(Default)]
struct Databases {
    count: usize,
    creates: Vec<Duration>,
    drops: Vec<Duration>,
}

/// Replays one chain on a new database and returns the replay's time, the time of one more
/// introspection, and the schema.
fn replay_chain(
    chain: &Chain<'_>,
    plan: &Plan<'_>,
    cluster: &Cluster,
    databases: &mut Databases,
) -> anyhow::Result<(Duration, Duration, Schema)> {
    let started = Instant::now();
    match chain.dialect {
        Dialect::Sqlite => {
            let mut db = SqliteDatabase::open_in_memory(true)?;
            let elapsed = run(chain, plan, &mut db, started)?;
            let (introspection, schema) = introspect(&mut db)?;
            Ok((elapsed, introspection, schema))
        }
        Dialect::Postgres => {
            let name = format!("profile_{}", databases.count);
            databases.count += 1;
            cluster.create_database(&name, None)?;
            databases.creates.push(started.elapsed());
            let result = cluster.connect(&name).and_then(|client| {
                let mut db = PostgresDatabase::new(client);
                let elapsed = run(chain, plan, &mut db, started)?;
                let (introspection, schema) = introspect(&mut db)?;
                Ok((elapsed, introspection, schema))
            });
            // The connection is closed by now, so the database can go.
            let dropping = Instant::now();
            cluster.drop_database(&name)?;
            databases.drops.push(dropping.elapsed());
            result
        }
    }
}

fn run(
    chain: &Chain<'_>,
    plan: &Plan<'_>,
    db: &mut dyn Database,
    started: Instant,
) -> anyhow::Result<Duration> {
    let outcome = chain::run(chain, plan, db);
    let elapsed = started.elapsed();
    if !outcome.failures.is_empty() || outcome.schema.is_none() {
        bail!(
            "the {} chain failed on the generated tree ({} failures)",
            chain.name,
            outcome.failures.len()
        );
    }
    Ok(elapsed)
}

fn introspect(db: &mut dyn Database) -> anyhow::Result<(Duration, Schema)> {
    let started = Instant::now();
    let schema = db.introspect()?;
    Ok((started.elapsed(), schema))
}
