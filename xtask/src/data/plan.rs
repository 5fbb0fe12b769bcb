//! How each column of a table gets its value (`TablePlan`), decided once from the schema before
//! any row is written, and the rows that follow from it. Every value is a pure function of the
//! table, the column and the row number: the CHECKs' lists and ranges, the type's kind, or, for
//! a foreign key, the referenced column's value in a parent row that was inserted.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use anyhow::anyhow;

use super::checks::{restrictions, Restriction};
use super::kind::{kind_of, literal, quote_literal, Flavor, Kind};
use super::order::Order;
use super::sql::{quote_identifier, table_ref};
use crate::dialect::Dialect;
use crate::engine::{Database, Rows};
use crate::schema::{Column, Schema, Table};

/// Where integer columns start counting, above the ids and settings rows a fresh install writes
/// (`1`, `2`, ...), and low enough for a `smallint`.
const FIRST_INTEGER: i128 = 1_000;

/// The most rows of a parent the generator leaves alone that its children reference.
const MAX_EXISTING: usize = 10_000;

/// How deep a value may follow foreign keys to the column it copies (a key that references a
/// key that references ...) before the generator gives up on it and writes NULL.
const MAX_REFERENCE_DEPTH: usize = 16;

/// How a column gets its value.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Source {
    /// A value of its type, integers counted from `start`.
    Kind { kind: Kind, start: i128 },
    /// One of the values its CHECK allows, in turn.
    Choices(Vec<String>),
    /// The referenced column of the foreign key `key` (an index into the plan's `references`),
    /// the `position`th column of the key.
    Reference { key: usize, position: usize },
    /// NULL: a type the generator does not know in a nullable column, or a nullable key that
    /// references a table filled later.
    Null,
    /// Left out so that its default applies: a type the generator does not know in a `NOT NULL`
    /// column with a default.
    Omitted,
}

/// One column of a plan.
#[derive(Clone, Debug)]
pub(super) struct ColumnPlan {
    pub name: String,
    pub source: Source,
    pub nullable: bool,
    pub has_default: bool,
    /// Part of the primary key, of a unique constraint or of a unique index: its values must
    /// differ between rows.
    pub keyed: bool,
    /// An `identity always` column: explicit values need `OVERRIDING SYSTEM VALUE`.
    pub identity_always: bool,
}

/// A foreign key, as the plan follows it.
#[derive(Clone, Debug)]
pub(super) struct Reference {
    pub parent: String,
    /// The key's columns in this table.
    pub columns: Vec<String>,
    /// The columns of the parent they reference, in the same order.
    pub referenced: Vec<String>,
    /// Which of the table's keys it is: two keys into the same parent take different rows.
    pub slot: usize,
    /// The parent is filled after this table (a cycle): it references the rows planned there.
    pub forward: bool,
    /// The referenced columns of the rows a parent the generator leaves alone (the stamp's
    /// table, a table the configuration excludes) holds, as text; `None` for a parent it fills.
    pub existing: Option<Rows>,
}

/// How every column of one table gets its values.
#[derive(Clone, Debug)]
pub(super) struct TablePlan {
    pub name: String,
    pub columns: Vec<ColumnPlan>,
    pub references: Vec<Reference>,
}

/// The plans of every table to fill, and the regular rows inserted so far in each.
pub(super) struct Plans {
    pub plans: BTreeMap<String, TablePlan>,
    pub inserted: BTreeMap<String, Vec<usize>>,
    /// The regular rows planned per table.
    pub rows: usize,
}

/// A row to insert: the columns it names (by index into the plan) and each one's literal
/// (`None` for NULL).
pub(super) type Row = Vec<(usize, Option<String>)>;

