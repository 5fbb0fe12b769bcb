use std::path::PathBuf;

use super::*;
use crate::source::SourceFile;

/// The findings of `text` as a migration under `minimum`, one per line: `line:col-line:col
/// message`.
fn findings(minimum: &str, text: &str) -> String {
    let source = SourceFile::new(PathBuf::from("t.sql"), "t.sql".into(), text.into());
    let file = SqlFile::load(
        source,
        Dialect::Sqlite,
        Role::Migration(semver::Version::new(0, 2, 0)),
    );
    let mut config = Config::default();
    config.engines.sqlite_minimum = Some(minimum.parse().unwrap());
    let mut out = Vec::new();
    check(&file, &config, &mut out);
    out.iter()
        .map(|d| {
            let span = d.span.unwrap_or(Span::on_line(0, 0, 0));
            format!(
                "{}:{}-{}:{} {}\n",
                span.start.line, span.start.column, span.end.line, span.end.column, d.message
            )
        })
        .collect()
}

/// The ids of the rows `text` uses, under the oldest minimum.
fn rows(text: &str) -> Vec<&'static str> {
    let source = SourceFile::new(PathBuf::from("t.sql"), "t.sql".into(), text.into());
    let file = SqlFile::load(source, Dialect::Sqlite, Role::Seed);
    let mut ids = Vec::new();
    for statement in &file.statements {
        let scan = detect::Scan::new(statement.significant().collect());
        for feature in FEATURES {
            let mut spans = Vec::new();
            feature.find.run(&scan, &mut spans);
            ids.extend(spans.iter().map(|_| feature.id));
        }
    }
    ids
}

#[test]
fn the_message_names_the_feature_its_version_and_the_minimum() {
    insta::assert_snapshot!(findings("3.31", "ALTER TABLE memo DROP COLUMN payload;"), @"1:18-1:29 `ALTER TABLE ... DROP COLUMN` needs SQLite 3.35 (2021-03-12); engines.sqlite-minimum is 3.31");
    assert_eq!(
        findings("3.35", "ALTER TABLE memo DROP COLUMN payload;"),
        ""
    );
    assert_eq!(findings("3.35.5", "ALTER TABLE memo DROP payload;"), "");
}

#[test]
fn nothing_without_a_minimum_or_outside_sqlite() {
    let text = "ALTER TABLE memo DROP COLUMN payload;";
    let source = SourceFile::new(PathBuf::from("t.sql"), "t.sql".into(), text.into());
    let file = SqlFile::load(source, Dialect::Sqlite, Role::Latest);
    let mut out = Vec::new();
    check(&file, &Config::default(), &mut out);
    assert!(out.is_empty());
    let source = SourceFile::new(PathBuf::from("t.sql"), "t.sql".into(), text.into());
    let file = SqlFile::load(source, Dialect::Postgres, Role::Latest);
    let mut config = Config::default();
    config.engines.sqlite_minimum = Some(SqliteVersion::new(3, 20, 0));
    check(&file, &config, &mut out);
    assert!(out.is_empty());
}

#[test]
fn migrations_below_the_minimum_upgrade_are_history() {
    let source = SourceFile::new(
        PathBuf::from("t.sql"),
        "t.sql".into(),
        "SELECT iif(1, 2, 3);".into(),
    );
    let file = SqlFile::load(
        source,
        Dialect::Sqlite,
        Role::Migration(semver::Version::new(0, 1, 0)),
    );
    let mut config = Config::default();
    config.engines.sqlite_minimum = Some(SqliteVersion::new(3, 20, 0));
    config.minimum_upgrade = semver::Version::new(0, 2, 0);
    let mut out = Vec::new();
    check(&file, &config, &mut out);
    assert!(out.is_empty());
    config.lint_below_minimum = true;
    check(&file, &config, &mut out);
    assert_eq!(out.len(), 1);
}

#[test]
fn each_row_finds_its_feature() {
    let cases: &[(&str, &str)] = &[
        (
            "upsert",
            "INSERT INTO t (k) VALUES (1) ON CONFLICT (k) DO NOTHING",
        ),
        (
            "upsert",
            "INSERT INTO t (k) VALUES (1) ON CONFLICT DO NOTHING",
        ),
        (
            "upsert-generalized",
            "INSERT INTO t (k) VALUES (1) ON CONFLICT DO UPDATE SET v = 1",
        ),
        ("rename-column", "ALTER TABLE t RENAME COLUMN a TO b"),
        ("rename-column", "ALTER TABLE t RENAME a TO b"),
        (
            "window-functions",
            "SELECT row_number() OVER (ORDER BY k) FROM t",
        ),
        ("nulls-first-last", "SELECT k FROM t ORDER BY k NULLS LAST"),
        (
            "aggregate-filter",
            "SELECT count(*) FILTER (WHERE k > 1) FROM t",
        ),
        (
            "generated-columns",
            "CREATE TABLE t (a INTEGER, b INTEGER GENERATED ALWAYS AS (a * 2))",
        ),
        (
            "generated-columns",
            "ALTER TABLE t ADD COLUMN b INTEGER AS (a * 2)",
        ),
        ("iif", "SELECT iif(k > 1, 'a', 'b') FROM t"),
        ("update-from", "UPDATE t SET v = o.v FROM o WHERE o.k = t.k"),
        ("drop-column", "ALTER TABLE t DROP COLUMN v"),
        ("returning", "DELETE FROM t WHERE k = 1 RETURNING k"),
        (
            "materialized-cte",
            "WITH x AS MATERIALIZED (SELECT 1) SELECT * FROM x",
        ),
        (
            "materialized-cte",
            "WITH x AS NOT MATERIALIZED (SELECT 1) SELECT * FROM x",
        ),
        (
            "strict-tables",
            "CREATE TABLE t (k INTEGER PRIMARY KEY) WITHOUT ROWID, STRICT",
        ),
        (
            "json-arrow",
            "SELECT payload ->> '$.a', payload -> 'b' FROM t",
        ),
        ("unixepoch", "SELECT unixepoch('now')"),
        (
            "json-functions",
            "SELECT json_extract(payload, '$.a') FROM t, json_each(t.payload)",
        ),
        ("is-distinct-from", "SELECT a IS NOT DISTINCT FROM b FROM t"),
        (
            "right-full-join",
            "SELECT * FROM a FULL OUTER JOIN b ON a.k = b.k",
        ),
        ("concat", "SELECT concat_ws(',', a, b) FROM t"),
        (
            "jsonb-functions",
            "SELECT jsonb_set(payload, '$.a', 1) FROM t",
        ),
        ("octet-length", "SELECT octet_length(payload) FROM t"),
        ("timediff", "SELECT timediff(a, b) FROM t"),
        ("string-agg", "SELECT string_agg(k, ',') FROM t"),
        ("json-pretty", "SELECT json_pretty(payload) FROM t"),
    ];
    for (id, sql) in cases {
        let found = rows(sql);
        assert!(found.contains(id), "{sql}: expected {id}, found {found:?}");
    }
    for feature in FEATURES {
        assert!(
            cases.iter().any(|(id, _)| *id == feature.id),
            "row {} has no test here",
            feature.id
        );
    }
}

