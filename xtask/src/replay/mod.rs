//! The replay: every way a database reaches the current version, run on real engines, then the
//! schemas introspected and compared with the fresh install's. Chains run in parallel, each in
//! a database of its own: an in-memory SQLite database, or a database of one PostgreSQL server
//! per run.

pub mod chain;
mod engines;
mod extension;
pub mod observed;
mod parity;
mod report;
mod stamp_write;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::allowlist::Allowlist;
use crate::codes::Code;
use crate::config::{FullChain, StampWriter};
use crate::diagnostic::Diagnostic;
use crate::dialect::Dialect;
pub use crate::engine::postgres::PostgresSource;
use crate::engine::postgres::{BinariesOptions, ReplayAs};
use crate::git::releases::{self as history, History};
use crate::git::Object;
use crate::source::SourceFile;
use crate::sql::{Role, SqlFile};
use crate::store::{Driver, Store};
use chain::{Chain, ChainKind, Plan, Start};
use engines::Engines;

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
    /// Whether to draw a progress line on standard error (a terminal, for long runs).
    pub progress: bool,
    /// A release tag whose fresh-install schema is kept in the summary, read in its upgrade
    /// chain right after its `LATEST.sql` ran (`release-check` compares it with today's).
    pub capture_release: Option<String>,
    /// Who PostgreSQL chains run as (`--replay-as`).
    pub replay_as: ReplayAs,
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
            progress: false,
            capture_release: None,
            replay_as: ReplayAs::Owner,
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

