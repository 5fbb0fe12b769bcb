//! The configuration file, `validate-migrations.toml`: how a tree is laid out and how its service
//! applies it. It is read from the store's folder (or from `--config FILE`); every key is
//! optional, and no file at all means the store convention
//! (`shared/design/store-convention.md`). docs/config.md documents every key, with two complete
//! examples.
//!
//! Paths in the file are relative to the store's folder, with `/`. Two placeholders stand for a
//! dialect: `{dialect}` for its name (`postgres`, `sqlite`) and `{dir}` for its migration folder
//! as configured. The same file holds the reviewed allowlist (`[[allow]]`, see `allowlist.rs`),
//! silences of findings (`[[silence]]`, see `rules/lint/silence.rs` and `accept/silence.rs`)
//! and severity settings (`[[severity]]`, see `accept/severity.rs`).

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use anyhow::{bail, Context as _};
use regex::Regex;
use serde::Deserialize;

use crate::codes::Code;
use crate::diagnostic::Span;
use crate::dialect::Dialect;
pub mod acceptance;
pub mod history;

use crate::source::SourceFile;
pub use acceptance::Silence;
use history::{DirsAtTags, LatestAtTags, Releases};

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
    /// Extensions the replay's PostgreSQL may lack: a chain that reaches their `CREATE
    /// EXTENSION` stops there, reported as not checked (`replay.skip-extensions`). Lower-cased.
    pub skip_extensions: Vec<String>,
    /// What the chains' own PostgreSQL role may do beyond owning its database.
    pub privileges: Privileges,
    /// Which tags are releases (`[history]`).
    pub releases: Releases,
}

#[derive(Debug)]
pub struct Layout {
    /// Each dialect's migration folder, relative to the store; a dialect that is absent here is
    /// not part of the tree.
    pub dialects: Vec<(Dialect, String)>,
    pub versions: VersionRule,
    /// Whether the service reads a `MAJOR.MINOR` version (`0.52`, in the version file or a
    /// stamp) as `MAJOR.MINOR.0` (`version.two-part`).
    pub two_part: bool,
    /// The name every migration file must have (the naming check).
    pub file_pattern: Regex,
    /// The name every version folder must have (the `store` rule only).
    pub folder_pattern: Regex,
    /// Whether the patterns are the store convention's, which have explanations of every known
    /// wrong form.
    pub conventional_names: bool,
    /// Whether the whole layout is the store convention's, whose messages can name its folders.
    pub conventional: bool,
    /// The fresh-install script, with placeholders.
    pub latest: String,
    /// Where the fresh-install script lay at release tags, tried in order, per dialect.
    pub latest_at_tags: LatestAtTags,
    /// Each dialect's migration folder at older releases, sorted by `until`.
    pub dirs_at_tags: Vec<DirsAtTags>,
    /// The seed folder of a dialect, with placeholders.
    pub seeds: String,
    /// Paths the tool neither reads nor reports (another dialect's folder, notes).
    pub ignore: Vec<String>,
    /// The file that holds the target version, where `target` is `VersionFile`.
    pub version_file: String,
}

/// How a migration's version follows from its path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VersionRule {
    /// `MAJOR.MINOR/NN__description.sql` is version `MAJOR.MINOR.(NN+1)`.
    Store,
    /// `V<semver>__description.sql` directly in the dialect folder: `V1.2.0__x.sql` is 1.2.0;
    /// `V1_2__x.sql` and `V1.2__x.sql` are 1.2.0 too.
    FlatSemver,
    /// `<N>_description.sql` directly in the dialect folder: version N.
    Integer,
    /// `<YYYYMMDDHHMMSS>_description.sql` directly in the dialect folder: the timestamp as a
    /// number.
    Timestamp,
}

impl VersionRule {
    /// Whether migrations sit in version folders rather than directly in the dialect folder.
    pub fn has_folders(self) -> bool {
        self == VersionRule::Store
    }

    /// Whether versions are plain numbers, held as `N.0.0`.
    fn is_numeric(self) -> bool {
        matches!(self, VersionRule::Integer | VersionRule::Timestamp)
    }

    /// The version of a file directly in the dialect folder (the flat rules), as the service
    /// reads its name; `None` where it cannot read one.
    pub fn flat_version(self, name: &str) -> Option<semver::Version> {
        match self {
            VersionRule::Store => None,
            VersionRule::FlatSemver => {
                let (prefix, _) = name.split_once("__")?;
                let numbers = prefix.strip_prefix(['V', 'v'])?;
                let parts: Vec<u64> = numbers
                    .split(['.', '_'])
                    .map(|p| p.parse().ok())
                    .collect::<Option<_>>()?;
                match parts[..] {
                    [major] => Some(semver::Version::new(major, 0, 0)),
                    [major, minor] => Some(semver::Version::new(major, minor, 0)),
                    [major, minor, patch] => Some(semver::Version::new(major, minor, patch)),
                    _ => None,
                }
            }
            VersionRule::Integer | VersionRule::Timestamp => {
                let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
                if digits.is_empty() || !name[digits.len()..].starts_with('_') {
                    return None;
                }
                Some(semver::Version::new(digits.parse().ok()?, 0, 0))
            }
        }
    }

    /// A version as the tree writes it: `0.3.1`, or `42` under the numeric rules.
    pub fn show(self, version: &semver::Version) -> String {
        if self.is_numeric() {
            version.major.to_string()
        } else {
            version.to_string()
        }
    }

