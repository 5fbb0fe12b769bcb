//! `drop-indexed-column`: `ALTER TABLE t DROP COLUMN c` while an index created by an earlier
//! statement still uses `c` (as a column, in an expression, or in a partial index's WHERE).
//! SQLite refuses the statement (`error in index idx_memo_tags after drop column`, field notes);
//! PostgreSQL silently drops the index with the column, and with it, for an index on several
//! columns, what it enforced on the others. An error on SQLite, a warning on PostgreSQL.
//!
//! This needs the indexes that exist when the column is dropped, so it follows every migration of
//! the dialect in the order the service applies them: `CREATE INDEX`, `DROP INDEX`,
//! `ALTER INDEX ... RENAME`, and the table drops and renames and column renames that carry
//! indexes along. The columns an index uses are the names in its column list and WHERE clause,
//! read on tokens (function names and SQL keywords such as `DESC` left out).

use std::collections::{BTreeMap, BTreeSet};

use sqlparser::ast::{
    AlterIndexOperation, AlterTable, AlterTableOperation, CreateIndex, ObjectType, Statement,
};
use sqlparser::tokenizer::{Token, TokenWithSpan};

use super::{
    ident_key, ident_span, name_key, object_key, object_span, renamed_to, ChainCheck, Check,
    Context, Finding, Rule,
};
use crate::codes::Code;
use crate::diagnostic::{Label, Position, Severity};
use crate::dialect::{Dialect, DropIndexedColumn};
use crate::sql::token::{is_keyword, position};

/// The indexes of the chain so far, by name as the engine compares names.
#[derive(Debug, Default)]
struct Indexes(BTreeMap<String, Index>);

#[derive(Debug)]
struct Index {
    /// The name as written.
    name: String,
    /// The table, as the engine compares names.
    table: String,
    /// The columns the index uses, as the engine compares names.
    columns: BTreeSet<String>,
    /// Where it was created: `file:line`.
    origin: String,
    /// Its `CREATE INDEX`, shown with the finding.
    created: Label,
}

pub(super) const RULE: Rule = Rule {
    code: Code::DropIndexedColumn,
    check: Check::Chain(start),
};

/// A chain's check, which starts without indexes.
fn start() -> ChainCheck {
    let mut indexes = Indexes::default();
    Box::new(move |cx, out| check(cx, &mut indexes, out))
}

fn check(cx: &Context, indexes: &mut Indexes, out: &mut Vec<Finding>) {
    let dialect = cx.dialect();
    let Some(statement) = cx.ast() else {
        return;
    };
    match statement {
        Statement::CreateIndex(create) => indexes.create(cx, create),
        Statement::Drop {
            object_type: ObjectType::Index,
            names,
            ..
        } => {
            for name in names {
                indexes.0.remove(&object_key(dialect, name));
            }
        }
        Statement::Drop {
            object_type: ObjectType::Table,
            names,
            ..
        } => {
            for name in names {
                let table = object_key(dialect, name);
                indexes.0.retain(|_, index| index.table != table);
            }
        }
        Statement::AlterIndex {
            name,
            operation: AlterIndexOperation::RenameIndex { index_name },
        } => {
            if let Some(mut index) = indexes.0.remove(&object_key(dialect, name)) {
                index.name = index_name.to_string();
                indexes.0.insert(object_key(dialect, index_name), index);
            }
        }
        Statement::AlterTable(alter) => indexes.alter_table(cx, alter, out),
        _ => {}
    }
}

impl Indexes {
    /// Records the index a `CREATE INDEX` creates.
    fn create(&mut self, cx: &Context, create: &CreateIndex) {
        let dialect = cx.dialect();
        let table = object_key(dialect, &create.table_name);
        // An unnamed index cannot be dropped by name, but still stands in the way.
        let (key, name) = match &create.name {
            Some(name) => (object_key(dialect, name), name.to_string()),
            None => (
                format!("(unnamed on {table}) {}", cx.index),
                format!("(unnamed, on {})", create.table_name),
            ),
        };
        let after = object_span(&create.table_name).map_or(cx.statement.span.start, |s| s.end);
        let columns = used_names(dialect, &cx.significant(), after);
        let origin = format!(
            "{}:{}",
            cx.file.source.display, cx.statement.span.start.line
        );
        let created = Label::new(
            cx.file.source.display.clone(),
            Some(cx.statement.span),
            format!("index {name} created here"),
        );
        self.0.insert(
            key,
            Index {
                name,
                table,
                columns,
                origin,
                created,
            },
        );
    }

