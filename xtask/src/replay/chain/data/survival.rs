//! Data survival: every table's rows are read right before the pending migrations and again after
//! the chain, and compared by primary key (a table without one as a multiset of whole rows),
//! following tables and columns through the chain's renames. What a statement means to change
//! (`events`) is not compared.

use std::collections::{BTreeMap, BTreeSet};

use super::super::{Chain, Failure, Plan};
use super::events::{self, Event, Located};
use super::failed::show;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::engine::{Database, Rows};
use crate::schema::Schema;
use crate::sql::SqlFile;

/// A value as `Database::query` gives it, and a row (or a key) of them.
type Value = Option<String>;
type Row = Vec<Value>;

/// The rows before the pending migrations, and the migrations.
pub struct Before<'f> {
    pending: Vec<&'f SqlFile>,
    tables: Vec<TableRows>,
}

struct TableRows {
    name: String,
    columns: Vec<String>,
    /// The primary key's columns.
    key: Vec<String>,
    rows: Rows,
}

/// Reads every table's rows (but the stamp's table, which the service writes) before `pending`
/// runs.
pub(super) fn before<'f>(
    plan: &Plan<'f>,
    db: &mut dyn Database,
    pending: &[&'f SqlFile],
) -> Result<Option<Before<'f>>, Failure<'f>> {
    let schema = db
        .introspect()
        .map_err(|e| Failure::Engine(format!("{e:#}")))?;
    let mut tables = Vec::new();
    for table in schema.tables.values() {
        if table.name == plan.stamp.table {
            continue;
        }
        let columns: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
        let rows = read(db, plan, &table.name, &columns)?;
        tables.push(TableRows {
            name: table.name.clone(),
            key: table
                .primary_key
                .as_ref()
                .map(|k| k.columns.clone())
                .unwrap_or_default(),
            columns,
            rows,
        });
    }
    Ok(Some(Before {
        pending: pending.to_vec(),
        tables,
    }))
}

fn read<'f>(
    db: &mut dyn Database,
    plan: &Plan<'_>,
    table: &str,
    columns: &[String],
) -> Result<Rows, Failure<'f>> {
    let quoted: Vec<String> = columns.iter().map(|c| quote(c)).collect();
    let sql = format!("SELECT {} FROM {}", quoted.join(", "), quote_table(table));
    let timeout = plan.time_for_statement().ok_or(Failure::OutOfTime)?;
    db.query(&sql, timeout)
        .map_err(|e| Failure::Engine(format!("cannot read the rows of {table}: {e}")))
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn quote_table(name: &str) -> String {
    name.split('.').map(quote).collect::<Vec<_>>().join(".")
}

/// A `data-lost` finding, and what an `[[allow]]` entry names to accept it: the object
/// (`table memo`) and the aspect (`column visibility`, or `rows`).
pub struct Loss {
    pub object: String,
    pub aspect: String,
    pub diagnostic: Diagnostic,
}

impl From<DataLost<'_>> for Loss {
    fn from(lost: DataLost<'_>) -> Loss {
        Loss {
            object: format!("table {}", lost.table),
            aspect: lost
                .column
                .as_ref()
                .map_or_else(|| "rows".to_string(), |c| format!("column {c}")),
            diagnostic: lost.into(),
        }
    }
}

/// Rows of a table that did not survive the chain.
pub(super) struct DataLost<'e> {
    table: String,
    /// The column whose values changed; `None` where rows are missing.
    column: Option<String>,
    rows: usize,
    example: String,
    /// The pending statement that touched the table last.
    blame: Option<&'e Located<'e>>,
}

impl From<DataLost<'_>> for Diagnostic {
    fn from(lost: DataLost<'_>) -> Diagnostic {
        let what = match &lost.column {
            Some(column) => format!(
                "column {}.{column} lost its values in {} row(s)",
                lost.table, lost.rows
            ),
            None => format!("table {} lost {} row(s)", lost.table, lost.rows),
        };
        let mut diagnostic = Diagnostic::new(
            Code::DataLost,
            format!(
                "{what} in the upgrade, though no statement of the chain writes, drops or deletes \
                 them; e.g. {}",
                lost.example
            ),
        )
        .help(
            "copy the data along (a table rebuild's `INSERT ... SELECT` must name every column \
             it keeps), or, where the loss is meant, write it as its own statement (`UPDATE`, \
             `DROP COLUMN`, `DELETE`) or accept it with an [[allow]] entry (check = \"data\") \
             and its reason",
        );
        if let Some(located) = lost.blame {
            diagnostic = diagnostic.file(located.file.source.display.clone()).span(
                crate::replay::failure::statement_span(located.file, located.statement),
            );
        }
        diagnostic
    }
}

