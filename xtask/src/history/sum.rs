//! `migrations.sum`: the migrations of a dialect as a chain of hashes, for checks that have no
//! release tags to compare with (the idea of Atlas's `atlas.sum`). The file, in
//! `migration/<dialect>/`, is written by `--update-sum`:
//!
//! ```text
//! sha256 <hash of every following line>
//! 0.1/00__init.sql <hash>
//! 0.1/01__memo_visibility.sql <hash>
//! ```
//!
//! One line per migration in the order the service applies them (semver), with its path in the
//! dialect folder and SHA-256 (hex) of the previous line's hash, the path, a NUL byte and the
//! text with CRLF read as LF. Chaining means that editing an early migration changes its line
//! and every later one, and the first line changes with any change, so two branches that both
//! add a migration conflict in git instead of merging into a sum that matches neither.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use sha2::{Digest, Sha256};

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Span};
use crate::dialect::Dialect;
use crate::store::{Driver, Store};

pub use crate::store::SUM_FILE_NAME as FILE_NAME;
const ALGORITHM: &str = "sha256";

/// Which record of released history the sum is checked as.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Authority {
    /// Release tags are the record; the sum must only be current (a warning otherwise).
    Tags,
    /// There are no tags: the sum is the record, and a recorded migration that changed is an
    /// error.
    Sum,
}

#[derive(Debug, PartialEq, Eq)]
struct Sum {
    total: String,
    entries: Vec<Entry>,
}

#[derive(Debug, PartialEq, Eq)]
struct Entry {
    /// The path in the dialect folder, `/`-separated: `0.1/00__init.sql`.
    path: String,
    hash: String,
}

impl Sum {
    /// The sum of a dialect's migrations as they are on disk.
    fn of(driver: &Driver) -> anyhow::Result<Sum> {
        let mut entries = Vec::new();
        let mut previous: Option<Vec<u8>> = None;
        for (_, file) in driver.migrations() {
            let path = driver.relative(&file.path);
            let bytes = crate::input::read(&file.path)
                .with_context(|| format!("cannot read {}", file.path.display()))?;
            let mut hasher = Sha256::new();
            if let Some(previous) = &previous {
                hasher.update(previous);
            }
            hasher.update(path.as_bytes());
            hasher.update([0]);
            hasher.update(&*super::normalize(&bytes));
            let hash = hasher.finalize().to_vec();
            entries.push(Entry {
                path,
                hash: hex(&hash),
            });
            previous = Some(hash);
        }
        Ok(Sum {
            total: hex(&Sha256::digest(body(&entries).as_bytes())),
            entries,
        })
    }

    fn render(&self) -> String {
        format!("{ALGORITHM} {}\n{}", self.total, body(&self.entries))
    }

    /// Reads a sum file; the error names the line (1-based) that is not as `render` writes it.
    fn parse(text: &str) -> Result<Sum, (u32, String)> {
        let mut lines = text.lines().zip(1u32..);
        let total = match lines.next().map(|(l, _)| l.split_once(' ')) {
            Some(Some((ALGORITHM, hash))) if is_hash(hash) => hash.to_string(),
            _ => return Err((1, format!("the first line is not `{ALGORITHM} <hash>`"))),
        };
        let entries = lines
            .map(|(line, number)| match line.rsplit_once(' ') {
                Some((path, hash)) if !path.is_empty() && is_hash(hash) => Ok(Entry {
                    path: path.to_string(),
                    hash: hash.to_string(),
                }),
                _ => Err((number, "the line is not `<path> <hash>`".to_string())),
            })
            .collect::<Result<_, _>>()?;
        Ok(Sum { total, entries })
    }
}

fn body(entries: &[Entry]) -> String {
    entries
        .iter()
        .map(|e| format!("{} {}\n", e.path, e.hash))
        .collect()
}

