//! How the replay follows the service (`[replay]`): where the full chain starts, the
//! transactions, what the chains' role may do; the types, and their reading from the file.

use anyhow::bail;
use serde::Deserialize;

use super::layout::Layout;
use super::path;
use super::problems::Problems;
use super::raw::{RawFullChain, RawReplay};

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

/// What the chains' role may do (`replay.superuser-extensions`, `replay.role-attributes`).
pub(super) fn privileges(raw: &RawReplay, problems: &mut Problems) -> Privileges {
    let mut role_attributes: Vec<RoleAttribute> = raw
        .role_attributes
        .iter()
        .filter_map(|text| problems.ok_any("replay.role-attributes", RoleAttribute::parse(text)))
        .collect();
    role_attributes.sort();
    role_attributes.dedup();
    Privileges {
        superuser_extensions: lower_case(&raw.superuser_extensions),
        role_attributes,
    }
}

/// Extension names as PostgreSQL folds them.
pub(super) fn lower_case(names: &[String]) -> Vec<String> {
    names.iter().map(|name| name.to_ascii_lowercase()).collect()
}

/// Where the full chain starts (`replay.full-chain`, with `replay.baseline` and
/// `replay.baseline-version` for a baseline script).
pub(super) fn full_chain(raw: &RawReplay, layout: &Layout, problems: &mut Problems) -> FullChain {
    let chosen = raw.full_chain.unwrap_or(RawFullChain::Empty);
    if chosen != RawFullChain::Baseline && raw.baseline.is_some() {
        problems.at_key(
            "replay.baseline",
            "replay.baseline is set, but replay.full-chain is not \"baseline\"",
        );
    }
    match chosen {
        RawFullChain::Empty => FullChain::Empty,
        RawFullChain::None => FullChain::None,
        RawFullChain::Baseline => {
            let (Some(path_text), Some(text)) = (&raw.baseline, &raw.baseline_version) else {
                let missing = if raw.baseline.is_none() {
                    "replay.baseline, the script's path"
                } else {
                    "replay.baseline-version, the version the script builds"
                };
                problems.at_key(
                    "replay.full-chain",
                    format!("replay.full-chain = \"baseline\" needs {missing}"),
                );
                return FullChain::Empty;
            };
            let parsed = layout.versions.parse_with(text, layout.two_part);
            let checked = parsed.map_err(|e| format!("replay.baseline-version: `{text}` {e}"));
            let version = problems.ok("replay.baseline-version", checked);
            let path = path(
                problems,
                "replay.baseline",
                Some(path_text.clone()),
                String::new(),
            );
            version.map_or(FullChain::Empty, |version| FullChain::Baseline {
                path,
                version,
            })
        }
    }
}
