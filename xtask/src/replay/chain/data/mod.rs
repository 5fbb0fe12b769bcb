//! Populated upgrade chains: the data an installation of a release holds (the seeds as they were
//! at the release's tag), and what the upgrade does to it.

mod events;
pub(in crate::replay) mod failed;
pub(in crate::replay) mod generated;
pub(in crate::replay) mod seeds;
pub(in crate::replay) mod suite;
pub(in crate::replay) mod survival;

use std::collections::BTreeMap;

use super::{Chain, ChainKind, Failure, Outcome, Plan};
use crate::allowlist;
use crate::diagnostic::Diagnostic;
use crate::dialect::Dialect;
use crate::engine::{Database, StatementError};
use crate::replay::report::Grouped;
use crate::sql::{Role, SqlFile, Statement};

/// Whether upgrade chains run on populated databases, and how many rows the generator writes per
/// table (`--no-data`, `--rows`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Populate upgrade chains: on by default, off with `--no-data`.
    pub enabled: bool,
    /// Rows the generator writes per table of the release's schema.
    pub rows: usize,
}

/// The default `--rows`: enough rows to meet a constraint's exceptions, few enough to keep the
/// run fast.
pub const DEFAULT_ROWS: usize = 10;

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            enabled: true,
            rows: DEFAULT_ROWS,
        }
    }
}

/// What the chains of a dialect need to run populated.
#[derive(Default)]
pub struct Data {
    pub settings: Settings,
    /// Per release tag, the seed files as they were at the tag (`seeds::at_tags`).
    pub seeds_at_tags: BTreeMap<String, Vec<SqlFile>>,
    /// The dialect's data tests (`suite::load`).
    pub tests: Vec<suite::DataTest>,
}

impl Data {
    /// Whether `chain` runs populated: an upgrade chain, unless `--no-data`.
    pub fn populates(&self, chain: &Chain<'_>) -> bool {
        self.settings.enabled && chain.kind() == ChainKind::Upgrade
    }
}

/// What a chain found in its data, and the rows it read before the pending migrations.
#[derive(Default)]
pub struct ChainData<'f> {
    pub findings: Vec<Diagnostic>,
    /// `data-lost` findings, which an `[[allow]]` entry (`check = "data"`) can accept.
    pub losses: Vec<survival::Loss>,
    pub before: Option<survival::Before<'f>>,
    /// Whether the rows were compared after the chain, so that data entries are judged.
    pub compared: bool,
    /// The data tests (by index in `Data::tests`) whose setup ran in the chain.
    pub tests_run: Vec<usize>,
}

/// Whether a data test's setup is due after one of `files`, which then must run one statement at a
/// time (a batch of the whole transaction would leave no place for it between two files).
pub(super) fn due_within(plan: &Plan<'_>, files: &[&SqlFile]) -> bool {
    plan.data.settings.enabled
        && files.iter().any(|file| match &file.role {
            Role::Migration(version) => plan.data.tests.iter().any(|t| &t.version == version),
            _ => false,
        })
}

/// Right before the pending migrations of an upgrade chain from a release at `version`: the
/// setup of that version's data tests, then every table's rows are read (`survival`).
pub(super) fn before_pending<'f>(
    chain: &Chain<'f>,
    plan: &Plan<'f>,
    db: &mut dyn Database,
    version: &semver::Version,
    pending: &[&'f SqlFile],
    outcome: &mut Outcome<'f>,
) -> Result<(), Failure<'f>> {
    if !plan.data.populates(chain) {
        return Ok(());
    }
    suite::setup(plan, version, false, db, &mut outcome.data)?;
    outcome.data.before = survival::before(plan, db, pending)?;
    Ok(())
}

/// After `file` applied inside a transaction (a migration of the chain, or a fresh install): the
/// setup of the data tests of its version, unless `--no-data`.
pub(super) fn after_file<'f>(
    plan: &Plan<'_>,
    db: &mut dyn Database,
    version: &semver::Version,
    in_transaction: bool,
    outcome: &mut Outcome<'f>,
) -> Result<(), Failure<'f>> {
    if !plan.data.settings.enabled {
        return Ok(());
    }
    suite::setup(plan, version, in_transaction, db, &mut outcome.data)
}

/// After the chain (whose schema was read into the outcome): whether the rows read before the
/// pending migrations survived them.
pub(super) fn after_chain<'f>(
    chain: &Chain<'f>,
    plan: &Plan<'f>,
    db: &mut dyn Database,
    outcome: &mut Outcome<'f>,
) -> Result<(), Failure<'f>> {
    suite::check(plan, db, &mut outcome.data)?;
    let (Some(before), Some(schema)) = (outcome.data.before.take(), &outcome.schema) else {
        return Ok(());
    };
    outcome.data.compared = true;
    survival::after(chain, plan, db, &before, schema, &mut outcome.data.losses)
}

/// Applies one file of the tool's own choosing (a seed at a tag, a data test's setup) in a
/// transaction of its own, statement by statement: the statement the engine refused (`None`
/// where the commit failed) and its error, after rolling back; nothing where it applied.
fn apply_file<'a, 'f>(
    plan: &Plan<'_>,
    file: &'a SqlFile,
    db: &mut dyn Database,
) -> Result<Option<(Option<&'a Statement>, StatementError)>, Failure<'f>> {
    db.begin().map_err(|e| Failure::Engine(format!("{e:#}")))?;
    for statement in &file.statements {
        let Some(timeout) = plan.time_for_statement() else {
            // The transaction is abandoned with the chain; a failed rollback adds nothing.
            let _ = db.rollback();
            return Err(Failure::OutOfTime);
        };
        if let Err(error) = db.execute(file.text_of(statement), timeout) {
            db.rollback()
                .map_err(|e| Failure::Engine(format!("{e:#}")))?;
            return Ok(Some((Some(statement), error)));
        }
    }
    Ok(db.commit().err().map(|error| (None, error)))
}

/// The data findings of one dialect's chains, each reported once with the chains it occurred in,
/// less the losses the allowlist accepts.
pub(in crate::replay) fn report(
    chains: &[Chain<'_>],
    outcomes: &[Outcome<'_>],
    dialect: Dialect,
    engines: &[crate::replay::Engine],
    allowlist: &mut allowlist::Consulted<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let mut grouped = Grouped::new(dialect, chains, engines);
    for (chain, outcome) in chains
        .iter()
        .zip(outcomes)
        .filter(|(c, _)| c.dialect == dialect)
    {
        for diagnostic in &outcome.data.findings {
            grouped.add(diagnostic.clone(), chain);
        }
        if outcome.data.compared {
            allowlist.populated(dialect, &chain.name);
        }
        for loss in &outcome.data.losses {
            if !allowlist.allows_data(dialect, &chain.name, &loss.object, &loss.aspect) {
                grouped.add(loss.diagnostic.clone(), chain);
            }
        }
    }
    grouped.finish(out);
}