impl TablePlan {
    /// The plan of `table`: reads the largest value of its keyed integer columns from `db`, so
    /// that the generated keys begin above the rows already there.
    pub(super) fn new(
        db: &mut dyn Database,
        schema: &Schema,
        table: &Table,
        dialect: Dialect,
        order: &Order,
        timeout: Duration,
    ) -> anyhow::Result<TablePlan> {
        let restrictions = restrictions(table, dialect);
        let keyed = keyed_columns(schema, table);
        let mut references = references(table, &order.forward);
        for reference in &mut references {
            let left_alone = reference.parent != table.name
                && !order.tables.contains(&reference.parent)
                && schema.tables.contains_key(&reference.parent);
            if left_alone {
                reference.existing = Some(existing_rows(db, dialect, reference, timeout)?);
            }
        }
        let mut columns = Vec::new();
        for column in &table.columns {
            if column
                .generated
                .as_deref()
                .is_some_and(|how| how.starts_with("generated"))
            {
                continue;
            }
            let is_keyed = keyed.contains(column.name.as_str());
            let source = match reference_of(table, &references, &column.name) {
                Some(source) => source,
                None => {
                    let restriction = restrictions.get(&column.name);
                    let kind = kind_of(&column.data_type, dialect, &schema.enums);
                    let kind = json_in_text(restricted(kind, restriction), column, restriction);
                    let start = match kind {
                        Kind::Integer { .. } if is_keyed => {
                            first_above(db, dialect, &table.name, &column.name, timeout)?
                        }
                        _ => FIRST_INTEGER,
                    };
                    value_source(column, kind, start, restriction)
                }
            };
            columns.push(ColumnPlan {
                name: column.name.clone(),
                source,
                nullable: !column.not_null,
                has_default: column.default.is_some() || column.generated.is_some(),
                keyed: is_keyed,
                identity_always: column.generated.as_deref() == Some("identity always"),
            });
        }
        Ok(TablePlan {
            name: table.name.clone(),
            columns,
            references,
        })
    }

    /// Whether the edge row of `flavor` differs from a regular row, so that it is worth writing.
    pub(super) fn has_edge(&self, flavor: Flavor) -> bool {
        self.columns.iter().any(|column| match flavor {
            Flavor::Regular => false,
            Flavor::Nulls => column.nullable && column.source != Source::Omitted,
            Flavor::Defaults => {
                column.has_default && !column.keyed && column.source != Source::Omitted
            }
            Flavor::Empty => empty_applies(column),
            Flavor::Long => matches!(
                &column.source,
                Source::Kind {
                    kind: Kind::Text { .. } | Kind::Json,
                    ..
                }
            ),
        })
    }

    /// Row `row` of the flavour `flavor`, by the plans of the tables it references.
    pub(super) fn row(&self, row: usize, flavor: Flavor, plans: &Plans) -> Row {
        let mut out = Vec::new();
        for (index, column) in self.columns.iter().enumerate() {
            let value = match flavor {
                _ if column.source == Source::Omitted => continue,
                Flavor::Defaults if column.has_default && !column.keyed => continue,
                Flavor::Nulls if column.nullable => None,
                Flavor::Empty if !empty_applies(column) => {
                    self.value(index, row, Flavor::Regular, plans, 0)
                }
                _ => self.value(index, row, flavor, plans, 0),
            };
            out.push((index, value));
        }
        out
    }

    /// The literal of column `index` in row `row`; `None` for NULL.
    fn value(
        &self,
        index: usize,
        row: usize,
        flavor: Flavor,
        plans: &Plans,
        depth: usize,
    ) -> Option<String> {
        let column = &self.columns[index];
        match &column.source {
            Source::Kind { kind, start } => literal(kind, &column.name, row, flavor, *start),
            Source::Choices(values) => Some(values[row % values.len()].clone()),
            Source::Null | Source::Omitted => None,
            Source::Reference { key, position } => {
                let reference = &self.references[*key];
                if let Some(existing) = &reference.existing {
                    let index = spread(row, reference.slot, existing.len())?;
                    return existing[index]
                        .get(*position)?
                        .as_deref()
                        .map(quote_literal);
                }
                let parent = if reference.parent == self.name {
                    self
                } else {
                    plans.plans.get(&reference.parent)?
                };
                let parent_row = self.parent_row(reference, row, plans)?;
                let target = reference.referenced.get(*position)?;
                let referenced = parent
                    .columns
                    .iter()
                    .position(|column| &column.name == target)?;
                if depth >= MAX_REFERENCE_DEPTH {
                    return None;
                }
                parent.value(referenced, parent_row, Flavor::Regular, plans, depth + 1)
            }
        }
    }

