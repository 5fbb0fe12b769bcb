//! The replay: every way a database reaches the current version, run on real engines, then the
//! schemas introspected and compared with the fresh install's. Chains run in parallel, each in
//! a database of its own: an in-memory SQLite database, or a database of one PostgreSQL server
//! per run.

mod batch;
pub mod chain;
mod drill;
mod engines;
mod extension;
mod failure;
mod grouped;
mod majors;
pub mod measure;
mod names;
pub mod observed;
mod parity;
mod plan;
mod prestart;
mod progress;
mod releases;
mod report;
mod rewrites;
mod running;
mod stamp_write;
mod terminated;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::allowlist;
use crate::diagnostic::Diagnostic;
use crate::dialect::Dialect;
pub use crate::engine::postgres::PostgresSource;
use crate::engine::postgres::{BinariesOptions, ReplayAs};
use crate::git::releases::{self as history, History};
use crate::sql::{Role, SqlFile};
use crate::store::Store;
use chain::{Chain, ChainKind, Plan, Start};
pub use engines::majors;
use engines::Engines;
pub use names::name_chains;
pub use prestart::Prestart;
pub use progress::{Progress, ProgressSink};

#[derive(Clone, Debug)]
pub struct Options {
    /// How many chains run at once.
    pub jobs: usize,
    pub statement_timeout: Duration,
    /// When the whole run must end (`--timeout`): statements are stopped there, and chains not
    /// done by then are reported as `run-timeout`.
    pub deadline: Option<Instant>,
    pub postgres: PostgresSource,
    /// Where initialized PostgreSQL data directories (and downloaded binaries) are cached.
    pub cache_dir: PathBuf,
    /// This run's share of the chains, for a CI matrix: shard `index` (from 1) of `count`.
    pub shard: Option<Shard>,
    /// Where to report the chains' progress (the command line draws a line on a terminal, for
    /// long runs); nothing where `None`.
    pub progress: Option<ProgressSink>,
    /// A release tag whose fresh-install schema is kept in the summary, read in its upgrade
    /// chain right after its `LATEST.sql` ran (`release-check` compares it with today's).
    pub capture_release: Option<String>,
    /// Who PostgreSQL chains run as (`--replay-as`).
    pub replay_as: ReplayAs,
    /// Whether `fresh` and the upgrade chains end with the restore drill: their database backed
    /// up and restored as operators do, and the restore compared with it.
    pub restore_drill: bool,
    /// Whether and how upgrade chains run on populated databases (`--no-data`, `--rows`).
    pub data: chain::data::Settings,
    /// The PostgreSQL majors every PostgreSQL chain replays on (`--postgres-version`); empty
    /// means the configuration's `engines.postgres`, else the one major found.
    pub postgres_versions: Vec<u32>,
    /// Whether a missing major may be downloaded (`--download-postgres`; the configuration's
    /// `engines.download-postgres` allows it too).
    pub download_postgres: bool,
}

impl Default for Options {
    /// The defaults of `cargo xtask validate-migrations`.
    fn default() -> Options {
        Options {
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            statement_timeout: Duration::from_secs(30),
            deadline: None,
            postgres: PostgresSource::Throwaway(BinariesOptions::default()),
            cache_dir: default_cache_dir(),
            shard: None,
            progress: None,
            capture_release: None,
            replay_as: ReplayAs::Owner,
            restore_drill: true,
            data: chain::data::Settings::default(),
            postgres_versions: Vec::new(),
            download_postgres: false,
        }
    }
}

/// Where the replay caches an initialized PostgreSQL cluster (and downloaded binaries): the
/// cargo target folder of the repository it runs in, which `cargo clean` empties; outside one,
/// a folder in the system's temporary folder.
pub fn default_cache_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| crate::project_root().ok().map(|root| root.join("target")));
    match target {
        Some(target) => target.join("validate-migrations"),
        None => std::env::temp_dir().join("validate-migrations-cache"),
    }
}

/// A share of the chains. Every shard replays each dialect's `fresh` (the other chains are
/// compared with it) but only the first reports what `fresh` itself finds; the other chains are
/// dealt out in turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Shard, String> {
        let parsed = text
            .split_once('/')
            .and_then(|(k, n)| Some((k.parse::<usize>().ok()?, n.parse::<usize>().ok()?)));
        match parsed {
            Some((index, count)) if index >= 1 && index <= count => Ok(Shard { index, count }),
            _ => Err(format!("`{text}` is not K/N with 1 <= K <= N, e.g. 2/4")),
        }
    }
}

