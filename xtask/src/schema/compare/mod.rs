//! The one comparison of two schemas: an outer join of a left schema (the expected one, the
//! previous release, PostgreSQL) and a right one (a chain's, the new release, SQLite) into typed
//! changes. It decides which objects are the same object (by folded name, and constraints by
//! what they mean) and whether two of them differ (under an [`Equivalence`]); what a change
//! means is left to its policies: `diff` gives each a severity, `parity` keeps what the two
//! dialects can both say, `release::notes` writes markdown.

use std::collections::{BTreeMap, BTreeSet};

use super::{
    Check, Column, ForeignKey, Function, Index, Key, Schema, Sequence, Table, Trigger, View,
};

/// One object on one side or both.
#[derive(Debug, PartialEq, Eq)]
pub enum Side<'a, T> {
    /// Only on the left.
    Removed(&'a T),
    /// Only on the right.
    Added(&'a T),
    /// On both sides, and they differ (a column: under the equivalence).
    Changed(&'a T, &'a T),
}

// By hand: derived, they would ask `T` to be `Copy`, and a side holds only references.
impl<T> Clone for Side<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Side<'_, T> {}

impl<'a, T> Side<'a, T> {
    /// The left object, if any.
    pub fn left(&self) -> Option<&'a T> {
        match *self {
            Side::Removed(left) | Side::Changed(left, _) => Some(left),
            Side::Added(_) => None,
        }
    }

    /// The right object, if any.
    pub fn right(&self) -> Option<&'a T> {
        match *self {
            Side::Added(right) | Side::Changed(_, right) => Some(right),
            Side::Removed(_) => None,
        }
    }
}

/// What differs between the two sides of a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Aspect {
    Type,
    NotNull,
    Default,
    Generated,
    Collation,
}

/// Where the other side has what an index on one side only means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Equivalent<'a> {
    /// The same definition under another name.
    Renamed(&'a Index),
    /// A unique constraint on the same columns (under [`Equivalence::unique_index_is_constraint`]).
    Constraint,
}

/// One change, in the order of the left schema: tables (with their columns and constraints),
/// indexes, triggers, views, sequences, enum types, functions. Objects only on the right come
/// after those of the left, within their kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change<'a> {
    /// A table only on one side; a table on both is reported by its parts.
    Table(&'a str, Side<'a, Table>),
    /// `aspects` is empty unless the column is on both sides.
    Column {
        table: &'a str,
        column: Side<'a, Column>,
        aspects: Vec<Aspect>,
    },
    /// The columns both sides have, in each side's order, where the orders differ.
    ColumnOrder {
        table: &'a str,
        left: Vec<String>,
        right: Vec<String>,
    },
    /// Keys are matched by their columns: another key is one removed and one added; the same
    /// key under another name is changed.
    PrimaryKey(&'a str, Side<'a, Key>),
    Unique(&'a str, Side<'a, Key>),
    /// Matched by expression: only the name can have changed.
    Check(&'a str, Side<'a, Check>),
    /// Matched by columns and reference: the actions or the name can have changed.
    ForeignKey(&'a str, Side<'a, ForeignKey>),
    /// Matched by name.
    Index {
        name: &'a str,
        index: Side<'a, Index>,
        equivalent: Option<Equivalent<'a>>,
    },
    Trigger(&'a str, Side<'a, Trigger>),
    View(&'a str, Side<'a, View>),
    Sequence(&'a str, Side<'a, Sequence>),
    Enum(&'a str, Side<'a, Vec<String>>),
    Function(&'a str, Side<'a, Function>),
}

/// What counts as the same meaning, beyond equal text.
pub trait Equivalence {
    /// Whether two columns' types mean the same; the tables are there for what decides it
    /// beside the type (a CHECK that makes an integer a boolean).
    fn same_type(&self, left: (&Table, &Column), right: (&Table, &Column)) -> bool {
        left.1.data_type == right.1.data_type
    }

    /// Whether a non-partial unique index on one side is the unique constraint on the same
    /// columns on the other side, so that neither is a change of its own.
    fn unique_index_is_constraint(&self) -> bool {
        false
    }
}

/// Equal text is equal meaning, and nothing else is.
pub struct Identity;

impl Equivalence for Identity {}

