//! The configuration file as TOML has it, before validation: every key optional, unknown keys
//! refused. `from_raw` (mod.rs) turns it into a `Config`.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::history;
use super::{AllowCheck, Level, StampWriter, Target, Transaction, VersionRule};
use crate::dialect::Dialect;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawFile {
    #[serde(default)]
    pub(super) layout: RawLayout,
    #[serde(default)]
    pub(super) version: RawVersion,
    #[serde(default)]
    pub(super) stamp: RawStamp,
    #[serde(default)]
    pub(super) replay: RawReplay,
    #[serde(default)]
    pub(super) lint: RawLint,
    #[serde(default)]
    pub(super) allow: Vec<toml::Spanned<RawAllow>>,
    #[serde(default)]
    pub(super) severity: Vec<toml::Spanned<RawSeverity>>,
    #[serde(default)]
    pub(super) silence: Vec<toml::Spanned<RawSilence>>,
    #[serde(default)]
    pub(super) history: history::RawHistory,
    #[serde(default)]
    pub(super) engines: super::engines::RawEngines,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawLayout {
    pub(super) dialects: Option<BTreeMap<Dialect, String>>,
    pub(super) versions: Option<VersionRule>,
    pub(super) file_pattern: Option<String>,
    pub(super) folder_pattern: Option<String>,
    pub(super) latest: Option<String>,
    pub(super) latest_at_tags: Option<toml::Value>,
    #[serde(default)]
    pub(super) dirs_at_tags: Vec<history::RawDirsAtTags>,
    pub(super) seeds: Option<String>,
    pub(super) tests: Option<String>,
    #[serde(default)]
    pub(super) ignore: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawVersion {
    pub(super) target: Option<Target>,
    pub(super) file: Option<String>,
    pub(super) minimum_upgrade: Option<String>,
    pub(super) two_part: Option<bool>,
    pub(super) first: Option<BTreeMap<Dialect, String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawLint {
    pub(super) below_minimum_upgrade: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawStamp {
    pub(super) table: Option<String>,
    pub(super) name_column: Option<String>,
    pub(super) value_column: Option<String>,
    pub(super) key: Option<String>,
    pub(super) format: Option<StampFormat>,
    pub(super) field: Option<String>,
    pub(super) written_by: Option<StampWriter>,
    pub(super) history: Option<RawHistory>,
    #[serde(default)]
    pub(super) write: BTreeMap<Dialect, toml::Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawHistory {
    pub(super) table: String,
    pub(super) version_column: Option<String>,
}

#[derive(Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub(super) enum StampFormat {
    Json,
    Plain,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawReplay {
    pub(super) full_chain: Option<RawFullChain>,
    pub(super) baseline: Option<String>,
    pub(super) baseline_version: Option<String>,
    pub(super) transaction: Option<Transaction>,
    pub(super) sqlite_foreign_keys: Option<bool>,
    #[serde(default)]
    pub(super) skip_extensions: Vec<String>,
    #[serde(default)]
    pub(super) superuser_extensions: Vec<String>,
    #[serde(default)]
    pub(super) role_attributes: Vec<String>,
}

#[derive(Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub(super) enum RawFullChain {
    Empty,
    Baseline,
    None,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSilence {
    pub(super) code: String,
    pub(super) file: String,
    pub(super) line: Option<u32>,
    pub(super) reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAllow {
    #[serde(default)]
    pub(super) check: AllowCheck,
    pub(super) dialect: Option<Dialect>,
    pub(super) chain: Option<String>,
    pub(super) object: String,
    pub(super) aspect: Option<String>,
    pub(super) reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSeverity {
    pub(super) code: String,
    pub(super) level: Level,
    pub(super) dialect: Option<Dialect>,
    pub(super) files: Option<String>,
    pub(super) reason: String,
}
