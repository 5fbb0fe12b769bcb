//! Running the chains: `--jobs` threads take the chains in turn, each chain in a database of its
//! own on its dialect's server.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use anyhow::Context as _;

use super::chain::{self, Chain, ChainKind, Failure, Plan};
use super::drill;
use super::engines::Engines;
use super::progress::Progress;
use super::Options;
use crate::dialect::Dialect;

/// Runs every chain, `options.jobs` at a time, and returns their outcomes in chain order.
pub(super) fn run_chains<'c>(
    chains: &'c [Chain<'c>],
    plans: &'c [(Dialect, Plan<'c>)],
    engines: &Engines,
    options: &Options,
) -> anyhow::Result<Vec<chain::Outcome<'c>>> {
    let next = AtomicUsize::new(0);
    let progress = options
        .progress
        .as_ref()
        .map(|sink| (sink, Mutex::new(Progress::new(chains))));
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
                if let Some((sink, Ok(mut progress))) = progress
                    .as_ref()
                    .map(|(sink, progress)| (sink, progress.lock()))
                {
                    progress.done(chain.dialect);
                    sink.report(&progress);
                }
            });
        }
    });
    if let Some((sink, Ok(mut progress))) = progress.map(|(sink, p)| (sink, p.into_inner())) {
        progress.finished = true;
        sink.report(&progress);
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
        .server(chain)?
        .with_database(&chain.name, &mut |db| {
            let mut ran = chain::run(chain, plan, db);
            restore_drill(chain, plan, db, &mut ran);
            outcome = Some(ran);
        })?;
    outcome.context("the chain's database was opened, yet the chain did not run")
}

/// The restore drill at the end of `chain`, after its seeds, where the chain reached its end and
/// is `fresh` or an upgrade (the full chain's database is an upgrade of an empty one, with no
/// rows of its own to restore): a finding becomes a failure of the chain, an engine that cannot
/// drill a note of the outcome.
fn restore_drill<'f>(
    chain: &Chain<'f>,
    plan: &Plan<'f>,
    db: &mut dyn crate::engine::Database,
    outcome: &mut chain::Outcome<'f>,
) {
    if !plan.restore_drill || chain.kind() == ChainKind::Full || !outcome.failures.is_empty() {
        return;
    }
    let Some(timeout) = plan.time_for_statement() else {
        outcome.failures.push(Failure::OutOfTime);
        return;
    };
    // The schema the chain read after its migrations is the database's still, unless seeds ran
    // since (a seed may create objects): then it is read again.
    let read = outcome
        .schema
        .as_ref()
        .filter(|_| plan.seeds_of(chain).is_empty());
    match drill::drill(db, read, timeout) {
        Ok(Ok(None)) => {}
        Ok(Ok(Some(finding))) => outcome.failures.push(Failure::Restore(finding)),
        Ok(Err(why)) => outcome.not_drilled = Some(why),
        Err(error) => outcome
            .failures
            .push(Failure::Engine(format!("the restore drill: {error:#}"))),
    }
}
