//! User data tests: `test/<dialect>/<X.Y.Z>/NN__name.sql` in the store. A file's statements are
//! setup (run at version X.Y.Z in every chain that passes through it) and checks (each a `SELECT`
//! with `-- check: <description>` on the line above, which must return true after the chain).
//! The static checks read them first (`rules::data_tests`); this runs them.

use super::super::{Failure, Plan};
use super::failed::show;
use super::ChainData;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::dialect::Dialect;
use crate::engine::{Database, StatementError};
use crate::sql::Statement;
use crate::store::Store;

pub use crate::rules::data_tests::DataTest;

/// Reads a dialect's data tests. What is wrong with them was reported by the static checks
/// (`rules::data_tests`), so it is not reported again; the tests the static checks left out
/// are left out here too.
pub(in crate::replay) fn load(
    store: &Store,
    dialect: Dialect,
    versions: &[&semver::Version],
) -> anyhow::Result<Vec<DataTest>> {
    crate::rules::data_tests::load(store, dialect, versions, &mut Vec::new())
}

/// Runs the setup of the data tests of `version`, in a transaction of its own or, where the chain
/// is inside its pending transaction, under a savepoint (so that a failed setup leaves the
/// migrations' work as it was). A setup statement that fails is reported.
pub(in crate::replay) fn setup<'f>(
    plan: &Plan<'_>,
    version: &semver::Version,
    in_transaction: bool,
    db: &mut dyn Database,
    data: &mut ChainData<'f>,
) -> Result<(), Failure<'f>> {
    for (index, test) in plan.data.tests.iter().enumerate() {
        if &test.version != version {
            continue;
        }
        data.tests_run.push(index);
        let failed = if in_transaction {
            under_savepoint(plan, test, db)?
        } else {
            begin(db)?;
            match statements(plan, test, db)? {
                Some(failed) => {
                    db.rollback()
                        .map_err(|e| Failure::Engine(format!("{e:#}")))?;
                    Some(failed)
                }
                None => db.commit().err().map(|error| (None, error)),
            }
        };
        if let Some((statement, error)) = failed {
            data.findings.push(
                DataTestFailed {
                    test,
                    statement,
                    outcome: Outcome::SetupFailed(error),
                }
                .into(),
            );
        }
    }
    Ok(())
}

fn begin<'f>(db: &mut dyn Database) -> Result<(), Failure<'f>> {
    db.begin().map_err(|e| Failure::Engine(format!("{e:#}")))
}

const SAVEPOINT: &str = "validate_migrations_data_test";

type Failed<'a> = Option<(Option<&'a Statement>, StatementError)>;

fn under_savepoint<'a, 'f>(
    plan: &Plan<'_>,
    test: &'a DataTest,
    db: &mut dyn Database,
) -> Result<Failed<'a>, Failure<'f>> {
    let timeout = plan.time_for_statement().ok_or(Failure::OutOfTime)?;
    let engine = |e: StatementError| Failure::Engine(e.to_string());
    db.execute(&format!("SAVEPOINT {SAVEPOINT}"), timeout)
        .map_err(engine)?;
    let failed = statements(plan, test, db)?;
    let end = if failed.is_some() {
        format!("ROLLBACK TO SAVEPOINT {SAVEPOINT}")
    } else {
        format!("RELEASE SAVEPOINT {SAVEPOINT}")
    };
    db.execute(&end, timeout).map_err(engine)?;
    Ok(failed)
}

/// Runs the setup statements of `test` (not its checks); the first that fails.
fn statements<'a, 'f>(
    plan: &Plan<'_>,
    test: &'a DataTest,
    db: &mut dyn Database,
) -> Result<Failed<'a>, Failure<'f>> {
    for (index, statement) in test.file.statements.iter().enumerate() {
        if test.is_check(index) {
            continue;
        }
        let timeout = plan.time_for_statement().ok_or(Failure::OutOfTime)?;
        if let Err(error) = db.execute(test.file.text_of(statement), timeout) {
            return Ok(Some((Some(statement), error)));
        }
    }
    Ok(None)
}

/// Runs the checks of the data tests whose setup ran in the chain.
pub(in crate::replay) fn check<'f>(
    plan: &Plan<'_>,
    db: &mut dyn Database,
    data: &mut ChainData<'f>,
) -> Result<(), Failure<'f>> {
    for index in std::mem::take(&mut data.tests_run) {
        let test = &plan.data.tests[index];
        for (statement_index, description) in &test.checks {
            let statement = &test.file.statements[*statement_index];
            let timeout = plan.time_for_statement().ok_or(Failure::OutOfTime)?;
            let outcome = match db.query(test.file.text_of(statement), timeout) {
                Err(error) => Outcome::CheckError(description, error),
                Ok(rows) => match rows.first() {
                    Some(row) if row.first().is_some_and(is_true) => continue,
                    Some(row) => Outcome::CheckFalse(description, show(row)),
                    None => Outcome::CheckFalse(description, "no row".to_string()),
                },
            };
            data.findings.push(
                DataTestFailed {
                    test,
                    statement: Some(statement),
                    outcome,
                }
                .into(),
            );
        }
    }
    Ok(())
}

fn is_true(value: &Option<String>) -> bool {
    matches!(value.as_deref(), Some("t" | "true" | "1"))
}

/// A data test that failed: its setup, or one of its checks.
struct DataTestFailed<'a> {
    test: &'a DataTest,
    statement: Option<&'a Statement>,
    outcome: Outcome<'a>,
}

enum Outcome<'a> {
    SetupFailed(StatementError),
    /// The check's description and the row it returned.
    CheckFalse(&'a str, String),
    CheckError(&'a str, StatementError),
}

impl From<DataTestFailed<'_>> for Diagnostic {
    fn from(failed: DataTestFailed<'_>) -> Diagnostic {
        let version = &failed.test.version;
        let (message, help) = match &failed.outcome {
            Outcome::SetupFailed(error) => (
                format!(
                    "this setup statement of the data test failed at version {version}: {error}"
                ),
                "the setup runs at its version in every chain that passes through it (after that \
                 version's migration, or a release's fresh install): write it for the schema of \
                 that version",
            ),
            Outcome::CheckFalse(description, row) => (
                format!("data test check failed: {description}; the query returned ({row})"),
                "the upgrade does not keep the data as the test says: fix the migration (or the \
                 test, where the test is wrong); a check must return true",
            ),
            Outcome::CheckError(description, error) => (
                format!("data test check failed: {description}; the query failed: {error}"),
                "a check is a SELECT whose first value must be true after the chain: fix the query",
            ),
        };
        let diagnostic = Diagnostic::new(Code::DataTestFailed, message)
            .file(failed.test.file.source.display.clone())
            .help(help);
        match failed.statement {
            Some(statement) => diagnostic.span(crate::replay::failure::statement_span(
                &failed.test.file,
                statement,
            )),
            None => diagnostic,
        }
    }
}
