//! The stamp: `LATEST.sql` ends by writing the schema version (by convention `BASIC.schemaVersion`
//! into `instance_setting`; the configuration may name another table, row and field, or a plain
//! value), and that version is the target version. The stamp is read from the parsed `INSERT`,
//! and its value as JSON where it is JSON. Where the record is a version-history table
//! (`[stamp.history]`), the script inserts rows of versions, and the stamp is the row of the
//! highest version, the one the service reads back. Where the configuration says the service
//! writes the stamp, `LATEST.sql` is not expected to.

use sqlparser::ast::{Expr, SetExpr, Statement as Ast, TableObject};

use crate::codes::Code;
use crate::config::{Stamp as Location, StampWriter, VersionRule};
use crate::diagnostic::{Diagnostic, Position, Span};
use crate::sql::{Parsed, SqlFile};

/// The version `LATEST.sql` must stamp, and where that version comes from, for messages
/// (`VERSION`, `the highest migration`).
pub struct Expected<'a> {
    pub version: &'a semver::Version,
    pub source: &'a str,
}

/// A `BASIC` row written by an `INSERT` of `LATEST.sql`.
struct Stamp {
    statement: usize,
    /// Where the value literal is (or its statement, where the parser gave no position).
    span: Span,
    version: Result<semver::Version, String>,
}

/// What the stamp check finds, as data: the check collects it, `From<StampFinding> for
/// Diagnostic` words it. `file` is the script as diagnostics show it, `name` its own name.
pub enum StampFinding {
    /// A stamp whose value is no version (`reason`); `label` names the row (`` `BASIC` stamp``).
    Invalid {
        file: String,
        span: Span,
        label: String,
        reason: String,
        /// The history table the row belongs to, where the record is one.
        history: Option<String>,
        /// The JSON field that holds the version, where the value is JSON.
        field: Option<String>,
    },
    /// No stamp at all: `row` says what the script does not write, `statement` how to write it.
    Missing {
        file: String,
        name: String,
        row: String,
        statement: String,
    },
    /// A stamp of another version than `source` (`VERSION`, `the highest migration`) says.
    Mismatch {
        file: String,
        span: Span,
        name: String,
        stamped: String,
        wanted: String,
        source: String,
    },
    /// A stamp written before the script's last statement.
    NotLast {
        file: String,
        span: Span,
        name: String,
    },
}

impl From<StampFinding> for Diagnostic {
    fn from(finding: StampFinding) -> Diagnostic {
        match finding {
            StampFinding::Invalid {
                file,
                span,
                label,
                reason,
                history,
                field,
            } => Diagnostic::new(Code::InvalidStamp, format!("the {label} {reason}"))
                .file(file)
                .span(span)
                .help(match (history, field) {
                    (Some(table), _) => format!("every row of {table} records an applied version: write it as X.Y.Z"),
                    (None, Some(field)) => format!("write the value as JSON: '{{\"{field}\":\"X.Y.Z\"}}', with the target version"),
                    (None, None) => "write the target version as the value".to_string(),
                }),
            StampFinding::Missing {
                file,
                name,
                row,
                statement,
            } => Diagnostic::new(
                Code::MissingStamp,
                format!("{name} does not write {row}: a fresh install has no schema version, and the service cannot tell which migrations it needs"),
            )
            .file(file)
            .help(format!("end {name} with: {statement}")),
            StampFinding::Mismatch {
                file,
                span,
                name,
                stamped,
                wanted,
                source,
            } => Diagnostic::new(
                Code::StampMismatch,
                format!("{name} stamps schema version {stamped}, but {source} says {wanted}"),
            )
            .file(file)
            .span(span)
            .help(format!(
                "stamp {wanted}: fresh installs would otherwise re-run or skip migrations on their next upgrade"
            )),
            StampFinding::NotLast { file, span, name } => Diagnostic::new(
                Code::StampNotLast,
                format!("the schema version is stamped before the end of {name}"),
            )
            .file(file)
            .span(span)
            .help("move the stamp to the end, so that it is written only once the whole schema exists"),
        }
    }
}

