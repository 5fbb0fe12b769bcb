use super::keys::without_casts;
use super::*;
use crate::schema::{Check, Table};

/// Parity of a PostgreSQL schema (left) and a SQLite schema (right), the one pair of today.
fn compare(postgres: &Schema, sqlite: &Schema) -> Vec<Difference> {
    let fresh = |dialect, schema| Fresh { dialect, schema };
    super::compare(
        fresh(Dialect::Postgres, postgres),
        fresh(Dialect::Sqlite, sqlite),
    )
}

/// One table `memo` with an `id` key and the given columns, and nothing else.
fn schema(columns: &[(&str, &str)]) -> Schema {
    let mut all = vec![Column::not_null("id", "integer")];
    all.extend(columns.iter().map(|(n, t)| Column::not_null(n, t)));
    let mut schema = Schema::default();
    schema.tables.insert(
        "memo".into(),
        Table {
            name: "memo".into(),
            columns: all,
            primary_key: Some(Key {
                name: None,
                columns: vec!["id".into()],
            }),
            ..Table::default()
        },
    );
    schema
}

fn memo(schema: &mut Schema) -> &mut Table {
    schema.tables.get_mut("memo").expect("memo")
}

fn check(schema: &mut Schema, expression: &str) {
    memo(schema).checks.push(Check {
        name: None,
        expression: expression.into(),
    });
}

fn index(name: &str, unique: bool, columns: &[&str], predicate: Option<&str>) -> Index {
    Index {
        name: name.into(),
        table: "memo".into(),
        unique,
        columns: columns.iter().map(|c| c.to_string()).collect(),
        predicate: predicate.map(String::from),
        method: None,
    }
}

fn render(differences: &[Difference]) -> Vec<String> {
    differences
        .iter()
        .map(|d| {
            format!(
                "{} {} [{}]: {:?} / {:?}",
                d.severity.as_str(),
                d.object,
                d.aspect,
                d.expected,
                d.actual
            )
        })
        .collect()
}

/// Whether one column of the PostgreSQL type and one of the SQLite type are of one family.
fn same_family(postgres: &str, sqlite: &str) -> bool {
    compare(&schema(&[("c", postgres)]), &schema(&[("c", sqlite)])).is_empty()
}

#[test]
fn integers_match_whatever_their_width() {
    for postgres in ["smallint", "integer", "bigint"] {
        for sqlite in ["integer", "int", "bigint", "smallint"] {
            assert!(same_family(postgres, sqlite), "{postgres} / {sqlite}");
        }
    }
    assert!(!same_family("integer", "text"));
    assert!(!same_family("bigint", "real"));
}

#[test]
fn a_serial_key_matches_a_rowid_alias() {
    let mut postgres = schema(&[]);
    memo(&mut postgres).columns[0].default = Some("nextval('memo_id_seq'::regclass)".into());
    let mut sqlite = schema(&[]);
    memo(&mut sqlite).columns[0].generated = Some("autoincrement".into());
    assert_eq!(render(&compare(&postgres, &sqlite)), Vec::<String>::new());
}

#[test]
fn text_types_match_whatever_their_length() {
    for postgres in [
        "text",
        "character varying(20)",
        "character varying",
        "character(2)",
    ] {
        for sqlite in ["text", "varchar(20)", "varchar(255)", "char(2)", "clob"] {
            assert!(same_family(postgres, sqlite), "{postgres} / {sqlite}");
        }
    }
    assert!(!same_family("text", "blob"));
    assert!(!same_family("character varying(20)", "integer"));
}