    /// The parent row that row `row` references through `reference`: a row of the parent that
    /// was inserted, a different one for each of the table's keys into the same parent, so that
    /// a pair of keys (a relation between two memos) is not one row twice. A table's reference
    /// to itself takes the row half its number (row 0 references itself), which makes a tree.
    fn parent_row(&self, reference: &Reference, row: usize, plans: &Plans) -> Option<usize> {
        if reference.parent == self.name {
            return Some(row / 2);
        }
        let planned: Vec<usize>;
        let rows = if reference.forward {
            planned = (0..plans.rows).collect();
            &planned
        } else {
            plans.inserted.get(&reference.parent)?
        };
        Some(rows[spread(row, reference.slot, rows.len())?])
    }
}

/// Which of `count` parent rows row `row` references through the table's key number `slot`:
/// row by row, and for each further key into the same parent one row further on, and one more
/// in each round past the parent's rows, so that two keys of a row, or two rows, rarely repeat
/// a pair. `None` where the parent has no rows.
fn spread(row: usize, slot: usize, count: usize) -> Option<usize> {
    (count > 0).then(|| (row + slot * (1 + row / count)) % count)
}

/// The rows of the parent of `reference`, which the generator leaves alone: the values of the
/// referenced columns, in their order.
fn existing_rows(
    db: &mut dyn Database,
    dialect: Dialect,
    reference: &Reference,
    timeout: Duration,
) -> anyhow::Result<Rows> {
    let columns: Vec<String> = reference
        .referenced
        .iter()
        .map(|name| quote_identifier(name))
        .collect();
    let present: Vec<String> = columns
        .iter()
        .map(|column| format!("{column} IS NOT NULL"))
        .collect();
    let sql = format!(
        "SELECT {list} FROM {parent} WHERE {present} ORDER BY {list} LIMIT {MAX_EXISTING}",
        list = columns.join(", "),
        parent = table_ref(&reference.parent, dialect),
        present = present.join(" AND "),
    );
    db.query(&sql, timeout)
        .map_err(|error| anyhow!("reading the keys of table {}: {error}", reference.parent))
}

/// Whether the empty edge row gives `column` a value of its own: an empty text, JSON object or
/// array, or the oldest date. A keyed column with a default keeps its regular value there, since
/// the defaults' edge row may already hold that default (`''`) once.
fn empty_applies(column: &ColumnPlan) -> bool {
    let Source::Kind { kind, .. } = &column.source else {
        return false;
    };
    let empties = matches!(
        kind,
        Kind::Text { .. }
            | Kind::Json
            | Kind::Date
            | Kind::Timestamp { .. }
            | Kind::Bytes { .. }
            | Kind::Array { .. }
    );
    empties && !(column.keyed && column.has_default)
}

/// The columns whose values must differ between rows: those of the primary key, of unique
/// constraints and of unique indexes (for an expression, the columns it names).
fn keyed_columns<'a>(schema: &Schema, table: &'a Table) -> BTreeSet<&'a str> {
    let mut keys: Vec<&str> = Vec::new();
    for key in table.primary_key.iter().chain(&table.uniques) {
        keys.extend(key.columns.iter().map(String::as_str));
    }
    let index_keys = schema
        .indexes
        .values()
        .filter(|index| index.unique && index.table == table.name)
        .flat_map(|index| &index.columns);
    let words: BTreeSet<&str> = index_keys
        .flat_map(|key| key.split(|c: char| !(c.is_alphanumeric() || c == '_')))
        .collect();
    table
        .columns
        .iter()
        .map(|column| column.name.as_str())
        .filter(|name| keys.contains(name) || words.contains(name))
        .collect()
}

