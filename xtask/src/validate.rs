//! `validate-migrations`: discover the store, load every SQL file once, run the static checks,
//! replay the chains on real engines, and hand the collected diagnostics to a renderer.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::accept::{self, Suppressions};
use crate::codes::Code;
use crate::config::{FullChain, InvalidConfig};
use crate::diagnostic::{self, Counts, Diagnostic};
use crate::dialect::Dialect;
use crate::replay;
use crate::rules;
use crate::source::SourceFile;
use crate::sql::{Role, SqlFile};
use crate::store::{Store, VersionFile};

#[derive(Debug, Clone)]
pub struct Options {
    /// The store's folder: by convention the one that holds `migration/` (and `seed/`).
    pub root: PathBuf,
    /// The configuration file (`--config`); `None` reads `validate-migrations.toml` in the
    /// store's folder, if there is one.
    pub config: Option<PathBuf>,
    /// The dialects to check; empty means every dialect folder the store has.
    pub dialects: Vec<Dialect>,
    /// How to replay the chains; `None` runs the static checks only.
    pub replay: Option<replay::Options>,
    /// The baseline and `--changed-since` (`accept/`).
    pub accept: accept::Options,
}

/// Everything a run found, ready to render.
#[derive(Debug)]
pub struct Outcome {
    /// The store's folder as shown to users.
    pub root: String,
    pub dialects: Vec<Dialect>,
    /// The schema version the store ships (its version file's, or without one the highest
    /// migration); `None` where it has no valid one.
    pub shipped_version: Option<semver::Version>,
    /// The version file as shown to users, where the configuration has one.
    pub version_file: Option<String>,
    /// Releases below this version cannot upgrade (the configuration's minimum).
    pub minimum_upgrade: semver::Version,
    pub diagnostics: Vec<Diagnostic>,
    /// The files diagnostics may point into, by display path, for snippets.
    pub sources: BTreeMap<String, SourceFile>,
    pub files: usize,
    pub statements: usize,
    /// What the replay did; `None` when it did not run.
    pub replay: Option<replay::Summary>,
    /// What this run did not check, and why: the summary lists it, so that nothing is left out
    /// silently.
    pub unchecked: Vec<Unchecked>,
    /// Tags of the release pattern that no check or no chain used, and why.
    pub skipped_tags: Vec<crate::git::releases::SkippedTag>,
    /// What the acceptance stage did: the baseline, `--changed-since`.
    pub acceptance: accept::Summary,
    pub elapsed: Duration,
}

/// A part of the tree or of its history that a run did not check, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Unchecked {
    /// What was left out: a folder, a dialect, a tag, chains, migrations.
    pub what: String,
    pub why: String,
}

impl Outcome {
    pub fn counts(&self) -> Counts {
        Counts::of(&self.diagnostics)
    }
}

