//! Reads a PostgreSQL database's schema from `pg_catalog` into the normalized model.
//!
//! One query per kind of object, each covering every user schema at once: `public` and any other
//! schema that is not a system schema (`pg_catalog`, `information_schema`, `pg_toast`, the
//! temporary ones). Objects that belong to an extension are left out: the extension creates
//! them, no migration does. Objects are keyed by name, qualified as `schema.name` only outside
//! `public`.
//!
//! The catalog's own deparsers (`format_type`, `pg_get_expr`, `pg_get_indexdef`, ...) render
//! every SQL fragment, which `normalize` then puts in the form shared with SQLite. The deparsers
//! print names resolved from OIDs at the time of reading, so a default
//! `nextval('attachment_id_seq'::regclass)` or a CHECK on a renamed column reads the same
//! whether the object was created under its final name or renamed later. Attribute numbers and
//! OIDs, which depend on the history (a dropped column leaves a gap), are never stored.
//!
//! Supported servers: PostgreSQL 14 and later (`prosqlbody` is read for SQL-standard function
//! bodies). The queries avoid newer catalog columns (`indnullsnotdistinct` of 15, say).

use std::collections::BTreeMap;

use anyhow::{bail, Context as _};
use postgres::{GenericClient, Row};

use crate::dialect::Dialect;

use super::normalize;
use super::{
    Check, Column, ForeignKey, Function, Index, Key, Schema, Sequence, Table, Trigger, View,
};

/// `server_version_num` of PostgreSQL 14.0, the first with `prosqlbody`.
const MINIMUM_VERSION: i32 = 140_000;

/// Session settings that change how the deparsers print, pinned for the reading transaction so
/// that two databases read over connections with different settings (a migration may have run
/// `SET` on the same connection) print alike. With `public` alone on the search path, objects in
/// `public` are printed unqualified and objects elsewhere qualified, which matches the keys.
const PINNED_SETTINGS: &str = "
SET LOCAL search_path TO public;
SET LOCAL quote_all_identifiers TO off;
SET LOCAL standard_conforming_strings TO on;
SET LOCAL datestyle TO 'ISO, YMD';
SET LOCAL intervalstyle TO postgres;
SET LOCAL timezone TO 'UTC';
SET LOCAL extra_float_digits TO 1;
";

/// The columns of every table, in each table's column order. A table without columns comes out
/// as one row whose column fields are NULL, so that it is not lost.
const COLUMNS: &str = "
SELECT n.nspname::text, c.relname::text,
       a.attname::text,
       format_type(a.atttypid, a.atttypmod),
       a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid, true),
       a.attidentity::text,
       a.attgenerated::text,
       CASE WHEN a.attcollation <> t.typcollation THEN co.collname::text END,
       CASE WHEN a.attcollation <> t.typcollation THEN con.nspname::text END
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_collation co ON co.oid = a.attcollation
LEFT JOIN pg_namespace con ON con.oid = co.collnamespace
WHERE c.relkind IN ('r', 'p') AND {user_relation}
ORDER BY n.nspname, c.relname, a.attnum
";

/// Primary keys, unique constraints, CHECKs and foreign keys. NOT NULL constraints (which
/// PostgreSQL 18 records here, with names derived from the table's name at the time) are read
/// from the columns instead. The copies PostgreSQL makes of a foreign key for the partitions of
/// either side (`conparentid`) are skipped: they repeat, under the same name and often on the
/// same table, the foreign key that was declared.
const CONSTRAINTS: &str = "
SELECT n.nspname::text, c.relname::text, k.conname::text, k.contype::text,
       ARRAY(SELECT a.attname::text
             FROM unnest(k.conkey) WITH ORDINALITY AS u(attnum, position)
             JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum
             ORDER BY u.position),
       CASE WHEN k.contype = 'c' THEN pg_get_expr(k.conbin, k.conrelid, true) END,
       rn.nspname::text, rc.relname::text,
       ARRAY(SELECT a.attname::text
             FROM unnest(k.confkey) WITH ORDINALITY AS u(attnum, position)
             JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.attnum
             ORDER BY u.position),
       k.confdeltype::text, k.confupdtype::text
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class rc ON rc.oid = k.confrelid
LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
WHERE k.contype IN ('p', 'u', 'c', 'f') AND (k.contype <> 'f' OR k.conparentid = 0)
  AND c.relkind IN ('r', 'p') AND {user_relation}
";

