//! `rename-column`: `ALTER TABLE t RENAME COLUMN old TO new`. The service of the previous release,
//! which may still be running while the new one upgrades the database, names the old column in
//! its queries and fails until it is replaced.

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
        let AlterTableOperation::RenameColumn {
            old_column_name,
            new_column_name,
        } = operation
        else {
            continue;
        };
        let span = cx.clause_span("RENAME", ident_span(new_column_name));
        out.push(cx.finding(
            Code::RenameColumn,
            span,
            format!(
                "`{}`: the previous release's service, which may still be running during the \
                 upgrade, names {table}.{old_column_name} in its queries and fails until it is \
                 replaced",
                cx.text(span)
            ),
            format!(
                "where old and new service run side by side, add the new column, write both for \
                 one release, then drop the old one; where the service is stopped for upgrades, \
                 silence this warning with the reason: {}",
                silence_hint(Code::RenameColumn)
            ),
        ));
    }
}