impl Shard {
    /// Whether this shard replays and reports the `position`-th chain that is not `fresh`.
    fn owns(&self, position: usize) -> bool {
        position % self.count == self.index - 1
    }

    pub fn is_first(&self) -> bool {
        self.index == 1
    }
}

/// What the replay did, for the summary.
#[derive(Debug, Default, serde::Serialize)]
pub struct Summary {
    /// Each engine used, with its version and where it came from.
    pub engines: Vec<Engine>,
    pub chains: Vec<ChainSummary>,
    pub statements: usize,
    /// Fresh-install schemas: each dialect's `fresh` chain, and the release named by
    /// `Options::capture_release` where its upgrade chain ran.
    #[serde(skip)]
    pub schemas: Vec<CapturedSchema>,
    /// Chains that `--shard` left to the other shards of the matrix (the summary lists them as
    /// not checked).
    #[serde(skip)]
    pub other_shards: usize,
    /// Which chains executed which statements, for the findings the engine judges.
    #[serde(skip)]
    pub observed: observed::Observed,
    /// Release tags a dialect's upgrade chain does not start from, and why (the validation's
    /// outcome lists them with the tags the history skipped).
    #[serde(skip)]
    pub skipped_tags: Vec<history::SkippedTag>,
    /// Why PostgreSQL chains did not run with only the rights of the service's role, where they
    /// did not (the validation's outcome lists it as not checked).
    #[serde(skip)]
    pub privileges_unchecked: Option<String>,
    /// Engines the restore drill could not run on (`PostgreSQL 15.18`), each with why and what
    /// to install (the validation's outcome lists them as not checked).
    #[serde(skip)]
    pub not_drilled: Vec<(String, String)>,
    /// What else the replay left unchecked, as (what, why): the configured PostgreSQL majors on
    /// a run that replays on an existing server (the validation's outcome lists them).
    #[serde(skip)]
    pub unchecked: Vec<(String, String)>,
}

/// The schema a fresh install builds, of the working tree (`release: None`) or of a release.
#[derive(Debug)]
pub struct CapturedSchema {
    pub dialect: Dialect,
    pub release: Option<String>,
    pub schema: crate::schema::Schema,
}

/// An engine the chains ran on.
#[derive(Debug, serde::Serialize)]
pub struct Engine {
    pub dialect: Dialect,
    /// As the engine reports it, e.g. `15.18 (Debian 15.18-0+deb12u1)` or `3.54.1`.
    pub version: String,
    /// Where it runs: the throwaway cluster and its binaries, the server's redacted URL, or the
    /// bundled library.
    pub origin: String,
    /// Where a missing extension would have to be installed, for messages: the binaries'
    /// folder, or the server's redacted URL.
    #[serde(skip)]
    pub location: String,
}

impl Engine {
    /// The engine and its version number, for messages: `PostgreSQL 15.18`.
    pub fn name(&self) -> String {
        let number = self.version.split_whitespace().next().unwrap_or_default();
        format!("{} {number}", self.dialect.engine())
    }
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} ({})",
            self.dialect.engine(),
            self.version,
            self.origin
        )
    }
}

#[derive(Debug, serde::Serialize)]
pub struct ChainSummary {
    pub dialect: Dialect,
    pub name: String,
    pub passed: bool,
    /// Why the chain was stopped unchecked, where the configuration told it to stop
    /// (`replay.skip-extensions`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_checked: Option<String>,
    /// The chain applied, but its database's backup did not restore, or restored something
    /// else (the restore drill).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub restore_failed: bool,
    /// The engine it ran on (`PostgreSQL 15.18`), where its dialect ran on several (PostgreSQL
    /// on several majors): the chain is listed once per engine.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    /// What the engine measured of an upgrade chain's pending migrations (`measure.rs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measured: Option<measure::ChainMeasure>,
}

impl ChainSummary {
    /// The chain as reports list it: `fresh`, or `fresh on PostgreSQL 15.18` where its dialect
    /// ran on several engines.
    pub fn label(&self) -> String {
        match &self.engine {
            Some(engine) => format!("{} on {engine}", self.name),
            None => self.name.clone(),
        }
    }

    /// Whether `diagnostic` is one of this chain's: it names the chain and, where the diagnostic
    /// names engines, this chain's engine.
    pub fn has(&self, diagnostic: &Diagnostic) -> bool {
        diagnostic.dialect == Some(self.dialect)
            && diagnostic.chains.contains(&self.name)
            && (diagnostic.engines.is_empty()
                || self
                    .engine
                    .as_ref()
                    .is_none_or(|engine| diagnostic.engines.contains(engine)))
    }
}