pub fn check(
    latest: &SqlFile,
    location: &Location,
    rule: VersionRule,
    two_part: bool,
    expected: Option<Expected<'_>>,
    out: &mut Vec<Diagnostic>,
) {
    if location.written_by == StampWriter::Service {
        return;
    }
    let stamps = find(latest, location, rule, two_part);
    if stamps.is_empty() {
        // A file that did not parse may well hold the stamp; its parse error says enough.
        let unparsed = latest
            .statements
            .iter()
            .any(|s| matches!(s.parsed, Parsed::Error { .. }))
            || latest.tokenize_error.is_some();
        if !unparsed {
            missing(latest, location, rule, expected.as_ref(), out);
        }
        return;
    }
    let label = match &location.history {
        Some(history) => format!("`{}` row", history.table),
        None => format!("`{}` stamp", location.key),
    };
    let file = &latest.source.display;
    for stamp in &stamps {
        if let Err(reason) = &stamp.version {
            out.push(
                StampFinding::Invalid {
                    file: file.clone(),
                    span: stamp.span,
                    label: label.clone(),
                    reason: reason.clone(),
                    history: location.history.as_ref().map(|h| h.table.clone()),
                    field: location.field.clone(),
                }
                .into(),
            );
        }
    }
    recorded(latest, location, rule, &stamps, expected.as_ref(), out);
}

/// The script's path as shown, and its own name: `LATEST.sql` by convention, whatever the
/// configuration names.
fn names(latest: &SqlFile) -> (&String, &str) {
    let file = &latest.source.display;
    (file, file.rsplit('/').next().unwrap_or(file))
}

/// A script that writes no stamp, with the statement that would.
fn missing(
    latest: &SqlFile,
    location: &Location,
    rule: VersionRule,
    expected: Option<&Expected<'_>>,
    out: &mut Vec<Diagnostic>,
) {
    let (file, name) = names(latest);
    let (table, key) = (&location.table, &location.key);
    let version = expected.map_or_else(|| "X.Y.Z".to_string(), |e| rule.show(e.version));
    let (what, write) = match (&location.history, &location.field) {
        (Some(history), _) => (
            format!("a row of `{}` with its `{}`", history.table, history.column),
            format!(
                "INSERT INTO {} ({}) VALUES ('{version}');",
                history.table, history.column
            ),
        ),
        (None, field) => (
            match field {
                Some(field) => format!("the `{key}` row of `{table}` with `{field}`"),
                None => format!("the `{key}` row of `{table}`"),
            },
            format!(
                "INSERT INTO {table} ({}, {}) VALUES ('{key}', '{}');",
                location.name_column,
                location.value_column,
                location.value(&version).replace('\'', "''")
            ),
        ),
    };
    out.push(
        StampFinding::Missing {
            file: file.clone(),
            name: name.to_string(),
            row: what,
            statement: write,
        }
        .into(),
    );
}

/// The stamps the service records (every settings row; the highest row of a history table),
/// each against the expected version and the end of the script.
fn recorded(
    latest: &SqlFile,
    location: &Location,
    rule: VersionRule,
    stamps: &[Stamp],
    expected: Option<&Expected<'_>>,
    out: &mut Vec<Diagnostic>,
) {
    let (file, name) = names(latest);
    // Every settings row the script writes is a stamp; of a history table's rows, the service
    // reads back the highest version, so that row is the stamp and the others are history.
    let record: Vec<&Stamp> = match &location.history {
        None => stamps.iter().collect(),
        Some(_) => stamps
            .iter()
            .filter_map(|s| Some((s.version.as_ref().ok()?, s)))
            .max_by(|a, b| a.0.cmp(b.0))
            .map(|(_, s)| s)
            .into_iter()
            .collect(),
    };
    let last_statement = latest.statements.len().saturating_sub(1);
    for stamp in record {
        match (&stamp.version, &expected) {
            (Ok(stamped), Some(expected)) if stamped != expected.version => {
                let (stamped, wanted) = (rule.show(stamped), rule.show(expected.version));
                out.push(
                    StampFinding::Mismatch {
                        file: file.clone(),
                        span: stamp.span,
                        name: name.to_string(),
                        stamped,
                        wanted,
                        source: expected.source.to_string(),
                    }
                    .into(),
                )
            }
            _ => {}
        }
        if stamp.statement != last_statement {
            out.push(
                StampFinding::NotLast {
                    file: file.clone(),
                    span: stamp.span,
                    name: name.to_string(),
                }
                .into(),
            );
        }
    }
}