/// The foreign keys of `table` as the plan follows them.
fn references(table: &Table, forward: &BTreeSet<(String, usize)>) -> Vec<Reference> {
    table
        .foreign_keys
        .iter()
        .enumerate()
        .map(|(index, key)| Reference {
            parent: key.referenced_table.clone(),
            columns: key.columns.clone(),
            referenced: key.referenced_columns.clone(),
            slot: index,
            forward: forward.contains(&(table.name.clone(), index)),
            existing: None,
        })
        .collect()
}

/// The source of a column that belongs to a foreign key: the first key that holds it. A
/// nullable key into a table filled later is NULL: that is how a cycle of keys is broken.
fn reference_of(table: &Table, references: &[Reference], name: &str) -> Option<Source> {
    let (key, reference) = references
        .iter()
        .enumerate()
        .find(|(_, reference)| reference.columns.iter().any(|column| column == name))?;
    let position = reference.columns.iter().position(|column| column == name)?;
    let nullable = |columns: &[String]| {
        columns.iter().all(|column| {
            table
                .columns
                .iter()
                .any(|c| &c.name == column && !c.not_null)
        })
    };
    if reference.forward && nullable(&reference.columns) {
        return Some(Source::Null);
    }
    Some(Source::Reference { key, position })
}

/// The kind of a column narrowed by what its CHECKs allow: an integer range (a range over a
/// decimal or floating-point column is written as integers, which those types take too), a
/// shorter text.
fn restricted(kind: Kind, restriction: Option<&Restriction>) -> Kind {
    let Some(restriction) = restriction else {
        return kind;
    };
    match kind {
        Kind::Integer { min, max } => Kind::Integer {
            min: restriction.min.map_or(min, |low| low.max(min)),
            max: restriction.max.map_or(max, |high| high.min(max)),
        },
        Kind::Decimal { .. } | Kind::Float
            if restriction.min.is_some() || restriction.max.is_some() =>
        {
            Kind::Integer {
                min: restriction.min.unwrap_or(0),
                max: restriction.max.unwrap_or(i128::from(i32::MAX)),
            }
        }
        Kind::Text { max } => Kind::Text {
            max: match (max, restriction.max_length) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        },
        other => other,
    }
}

/// A text column that holds JSON takes JSON objects: one whose CHECK calls `json_valid` on it,
/// or whose default is an empty object or array (services keep JSON in text columns, SQLite
/// always does).
fn json_in_text(kind: Kind, column: &Column, restriction: Option<&Restriction>) -> Kind {
    let json_default = matches!(column.default.as_deref(), Some("'{}'" | "'[]'"));
    match kind {
        Kind::Text { .. } if json_default || restriction.is_some_and(|r| r.json) => Kind::Json,
        other => other,
    }
}

/// The source of a column that is no foreign key: its CHECK's list, or its kind; a kind the
/// generator does not know gives NULL where the column may hold it, else its default.
fn value_source(
    column: &Column,
    kind: Kind,
    start: i128,
    restriction: Option<&Restriction>,
) -> Source {
    if let Some(choices) = restriction.and_then(|restriction| restriction.choices.clone()) {
        return Source::Choices(choices);
    }
    match kind {
        Kind::Unknown if column.not_null && column.default.is_some() => Source::Omitted,
        Kind::Unknown => Source::Null,
        kind => Source::Kind { kind, start },
    }
}

/// The first integer above the largest value `column` of `table` holds already, and at least
/// `FIRST_INTEGER`, so that generated keys never meet the rows a fresh install wrote.
fn first_above(
    db: &mut dyn Database,
    dialect: Dialect,
    table: &str,
    column: &str,
    timeout: Duration,
) -> anyhow::Result<i128> {
    let sql = format!(
        "SELECT max({}) FROM {}",
        quote_identifier(column),
        table_ref(table, dialect)
    );
    let rows = db
        .query(&sql, timeout)
        .map_err(|error| anyhow!("reading the largest {column} of table {table}: {error}"))?;
    let largest = rows
        .first()
        .and_then(|row| row.first().cloned().flatten())
        .and_then(|text| text.parse::<i128>().ok());
    Ok(largest.map_or(FIRST_INTEGER, |largest| FIRST_INTEGER.max(largest + 1)))
}
