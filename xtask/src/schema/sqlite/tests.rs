use super::text::definitions;
use super::*;
use crate::schema::Check;

fn schema(sql: &str) -> anyhow::Result<Schema> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(sql)?;
    introspect(&conn)
}

fn table<'a>(schema: &'a Schema, name: &str) -> &'a Table {
    match schema.tables.get(name) {
        Some(table) => table,
        None => panic!("no table {name} in {schema:#?}"),
    }
}

#[test]
fn autoincrement_comes_out_the_same_however_written() {
    let forms = [
        "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT)",
        "create table t (id integer not null primary key autoincrement, a text)",
        "CREATE TABLE \"t\" (\"id\" INTEGER, a TEXT, PRIMARY KEY (id AUTOINCREMENT))",
    ];
    let schemas: Vec<Schema> = forms.iter().map(|sql| schema(sql).unwrap()).collect();
    let id = &table(&schemas[0], "t").columns[0];
    assert_eq!(id.generated.as_deref(), Some("autoincrement"));
    assert!(id.not_null);
    assert_eq!(id.data_type, "integer");
    for other in &schemas[1..] {
        assert_eq!(&schemas[0], other);
    }
    let plain = schema("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT)").unwrap();
    assert_eq!(table(&plain, "t").columns[0].generated, None);
    assert_ne!(plain, schemas[0]);
}

#[test]
fn odd_columns_are_read() {
    let schema = schema(
        "CREATE TABLE t (
           a INT,
           b INT GENERATED ALWAYS AS (a * 2) STORED,
           c AS (A+1),
           d VARCHAR( 20 ) COLLATE NOCASE DEFAULT ( 'x' ),
           e DOUBLE   PRECISION DEFAULT -1 COLLATE binary,
           f
         )",
    )
    .unwrap();
    let columns = &table(&schema, "t").columns;
    let summary: Vec<_> = columns
        .iter()
        .map(|c| {
            (
                c.name.as_str(),
                c.data_type.as_str(),
                c.default.as_deref(),
                c.generated.as_deref(),
                c.collation.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("a", "int", None, None, None),
            ("b", "int", None, Some("generated stored (a * 2)"), None),
            ("c", "", None, Some("generated virtual (a + 1)"), None),
            ("d", "varchar(20)", Some("'x'"), None, Some("nocase")),
            ("e", "double precision", Some("-1"), None, None),
            ("f", "", None, None, None),
        ]
    );
}

