//! Dialect parity: the fresh schemas of two dialects, compared pair by pair (every pair of the
//! dialects a run replayed; with PostgreSQL and SQLite, one pair). A store ships one
//! `LATEST.sql` per dialect for one service, so they must describe one logical schema. The
//! dialects cannot always write the same thing (PostgreSQL's `boolean` is SQLite's `integer` with
//! a 0/1 CHECK), so types are compared by family, through the table below, and everything else
//! by what it means rather than by how each engine spells it.
//!
//! The families' type names are each dialect's (`dialect::Spec::family_types`):
//!
//! | family | PostgreSQL (as `format_type` prints it) | SQLite (the declared type) |
//! | --- | --- | --- |
//! | integer | `smallint`, `integer`, `bigint` (also `int`, `int2`, `int4`, `int8`); `serial` and `bigserial` are `integer` and `bigint` with a `nextval` default | `integer`, `int`, `bigint`, `smallint`, `tinyint`, `mediumint`, `int2`, `int8` |
//! | text | `text`, `character varying[(n)]`, `varchar[(n)]`, `character[(n)]`, `char[(n)]`, `bpchar`, and the schema's enum types | `text`, `varchar[(n)]`, `character varying[(n)]`, `char[(n)]`, `character[(n)]`, `nvarchar(n)`, `nchar(n)`, `clob` |
//! | boolean | `boolean` | an integer-family type or `boolean`, with a CHECK that allows exactly 0 and 1 (`pinned IN (0, 1)`, `pinned = 0 OR pinned = 1`) |
//! | binary | `bytea` | `blob` |
//! | json | `json`, `jsonb` | `json`, `jsonb`, `text` |
//! | timestamp | `timestamp[(p)]`, `timestamp[(p)] with time zone`, `timestamptz` | `datetime`, `timestamp`, `text` (ISO-8601 text) |
//! | numeric | `numeric[(p, s)]`, `decimal` | `numeric[(p, s)]`, `decimal[(p, s)]` |
//! | floating | `real`, `double precision` (also `float4`, `float8`) | `real`, `double`, `double precision`, `float` |
//!
//! - Timestamps kept as epoch seconds are `bigint` in PostgreSQL and `integer` or `bigint` in
//!   SQLite: the integer family, as the store's `created_ts` columns are. A timestamp type on one
//!   side against an integer on the other is a difference: one stores a point in time, the other
//!   a number, and the service reads them differently.
//! - Lengths, precisions and integer widths are not compared: SQLite ignores `(n)` in a declared
//!   type and stores every integer in up to 64 bits, so they mean nothing on that side.
//! - A type outside the table (`uuid`, `date`, `inet`, arrays, domains) on either side is
//!   compared by its lower-cased name: `uuid` matches `uuid` and nothing else.
//!
//! Compared: the set of tables and of views (views by presence only: their bodies are written
//! in each dialect's SQL); per table, the set of columns (not their order), each column's type
//! family and nullability (SQLite's rowid alias, `INTEGER PRIMARY KEY`, is NOT NULL), the primary
//! key's columns, the set of unique column lists (a unique constraint and a non-partial unique
//! index on the same columns count the same, whatever their names), and foreign keys by columns,
//! referenced table and columns, with their `ON DELETE` and `ON UPDATE` actions; indexes by name,
//! with their columns or expressions (normalized, and with the `::type` casts PostgreSQL adds
//! removed, so that `lower((username)::text)` matches `lower(username)`), and with whether they
//! are partial. A partial index's predicate is compared by presence only: PostgreSQL rewrites
//! predicates (`status = 'UNREAD'::text`, `pinned = true` against SQLite's `pinned = 1`), so
//! comparing their text would be noise. Names are compared case-insensitively, as SQLite does.
//!
//! Not compared: sequences, enum types and functions, which only PostgreSQL has; triggers, which
//! each dialect writes differently by nature (a PL/pgSQL function and `EXECUTE FUNCTION` against
//! a `BEGIN ... END` body); defaults and CHECKs, which each engine prints in its own SQL
//! (`extract(epoch from now())` against `strftime('%s', 'now')`, `= any (array[...])` against
//! `IN (...)`), except the 0/1 CHECK that makes an integer a boolean; index access methods,
//! which only PostgreSQL has.
//!
//! Every difference is an error: each one is a different meaning (a table or column that one
//! dialect lacks, another type family, nullability, key, foreign key or index), and the service
//! would behave differently on the two engines. An intentional one is allowed in the reviewed
//! allowlist with `check = "parity"`.
//!
//! A [`Difference`] here has the left side (the first dialect of the pair, in the order of
//! `Dialect::ALL`: PostgreSQL) in `expected` and the right side (SQLite) in `actual`.
//!
//! Parity is a policy over the comparison core (`schema::compare`), with names folded to lower
//! case and the type families as its equivalence; `types.rs` holds the families, `keys.rs` the
//! index keys without casts.