/// How names are matched, and what counts as the same meaning.
pub struct Options<'e> {
    /// Applied to every name before objects are matched: identity, or case folding where one
    /// side's engine ignores case.
    pub fold: fn(&str) -> String,
    pub equivalence: &'e dyn Equivalence,
}

/// Names as they are.
pub fn exact(name: &str) -> String {
    name.to_string()
}

/// ASCII case folded: SQLite matches names without regard to it, and PostgreSQL folds unquoted
/// names to lower case.
pub fn lower(name: &str) -> String {
    name.to_ascii_lowercase()
}

impl Default for Options<'static> {
    fn default() -> Self {
        Options {
            fold: exact,
            equivalence: &Identity,
        }
    }
}

/// Every change from `left` to `right`.
pub fn compare<'a>(left: &'a Schema, right: &'a Schema, options: &Options<'_>) -> Vec<Change<'a>> {
    let join = Join {
        options,
        equivalences: unique_equivalences(left, right, options),
    };
    let mut out = Vec::new();
    for (name, side) in join.maps_all(&left.tables, &right.tables) {
        match side {
            Side::Changed(l, r) => join.table(l, r, &mut out),
            side => out.push(Change::Table(name, side)),
        }
    }
    join.indexes(left, right, &mut out);
    push_all(
        &mut out,
        join.maps(&left.triggers, &right.triggers),
        Change::Trigger,
    );
    push_all(&mut out, join.maps(&left.views, &right.views), Change::View);
    push_all(
        &mut out,
        join.maps(&left.sequences, &right.sequences),
        Change::Sequence,
    );
    push_all(&mut out, join.maps(&left.enums, &right.enums), Change::Enum);
    push_all(
        &mut out,
        join.maps(&left.functions, &right.functions),
        Change::Function,
    );
    out
}

fn push_all<'a, T: 'a>(
    out: &mut Vec<Change<'a>>,
    sides: Vec<(&'a str, Side<'a, T>)>,
    change: fn(&'a str, Side<'a, T>) -> Change<'a>,
) {
    out.extend(sides.into_iter().map(|(name, side)| change(name, side)));
}

/// Unique non-partial indexes on one side that are a unique constraint on the other, by folded
/// table and columns.
type Equivalences = BTreeSet<(String, Vec<String>)>;

struct Join<'o, 'e> {
    options: &'o Options<'e>,
    equivalences: Equivalences,
}

impl Join<'_, '_> {
    fn fold(&self, name: &str) -> String {
        (self.options.fold)(name)
    }

    fn fold_all(&self, names: &[String]) -> Vec<String> {
        names.iter().map(|n| self.fold(n)).collect()
    }