fn find(latest: &SqlFile, location: &Location, rule: VersionRule, two_part: bool) -> Vec<Stamp> {
    // A history table has no name column: every row is a version.
    let (record_table, name_column, value_column) = match &location.history {
        Some(history) => (&history.table, None, &history.column),
        None => (
            &location.table,
            Some(&location.name_column),
            &location.value_column,
        ),
    };
    let mut stamps = Vec::new();
    for (index, statement) in latest.statements.iter().enumerate() {
        // Each tree is dropped before the next statement's is parsed (see `Parsed::kept_for`).
        let Some(tree) = statement.tree(latest.dialect) else {
            continue;
        };
        let Ast::Insert(insert) = tree.as_ref() else {
            continue;
        };
        let TableObject::TableName(table) = &insert.table else {
            continue;
        };
        let is_settings = table
            .0
            .last()
            .and_then(|part| part.as_ident())
            .is_some_and(|ident| ident.value.eq_ignore_ascii_case(record_table));
        if !is_settings {
            continue;
        }
        let column = |name: &str| {
            insert.columns.iter().position(|c| {
                c.0.last()
                    .and_then(|part| part.as_ident())
                    .is_some_and(|ident| ident.value.eq_ignore_ascii_case(name))
            })
        };
        let name_column = match name_column {
            Some(name) => match column(name) {
                Some(index) => Some(index),
                None => continue,
            },
            None => None,
        };
        let Some(value_column) = column(value_column) else {
            continue;
        };
        let Some(SetExpr::Values(values)) = insert.source.as_ref().map(|q| q.body.as_ref()) else {
            continue;
        };
        for row in &values.rows {
            let row = &row.content;
            if let Some(name_column) = name_column {
                let name = row.get(name_column).and_then(string_literal);
                if name.map(|(n, _)| n).as_ref() != Some(&location.key) {
                    continue;
                }
            }
            let value = row.get(value_column).and_then(string_literal);
            let span = value
                .as_ref()
                .map(|(_, span)| *span)
                .filter(|span| span.start.line > 0)
                .unwrap_or(statement.span);
            stamps.push(Stamp {
                statement: index,
                span,
                version: match value {
                    Some((text, _)) => read_version(&text, location, rule, two_part),
                    None => Err("value is not a string literal".into()),
                },
            });
        }
    }
    stamps
}

/// A string literal, seen through casts (`'{...}'::jsonb`) and parentheses, with its span.
fn string_literal(expr: &Expr) -> Option<(String, Span)> {
    match expr {
        Expr::Value(value) => {
            let span = value.span;
            let text = value.value.clone().into_string()?;
            Some((
                text,
                Span::new(
                    Position::new(span.start.line as u32, span.start.column as u32),
                    Position::new(span.end.line as u32, span.end.column as u32),
                ),
            ))
        }
        Expr::Cast { expr, .. } | Expr::Nested(expr) => string_literal(expr),
        _ => None,
    }
}

fn read_version(
    text: &str,
    location: &Location,
    rule: VersionRule,
    two_part: bool,
) -> Result<semver::Version, String> {
    let field = match &location.field {
        Some(field) if location.history.is_none() => field,
        _ => {
            return rule
                .parse_with(text.trim(), two_part)
                .map_err(|e| format!("value `{}` {e}", text.trim()))
        }
    };
    let json: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("value is not JSON ({e})"))?;
    let value = json
        .get(field)
        .ok_or_else(|| format!("value has no `{field}` field"))?;
    let version = value
        .as_str()
        .ok_or_else(|| format!("`{field}` is not a string"))?;
    rule.parse_with(version, two_part)
        .map_err(|e| format!("`{field}` is `{version}`, which {e}"))
}
