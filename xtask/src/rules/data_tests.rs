//! User data tests, checked statically: `test/<dialect>/<X.Y.Z>/NN__name.sql` in the store
//! (`layout.tests`). A
//! file's statements are setup (run at version X.Y.Z in every chain that passes through it) and
//! checks (each a `SELECT` with `-- check: <description>` on the line above, which must return
//! true after the chain). The replay runs them; this reads them, so that a misplaced file, a
//! statement that does not parse and a check that is not a query are found without engines too
//! (`--static-only`). Unlike the other rules it reads files: the store's walk does not take the
//! tests' folder, which only this rule and the replay read.

use std::path::Path;

use anyhow::Context as _;

use crate::codes::Code;
use crate::config::Layout;
use crate::diagnostic::Diagnostic;
use crate::dialect::Dialect;
use crate::source::SourceFile;
use crate::sql::{LineComment, Role, SqlFile};
use crate::store::Store;

/// The folder of a dialect's data tests, relative to the store (`layout.tests`).
fn folder(store: &Store, dialect: Dialect) -> String {
    let layout = &store.config.layout;
    layout.expand(&layout.tests, dialect)
}

/// One data test file.
pub struct DataTest {
    pub version: semver::Version,
    pub file: SqlFile,
    /// The checks: a statement's index and its description.
    pub checks: Vec<(usize, String)>,
    /// Statements under a `-- check:` that are not queries: neither run as a check nor as setup
    /// (a check is read, never written), and reported.
    pub not_run: Vec<usize>,
}

impl DataTest {
    /// Whether the statement at `index` is a check, or is left out as one.
    pub fn is_check(&self, index: usize) -> bool {
        self.checks.iter().any(|(i, _)| *i == index) || self.not_run.contains(&index)
    }
}

/// Checks the data tests of every dialect of `dialects` whose folder exists; `files` are the
/// store's loaded files, whose migrations give the versions a test may name. Returns the tests'
/// texts, which the findings (these and the replay's) show in snippets.
pub fn check(
    store: &Store,
    dialects: &[Dialect],
    files: &[SqlFile],
    out: &mut Vec<Diagnostic>,
) -> anyhow::Result<Vec<SourceFile>> {
    let mut sources = Vec::new();
    for &dialect in dialects {
        let versions: Vec<&semver::Version> = files
            .iter()
            .filter(|f| f.dialect == dialect)
            .filter_map(|f| match &f.role {
                Role::Migration(version) => Some(version),
                _ => None,
            })
            .collect();
        let tests = load(store, dialect, &versions, out)?;
        sources.extend(tests.into_iter().map(|test| test.file.source));
    }
    Ok(sources)
}

/// Reads a dialect's data tests; a file whose name or version folder is wrong, or whose version
/// no migration has, is reported and left out, parse errors are reported like a migration's,
/// and so is a `-- check:` that is not followed by a query.
pub fn load(
    store: &Store,
    dialect: Dialect,
    versions: &[&semver::Version],
    out: &mut Vec<Diagnostic>,
) -> anyhow::Result<Vec<DataTest>> {
    let root = store.root.join(folder(store, dialect));
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
                out.push(misplaced(&display, &why, &store.config.layout));
                continue;
            }
        };
        if !versions.contains(&&version) {
            let why = format!("no migration of {} has version {version}", dialect.engine());
            out.push(misplaced(&display, &why, &store.config.layout));
            continue;
        }
        let bytes = crate::input::read(path).with_context(|| format!("cannot read {display}"))?;
        let text =
            String::from_utf8(bytes).with_context(|| format!("{display} is not UTF-8 text"))?;
        let source = SourceFile::new(path.to_path_buf(), display, text);
        let file = SqlFile::load(source, dialect, Role::Seed);
        crate::rules::parse::check(&file, out);
        tests.push(read_checks(version, file, out));
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

/// A file or folder of the tests' folder that is not a data test; `layout` names the folder
/// in the help.
fn misplaced(display: &str, why: &str, layout: &Layout) -> Diagnostic {
    let tests = layout.tests.replace("{dialect}", "<dialect>");
    Diagnostic::new(
        Code::DataTestMisplaced,
        format!("this data test is not run: {why}"),
    )
    .file(display.to_string())
    .help(format!(
        "a data test is {tests}/<X.Y.Z>/NN__name.sql in the store, X.Y.Z the version of a \
         migration at which its setup runs: rename or move it"
    ))
}

/// The test with its checks: each `-- check: <description>` comment and the statement that
/// starts on the next line. A comment with no statement there, or whose statement is not a
/// query, is reported; such a statement is not run at all.
fn read_checks(version: semver::Version, file: SqlFile, out: &mut Vec<Diagnostic>) -> DataTest {
    let mut test = DataTest {
        version,
        checks: Vec::new(),
        not_run: Vec::new(),
        file,
    };
    for comment in &test.file.line_comments {
        let Some(description) = comment.text.trim().strip_prefix("check:") else {
            continue;
        };
        let below = test
            .file
            .statements
            .iter()
            .position(|s| s.span.start.line == comment.span.start.line + 1);
        let problem = match below {
            None => InvalidCheck::NoStatement,
            Some(index) => match test.file.statements[index].is_query(test.file.dialect) {
                Some(false) => {
                    test.not_run.push(index);
                    InvalidCheck::NotAQuery
                }
                // A statement that did not parse is reported by the parse check, and run:
                // the engine is the judge of SQL the parser cannot read.
                Some(true) | None => {
                    test.checks.push((index, description.trim().to_string()));
                    continue;
                }
            },
        };
        out.push(
            CheckFinding {
                file: &test.file,
                comment,
                problem,
            }
            .into(),
        );
    }
    test
}

/// What is wrong with a `-- check:` comment.
enum InvalidCheck {
    NoStatement,
    NotAQuery,
}

/// A `-- check:` comment of a data test that is not run as a check.
struct CheckFinding<'a> {
    file: &'a SqlFile,
    comment: &'a LineComment,
    problem: InvalidCheck,
}

impl From<CheckFinding<'_>> for Diagnostic {
    fn from(finding: CheckFinding<'_>) -> Diagnostic {
        let why = match finding.problem {
            InvalidCheck::NoStatement => "no statement starts on the line below it",
            InvalidCheck::NotAQuery => "the statement below it is not a SELECT",
        };
        Diagnostic::new(
            Code::DataTestInvalidCheck,
            format!("this data test check is not run: {why}"),
        )
        .file(finding.file.source.display.clone())
        .span(finding.comment.span)
        .help(
            "a check is one SELECT on the line below `-- check: <description>`, whose first \
             value must be true after the chain (`SELECT count(*) = 3 FROM memo`); setup \
             statements go without the comment",
        )
    }
}
