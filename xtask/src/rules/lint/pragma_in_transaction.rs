//! `pragma-in-transaction`: `PRAGMA foreign_keys = ...` in a SQLite migration. The service applies
//! all pending migrations in one transaction, and SQLite ignores changes of `foreign_keys` inside
//! a transaction: the pragma does nothing, and the table rebuild it was meant to protect runs with
//! foreign keys on (field notes: rebuilds wrapped in `PRAGMA foreign_keys=off/on`). Dropping the
//! old table then runs its children's ON DELETE actions, or fails. An error: the statement never
//! does what it says.
//!
//! sqlparser reads `PRAGMA foreign_keys = 1` but not `= off` (a parser gap), so the rule reads
//! tokens.

use super::{Check, Context, Finding, Rule};
use crate::codes::Code;
use crate::diagnostic::Span;
use crate::sql::token::{bare_word, is_keyword, span};

pub(super) const RULE: Rule = Rule {
    code: Code::PragmaInTransaction,
    check: Check::Statement(check),
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    if !cx.dialect().spec().lint().pragma_foreign_keys {
        return;
    }
    let tokens = cx.significant();
    let (Some(first), Some(last)) = (tokens.first(), tokens.last()) else {
        return;
    };
    if !is_keyword(&first.token, "PRAGMA") {
        return;
    }
    // `PRAGMA foreign_keys ...` or `PRAGMA main.foreign_keys ...`.
    let names_foreign_keys = tokens.iter().skip(1).take(3).any(|token| {
        bare_word(&token.token).is_some_and(|word| word.eq_ignore_ascii_case("foreign_keys"))
    });
    if !names_foreign_keys {
        return;
    }
    let span = Span::new(span(first).start, span(last).end);
    out.push(cx.finding(
        Code::PragmaInTransaction,
        span,
        format!(
            "`{}` does nothing here: the service applies migrations inside one transaction, \
             where SQLite ignores changes of foreign_keys, so foreign keys stay on",
            cx.text(span)
        ),
        "delete the statement, and make what follows safe with foreign keys on: before dropping \
         a table that others reference, rebuild or empty those tables too (their ON DELETE \
         actions run); `PRAGMA defer_foreign_keys = ON` works inside the transaction and delays \
         the checks to the commit",
    ));
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::dialect::Dialect;
    use crate::rules::lint::lint_rule;

    #[test]
    fn pragma_foreign_keys_in_sqlite() {
        insta::assert_snapshot!(lint_rule(
            &RULE,
            Dialect::Sqlite,
            &["PRAGMA foreign_keys = off;\n\
               PRAGMA main.foreign_keys = 1;\n\
               PRAGMA foreign_keys=ON;\n\
               PRAGMA defer_foreign_keys = ON;\n\
               PRAGMA legacy_alter_table = on;\n\
               -- PRAGMA foreign_keys = off;\n\
               SELECT 'PRAGMA foreign_keys = off';"]
        ));
    }
}