/// What the replay reads: the tree, its history, what to replay and how.
pub struct Input<'a> {
    pub store: &'a Store,
    pub history: &'a History,
    /// The tree's SQL files, loaded once by the static checks.
    pub files: &'a [SqlFile],
    /// The dialects selected for this run.
    pub dialects: &'a [Dialect],
    pub options: &'a Options,
    /// The throwaway cluster started while the static checks ran, if one was.
    pub prestart: Option<&'a Prestart>,
}

/// Plans the chains, runs this shard's share of them on the engines, and reports what they
/// found into `out`, less the differences the reviewed allowlist accepts (recorded in its
/// `Uses`, which the acceptance stage judges at the end).
pub fn run(
    input: &Input<'_>,
    allowlist: &mut allowlist::Consulted<'_>,
    out: &mut Vec<Diagnostic>,
) -> anyhow::Result<Summary> {
    let options = input.options;
    let plan::Planned {
        mut chains,
        plans,
        skipped_tags,
    } = plan::chains(input, out)?;
    let planned = chains.len();
    if let Some(shard) = options.shard {
        plan::deal(&mut chains, shard);
    }
    let mut summary = Summary {
        other_shards: planned - chains.len(),
        skipped_tags,
        ..Summary::default()
    };
    if chains.is_empty() {
        return Ok(summary);
    }

    let majors = majors(options, &input.store.config.engines.postgres);
    let slots = engines::slots(&chains, &majors);
    let chains = engines::assign(chains, &slots);
    summary.unchecked = majors_unchecked(input, &chains);
    let engines = Engines::start(input, &chains, &slots)?;
    summary.engines = engines.describe();
    summary.privileges_unchecked = engines.unchecked();
    let outcomes = running::run_chains(&chains, &plans, &engines, options);
    engines.close()?;
    let mut outcomes = outcomes?;

    let reports = |chain: &Chain<'_>| reported(chain, options.shard);
    for (chain, outcome) in chains.iter().zip(outcomes.iter_mut()) {
        if !reports(chain) {
            outcome.failures.clear();
            outcome.data.findings.clear();
            outcome.data.losses.clear();
        }
    }
    summarize(&chains, &mut outcomes, options.shard, &mut summary);
    report_findings(
        input,
        &chains,
        &outcomes,
        &plans,
        &summary.engines,
        allowlist,
        out,
    );
    Ok(summary)
}

/// The configured PostgreSQL majors, where the run replays on an existing server instead: that
/// server is the one PostgreSQL checked, which the summary says.
fn majors_unchecked(input: &Input<'_>, chains: &[Chain<'_>]) -> Vec<(String, String)> {
    let configured = &input.store.config.engines.postgres;
    let existing = matches!(input.options.postgres, PostgresSource::Existing(_));
    if !existing || configured.is_empty() || !chains.iter().any(|c| c.dialect == Dialect::Postgres)
    {
        return Vec::new();
    }
    let listed: Vec<String> = configured.iter().map(u32::to_string).collect();
    vec![(
        format!("PostgreSQL {} (engines.postgres)", listed.join(", ")),
        "--postgres-url replays on that one server only".to_string(),
    )]
}

/// Whether this shard reports what `chain` found. On shards after the first, `fresh` ran only
/// to be compared with: its own findings are the first shard's to report.
fn reported(chain: &Chain<'_>, shard: Option<Shard>) -> bool {
    chain.kind() != ChainKind::Fresh || shard.is_none_or(|s| s.is_first())
}

