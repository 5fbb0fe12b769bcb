//! `drop-column`: `ALTER TABLE ... DROP COLUMN` deletes the column's data, and the service of the
//! previous release, which may still be running during the upgrade, fails on every query that
//! names the column. Often intended, so a warning to review and silence.

use sqlparser::ast::AlterTableOperation;

use super::{ident_span, silence_hint, Check, Context, Finding, Rule};
use crate::codes::Code;

pub(super) const RULE: Rule = Rule {
    code: Code::DropColumn,
    check: Check::Statement(check),
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    for (table, operation) in cx.alterations_of_older_table() {
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

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::lint::tests::{
        lint_samples, DESTRUCTIVE, POSTGRES_DROPS, POSTGRES_INDEXED_CHAIN, SQLITE_DROPS,
        SQLITE_INDEXED_CHAIN,
    };

    #[test]
    fn on_the_samples() {
        insta::assert_snapshot!(lint_samples(
            &RULE,
            &[
                DESTRUCTIVE,
                POSTGRES_DROPS,
                SQLITE_DROPS,
                SQLITE_INDEXED_CHAIN,
                POSTGRES_INDEXED_CHAIN
            ]
        ));
    }
}