#[test]
fn look_alikes_are_left_alone() {
    let text = "CREATE TABLE t (k INTEGER PRIMARY KEY ON CONFLICT REPLACE, returning TEXT, strict INTEGER, \"over\" TEXT, v TEXT DEFAULT (CAST(1 AS TEXT)));\n\
        INSERT OR REPLACE INTO t (k) VALUES (1);\n\
        CREATE TABLE c AS SELECT * FROM t;\n\
        ALTER TABLE t RENAME TO u;\n\
        SELECT 'iif(1)', t.iif, x.json_extract FROM t LEFT JOIN x ON 1 -- json(x) -> y\n\
        WHERE k IS NOT NULL ORDER BY k;\n\
        CREATE TRIGGER g AFTER UPDATE ON t BEGIN UPDATE t SET k = 1; SELECT 1 FROM t; END;\n\
        SELECT jsonb_col FROM t";
    assert_eq!(rows(text), Vec::<&str>::new());
}

#[test]
fn a_second_upsert_clause_is_the_generalized_form() {
    assert_eq!(
        rows("INSERT INTO t (k) VALUES (1) ON CONFLICT (k) DO NOTHING ON CONFLICT (v) DO UPDATE SET v = 2"),
        vec!["upsert", "upsert-generalized"]
    );
    // Each INSERT of a trigger body counts its own clauses.
    assert_eq!(
        rows("CREATE TRIGGER g AFTER INSERT ON s BEGIN INSERT INTO t (k) VALUES (1) ON CONFLICT (k) DO NOTHING; INSERT INTO u (k) VALUES (1) ON CONFLICT (k) DO NOTHING; END"),
        vec!["upsert", "upsert"]
    );
}

/// The markdown table of docs/sqlite-features.md, as the feature table gives it.
fn markdown_table() -> String {
    let mut table =
        String::from("| Row | Feature | Since | Released |\n| --- | --- | --- | --- |\n");
    for feature in FEATURES {
        let release = format!("{}.{}.0", feature.since.major, feature.since.minor);
        table.push_str(&format!(
            "| `{}` | {} | [{}](https://sqlite.org/releaselog/{}.html) | {} |\n",
            feature.id,
            feature.name,
            release,
            release.replace('.', "_"),
            feature.released
        ));
    }
    table
}

#[test]
fn the_document_lists_the_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/sqlite-features.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let table = markdown_table();
    assert!(
        doc.contains(&table),
        "docs/sqlite-features.md does not hold the table of xtask/src/rules/sqlite_features/table.rs; write it as:\n{table}"
    );
}

#[test]
fn the_rows_are_oldest_first_and_named_once() {
    for pair in FEATURES.windows(2) {
        assert!(
            pair[0].since <= pair[1].since,
            "{} before {}",
            pair[0].id,
            pair[1].id
        );
    }
    let mut ids: Vec<&str> = FEATURES.iter().map(|f| f.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), FEATURES.len());
}

/// Every row has its two cases in tests/cases/sqlite_minimum/ (`<row>.txt`, the feature under
/// a minimum below its release, and `<row>-at-minimum.txt`, the same at its release), and every
/// case there that is named after a row belongs to one.
#[test]
fn every_row_has_its_cases() {
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/cases/sqlite_minimum");
    let names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for feature in FEATURES {
        for name in [
            format!("{}.txt", feature.id),
            format!("{}-at-minimum.txt", feature.id),
        ] {
            assert!(
                names.contains(&name),
                "row {} has no case {name}",
                feature.id
            );
        }
        let below = std::fs::read_to_string(format!("{folder}/{}.txt", feature.id)).unwrap();
        assert!(
            below.contains("-- expect: sqlite-too-old "),
            "{}.txt expects no sqlite-too-old",
            feature.id
        );
        let at =
            std::fs::read_to_string(format!("{folder}/{}-at-minimum.txt", feature.id)).unwrap();
        assert!(
            at.contains(&format!("sqlite-minimum = \"{}\"", feature.since)),
            "{}-at-minimum.txt does not set the minimum to {}",
            feature.id,
            feature.since
        );
    }
}