/// The pipeline: open the store, run the static checks, replay the chains, judge, accept, and
/// gather what every format renders. Each step is a function below, in this order.
pub fn run(options: &Options) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let store = match open_store(options, started)? {
        Ok(store) => store,
        Err(invalid) => return Ok(invalid),
    };
    let dialects = selected_dialects(&store, options);
    // PostgreSQL starts while the static checks run; a cluster the replay does not take is
    // stopped when this goes out of scope, on every path out of the run.
    let replay_options = replay_options(options, &store.config.engines);
    let prestart = replay_options
        .as_ref()
        .map(|replay| prestart(&store, &dialects, replay));
    let mut suppressions = Suppressions::load(&store, &options.accept)?;

    let mut unchecked = coverage(&store, &dialects, options);
    let mut diagnostics = Vec::new();
    // Read once: the history check and the upgrade chains both need the release tags.
    let history = crate::git::releases::read(&store.root, &store.config.releases);
    check_tree(&store, &dialects, &history, &mut diagnostics)?;
    let files = load_sql_files(&store, &dialects, &mut diagnostics);
    let data_tests = check_files(&store, &dialects, &files, &mut diagnostics)?;
    check_chains(&store, &dialects, &files, &mut unchecked, &mut diagnostics);

    let shard = options.replay.as_ref().and_then(|r| r.shard);
    let input = replay_options.as_ref().map(|replay_options| replay::Input {
        store: &store,
        history: &history,
        files: &files,
        dialects: &dialects,
        options: replay_options,
        prestart: prestart.as_ref(),
    });
    let replay = replay_and_judge(input, &files, shard, &mut suppressions, &mut diagnostics)?;
    drop(prestart);
    if let Some(summary) = &replay {
        replay_coverage(summary, shard, &mut unchecked);
    }

    let statement_lines = accept::silence::StatementLines::of(&files);
    let statements = files.iter().map(|f| f.statements.len()).sum();
    let file_count = files.len();
    let mut sources = sources(&store, files, data_tests);
    finish_diagnostics(&store, &mut diagnostics);
    // Once, on every finding: the configuration's severity settings and silences, the
    // allowlist's unused entries, the baseline, and `--changed-since`.
    let run = accept::Run {
        dialects: &dialects,
        replayed: options.replay.is_some(),
        shard,
        statements: &statement_lines,
    };
    let acceptance = suppressions.apply(&store, &run, &mut diagnostics);
    if let Some(baseline) = &acceptance.baseline_source {
        sources.insert(baseline.display.clone(), baseline.clone());
    }
    diagnostic::sort(&mut diagnostics);
    let shipped_version = store.target(&dialects);
    let mut skipped_tags = history.skipped().to_vec();
    skipped_tags.extend(replay.iter().flat_map(|r| r.skipped_tags.iter().cloned()));
    Ok(Outcome {
        root: store.display(&store.root),
        dialects,
        shipped_version,
        version_file: store
            .version_file
            .as_ref()
            .map(|file| store.display(file.path())),
        minimum_upgrade: store.config.minimum_upgrade.clone(),
        diagnostics,
        sources,
        files: file_count,
        statements,
        replay,
        unchecked,
        skipped_tags,
        acceptance,
        elapsed: started.elapsed(),
    })
}

/// Starts the throwaway clusters of the PostgreSQL majors the run replays on.
fn prestart(store: &Store, dialects: &[Dialect], replay: &replay::Options) -> replay::Prestart {
    let majors = replay::majors(replay, &store.config.engines.postgres);
    replay::Prestart::begin(dialects, replay, &majors)
}

/// The replay's options where the run replays, with the configuration's
/// `engines.download-postgres`, which allows downloading a missing PostgreSQL major as
/// `--download-postgres` does.
fn replay_options(options: &Options, engines: &crate::config::Engines) -> Option<replay::Options> {
    options
        .replay
        .as_ref()
        .map(|replay| with_configured_downloads(replay, engines))
}

/// `replay` with downloads allowed where `engines` allows them.
fn with_configured_downloads(
    replay: &replay::Options,
    engines: &crate::config::Engines,
) -> replay::Options {
    let mut replay = replay.clone();
    if engines.download_postgres {
        replay.download_postgres = true;
        if let replay::PostgresSource::Throwaway(binaries) = &mut replay.postgres {
            binaries.download = true;
        }
    }
    replay
}

/// Opens the store and reads its configuration; a configuration with problems gives the
/// outcome that reports them instead.
fn open_store(options: &Options, started: Instant) -> anyhow::Result<Result<Store, Outcome>> {
    let root = options
        .root
        .canonicalize()
        .with_context(|| format!("cannot open the store at {}", options.root.display()))?;
    let base = display_base(&root);
    match Store::open(&root, &base, options.config.as_deref()) {
        Ok(store) => Ok(Ok(store)),
        Err(error) => match error.downcast::<InvalidConfig>() {
            Ok(invalid) => Ok(Err(invalid_config(&root, &base, invalid, started))),
            Err(error) => Err(error),
        },
    }
}

/// The dialects a run checks: those of `--dialect`, sorted and once each, else every dialect
/// folder the store has.
fn selected_dialects(store: &Store, options: &Options) -> Vec<Dialect> {
    if options.dialects.is_empty() {
        store.drivers.iter().map(|d| d.dialect).collect()
    } else {
        let mut dialects = options.dialects.clone();
        dialects.sort();
        dialects.dedup();
        dialects
    }
}

