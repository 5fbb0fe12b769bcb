//! `drop-column`: `ALTER TABLE ... DROP COLUMN` deletes the column's data, and the service of the
//! previous release, which may still be running during the upgrade, fails on every query that
//! names the column. Often intended, so a warning to review and silence.

use sqlparser::ast::AlterTableOperation;

use super::{ident_span, silence_hint, Context, Finding};
use crate::codes::Code;

pub(super) fn check(cx: &Context, out: &mut Vec<Finding>) {
    let Some((table, operations)) = cx.alter_table() else {
        return;
    };
    if cx.created_here(table) {
        return;
    }
    for operation in operations {
        let AlterTableOperation::DropColumn { column_names, .. } = operation else {
            continue;
        };
        for column in column_names {
            let span = cx.clause_span("DROP", ident_span(column));
            out.push(cx.finding(
                Code::DropColumn,
                span,
                format!(
                    "`{}` deletes column {table}.{column} and its data; the previous release's \
                     service, which may still be running during the upgrade, fails on every \
                     query that names it",
                    cx.text(span)
                ),
                format!(
                    "stop using the column in the code a release before dropping it, make sure \
                     its data is no longer needed or was copied, then silence this warning with \
                     the reason: {}",
                    silence_hint(Code::DropColumn)
                ),
            ));
        }
    }
}