    /// Reads a version as the tree writes it (a stamp, a `VERSION` file). The error says what
    /// is wrong with the text, to follow it: "`0.x` is not a X.Y.Z version (...)".
    pub fn parse(self, text: &str) -> Result<semver::Version, String> {
        self.parse_with(text, false)
    }

    /// `parse`, where `two_part` (`version.two-part`) also accepts `MAJOR.MINOR` as
    /// `MAJOR.MINOR.0`, as a service that reads `0.52` as `0.52.0` does. The numeric rules have
    /// no minor part, so the flag changes nothing there.
    pub fn parse_with(self, text: &str, two_part: bool) -> Result<semver::Version, String> {
        if two_part && !self.is_numeric() {
            if let Some(version) = two_part_version(text) {
                return Ok(version);
            }
        }
        if self.is_numeric() {
            return text
                .parse()
                .map(|n| semver::Version::new(n, 0, 0))
                .map_err(|_| "is not a number".to_string());
        }
        match semver::Version::parse(text) {
            Ok(version) if version.pre.is_empty() && version.build.is_empty() => Ok(version),
            Ok(_) => {
                Err("has a pre-release or build part; schema versions are plain X.Y.Z".to_string())
            }
            Err(e) if two_part_version(text).is_some() => Err(format!(
                "is not a X.Y.Z version ({e}); where the service reads `{text}` as `{text}.0`, set `two-part = true` under [version] in the configuration"
            )),
            Err(e) => Err(format!("is not a X.Y.Z version ({e})")),
        }
    }

    fn default_file_pattern(self) -> &'static str {
        match self {
            VersionRule::Store => r"^[0-9]{2}__[a-z0-9_]+\.sql$",
            VersionRule::FlatSemver => r"^V[0-9]+(\.[0-9]+){0,2}__[a-z0-9_]+\.sql$",
            VersionRule::Integer => r"^[0-9]+_[a-z0-9_]+\.sql$",
            VersionRule::Timestamp => r"^[0-9]{14}_[a-z0-9_]+\.sql$",
        }
    }
}

/// `MAJOR.MINOR` with semver's number syntax (digits, no leading zero but `0`), as
/// `MAJOR.MINOR.0`.
fn two_part_version(text: &str) -> Option<semver::Version> {
    let (major, minor) = text.split_once('.')?;
    let number = |part: &str| {
        let plain = !part.is_empty()
            && part.bytes().all(|b| b.is_ascii_digit())
            && (part == "0" || !part.starts_with('0'));
        plain.then(|| part.parse::<u64>().ok()).flatten()
    };
    Some(semver::Version::new(number(major)?, number(minor)?, 0))
}

const DEFAULT_FOLDER_PATTERN: &str = r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$";

/// Where the version the tree ships comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// A file holding one version (`migration/VERSION`), which every dialect's highest
    /// migration must equal.
    VersionFile,
    /// Each dialect's highest migration.
    HighestMigration,
}

/// Where the database records its schema version, and who writes it.
#[derive(Clone, Debug)]
pub struct Stamp {
    pub table: String,
    pub name_column: String,
    pub value_column: String,
    /// The value of the name column of the row that holds the version.
    pub key: String,
    /// The JSON field of the value that holds the version; `None` for a plain value.
    pub field: Option<String>,
    pub written_by: StampWriter,
    /// Where the service reads its version back from, where that is a version-history table
    /// (`[stamp.history]`) rather than the settings row above.
    pub history: Option<History>,
    /// The service's own SQL that writes the stamp, per dialect (`[stamp.write]`); a dialect
    /// without one gets `Stamp::default_write`.
    pub writes: Vec<StampWrite>,
    /// Where the configuration file describes the stamp (the `[stamp]` table, else the file),
    /// for messages about the default write; `None` without a configuration file.
    pub configured_at: Option<Place>,
}

/// A version-history table: one row per applied version, the stored version being the highest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct History {
    pub table: String,
    pub column: String,
}

/// The SQL a service runs to write its stamp, as configured for one dialect.
#[derive(Clone, Debug)]
pub struct StampWrite {
    pub dialect: Dialect,
    /// The SQL with its placeholders (`{version}`, `{value}`); one or more statements.
    pub sql: String,
    /// The key in the configuration file.
    pub place: Place,
}

/// A place in the configuration file, for diagnostics.
#[derive(Clone, Debug)]
pub struct Place {
    pub file: String,
    pub span: Option<Span>,
}

/// The placeholders of a configured stamp write: `{name}` with a name of letters, digits, `_`
/// and `-`. Braces around anything else (a JSON literal's `{"schemaVersion": ...}`) are SQL.
static PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{([A-Za-z_][A-Za-z0-9_-]*)\}").expect("valid regex"));

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StampWriter {
    /// The fresh-install script ends by writing it; the service writes it after upgrades.
    Latest,
    /// The service writes it after a fresh install and after upgrades; scripts never do.
    Service,
}

impl Stamp {
    /// The version the service reads back from what the record holds (`values`, from
    /// `Database::stamp_record`): the settings row's version, or the highest version of the
    /// history table, compared as versions. Where no row of a history table holds a readable
    /// version, its first non-empty row is returned, for the message that it is not one.
    pub fn stored_version(
        &self,
        values: &[String],
        rule: VersionRule,
        two_part: bool,
    ) -> Option<String> {
        if self.history.is_none() {
            return values.first().and_then(|v| self.version_in(v));
        }
        let texts = values.iter().map(|v| v.trim()).filter(|v| !v.is_empty());
        texts
            .clone()
            .filter_map(|text| Some((rule.parse_with(text, two_part).ok()?, text)))
            .max()
            .map(|(_, text)| text)
            .or_else(|| texts.clone().next())
            .map(str::to_string)
    }