/// Indexes that do not back a primary key or unique constraint. Only those two kinds count:
/// a foreign key's `conindid` points at the referenced table's index, which must stay listed,
/// and an exclusion constraint has no place in the model but its index does (its keys carry
/// the operators as ` with <op>`).
///
/// Each key comes in two parts: the catalog's rendering of the column or expression (which is
/// normalized like any expression), and what `CREATE INDEX` would add to it: a collation other
/// than the key's own, an operator class other than the default one, and the ordering where it
/// is not the default.
const INDEXES: &str = "
SELECT n.nspname::text, ic.relname::text, c.relname::text, i.indisunique, am.amname::text,
       ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true)
             FROM generate_series(1, i.indnkeyatts) AS k ORDER BY k),
       ARRAY(
         SELECT CASE WHEN i.indcollation[k - 1] <> 0
                      AND i.indcollation[k - 1] <> COALESCE(ta.attcollation, it.typcollation)
                     THEN ' collate ' || quote_ident(co.collname) ELSE '' END
             || CASE WHEN NOT opc.opcdefault THEN ' ' || quote_ident(opc.opcname) ELSE '' END
             || CASE i.indoption[k - 1] & 3
                  WHEN 1 THEN ' desc nulls last'
                  WHEN 2 THEN ' nulls first'
                  WHEN 3 THEN ' desc'
                  ELSE '' END
             || COALESCE((SELECT ' with ' || o.oprname FROM pg_operator o
                          WHERE o.oid = x.conexclop[k]), '')
         FROM generate_series(1, i.indnkeyatts) AS k
         JOIN pg_attribute ia ON ia.attrelid = i.indexrelid AND ia.attnum = k
         JOIN pg_type it ON it.oid = ia.atttypid
         JOIN pg_opclass opc ON opc.oid = i.indclass[k - 1]
         LEFT JOIN pg_attribute ta ON ta.attrelid = i.indrelid AND ta.attnum = i.indkey[k - 1]
         LEFT JOIN pg_collation co ON co.oid = i.indcollation[k - 1]
         ORDER BY k),
       pg_get_expr(i.indpred, i.indrelid, true)
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_am am ON am.oid = ic.relam
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_constraint x
  ON x.conindid = i.indexrelid AND x.conrelid = i.indrelid AND x.contype = 'x'
WHERE c.relkind IN ('r', 'p', 'm') AND {user_relation}
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k
                  WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid
                    AND k.contype IN ('p', 'u'))
";

/// Triggers declared by users; the internal ones implement foreign keys.
const TRIGGERS: &str = "
SELECT n.nspname::text, c.relname::text, t.tgname::text, pg_get_triggerdef(t.oid, true)
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT t.tgisinternal AND {user_relation}
";

/// Views and materialized views.
const VIEWS: &str = "
SELECT n.nspname::text, c.relname::text, pg_get_viewdef(c.oid, true)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('v', 'm') AND {user_relation}
";

/// Sequences with the column that owns them: `OWNED BY` (a `SERIAL`) records an automatic
/// dependency, an identity column an internal one.
const SEQUENCES: &str = "
SELECT n.nspname::text, c.relname::text, format_type(s.seqtypid, NULL),
       tn.nspname::text, tc.relname::text, ta.attname::text
FROM pg_sequence s
JOIN pg_class c ON c.oid = s.seqrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_depend d
  ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
 AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0 AND d.deptype IN ('a', 'i')
LEFT JOIN pg_class tc ON tc.oid = d.refobjid
LEFT JOIN pg_namespace tn ON tn.oid = tc.relnamespace
LEFT JOIN pg_attribute ta ON ta.attrelid = d.refobjid AND ta.attnum = d.refobjsubid
WHERE {user_relation}
";

/// Enum types with their labels in their sort order (which `ADD VALUE ... BEFORE` can make
/// differ from the order of creation).
const ENUMS: &str = "
SELECT n.nspname::text, t.typname::text,
       ARRAY(SELECT e.enumlabel::text FROM pg_enum e
             WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder)
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype = 'e' AND {user_namespace}
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid
                    AND d.deptype = 'e')
";

/// Functions, procedures and aggregates. A SQL-standard body (`BEGIN ATOMIC ... END`, or
/// `RETURN ...`) is kept parsed in `prosqlbody` and `prosrc` is empty for it.
const FUNCTIONS: &str = "
SELECT n.nspname::text, p.proname::text,
       pg_get_function_identity_arguments(p.oid),
       pg_get_function_result(p.oid),
       l.lanname::text,
       CASE WHEN p.prosqlbody IS NOT NULL THEN pg_get_function_sqlbody(p.oid) ELSE p.prosrc END
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_language l ON l.oid = p.prolang
WHERE {user_namespace}
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                    AND d.deptype = 'e')
";