#[test]
fn constraints_keep_their_names_and_parts() {
    let schema = schema(
        "CREATE TABLE p (x INTEGER PRIMARY KEY, y TEXT UNIQUE, z TEXT);
         CREATE TABLE t (
           a INT CONSTRAINT a_positive CHECK (a > 0),
           b TEXT CONSTRAINT b_key UNIQUE,
           c INT REFERENCES p,
           d TEXT,
           CONSTRAINT t_pk PRIMARY KEY (a, b),
           CONSTRAINT cd UNIQUE (c, d),
           UNIQUE (d),
           CHECK (c <> a),
           CONSTRAINT t_fk FOREIGN KEY (d) REFERENCES p (y) ON DELETE SET NULL ON UPDATE CASCADE
         ) WITHOUT ROWID;",
    )
    .unwrap();
    let t = table(&schema, "t");
    assert_eq!(
        t.primary_key,
        Some(Key {
            name: Some("t_pk".into()),
            columns: vec!["a".into(), "b".into()]
        })
    );
    let uniques: Vec<_> = t
        .uniques
        .iter()
        .map(|key| (key.name.as_deref(), key.columns.join(",")))
        .collect();
    assert_eq!(
        uniques,
        [
            (None, "d".into()),
            (Some("b_key"), "b".into()),
            (Some("cd"), "c,d".into())
        ]
    );
    assert_eq!(
        t.checks,
        [
            Check {
                name: None,
                expression: "c <> a".into()
            },
            Check {
                name: Some("a_positive".into()),
                expression: "a > 0".into()
            },
        ]
    );
    let keys: Vec<_> = t
        .foreign_keys
        .iter()
        .map(|key| {
            (
                key.name.as_deref(),
                key.columns.join(","),
                key.referenced_table.as_str(),
                key.referenced_columns.join(","),
                key.on_delete.as_str(),
                key.on_update.as_str(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            (None, "c".into(), "p", "x".into(), "no action", "no action"),
            (
                Some("t_fk"),
                "d".into(),
                "p",
                "y".into(),
                "set null",
                "cascade"
            ),
        ]
    );
    // The primary key of a WITHOUT ROWID table is NOT NULL, and no rowid alias.
    assert!(t.columns[0].not_null);
    assert_eq!(t.columns[0].generated, None);
    // Indexes that back constraints are no indexes of their own.
    assert!(schema.indexes.is_empty());
}

#[test]
fn indexes_have_keys_expressions_and_predicates() {
    let schema = schema(
        "CREATE TABLE t (a TEXT, b INT, c INT);
         CREATE INDEX i ON t (a COLLATE NOCASE DESC, (b + 1), lower(a) COLLATE rtrim, c)
           WHERE (b > 0 AND c IS NOT NULL);
         CREATE UNIQUE INDEX u ON t (\"B\");",
    )
    .unwrap();
    let i = &schema.indexes["i"];
    assert_eq!(i.table, "t");
    assert!(!i.unique);
    assert_eq!(
        i.columns,
        [
            "a collate nocase desc",
            "b + 1",
            "lower(a) collate rtrim",
            "c"
        ]
    );
    assert_eq!(i.predicate.as_deref(), Some("b > 0 and c is not null"));
    let u = &schema.indexes["u"];
    assert!(u.unique);
    assert_eq!(u.columns, ["b"]);
    assert_eq!(u.predicate, None);
}

#[test]
fn views_triggers_and_virtual_tables_are_read() {
    let schema = schema(
        "CREATE TABLE t (a INT);
         CREATE VIEW v AS SELECT a FROM t WHERE a > 1;
         CREATE TRIGGER IF NOT EXISTS tr AFTER INSERT ON t BEGIN SELECT RAISE(ABORT, 'No'); END;
         CREATE VIRTUAL TABLE f USING fts5(body);",
    )
    .unwrap();
    assert_eq!(
        schema.views["v"].definition,
        "create view v as select a from t where a > 1"
    );
    let tr = &schema.triggers["tr"];
    assert_eq!(tr.table, "t");
    assert_eq!(
        tr.definition,
        "create trigger tr after insert on t begin select raise(abort, 'No'); end"
    );
    assert_eq!(table(&schema, "f").columns[0].name, "body");
}

#[test]
fn a_table_sqlparser_cannot_read_is_read_without_it() {
    let schema = schema("CREATE TABLE t (a UNSIGNED BIG INT NOT NULL COLLATE NOCASE)").unwrap();
    let a = &table(&schema, "t").columns[0];
    assert_eq!(a.data_type, "unsigned big int");
    assert!(a.not_null);
    assert_eq!(a.collation.as_deref(), Some("nocase"));
    assert!(schema.unread.is_empty(), "{:?}", schema.unread);
}

#[test]
fn an_index_sqlparser_cannot_read_keeps_its_keys_from_the_engine() {
    let schema = schema(
        "CREATE TABLE t (a TEXT, b TEXT);
         CREATE INDEX i ON t (a, lower(b)) WHERE a NOT GLOB 'x*';",
    )
    .unwrap();
    let i = &schema.indexes["i"];
    assert_eq!(i.columns, ["a", "(an expression)"]);
    assert_eq!(i.predicate.as_deref(), Some("(a condition)"));
    assert_eq!(schema.unread.len(), 1, "{:?}", schema.unread);
    assert_eq!(schema.unread[0].object, "index i");
    assert!(
        schema.unread[0]
            .what
            .contains("sqlparser cannot read its CREATE INDEX"),
        "{:?}",
        schema.unread
    );
}

#[test]
fn definitions_are_cut_at_top_level_commas() {
    let definitions: Vec<String> = definitions(
        "CREATE TABLE t (a NUMERIC(10, 2) DEFAULT (1), b INTEGER[], CHECK (a IN (1, 2))) STRICT",
    )
    .unwrap()
    .iter()
    .map(|tokens| tokens.iter().map(ToString::to_string).collect::<String>())
    .collect();
    assert_eq!(
        definitions,
        [
            "a NUMERIC(10, 2) DEFAULT (1)",
            " b INTEGER[]",
            " CHECK (a IN (1, 2))"
        ]
    );
    assert!(super::text::definitions("CREATE TABLE t AS SELECT 1").is_none());
}
