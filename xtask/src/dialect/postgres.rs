//! PostgreSQL, as the checks see it.

use super::{DropIndexedColumn, Family, Leak, LintPolicy, NotNullWithoutDefault, ParserGap, Spec};

pub(super) struct Postgres;

const LINT: LintPolicy = LintPolicy {
    alter_table_if_exists: true,
    alters_column_types: true,
    pragma_foreign_keys: false,
    not_null_without_default: NotNullWithoutDefault::RefusedWithRows,
    drop_indexed_column: DropIndexedColumn::DropsTheIndex,
};

impl Spec for Postgres {
    fn folder(&self) -> &'static str {
        "postgres"
    }

    fn engine(&self) -> &'static str {
        "PostgreSQL"
    }

    fn parser_dialect(&self) -> &'static dyn sqlparser::dialect::Dialect {
        &sqlparser::dialect::PostgreSqlDialect {}
    }

    fn quoted_names_fold_case(&self) -> bool {
        false
    }

    fn parser_gap(&self, leading: &[&str]) -> Option<ParserGap> {
        match leading {
            // Both `DO $$ ... $$` and `DO LANGUAGE plpgsql $$ ... $$`.
            ["DO", ..] => Some(ParserGap::Whole("DO")),
            ["REINDEX", ..] => Some(ParserGap::Whole("REINDEX")),
            // sqlparser reads `COMMENT ON FUNCTION f IS ...` but not the argument list that
            // PostgreSQL needs to tell overloads apart: `COMMENT ON FUNCTION f(int) IS ...`.
            ["COMMENT", "ON", "FUNCTION", ..] => Some(ParserGap::Whole("COMMENT ON FUNCTION")),
            ["COMMENT", "ON", "PROCEDURE", ..] => Some(ParserGap::Whole("COMMENT ON PROCEDURE")),
            // sqlparser reads `CREATE PROCEDURE ... BEGIN ATOMIC ... END` only; neither an
            // `AS $$ ... $$` body nor `OR REPLACE`.
            ["CREATE", "PROCEDURE", ..] | ["CREATE", "OR", "REPLACE", "PROCEDURE", ..] => {
                Some(ParserGap::Whole("CREATE PROCEDURE"))
            }
            ["ALTER", "SEQUENCE", ..] => Some(ParserGap::Whole("ALTER SEQUENCE")),
            // `ALTER COLUMN c TYPE TEXT COLLATE "C"` (and `SET DATA TYPE`): sqlparser stops at
            // the COLLATE.
            ["ALTER", "TABLE", ..] => Some(ParserGap::WithoutCollate(
                "ALTER COLUMN ... TYPE ... COLLATE",
            )),
            _ => None,
        }
    }

    fn leaks(&self) -> &'static [Leak] {
        &[
            Leak::Backticks,
            Leak::ConflictClauses,
            Leak::Autoincrement,
            Leak::Pragma,
        ]
    }

    fn has_extensions(&self) -> bool {
        true
    }

    fn index_keys_have_casts(&self) -> bool {
        true
    }

    fn lint(&self) -> &'static LintPolicy {
        &LINT
    }

    fn family_types(&self, family: Family) -> &'static [&'static str] {
        // As `format_type` prints them, and their aliases.
        match family {
            Family::Integer => &[
                "smallint", "integer", "bigint", "int", "int2", "int4", "int8",
            ],
            Family::Text => &[
                "text",
                "character varying",
                "varchar",
                "character",
                "char",
                "bpchar",
            ],
            Family::Boolean => &["boolean", "bool"],
            Family::Binary => &["bytea"],
            Family::Json => &["json", "jsonb"],
            Family::Timestamp => &[
                "timestamp",
                "timestamp without time zone",
                "timestamp with time zone",
                "timestamptz",
            ],
            Family::Numeric => &["numeric", "decimal"],
            Family::Floating => &["real", "double precision", "float4", "float8"],
        }
    }

    fn boolean_needs_check(&self) -> bool {
        false
    }
}