    /// Objects of one kind by folded map key: the left's in order, then the right's only there.
    /// Objects on both sides are `Changed` where they differ, and left out otherwise.
    fn maps<'a, T: PartialEq>(
        &self,
        left: &'a BTreeMap<String, T>,
        right: &'a BTreeMap<String, T>,
    ) -> Vec<(&'a str, Side<'a, T>)> {
        let mut all = self.maps_all(left, right);
        all.retain(|(_, side)| !matches!(side, Side::Changed(l, r) if l == r));
        all
    }

    /// As `maps`, with the objects on both sides that are equal: a table's parts are compared
    /// under the equivalence, which can tell equal text apart.
    fn maps_all<'a, T>(
        &self,
        left: &'a BTreeMap<String, T>,
        right: &'a BTreeMap<String, T>,
    ) -> Vec<(&'a str, Side<'a, T>)> {
        let right_keys: BTreeMap<String, (&'a String, &'a T)> =
            right.iter().map(|(k, v)| (self.fold(k), (k, v))).collect();
        let left_keys: BTreeSet<String> = left.keys().map(|k| self.fold(k)).collect();
        let mut out = Vec::new();
        for (key, l) in left {
            let side = match right_keys.get(&self.fold(key)) {
                Some((_, r)) => Side::Changed(l, *r),
                None => Side::Removed(l),
            };
            out.push((key.as_str(), side));
        }
        for (folded, (key, r)) in &right_keys {
            if !left_keys.contains(folded) {
                out.push((key.as_str(), Side::Added(*r)));
            }
        }
        out
    }

    fn table<'a>(&self, left: &'a Table, right: &'a Table, out: &mut Vec<Change<'a>>) {
        let name = left.name.as_str();
        self.columns(left, right, out);
        self.column_order(left, right, out);
        let key = |k: &Key| self.fold_all(&k.columns);
        for side in matched(
            left.primary_key.as_slice(),
            right.primary_key.as_slice(),
            key,
        ) {
            out.push(Change::PrimaryKey(name, side));
        }
        let uniques = |table: &'a Table| -> Vec<&'a Key> {
            table
                .uniques
                .iter()
                .filter(|k| {
                    !self
                        .equivalences
                        .contains(&(self.fold(&table.name), self.fold_all(&k.columns)))
                })
                .collect()
        };
        let (left_uniques, right_uniques) = (uniques(left), uniques(right));
        for side in matched(&left_uniques, &right_uniques, |k| key(k)) {
            out.push(Change::Unique(name, unwrap_refs(side)));
        }
        for side in matched(&left.checks, &right.checks, |c| c.expression.clone()) {
            out.push(Change::Check(name, side));
        }
        let reference = |f: &ForeignKey| {
            (
                self.fold_all(&f.columns),
                self.fold(&f.referenced_table),
                self.fold_all(&f.referenced_columns),
            )
        };
        for side in matched(&left.foreign_keys, &right.foreign_keys, reference) {
            out.push(Change::ForeignKey(name, side));
        }
    }

    fn columns<'a>(&self, left: &'a Table, right: &'a Table, out: &mut Vec<Change<'a>>) {
        let table = left.name.as_str();
        let key = |c: &Column| self.fold(&c.name);
        for side in paired(&left.columns, &right.columns, key) {
            let aspects = match side {
                Side::Changed(l, r) => self.aspects((left, l), (right, r)),
                _ => Vec::new(),
            };
            if matches!(side, Side::Changed(..)) && aspects.is_empty() {
                continue;
            }
            out.push(Change::Column {
                table,
                column: side,
                aspects,
            });
        }
    }

    fn aspects(&self, left: (&Table, &Column), right: (&Table, &Column)) -> Vec<Aspect> {
        let (l, r) = (left.1, right.1);
        let mut aspects = Vec::new();
        if !self.options.equivalence.same_type(left, right) {
            aspects.push(Aspect::Type);
        }
        for (aspect, differs) in [
            (Aspect::NotNull, l.not_null != r.not_null),
            (Aspect::Default, l.default != r.default),
            (Aspect::Generated, l.generated != r.generated),
            (Aspect::Collation, l.collation != r.collation),
        ] {
            if differs {
                aspects.push(aspect);
            }
        }
        aspects
    }

    /// Column order matters to `SELECT *` and `INSERT` without a column list: judged on the
    /// columns both sides have.
    fn column_order<'a>(&self, left: &'a Table, right: &'a Table, out: &mut Vec<Change<'a>>) {
        let names = |t: &Table| -> BTreeSet<String> {
            t.columns.iter().map(|c| self.fold(&c.name)).collect()
        };
        let (left_names, right_names) = (names(left), names(right));
        let common = |table: &Table, other: &BTreeSet<String>| -> Vec<String> {
            table
                .columns
                .iter()
                .map(|c| self.fold(&c.name))
                .filter(|c| other.contains(c))
                .collect()
        };
        let (left_order, right_order) = (common(left, &right_names), common(right, &left_names));
        if left_order != right_order {
            out.push(Change::ColumnOrder {
                table: left.name.as_str(),
                left: left_order,
                right: right_order,
            });
        }
    }

    /// Indexes by name; one on one side only says what the other side has in its place.
    fn indexes<'a>(&self, left: &'a Schema, right: &'a Schema, out: &mut Vec<Change<'a>>) {
        let folded = |s: &'a Schema| -> BTreeMap<String, &'a Index> {
            s.indexes
                .values()
                .map(|i| (self.fold(&i.name), i))
                .collect()
        };
        let (left_names, right_names) = (folded(left), folded(right));
        for (name, index) in self.maps(&left.indexes, &right.indexes) {
            let equivalent = match index {
                Side::Changed(..) => None,
                Side::Removed(i) => self.equivalent(i, &right_names, &left_names),
                Side::Added(i) => self.equivalent(i, &left_names, &right_names),
            };
            out.push(Change::Index {
                name,
                index,
                equivalent,
            });
        }
    }

    fn equivalent<'a>(
        &self,
        index: &Index,
        other: &BTreeMap<String, &'a Index>,
        this: &BTreeMap<String, &Index>,
    ) -> Option<Equivalent<'a>> {
        let definition = index_definition(index);
        let renamed = other
            .iter()
            .find(|(name, o)| !this.contains_key(*name) && index_definition(o) == definition)
            .map(|(_, o)| Equivalent::Renamed(o));
        let key = (self.fold(&index.table), self.fold_all(&index.columns));
        renamed.or_else(|| {
            self.equivalences
                .contains(&key)
                .then_some(Equivalent::Constraint)
        })
    }
}

