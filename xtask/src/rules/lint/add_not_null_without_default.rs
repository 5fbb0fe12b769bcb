//! `add-not-null-without-default`: `ALTER TABLE t ADD COLUMN c type NOT NULL` without a DEFAULT.
//! PostgreSQL fills the new column of existing rows with NULL and refuses (`column "c" contains
//! null values`) as soon as the table has a row; SQLite refuses it on any table (`Cannot add a
//! NOT NULL column with default value NULL`). The replay runs on empty tables, so on PostgreSQL it
//! passes there and fails on every real installation: an error.
//!
//! A table created earlier in the same file is empty, so the rule leaves it alone; a table created
//! by an earlier migration may already hold rows where that migration shipped in a release.

use sqlparser::ast::{AlterTableOperation, ColumnDef, ColumnOption, Expr, Value};

use super::{ident_span, Context, Finding};
use crate::codes::Code;
use crate::dialect::NotNullWithoutDefault;

pub(super) fn check(cx: &Context, out: &mut Vec<Finding>) {
    let Some((table, operations)) = cx.alter_table() else {
        return;
    };
    if cx.created_here(table) {
        return;
    }
    for operation in operations {
        let AlterTableOperation::AddColumn { column_def, .. } = operation else {
            continue;
        };
        if !needs_a_default(column_def) {
            continue;
        }
        let span = cx.clause_span("ADD", ident_span(&column_def.name));
        let refusal = match cx.dialect().spec().lint().not_null_without_default {
            NotNullWithoutDefault::RefusedWithRows => format!(
                "{} refuses it as soon as {table} has a row (column \"{}\" contains null \
                 values), which the replay's empty tables never show",
                cx.dialect().engine(),
                column_def.name.value
            ),
            NotNullWithoutDefault::Refused => format!(
                "{} refuses it on any table (Cannot add a NOT NULL column with default value \
                 NULL)",
                cx.dialect().engine()
            ),
        };
        out.push(cx.finding(
            Code::AddNotNullWithoutDefault,
            span,
            format!(
                "`{}` adds a NOT NULL column without a DEFAULT: {refusal}",
                cx.text(span)
            ),
            "give the column a DEFAULT (`NOT NULL DEFAULT ''`), or add it nullable, backfill it, \
             and (PostgreSQL) `ALTER COLUMN ... SET NOT NULL` afterwards",
        ));
    }
}

/// Whether existing rows would get NULL in a NOT NULL column: NOT NULL, and no default value
/// from a DEFAULT (other than NULL), a generated expression, an identity or a serial type.
fn needs_a_default(column: &ColumnDef) -> bool {
    let not_null = column
        .options
        .iter()
        .any(|option| matches!(option.option, ColumnOption::NotNull));
    let filled = column.options.iter().any(|option| match &option.option {
        ColumnOption::Default(expr) => !is_null(expr),
        ColumnOption::Generated { .. } | ColumnOption::Identity(_) => true,
        _ => false,
    });
    let serial = column
        .data_type
        .to_string()
        .to_ascii_uppercase()
        .ends_with("SERIAL");
    not_null && !filled && !serial
}

fn is_null(expr: &Expr) -> bool {
    match expr {
        Expr::Value(value) => matches!(value.value, Value::Null),
        Expr::Nested(inner) => is_null(inner),
        _ => false,
    }
}
