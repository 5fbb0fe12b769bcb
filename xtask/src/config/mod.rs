//! The configuration file, `validate-migrations.toml`: how a tree is laid out and how its service
//! applies it. It is read from the store's folder (or from `--config FILE`); every key is
//! optional, and no file at all means the store convention
//! (`shared/design/store-convention.md`). docs/config.md documents every key, with two complete
//! examples.
//!
//! Paths in the file are relative to the store's folder, with `/`. Two placeholders stand for a
//! dialect: `{dialect}` for its name (`postgres`, `sqlite`) and `{dir}` for its migration folder
//! as configured. The same file holds the reviewed allowlist (`[[allow]]`, applied by `allowlist.rs`),
//! silences of findings (`[[silence]]`, see `rules/lint/silence.rs` and `accept/silence.rs`)
//! and severity settings (`[[severity]]`, applied by `accept/severity.rs`), read and checked here.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use anyhow::{bail, Context as _};
use regex::Regex;

use crate::dialect::Dialect;
use crate::source::SourceFile;

pub mod acceptance;
pub mod engines;
pub mod history;
mod layout;
mod problems;
mod raw;
mod replay;
mod stamp;

pub use acceptance::{Allow, AllowCheck, Level, SeveritySetting, Silence};
pub use engines::{Engines, SqliteVersion};
use history::{LatestAtTags, Releases};
use layout::DEFAULT_FOLDER_PATTERN;
pub use layout::{Layout, Target, VersionRule};
use problems::Problems;
pub use problems::{ConfigProblem, InvalidConfig};
use raw::RawFile;
pub use replay::{FullChain, Privileges, RoleAttribute, Transaction};
pub use stamp::{History, Place, Stamp, StampWrite, StampWriter};

pub const FILE_NAME: &str = "validate-migrations.toml";

/// A tree's layout and its service's behaviour, with the store convention's defaults filled in.
#[derive(Debug)]
pub struct Config {
    /// The file it was read from; `None` when there is none.
    pub source: Option<SourceFile>,
    pub layout: Layout,
    pub target: Target,
    pub minimum_upgrade: semver::Version,
    /// Where a dialect's history starts, for dialects added after the first: versions below it
    /// are not expected in that dialect (`version.first`).
    pub first_versions: Vec<(Dialect, semver::Version)>,
    /// Whether the lint also reads migrations below the minimum upgrade version, which no
    /// installation can still apply (`lint.below-minimum-upgrade`).
    pub lint_below_minimum: bool,
    pub stamp: Stamp,
    pub full_chain: FullChain,
    pub transaction: Transaction,
    pub sqlite_foreign_keys: bool,
    pub silences: Vec<Silence>,
    /// The reviewed schema differences (`[[allow]]`).
    pub allows: Vec<Allow>,
    /// The codes' levels changed (`[[severity]]`).
    pub severities: Vec<SeveritySetting>,
    /// Extensions the replay's PostgreSQL may lack: a chain that reaches their `CREATE
    /// EXTENSION` stops there, reported as not checked (`replay.skip-extensions`). Lower-cased.
    pub skip_extensions: Vec<String>,
    /// What the chains' own PostgreSQL role may do beyond owning its database.
    pub privileges: Privileges,
    /// Which tags are releases (`[history]`).
    pub releases: Releases,
    /// The engines the replay runs on (`[engines]`).
    pub engines: Engines,
}

impl Default for Config {
    /// The store convention.
    fn default() -> Config {
        let rule = VersionRule::Store;
        Config {
            source: None,
            layout: Layout {
                dialects: Dialect::ALL
                    .iter()
                    .map(|d| (*d, format!("migration/{}", d.folder())))
                    .collect(),
                versions: rule,
                two_part: false,
                file_pattern: pattern(rule.default_file_pattern()),
                folder_pattern: pattern(DEFAULT_FOLDER_PATTERN),
                conventional_names: true,
                conventional: true,
                latest: "{dir}/LATEST.sql".into(),
                latest_at_tags: LatestAtTags {
                    shared: vec!["{dir}/LATEST.sql".into()],
                    dialects: std::collections::BTreeMap::new(),
                },
                dirs_at_tags: Vec::new(),
                seeds: "seed/{dialect}".into(),
                tests: "test/{dialect}".into(),
                ignore: Vec::new(),
                version_file: "migration/VERSION".into(),
            },
            target: Target::VersionFile,
            minimum_upgrade: semver::Version::new(0, 1, 0),
            first_versions: Vec::new(),
            lint_below_minimum: false,
            stamp: Stamp {
                table: "instance_setting".into(),
                name_column: "name".into(),
                value_column: "value".into(),
                key: "BASIC".into(),
                field: Some("schemaVersion".into()),
                written_by: StampWriter::Latest,
                history: None,
                writes: Vec::new(),
                configured_at: None,
            },
            full_chain: FullChain::Empty,
            transaction: Transaction::All,
            sqlite_foreign_keys: true,
            silences: Vec::new(),
            allows: Vec::new(),
            severities: Vec::new(),
            skip_extensions: Vec::new(),
            privileges: Privileges::default(),
            releases: Releases::default(),
            engines: Engines::default(),
        }
    }
}

fn pattern(text: &str) -> Regex {
    Regex::new(text).expect("a built-in pattern is valid")
}

static IDENTIFIER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z_][A-Za-z0-9_]*$").expect("valid regex"));