#[test]
fn enum_types_are_text() {
    let mut postgres = schema(&[("status", "memo_status")]);
    postgres
        .enums
        .insert("memo_status".into(), vec!["NORMAL".into()]);
    assert!(compare(&postgres, &schema(&[("status", "text")])).is_empty());
    let differences = compare(&postgres, &schema(&[("status", "integer")]));
    insta::assert_debug_snapshot!(render(&differences), @r#"
    [
        "error table memo [column status: type family]: Some(\"memo_status (an enum type: text family)\") / Some(\"integer (integer family)\")",
    ]
    "#);
}

#[test]
fn a_boolean_is_an_integer_with_a_0_1_check() {
    let postgres = schema(&[("pinned", "boolean")]);
    for (sqlite_type, expression) in [
        ("integer", "pinned in (0, 1)"),
        ("integer", "pinned in (1, 0)"),
        ("int", "pinned = 0 or pinned = 1"),
        ("boolean", "(1 = pinned) or (pinned = 0)"),
        ("integer", "memo.pinned in (0, 1) and id > 0"),
        ("integer", "pinned is null or pinned in (0, 1)"),
    ] {
        let mut sqlite = schema(&[("pinned", sqlite_type)]);
        check(&mut sqlite, expression);
        assert_eq!(
            render(&compare(&postgres, &sqlite)),
            Vec::<String>::new(),
            "{sqlite_type} with {expression}"
        );
    }
}

#[test]
fn a_boolean_without_its_check_is_a_difference() {
    let postgres = schema(&[("pinned", "boolean")]);
    for (sqlite_type, expression) in [
        ("integer", None),
        ("boolean", None),
        ("integer", Some("pinned in (0, 1, 2)")),
        ("integer", Some("pinned in (1)")),
        ("integer", Some("pinned not in (0, 1)")),
        ("integer", Some("pinned = 0 or id = 1")),
        ("integer", Some("id in (0, 1)")),
        ("integer", Some("pinned between 0 and 1")),
        ("integer", Some("pinned is null")),
    ] {
        let mut sqlite = schema(&[("pinned", sqlite_type)]);
        if let Some(expression) = expression {
            check(&mut sqlite, expression);
        }
        let differences = compare(&postgres, &sqlite);
        assert_eq!(differences.len(), 1, "{sqlite_type} with {expression:?}");
        assert_eq!(differences[0].aspect, "column pinned: type family");
        assert_eq!(
            differences[0].actual,
            Some(format!("{sqlite_type} without a 0/1 CHECK"))
        );
    }
    // A text column is no boolean, CHECK or not: its own family is shown.
    let differences = compare(&postgres, &schema(&[("pinned", "text")]));
    insta::assert_debug_snapshot!(render(&differences), @r#"
    [
        "error table memo [column pinned: type family]: Some(\"boolean (boolean family)\") / Some(\"text (text family)\")",
    ]
    "#);
}

#[test]
fn binary_json_timestamp_and_number_families() {
    assert!(same_family("bytea", "blob"));
    assert!(!same_family("bytea", "text"));
    for sqlite in ["json", "jsonb", "text"] {
        assert!(same_family("jsonb", sqlite), "jsonb / {sqlite}");
        assert!(same_family("json", sqlite), "json / {sqlite}");
    }
    assert!(!same_family("jsonb", "blob"));
    for postgres in [
        "timestamp without time zone",
        "timestamp(3) with time zone",
        "timestamp with time zone",
    ] {
        for sqlite in ["datetime", "timestamp", "text"] {
            assert!(same_family(postgres, sqlite), "{postgres} / {sqlite}");
        }
        // A point in time against a number: the service reads them differently.
        assert!(!same_family(postgres, "integer"), "{postgres} / integer");
    }
    // Epoch seconds are integers on both sides.
    assert!(same_family("bigint", "integer"));
    assert!(!same_family("bigint", "datetime"));
    assert!(same_family("numeric(10,2)", "decimal(10, 2)"));
    assert!(same_family("numeric", "numeric"));
    assert!(same_family("double precision", "real"));
    assert!(same_family("real", "double"));
    // Exact decimals against floating point numbers mean different things.
    assert!(!same_family("numeric", "real"));
}

#[test]
fn unknown_types_are_compared_by_name() {
    assert!(same_family("uuid", "uuid"));
    assert!(same_family("date", "DATE"));
    let differences = compare(&schema(&[("c", "uuid")]), &schema(&[("c", "text")]));
    let empty = compare(&schema(&[("c", "text[]")]), &schema(&[("c", "")]));
    insta::assert_debug_snapshot!((render(&differences), render(&empty)), @r#"
    (
        [
            "error table memo [column c: type family]: Some(\"uuid (no family: compared by name)\") / Some(\"text (text family)\")",
        ],
        [
            "error table memo [column c: type family]: Some(\"text[] (no family: compared by name)\") / Some(\"no declared type (no family: compared by name)\")",
        ],
    )
    "#);
}

#[test]
fn missing_tables_columns_and_views_are_differences() {
    let mut postgres = schema(&[("content", "text"), ("visibility", "text")]);
    postgres.tables.insert(
        "webhook".into(),
        Table {
            name: "webhook".into(),
            ..Table::default()
        },
    );
    postgres.views.insert(
        "memo_view".into(),
        crate::schema::View {
            name: "memo_view".into(),
            definition: "select * from memo".into(),
        },
    );
    // Column order and the case of names do not matter across dialects.
    let sqlite = schema(&[("extra", "integer"), ("Content", "text")]);
    insta::assert_debug_snapshot!(render(&compare(&postgres, &sqlite)), @r#"
    [
        "error table memo [column extra]: None / Some(\"integer\")",
        "error table memo [column visibility]: Some(\"text\") / None",
        "error table webhook []: Some(\"present\") / None",
        "error view memo_view []: Some(\"present\") / None",
    ]
    "#);
}

#[test]
fn nullability_and_primary_keys_are_compared() {
    let postgres = schema(&[("content", "text")]);
    let mut sqlite = schema(&[("content", "text")]);
    memo(&mut sqlite).columns[1].not_null = false;
    memo(&mut sqlite).primary_key = Some(Key {
        name: None,
        columns: vec!["id".into(), "content".into()],
    });
    insta::assert_debug_snapshot!(render(&compare(&postgres, &sqlite)), @r#"
    [
        "error table memo [column content: not null]: Some(\"not null\") / Some(\"nullable\")",
        "error table memo [primary key]: Some(\"(id)\") / Some(\"(id, content)\")",
    ]
    "#);
}

#[test]
fn unique_sets_ignore_names_and_whether_constraint_or_index() {
    let mut postgres = schema(&[("uid", "text"), ("name", "text")]);
    memo(&mut postgres).uniques.push(Key {
        name: Some("memo_uid_key".into()),
        columns: vec!["uid".into()],
    });
    postgres.indexes.insert(
        "idx_memo_name".into(),
        index("idx_memo_name", true, &["name"], None),
    );
    let mut sqlite = schema(&[("uid", "text"), ("name", "text")]);
    sqlite.indexes.insert(
        "idx_memo_uid".into(),
        index("idx_memo_uid", true, &["uid"], None),
    );
    memo(&mut sqlite).uniques.push(Key {
        name: None,
        columns: vec!["name".into()],
    });
    assert_eq!(render(&compare(&postgres, &sqlite)), Vec::<String>::new());
}

#[test]
fn a_missing_unique_set_is_one_difference() {
    let mut postgres = schema(&[("uid", "text")]);
    postgres.indexes.insert(
        "idx_memo_uid".into(),
        index("idx_memo_uid", true, &["uid"], None),
    );
    let mut sqlite = schema(&[("uid", "text")]);
    // The same name with other columns is reported as the unique sets that differ.
    let mut other = postgres.clone();
    other.indexes.insert(
        "idx_memo_uid".into(),
        index("idx_memo_uid", true, &["id", "uid"], None),
    );
    // A plain index under the name: the uniqueness is what differs.
    sqlite.indexes.insert(
        "idx_memo_uid".into(),
        index("idx_memo_uid", false, &["uid"], None),
    );
    insta::assert_debug_snapshot!(
        (render(&compare(&postgres, &schema(&[("uid", "text")]))), render(&compare(&postgres, &other)), render(&compare(&postgres, &sqlite))),
        @r#"
    (
        [
            "error table memo [unique (uid)]: Some(\"unique index idx_memo_uid\") / None",
        ],
        [
            "error table memo [unique (id, uid)]: None / Some(\"unique index idx_memo_uid\")",
            "error table memo [unique (uid)]: Some(\"unique index idx_memo_uid\") / None",
        ],
        [
            "error table memo [unique (uid)]: Some(\"unique index idx_memo_uid\") / None",
        ],
    )
    "#
    );
}

#[test]
fn foreign_keys_are_compared_by_reference_and_action() {
    let key = |table: &str, on_delete: &str| ForeignKey {
        name: None,
        columns: vec!["creator_id".into()],
        referenced_table: table.into(),
        referenced_columns: vec!["id".into()],
        on_delete: on_delete.into(),
        on_update: "no action".into(),
    };
    let mut postgres = schema(&[("creator_id", "integer")]);
    memo(&mut postgres)
        .foreign_keys
        .push(key("user", "cascade"));
    let mut same = schema(&[("creator_id", "integer")]);
    memo(&mut same).foreign_keys.push(key("User", "cascade"));
    assert!(compare(&postgres, &same).is_empty());

    let mut other_action = schema(&[("creator_id", "integer")]);
    memo(&mut other_action)
        .foreign_keys
        .push(key("user", "set null"));
    let mut other_table = schema(&[("creator_id", "integer")]);
    memo(&mut other_table)
        .foreign_keys
        .push(key("account", "cascade"));
    insta::assert_debug_snapshot!(
        (render(&compare(&postgres, &other_action)), render(&compare(&postgres, &other_table))),
        @r#"
    (
        [
            "error table memo [foreign key (creator_id) references user (id): on delete]: Some(\"cascade\") / Some(\"set null\")",
        ],
        [
            "error table memo [foreign key (creator_id) references account (id)]: None / Some(\"on delete cascade on update no action\")",
            "error table memo [foreign key (creator_id) references user (id)]: Some(\"on delete cascade on update no action\") / None",
        ],
    )
    "#
    );
}

#[test]
fn indexes_are_compared_by_name_columns_and_partiality() {
    let mut postgres = schema(&[("creator_id", "integer"), ("pinned", "boolean")]);
    check(&mut postgres, "pinned = any(array[true, false])");
    let mut sqlite = schema(&[("creator_id", "integer"), ("pinned", "integer")]);
    check(&mut sqlite, "pinned in (0, 1)");
    for (name, columns, predicate) in [
        ("idx_same", ["creator_id"], None),
        ("idx_pinned", ["creator_id"], Some("pinned = true")),
        ("idx_columns", ["creator_id"], None),
        ("idx_partial", ["creator_id"], Some("pinned = true")),
        ("idx_pg_only", ["pinned"], None),
    ] {
        postgres
            .indexes
            .insert(name.into(), index(name, false, &columns, predicate));
    }
    for (name, columns, predicate) in [
        ("idx_same", ["creator_id"], None),
        // Predicates are compared by presence only: PostgreSQL rewrites them.
        ("idx_pinned", ["creator_id"], Some("pinned = 1")),
        ("idx_columns", ["pinned"], None),
        ("idx_partial", ["creator_id"], None),
        ("idx_sqlite_only", ["creator_id"], None),
    ] {
        sqlite
            .indexes
            .insert(name.into(), index(name, false, &columns, predicate));
    }
    // A partial unique index is judged by name, its uniqueness with it.
    postgres.indexes.insert(
        "idx_unique_partial".into(),
        index("idx_unique_partial", true, &["creator_id"], Some("pinned")),
    );
    sqlite.indexes.insert(
        "idx_unique_partial".into(),
        index(
            "idx_unique_partial",
            false,
            &["creator_id"],
            Some("pinned = 1"),
        ),
    );
    insta::assert_debug_snapshot!(render(&compare(&postgres, &sqlite)), @r#"
    [
        "error index idx_columns [columns]: Some(\"(creator_id)\") / Some(\"(pinned)\")",
        "error index idx_partial [predicate]: Some(\"partial (where pinned = true)\") / Some(\"not partial\")",
        "error index idx_pg_only []: Some(\"on memo (pinned)\") / None",
        "error index idx_sqlite_only []: None / Some(\"on memo (creator_id)\")",
        "error index idx_unique_partial [unique]: Some(\"unique\") / Some(\"not unique\")",
    ]
    "#);
}

#[test]
fn index_expressions_match_without_postgres_casts() {
    let cases = [
        ("lower((username)::text)", "lower(username)"),
        ("lower(username)", "lower(username)"),
        (
            "lower((username)::character varying(20)) desc",
            "lower(username) desc",
        ),
        ("coalesce(name, ''::text)", "coalesce(name, '')"),
        ("(a || b)::text", "(a || b)"),
        ("lower(((a || b))::text)", "lower(a || b)"),
        ("(created_ts)::timestamp(3) with time zone", "created_ts"),
        ("f((a, b))", "f((a, b))"),
        ("x in (1)", "x in (1)"),
    ];
    for (postgres, expected) in cases {
        assert_eq!(without_casts(postgres), expected, "{postgres}");
    }
    let mut pg = schema(&[("username", "character varying(20)")]);
    pg.indexes.insert(
        "idx_lower".into(),
        index("idx_lower", true, &["lower((username)::text)"], None),
    );
    pg.indexes.insert(
        "idx_plain".into(),
        index("idx_plain", false, &["lower((username)::text)"], None),
    );
    let mut lite = schema(&[("username", "varchar(20)")]);
    lite.indexes.insert(
        "idx_lower".into(),
        index("idx_lower", true, &["lower(username)"], None),
    );
    lite.indexes.insert(
        "idx_plain".into(),
        index("idx_plain", false, &["lower(username)"], None),
    );
    assert_eq!(render(&compare(&pg, &lite)), Vec::<String>::new());
}

#[test]
fn objects_of_missing_tables_are_reported_once_as_the_table() {
    let mut postgres = schema(&[]);
    postgres.tables.insert(
        "webhook".into(),
        Table {
            name: "webhook".into(),
            columns: vec![Column::not_null("id", "integer")],
            ..Table::default()
        },
    );
    let mut hook_index = index("idx_webhook", true, &["id"], None);
    hook_index.table = "webhook".into();
    postgres.indexes.insert("idx_webhook".into(), hook_index);
    insta::assert_debug_snapshot!(render(&compare(&postgres, &schema(&[]))), @r#"
    [
        "error table webhook []: Some(\"present\") / None",
    ]
    "#);
}

#[test]
fn postgres_only_objects_and_triggers_are_not_compared() {
    let mut postgres = schema(&[]);
    postgres.sequences.insert(
        "memo_id_seq".into(),
        crate::schema::Sequence {
            name: "memo_id_seq".into(),
            data_type: "integer".into(),
            owned_by: Some("memo.id".into()),
        },
    );
    postgres.enums.insert("status".into(), vec!["A".into()]);
    postgres.functions.insert(
        "f()".into(),
        crate::schema::Function {
            signature: "f()".into(),
            ..crate::schema::Function::default()
        },
    );
    postgres.triggers.insert(
        "memo.t".into(),
        crate::schema::Trigger {
            name: "t".into(),
            table: "memo".into(),
            definition: "create trigger t before update on memo".into(),
        },
    );
    let mut sqlite = schema(&[]);
    memo(&mut sqlite).columns[0].default = Some("0".into());
    check(&mut sqlite, "id > 0");
    assert_eq!(render(&compare(&postgres, &sqlite)), Vec::<String>::new());
}

#[test]
fn an_index_on_one_side_is_shown_by_the_one_formatter_with_its_keys_without_casts() {
    let mut postgres = schema(&[]);
    let mut partial = index("idx_partial", false, &["lower((id)::text)"], Some("id > 0"));
    partial.method = Some("hash".into());
    postgres.indexes.insert(partial.name.clone(), partial);
    assert_eq!(
        render(&compare(&postgres, &schema(&[]))),
        vec!["error index idx_partial []: Some(\"on memo (lower(id)) using hash where id > 0\") / None"]
    );
}