/// Compares the rows after the chain (whose schema is `after`) with those before, and reports
/// what was lost.
pub(in crate::replay) fn after<'f>(
    chain: &Chain<'f>,
    plan: &Plan<'f>,
    db: &mut dyn Database,
    before: &Before<'f>,
    after: &Schema,
    findings: &mut Vec<Loss>,
) -> Result<(), Failure<'f>> {
    let events = events::of(&before.pending, chain.dialect);
    for table in &before.tables {
        let fate = Fate::of(&table.name, &events);
        let Some(now) = after.tables.get(&fate.name) else {
            if !fate.dropped {
                findings.push(
                    DataLost {
                        table: table.name.clone(),
                        column: None,
                        rows: table.rows.len(),
                        example: format!("the table is gone (as {})", fate.name),
                        blame: fate.blame(&events),
                    }
                    .into(),
                );
            }
            continue;
        };
        let kept: Vec<(usize, String)> = table
            .columns
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let column = fate.column(c, &events);
                let present = now.columns.iter().any(|n| n.name == column);
                (present && !fate.written.contains(&column)).then_some((i, column))
            })
            .collect();
        if kept.is_empty() {
            continue;
        }
        let names: Vec<String> = kept.iter().map(|(_, c)| c.clone()).collect();
        let rows = read(db, plan, &fate.name, &names)?;
        let old: Rows = table
            .rows
            .iter()
            .map(|row| kept.iter().map(|(i, _)| row[*i].clone()).collect())
            .collect();
        let key: Option<Vec<usize>> = table
            .key
            .iter()
            .map(|k| kept.iter().position(|(i, _)| &table.columns[*i] == k))
            .collect::<Option<_>>()
            .filter(|k: &Vec<usize>| !k.is_empty());
        let compared = Compared {
            table: &table.name,
            names: &names,
            deletes: fate.deleted,
            blame: fate.blame(&events),
        };
        match key {
            Some(key) => compared.by_key(&key, &old, &rows, findings),
            None => compared.as_multiset(&old, &rows, findings),
        }
    }
    Ok(())
}

/// What the chain's statements do to one table that existed before it.
struct Fate {
    /// Its name after the chain.
    name: String,
    /// Every name it had, the first included.
    names: Vec<String>,
    dropped: bool,
    deleted: bool,
    /// Its columns (by their names after the chain) that a statement writes or drops.
    written: BTreeSet<String>,
}