fn is_hash(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `migrations.sum` into the folder of every dialect of the store at `root` (or of the
/// dialects given), and returns each file written with the number of migrations it records.
pub fn update(
    root: &Path,
    config: Option<&Path>,
    dialects: &[Dialect],
) -> anyhow::Result<Vec<(PathBuf, usize)>> {
    let root = root
        .canonicalize()
        .with_context(|| format!("cannot open the store at {}", root.display()))?;
    let store = Store::open(&root, &root, config)?;
    for &dialect in dialects {
        if store.driver(dialect).is_none() {
            bail!(
                "{} has no {}/ folder to record",
                root.display(),
                store
                    .config
                    .layout
                    .dialect_dir(dialect)
                    .unwrap_or(dialect.folder())
            );
        }
    }
    let mut written = Vec::new();
    for driver in store
        .drivers
        .iter()
        .filter(|d| dialects.is_empty() || dialects.contains(&d.dialect))
    {
        let sum = Sum::of(driver)?;
        let path = driver.dir.join(FILE_NAME);
        std::fs::write(&path, sum.render())
            .with_context(|| format!("cannot write {}", path.display()))?;
        written.push((path, sum.entries.len()));
    }
    Ok(written)
}

/// The first difference between a sum file and the migrations on disk.
struct Difference {
    /// The line of the sum file it shows at, where there is one.
    line: Option<u32>,
    what: String,
    kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// A recorded migration changed, is gone, or has a new one before it.
    Recorded,
    /// Only newer migrations are missing from the sum: recorded history is intact.
    Appended,
    /// The sum file is not as `--update-sum` writes it.
    Damaged,
}

/// Compares a dialect's `migrations.sum` (if it has one) with its migrations on disk, and
/// reports the first line that differs.
pub(super) fn verify(
    store: &Store,
    driver: &Driver,
    authority: Authority,
    out: &mut Vec<Diagnostic>,
) -> anyhow::Result<()> {
    let Some(path) = &driver.sum else {
        return Ok(());
    };
    let bytes =
        crate::input::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let current = Sum::of(driver)?;
    let display = |relative: &str| store.display(&driver.dir.join(relative));
    let Some(difference) = first_difference(&String::from_utf8_lossy(&bytes), &current, display)
    else {
        return Ok(());
    };
    let span = difference.line.map(|line| {
        let width = String::from_utf8_lossy(&bytes)
            .lines()
            .nth(line as usize - 1)
            .map_or(1, |l| l.chars().count() as u32);
        Span::on_line(line, 1, width)
    });
    out.push(
        SumFinding {
            file: store.display(path),
            span,
            authority,
            kind: difference.kind,
            what: difference.what,
        }
        .into(),
    );
    Ok(())
}

/// A sum file that differs from the migrations, as data: `From<SumFinding> for Diagnostic`
/// words it by whether the sum is the record of releases and how it differs.
struct SumFinding {
    /// The sum file as diagnostics show it.
    file: String,
    /// Its first line that differs, where one does.
    span: Option<Span>,
    authority: Authority,
    kind: Kind,
    /// What differs, in words.
    what: String,
}

impl From<SumFinding> for Diagnostic {
    fn from(finding: SumFinding) -> Diagnostic {
        let update = "cargo xtask validate-migrations --update-sum";
        let what = finding.what;
        let (code, message, help) = match (finding.authority, finding.kind) {
            (Authority::Tags, _) | (_, Kind::Appended) => (
                Code::SumOutdated,
                format!("{FILE_NAME} is out of date: {what}"),
                format!("run `{update}` and commit {FILE_NAME} with the migrations"),
            ),
            (Authority::Sum, Kind::Recorded) => (
                Code::SumMismatch,
                format!(
                    "{what}; without release tags, {FILE_NAME} is the record of released migrations"
                ),
                format!("restore the recorded migration and make the change in a new one, newer than every release; only for a deliberate change to a migration no release shipped, run `{update}`"),
            ),
            (Authority::Sum, Kind::Damaged) => (
                Code::SumMismatch,
                what,
                format!("restore {FILE_NAME} from git; if the migrations are as they should be, write it again with `{update}`"),
            ),
        };
        let diagnostic = Diagnostic::new(code, message).file(finding.file).help(help);
        match finding.span {
            Some(span) => diagnostic.span(span),
            None => diagnostic,
        }
    }
}

fn first_difference(
    text: &str,
    current: &Sum,
    display: impl Fn(&str) -> String,
) -> Option<Difference> {
    let recorded = match Sum::parse(text) {
        Ok(recorded) => recorded,
        Err((line, reason)) => {
            return Some(Difference {
                line: Some(line),
                what: format!("{FILE_NAME} is not as `--update-sum` writes it: {reason}"),
                kind: Kind::Damaged,
            })
        }
    };
    for (index, entry) in recorded.entries.iter().enumerate() {
        let line = Some(index as u32 + 2);
        let Some(now) = current.entries.get(index) else {
            return Some(Difference {
                line,
                what: format!("`{}` is gone (deleted or renamed)", display(&entry.path)),
                kind: Kind::Recorded,
            });
        };
        if now.path == entry.path && now.hash == entry.hash {
            continue;
        }
        let what = if now.path == entry.path {
            format!("`{}` has changed since it was recorded", display(&now.path))
        } else if current.entries[index..]
            .iter()
            .any(|e| e.path == entry.path)
        {
            format!(
                "`{}` is not recorded, but comes before `{}`, which is: installations already past that migration skip it",
                display(&now.path),
                entry.path
            )
        } else {
            format!("`{}` is gone (deleted or renamed)", display(&entry.path))
        };
        return Some(Difference {
            line,
            what,
            kind: Kind::Recorded,
        });
    }
    if let Some(first) = current.entries.get(recorded.entries.len()) {
        let count = current.entries.len() - recorded.entries.len();
        return Some(Difference {
            line: None,
            what: format!(
                "it does not record the {count} newest migration{} (from `{}`)",
                if count == 1 { "" } else { "s" },
                display(&first.path)
            ),
            kind: Kind::Appended,
        });
    }
    (recorded.total != current.total).then(|| Difference {
        line: Some(1),
        what: format!("its first line does not match the others: {FILE_NAME} was edited by hand"),
        kind: Kind::Damaged,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(paths: &[(&str, &str)]) -> Sum {
        let entries: Vec<Entry> = paths
            .iter()
            .map(|(path, seed)| Entry {
                path: path.to_string(),
                hash: hex(&Sha256::digest(seed.as_bytes())),
            })
            .collect();
        Sum {
            total: hex(&Sha256::digest(body(&entries).as_bytes())),
            entries,
        }
    }

    fn difference(recorded: &Sum, current: &Sum) -> Option<(Option<u32>, String, Kind)> {
        first_difference(&recorded.render(), current, |p| p.to_string())
            .map(|d| (d.line, d.what, d.kind))
    }

    #[test]
    fn renders_and_parses_back() {
        let sum = sum(&[("0.1/00__init.sql", "a"), ("0.1/01__x y.sql", "b")]);
        assert_eq!(Sum::parse(&sum.render()), Ok(sum));
        assert_eq!(Sum::parse("sha256 x\n").map_err(|e| e.0), Err(1));
        let bad_line = format!("sha256 {}\n0.1/00__init.sql nothash\n", "0".repeat(64));
        assert_eq!(Sum::parse(&bad_line).map_err(|e| e.0), Err(2));
    }

    #[test]
    fn reports_the_first_line_that_differs() {
        let recorded = sum(&[("0.1/00__a.sql", "a"), ("0.1/01__b.sql", "b")]);
        assert_eq!(
            difference(
                &recorded,
                &sum(&[("0.1/00__a.sql", "a"), ("0.1/01__b.sql", "b")])
            ),
            None
        );

        let changed = difference(
            &recorded,
            &sum(&[("0.1/00__a.sql", "A"), ("0.1/01__b.sql", "B")]),
        );
        assert_eq!(
            changed,
            Some((
                Some(2),
                "`0.1/00__a.sql` has changed since it was recorded".into(),
                Kind::Recorded
            ))
        );

        let deleted = difference(&recorded, &sum(&[("0.1/00__a.sql", "a")]));
        assert_eq!(
            deleted,
            Some((
                Some(3),
                "`0.1/01__b.sql` is gone (deleted or renamed)".into(),
                Kind::Recorded
            ))
        );

        let inserted = difference(
            &recorded,
            &sum(&[
                ("0.1/00__a.sql", "a"),
                ("0.1/01__new.sql", "n"),
                ("0.1/01__b.sql", "b"),
            ]),
        );
        assert!(
            matches!(inserted, Some((Some(3), ref what, Kind::Recorded)) if what.contains("comes before `0.1/01__b.sql`")),
            "{inserted:?}"
        );

        let appended = difference(
            &recorded,
            &sum(&[
                ("0.1/00__a.sql", "a"),
                ("0.1/01__b.sql", "b"),
                ("0.2/00__c.sql", "c"),
            ]),
        );
        assert!(
            matches!(appended, Some((None, _, Kind::Appended))),
            "{appended:?}"
        );

        let mut edited = sum(&[("0.1/00__a.sql", "a"), ("0.1/01__b.sql", "b")]);
        edited.total = "0".repeat(64);
        assert_eq!(
            difference(&edited, &recorded).map(|d| (d.0, d.2)),
            Some((Some(1), Kind::Damaged))
        );
    }
}
