//! `non-idempotent-ddl`: a `DROP` without `IF EXISTS`, which fails when a partly applied version
//! runs again (field notes: a re-run failed on `DROP COLUMN tags`). Only drops are flagged:
//! `DROP ... IF EXISTS` leaves the same schema on the first run and on a re-run, while
//! `CREATE ... IF NOT EXISTS` would keep whatever a failed run left behind, of whatever shape, and
//! hide that. A note, not a warning: the store convention's service applies all pending
//! migrations in one transaction, so on PostgreSQL and SQLite a failed upgrade is rolled back
//! whole; re-runs of a half-applied version happen where migrations are applied otherwise (by
//! hand, by a script, or on an engine without transactional DDL).
//!
//! SQLite has no `DROP COLUMN IF EXISTS` and no `DROP CONSTRAINT`, so only its `DROP TABLE`,
//! `DROP INDEX`, `DROP VIEW` and `DROP TRIGGER` are flagged.

use sqlparser::ast::{AlterTableOperation, Statement};

use super::{ident_span, object_span, Check, Context, Finding, Rule};
use crate::codes::Code;
use crate::diagnostic::Span;

pub(super) const RULE: Rule = Rule {
    code: Code::NonIdempotentDdl,
    check: Check::Statement(check),
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    match cx.ast() {
        Some(Statement::Drop {
            object_type,
            if_exists: false,
            names,
            ..
        }) => {
            let span = cx.clause_span("DROP", names.first().and_then(object_span));
            push(cx, span, &format!("DROP {object_type} IF EXISTS"), out);
        }
        Some(Statement::DropTrigger(drop)) if !drop.if_exists => {
            let span = cx.clause_span("DROP", object_span(&drop.trigger_name));
            push(cx, span, "DROP TRIGGER IF EXISTS", out);
        }
        Some(Statement::AlterTable(alter)) if cx.dialect().spec().lint().alter_table_if_exists => {
            for operation in &alter.operations {
                match operation {
                    AlterTableOperation::DropColumn {
                        column_names,
                        if_exists: false,
                        ..
                    } => {
                        let span =
                            cx.clause_span("DROP", column_names.first().and_then(ident_span));
                        push(cx, span, "DROP COLUMN IF EXISTS", out);
                    }
                    AlterTableOperation::DropConstraint {
                        name,
                        if_exists: false,
                        ..
                    } => {
                        let span = cx.clause_span("DROP", ident_span(name));
                        push(cx, span, "DROP CONSTRAINT IF EXISTS", out);
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

fn push(cx: &Context, span: Span, instead: &str, out: &mut Vec<Finding>) {
    out.push(cx.finding(
        Code::NonIdempotentDdl,
        span,
        format!(
            "`{}` has no IF EXISTS: if this version is applied again after a partial run, it \
             fails because the object is already gone",
            cx.text(span)
        ),
        format!("write `{instead}`: the result is the same on the first run"),
    ));
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::lint::tests::{
        lint_samples, CONSTRAINT_CHAIN, DESTRUCTIVE, POSTGRES_DROPS, POSTGRES_INDEXED_CHAIN,
        SQLITE_DROPS, SQLITE_INDEXED_CHAIN, TABLE_REBUILD,
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
                POSTGRES_INDEXED_CHAIN,
                CONSTRAINT_CHAIN,
                TABLE_REBUILD
            ]
        ));
    }
}