/// A schema that holds user objects: not a system schema. `pg_` is reserved for the system's
/// schemas (`pg_catalog`, `pg_toast`, `pg_temp_N`, ...), so users cannot create one like it.
const USER_NAMESPACE: &str = "n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'";

/// A relation `c` of a user schema that is not a member of an extension. Indexes and triggers
/// test their table: only the top object of an extension is recorded as its member.
const USER_RELATION: &str = "{user_namespace}
  AND NOT EXISTS (SELECT 1 FROM pg_depend e
                  WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid
                    AND e.deptype = 'e')";

/// Reads the schema of the database `client` is connected to.
///
/// The reading runs in a transaction of its own (a savepoint when `client` is already a
/// transaction) that is rolled back at the end, so the pinned session settings do not leak
/// into the caller's session.
pub fn introspect(client: &mut impl GenericClient) -> anyhow::Result<Schema> {
    let mut transaction = client
        .transaction()
        .context("starting a transaction to read pg_catalog")?;
    transaction
        .batch_execute(PINNED_SETTINGS)
        .context("pinning the settings for reading pg_catalog")?;
    let schema = read(&mut transaction)?;
    transaction
        .rollback()
        .context("ending the transaction that read pg_catalog")?;
    Ok(schema)
}

fn read(client: &mut impl GenericClient) -> anyhow::Result<Schema> {
    // Older servers lack catalog columns the queries read; say so rather than fail on one.
    let version: i32 = client
        .query_one("SELECT current_setting('server_version_num')::integer", &[])
        .and_then(|row| row.try_get(0))
        .context("reading the server's version")?;
    if version < MINIMUM_VERSION {
        bail!("PostgreSQL {version} is too old to be introspected: version 14 or later is needed");
    }
    let mut schema = Schema::default();
    read_columns(client, &mut schema.tables).context("reading columns from pg_catalog")?;
    read_constraints(client, &mut schema.tables).context("reading constraints from pg_catalog")?;
    schema.indexes = read_indexes(client).context("reading indexes from pg_catalog")?;
    schema.triggers = read_triggers(client).context("reading triggers from pg_catalog")?;
    schema.views = read_views(client).context("reading views from pg_catalog")?;
    schema.sequences = read_sequences(client).context("reading sequences from pg_catalog")?;
    schema.enums = read_enums(client).context("reading enum types from pg_catalog")?;
    schema.functions = read_functions(client).context("reading functions from pg_catalog")?;
    Ok(schema)
}

/// Runs one of the catalog queries above after filling in its filters (`{user_relation}`
/// first: it holds `{user_namespace}`).
fn query(client: &mut impl GenericClient, sql: &str) -> anyhow::Result<Vec<Row>> {
    let sql = sql
        .replace("{user_relation}", USER_RELATION)
        .replace("{user_namespace}", USER_NAMESPACE);
    Ok(client.query(sql.as_str(), &[])?)
}

/// The key of an object: its name, qualified by its schema outside `public`.
fn qualified(schema: &str, name: &str) -> String {
    if schema == "public" {
        name.to_string()
    } else {
        format!("{schema}.{name}")
    }
}

/// The table `key`, created empty if it is not there yet.
fn table_entry<'a>(tables: &'a mut BTreeMap<String, Table>, key: &str) -> &'a mut Table {
    tables.entry(key.to_string()).or_insert_with(|| Table {
        name: key.to_string(),
        ..Table::default()
    })
}

fn read_columns(
    client: &mut impl GenericClient,
    tables: &mut BTreeMap<String, Table>,
) -> anyhow::Result<()> {
    for row in query(client, COLUMNS)? {
        let table = table_entry(tables, &qualified(row.try_get(0)?, row.try_get(1)?));
        let Some(name) = row.try_get::<_, Option<String>>(2)? else {
            continue;
        };
        let mut default = row
            .try_get::<_, Option<&str>>(5)?
            .map(|default| normalize::expression(default, Dialect::Postgres));
        let identity: String = row.try_get(6)?;
        let generation: String = row.try_get(7)?;
        // A generated column keeps its expression where a default would be; it is no default.
        let generated = match (identity.as_str(), generation.as_str()) {
            ("", "") => None,
            ("a", "") => Some("identity always".to_string()),
            ("d", "") => Some("identity by default".to_string()),
            ("", kind @ ("s" | "v")) => {
                let kind = if kind == "s" { "stored" } else { "virtual" };
                let expression = default.take().unwrap_or_default();
                Some(format!("generated {kind} ({expression})"))
            }
            (identity, generation) => bail!(
                "column {name} of table {}: unknown attidentity {identity:?} or attgenerated \
                 {generation:?}",
                table.name
            ),
        };
        let collation = match row.try_get::<_, Option<String>>(8)? {
            Some(collation) => match row.try_get::<_, Option<String>>(9)?.as_deref() {
                Some("pg_catalog") | None => Some(collation),
                Some(namespace) => Some(qualified(namespace, &collation)),
            },
            None => None,
        };
        table.columns.push(Column {
            name,
            data_type: row.try_get(3)?,
            not_null: row.try_get(4)?,
            default,
            generated,
            collation,
        });
    }
    Ok(())
}

