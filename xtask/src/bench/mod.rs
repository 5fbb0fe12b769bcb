//! `cargo xtask bench`: how long `validate-migrations` takes, and how that compares with the
//! least any replay must cost.
//!
//! Three measurements, each taken `runs` times after one warm-up run:
//! - `store/` of this repository, the whole validation (both dialects, every chain), warm;
//! - a generated large tree (`generate`), the whole validation per dialect and for both, and
//!   the floor of the same chains (`floor`): the same SQL run by `psql` and `sqlite3` alone;
//! - where the time of the large tree goes (`profile`): static checks, cluster start and
//!   stop, each chain's replay with its introspection, and the schema diff;
//! - `store/` with two release tags, populated against `--no-data` and with many rows
//!   (`populated`): what the data costs, and per 1,000 rows.
//!
//! Nothing here asserts a timing; the numbers go into `docs/benchmarks.md`.

mod floor;
pub mod generate;
mod machine;
mod majors;
mod memory;
pub mod populated;
mod profile;
mod report;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};

use crate::dialect::Dialect;
use crate::engine::postgres::{BinariesOptions, Cluster, ClusterOptions, PgBinaries};
use crate::{render, replay, validate};
use floor::SqliteClient;
use generate::{Generated, Shape};
pub use report::Report;

/// How the benchmark runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// The size of the generated tree.
    pub shape: Shape,
    /// Timed runs of each measurement, after one warm-up run.
    pub runs: usize,
    /// Chains replayed at once, by the tool and by the floor alike.
    pub jobs: usize,
    /// Write the generated tree here and keep it; by default it goes into a temporary folder.
    pub keep: Option<PathBuf>,
    /// The replay's cache (`target/validate-migrations/`), as `validate-migrations` uses it.
    pub cache_dir: PathBuf,
    /// Take the PostgreSQL binaries from this folder (`--pg-bin`, `PG_BIN`).
    pub pg_bin: Option<PathBuf>,
    /// Time populated upgrade chains against `--no-data` (off with `--no-populated`).
    pub populated: bool,
    /// `--rows` of the large populated run, from which the cost per 1,000 rows follows.
    pub rows: usize,
}

/// The minimum and the median of a measurement's timed runs.
#[derive(Clone, Copy, Debug)]
pub struct Stats {
    pub min: Duration,
    pub median: Duration,
}

impl Stats {
    fn of(mut samples: Vec<Duration>) -> Stats {
        samples.sort();
        Stats {
            min: samples.first().copied().unwrap_or_default(),
            median: samples.get(samples.len() / 2).copied().unwrap_or_default(),
        }
    }
}

/// Runs `once` for a warm-up and then `runs` times; `once` returns the time it measured, so
/// that it can leave out its own preparation and cleanup.
fn sample(
    runs: usize,
    mut once: impl FnMut() -> anyhow::Result<Duration>,
) -> anyhow::Result<Stats> {
    once()?;
    let samples = (0..runs)
        .map(|_| once())
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Stats::of(samples))
}

/// The replay as `validate-migrations` runs it by default, without a progress line.
fn default_replay(options: &Options) -> replay::Options {
    replay::Options {
        jobs: options.jobs.max(1),
        postgres: replay::PostgresSource::Throwaway(binaries_options(options)),
        cache_dir: options.cache_dir.clone(),
        progress: None,
        ..replay::Options::default()
    }
}

/// Only the populated upgrade chains against `--no-data` (`--populated-only`).
pub fn run_populated(options: &Options) -> anyhow::Result<populated::Report> {
    if options.runs == 0 {
        bail!("--runs takes at least 1");
    }
    let load_before = machine::load_average();
    let replay = default_replay(options);
    let populated = populated::measure(options, &replay)
        .context("timing populated upgrade chains against --no-data")?;
    Ok(populated::Report {
        header: machine::Header::ended(load_before, options.runs, replay.jobs),
        populated,
    })
}

pub fn run(options: &Options) -> anyhow::Result<Report> {
    if options.runs == 0 {
        bail!("--runs takes at least 1");
    }
    let load_before = machine::load_average();
    let replay = default_replay(options);

    let store_root = crate::project_root()?.join("store");
    let store = sample(options.runs, || {
        validate_clean(&store_root, &[], Some(replay.clone()))
    })
    .context("timing the validation of store/")?;
    let mut store_process_peak = 0;
    let store_process = sample(options.runs, || {
        let (elapsed, peak) = validate_process(&store_root, options)?;
        store_process_peak = store_process_peak.max(peak);
        Ok(elapsed)
    })
    .context("timing validate-migrations on store/ as a process")?;
    let populated = options
        .populated
        .then(|| populated::measure(options, &replay))
        .transpose()
        .context("timing populated upgrade chains against --no-data")?;

    let temporary;
    let tree: &Path = match &options.keep {
        Some(dir) => dir,
        None => {
            temporary = tempfile::tempdir().context("cannot create a temporary folder")?;
            temporary.path()
        }
    };
    let generated = generate::write(tree, options.shape)
        .with_context(|| format!("generating a tree in {}", tree.display()))?;

    // One server for the floor and the profile, started from the same cache as the tool's.
    let binaries = PgBinaries::find(&binaries_options(options))?;
    let cluster = Cluster::start(
        &binaries,
        &ClusterOptions {
            cache_dir: Some(options.cache_dir.clone()),
            ..ClusterOptions::default()
        },
    )?;
    let measured = measure_on_cluster(options, &replay, tree, &generated, &binaries, &cluster);
    // The cluster is stopped whatever happened; a measurement error is the one to report.
    let stopped = cluster.stop();
    let measured = measured?;
    stopped?;

    Ok(Report {
        header: machine::Header::ended(load_before, options.runs, replay.jobs),
        engines: measured.engines,
        store,
        store_process,
        majors: majors::measure(options, &replay, &store_root)?,
        populated,
        generated,
        kept: options.keep.clone(),
        large: measured.large,
        profile: measured.profile,
        memory: report::Memory {
            own: memory::own_peak(),
            store_process: store_process_peak,
            children: memory::children_peak(),
        },
    })
}

