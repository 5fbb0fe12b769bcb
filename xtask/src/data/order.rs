//! The order tables are filled in: parents before children, so that a foreign key finds the rows
//! it references. A cycle of foreign keys is broken at the table with the fewest `NOT NULL` keys
//! into the tables still to fill: its keys into them are filled later than it, so they are
//! NULL where their columns may be, and otherwise reference the rows the later table will get
//! (which only a deferred constraint accepts; the engine reports the rest).

use std::collections::{BTreeMap, BTreeSet};

use crate::schema::{ForeignKey, Schema, Table};

/// The tables to fill, in order, and the foreign keys that point forward in it.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Order {
    pub tables: Vec<String>,
    /// (table, index in its `foreign_keys`) of each key that references a table filled later.
    pub forward: BTreeSet<(String, usize)>,
}

impl Order {
    /// Whether a forward key has a `NOT NULL` column: its rows need the key checked at commit.
    pub(super) fn needs_deferral(&self, schema: &Schema) -> bool {
        self.forward.iter().any(|(name, index)| {
            let table = &schema.tables[name];
            required(table, &table.foreign_keys[*index])
        })
    }
}

/// The order in which the tables of `schema` but `skip` are filled.
pub(super) fn fill_order(schema: &Schema, skip: &[String]) -> Order {
    let mut remaining: BTreeMap<&str, &Table> = schema
        .tables
        .iter()
        .filter(|(name, _)| !skip.contains(name))
        .map(|(name, table)| (name.as_str(), table))
        .collect();
    let mut order = Order::default();
    while !remaining.is_empty() {
        let ready = remaining
            .iter()
            .find(|(name, table)| parents_in(table, name, &remaining).next().is_none())
            .map(|(name, _)| *name);
        let next = match ready {
            Some(name) => name,
            None => break_cycle(&remaining, &mut order),
        };
        remaining.remove(next);
        order.tables.push(next.to_string());
    }
    order
}

/// Picks the table that breaks a cycle among `remaining` and records its forward keys.
fn break_cycle<'a>(remaining: &BTreeMap<&'a str, &Table>, order: &mut Order) -> &'a str {
    let (name, table) = remaining
        .iter()
        .min_by_key(|(name, table)| {
            let binding = parents_in(table, name, remaining)
                .filter(|(_, key)| required(table, key))
                .count();
            (binding, **name)
        })
        .map(|(name, table)| (*name, *table))
        .expect("a cycle among tables left to fill has a table");
    for (index, _) in parents_in(table, name, remaining) {
        order.forward.insert((name.to_string(), index));
    }
    name
}

/// The foreign keys of `table` (named `name`) into other tables of `remaining`, with their index.
fn parents_in<'t>(
    table: &'t Table,
    name: &'t str,
    remaining: &'t BTreeMap<&str, &Table>,
) -> impl Iterator<Item = (usize, &'t ForeignKey)> + 't {
    table
        .foreign_keys
        .iter()
        .enumerate()
        .filter(move |(_, key)| {
            key.referenced_table != name && remaining.contains_key(key.referenced_table.as_str())
        })
}

/// Whether a key has a `NOT NULL` column, so that a row cannot leave it empty.
fn required(table: &Table, key: &ForeignKey) -> bool {
    key.columns.iter().any(|name| {
        table
            .columns
            .iter()
            .any(|column| &column.name == name && column.not_null)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Column;

    fn table(name: &str, references: &[(&str, bool)]) -> (String, Table) {
        let columns = references
            .iter()
            .map(|(parent, not_null)| Column {
                name: format!("{parent}_id"),
                not_null: *not_null,
                ..Column::default()
            })
            .collect();
        let foreign_keys = references
            .iter()
            .map(|(parent, _)| ForeignKey {
                columns: vec![format!("{parent}_id")],
                referenced_table: parent.to_string(),
                referenced_columns: vec!["id".into()],
                ..ForeignKey::default()
            })
            .collect();
        (
            name.to_string(),
            Table {
                name: name.into(),
                columns,
                foreign_keys,
                ..Table::default()
            },
        )
    }

    #[test]
    fn parents_come_first_and_cycles_break_at_nullable_keys() {
        let schema = Schema {
            tables: [
                table("a", &[("c", true)]),
                table("b", &[("a", true), ("b", false)]),
                table("c", &[("b", false)]),
                table("skipped", &[]),
            ]
            .into_iter()
            .collect(),
            ..Schema::default()
        };
        let order = fill_order(&schema, &["skipped".to_string()]);
        assert_eq!(order.tables, ["c", "a", "b"]);
        assert_eq!(order.forward, BTreeSet::from([("c".to_string(), 0)]));
    }
}