fn read_constraints(
    client: &mut impl GenericClient,
    tables: &mut BTreeMap<String, Table>,
) -> anyhow::Result<()> {
    for row in query(client, CONSTRAINTS)? {
        let table = table_entry(tables, &qualified(row.try_get(0)?, row.try_get(1)?));
        let name: String = row.try_get(2)?;
        let kind: String = row.try_get(3)?;
        let columns: Vec<String> = row.try_get(4)?;
        match kind.as_str() {
            "p" => {
                table.primary_key = Some(Key {
                    name: Some(name),
                    columns,
                })
            }
            "u" => table.uniques.push(Key {
                name: Some(name),
                columns,
            }),
            "c" => {
                let expression: Option<&str> = row.try_get(5)?;
                let expression =
                    expression.with_context(|| format!("CHECK {name} has no expression"))?;
                table.checks.push(Check {
                    expression: normalize::expression(expression, Dialect::Postgres),
                    name: Some(name),
                });
            }
            _ => {
                let referenced_schema: Option<String> = row.try_get(6)?;
                let referenced_name: Option<String> = row.try_get(7)?;
                let (Some(referenced_schema), Some(referenced_name)) =
                    (referenced_schema, referenced_name)
                else {
                    bail!("foreign key {name} references no table");
                };
                table.foreign_keys.push(ForeignKey {
                    columns,
                    referenced_table: qualified(&referenced_schema, &referenced_name),
                    referenced_columns: row.try_get(8)?,
                    on_delete: action(row.try_get(9)?)
                        .with_context(|| format!("ON DELETE of foreign key {name}"))?,
                    on_update: action(row.try_get(10)?)
                        .with_context(|| format!("ON UPDATE of foreign key {name}"))?,
                    name: Some(name),
                });
            }
        }
    }
    // The catalog returns constraints in no particular order; by name, the order in which they
    // were created does not matter.
    for table in tables.values_mut() {
        table.uniques.sort();
        table.checks.sort();
        table.foreign_keys.sort();
    }
    Ok(())
}

/// A foreign key action as `pg_constraint` codes it (`confdeltype`, `confupdtype`).
fn action(code: &str) -> anyhow::Result<String> {
    Ok(match code {
        "a" => "no action",
        "r" => "restrict",
        "c" => "cascade",
        "n" => "set null",
        "d" => "set default",
        _ => bail!("unknown action code {code:?}"),
    }
    .to_string())
}

fn read_indexes(client: &mut impl GenericClient) -> anyhow::Result<BTreeMap<String, Index>> {
    let mut indexes = BTreeMap::new();
    for row in query(client, INDEXES)? {
        let schema: &str = row.try_get(0)?;
        let name = qualified(schema, row.try_get(1)?);
        let method: String = row.try_get(4)?;
        let keys: Vec<&str> = row.try_get(5)?;
        let decorations: Vec<&str> = row.try_get(6)?;
        if keys.len() != decorations.len() {
            bail!(
                "index {name}: {} keys but {} key options",
                keys.len(),
                decorations.len()
            );
        }
        let columns = keys
            .iter()
            .zip(&decorations)
            .map(|(key, decoration)| {
                format!(
                    "{}{decoration}",
                    normalize::expression(key, Dialect::Postgres)
                )
            })
            .collect();
        let predicate: Option<&str> = row.try_get(7)?;
        let index = Index {
            name: name.clone(),
            table: qualified(schema, row.try_get(2)?),
            unique: row.try_get(3)?,
            columns,
            predicate: predicate
                .map(|predicate| normalize::expression(predicate, Dialect::Postgres)),
            method: (method != "btree").then_some(method),
        };
        indexes.insert(name, index);
    }
    Ok(indexes)
}

