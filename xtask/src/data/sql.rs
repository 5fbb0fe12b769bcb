//! The SQL text the generator writes: quoted names and the `INSERT` of a batch of rows.

use super::plan::{Row, TablePlan};
use crate::dialect::Dialect;

/// Quotes an identifier (both dialects take double quotes, with inner quotes doubled).
pub(super) fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A table's name as SQL: PostgreSQL's schema keys name a table outside `public` as
/// `schema.table`.
pub(super) fn table_ref(name: &str, dialect: Dialect) -> String {
    match (dialect, name.split_once('.')) {
        (Dialect::Postgres, Some((schema, table))) => {
            format!("{}.{}", quote_identifier(schema), quote_identifier(table))
        }
        _ => quote_identifier(name),
    }
}

/// One `INSERT` of `rows`, which all name the same columns. A row that names no column is
/// written with `DEFAULT VALUES`, alone.
pub(super) fn insert(plan: &TablePlan, rows: &[Row], dialect: Dialect) -> String {
    let table = table_ref(&plan.name, dialect);
    let Some(first) = rows.first().filter(|row| !row.is_empty()) else {
        return format!("INSERT INTO {table} DEFAULT VALUES");
    };
    let columns: Vec<String> = first
        .iter()
        .map(|(index, _)| quote_identifier(&plan.columns[*index].name))
        .collect();
    let overriding = first
        .iter()
        .any(|(index, _)| plan.columns[*index].identity_always);
    let mut sql = format!("INSERT INTO {table} ({})", columns.join(", "));
    if overriding {
        sql.push_str(" OVERRIDING SYSTEM VALUE");
    }
    sql.push_str(" VALUES ");
    for (number, row) in rows.iter().enumerate() {
        if number > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for (position, (_, value)) in row.iter().enumerate() {
            if position > 0 {
                sql.push_str(", ");
            }
            sql.push_str(value.as_deref().unwrap_or("NULL"));
        }
        sql.push(')');
    }
    sql
}