/// Names the chains a problem occurred in. A tree with dozens of release tags has dozens of
/// upgrade chains; three or more of them in a row (in the planned order, so with no chain left
/// out in between) are named as a range with their count, `upgrade-from-v0.22.0 … v0.25.3`.
pub fn name_chains(chains: &[String], order: &[String]) -> String {
    const UPGRADE: &str = "upgrade-from-";
    let mut parts: Vec<String> = Vec::new();
    let mut run: Vec<&str> = Vec::new();
    let flush = |run: &mut Vec<&str>, parts: &mut Vec<String>| {
        if run.len() >= 3 {
            let last = run[run.len() - 1].trim_start_matches(UPGRADE);
            parts.push(format!("{} … {last}", run[0]));
        } else {
            parts.extend(run.iter().map(|name| name.to_string()));
        }
        run.clear();
    };
    for name in order {
        let selected = chains.contains(name);
        if selected && name.starts_with(UPGRADE) {
            run.push(name);
            continue;
        }
        flush(&mut run, &mut parts);
        if selected {
            parts.push(name.clone());
        }
    }
    flush(&mut run, &mut parts);
    // Chains outside the plan's order cannot be placed in a range; they are named as they are.
    parts.extend(chains.iter().filter(|c| !order.contains(c)).cloned());
    match chains.len() {
        1 => format!("chain {}", parts.join(", ")),
        n if parts.len() == n => format!("chains {}", parts.join(", ")),
        n => format!("{n} chains: {}", parts.join(", ")),
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
}

pub fn run(
    store: &Store,
    history: &History,
    files: &[SqlFile],
    dialects: &[Dialect],
    options: &Options,
    allowlist: &Allowlist,
    out: &mut Vec<Diagnostic>,
) -> anyhow::Result<Summary> {
    let mut chains = Vec::new();
    let mut plans = Vec::new();
    let mut skipped_tags = Vec::new();
    for &dialect in dialects {
        let Some(driver) = store.driver(dialect) else {
            continue;
        };
        let Some((plan, latest)) = plan(files, dialect, store, options) else {
            continue;
        };
        if let Some(latest) = latest {
            chains.push(Chain::new(dialect, Start::Fresh(latest)));
        }
        let full = match &store.config.full_chain {
            FullChain::Empty => Some(Start::Empty),
            FullChain::Baseline { version, .. } => files
                .iter()
                .find(|f| f.dialect == dialect && f.role == Role::Baseline)
                .map(|script| Start::Baseline {
                    script,
                    version: version.clone(),
                }),
            FullChain::None => None,
        };
        if let Some(start) = full {
            chains.push(Chain::new(dialect, start));
        }
        if driver.latest.is_some() {
            chains.extend(release_chains(
                store,
                history,
                driver,
                &plan,
                options.capture_release.as_deref(),
                out,
                &mut skipped_tags,
            )?);
        }
        plans.push((dialect, plan));
    }
    let planned = chains.len();
    if let Some(shard) = options.shard {
        let mut position = 0;
        chains.retain(|chain| {
            if chain.kind() == ChainKind::Fresh {
                return true;
            }
            // The first shard reports the static findings, and a parse error or a dropped
            // generated constraint name is judged by the chains that executed the statement:
            // `full` runs nearly every migration, so the first shard owns it.
            if chain.kind() == ChainKind::Full {
                return shard.is_first();
            }
            position += 1;
            shard.owns(position - 1)
        });
    }
    let mut summary = Summary {
        other_shards: planned - chains.len(),
        skipped_tags,
        ..Summary::default()
    };
    if chains.is_empty() {
        return Ok(summary);
    }

    let engines = Engines::start(store, files, &chains, options)?;
    summary.engines = engines.describe();
    summary.privileges_unchecked = engines.unchecked();
    let outcomes = run_chains(&chains, &plans, &engines, options);
    engines.close()?;
    let outcomes = outcomes?;

    // On shards after the first, `fresh` ran only to be compared with: its own findings are
    // the first shard's to report.
    let reports = |chain: &Chain<'_>| {
        chain.kind() != ChainKind::Fresh || options.shard.is_none_or(|s| s.is_first())
    };
    let mut outcomes = outcomes;
    for (chain, outcome) in chains.iter().zip(outcomes.iter_mut()) {
        if !reports(chain) {
            outcome.failures.clear();
        }
    }
    for (chain, outcome) in chains.iter().zip(outcomes.iter_mut()) {
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
    summary.observed = observed::Observed::new(&chains, &outcomes, &summary.engines);
    for (chain, outcome) in chains.iter().zip(&outcomes).filter(|(c, _)| reports(c)) {
        summary.statements += outcome.statements;
        summary.chains.push(ChainSummary {
            dialect: chain.dialect,
            name: chain.name.clone(),
            passed: outcome.failures.is_empty(),
            not_checked: outcome.failures.iter().find_map(|failure| match failure {
                chain::Failure::ExtensionSkipped { extension, .. } => {
                    Some(format!("replay.skip-extensions: {extension}"))
                }
                _ => None,
            }),
        });
    }
    let version_file = store
        .version_file
        .as_ref()
        .map(|file| store.display(file.path()));
    for (dialect, plan) in &plans {
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
        report::failures(
            &chains,
            &outcomes,
            *dialect,
            plan,
            &summary.engines,
            stamp_files,
            out,
        );
        report::differences(&chains, &outcomes, *dialect, latest, allowlist, out);
        report::unread(&chains, &outcomes, *dialect, latest, reports, out);
    }
    // Parity is a finding of the `fresh` chains, so it is reported where they report.
    if chains
        .iter()
        .any(|c| c.kind() == ChainKind::Fresh && reports(c))
    {
        parity::report(&chains, &outcomes, files, allowlist, out);
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
        .target(&[dialect])
        .or_else(|| migrations.last().map(|(v, _)| (*v).clone()))?;
    let target_source = store.target_source();
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
            target_source,
            minimum_upgrade: store.config.minimum_upgrade.clone(),
            seeds,
            timeout: options.statement_timeout,
            deadline: options.deadline,
            stamp: store.config.stamp.clone(),
            transaction: store.config.transaction,
            rule: store.config.layout.versions,
            two_part: store.config.layout.two_part,
            skip_extensions: store.config.skip_extensions.clone(),
        },
        latest,
    ))
}