/// Trigger names are unique per table only (the same `set_updated_ts` on every table is
/// common), so triggers are keyed `table.trigger`.
fn read_triggers(client: &mut impl GenericClient) -> anyhow::Result<BTreeMap<String, Trigger>> {
    let mut triggers = BTreeMap::new();
    for row in query(client, TRIGGERS)? {
        let table = qualified(row.try_get(0)?, row.try_get(1)?);
        let name: String = row.try_get(2)?;
        let definition: &str = row.try_get(3)?;
        triggers.insert(
            format!("{table}.{name}"),
            Trigger {
                name,
                table,
                definition: normalize::statement(definition, Dialect::Postgres),
            },
        );
    }
    Ok(triggers)
}

fn read_views(client: &mut impl GenericClient) -> anyhow::Result<BTreeMap<String, View>> {
    let mut views = BTreeMap::new();
    for row in query(client, VIEWS)? {
        let name = qualified(row.try_get(0)?, row.try_get(1)?);
        let definition: &str = row.try_get(2)?;
        views.insert(
            name.clone(),
            View {
                name,
                definition: normalize::statement(definition, Dialect::Postgres),
            },
        );
    }
    Ok(views)
}

fn read_sequences(client: &mut impl GenericClient) -> anyhow::Result<BTreeMap<String, Sequence>> {
    let mut sequences = BTreeMap::new();
    for row in query(client, SEQUENCES)? {
        let name = qualified(row.try_get(0)?, row.try_get(1)?);
        let owner_schema: Option<&str> = row.try_get(3)?;
        let owner_table: Option<&str> = row.try_get(4)?;
        let owner_column: Option<&str> = row.try_get(5)?;
        let owned_by = match (owner_schema, owner_table, owner_column) {
            (Some(schema), Some(table), Some(column)) => {
                Some(format!("{}.{column}", qualified(schema, table)))
            }
            _ => None,
        };
        sequences.insert(
            name.clone(),
            Sequence {
                name,
                data_type: row.try_get(2)?,
                owned_by,
            },
        );
    }
    Ok(sequences)
}

fn read_enums(client: &mut impl GenericClient) -> anyhow::Result<BTreeMap<String, Vec<String>>> {
    let mut enums = BTreeMap::new();
    for row in query(client, ENUMS)? {
        enums.insert(qualified(row.try_get(0)?, row.try_get(1)?), row.try_get(2)?);
    }
    Ok(enums)
}

fn read_functions(client: &mut impl GenericClient) -> anyhow::Result<BTreeMap<String, Function>> {
    let mut functions = BTreeMap::new();
    for row in query(client, FUNCTIONS)? {
        let name = qualified(row.try_get(0)?, row.try_get(1)?);
        let arguments: &str = row.try_get(2)?;
        let signature = format!("{name}({arguments})");
        // A procedure has no result; PostgreSQL gives NULL for it.
        let returns: Option<String> = row.try_get(3)?;
        let body: Option<&str> = row.try_get(5)?;
        functions.insert(
            signature.clone(),
            Function {
                signature,
                returns: returns.unwrap_or_default(),
                language: row.try_get(4)?,
                body: normalize_space(body.unwrap_or_default()),
            },
        );
    }
    Ok(functions)
}

/// Trims every line, collapses each run of blanks to one space and drops empty lines, so that
/// re-indenting a function body makes no difference. A body is in the function's language, not
/// necessarily SQL, so it gets no more than this; line breaks are kept because they end `--`
/// comments.
fn normalize_space(text: &str) -> String {
    text.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_space_trims_lines_collapses_blanks_and_drops_empty_lines() {
        let body = "\nBEGIN\n  IF  NEW.a\t= 1 THEN\n\n    RETURN NEW;  \n  END IF;\nEND;\n";
        assert_eq!(
            normalize_space(body),
            "BEGIN\nIF NEW.a = 1 THEN\nRETURN NEW;\nEND IF;\nEND;"
        );
        assert_eq!(normalize_space(" \n\t\n"), "");
    }

    #[test]
    fn names_are_qualified_outside_public_only() {
        assert_eq!(qualified("public", "memo"), "memo");
        assert_eq!(qualified("audit", "memo"), "audit.memo");
    }

    #[test]
    fn foreign_key_actions_are_spelled_out() {
        let codes = ["a", "r", "c", "n", "d"];
        let actions: Vec<String> = codes.iter().map(|c| action(c).unwrap()).collect();
        assert_eq!(
            actions,
            [
                "no action",
                "restrict",
                "cascade",
                "set null",
                "set default"
            ]
        );
        assert!(action("x").is_err());
    }
}
