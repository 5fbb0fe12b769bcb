//! Planning the chains: per dialect what every chain shares (`Plan`), the chains themselves
//! (`fresh`, `full`, one upgrade per release tag), and this shard's share of them.

use super::chain::data::{self, seeds, suite};
use super::chain::{Chain, ChainKind, Plan, Start};
use super::releases::{self, Releases};
use super::{Input, Options, Shard};
use crate::config::FullChain;
use crate::diagnostic::Diagnostic;
use crate::dialect::Dialect;
use crate::git::releases::SkippedTag;
use crate::sql::{Role, SqlFile};
use crate::store::Store;

/// The chains of a run, and what each dialect's chains share.
pub(super) struct Planned<'a> {
    pub chains: Vec<Chain<'a>>,
    pub plans: Vec<(Dialect, Plan<'a>)>,
    /// Release tags an upgrade chain does not start from, and why.
    pub skipped_tags: Vec<SkippedTag>,
}

/// Plans the chains of every selected dialect that has a driver folder and a target version.
pub(super) fn chains<'a>(
    input: &Input<'a>,
    out: &mut Vec<Diagnostic>,
) -> anyhow::Result<Planned<'a>> {
    let mut planned = Planned {
        chains: Vec::new(),
        plans: Vec::new(),
        skipped_tags: Vec::new(),
    };
    let (store, files) = (input.store, input.files);
    for &dialect in input.dialects {
        let Some(driver) = store.driver(dialect) else {
            continue;
        };
        let Some((mut plan, latest)) = plan(files, dialect, store, input.options) else {
            continue;
        };
        if let Some(latest) = latest {
            planned
                .chains
                .push(Chain::new(dialect, Start::Fresh(latest)));
        }
        if let Some(start) = full_start(input, dialect) {
            planned.chains.push(Chain::new(dialect, start));
        }
        if driver.latest.is_some() {
            let releases = Releases {
                store,
                history: input.history,
                dialect,
                capture: input.options.capture_release.as_deref(),
            };
            let upgrades = releases::chains(&releases, &plan, out, &mut planned.skipped_tags)?;
            if plan.data.settings.enabled {
                plan.data.seeds_at_tags = seeds::at_tags(store, input.history, dialect, &upgrades)?;
            }
            planned.chains.extend(upgrades);
        }
        if plan.data.settings.enabled {
            let versions: Vec<&semver::Version> = plan.migrations.iter().map(|(v, _)| *v).collect();
            plan.data.tests = suite::load(store, dialect, &versions)?;
        }
        planned.plans.push((dialect, plan));
    }
    Ok(planned)
}

/// How the `full` chain of `dialect` starts, as `full-chain` configures it: from an empty
/// database, or from the baseline script where the dialect has one.
fn full_start<'a>(input: &Input<'a>, dialect: Dialect) -> Option<Start<'a>> {
    match &input.store.config.full_chain {
        FullChain::Empty => Some(Start::Empty),
        FullChain::Baseline { version, .. } => input
            .files
            .iter()
            .find(|f| f.dialect == dialect && f.role == Role::Baseline)
            .map(|script| Start::Baseline {
                script,
                version: version.clone(),
            }),
        FullChain::None => None,
    }
}

/// Keeps this shard's share of `chains`: every `fresh` (the other chains are compared with it),
/// `full` on the first shard, and the others dealt out in turn.
pub(super) fn deal(chains: &mut Vec<Chain<'_>>, shard: Shard) {
    let mut position = 0;
    chains.retain(|chain| match chain.kind() {
        ChainKind::Fresh => true,
        // The first shard reports the static findings, and a parse error or a dropped
        // generated constraint name is judged by the chains that executed the statement:
        // `full` runs nearly every migration, so the first shard owns it.
        ChainKind::Full => shard.is_first(),
        ChainKind::Upgrade => {
            position += 1;
            shard.owns(position - 1)
        }
    });
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
            restore_drill: options.restore_drill,
            data: data::Data {
                settings: options.data,
                ..data::Data::default()
            },
        },
        latest,
    ))
}
