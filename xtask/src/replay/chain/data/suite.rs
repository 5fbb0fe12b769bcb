//! User data tests: `test/<dialect>/<X.Y.Z>/NN__name.sql` in the store. A file's statements are
//! setup (run at version X.Y.Z in every chain that passes through it) and checks (each a `SELECT`
//! with `-- check: <description>` on the line above, which must return true after the chain).

use std::path::Path;

use anyhow::Context as _;

use super::super::{Failure, Plan};
use super::failed::show;
use super::ChainData;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::dialect::Dialect;
use crate::engine::{Database, StatementError};
use crate::source::SourceFile;
use crate::sql::{Role, SqlFile, Statement};
use crate::store::Store;

/// The folder of a dialect's data tests, relative to the store.
pub fn folder(dialect: Dialect) -> String {
    format!("test/{}", dialect.folder())
}

/// One data test file.
pub struct DataTest {
    pub version: semver::Version,
    pub file: SqlFile,
    /// The checks: a statement's index and its description.
    checks: Vec<(usize, String)>,
}

/// Reads a dialect's data tests; a file whose name or version folder is wrong, or whose version
/// no migration has, is reported and left out, and parse errors are reported like a migration's.
pub(in crate::replay) fn load(
    store: &Store,
    dialect: Dialect,
    versions: &[&semver::Version],
    out: &mut Vec<Diagnostic>,
) -> anyhow::Result<Vec<DataTest>> {
    let root = store.root.join(folder(dialect));
    let mut tests = Vec::new();
    if !root.is_dir() {
        return Ok(tests);
    }
    for entry in walkdir::WalkDir::new(&root)
        .min_depth(1)
        .max_depth(2)
        .sort_by_file_name()
    {
        let entry = entry?;
        let path = entry.path();
        let display = store.display(path);
        let version = match placed(path, entry.depth(), entry.file_type().is_dir()) {
            Placed::Folder => continue,
            Placed::Test(version) => version,
            Placed::Wrong(why) => {
                out.push(misplaced(&display, &why));
                continue;
            }
        };
        if !versions.contains(&&version) {
            let why = format!("no migration of {} has version {version}", dialect.engine());
            out.push(misplaced(&display, &why));
            continue;
        }
        let bytes = crate::input::read(path).with_context(|| format!("cannot read {display}"))?;
        let text =
            String::from_utf8(bytes).with_context(|| format!("{display} is not UTF-8 text"))?;
        let source = SourceFile::new(path.to_path_buf(), display, text);
        let file = SqlFile::load(source, dialect, Role::Seed);
        crate::rules::parse::check(&file, out);
        let checks = checks(&file);
        tests.push(DataTest {
            version,
            file,
            checks,
        });
    }
    Ok(tests)
}

enum Placed {
    Folder,
    Test(semver::Version),
    Wrong(String),
}

/// Where an entry of the tests' folder lies: a version folder, a test file, or neither.
fn placed(path: &Path, depth: usize, is_dir: bool) -> Placed {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match (depth, is_dir) {
        (1, true) => match semver::Version::parse(&name) {
            Ok(_) => Placed::Folder,
            Err(_) => Placed::Wrong(format!("`{name}` is not a X.Y.Z version folder")),
        },
        (2, false) => {
            let version = path
                .parent()
                .and_then(Path::file_name)
                .and_then(|n| semver::Version::parse(&n.to_string_lossy()).ok());
            let well_named = regex::Regex::new(r"^[0-9]{2}__[a-z0-9_]+\.sql$")
                .is_ok_and(|pattern| pattern.is_match(&name));
            match version {
                Some(version) if well_named => Placed::Test(version),
                Some(_) => Placed::Wrong(format!("`{name}` is not named NN__name.sql")),
                None => Placed::Folder,
            }
        }
        _ => Placed::Wrong("a data test is a file NN__name.sql in a X.Y.Z folder".to_string()),
    }
}

fn misplaced(display: &str, why: &str) -> Diagnostic {
    Diagnostic::new(
        Code::DataTestMisplaced,
        format!("this data test is not run: {why}"),
    )
    .file(display.to_string())
    .help(
        "a data test is test/<dialect>/<X.Y.Z>/NN__name.sql in the store, X.Y.Z the version of a \
         migration at which its setup runs: rename or move it",
    )
}

/// The statements with `-- check: <description>` on the line above them.
fn checks(file: &SqlFile) -> Vec<(usize, String)> {
    file.statements
        .iter()
        .enumerate()
        .filter_map(|(index, statement)| {
            let line = statement.span.start.line;
            file.line_comments.iter().find_map(|comment| {
                let description = comment.text.trim().strip_prefix("check:")?;
                (comment.span.start.line + 1 == line)
                    .then(|| (index, description.trim().to_string()))
            })
        })
        .collect()
}

impl DataTest {
    fn is_check(&self, index: usize) -> bool {
        self.checks.iter().any(|(i, _)| *i == index)
    }
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