/// `Side<&T>` as `Side<T>`, for lists of references.
fn unwrap_refs<'a, T>(side: Side<'_, &'a T>) -> Side<'a, T> {
    match side {
        Side::Removed(l) => Side::Removed(*l),
        Side::Added(r) => Side::Added(*r),
        Side::Changed(l, r) => Side::Changed(*l, *r),
    }
}

/// Two lists matched by `key`, in the left's order, each left item with the first unmatched
/// right item of its key; then the right's unmatched items. Matched items that are equal are
/// left out.
fn matched<'a, T: PartialEq, K: PartialEq>(
    left: &'a [T],
    right: &'a [T],
    key: impl Fn(&T) -> K,
) -> Vec<Side<'a, T>> {
    let mut all = paired(left, right, key);
    all.retain(|side| !matches!(side, Side::Changed(l, r) if l == r));
    all
}

/// As [`matched`], with the matched items that are equal: an equivalence can tell equal text
/// apart (a boolean without its 0/1 CHECK).
fn paired<'a, T, K: PartialEq>(
    left: &'a [T],
    right: &'a [T],
    key: impl Fn(&T) -> K,
) -> Vec<Side<'a, T>> {
    let mut unmatched: Vec<&'a T> = right.iter().collect();
    let mut out = Vec::new();
    for l in left {
        let wanted = key(l);
        match unmatched.iter().position(|r| key(r) == wanted) {
            Some(position) => out.push(Side::Changed(l, unmatched.remove(position))),
            None => out.push(Side::Removed(l)),
        }
    }
    out.extend(unmatched.into_iter().map(Side::Added));
    out
}

/// Unique non-partial indexes on one side, not on the other by name, whose table on the other
/// side has a unique constraint on the same columns.
fn unique_equivalences(left: &Schema, right: &Schema, options: &Options<'_>) -> Equivalences {
    let mut found = Equivalences::new();
    if !options.equivalence.unique_index_is_constraint() {
        return found;
    }
    let fold = options.fold;
    let fold_all = |names: &[String]| names.iter().map(|n| fold(n)).collect::<Vec<_>>();
    for (this, other) in [(left, right), (right, left)] {
        let other_indexes: BTreeSet<String> = other.indexes.keys().map(|k| fold(k)).collect();
        let other_tables: BTreeMap<String, &Table> =
            other.tables.iter().map(|(k, t)| (fold(k), t)).collect();
        for index in this.indexes.values() {
            if !index.unique
                || index.predicate.is_some()
                || other_indexes.contains(&fold(&index.name))
            {
                continue;
            }
            let Some(table) = other_tables.get(&fold(&index.table)) else {
                continue;
            };
            let columns = fold_all(&index.columns);
            if table
                .uniques
                .iter()
                .any(|k| fold_all(&k.columns) == columns)
            {
                found.insert((fold(&index.table), columns));
            }
        }
    }
    found
}

/// An index's definition, for every message that shows one: `unique on memo (creator_id,
/// created_ts desc) using gin where pinned`.
pub fn index_definition(index: &Index) -> String {
    index_text(index, &index.table, &index.columns)
}

/// An index's definition with its table and keys as the caller shows them (parity folds names
/// and removes PostgreSQL's casts from the keys).
pub fn index_text(index: &Index, table: &str, keys: &[String]) -> String {
    format!(
        "{}on {table} ({}){}{}",
        if index.unique { "unique " } else { "" },
        keys.join(", "),
        index
            .method
            .as_ref()
            .map(|m| format!(" using {m}"))
            .unwrap_or_default(),
        index
            .predicate
            .as_ref()
            .map(|p| format!(" where {p}"))
            .unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests;