impl Fate {
    fn of(table: &str, events: &[Located<'_>]) -> Fate {
        let mut fate = Fate {
            name: table.to_string(),
            names: vec![table.to_string()],
            dropped: false,
            deleted: false,
            written: BTreeSet::new(),
        };
        for located in events {
            match &located.event {
                Event::RenameTable { from, to } if *from == fate.name => {
                    fate.name = to.clone();
                    fate.names.push(to.clone());
                }
                Event::DropTable(name) if *name == fate.name => fate.dropped = true,
                Event::Delete(name) if *name == fate.name => fate.deleted = true,
                _ => {}
            }
        }
        // A rebuild's new table takes the name of the one it replaces: what is done to it
        // (its `INSERT ... SELECT`) is done to the rows of this one.
        let replacements: Vec<String> = events
            .iter()
            .filter_map(|located| match &located.event {
                Event::RenameTable { from, to }
                    if fate.names.contains(to) && !fate.names.contains(from) =>
                {
                    Some(from.clone())
                }
                _ => None,
            })
            .collect();
        fate.names.extend(replacements);
        // A written column is known by its name after the chain: later renames are followed.
        for (index, located) in events.iter().enumerate() {
            if let Event::Write { table, column } = &located.event {
                if fate.names.contains(table) {
                    fate.written
                        .insert(follow_column(table, column, &events[index + 1..]));
                }
            }
        }
        fate
    }

    /// The name after the chain of the table's column `column`.
    fn column(&self, column: &str, events: &[Located<'_>]) -> String {
        follow_column(&self.names[0], column, events)
    }

    /// The last statement that fills the table (`INSERT INTO` it, or the rebuild's new table),
    /// else the last that names it by any of its names.
    fn blame<'e>(&self, events: &'e [Located<'e>]) -> Option<&'e Located<'e>> {
        let on_table =
            |located: &&Located<'_>| self.names.iter().any(|n| n == located.event.table());
        let mut on = events.iter().rev().filter(on_table);
        let last = on.clone().next();
        on.find(|located| matches!(located.event, Event::Fill(_)))
            .or(last)
    }
}

/// Follows a column of `table` through the renames of its table and of itself in `events`.
fn follow_column(table: &str, column: &str, events: &[Located<'_>]) -> String {
    let (mut table, mut column) = (table.to_string(), column.to_string());
    for located in events {
        match &located.event {
            Event::RenameTable { from, to } if *from == table => table = to.clone(),
            Event::RenameColumn {
                table: on,
                from,
                to,
            } if *on == table && *from == column => column = to.clone(),
            _ => {}
        }
    }
    column
}

/// One table's rows before and after, compared.
struct Compared<'a> {
    table: &'a str,
    names: &'a [String],
    /// Whether a statement deletes rows of it: missing rows are then meant.
    deletes: bool,
    blame: Option<&'a Located<'a>>,
}

impl<'a> Compared<'a> {
    fn lost(&self, column: Option<String>, rows: usize, example: String) -> DataLost<'a> {
        DataLost {
            table: self.table.to_string(),
            column,
            rows,
            example,
            blame: self.blame,
        }
    }

    fn by_key(&self, key: &[usize], old: &Rows, new: &Rows, findings: &mut Vec<Loss>) {
        let keyed = |rows: &Rows| -> BTreeMap<Row, Row> {
            rows.iter()
                .map(|row| (key.iter().map(|i| row[*i].clone()).collect(), row.clone()))
                .collect()
        };
        let (old, new) = (keyed(old), keyed(new));
        let key_names: Vec<&str> = key.iter().map(|i| self.names[*i].as_str()).collect();
        let shown_key = |k: &[Option<String>]| format!("({})=({})", key_names.join(", "), show(k));
        let missing: Vec<&Vec<Option<String>>> =
            old.keys().filter(|k| !new.contains_key(*k)).collect();
        if let (Some(first), false) = (missing.first(), self.deletes) {
            let example = format!("the row with key {} is gone", shown_key(first));
            findings.push(self.lost(None, missing.len(), example).into());
        }
        for (column, name) in self.names.iter().enumerate() {
            let changed: Vec<(&Row, &Value, &Value)> = old
                .iter()
                .filter_map(|(k, row)| {
                    let now = new.get(k)?;
                    (now[column] != row[column]).then_some((k, &row[column], &now[column]))
                })
                .collect();
            if let Some((k, was, is)) = changed.first() {
                let example = format!(
                    "the row with key {}: {} before, {} after",
                    shown_key(k),
                    show(std::slice::from_ref(*was)),
                    show(std::slice::from_ref(*is))
                );
                findings.push(self.lost(Some(name.clone()), changed.len(), example).into());
            }
        }
    }

    fn as_multiset(&self, old: &Rows, new: &Rows, findings: &mut Vec<Loss>) {
        let mut left: BTreeMap<&Vec<Option<String>>, usize> = BTreeMap::new();
        for row in new {
            *left.entry(row).or_default() += 1;
        }
        let mut gone = Vec::new();
        for row in old {
            match left.get_mut(row) {
                Some(n) if *n > 0 => *n -= 1,
                _ => gone.push(row),
            }
        }
        if let (Some(first), false) = (gone.first(), self.deletes && new.len() < old.len()) {
            let example = format!(
                "the row ({})=({}) is not there after the chain (the table has no primary key: \
                 rows are compared whole)",
                self.names.join(", "),
                show(first)
            );
            findings.push(self.lost(None, gone.len(), example).into());
        }
    }
}
