//! `change-column-type`: PostgreSQL's `ALTER TABLE t ALTER COLUMN c [SET DATA] TYPE x`. Most type
//! changes rewrite the whole table under an exclusive lock, a conversion can fail on values the
//! replay's empty tables do not have, and the previous release's service may write values the
//! new type refuses. SQLite has no such statement (a table rebuild changes a type there).
//!
//! sqlparser cannot read `TYPE x COLLATE "C"` (a parser gap); such a statement is read on its
//! tokens.

use sqlparser::ast::{AlterColumnOperation, AlterTableOperation};
use sqlparser::tokenizer::{Token, TokenWithSpan};

use super::{ident_span, silence_hint, Check, Context, Finding, Rule};
use crate::codes::Code;
use crate::diagnostic::Span;
use crate::sql::token::{bare_word, is_keyword, span};
use crate::sql::Parsed;

pub(super) const RULE: Rule = Rule {
    code: Code::ChangeColumnType,
    check: Check::Statement(check),
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    if !cx.dialect().spec().lint().alters_column_types {
        return;
    }
    if cx.alter_table().is_some() {
        for (table, operation) in cx.alterations_of_older_table() {
            if let AlterTableOperation::AlterColumn {
                column_name,
                op: AlterColumnOperation::SetDataType { .. },
            } = operation
            {
                let span = cx.clause_span("ALTER", ident_span(column_name));
                out.push(finding(cx, span, &format!("{table}.{column_name}")));
            }
        }
    } else if matches!(cx.statement.parsed, Parsed::Gap { .. }) {
        let tokens = cx.significant();
        let alter_table = tokens
            .first()
            .is_some_and(|t| is_keyword(&t.token, "ALTER"))
            && tokens.get(1).is_some_and(|t| is_keyword(&t.token, "TABLE"));
        if !alter_table {
            return;
        }
        let table = tokens
            .get(2)
            .map_or_else(String::new, |token| token.token.to_string());
        for (span, column) in type_changes(&tokens) {
            out.push(finding(cx, span, &format!("{table}.{column}")));
        }
    }
}

fn finding(cx: &Context, span: Span, column: &str) -> Finding {
    cx.finding(
        Code::ChangeColumnType,
        span,
        format!(
            "`{}` changes the type of {column}: PostgreSQL rewrites the table under an exclusive \
             lock for most changes, the conversion may fail on existing values, and the previous \
             release's service may still read and write the old type",
            cx.text(span)
        ),
        format!(
            "add a column of the new type, backfill it, switch the code, and drop the old column \
             a release later; for a change the old service handles (a widening such as INTEGER \
             to BIGINT), silence this warning with the reason: {}",
            silence_hint(Code::ChangeColumnType)
        ),
    )
}

/// The `ALTER [COLUMN] name [SET DATA] TYPE` clauses of an `ALTER TABLE` statement's tokens:
/// each one's span from `ALTER` to the column name, and the name. The statement's own leading
/// `ALTER` (of `ALTER TABLE`) is skipped.
fn type_changes(tokens: &[&TokenWithSpan]) -> Vec<(Span, String)> {
    let mut spans = Vec::new();
    for (index, token) in tokens.iter().enumerate().skip(1) {
        if !is_keyword(&token.token, "ALTER") {
            continue;
        }
        let mut name = index + 1;
        if tokens
            .get(name)
            .is_some_and(|token| is_keyword(&token.token, "COLUMN"))
        {
            name += 1;
        }
        let mut next = name + 1;
        if tokens
            .get(next)
            .is_some_and(|token| is_keyword(&token.token, "SET"))
        {
            next += 2;
        }
        let column = tokens.get(name).and_then(|token| match &token.token {
            Token::Word(word) => Some(word.to_string()),
            _ => None,
        });
        let is_type = tokens
            .get(next)
            .and_then(|token| bare_word(&token.token))
            .is_some_and(|word| word.eq_ignore_ascii_case("TYPE"));
        if let (Some(column), true) = (column, is_type) {
            spans.push((Span::new(span(token).start, span(tokens[name]).end), column));
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::lint::tests::{lint_samples, RENAMES};

    #[test]
    fn on_the_samples() {
        insta::assert_snapshot!(lint_samples(&RULE, &[RENAMES]));
    }
}