/// The static checks of the tree as a whole: its input, layout, names, versions, and its
/// released history against the release tags.
fn check_tree(
    store: &Store,
    dialects: &[Dialect],
    history: &crate::git::releases::History,
    out: &mut Vec<Diagnostic>,
) -> anyhow::Result<()> {
    rules::input::check(store, out);
    rules::layout::check(store, dialects, out);
    rules::naming::check(store, dialects, out);
    rules::versions::check(store, dialects, out);
    crate::history::check(store, history, dialects, out)
}

/// The static checks of each SQL file: parse, dialect leaks, SQLite features newer than the
/// configured minimum, the stamp of `LATEST.sql`, and the lint of migrations at or above the
/// minimum upgrade version; then the data tests, whose texts it returns for snippets.
fn check_files(
    store: &Store,
    dialects: &[Dialect],
    files: &[SqlFile],
    out: &mut Vec<Diagnostic>,
) -> anyhow::Result<Vec<SourceFile>> {
    let target_source = store.target_source();
    for file in files {
        rules::parse::check(file, out);
        rules::dialect_leak::check(file, store.config.engines.sqlite_minimum, out);
        rules::sqlite_features::check(file, &store.config, out);
        if file.role == Role::Latest {
            // Without a version file each dialect's target is its own highest migration; that
            // the dialects agree is the version rule's concern.
            let target = store.target(&[file.dialect]);
            let expected = target.as_ref().map(|version| rules::stamp::Expected {
                version,
                source: &target_source,
            });
            let config = &store.config;
            rules::stamp::check(
                file,
                &config.stamp,
                config.layout.versions,
                config.layout.two_part,
                expected,
                out,
            );
        }
        if let Role::Migration(version) = &file.role {
            if store.config.lints(version) {
                rules::lint::check(file, out);
            }
        }
    }
    rules::data_tests::check(store, dialects, files, out)
}

/// The lint rules that follow each dialect's migrations in the order the service applies them,
/// leaving out what they find in migrations below the minimum upgrade version (which the
/// coverage lists as not linted).
fn check_chains(
    store: &Store,
    dialects: &[Dialect],
    files: &[SqlFile],
    unchecked: &mut Vec<Unchecked>,
    out: &mut Vec<Diagnostic>,
) {
    // Migrations below the minimum upgrade version are history no installation can apply any
    // more: the chain rules still follow them (an index they created is still there), but what
    // is found in them is not reported.
    let unlinted: Vec<&str> = files
        .iter()
        .filter(|f| matches!(&f.role, Role::Migration(v) if !store.config.lints(v)))
        .map(|f| f.source.display.as_str())
        .collect();
    if !unlinted.is_empty() {
        unchecked.push(Unchecked {
            what: format!(
                "lint{} of {} migrations",
                // The oldest SQLite's check reads the same migrations as the lint.
                match store.config.engines.sqlite_minimum {
                    Some(_) => " and sqlite-too-old check",
                    None => "",
                },
                unlinted.len()
            ),
            why: format!(
                "below the minimum upgrade version {}, which no installation can apply any more (lint.below-minimum-upgrade = true lints them)",
                store.config.layout.versions.show(&store.config.minimum_upgrade)
            ),
        });
    }
    for dialect in dialects {
        let mut chain: Vec<(&semver::Version, &SqlFile)> = files
            .iter()
            .filter_map(|file| match &file.role {
                Role::Migration(version) if file.dialect == *dialect => Some((version, file)),
                _ => None,
            })
            .collect();
        chain.sort_by(|a, b| a.0.cmp(b.0));
        let chain: Vec<&SqlFile> = chain.into_iter().map(|(_, file)| file).collect();
        let mut found = Vec::new();
        rules::lint::check_chain(&chain, &mut found);
        out.extend(
            found
                .into_iter()
                .filter(|d| d.file.as_deref().is_none_or(|f| !unlinted.contains(&f))),
        );
    }
}

/// Replays the chains when the run asks for it (consulting the allowlist of `suppressions`),
/// then lets what the engines observed judge what the static checks guessed.
fn replay_and_judge(
    input: Option<replay::Input<'_>>,
    files: &[SqlFile],
    shard: Option<replay::Shard>,
    suppressions: &mut Suppressions,
    diagnostics: &mut Vec<Diagnostic>,
) -> anyhow::Result<Option<replay::Summary>> {
    // A CI matrix runs the static checks in every shard, but only the first reports them, so
    // that each problem is annotated once.
    if shard.is_some_and(|shard| !shard.is_first()) {
        diagnostics.clear();
    }
    let replay = match input {
        Some(input) => Some(replay::run(
            &input,
            &mut suppressions.allowlist(),
            diagnostics,
        )?),
        None => None,
    };
    // The engine is the judge of what the static checks could only guess.
    crate::judge::judge(
        files,
        replay.as_ref().map(|summary| &summary.observed),
        diagnostics,
    );
    Ok(replay)
}

