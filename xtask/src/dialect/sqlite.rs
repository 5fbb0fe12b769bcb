//! SQLite, as the checks see it.

use super::{DropIndexedColumn, Family, Leak, LintPolicy, NotNullWithoutDefault, ParserGap, Spec};

pub(super) struct Sqlite;

const LINT: LintPolicy = LintPolicy {
    alter_table_if_exists: false,
    alters_column_types: false,
    pragma_foreign_keys: true,
    not_null_without_default: NotNullWithoutDefault::Refused,
    drop_indexed_column: DropIndexedColumn::Refused,
};

/// The declared integer types (integer affinity) the parity families know.
const INTEGER: [&str; 8] = [
    "integer",
    "int",
    "bigint",
    "smallint",
    "tinyint",
    "mediumint",
    "int2",
    "int8",
];

/// A boolean is declared `boolean`, `bool`, or as an integer type (with its 0/1 CHECK): the
/// integer types are copied from `INTEGER`, so that the two lists cannot drift apart.
static BOOLEAN: [&str; INTEGER.len() + 2] = {
    let mut all = [""; INTEGER.len() + 2];
    all[0] = "boolean";
    all[1] = "bool";
    let mut index = 0;
    while index < INTEGER.len() {
        all[index + 2] = INTEGER[index];
        index += 1;
    }
    all
};

impl Spec for Sqlite {
    fn folder(&self) -> &'static str {
        "sqlite"
    }

    fn engine(&self) -> &'static str {
        "SQLite"
    }

    fn parser_dialect(&self) -> &'static dyn sqlparser::dialect::Dialect {
        &sqlparser::dialect::SQLiteDialect {}
    }

    fn quoted_names_fold_case(&self) -> bool {
        true
    }

    fn parser_gap(&self, leading: &[&str]) -> Option<ParserGap> {
        match leading {
            // sqlparser wants a literal value: `PRAGMA foreign_keys = off` and
            // `PRAGMA table_info(memo)` fail, `PRAGMA foreign_keys = 1` does not.
            ["PRAGMA", ..] => Some(ParserGap::Whole("PRAGMA")),
            ["REINDEX", ..] => Some(ParserGap::Whole("REINDEX")),
            ["CREATE", "TRIGGER", "IF", "NOT", "EXISTS", ..]
            | ["CREATE", "TEMP" | "TEMPORARY", "TRIGGER", "IF", "NOT", "EXISTS", ..] => Some(
                ParserGap::WithoutIfNotExists("CREATE TRIGGER IF NOT EXISTS"),
            ),
            _ => None,
        }
    }

    fn leaks(&self) -> &'static [Leak] {
        &[
            Leak::DoubleColonCasts,
            Leak::PostgresTypes,
            Leak::FunctionsOrDollarBodies,
            Leak::UpdateFrom,
        ]
    }

    fn has_extensions(&self) -> bool {
        false
    }

    fn index_keys_have_casts(&self) -> bool {
        false
    }

    fn lint(&self) -> &'static LintPolicy {
        &LINT
    }

    fn family_types(&self, family: Family) -> &'static [&'static str] {
        // Declared types, which SQLite reads by affinity; a boolean also needs its 0/1 CHECK.
        match family {
            Family::Integer => &INTEGER,
            Family::Text => &[
                "text",
                "varchar",
                "character varying",
                "char",
                "character",
                "nvarchar",
                "nchar",
                "clob",
            ],
            Family::Boolean => &BOOLEAN,
            Family::Binary => &["blob"],
            Family::Json => &["json", "jsonb", "text"],
            Family::Timestamp => &["datetime", "timestamp", "text"],
            Family::Numeric => &["numeric", "decimal"],
            Family::Floating => &["real", "double", "double precision", "float"],
        }
    }

    fn boolean_needs_check(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_boolean_may_be_declared_as_every_integer_type() {
        let boolean = Sqlite.family_types(Family::Boolean);
        assert_eq!(&boolean[..2], ["boolean", "bool"]);
        assert_eq!(&boolean[2..], Sqlite.family_types(Family::Integer));
    }
}
