//! The stamp: `LATEST.sql` ends by writing `BASIC.schemaVersion` into `instance_setting`, and
//! that version is `VERSION`. The stamp is read from the parsed `INSERT`, and its value as JSON.

use sqlparser::ast::{Expr, SetExpr, Statement as Ast, TableObject};

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Position, Span};
use crate::sql::{Parsed, SqlFile};

const TABLE: &str = "instance_setting";
const KEY: &str = "BASIC";
const FIELD: &str = "schemaVersion";

/// A `BASIC` row written by an `INSERT` of `LATEST.sql`.
struct Stamp {
    statement: usize,
    /// Where the value literal is (or its statement, where the parser gave no position).
    span: Span,
    version: Result<semver::Version, String>,
}

pub fn check(latest: &SqlFile, expected: Option<&semver::Version>, out: &mut Vec<Diagnostic>) {
    let file = &latest.source.display;
    let stamps = find(latest);
    if stamps.is_empty() {
        // A file that did not parse may well hold the stamp; its parse error says enough.
        if latest
            .statements
            .iter()
            .any(|s| matches!(s.parsed, Parsed::Error { .. }))
            || latest.tokenize_error.is_some()
        {
            return;
        }
        let version = expected.map_or_else(|| "X.Y.Z".to_string(), |v| v.to_string());
        out.push(
            Diagnostic::new(
                Code::MissingStamp,
                format!("LATEST.sql does not write the `{KEY}` row of `{TABLE}` with `{FIELD}`: a fresh install has no schema version, and the service's health check answers UNAVAILABLE"),
            )
            .file(file.clone())
            .help(format!(
                "end LATEST.sql with: INSERT INTO {TABLE} (name, value, description) VALUES ('{KEY}', '{{\"{FIELD}\":\"{version}\"}}', 'Basic instance setting');"
            )),
        );
        return;
    }
    let last_statement = latest.statements.len().saturating_sub(1);
    for stamp in stamps {
        match (&stamp.version, expected) {
            (Err(reason), _) => out.push(
                Diagnostic::new(Code::InvalidStamp, format!("the `{KEY}` stamp {reason}"))
                    .file(file.clone())
                    .span(stamp.span)
                    .help(format!("write the value as JSON: '{{\"{FIELD}\":\"X.Y.Z\"}}', with the version of VERSION")),
            ),
            (Ok(stamped), Some(expected)) if stamped != expected => out.push(
                Diagnostic::new(
                    Code::StampMismatch,
                    format!("LATEST.sql stamps schema version {stamped}, but VERSION says {expected}"),
                )
                .file(file.clone())
                .span(stamp.span)
                .help(format!(
                    "stamp {expected}: fresh installs would otherwise re-run or skip migrations on their next upgrade"
                )),
            ),
            _ => {}
        }
        if stamp.statement != last_statement {
            out.push(
                Diagnostic::new(
                    Code::StampNotLast,
                    "the schema version is stamped before the end of LATEST.sql",
                )
                .file(file.clone())
                .span(stamp.span)
                .help("move the stamp to the end, so that it is written only once the whole schema exists"),
            );
        }
    }
}

fn find(latest: &SqlFile) -> Vec<Stamp> {
    let mut stamps = Vec::new();
    for (index, statement) in latest.statements.iter().enumerate() {
        let Parsed::Ok(ast) = &statement.parsed else {
            continue;
        };
        let Ast::Insert(insert) = ast.as_ref() else {
            continue;
        };
        let TableObject::TableName(table) = &insert.table else {
            continue;
        };
        let is_settings = table
            .0
            .last()
            .and_then(|part| part.as_ident())
            .is_some_and(|ident| ident.value.eq_ignore_ascii_case(TABLE));
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
        let (Some(name_column), Some(value_column)) = (column("name"), column("value")) else {
            continue;
        };
        let Some(SetExpr::Values(values)) = insert.source.as_ref().map(|q| q.body.as_ref()) else {
            continue;
        };
        for row in &values.rows {
            let row = &row.content;
            let name = row.get(name_column).and_then(string_literal);
            if name.map(|(n, _)| n) != Some(KEY.to_string()) {
                continue;
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
                    Some((text, _)) => read_version(&text),
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

fn read_version(text: &str) -> Result<semver::Version, String> {
    let json: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("value is not JSON ({e})"))?;
    let field = json
        .get(FIELD)
        .ok_or_else(|| format!("value has no `{FIELD}` field"))?;
    let version = field
        .as_str()
        .ok_or_else(|| format!("`{FIELD}` is not a string"))?;
    semver::Version::parse(version)
        .map_err(|e| format!("`{FIELD}` is `{version}`, which is not a X.Y.Z version ({e})"))
}