/// What the replay left unchecked: PostgreSQL privileges it could not test, the engines the
/// restore drill could not run on, and the chains left to other shards.
fn replay_coverage(
    summary: &replay::Summary,
    shard: Option<replay::Shard>,
    unchecked: &mut Vec<Unchecked>,
) {
    if let Some(why) = &summary.privileges_unchecked {
        unchecked.push(Unchecked {
            what: "PostgreSQL privileges".to_string(),
            why: why.clone(),
        });
    }
    for (what, why) in &summary.unchecked {
        unchecked.push(Unchecked {
            what: what.clone(),
            why: why.clone(),
        });
    }
    for (engine, why) in &summary.not_drilled {
        unchecked.push(Unchecked {
            what: format!("the restore drill on {engine}"),
            why: why.clone(),
        });
    }
    if let Some(shard) = shard {
        if summary.other_shards > 0 {
            unchecked.push(Unchecked {
                what: match summary.other_shards {
                    1 => "1 chain".to_string(),
                    n => format!("{n} chains"),
                },
                why: format!(
                    "left to the other shards (this is shard {}/{})",
                    shard.index, shard.count
                ),
            });
        }
    }
}

/// The files diagnostics may point into, by display path, for snippets: the SQL files, the
/// data tests, the version file and the configuration file.
fn sources(
    store: &Store,
    files: Vec<SqlFile>,
    data_tests: Vec<SourceFile>,
) -> BTreeMap<String, SourceFile> {
    let mut sources = BTreeMap::new();
    // Only a version file that was read as a version is shown in snippets: an invalid one may be
    // a link out of the store or a file of any size.
    if let Some(VersionFile::Valid { path, .. }) = &store.version_file {
        if let Ok(version) = SourceFile::read(path, store.display(path)) {
            sources.insert(version.display.clone(), version);
        }
    }
    if let Some(source) = &store.config.source {
        sources.insert(source.display.clone(), source.clone());
    }
    sources.extend(
        files
            .into_iter()
            .map(|f| f.source)
            .chain(data_tests)
            .map(|source| (source.display.clone(), source)),
    );
    sources
}

/// Completes the findings before they are accepted: each gets the dialect of its file where it
/// names none, and its message and help bounded.
fn finish_diagnostics(store: &Store, diagnostics: &mut [Diagnostic]) {
    for diagnostic in diagnostics.iter_mut().filter(|d| d.dialect.is_none()) {
        diagnostic.dialect = diagnostic.file.as_deref().and_then(|f| store.dialect_of(f));
    }
    // Messages quote the tree and the engines (a token, an error), which may be megabytes long:
    // every format shows them bounded.
    for diagnostic in diagnostics {
        diagnostic.message = crate::input::bound_message(&diagnostic.message);
        if let Some(help) = &mut diagnostic.help {
            *help = crate::input::bound_message(help);
        }
    }
}

/// A run that stopped at its configuration: the problems of the file as diagnostics, and
/// nothing checked. The command line exits with 2 for it (the run could not look at the tree).
fn invalid_config(root: &Path, base: &Path, invalid: InvalidConfig, started: Instant) -> Outcome {
    let shown = root.strip_prefix(base).unwrap_or(root);
    let mut diagnostics = invalid.diagnostics();
    diagnostic::sort(&mut diagnostics);
    Outcome {
        root: shown.to_string_lossy().replace('\\', "/"),
        dialects: Vec::new(),
        shipped_version: None,
        version_file: None,
        minimum_upgrade: crate::config::Config::default().minimum_upgrade,
        diagnostics,
        sources: BTreeMap::from([(invalid.source.display.clone(), *invalid.source)]),
        files: 0,
        statements: 0,
        replay: None,
        unchecked: vec![Unchecked {
            what: "the tree".into(),
            why: "the configuration is not valid (invalid-config)".into(),
        }],
        skipped_tags: Vec::new(),
        acceptance: accept::Summary::default(),
        elapsed: started.elapsed(),
    }
}

