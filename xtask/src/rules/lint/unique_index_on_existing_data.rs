//! `unique-index-on-existing-data`: `CREATE UNIQUE INDEX` on a table that existed before this
//! migration. Where an installation's rows hold two equal keys, the index cannot be built and the
//! upgrade fails there; the replay's empty tables never show it. The rule can only tell that the
//! table is older when this file did not create it (under its name, or under one it renamed to
//! it): a table created by an earlier migration may hold rows where that migration was released.
//! A warning, since keys that are unique by construction (a backfill from the primary key) are
//! common and fine.

use sqlparser::ast::Statement;

use super::{object_span, silence_hint, Check, Context, Finding, Rule};
use crate::codes::Code;

pub(super) const RULE: Rule = Rule {
    code: Code::UniqueIndexOnExistingData,
    check: Check::Statement(check),
};

fn check(cx: &Context, out: &mut Vec<Finding>) {
    let Some(Statement::CreateIndex(index)) = cx.ast() else {
        return;
    };
    if !index.unique || cx.created_here(&index.table_name) {
        return;
    }
    let span = cx.head_span(object_span(&index.table_name));
    let name = index
        .name
        .as_ref()
        .map_or_else(|| "the index".to_string(), ToString::to_string);
    out.push(cx.finding(
        Code::UniqueIndexOnExistingData,
        span,
        format!(
            "unique index {name} is created on {}, a table this migration did not create: where \
             an installation's rows hold duplicate keys the upgrade fails, and the replay's empty \
             tables cannot show it",
            index.table_name
        ),
        format!(
            "remove or merge the duplicates in this migration before creating the index (keep \
             one row per key), or make the keys unique by construction (a backfill from the \
             primary key); then silence this warning with the reason: {}",
            silence_hint(Code::UniqueIndexOnExistingData)
        ),
    ));
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::lint::tests::{lint_samples, TABLE_REBUILD};

    #[test]
    fn on_the_samples() {
        insta::assert_snapshot!(lint_samples(&RULE, &[TABLE_REBUILD]));
    }
}
