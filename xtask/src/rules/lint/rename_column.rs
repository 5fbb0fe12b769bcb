//! `rename-column`: `ALTER TABLE t RENAME COLUMN old TO new`. The service of the previous release,
//! which may still be running while the new one upgrades the database, names the old column in
//! its queries and fails until it is replaced.

use sqlparser::ast::AlterTableOperation;

use super::{ident_span, silence_hint, Check, Context, Finding, Rule};
use crate::codes::Code;

pub(super) const RULE: Rule = Rule {
    code: Code::RenameColumn,
    check: Check::Statement(check),
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    for (table, operation) in cx.alterations_of_older_table() {
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

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::lint::tests::{
        lint_samples, POSTGRES_INDEXED_CHAIN, RENAMES, SQLITE_INDEXED_CHAIN,
    };

    #[test]
    fn on_the_samples() {
        insta::assert_snapshot!(lint_samples(
            &RULE,
            &[RENAMES, SQLITE_INDEXED_CHAIN, POSTGRES_INDEXED_CHAIN]
        ));
    }
}