mod keys;
mod types;

use std::collections::{BTreeMap, BTreeSet};

use self::keys::keys;
use self::types::{describe, Families};
use super::compare::{self, index_text, lower as fold, Aspect, Change, Options, Side};
use super::diff::Difference;
use super::{Column, ForeignKey, Index, Key, Schema};
use crate::diagnostic::Severity;
use crate::dialect::Dialect;

/// Where a difference is listed: tables (each with its columns, primary key and foreign keys),
/// then unique sets, then indexes, then views; each group by folded name.
type Order = (u8, String, u8, Vec<Vec<String>>);

/// One side of a comparison: a dialect's fresh schema.
#[derive(Clone, Copy)]
pub struct Fresh<'a> {
    pub dialect: Dialect,
    pub schema: &'a Schema,
}

/// Which side of the pair.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Hand {
    Left,
    Right,
}

impl Hand {
    fn other(self) -> Hand {
        match self {
            Hand::Left => Hand::Right,
            Hand::Right => Hand::Left,
        }
    }

    /// `value` on this side and nothing on the other, as (left, right).
    fn place<T>(self, value: T) -> (Option<T>, Option<T>) {
        match self {
            Hand::Left => (Some(value), None),
            Hand::Right => (None, Some(value)),
        }
    }
}

/// Compares the fresh schemas of two dialects: `expected` of each difference is the left side,
/// `actual` the right side.
pub fn compare(left: Fresh<'_>, right: Fresh<'_>) -> Vec<Difference> {
    let families = Families { left, right };
    let options = Options {
        fold,
        equivalence: &families,
    };
    let parity = Parity {
        left,
        right,
        common: left
            .schema
            .tables
            .keys()
            .map(|t| fold(t))
            .filter(|t| right.schema.tables.keys().any(|s| fold(s) == *t))
            .collect(),
    };
    let mut out: Vec<(Order, Difference)> = Vec::new();
    let mut primary_keys: BTreeMap<String, (Option<&Key>, Option<&Key>)> = BTreeMap::new();
    for change in compare::compare(left.schema, right.schema, &options) {
        match change {
            Change::Table(name, side) => {
                let name = fold(name);
                let difference = presence(format!("table {name}"), "", &side);
                out.push(((0, name, 0, Vec::new()), difference));
            }
            Change::Column {
                table,
                column,
                aspects,
            } => parity.column(table, &column, &aspects, &mut out),
            Change::PrimaryKey(table, side) if !matches!(side, Side::Changed(..)) => {
                let entry = primary_keys.entry(fold(table)).or_default();
                entry.0 = entry.0.or(side.left());
                entry.1 = entry.1.or(side.right());
            }
            Change::Unique(table, side) => parity.unique(table, &side, &mut out),
            Change::ForeignKey(table, side) => foreign_key(table, &side, &mut out),
            Change::Index { index, .. } => parity.index(&index, &mut out),
            Change::View(name, side) if !matches!(side, Side::Changed(..)) => {
                let name = fold(name);
                let difference = presence(format!("view {name}"), "", &side);
                out.push(((3, name, 0, Vec::new()), difference));
            }
            _ => {}
        }
    }
    for (table, (left_key, right_key)) in primary_keys {
        let side =
            |k: Option<&Key>| Some(k.map_or("none".to_string(), |k| list(&fold_all(&k.columns))));
        let difference = error(
            format!("table {table}"),
            "primary key",
            side(left_key),
            side(right_key),
        );
        out.push(((0, table, 1, Vec::new()), difference));
    }
    // One unique set missing on a side is one difference, however many objects say it.
    let mut seen = BTreeSet::new();
    out.retain(|(order, d)| order.0 != 1 || seen.insert((order.clone(), d.expected.is_some())));
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.into_iter().map(|(_, difference)| difference).collect()
}

struct Parity<'a> {
    left: Fresh<'a>,
    right: Fresh<'a>,
    /// The folded names of the tables both sides have: the objects of a table on one side only
    /// are reported once, as the table.
    common: BTreeSet<String>,
}

fn fold_all(names: &[String]) -> Vec<String> {
    names.iter().map(|n| fold(n)).collect()
}

/// A difference of something present on one side only.
fn presence<T>(object: String, aspect: &str, side: &Side<'_, T>) -> Difference {
    let present = |o: Option<&T>| o.map(|_| "present".to_string());
    error(object, aspect, present(side.left()), present(side.right()))
}

