//! Names as the generator writes them in SQL.

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