    /// Follows an `ALTER TABLE`'s renames, and reports the columns it drops while an index uses
    /// them.
    fn alter_table(&mut self, cx: &Context, alter: &AlterTable, out: &mut Vec<Finding>) {
        let dialect = cx.dialect();
        let mut table = object_key(dialect, &alter.name);
        for operation in &alter.operations {
            match operation {
                AlterTableOperation::RenameTable { table_name } => {
                    let new = object_key(dialect, renamed_to(table_name));
                    for index in self.0.values_mut().filter(|i| i.table == table) {
                        index.table.clone_from(&new);
                    }
                    table = new;
                }
                AlterTableOperation::RenameColumn {
                    old_column_name,
                    new_column_name,
                } => {
                    let old = ident_key(dialect, old_column_name);
                    let new = ident_key(dialect, new_column_name);
                    for index in self.0.values_mut().filter(|i| i.table == table) {
                        if index.columns.remove(&old) {
                            index.columns.insert(new.clone());
                        }
                    }
                }
                AlterTableOperation::DropColumn { column_names, .. } => {
                    for column in column_names {
                        let key = ident_key(dialect, column);
                        let users: Vec<String> = self
                            .0
                            .iter()
                            .filter(|(_, i)| i.table == table && i.columns.contains(&key))
                            .map(|(k, _)| k.clone())
                            .collect();
                        // Either way the indexes are gone after the statement (dropped by
                        // PostgreSQL; on SQLite the statement fails), so each is reported once.
                        let users: Vec<Index> =
                            users.iter().filter_map(|k| self.0.remove(k)).collect();
                        if !users.is_empty() {
                            out.push(finding(cx, &alter.name.to_string(), column, &users));
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

fn finding(cx: &Context, table: &str, column: &sqlparser::ast::Ident, users: &[Index]) -> Finding {
    let span = cx.clause_span("DROP", ident_span(column));
    let names: Vec<&str> = users.iter().map(|index| index.name.as_str()).collect();
    let listed: Vec<String> = users
        .iter()
        .map(|index| format!("{} (created at {})", index.name, index.origin))
        .collect();
    let (severity, consequence) = match cx.dialect().spec().lint().drop_indexed_column {
        DropIndexedColumn::Refused => (
            Severity::Error,
            format!(
                "{} refuses the statement (error in index {} after drop column)",
                cx.dialect().engine(),
                names[0]
            ),
        ),
        DropIndexedColumn::DropsTheIndex => (
            Severity::Warning,
            format!(
                "{} silently drops the index with the column (and what it enforced on any other \
                 column), where SQLite refuses the same statement",
                cx.dialect().engine()
            ),
        ),
    };
    let drops: Vec<String> = names
        .iter()
        .map(|name| format!("DROP INDEX {name};"))
        .collect();
    let mut finding = cx.finding(
        Code::DropIndexedColumn,
        span,
        format!(
            "`{}` drops column {table}.{column} while {} still {} it: {consequence}",
            cx.text(span),
            listed.join(", "),
            if users.len() == 1 { "uses" } else { "use" },
        ),
        format!(
            "drop the index before the column (`{}`), and create again, without the column, any \
             index that should remain",
            drops.join(" ")
        ),
    );
    finding.severity = severity;
    finding.labels = users.iter().map(|index| index.created.clone()).collect();
    finding
}

/// The names an index uses: the words of the `CREATE INDEX` statement after its table name
/// (`after`), except function names (a word followed by `(`), the word after `AS` or `COLLATE`
/// (a type or collation), and unquoted SQL keywords that cannot be columns there.
fn used_names(dialect: Dialect, tokens: &[&TokenWithSpan], after: Position) -> BTreeSet<String> {
    const NOT_COLUMNS: [&str; 27] = [
        "USING", "INCLUDE", "AS", "COLLATE", "ASC", "DESC", "NULLS", "FIRST", "LAST", "WHERE",
        "AND", "OR", "NOT", "IS", "NULL", "TRUE", "FALSE", "IN", "LIKE", "ESCAPE", "BETWEEN",
        "DISTINCT", "CASE", "WHEN", "THEN", "ELSE", "END",
    ];
    let tokens: Vec<&TokenWithSpan> = tokens
        .iter()
        .copied()
        .filter(|token| position(token.span.start) >= after)
        .collect();
    let mut names = BTreeSet::new();
    for (index, token) in tokens.iter().enumerate() {
        let Token::Word(word) = &token.token else {
            continue;
        };
        let called = tokens
            .get(index + 1)
            .is_some_and(|next| next.token == Token::LParen);
        let named_type = index.checked_sub(1).is_some_and(|previous| {
            let previous = &tokens[previous].token;
            is_keyword(previous, "AS") || is_keyword(previous, "COLLATE")
        });
        let keyword = word.quote_style.is_none()
            && NOT_COLUMNS
                .iter()
                .any(|keyword| word.value.eq_ignore_ascii_case(keyword));
        if !(called || named_type || keyword) {
            names.insert(name_key(dialect, &word.value, word.quote_style.is_some()));
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::lint::tests::{lint_samples, POSTGRES_INDEXED_CHAIN, SQLITE_INDEXED_CHAIN};

    #[test]
    fn on_the_samples() {
        insta::assert_snapshot!(lint_samples(
            &RULE,
            &[SQLITE_INDEXED_CHAIN, POSTGRES_INDEXED_CHAIN]
        ));
    }
}