fn error(
    object: impl Into<String>,
    aspect: impl Into<String>,
    left: Option<String>,
    right: Option<String>,
) -> Difference {
    Difference::new(Severity::Error, object, aspect, left, right)
}

fn list(columns: &[String]) -> String {
    format!("({})", columns.join(", "))
}

/// A non-partial unique index means what a unique constraint on the same columns means, so such
/// indexes are judged with the unique constraints, as sets of column lists, and not by name.
fn judged_as_unique(index: &Index) -> bool {
    index.unique && index.predicate.is_none()
}

/// A foreign key is matched by its columns, referenced table and referenced columns; the
/// actions of a matched pair are compared one by one.
fn foreign_key(table: &str, side: &Side<'_, ForeignKey>, out: &mut Vec<(Order, Difference)>) {
    let Some(key) = side.left().or(side.right()) else {
        return;
    };
    let (table, columns, referenced_table, referenced) = (
        fold(table),
        fold_all(&key.columns),
        fold(&key.referenced_table),
        fold_all(&key.referenced_columns),
    );
    let object = format!("table {table}");
    let aspect = format!(
        "foreign key {} references {referenced_table} {}",
        list(&columns),
        list(&referenced)
    );
    let order = (
        0,
        table,
        2,
        vec![columns, vec![referenced_table], referenced],
    );
    let actions = |f: &ForeignKey| format!("on delete {} on update {}", f.on_delete, f.on_update);
    let (pg, lite) = match *side {
        Side::Changed(pg, lite) => (pg, lite),
        _ => {
            let (pg, lite) = (side.left().map(actions), side.right().map(actions));
            out.push((order, error(object, aspect, pg, lite)));
            return;
        }
    };
    for (what, pg_action, lite_action) in [
        ("on delete", &pg.on_delete, &lite.on_delete),
        ("on update", &pg.on_update, &lite.on_update),
    ] {
        if pg_action != lite_action {
            let difference = error(
                &object,
                format!("{aspect}: {what}"),
                Some(pg_action.clone()),
                Some(lite_action.clone()),
            );
            out.push((order.clone(), difference));
        }
    }
}