/// What is measured while the benchmark's own cluster runs.
struct OnCluster {
    large: Vec<report::Row>,
    engines: report::Engines,
    profile: profile::Profile,
}

/// The large tree per scope (the tool against the floor), the engines' versions and the
/// profile. The tool and the floors take turns run by run, so that whatever else the machine
/// does at the time weighs on both alike.
fn measure_on_cluster(
    options: &Options,
    replay: &replay::Options,
    tree: &Path,
    generated: &Generated,
    binaries: &PgBinaries,
    cluster: &Cluster,
) -> anyhow::Result<OnCluster> {
    let floor = floor::Floor::new(tree, binaries, cluster)?;
    // The floor runs the SQL and restores nothing, so the tool is timed against it without the
    // restore drill (whose cost docs/benchmarks.md measures on its own), as the profile is.
    let replay = &replay::Options {
        restore_drill: false,
        ..replay.clone()
    };
    let jobs = replay.jobs;
    let scopes: [(&'static str, &[Dialect]); 3] = [
        ("postgres", &[Dialect::Postgres]),
        ("sqlite", &[Dialect::Sqlite]),
        ("total", &Dialect::ALL),
    ];
    let mut large = Vec::new();
    for (scope, dialects) in scopes {
        let with_sqlite = dialects.contains(&Dialect::Sqlite);
        let (mut tool, mut cli, mut bundled) = (Vec::new(), Vec::new(), Vec::new());
        // Run 0 is the warm-up.
        for run in 0..=options.runs {
            let times = (
                validate_clean(tree, dialects, Some(replay.clone()))?,
                floor.run(dialects, jobs, SqliteClient::Cli)?,
                if with_sqlite {
                    Some(floor.run(dialects, jobs, SqliteClient::Bundled)?)
                } else {
                    None
                },
            );
            if run > 0 {
                tool.push(times.0);
                cli.push(times.1);
                bundled.extend(times.2);
            }
        }
        large.push(report::Row {
            scope,
            tool: Stats::of(tool),
            floor: Stats::of(cli),
            bundled_floor: with_sqlite.then(|| Stats::of(bundled)),
        });
    }
    let engines = report::Engines {
        postgres: cluster.server_version()?,
        psql: floor.psql_version()?,
        sqlite: crate::engine::sqlite::version(),
        sqlite3: floor.sqlite3_version()?,
    };
    let profile = profile::measure(tree, generated, options, binaries, cluster, &floor)?;
    Ok(OnCluster {
        large,
        engines,
        profile,
    })
}

/// Runs `validate-migrations` on `root` as a process of this very binary, as `cargo xtask` runs
/// it once built: process start, the whole validation and the rendering of the report. Returns
/// its wall time and its peak resident memory in bytes.
fn validate_process(root: &Path, options: &Options) -> anyhow::Result<(Duration, u64)> {
    let exe = std::env::current_exe().context("cannot find this program's path")?;
    let mut command = Command::new(exe);
    command
        .args(["validate-migrations", "--root"])
        .arg(root)
        .args([
            "--jobs",
            &options.jobs.max(1).to_string(),
            "--color",
            "never",
        ])
        .env_remove("GITHUB_ACTIONS");
    // The binaries the benchmark was told to use, if any (PG_BIN is inherited anyway).
    if let Some(dir) = &options.pg_bin {
        command.arg("--pg-bin").arg(dir);
    }
    let started = Instant::now();
    let output = memory::run(&mut command).context("cannot run validate-migrations")?;
    let elapsed = started.elapsed();
    if !output.status.success() {
        bail!(
            "validate-migrations --root {} failed ({}):\n{}{}",
            root.display(),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok((elapsed, output.peak))
}

fn binaries_options(options: &Options) -> BinariesOptions {
    BinariesOptions::new(options.pg_bin.clone(), options.cache_dir.clone())
}

/// Runs the whole validation as `validate-migrations` does and returns its wall time; a tree
/// that does not validate clean is an error, since its timing would mean nothing.
fn validate_clean(
    root: &Path,
    dialects: &[Dialect],
    replay: Option<replay::Options>,
) -> anyhow::Result<Duration> {
    validate_timed(root, dialects, replay).map(|(elapsed, _)| elapsed)
}

/// `validate_clean`, with what the validation found.
fn validate_timed(
    root: &Path,
    dialects: &[Dialect],
    replay: Option<replay::Options>,
) -> anyhow::Result<(Duration, validate::Outcome)> {
    let started = Instant::now();
    let outcome = validate::run(&validate::Options {
        root: root.to_path_buf(),
        config: None,
        dialects: dialects.to_vec(),
        replay,
        accept: Default::default(),
    })?;
    let elapsed = started.elapsed();
    if outcome.counts().errors > 0 {
        bail!(
            "{} does not validate clean:\n{}",
            root.display(),
            render::human::render(&outcome, false)
        );
    }
    Ok((elapsed, outcome))
}