impl Config {
    /// Reads the configuration: `explicit` (from `--config`), else `validate-migrations.toml` in
    /// the store's folder, else the store convention. A malformed file stops the run with its
    /// position: a configuration that is silently ignored would check the wrong tree.
    pub fn load(
        store_root: &Path,
        explicit: Option<&Path>,
        display: impl Fn(&Path) -> String,
    ) -> anyhow::Result<Config> {
        let path: PathBuf = match explicit {
            Some(path) => {
                // A FIFO or a folder exists: reading it says what it is.
                if !path.exists() {
                    bail!("the configuration file {} does not exist", path.display());
                }
                path.to_path_buf()
            }
            None => store_root.join(FILE_NAME),
        };
        // `exists` follows links: a link that leads nowhere is not "no configuration" but a
        // configuration that cannot be read, which must not fall back to the defaults silently.
        if !path.exists() && path.symlink_metadata().is_err() {
            return Ok(Config::default());
        }
        // The store's own configuration is part of the tree: a link out of the store is not
        // followed (`--config` names a file the caller chose).
        if explicit.is_none() {
            let root = store_root
                .canonicalize()
                .with_context(|| format!("cannot open the store at {}", store_root.display()))?;
            match crate::input::refusal(&root, &path) {
                Some(refusal @ crate::input::Refusal::OutsideStore { .. }) => bail!(
                    "{} {}: it was not read (symlink-outside-store); put the configuration itself in the store",
                    display(&path),
                    refusal.describe()
                ),
                Some(refusal @ crate::input::Refusal::Broken { .. }) => bail!(
                    "{} {}: it was not read (broken-symlink); fix the link or remove it",
                    display(&path),
                    refusal.describe()
                ),
                _ => {}
            }
        }
        let source = SourceFile::read(&path, display(&path))?;
        let raw: RawFile = toml::from_str(&source.text).map_err(|error| {
            problems::unreadable(&source, &error, "the keys are documented in docs/config.md")
        })?;
        let mut config =
            Config::from_raw(raw, &source, |relative| display(&store_root.join(relative)))?;
        config.source = Some(source);
        Ok(config)
    }

    /// The configuration a file describes, every key checked: all the problems of the file are
    /// collected (each wrong key replaced by its default meanwhile) and returned together.
    fn from_raw(
        raw: RawFile,
        source: &SourceFile,
        display: impl Fn(&str) -> String,
    ) -> Result<Config, InvalidConfig> {
        let defaults = Config::default();
        let mut problems = Problems::new(source);
        let layout = layout::read(raw.layout, &raw.version, &mut problems);
        let (minimum_upgrade, first_versions) =
            layout::versions(&raw.version, &layout, &mut problems);
        let stamp = stamp::read(raw.stamp, source, &mut problems);
        let privileges = replay::privileges(&raw.replay, &mut problems);
        let full_chain = replay::full_chain(&raw.replay, &layout, &mut problems);
        let silences = acceptance::silences(raw.silence, &mut problems, display);
        let allows = acceptance::allows(raw.allow, &mut problems);
        let severities = acceptance::severities(raw.severity, &mut problems);
        let releases = history::releases(raw.history);
        let releases = problems.ok_any("history", releases).unwrap_or_default();
        let engines = engines::read(raw.engines, &mut problems);
        problems.finish()?;
        Ok(Config {
            source: None,
            layout,
            target: raw.version.target.unwrap_or(defaults.target),
            minimum_upgrade,
            first_versions,
            lint_below_minimum: raw
                .lint
                .below_minimum_upgrade
                .unwrap_or(defaults.lint_below_minimum),
            stamp,
            full_chain,
            transaction: raw.replay.transaction.unwrap_or(defaults.transaction),
            sqlite_foreign_keys: raw
                .replay
                .sqlite_foreign_keys
                .unwrap_or(defaults.sqlite_foreign_keys),
            silences,
            allows,
            severities,
            skip_extensions: replay::lower_case(&raw.replay.skip_extensions),
            privileges,
            releases,
            engines,
        })
    }
}

impl Config {
    /// The first version a dialect's history has, where the configuration says (`version.first`)
    /// or where no chain replays below the minimum upgrade version (`replay.full-chain =
    /// "none"`); `None` when every version is expected.
    pub fn first_version(&self, dialect: Dialect) -> Option<&semver::Version> {
        let configured = self
            .first_versions
            .iter()
            .find(|(d, _)| *d == dialect)
            .map(|(_, v)| v);
        let replayed = (self.full_chain == FullChain::None).then_some(&self.minimum_upgrade);
        configured.into_iter().chain(replayed).max()
    }

    /// Whether the lint reads a migration of this version: one that some installation can
    /// still apply, unless the configuration asks for all of them.
    pub fn lints(&self, version: &semver::Version) -> bool {
        self.lint_below_minimum || *version >= self.minimum_upgrade
    }
}

/// A configured path of `key`, checked (`relative`); `default` where it is absent, or wrong
/// (then recorded).
fn path(problems: &mut Problems, key: &str, value: Option<String>, default: String) -> String {
    match value {
        Some(value) => problems
            .ok_any(key, relative(key, &value))
            .unwrap_or(default),
        None => default,
    }
}

/// A configured path: relative, with `/`, no `..`, and without a trailing `/`.
fn relative(key: &str, path: &str) -> anyhow::Result<String> {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty()
        || trimmed.starts_with('/')
        || trimmed.contains('\\')
        || trimmed
            .split('/')
            .any(|part| part == ".." || part.is_empty())
    {
        bail!("{key}: `{path}` must be a relative path below the store, with `/` separators");
    }
    Ok(trimmed.strip_prefix("./").unwrap_or(trimmed).to_string())
}

#[cfg(test)]
mod tests;
