//! `drop-generated-constraint-name`: `ALTER TABLE t DROP CONSTRAINT name` where the name is one
//! PostgreSQL generates (`t_pkey`, `t_<columns>_key`, `_fkey`, `_check`, `_excl`, `_not_null`,
//! perhaps numbered) and no earlier migration gave that name explicitly. A generated name is not
//! the same in every database: a fresh install whose `LATEST.sql` declares the constraint another
//! way, a name cut at 63 characters, a collision numbered `_key1`. Where it differs the drop fails
//! (field notes: `reaction_creator_id_content_id_reaction_type_key`), or, with `IF EXISTS`,
//! silently leaves the constraint in place.
//!
//! The explicit names are collected along the chain: every `CONSTRAINT name` in a table
//! definition or `ADD CONSTRAINT`, the new name of `RENAME CONSTRAINT` and of `ALTER INDEX ...
//! RENAME TO` (an index renamed is its unique constraint renamed).

use std::collections::HashSet;

use sqlparser::ast::{AlterIndexOperation, AlterTableOperation, Statement};
use sqlparser::tokenizer::Token;

use super::{
    ident_key, ident_span, name_key, object_key, ChainCheck, Check, Context, Finding, Rule,
};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::judgement::{chains_phrase, Judgement};
use crate::sql::token::{is_keyword, span};
use crate::sql::Statement as SqlStatement;

/// The constraint names the chain has given explicitly so far, as the engine compares names.
#[derive(Debug, Default)]
struct ExplicitNames(HashSet<String>);

/// The endings PostgreSQL gives the names it generates, after `<table>_<columns>`.
const GENERATED_SUFFIXES: [&str; 5] = ["_key", "_fkey", "_check", "_excl", "_not_null"];

pub(super) const RULE: Rule = Rule {
    code: Code::DropGeneratedConstraintName,
    check: Check::Chain(start),
};

/// A chain's check, which starts without explicit names.
fn start() -> ChainCheck {
    let mut names = ExplicitNames::default();
    Box::new(move |cx, out| check(cx, &mut names, out))
}

fn check(cx: &Context, names: &mut ExplicitNames, out: &mut Vec<Finding>) {
    if let Some((table, operations)) = cx.alter_table() {
        let table_key = object_key(cx.dialect(), table);
        for operation in operations {
            let AlterTableOperation::DropConstraint { name, .. } = operation else {
                continue;
            };
            let key = ident_key(cx.dialect(), name);
            if names.0.contains(&key) || !looks_generated(&table_key, &key) {
                continue;
            }
            let span = cx.clause_span("DROP", ident_span(name));
            out.push(cx.finding(
                Code::DropGeneratedConstraintName,
                span,
                format!(
                    "`{}` drops a constraint by a name PostgreSQL generates, which no earlier \
                     migration gave explicitly: where the constraint got another name (a fresh \
                     install from a LATEST.sql that declares it differently, a name cut at 63 \
                     characters or numbered on a collision) the upgrade fails, or with IF EXISTS \
                     keeps the constraint",
                    cx.text(span)
                ),
                "name the constraint where it is created (`CONSTRAINT name UNIQUE (...)`), in the \
                 migration and in LATEST.sql alike, and drop it by that name; for a constraint \
                 released under a generated name, find its name in pg_constraint (by table and \
                 columns) in a DO block",
            ));
        }
    }
    remember(cx, names);
}

