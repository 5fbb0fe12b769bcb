//! `drop-table`: `DROP TABLE` deletes a table and every row in it, and the service of the
//! previous release, which may still be running during the upgrade, fails on every query of it.
//! Often intended (the data moved elsewhere first), so a warning to review and silence.

use sqlparser::ast::{ObjectType, Statement};

use super::{object_span, silence_hint, Check, Context, Finding, Rule};
use crate::codes::Code;

pub(super) const RULE: Rule = Rule {
    code: Code::DropTable,
    check: Check::Statement(check),
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    let Some(Statement::Drop {
        object_type: ObjectType::Table,
        names,
        ..
    }) = cx.ast()
    else {
        return;
    };
    // A table created earlier in this file (the new half of a rebuild, say) holds nothing that
    // was there before the upgrade.
    for name in names.iter().filter(|name| !cx.created_here(name)) {
        let span = cx.clause_span("DROP", object_span(name));
        out.push(cx.finding(
            Code::DropTable,
            span,
            format!(
                "`{}` deletes table {name} and every row in it; the previous release's service, \
                 which may still be running during the upgrade, fails on every query of it",
                cx.text(span)
            ),
            format!(
                "make sure the rows are no longer needed or were copied (in this migration, \
                 before the drop), then silence this warning with the reason: {}",
                silence_hint(Code::DropTable)
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::lint::tests::{
        lint_samples, DESTRUCTIVE, POSTGRES_INDEXED_CHAIN, SQLITE_INDEXED_CHAIN, TABLE_REBUILD,
    };

    #[test]
    fn on_the_samples() {
        insta::assert_snapshot!(lint_samples(
            &RULE,
            &[
                DESTRUCTIVE,
                POSTGRES_INDEXED_CHAIN,
                SQLITE_INDEXED_CHAIN,
                TABLE_REBUILD
            ]
        ));
    }
}
