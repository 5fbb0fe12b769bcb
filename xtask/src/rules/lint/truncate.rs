//! `truncate`: `TRUNCATE` deletes every row of a table at once, without a condition and without
//! firing row triggers. In a migration that is rarely meant; a warning to review and silence.

use sqlparser::ast::Statement;

use super::{object_span, silence_hint, Check, Context, Finding, Rule};
use crate::codes::Code;

pub(super) const RULE: Rule = Rule {
    code: Code::Truncate,
    check: Check::Statement(check),
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    let Some(Statement::Truncate(truncate)) = cx.ast() else {
        return;
    };
    for target in truncate
        .table_names
        .iter()
        .filter(|target| !cx.created_here(&target.name))
    {
        let span = cx.clause_span("TRUNCATE", object_span(&target.name));
        out.push(cx.finding(
            Code::Truncate,
            span,
            format!(
                "`{}` deletes every row of table {} on every installation that upgrades",
                cx.text(span),
                target.name
            ),
            format!(
                "delete only the rows that must go (`DELETE FROM ... WHERE ...`); if every row \
                 must go, silence this warning with the reason: {}",
                silence_hint(Code::Truncate)
            ),
        ));
    }
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
