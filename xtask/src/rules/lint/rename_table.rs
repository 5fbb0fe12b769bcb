//! `rename-table`: `ALTER TABLE old RENAME TO new`. The service of the previous release, which
//! may still be running while the new one upgrades the database (several replicas, a rolling
//! deploy), queries the old name and fails until it is replaced. In SQLite 3.26+ the rename also
//! rewrites other tables' foreign keys (see the field notes).

use sqlparser::ast::AlterTableOperation;

use super::{object_span, renamed_to, silence_hint, Check, Context, Finding, Rule};
use crate::codes::Code;

pub(super) const RULE: Rule = Rule {
    code: Code::RenameTable,
    check: Check::Statement(check),
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    // The new half of a table rebuild, created in this file, is unknown to every older service.
    for (table, operation) in cx.alterations_of_older_table() {
        let AlterTableOperation::RenameTable { table_name } = operation else {
            continue;
        };
        let new = renamed_to(table_name);
        let span = cx.head_span(object_span(new));
        out.push(cx.finding(
            Code::RenameTable,
            span,
            format!(
                "`{}`: the previous release's service, which may still be running during the \
                 upgrade, queries {table} and fails until it is replaced",
                cx.text(span)
            ),
            format!(
                "where old and new service run side by side, create the new table and keep the \
                 old name readable (a view) for one release; where the service is stopped for \
                 upgrades, silence this warning with the reason: {}",
                silence_hint(Code::RenameTable)
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
