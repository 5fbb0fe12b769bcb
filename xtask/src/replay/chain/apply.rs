//! Applying files to a chain's database: in the transactions the configuration names, as one
//! message per file where the engine takes it, else statement by statement, measured where the
//! chain is measured.

use std::time::Instant;

use super::{data, Applied, Failure, Outcome, Plan};
use crate::config::Transaction;
use crate::engine::{Database, StatementError};
use crate::replay::measure::Measured;
use crate::sql::{Role, SqlFile, Statement};

/// Applies the pending migrations in the transactions the configuration names: all in one, one
/// per file, or one per version.
pub(super) fn apply_pending<'f>(
    db: &mut dyn Database,
    pending: &[&'f SqlFile],
    plan: &Plan<'_>,
    outcome: &mut Outcome<'f>,
) -> Result<(), Failure<'f>> {
    // An upgrade with nothing pending has nothing to measure, and costs no query.
    if let Some(measured) = outcome.measured.as_mut().filter(|_| !pending.is_empty()) {
        measured.start(db, plan.timeout).map_err(measure_failure)?;
    }
    let applied = match plan.transaction {
        Transaction::All if !pending.is_empty() => apply(db, pending, plan, outcome),
        Transaction::All => Ok(()),
        Transaction::PerFile => pending
            .iter()
            .try_for_each(|file| apply(db, &[file], plan, outcome)),
        Transaction::PerVersion => pending
            .chunk_by(|a, b| a.role == b.role)
            .try_for_each(|group| apply(db, group, plan, outcome)),
    };
    if let Some(measured) = outcome.measured.as_mut() {
        measured.stop();
    }
    applied
}

/// The engine did not answer the measurement's own query: the chain cannot go on, since the
/// query's failure ended the transaction.
fn measure_failure<'f>(error: StatementError) -> Failure<'f> {
    Failure::Engine(format!("measuring the upgrade's statements: {error}"))
}

/// Applies files in one transaction. Where the engine takes several statements in one message
/// (PostgreSQL) and nothing is measured, each file's statements go as one message, one round
/// trip (`batch.rs`); only where that fails is the transaction rolled back and replayed
/// statement by statement, so that a failure is still known by file and statement and the
/// counts of what ran (`Applied`) stay exact. Under a run's time limit (`--timeout`) every
/// statement is sent alone, so that the limit stops the statement that was running.
pub(super) fn apply<'f>(
    db: &mut dyn Database,
    files: &[&'f SqlFile],
    plan: &Plan<'_>,
    outcome: &mut Outcome<'f>,
) -> Result<(), Failure<'f>> {
    let measuring = outcome.measured.as_ref().is_some_and(Measured::is_active);
    if !measuring
        && plan.deadline.is_none()
        && db.runs_batches()
        && !data::due_within(plan, files)
        && crate::replay::batch::run(db, files, &plan.skip_extensions, plan.timeout)
    {
        for file in files {
            outcome.statements += file.statements.len();
            outcome.applied.push(Applied {
                file,
                executed: file.statements.len(),
                failed: false,
            });
        }
        return commit(db, files);
    }
    apply_statements(db, files, plan, outcome)
}

/// Applies files in one transaction, statement by statement, so that a failure is known by
/// file and statement. A `CREATE EXTENSION` of an extension listed in `replay.skip-extensions`
/// stops the chain before it runs.
fn apply_statements<'f>(
    db: &mut dyn Database,
    files: &[&'f SqlFile],
    plan: &Plan<'_>,
    outcome: &mut Outcome<'f>,
) -> Result<(), Failure<'f>> {
    db.begin().map_err(|e| Failure::Engine(format!("{e:#}")))?;
    if let Some(measured) = outcome.measured.as_mut() {
        if let Err(error) = measured.begin(db, plan.timeout) {
            let _ = db.rollback();
            return Err(measure_failure(error));
        }
    }
    for file in files {
        for (index, statement) in file.statements.iter().enumerate() {
            apply_statement(db, file, index, statement, plan, outcome)?;
        }
        outcome.applied.push(Applied {
            file,
            executed: file.statements.len(),
            failed: false,
        });
        if let Role::Migration(version) = &file.role {
            if let Err(failure) = data::after_file(plan, db, version, true, outcome) {
                // The transaction is abandoned with the chain; a failed rollback adds nothing.
                let _ = db.rollback();
                return Err(failure);
            }
        }
    }
    commit(db, files)
}

/// Commits the transaction of `files`: deferred constraints and triggers run here.
fn commit<'f>(db: &mut dyn Database, files: &[&'f SqlFile]) -> Result<(), Failure<'f>> {
    db.commit().map_err(|error| Failure::Commit {
        files: files.to_vec(),
        error,
    })
}

/// Runs one statement of `file` (its `index`-th) inside the open transaction, and measures it
/// where the chain is measured. On failure the transaction is rolled back and `outcome.applied`
/// records how far the file got.
fn apply_statement<'f>(
    db: &mut dyn Database,
    file: &'f SqlFile,
    index: usize,
    statement: &'f Statement,
    plan: &Plan<'_>,
    outcome: &mut Outcome<'f>,
) -> Result<(), Failure<'f>> {
    let stop = |outcome: &mut Outcome<'f>, failed| {
        outcome.applied.push(Applied {
            file,
            executed: index,
            failed,
        });
    };
    if let Some(extension) = crate::replay::extension::created(file, statement)
        .filter(|name| plan.skip_extensions.contains(name))
    {
        stop(outcome, false);
        let _ = db.rollback();
        return Err(Failure::ExtensionSkipped {
            file,
            statement,
            extension,
        });
    }
    let Some(timeout) = plan.time_for_statement() else {
        stop(outcome, false);
        // The transaction is abandoned with the chain; a failed rollback adds nothing.
        let _ = db.rollback();
        return Err(Failure::OutOfTime);
    };
    outcome.statements += 1;
    let started = Instant::now();
    if let Err(error) = db.execute(file.text_of(statement), timeout) {
        stop(outcome, true);
        // The transaction is lost either way; a failed rollback adds nothing to report.
        let _ = db.rollback();
        return Err(Failure::Statement {
            file,
            statement,
            error,
        });
    }
    let ran = (file, statement, started.elapsed());
    if let Some(Err(error)) = outcome
        .measured
        .as_mut()
        .map(|measured| measured.record(db, ran, timeout))
    {
        stop(outcome, false);
        // The statement ran; what failed is the tool's query after it.
        if let Some(last) = outcome.applied.last_mut() {
            last.executed += 1;
        }
        let _ = db.rollback();
        return Err(measure_failure(error));
    }
    Ok(())
}