impl<'a> Parity<'a> {
    /// A column on one side only, or its type family and nullability. Defaults, generation and
    /// collations are each engine's own SQL: not compared.
    fn column(
        &self,
        table: &str,
        side: &Side<'_, Column>,
        aspects: &[Aspect],
        out: &mut Vec<(Order, Difference)>,
    ) {
        let Some(column) = side.left().or(side.right()) else {
            return;
        };
        let (table, name) = (fold(table), fold(&column.name));
        let object = format!("table {table}");
        let order = (0, table.clone(), 0, vec![vec![name.clone()]]);
        let (pg, lite) = match *side {
            Side::Changed(pg, lite) => (pg, lite),
            _ => {
                let data_type = |c: &Column| c.data_type.clone();
                let (pg, lite) = (side.left().map(data_type), side.right().map(data_type));
                out.push((order, error(object, format!("column {name}"), pg, lite)));
                return;
            }
        };
        if aspects.contains(&Aspect::Type) {
            let table_of = |fresh: Fresh<'a>| {
                fresh
                    .schema
                    .tables
                    .values()
                    .find(|t| fold(&t.name) == table)
            };
            let (Some(left_table), Some(right_table)) = (table_of(self.left), table_of(self.right))
            else {
                return;
            };
            let (left, right) = ((left_table, pg), (right_table, lite));
            let difference = error(
                &object,
                format!("column {name}: type family"),
                Some(describe(self.left, left, (self.right, right))),
                Some(describe(self.right, right, (self.left, left))),
            );
            out.push((order.clone(), difference));
        }
        if aspects.contains(&Aspect::NotNull) {
            let nullability =
                |not_null: bool| Some(if not_null { "not null" } else { "nullable" }.to_string());
            let difference = error(
                &object,
                format!("column {name}: not null"),
                nullability(pg.not_null),
                nullability(lite.not_null),
            );
            out.push((order, difference));
        }
    }

    /// Whether a side has a unique set: a unique constraint or a non-partial unique index on
    /// the columns.
    fn has_unique(&self, hand: Hand, table: &str, columns: &[String]) -> bool {
        let Fresh { dialect, schema } = self.side(hand);
        let constraint = schema
            .tables
            .values()
            .filter(|t| fold(&t.name) == table)
            .any(|t| t.uniques.iter().any(|k| fold_all(&k.columns) == columns));
        constraint
            || schema.indexes.values().any(|i| {
                judged_as_unique(i) && fold(&i.table) == table && keys(i, dialect) == columns
            })
    }

    fn side(&self, hand: Hand) -> Fresh<'a> {
        match hand {
            Hand::Left => self.left,
            Hand::Right => self.right,
        }
    }

    /// A unique set of one side that the other side lacks; `how` says how the side has it.
    fn unique_set(
        &self,
        hand: Hand,
        table: &str,
        columns: Vec<String>,
        how: String,
        out: &mut Vec<(Order, Difference)>,
    ) {
        if !self.common.contains(table) || self.has_unique(hand.other(), table, &columns) {
            return;
        }
        let aspect = format!("unique {}", list(&columns));
        let (left, right) = hand.place(how);
        let difference = error(format!("table {table}"), aspect, left, right);
        out.push(((1, table.to_string(), 0, vec![columns]), difference));
    }

    /// A unique constraint that one side has on columns the other side has no unique set on.
    fn unique(&self, table: &str, side: &Side<'_, Key>, out: &mut Vec<(Order, Difference)>) {
        let how = |key: &Key| match &key.name {
            Some(constraint) => format!("unique constraint {constraint}"),
            None => "unique constraint".to_string(),
        };
        for (hand, key) in [(Hand::Left, side.left()), (Hand::Right, side.right())] {
            if let Some(key) = key {
                self.unique_set(hand, &fold(table), fold_all(&key.columns), how(key), out);
            }
        }
    }

    /// Indexes by name, for the tables both sides have; a non-partial unique index is judged
    /// with the unique sets.
    fn index<'i>(&self, side: &Side<'i, Index>, out: &mut Vec<(Order, Difference)>) {
        let on_common = |i: Option<&'i Index>| i.filter(|i| self.common.contains(&fold(&i.table)));
        let (pg, lite) = (on_common(side.left()), on_common(side.right()));
        for (hand, index) in [(Hand::Left, pg), (Hand::Right, lite)] {
            if let Some(index) = index.filter(|i| judged_as_unique(i)) {
                let how = format!("unique index {}", index.name);
                let table = fold(&index.table);
                let keys = keys(index, self.side(hand).dialect);
                self.unique_set(hand, &table, keys, how, out);
            }
        }
        let Some(index) = pg.or(lite) else {
            return;
        };
        let name = fold(&index.name);
        let object = format!("index {name}");
        let order = (2, name, 0, Vec::new());
        let (pg, lite) = match (pg, lite) {
            (Some(pg), Some(lite)) => (pg, lite),
            (pg, lite) => {
                // An index on one side only that the unique sets judge is reported there.
                if !judged_as_unique(index) {
                    let definition =
                        |i: &Index, dialect| index_text(i, &fold(&i.table), &keys(i, dialect));
                    let pg = pg.map(|i| definition(i, self.left.dialect));
                    let lite = lite.map(|i| definition(i, self.right.dialect));
                    out.push((order, error(object, "", pg, lite)));
                }
                return;
            }
        };
        if judged_as_unique(pg) && judged_as_unique(lite) {
            return;
        }
        for difference in self.index_pair(&object, pg, lite) {
            out.push((order.clone(), difference));
        }
    }

    /// The differences of an index both sides have by name, where at most one of them is judged
    /// with the unique sets.
    fn index_pair(&self, object: &str, pg: &Index, lite: &Index) -> Vec<Difference> {
        let mut out = Vec::new();
        if fold(&pg.table) != fold(&lite.table) {
            let (pg_table, lite_table) = (Some(fold(&pg.table)), Some(fold(&lite.table)));
            out.push(error(object, "table", pg_table, lite_table));
        }
        let (pg_keys, lite_keys) = (keys(pg, self.left.dialect), keys(lite, self.right.dialect));
        if pg_keys != lite_keys {
            let (pg_keys, lite_keys) = (Some(list(&pg_keys)), Some(list(&lite_keys)));
            out.push(error(object, "columns", pg_keys, lite_keys));
        }
        let partial = |i: &Index| {
            Some(match &i.predicate {
                Some(predicate) => format!("partial (where {predicate})"),
                None => "not partial".to_string(),
            })
        };
        if pg.predicate.is_some() != lite.predicate.is_some() {
            out.push(error(object, "predicate", partial(pg), partial(lite)));
        }
        // Where one side is judged with the unique sets, a different uniqueness is reported there.
        if !judged_as_unique(pg) && !judged_as_unique(lite) && pg.unique != lite.unique {
            let unique = |i: &Index| Some(if i.unique { "unique" } else { "not unique" }.into());
            out.push(error(object, "unique", unique(pg), unique(lite)));
        }
        out
    }
}

#[cfg(test)]
mod tests;