/// The replay's judgement of a finding (see the `judge` module). Where a chain failed on the DROP,
/// the replay shows that the name differs there, and the finding stays an error. Where every chain
/// that ran the DROP applied it without `IF EXISTS`, each of them had a constraint of exactly that
/// name: the finding becomes a note. `IF EXISTS` applies either way, and a DROP no chain ran was
/// not judged: both stay at their severity. Without the replay the finding says that the replay
/// would judge it.
pub(crate) fn judge(
    diagnostic: &mut Diagnostic,
    statement: &SqlStatement,
    judgement: Option<&Judgement>,
) {
    let Some(Judgement { engine, verdict }) = judgement else {
        diagnostic.message.push_str(
            "; the replay would judge it: run without --static-only, and where every chain \
             builds the constraint under this name and the DROP applies, this is a note",
        );
        return;
    };
    let if_exists = diagnostic.span.is_some_and(|clause| {
        statement.significant().any(|token| {
            let at = span(token);
            clause.start <= at.start && at.end <= clause.end && is_keyword(&token.token, "EXISTS")
        })
    });
    if !verdict.failed.is_empty() {
        diagnostic.message.push_str(&format!(
            "; the replay shows that the name differs: {engine} refused the DROP in {} (see \
             statement-failed)",
            chains_phrase(&verdict.failed)
        ));
        diagnostic.chains = verdict.failed.clone();
    } else if verdict.executed.is_empty() {
        diagnostic.message.push_str(
            "; no replay chain ran this DROP (its migration lies below where every replayed chain \
             starts, an earlier statement failed, or the chain that runs it was not replayed), so \
             no engine could tell whether the name is the same everywhere",
        );
    } else if if_exists {
        diagnostic.message.push_str(
            "; with IF EXISTS the DROP applies whether or not a constraint of that name exists, \
             so the replay cannot tell whether every chain had it",
        );
    } else {
        let clause = diagnostic.message.split('`').nth(1).unwrap_or_default();
        diagnostic.message = format!(
            "`{clause}` drops a constraint by a name PostgreSQL generates, but every chain that \
             ran it ({}) had a constraint of that name on {engine} and the DROP applied: the \
             name is the same in every database the replay built; only an installation where it \
             got another name (cut at 63 characters, numbered on a collision) would fail",
            chains_phrase(&verdict.executed)
        );
        diagnostic.severity = Severity::Note;
        diagnostic.chains = verdict.executed.clone();
    }
}

/// Whether `name` has the shape of a name PostgreSQL generates for a constraint of `table`.
fn looks_generated(table: &str, name: &str) -> bool {
    let Some(rest) = name
        .strip_prefix(table)
        .and_then(|rest| rest.strip_prefix('_'))
    else {
        return false;
    };
    // A collision is numbered: `memo_uid_key1`.
    let rest = rest.trim_end_matches(|c: char| c.is_ascii_digit());
    rest == "pkey"
        || GENERATED_SUFFIXES
            .iter()
            .any(|suffix| rest.len() > suffix.len() && rest.ends_with(suffix))
}

/// Takes note of the constraint names the statement gives explicitly.
fn remember(cx: &Context, names: &mut ExplicitNames) {
    let dialect = cx.dialect();
    match cx.ast() {
        Some(Statement::AlterTable(alter)) => {
            for operation in &alter.operations {
                if let AlterTableOperation::RenameConstraint { new_name, .. } = operation {
                    names.0.insert(ident_key(dialect, new_name));
                }
            }
        }
        Some(Statement::AlterIndex {
            operation: AlterIndexOperation::RenameIndex { index_name },
            ..
        }) => {
            names.0.insert(object_key(dialect, index_name));
        }
        _ => {}
    }
    // `CONSTRAINT name` defines a name, except in `DROP CONSTRAINT name` and
    // `RENAME CONSTRAINT old TO new` (whose new name the AST gave above).
    let tokens = cx.significant();
    for (index, token) in tokens.iter().enumerate() {
        if !is_keyword(&token.token, "CONSTRAINT") {
            continue;
        }
        let refers = index.checked_sub(1).is_some_and(|previous| {
            let previous = &tokens[previous].token;
            is_keyword(previous, "DROP") || is_keyword(previous, "RENAME")
        });
        if refers {
            continue;
        }
        if let Some(Token::Word(word)) = tokens.get(index + 1).map(|next| &next.token) {
            names
                .0
                .insert(name_key(dialect, &word.value, word.quote_style.is_some()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::lint::tests::{lint_samples, CONSTRAINT_CHAIN};

    #[test]
    fn on_the_samples() {
        insta::assert_snapshot!(lint_samples(&RULE, &[CONSTRAINT_CHAIN]));
    }
}