/// The first engine `dialect`'s chains run on (the only one, but for PostgreSQL on several
/// majors).
fn first_engine(chains: &[Chain<'_>], dialect: Dialect) -> usize {
    chains
        .iter()
        .find(|c| c.dialect == dialect)
        .map_or(0, |c| c.engine)
}

/// Fills the summary from the outcomes: the captured schemas (each `fresh`, and the release
/// `capture_release` names), what the engines observed, and the chains this shard reports.
fn summarize(
    chains: &[Chain<'_>],
    outcomes: &mut [chain::Outcome<'_>],
    shard: Option<Shard>,
    summary: &mut Summary,
) {
    for (chain, outcome) in chains.iter().zip(outcomes.iter_mut()) {
        // On several majors, the first engine's schemas stand for the dialect's (parity,
        // `release-check`); the majors are compared with each other apart.
        let first = chains.iter().find(|c| c.dialect == chain.dialect);
        if first.is_some_and(|first| first.engine != chain.engine) {
            continue;
        }
        if chain.kind() == ChainKind::Fresh {
            if let Some(schema) = outcome.schema.clone() {
                summary.schemas.push(CapturedSchema {
                    dialect: chain.dialect,
                    release: None,
                    schema,
                });
            }
        }
        if let (Start::Release { tag, .. }, Some(schema)) =
            (&chain.start, outcome.release_schema.take())
        {
            summary.schemas.push(CapturedSchema {
                dialect: chain.dialect,
                release: Some(tag.clone()),
                schema,
            });
        }
    }
    summary.observed = observed::Observed::new(chains, outcomes, &summary.engines);
    for (chain, outcome) in chains.iter().zip(outcomes.iter()) {
        let engine = summary.engines.get(chain.engine);
        if let (Some(why), Some(engine)) = (&outcome.not_drilled, engine) {
            let entry = (engine.name(), why.clone());
            if !summary.not_drilled.contains(&entry) {
                summary.not_drilled.push(entry);
            }
        }
    }
    for (chain, outcome) in chains.iter().zip(outcomes.iter()) {
        if !reported(chain, shard) {
            continue;
        }
        summary.statements += outcome.statements;
        let several = chains
            .iter()
            .any(|c| c.dialect == chain.dialect && c.engine != chain.engine);
        summary.chains.push(ChainSummary {
            dialect: chain.dialect,
            name: chain.name.clone(),
            engine: several
                .then(|| summary.engines.get(chain.engine).map(Engine::name))
                .flatten(),
            passed: outcome.failures.is_empty(),
            not_checked: outcome.failures.iter().find_map(|failure| match failure {
                chain::Failure::ExtensionSkipped { extension, .. } => {
                    Some(format!("replay.skip-extensions: {extension}"))
                }
                _ => None,
            }),
            restore_failed: !outcome.failures.is_empty()
                && outcome
                    .failures
                    .iter()
                    .all(|failure| matches!(failure, chain::Failure::Restore(_))),
            measured: outcome.measured.as_ref().map(measure::Measured::summary),
        });
    }
}

/// Turns the outcomes into diagnostics: per dialect the chains' failures, their differences
/// from `fresh` and what introspection could not read; then parity between the dialects. The
/// chains that ran are recorded with the allowlist's use, so that its entries are judged.
fn report_findings(
    input: &Input<'_>,
    chains: &[Chain<'_>],
    outcomes: &[chain::Outcome<'_>],
    plans: &[(Dialect, Plan<'_>)],
    engines: &[Engine],
    allowlist: &mut allowlist::Consulted<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let (store, files) = (input.store, input.files);
    let reports = |chain: &Chain<'_>| reported(chain, input.options.shard);
    let version_file = store
        .version_file
        .as_ref()
        .map(|file| store.display(file.path()));
    for (dialect, plan) in plans {
        let latest = files
            .iter()
            .find(|f| f.dialect == *dialect && f.role == Role::Latest);
        let highest = plan
            .migrations
            .last()
            .map(|(_, f)| f.source.display.as_str());
        let stamp_files = report::StampFiles {
            latest,
            target: version_file.as_deref().or(highest).unwrap_or_default(),
        };
        report::failures(chains, outcomes, *dialect, plan, engines, stamp_files, out);
        report::differences(chains, outcomes, *dialect, engines, latest, allowlist, out);
        report::unread(chains, outcomes, *dialect, engines, latest, reports, out);
        rewrites::report(chains, outcomes, *dialect, engines, out);
        chain::data::report(chains, outcomes, *dialect, engines, allowlist, out);
        if *dialect == Dialect::Postgres
            && chains
                .iter()
                .any(|c| c.kind() == ChainKind::Fresh && reports(c))
        {
            majors::report(chains, outcomes, engines, latest, allowlist, out);
        }
    }
    // Parity is a finding of the `fresh` chains, so it is reported where they report.
    if chains
        .iter()
        .any(|c| c.kind() == ChainKind::Fresh && reports(c))
    {
        parity::report(chains, outcomes, files, allowlist, out);
    }
    for chain in chains
        .iter()
        .filter(|c| c.engine == first_engine(chains, c.dialect))
    {
        allowlist.ran(chain.dialect, &chain.name);
    }
}
