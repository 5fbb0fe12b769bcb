use super::*;
use crate::replay::{CapturedSchema, ChainSummary};

fn column(name: &str, data_type: &str, not_null: bool, default: Option<&str>) -> Column {
    Column {
        name: name.into(),
        data_type: data_type.into(),
        not_null,
        default: default.map(String::from),
        ..Column::default()
    }
}

fn table(name: &str, columns: Vec<Column>) -> Table {
    Table {
        name: name.into(),
        primary_key: Some(Key {
            name: None,
            columns: vec!["id".into()],
        }),
        columns,
        ..Table::default()
    }
}

fn schema(tables: Vec<Table>, indexes: Vec<Index>) -> Schema {
    Schema {
        tables: tables.into_iter().map(|t| (t.name.clone(), t)).collect(),
        indexes: indexes.into_iter().map(|i| (i.name.clone(), i)).collect(),
        ..Schema::default()
    }
}

fn memo(extra: Vec<Column>) -> Table {
    let mut columns = vec![
        column("id", "integer", true, None),
        column("content", "text", true, Some("''")),
    ];
    columns.extend(extra);
    table("memo", columns)
}

fn index(name: &str, columns: &[&str]) -> Index {
    Index {
        name: name.into(),
        table: "memo".into(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        ..Index::default()
    }
}

fn captured(dialect: Dialect, release: Option<&str>, schema: Schema) -> CapturedSchema {
    CapturedSchema {
        dialect,
        release: release.map(String::from),
        schema,
    }
}

fn previous(tag: &str) -> Previous {
    Previous {
        tag: tag.into(),
        version: semver::Version::parse(tag.trim_start_matches('v')).expect("a version"),
    }
}

fn notes(baseline: Baseline<'_>, schemas: Vec<CapturedSchema>) -> String {
    let summary = Summary {
        schemas,
        ..Summary::default()
    };
    render(&Input {
        tag: "v0.3.0",
        baseline,
        dialects: &Dialect::ALL,
        replay: Some(&summary),
        minimum_upgrade: &semver::Version::new(0, 1, 0),
    })
}

#[test]
fn the_dialects_share_one_list_with_their_own_definitions() {
    let old = schema(vec![memo(vec![])], vec![]);
    let mut new_postgres = memo(vec![column("pinned", "boolean", true, Some("false"))]);
    new_postgres.columns[1] = column("content", "character varying(200)", true, Some("''"));
    let mut new_sqlite = memo(vec![column("pinned", "integer", true, Some("0"))]);
    new_sqlite.checks.push(Check {
        name: None,
        expression: "pinned IN (0, 1)".into(),
    });
    let tag = table(
        "tag",
        vec![
            column("id", "integer", true, None),
            column("name", "text", true, None),
        ],
    );
    let pinned = index("idx_memo_pinned", &["pinned"]);
    let mut postgres = schema(vec![new_postgres, tag.clone()], vec![pinned.clone()]);
    postgres.triggers.insert(
        "memo_updated".into(),
        Trigger {
            name: "memo_updated".into(),
            table: "memo".into(),
            definition: "...".into(),
        },
    );
    let sqlite = schema(vec![new_sqlite, tag], vec![pinned]);
    let previous = previous("v0.2.0");
    let text = notes(
        Baseline::Release(&previous),
        vec![
            captured(Dialect::Postgres, None, postgres),
            captured(Dialect::Postgres, Some("v0.2.0"), old.clone()),
            captured(Dialect::Sqlite, None, sqlite),
            captured(Dialect::Sqlite, Some("v0.2.0"), old),
        ],
    );
    insta::assert_snapshot!(text);
}

#[test]
fn removals_and_index_changes() {
    let old = schema(
        vec![
            memo(vec![column("tags", "text", false, None)]),
            table("storage", vec![column("id", "integer", true, None)]),
        ],
        vec![index("idx_memo_content", &["content"])],
    );
    let mut changed = index("idx_memo_content", &["content", "id"]);
    changed.unique = true;
    let new = schema(vec![memo(vec![])], vec![changed]);
    let previous = previous("v0.2.0");
    let schemas = Dialect::ALL
        .iter()
        .flat_map(|&d| {
            [
                captured(d, None, new.clone()),
                captured(d, Some("v0.2.0"), old.clone()),
            ]
        })
        .collect();
    insta::assert_snapshot!(notes(Baseline::Release(&previous), schemas));
}

#[test]
fn a_first_release_lists_the_schema() {
    let now = schema(
        vec![memo(vec![])],
        vec![index("idx_memo_content", &["content"])],
    );
    let text = notes(
        Baseline::FirstRelease,
        vec![
            captured(Dialect::Postgres, None, now.clone()),
            captured(Dialect::Sqlite, None, now),
        ],
    );
    insta::assert_snapshot!(text);
}

#[test]
fn a_missing_schema_is_a_sentence_and_no_change_says_so() {
    let now = schema(vec![memo(vec![])], vec![]);
    let below = previous("v0.0.9");
    let text = notes(
        Baseline::Release(&below),
        vec![
            captured(Dialect::Postgres, None, now.clone()),
            captured(Dialect::Sqlite, None, now.clone()),
        ],
    );
    assert!(text.contains("PostgreSQL: v0.0.9 is below the minimum upgrade version 0.1.0"));
    assert!(text.contains("SQLite: v0.0.9 is below the minimum upgrade version 0.1.0"));
    assert!(!text.contains("No schema changes"), "{text}");

    let previous = previous("v0.2.0");
    let text = notes(
        Baseline::Release(&previous),
        vec![
            captured(Dialect::Postgres, None, now.clone()),
            captured(Dialect::Postgres, Some("v0.2.0"), now.clone()),
            captured(Dialect::Sqlite, None, now),
        ],
    );
    assert_eq!(
        text,
        "## Schema changes since v0.2.0\n\n\
         SQLite: v0.2.0 has no sqlite LATEST.sql, so there is no released schema to compare \
         with; the changes are not listed.\n\n\
         No schema changes in PostgreSQL.\n"
    );
}

#[test]
fn a_script_that_did_not_apply_is_named() {
    let now = schema(vec![memo(vec![])], vec![]);
    let summary = Summary {
        chains: vec![ChainSummary {
            dialect: Dialect::Sqlite,
            name: "upgrade-from-v0.2.0".into(),
            passed: false,
            not_checked: None,
            restore_failed: false,
            engine: None,
            measured: None,
        }],
        schemas: vec![captured(Dialect::Sqlite, None, now)],
        ..Summary::default()
    };
    let previous = previous("v0.2.0");
    let text = render(&Input {
        tag: "v0.3.0",
        baseline: Baseline::Release(&previous),
        dialects: &Dialect::ALL,
        replay: Some(&summary),
        minimum_upgrade: &semver::Version::new(0, 1, 0),
    });
    assert_eq!(
        text,
        "## Schema changes since v0.2.0\n\n\
         PostgreSQL: the working tree's fresh install could not be read (its LATEST.sql did \
         not apply; see the errors above), so its schema is not listed.\n\n\
         SQLite: v0.2.0's LATEST.sql did not apply (see the errors above), so its schema \
         was not read; the changes are not listed.\n"
    );
}