/// What the configuration and the command line leave out of this run: dialects not selected,
/// ignored folders (and `ignore` entries that match nothing), chains that are not replayed.
fn coverage(store: &Store, dialects: &[Dialect], options: &Options) -> Vec<Unchecked> {
    let mut unchecked = Vec::new();
    let selected: Vec<&str> = dialects.iter().map(|d| d.folder()).collect();
    for driver in store
        .drivers
        .iter()
        .filter(|d| !dialects.contains(&d.dialect))
    {
        unchecked.push(Unchecked {
            what: store.display(&driver.dir),
            why: format!("not selected (--dialect {})", selected.join(" --dialect ")),
        });
    }
    for ignored in &store.config.layout.ignore {
        let path = store.root.join(ignored);
        unchecked.push(Unchecked {
            what: store.display(&path),
            why: if path.exists() {
                "ignored by layout.ignore".to_string()
            } else {
                "layout.ignore names it, but it does not exist: remove the entry".to_string()
            },
        });
    }
    if options.replay.is_some() && store.config.full_chain == FullChain::None {
        unchecked.push(Unchecked {
            what: "the full chain (every migration from an empty database)".to_string(),
            why: "replay.full-chain = \"none\": only the fresh install and the release upgrades are replayed".to_string(),
        });
    }
    unchecked
}

/// Paths are shown relative to the top of the git repository that holds the store (the paths
/// GitHub annotations need, also when the Rust workspace is a subfolder of the repository);
/// outside git, relative to the folder that holds the store.
pub fn display_base(root: &Path) -> PathBuf {
    crate::git_top(root).unwrap_or_else(|| {
        root.parent()
            .map_or_else(|| root.to_path_buf(), Path::to_path_buf)
    })
}

/// Reads and parses every SQL file of the chosen dialects: LATEST.sql, the baseline, each
/// migration that has a version, and the seeds. A file that cannot be read as text is reported and left out.
fn load_sql_files(store: &Store, dialects: &[Dialect], out: &mut Vec<Diagnostic>) -> Vec<SqlFile> {
    let mut wanted: Vec<(Dialect, PathBuf, Role)> = Vec::new();
    for driver in store
        .drivers
        .iter()
        .filter(|d| dialects.contains(&d.dialect))
    {
        if let Some(latest) = &driver.latest {
            wanted.push((driver.dialect, latest.clone(), Role::Latest));
        }
        if let Some(baseline) = &driver.baseline {
            wanted.push((driver.dialect, baseline.clone(), Role::Baseline));
        }
        for (version, file) in driver.migrations() {
            wanted.push((
                driver.dialect,
                file.path.clone(),
                Role::Migration(version.clone()),
            ));
        }
    }
    for seeds in store.seeds.iter().filter(|s| dialects.contains(&s.dialect)) {
        for seed in &seeds.files {
            wanted.push((seeds.dialect, seed.clone(), Role::Seed));
        }
    }
    wanted
        .into_iter()
        .filter_map(|(dialect, path, role)| {
            let display = store.display(&path);
            match SourceFile::read(&path, display.clone()) {
                Ok(source) => Some(SqlFile::load(source, dialect, role)),
                Err(e) => {
                    out.push(
                        Diagnostic::new(Code::ParseError, format!("{e:#}"))
                            .file(display)
                            .help("save the file as UTF-8 text"),
                    );
                    None
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configuration_allows_downloads_as_the_flag_does() {
        let allowed = crate::config::Engines {
            download_postgres: true,
            ..crate::config::Engines::default()
        };
        let defaults = replay::Options::default();
        let replay = with_configured_downloads(&defaults, &allowed);
        assert!(replay.download_postgres);
        assert!(matches!(
            replay.postgres,
            replay::PostgresSource::Throwaway(binaries) if binaries.download
        ));
        let replay = with_configured_downloads(&defaults, &crate::config::Engines::default());
        assert!(matches!(
            replay.postgres,
            replay::PostgresSource::Throwaway(binaries) if !binaries.download
        ));
    }
}