/// A chain per release tag at or above the minimum upgrade version, starting from the
/// fresh-install script the tag shipped: the first of the configured candidate paths
/// (`layout.latest-at-tags`, `{dir}` being the dialect's folder at the tag) that the tag has.
/// The tags without a chain go to `skipped_tags` with the reason.
fn release_chains<'a>(
    store: &Store,
    history: &History,
    driver: &Driver,
    plan: &Plan<'_>,
    capture: Option<&str>,
    out: &mut Vec<Diagnostic>,
    skipped_tags: &mut Vec<history::SkippedTag>,
) -> anyhow::Result<Vec<Chain<'a>>> {
    let dialect = driver.dialect;
    let (repository, releases, shallow) = match history {
        History::Tags {
            repository,
            releases,
            shallow,
            ..
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
            "this is a shallow clone without tags: in GitHub Actions, check out with `fetch-depth: 0`; elsewhere run `git fetch --tags --unshallow`".to_string()
        } else {
            format!(
                "the repository has no release tags {} yet",
                store.config.releases.tag_pattern.describe()
            )
        };
        out.push(skipped(dialect, &why));
        return Ok(Vec::new());
    }
    let minimum = plan.rule.show(&plan.minimum_upgrade);
    let releases: Vec<&history::Release> = releases
        .iter()
        .filter(|r| {
            let below = r.version < plan.minimum_upgrade;
            if below {
                skipped_tags.push(history::SkippedTag {
                    tag: r.tag.clone(),
                    dialect: Some(dialect),
                    reason: history::SkipReason::BelowMinimum {
                        minimum: minimum.clone(),
                    },
                });
            }
            !below
        })
        .collect();
    let layout = &store.config.layout;
    let prefix = crate::history::store_prefix(&store.root, repository)?;
    // Per release, the candidate paths in the repository.
    let candidates: Vec<Vec<String>> = releases
        .iter()
        .map(|r| {
            layout
                .latest_at(dialect, &r.version)
                .into_iter()
                .map(|path| format!("{prefix}{path}"))
                .collect()
        })
        .collect();
    // One `git cat-file --batch` for every release and candidate, not a process per tag.
    let requests: Vec<String> = releases
        .iter()
        .zip(&candidates)
        .flat_map(|(r, paths)| paths.iter().map(move |c| format!("{}:{c}", r.tag)))
        .collect();
    let mut objects = crate::git::read(repository, &requests)?.into_iter();
    let mut found = Vec::new();
    for (release, paths) in releases.iter().zip(&candidates) {
        let shipped: Vec<(usize, Object)> = paths
            .iter()
            .enumerate()
            .filter_map(|(index, _)| Some((index, objects.next()?)))
            .collect();
        // A release without this dialect's script has no installations to upgrade.
        let Some((index, bytes)) = shipped
            .into_iter()
            .find_map(|(index, object)| match object {
                Object::Blob(bytes) => Some((index, bytes)),
                _ => None,
            })
        else {
            skipped_tags.push(history::SkippedTag {
                tag: release.tag.clone(),
                dialect: Some(dialect),
                reason: history::SkipReason::NoScript {
                    candidates: paths.clone(),
                },
            });
            continue;
        };
        found.push((*release, paths[index].clone(), bytes));
    }
    let stamps = match store.config.stamp.written_by {
        StampWriter::Latest => vec![None; found.len()],
        StampWriter::Service => {
            let scripts: Vec<(&str, &str, String)> = found
                .iter()
                .map(|(release, path, _)| {
                    let dir = format!("{prefix}{}", layout.dir_at(dialect, &release.version));
                    (release.tag.as_str(), path.as_str(), dir)
                })
                .collect();
            crate::history::released::schema_versions(repository, &scripts, layout.versions)?
                .into_iter()
                .zip(&found)
                .map(|(version, (release, _, _))| {
                    Some(version.unwrap_or_else(|| release.version.clone()))
                })
                .collect()
        }
    };
    let mut chains = Vec::new();
    for ((release, path, bytes), stamp) in found.into_iter().zip(stamps) {
        let display = format!("{}:{path}", release.tag);
        let text =
            String::from_utf8(bytes).with_context(|| format!("{display} is not UTF-8 text"))?;
        let source = SourceFile::new(repository.join(&path), display, text);
        chains.push(Chain::new(
            dialect,
            Start::Release {
                tag: release.tag.clone(),
                latest: Box::new(SqlFile::load(source, dialect, Role::Latest)),
                capture: capture == Some(release.tag.as_str()),
                stamp,
            },
        ));
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

/// Runs every chain, `options.jobs` at a time, and returns their outcomes in chain order.
fn run_chains<'c>(
    chains: &'c [Chain<'c>],
    plans: &'c [(Dialect, Plan<'c>)],
    engines: &Engines,
    options: &Options,
) -> anyhow::Result<Vec<chain::Outcome<'c>>> {
    let next = AtomicUsize::new(0);
    let progress = options.progress.then(|| Mutex::new(Progress::new(chains)));
    let results: Mutex<Vec<Option<anyhow::Result<chain::Outcome<'c>>>>> =
        Mutex::new((0..chains.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..options.jobs.clamp(1, chains.len()) {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(chain) = chains.get(index) else {
                    break;
                };
                let result = run_one(chain, plans, engines);
                if let Ok(mut results) = results.lock() {
                    results[index] = Some(result);
                }
                if let Some(Ok(mut progress)) = progress.as_ref().map(Mutex::lock) {
                    progress.done(chain.dialect);
                }
            });
        }
    });
    if progress.is_some() {
        // Clear the progress line so that the report starts on a clean line.
        eprint!("\r\x1b[2K");
    }
    let results = results
        .into_inner()
        .map_err(|_| anyhow::anyhow!("a replay thread panicked"))?;
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(anyhow::anyhow!("a chain was not run"))))
        .collect()
}

