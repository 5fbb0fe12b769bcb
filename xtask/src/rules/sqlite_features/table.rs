//! The SQLite features a migration may use that older SQLite libraries reject, each with the
//! release that introduced it, as SQLite's release history (https://sqlite.org/changes.html)
//! records it. docs/sqlite-features.md is this table in prose; a test keeps the two equal.

use crate::config::engines::SqliteVersion;

use super::detect::{self, Find};

/// One feature: what it is, since when SQLite has it, how to find it and how to do without it.
pub struct Feature {
    /// The stable name of the row: the case `tests/cases/sqlite_minimum/<id>.txt` shows it.
    pub id: &'static str,
    /// The feature as the message names it, e.g. "`DROP COLUMN`".
    pub name: &'static str,
    /// The first release that has it.
    pub since: SqliteVersion,
    /// The date of that release, as the release history gives it.
    pub released: &'static str,
    /// How to write the same for an older SQLite.
    pub instead: &'static str,
    /// How a statement's tokens show it.
    pub find: Find,
}

const fn v(minor: u32) -> SqliteVersion {
    SqliteVersion::new(3, minor, 0)
}

/// The table, oldest first.
pub const FEATURES: &[Feature] = &[
    Feature {
        id: "upsert",
        name: "`ON CONFLICT ... DO` (UPSERT)",
        since: v(24),
        released: "2018-06-04",
        instead: "write `INSERT OR IGNORE` for `DO NOTHING`; for `DO UPDATE`, an `INSERT OR IGNORE` followed by an `UPDATE` of the same key",
        find: Find::Tokens(detect::upsert),
    },
    Feature {
        id: "rename-column",
        name: "`ALTER TABLE ... RENAME COLUMN`",
        since: v(25),
        released: "2018-09-15",
        instead: "rebuild the table: `CREATE TABLE new_t (...)` with the new name, `INSERT INTO new_t SELECT ... FROM t`, `DROP TABLE t`, `ALTER TABLE new_t RENAME TO t`, then recreate its indexes, triggers and views",
        find: Find::Tokens(detect::rename_column),
    },
    Feature {
        id: "window-functions",
        name: "a window function (`OVER`)",
        since: v(25),
        released: "2018-09-15",
        instead: "compute the value with a correlated subquery, e.g. `(SELECT count(*) FROM t AS o WHERE o.k <= t.k)` for `row_number() OVER (ORDER BY k)`",
        find: Find::Tokens(detect::window_functions),
    },
    Feature {
        id: "nulls-first-last",
        name: "`NULLS FIRST` or `NULLS LAST`",
        since: v(30),
        released: "2019-10-04",
        instead: "order by `x IS NULL` first: `ORDER BY x IS NULL, x` puts NULLs last, `ORDER BY x IS NOT NULL, x` first",
        find: Find::Tokens(detect::nulls_first_last),
    },
    Feature {
        id: "aggregate-filter",
        name: "`FILTER (WHERE ...)` on an aggregate",
        since: v(30),
        released: "2019-10-04",
        instead: "move the condition into the aggregate: `sum(CASE WHEN cond THEN x END)`, `count(CASE WHEN cond THEN 1 END)`",
        find: Find::Tokens(detect::aggregate_filter),
    },
    Feature {
        id: "generated-columns",
        name: "a generated column (`AS (...)`)",
        since: v(31),
        released: "2020-01-22",
        instead: "store the value in an ordinary column kept current by `AFTER INSERT` and `AFTER UPDATE` triggers, or compute it in a view",
        find: Find::Tokens(detect::generated_columns),
    },
    Feature {
        id: "iif",
        name: "`iif()`",
        since: v(32),
        released: "2020-05-22",
        instead: "write `CASE WHEN cond THEN a ELSE b END`",
        find: Find::Calls(&["iif"]),
    },
    Feature {
        id: "update-from",
        name: "`UPDATE ... FROM`",
        since: v(33),
        released: "2020-08-14",
        instead: "set the column from a correlated subquery: `UPDATE t SET a = (SELECT o.a FROM o WHERE o.id = t.id) WHERE EXISTS (SELECT 1 FROM o WHERE o.id = t.id)`",
        find: Find::Tokens(detect::update_from),
    },
    Feature {
        id: "drop-column",
        name: "`ALTER TABLE ... DROP COLUMN`",
        since: v(35),
        released: "2021-03-12",
        instead: "rebuild the table without the column: `CREATE TABLE new_t (...)`, `INSERT INTO new_t SELECT <the other columns> FROM t`, `DROP TABLE t`, `ALTER TABLE new_t RENAME TO t`, then recreate its indexes, triggers and views",
        find: Find::Tokens(detect::drop_column),
    },
    Feature {
        id: "returning",
        name: "`RETURNING`",
        since: v(35),
        released: "2021-03-12",
        instead: "a migration reads nothing back: drop the clause, or read the rows with a `SELECT` after the statement",
        find: Find::Tokens(detect::returning),
    },
    Feature {
        id: "upsert-generalized",
        name: "`ON CONFLICT DO UPDATE` without a conflict target, or a second `ON CONFLICT` clause",
        since: v(35),
        released: "2021-03-12",
        instead: "name the conflict target of the one clause: `ON CONFLICT (key) DO UPDATE SET ...`",
        find: Find::Tokens(detect::upsert_generalized),
    },
    Feature {
        id: "materialized-cte",
        name: "a `MATERIALIZED` or `NOT MATERIALIZED` hint on a common table expression",
        since: v(35),
        released: "2021-03-12",
        instead: "drop the hint: `WITH x AS (...)` means the same, only planned differently",
        find: Find::Tokens(detect::materialized_cte),
    },
    Feature {
        id: "strict-tables",
        name: "a `STRICT` table",
        since: v(37),
        released: "2021-11-27",
        instead: "drop `STRICT` and enforce the types with `CHECK (typeof(x) = 'integer')` constraints",
        find: Find::Tokens(detect::strict_tables),
    },
    Feature {
        id: "json-arrow",
        name: "the `->` or `->>` operator",
        since: v(38),
        released: "2022-02-22",
        instead: "write `json_extract(x, '$.path')` (where the SQLite has JSON1, see docs/sqlite-features.md)",
        find: Find::Tokens(detect::json_arrow),
    },
    Feature {
        id: "unixepoch",
        name: "`unixepoch()`",
        since: v(38),
        released: "2022-02-22",
        instead: "write `CAST(strftime('%s', x) AS INTEGER)` (`strftime('%s', 'now')` for the current time)",
        find: Find::Calls(&["unixepoch"]),
    },
    Feature {
        id: "json-functions",
        name: "a JSON function as a built-in",
        since: v(38),
        released: "2022-02-22",
        instead: "a SQLite older than 3.38 has the JSON functions only where it was built with JSON1 (`-DSQLITE_ENABLE_JSON1`): keep JSON as text and read it in the service, or, where every installation's SQLite has JSON1, accept the finding with a `[[severity]]` or `[[silence]]` entry that says so",
        find: Find::Calls(detect::JSON_FUNCTIONS),
    },
    Feature {
        id: "is-distinct-from",
        name: "`IS [NOT] DISTINCT FROM`",
        since: v(39),
        released: "2022-06-25",
        instead: "write `a IS NOT b` for `a IS DISTINCT FROM b` and `a IS b` for `a IS NOT DISTINCT FROM b`: SQLite's `IS` compares NULLs as equal",
        find: Find::Tokens(detect::is_distinct_from),
    },
    Feature {
        id: "right-full-join",
        name: "`RIGHT JOIN` or `FULL JOIN`",
        since: v(39),
        released: "2022-06-25",
        instead: "swap the tables of a `RIGHT JOIN` into a `LEFT JOIN`; write a `FULL JOIN` as a `LEFT JOIN` `UNION ALL` the unmatched rows of the other side",
        find: Find::Tokens(detect::right_full_join),
    },
    Feature {
        id: "octet-length",
        name: "`octet_length()`",
        since: v(43),
        released: "2023-08-24",
        instead: "write `length(CAST(x AS BLOB))`, the length in bytes",
        find: Find::Calls(&["octet_length"]),
    },
    Feature {
        id: "timediff",
        name: "`timediff()`",
        since: v(43),
        released: "2023-08-24",
        instead: "subtract two `julianday()` values (days) or two `strftime('%s', ...)` values (seconds)",
        find: Find::Calls(&["timediff"]),
    },
    Feature {
        id: "concat",
        name: "`concat()` or `concat_ws()`",
        since: v(44),
        released: "2023-11-01",
        instead: "write the `||` operator, with `coalesce(x, '')` where a value may be NULL",
        find: Find::Calls(&["concat", "concat_ws"]),
    },
    Feature {
        id: "string-agg",
        name: "`string_agg()`",
        since: v(44),
        released: "2023-11-01",
        instead: "write `group_concat(x, separator)`: `string_agg` is its new name",
        find: Find::Calls(&["string_agg"]),
    },
    Feature {
        id: "jsonb-functions",
        name: "a `jsonb` function",
        since: v(45),
        released: "2024-01-15",
        instead: "use the `json_*` functions on JSON text",
        find: Find::Calls(detect::JSONB_FUNCTIONS),
    },
    Feature {
        id: "json-pretty",
        name: "`json_pretty()`",
        since: v(46),
        released: "2024-05-23",
        instead: "write `json(x)`, the same JSON without the indentation",
        find: Find::Calls(&["json_pretty"]),
    },
];