    /// The SQL the service runs to record `version` (as the tree writes it) in `dialect`: the
    /// configured write with its placeholders filled in, else the default write. The second
    /// value is the configured write, where there is one.
    pub fn write_sql(&self, dialect: Dialect, version: &str) -> (String, Option<&StampWrite>) {
        let configured = self.writes.iter().find(|w| w.dialect == dialect);
        let sql = match configured {
            Some(write) => PLACEHOLDER
                .replace_all(&write.sql, |captures: &regex::Captures<'_>| {
                    match &captures[1] {
                        "version" => quote(version),
                        // The configuration refused every other placeholder.
                        _ => quote(&self.value(version)),
                    }
                })
                .into_owned(),
            None => self.default_write(version),
        };
        (sql, configured)
    }

    /// What the tool writes where the configuration gives no write: the upsert of the settings
    /// row, or the INSERT of the version into the history table.
    pub fn default_write(&self, version: &str) -> String {
        if let Some(history) = &self.history {
            return format!(
                "INSERT INTO {} ({}) VALUES ({})",
                history.table,
                history.column,
                quote(version)
            );
        }
        let (name, column) = (&self.name_column, &self.value_column);
        format!(
            "INSERT INTO {} ({name}, {column}) VALUES ({}, {}) \
             ON CONFLICT ({name}) DO UPDATE SET {column} = excluded.{column}",
            self.table,
            quote(&self.key),
            quote(&self.value(version))
        )
    }

    /// The value the service writes for a version.
    pub fn value(&self, version: &str) -> String {
        match &self.field {
            Some(field) => serde_json::json!({ field.as_str(): version }).to_string(),
            None => version.to_string(),
        }
    }

    /// The version in a stored value; `None` where it is absent or empty.
    pub fn version_in(&self, value: &str) -> Option<String> {
        let version = match &self.field {
            Some(field) => {
                let json: serde_json::Value = serde_json::from_str(value).ok()?;
                json.get(field)?.as_str()?.to_string()
            }
            None => value.trim().to_string(),
        };
        (!version.is_empty()).then_some(version)
    }

    /// How a message names the stamp: `BASIC.schemaVersion`, or `BASIC` for a plain value, or
    /// `migration_history.version` for a history table.
    pub fn name(&self) -> String {
        if let Some(history) = &self.history {
            return format!("{}.{}", history.table, history.column);
        }
        match &self.field {
            Some(field) => format!("{}.{field}", self.key),
            None => self.key.clone(),
        }
    }
}

/// `text` as an SQL string literal, in either dialect.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Where the `full` chain starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FullChain {
    /// From an empty database: the first migration creates everything.
    Empty,
    /// From a baseline script that builds the schema at `version`; the migrations above it follow.
    Baseline {
        path: String,
        version: semver::Version,
    },
    /// There is no full chain: old migrations were removed, and only tag upgrades are replayed.
    None,
}

/// How the service groups pending migrations into transactions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Transaction {
    /// All pending files in one transaction.
    All,
    /// One transaction per version (files of one version together).
    PerVersion,
    /// One transaction per file.
    PerFile,
}

/// What the service's database user may do on the service's database, as far as the replay
/// needs to know: each PostgreSQL chain runs as a fresh role that owns its database and has no
/// other right, unless these grant it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Privileges {
    /// Extensions an administrator creates before the service's migrations run (untrusted ones,
    /// which only a superuser can create): the replay creates them as superuser in each chain's
    /// database before the chain (`replay.superuser-extensions`). Lower-cased.
    pub superuser_extensions: Vec<String>,
    /// Role attributes the service's user has (`replay.role-attributes`).
    pub role_attributes: Vec<RoleAttribute>,
}

/// A PostgreSQL role attribute the configuration may grant the chains' role. `SUPERUSER` is not
/// one of them: a tree that needs it is replayed with `--replay-as superuser`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RoleAttribute {
    CreateRole,
    CreateDb,
    BypassRls,
    Replication,
}

impl RoleAttribute {
    pub const ALL: [RoleAttribute; 4] = [
        RoleAttribute::CreateRole,
        RoleAttribute::CreateDb,
        RoleAttribute::BypassRls,
        RoleAttribute::Replication,
    ];

    /// The keyword, as `CREATE ROLE` takes it.
    pub fn keyword(self) -> &'static str {
        match self {
            RoleAttribute::CreateRole => "CREATEROLE",
            RoleAttribute::CreateDb => "CREATEDB",
            RoleAttribute::BypassRls => "BYPASSRLS",
            RoleAttribute::Replication => "REPLICATION",
        }
    }

    fn parse(text: &str) -> anyhow::Result<RoleAttribute> {
        let upper = text.trim().to_ascii_uppercase();
        if let Some(attribute) = Self::ALL.into_iter().find(|a| a.keyword() == upper) {
            return Ok(attribute);
        }
        if upper == "SUPERUSER" {
            bail!(
                "replay.role-attributes: SUPERUSER cannot be granted to the chains' role: no \
                 managed database gives it to a service; a tree that truly needs it is replayed \
                 with --replay-as superuser"
            );
        }
        let known: Vec<&str> = Self::ALL.iter().map(|a| a.keyword()).collect();
        bail!(
            "replay.role-attributes: `{text}` is not a role attribute the chains' role can have \
             (one of {})",
            known.join(", ")
        )
    }
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
            skip_extensions: Vec::new(),
            privileges: Privileges::default(),
            releases: Releases::default(),
        }
    }
}

