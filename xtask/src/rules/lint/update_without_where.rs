//! `update-without-where`: an `UPDATE` without a `WHERE` at its top level rewrites every row of
//! its table. That is exactly what a backfill of a new column does, so this is a warning to
//! review and silence, not an error: a forgotten condition looks the same.

use sqlparser::ast::{Statement, TableFactor};

use super::{Check, Context, Finding, Rule};
use crate::codes::Code;

pub(super) const RULE: Rule = Rule {
    code: Code::UpdateWithoutWhere,
    check: Check::Statement(check),
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    let Some(Statement::Update(update)) = cx.ast() else {
        return;
    };
    if update.selection.is_some() {
        return;
    }
    let name = match &update.table.relation {
        TableFactor::Table { name, .. } => Some(name),
        _ => None,
    };
    out.extend(cx.every_row(
        Code::UpdateWithoutWhere,
        name,
        "rewrites",
        "add the condition that selects the rows to change; for a backfill that must set every \
         row, keep the statement and silence this warning with the reason",
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