/// Runs one chain in a database of its own on its dialect's server.
fn run_one<'c>(
    chain: &'c Chain<'c>,
    plans: &'c [(Dialect, Plan<'c>)],
    engines: &Engines,
) -> anyhow::Result<chain::Outcome<'c>> {
    let plan = plans
        .iter()
        .find(|(d, _)| *d == chain.dialect)
        .map(|(_, p)| p)
        .context("a chain without a plan")?;
    let mut outcome = None;
    engines
        .server(chain.dialect)?
        .with_database(&chain.name, &mut |db| {
            outcome = Some(chain::run(chain, plan, db));
        })?;
    outcome.context("the chain's database was opened, yet the chain did not run")
}

/// The progress line: per dialect, chains done of total, redrawn on standard error.
struct Progress {
    dialects: Vec<(Dialect, usize, usize)>,
}

impl Progress {
    fn new(chains: &[Chain<'_>]) -> Progress {
        let mut dialects: Vec<(Dialect, usize, usize)> = Vec::new();
        for chain in chains {
            match dialects.iter_mut().find(|(d, _, _)| *d == chain.dialect) {
                Some(entry) => entry.2 += 1,
                None => dialects.push((chain.dialect, 0, 1)),
            }
        }
        Progress { dialects }
    }

    fn done(&mut self, dialect: Dialect) {
        if let Some(entry) = self.dialects.iter_mut().find(|(d, _, _)| *d == dialect) {
            entry.1 += 1;
        }
        let parts: Vec<String> = self
            .dialects
            .iter()
            .map(|(d, done, total)| format!("{d} {done}/{total}"))
            .collect();
        eprint!("\r\x1b[2Kreplaying chains: {}", parts.join(", "));
    }
}

#[cfg(test)]
mod tests {
    use super::name_chains;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn runs_of_upgrade_chains_are_named_as_ranges() {
        let order = names(&[
            "fresh",
            "full",
            "upgrade-from-v0.22.0",
            "upgrade-from-v0.23.0",
            "upgrade-from-v0.24.0",
            "upgrade-from-v0.25.3",
            "upgrade-from-v0.26.0",
        ]);
        let all_upgrades = names(&[
            "upgrade-from-v0.22.0",
            "upgrade-from-v0.23.0",
            "upgrade-from-v0.24.0",
            "upgrade-from-v0.25.3",
        ]);
        assert_eq!(
            name_chains(&all_upgrades, &order),
            "4 chains: upgrade-from-v0.22.0 … v0.25.3"
        );
        // A chain left out breaks the range: what is named is exactly what failed.
        let with_hole = names(&[
            "full",
            "upgrade-from-v0.22.0",
            "upgrade-from-v0.24.0",
            "upgrade-from-v0.25.3",
        ]);
        assert_eq!(
            name_chains(&with_hole, &order),
            "chains full, upgrade-from-v0.22.0, upgrade-from-v0.24.0, upgrade-from-v0.25.3"
        );
        assert_eq!(name_chains(&names(&["fresh"]), &order), "chain fresh");
    }
}