fn pattern(text: &str) -> Regex {
    Regex::new(text).expect("a built-in pattern is valid")
}

static IDENTIFIER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z_][A-Za-z0-9_]*$").expect("valid regex"));

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawFile {
    #[serde(default)]
    layout: RawLayout,
    #[serde(default)]
    version: RawVersion,
    #[serde(default)]
    stamp: RawStamp,
    #[serde(default)]
    replay: RawReplay,
    #[serde(default)]
    lint: RawLint,
    /// The allowlist, which `allowlist.rs` reads; named here so that unknown keys are refused.
    #[serde(default, rename = "allow")]
    _allow: Vec<toml::Value>,
    /// The severity settings, which `accept/severity.rs` reads.
    #[serde(default, rename = "severity")]
    _severity: Vec<toml::Value>,
    #[serde(default)]
    silence: Vec<toml::Spanned<RawSilence>>,
    #[serde(default)]
    history: history::RawHistory,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawLayout {
    dialects: Option<std::collections::BTreeMap<Dialect, String>>,
    versions: Option<VersionRule>,
    file_pattern: Option<String>,
    folder_pattern: Option<String>,
    latest: Option<String>,
    latest_at_tags: Option<toml::Value>,
    #[serde(default)]
    dirs_at_tags: Vec<history::RawDirsAtTags>,
    seeds: Option<String>,
    #[serde(default)]
    ignore: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawVersion {
    target: Option<Target>,
    file: Option<String>,
    minimum_upgrade: Option<String>,
    two_part: Option<bool>,
    first: Option<std::collections::BTreeMap<Dialect, String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawLint {
    below_minimum_upgrade: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawStamp {
    table: Option<String>,
    name_column: Option<String>,
    value_column: Option<String>,
    key: Option<String>,
    format: Option<StampFormat>,
    field: Option<String>,
    written_by: Option<StampWriter>,
    history: Option<RawHistory>,
    #[serde(default)]
    write: std::collections::BTreeMap<Dialect, toml::Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawHistory {
    table: String,
    version_column: Option<String>,
}

#[derive(Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
enum StampFormat {
    Json,
    Plain,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawReplay {
    full_chain: Option<RawFullChain>,
    baseline: Option<String>,
    baseline_version: Option<String>,
    transaction: Option<Transaction>,
    sqlite_foreign_keys: Option<bool>,
    #[serde(default)]
    skip_extensions: Vec<String>,
    #[serde(default)]
    superuser_extensions: Vec<String>,
    #[serde(default)]
    role_attributes: Vec<String>,
}

#[derive(Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
enum RawFullChain {
    Empty,
    Baseline,
    None,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSilence {
    code: String,
    file: String,
    line: Option<u32>,
    reason: String,
}

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
        let raw: RawFile = source.toml("the keys are documented in docs/config.md")?;
        let mut config =
            Config::from_raw(raw, &source, |relative| display(&store_root.join(relative)))
                .with_context(|| format!("{} is not a valid configuration", source.display))?;
        config.source = Some(source);
        Ok(config)
    }

    fn from_raw(
        raw: RawFile,
        source: &SourceFile,
        display: impl Fn(&str) -> String,
    ) -> anyhow::Result<Config> {
        let defaults = Config::default();
        let versions = raw.layout.versions.unwrap_or(defaults.layout.versions);
        let regex = |key: &str, text: Option<String>, default: &str| -> anyhow::Result<Regex> {
            let text = text.unwrap_or_else(|| default.to_string());
            Regex::new(&text).with_context(|| format!("layout.{key} `{text}` is not a regex"))
        };
        let conventional_names = versions == VersionRule::Store
            && raw.layout.file_pattern.is_none()
            && raw.layout.folder_pattern.is_none();
        let conventional = conventional_names
            && raw.layout.dialects.is_none()
            && raw.layout.latest.is_none()
            && raw.layout.seeds.is_none()
            && raw.layout.ignore.is_empty()
            && raw.version.file.is_none()
            && raw.version.target != Some(Target::HighestMigration);
        let file_pattern = regex(
            "file-pattern",
            raw.layout.file_pattern,
            versions.default_file_pattern(),
        )?;
        let folder_pattern = regex(
            "folder-pattern",
            raw.layout.folder_pattern,
            DEFAULT_FOLDER_PATTERN,
        )?;
        let dialects = match raw.layout.dialects {
            Some(map) if map.is_empty() => bail!("layout.dialects names no dialect"),
            Some(map) => map
                .into_iter()
                .map(|(d, dir)| Ok((d, relative("layout.dialects", &dir)?)))
                .collect::<anyhow::Result<_>>()?,
            None => defaults.layout.dialects,
        };
        let latest = match raw.layout.latest {
            Some(latest) => relative("layout.latest", &latest)?,
            None => defaults.layout.latest,
        };
        let latest_at_tags = history::latest_at_tags(raw.layout.latest_at_tags, &latest, relative)?;
        let dirs_at_tags = history::dirs_at_tags(raw.layout.dirs_at_tags, relative)?;
        let version_file = match raw.version.file {
            Some(file) => relative("version.file", &file)?,
            None => defaults.layout.version_file,
        };
        let target = raw.version.target.unwrap_or(defaults.target);
        let two_part = raw.version.two_part.unwrap_or(defaults.layout.two_part);
        if two_part && versions.is_numeric() {
            bail!("version.two-part reads MAJOR.MINOR versions, but under the `integer` and `timestamp` rules of layout.versions a version is one number");
        }
        let minimum_upgrade = match raw.version.minimum_upgrade {
            Some(text) => versions
                .parse_with(&text, two_part)
                .map_err(|e| anyhow::anyhow!("version.minimum-upgrade: `{text}` {e}"))?,
            None => defaults.minimum_upgrade,
        };
        let first_versions = raw
            .version
            .first
            .unwrap_or_default()
            .into_iter()
            .map(|(dialect, text)| {
                let version = versions.parse_with(&text, two_part).map_err(|e| {
                    anyhow::anyhow!("version.first.{}: `{text}` {e}", dialect.folder())
                })?;
                Ok((dialect, version))
            })
            .collect::<anyhow::Result<_>>()?;

        let identifier = |key: &str, value: Option<String>, default: String| {
            let value = value.unwrap_or(default);
            if IDENTIFIER.is_match(&value) {
                Ok(value)
            } else {
                bail!(
                    "stamp.{key} `{value}` is not a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]*)"
                )
            }
        };
        let stamp = defaults.stamp;
        let format = raw.stamp.format.unwrap_or(StampFormat::Json);
        if format == StampFormat::Plain && raw.stamp.field.is_some() {
            bail!("stamp.field names a JSON field, but stamp.format is \"plain\"");
        }
        let stamp = Stamp {
            table: identifier("table", raw.stamp.table, stamp.table)?,
            name_column: identifier("name-column", raw.stamp.name_column, stamp.name_column)?,
            value_column: identifier("value-column", raw.stamp.value_column, stamp.value_column)?,
            key: raw.stamp.key.unwrap_or(stamp.key),
            field: match format {
                StampFormat::Json => raw.stamp.field.or(stamp.field),
                StampFormat::Plain => None,
            },
            written_by: raw.stamp.written_by.unwrap_or(stamp.written_by),
            history: match raw.stamp.history {
                Some(history) => Some(History {
                    table: identifier("history.table", Some(history.table), String::new())?,
                    column: identifier(
                        "history.version-column",
                        history.version_column,
                        "version".into(),
                    )?,
                }),
                None => None,
            },
            writes: raw
                .stamp
                .write
                .into_iter()
                .map(|(dialect, sql)| stamp_write(dialect, sql, source))
                .collect::<anyhow::Result<_>>()?,
            configured_at: Some(Place {
                file: source.display.clone(),
                span: stamp_table_line(source),
            }),
        };

        let mut role_attributes = raw
            .replay
            .role_attributes
            .iter()
            .map(|text| RoleAttribute::parse(text))
            .collect::<anyhow::Result<Vec<_>>>()?;
        role_attributes.sort();
        role_attributes.dedup();
        let privileges = Privileges {
            superuser_extensions: raw
                .replay
                .superuser_extensions
                .iter()
                .map(|name| name.to_ascii_lowercase())
                .collect(),
            role_attributes,
        };
        let full_chain = match raw.replay.full_chain.unwrap_or(RawFullChain::Empty) {
            RawFullChain::Empty | RawFullChain::None if raw.replay.baseline.is_some() => {
                bail!("replay.baseline is set, but replay.full-chain is not \"baseline\"")
            }
            RawFullChain::Empty => FullChain::Empty,
            RawFullChain::None => FullChain::None,
            RawFullChain::Baseline => {
                let path = raw.replay.baseline.context(
                    "replay.full-chain = \"baseline\" needs replay.baseline, the script's path",
                )?;
                let text = raw.replay.baseline_version.context(
                    "replay.full-chain = \"baseline\" needs replay.baseline-version, the version the script builds",
                )?;
                FullChain::Baseline {
                    path: relative("replay.baseline", &path)?,
                    version: versions
                        .parse_with(&text, two_part)
                        .map_err(|e| anyhow::anyhow!("replay.baseline-version: `{text}` {e}"))?,
                }
            }
        };

        let mut silences = Vec::new();
        for spanned in raw.silence {
            let start = source.position(spanned.span().start);
            let at = format!("{}:{}:{}", source.display, start.line, start.column);
            let entry = spanned.into_inner();
            let code = Code::from_name(&entry.code).with_context(|| {
                format!(
                    "{at}: [[silence]]: {}",
                    crate::codes::unknown_code(&entry.code)
                )
            })?;
            if let Some(refusal) = crate::codes::refusal(code) {
                bail!("{at}: [[silence]]: `{}` {refusal}", entry.code);
            }
            if entry.reason.trim().is_empty() {
                bail!("{at}: a silence needs a reason: say why this finding is accepted");
            }
            let width = source.line(start.line).unwrap_or_default().chars().count() as u32;
            let file = relative("silence.file", &entry.file)?;
            silences.push(Silence {
                code,
                display: display(&file),
                file,
                line: entry.line,
                span: Span::on_line(start.line, start.column, width),
                used: Cell::new(false),
            });
        }

        Ok(Config {
            source: None,
            layout: Layout {
                dialects,
                versions,
                two_part,
                file_pattern,
                folder_pattern,
                conventional_names,
                conventional,
                latest,
                latest_at_tags,
                dirs_at_tags,
                seeds: match raw.layout.seeds {
                    Some(seeds) => relative("layout.seeds", &seeds)?,
                    None => defaults.layout.seeds,
                },
                ignore: raw
                    .layout
                    .ignore
                    .iter()
                    .map(|p| relative("layout.ignore", p))
                    .collect::<anyhow::Result<_>>()?,
                version_file,
            },
            target,
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
            skip_extensions: raw
                .replay
                .skip_extensions
                .iter()
                .map(|name| name.to_ascii_lowercase())
                .collect(),
            privileges,
            releases: history::releases(raw.history)?,
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

impl Layout {
    /// The migration folder of a dialect, relative to the store.
    pub fn dialect_dir(&self, dialect: Dialect) -> Option<&str> {
        self.dialects
            .iter()
            .find(|(d, _)| *d == dialect)
            .map(|(_, dir)| dir.as_str())
    }

    /// A configured path for a dialect, placeholders filled in.
    pub fn expand(&self, template: &str, dialect: Dialect) -> String {
        template
            .replace(
                "{dir}",
                self.dialect_dir(dialect).unwrap_or(dialect.folder()),
            )
            .replace("{dialect}", dialect.folder())
    }

    /// The migration folder of a dialect at a release of `version`, relative to the store: the
    /// folder of the first `dirs-at-tags` entry above the version that names the dialect, else
    /// today's.
    pub fn dir_at(&self, dialect: Dialect, version: &semver::Version) -> &str {
        self.dirs_at_tags
            .iter()
            .filter(|entry| *version < entry.until)
            .find_map(|entry| entry.dirs.get(&dialect))
            .map_or_else(
                || self.dialect_dir(dialect).unwrap_or(dialect.folder()),
                String::as_str,
            )
    }

    /// The candidate paths of the fresh-install script a release of `version` shipped, in
    /// order, with `{dir}` standing for the dialect's folder at that release.
    pub fn latest_at(&self, dialect: Dialect, version: &semver::Version) -> Vec<String> {
        let dir = self.dir_at(dialect, version);
        self.latest_at_tags
            .for_dialect(dialect)
            .iter()
            .map(|template| {
                template
                    .replace("{dir}", dir)
                    .replace("{dialect}", dialect.folder())
            })
            .collect()
    }

    /// Whether a path relative to the store is ignored.
    pub fn ignores(&self, relative: &str) -> bool {
        self.ignore
            .iter()
            .any(|i| relative == i || relative.starts_with(&format!("{i}/")))
    }
}

/// A `[stamp.write]` entry, its placeholders checked: a typo in one would write the literal text
/// `{verison}` as the stamp.
fn stamp_write(
    dialect: Dialect,
    sql: toml::Spanned<String>,
    source: &SourceFile,
) -> anyhow::Result<StampWrite> {
    let start = source.position(sql.span().start);
    let key = format!("stamp.write.{}", dialect.folder());
    let at = format!("{}:{}:{}", source.display, start.line, start.column);
    let sql = sql.into_inner();
    if sql.trim().is_empty() {
        bail!("{at}: {key} is empty: give the SQL the service runs to record its schema version, or remove the key to keep the default write");
    }
    if let Some(unknown) = PLACEHOLDER
        .captures_iter(&sql)
        .map(|c| c[1].to_string())
        .find(|name| name != "version" && name != "value")
    {
        bail!("{at}: {key} uses the placeholder `{{{unknown}}}`; the placeholders are `{{version}}` and `{{value}}`");
    }
    // The whole line of the key: a multi-line value starts on it, and the key is what to fix.
    let line = start.line;
    let width = source.line(line).unwrap_or_default().chars().count() as u32;
    Ok(StampWrite {
        dialect,
        sql,
        place: Place {
            file: source.display.clone(),
            span: Some(Span::on_line(line, 1, width)),
        },
    })
}

/// The line of the `[stamp]` table (or of its first sub-table) in the configuration file.
fn stamp_table_line(source: &SourceFile) -> Option<Span> {
    (1..=source.line_count()).find_map(|line| {
        let text = source.line(line)?;
        let trimmed = text.trim_start();
        (trimmed.starts_with("[stamp]") || trimmed.starts_with("[stamp."))
            .then(|| Span::on_line(line, 1, text.chars().count() as u32))
    })
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
mod tests {
    use super::*;

    #[test]
    fn versions_as_each_rule_reads_names() {
        let v = semver::Version::new;
        let flat = VersionRule::FlatSemver;
        assert_eq!(flat.flat_version("V1.2.3__x.sql"), Some(v(1, 2, 3)));
        assert_eq!(flat.flat_version("V1_2__x.sql"), Some(v(1, 2, 0)));
        assert_eq!(flat.flat_version("V3__x.sql"), Some(v(3, 0, 0)));
        assert_eq!(flat.flat_version("V1.2.3_x.sql"), None);
        assert_eq!(flat.flat_version("1.2.3__x.sql"), None);
        let integer = VersionRule::Integer;
        assert_eq!(integer.flat_version("0042_x.sql"), Some(v(42, 0, 0)));
        assert_eq!(integer.flat_version("42x.sql"), None);
        assert_eq!(integer.show(&v(42, 0, 0)), "42");
        assert_eq!(integer.parse("42"), Ok(v(42, 0, 0)));
        let timestamp = VersionRule::Timestamp;
        assert_eq!(
            timestamp.flat_version("20240101120000_x.sql"),
            Some(v(20240101120000, 0, 0))
        );
        assert_eq!(VersionRule::Store.flat_version("00__x.sql"), None);
    }

    #[test]
    fn stamps_in_json_and_plain() {
        let json = Config::default().stamp;
        assert_eq!(json.value("0.3.1"), r#"{"schemaVersion":"0.3.1"}"#);
        assert_eq!(
            json.version_in(r#"{"schemaVersion":"0.3.1"}"#).as_deref(),
            Some("0.3.1")
        );
        assert_eq!(json.version_in(r#"{"schemaVersion":""}"#), None);
        let plain = Stamp {
            field: None,
            ..json
        };
        assert_eq!(plain.value("7"), "7");
        assert_eq!(plain.version_in(" 7\n").as_deref(), Some("7"));
    }

    fn load(text: &str) -> anyhow::Result<Config> {
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join(FILE_NAME), text)?;
        Config::load(dir.path(), None, |_| FILE_NAME.to_string())
    }

    #[test]
    fn skipped_extensions_are_read_as_postgresql_folds_them() {
        let config = load("[replay]\nskip-extensions = [\"Vector\", \"pg_trgm\"]\n").unwrap();
        assert_eq!(config.skip_extensions, ["vector", "pg_trgm"]);
        assert!(load("").unwrap().skip_extensions.is_empty());
    }

    #[test]
    fn the_chains_privileges_are_read_and_superuser_is_refused() {
        let config = load(
            "[replay]\nsuperuser-extensions = [\"Vector\"]\nrole-attributes = [\"createrole\", \"CREATEROLE\", \"BypassRLS\"]\n",
        )
        .unwrap();
        assert_eq!(config.privileges.superuser_extensions, ["vector"]);
        assert_eq!(
            config.privileges.role_attributes,
            [RoleAttribute::CreateRole, RoleAttribute::BypassRls]
        );
        let refused = |text: &str| format!("{:#}", load(text).expect_err("refused"));
        assert!(refused("[replay]\nrole-attributes = [\"superuser\"]\n")
            .contains("--replay-as superuser"));
        assert!(refused("[replay]\nrole-attributes = [\"login\"]\n")
            .contains("one of CREATEROLE, CREATEDB, BYPASSRLS, REPLICATION"));
    }

    #[test]
    fn mistakes_in_the_file_are_named_with_their_place() {
        let error = |text: &str| load(text).err().map(|e| format!("{e:#}"));
        let unknown = error("[layout]\nversion = \"store\"\n");
        assert!(
            unknown
                .as_deref()
                .is_some_and(|e| e.contains(":2:1") && e.contains("unknown field `version`")),
            "{unknown:?}"
        );
        let outside = error("[layout]\nlatest = \"../LATEST.sql\"\n");
        assert!(
            outside
                .as_deref()
                .is_some_and(|e| e.contains("layout.latest")),
            "{outside:?}"
        );
        let baseline = error("[replay]\nfull-chain = \"baseline\"\n");
        assert!(
            baseline
                .as_deref()
                .is_some_and(|e| e.contains("needs replay.baseline")),
            "{baseline:?}"
        );
        let table = error("[stamp]\ntable = \"x; drop\"\n");
        assert!(
            table.as_deref().is_some_and(|e| e.contains("identifier")),
            "{table:?}"
        );
        let silence =
            error("[[silence]]\ncode = \"drop-column\"\nfile = \"a.sql\"\nreason = \" \"\n");
        assert!(
            silence
                .as_deref()
                .is_some_and(|e| e.contains("needs a reason")),
            "{silence:?}"
        );
        let misspelt =
            error("[[silence]]\ncode = \"stamp-mismatsh\"\nfile = \"a.sql\"\nreason = \"r\"\n");
        assert!(
            misspelt
                .as_deref()
                .is_some_and(|e| e.contains(":1:1") && e.contains("did you mean `stamp-mismatch`")),
            "{misspelt:?}"
        );
        let circular =
            error("[[silence]]\ncode = \"unused-allow\"\nfile = \"a.sql\"\nreason = \"r\"\n");
        assert!(
            circular
                .as_deref()
                .is_some_and(|e| e.contains("remove that entry")),
            "{circular:?}"
        );
        assert!(
            load("[[silence]]\ncode = \"stamp-mismatch\"\nfile = \"a.sql\"\nreason = \"r\"\n")
                .is_ok()
        );
    }

    #[test]
    fn two_part_versions_only_where_configured() -> anyhow::Result<()> {
        let store = VersionRule::Store;
        assert_eq!(
            store.parse_with("0.52", true),
            Ok(semver::Version::new(0, 52, 0))
        );
        assert_eq!(
            store.parse_with("0.52.1", true),
            Ok(semver::Version::new(0, 52, 1))
        );
        assert!(store.parse("0.52").is_err());
        assert!(store.parse_with("0.052", true).is_err());
        assert!(store.parse_with("0.x", true).is_err());
        let config = load("[version]\ntwo-part = true\nminimum-upgrade = \"0.22\"\n")?;
        assert!(config.layout.two_part);
        assert_eq!(config.minimum_upgrade, semver::Version::new(0, 22, 0));
        assert!(!Config::default().layout.two_part);
        let numeric = load("[layout]\nversions = \"integer\"\n[version]\ntwo-part = true\n")
            .err()
            .map(|e| format!("{e:#}"));
        assert!(
            numeric
                .as_deref()
                .is_some_and(|e| e.contains("version.two-part")),
            "{numeric:?}"
        );
        Ok(())
    }

    #[test]
    fn stamp_writes_fill_in_quoted_placeholders() -> anyhow::Result<()> {
        let config = load(concat!(
            "[stamp]\n",
            "table = \"system_setting\"\n",
            "\n",
            "[stamp.write]\n",
            "postgres = \"INSERT INTO system_setting VALUES ('BASIC', {value}, {version}); SELECT '{}'\"\n",
        ))?;
        let stamp = &config.stamp;
        let (sql, configured) = stamp.write_sql(Dialect::Postgres, "0.3.1");
        assert_eq!(
            sql,
            r#"INSERT INTO system_setting VALUES ('BASIC', '{"schemaVersion":"0.3.1"}', '0.3.1'); SELECT '{}'"#
        );
        let place = &configured.context("the configured write")?.place;
        assert_eq!(place.span.map(|s| s.start.line), Some(5));
        assert_eq!(place.file, FILE_NAME);
        assert_eq!(
            stamp
                .configured_at
                .as_ref()
                .and_then(|p| p.span)
                .map(|s| s.start.line),
            Some(1)
        );
        // A dialect without a configured write keeps today's upsert.
        let (sql, configured) = stamp.write_sql(Dialect::Sqlite, "0.3.1");
        assert!(configured.is_none());
        assert_eq!(
            sql,
            "INSERT INTO system_setting (name, value) VALUES ('BASIC', '{\"schemaVersion\":\"0.3.1\"}') \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value"
        );
        // A quote in the value cannot end the literal.
        let plain = Stamp {
            field: None,
            ..stamp.clone()
        };
        assert_eq!(
            plain
                .write_sql(Dialect::Postgres, "it's")
                .0
                .matches("'it''s'")
                .count(),
            2
        );
        Ok(())
    }

    #[test]
    fn stamp_write_mistakes_are_refused() {
        let error = |text: &str| load(text).err().map(|e| format!("{e:#}"));
        let unknown = error("[stamp.write]\nsqlite = \"INSERT INTO t VALUES ({verison})\"\n");
        assert!(
            unknown.as_deref().is_some_and(|e| e.contains(":2:")
                && e.contains("stamp.write.sqlite")
                && e.contains("`{verison}`")),
            "{unknown:?}"
        );
        let empty = error("[stamp.write]\npostgres = \"  \"\n");
        assert!(
            empty
                .as_deref()
                .is_some_and(|e| e.contains("stamp.write.postgres is empty")),
            "{empty:?}"
        );
        let dialect = error("[stamp.write]\nmysql = \"SELECT 1\"\n");
        assert!(
            dialect.as_deref().is_some_and(|e| e.contains(":2:1")),
            "{dialect:?}"
        );
        let history = error("[stamp.history]\nversion-column = \"version\"\n");
        assert!(
            history
                .as_deref()
                .is_some_and(|e| e.contains("missing field `table`")),
            "{history:?}"
        );
    }

    #[test]
    fn a_history_table_is_read_back_as_its_highest_version() -> anyhow::Result<()> {
        let config = load("[stamp.history]\ntable = \"migration_history\"\n")?;
        let stamp = &config.stamp;
        assert_eq!(
            stamp.history,
            Some(History {
                table: "migration_history".into(),
                column: "version".into()
            })
        );
        assert_eq!(stamp.name(), "migration_history.version");
        assert_eq!(
            stamp.write_sql(Dialect::Sqlite, "0.10.0").0,
            "INSERT INTO migration_history (version) VALUES ('0.10.0')"
        );
        let rows = |rows: &[&str]| rows.iter().map(|r| r.to_string()).collect::<Vec<_>>();
        let rule = VersionRule::Store;
        // As strings, 0.9.0 would be the highest.
        assert_eq!(
            stamp
                .stored_version(&rows(&["0.10.0", "0.9.0", "0.2.1"]), rule, false)
                .as_deref(),
            Some("0.10.0")
        );
        assert_eq!(
            stamp
                .stored_version(&rows(&["0.52", "0.9.0"]), rule, true)
                .as_deref(),
            Some("0.52")
        );
        assert_eq!(
            stamp
                .stored_version(&rows(&["", "x"]), rule, false)
                .as_deref(),
            Some("x")
        );
        assert_eq!(stamp.stored_version(&[], rule, false), None);
        // The settings row is still read as before.
        assert_eq!(
            Config::default()
                .stamp
                .stored_version(&rows(&[r#"{"schemaVersion":"0.3.1"}"#]), rule, false)
                .as_deref(),
            Some("0.3.1")
        );
        Ok(())
    }

    #[test]
    fn no_file_is_the_store_convention() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let config = Config::load(dir.path(), None, |_| String::new())?;
        assert!(config.source.is_none());
        assert_eq!(
            config.layout.expand("{dir}/LATEST.sql", Dialect::Sqlite),
            "migration/sqlite/LATEST.sql"
        );
        assert_eq!(config.target, Target::VersionFile);
        assert_eq!(config.full_chain, FullChain::Empty);
        Ok(())
    }
}
