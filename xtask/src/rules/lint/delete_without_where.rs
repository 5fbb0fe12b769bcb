//! `delete-without-where`: a `DELETE` without a `WHERE` at its top level deletes every row of its
//! table on every installation that upgrades. Sometimes meant (a table emptied before a drop or
//! a re-import), so a warning to review and silence.

use sqlparser::ast::{FromTable, Statement, TableFactor};

use super::{Check, Context, Finding, Rule};
use crate::codes::Code;

pub(super) const RULE: Rule = Rule {
    code: Code::DeleteWithoutWhere,
    check: Check::Statement(check),
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    let Some(Statement::Delete(delete)) = cx.ast() else {
        return;
    };
    if delete.selection.is_some() {
        return;
    }
    let tables = match &delete.from {
        FromTable::WithFromKeyword(tables) | FromTable::WithoutKeyword(tables) => tables,
    };
    let name = tables.first().and_then(|table| match &table.relation {
        TableFactor::Table { name, .. } => Some(name),
        _ => None,
    });
    out.extend(cx.every_row(
        Code::DeleteWithoutWhere,
        name,
        "deletes",
        "add the condition that selects the rows to delete; if every row must go, silence this \
         warning with the reason",
    ));
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::lint::tests::{lint_samples, DESTRUCTIVE};

    #[test]
    fn on_the_samples() {
        insta::assert_snapshot!(lint_samples(&RULE, &[DESTRUCTIVE]));
    }
}
