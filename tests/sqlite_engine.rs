//! The SQLite engine and its introspection, on the bundled SQLite and the repository's store:
//! the fresh-install script and the whole migration chain must build equal schemas, and every
//! kind of drift between two schemas must show as an inequality.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use xtask::config::{Config, History, Stamp, VersionRule};
use xtask::dialect::Dialect;
use xtask::engine::sqlite::SqliteDatabase;
use xtask::engine::{Database, StatementError};
use xtask::schema::Schema;
use xtask::source::SourceFile;
use xtask::sql::{Role, SqlFile};

/// Far longer than any statement of the store takes; only the timeout test runs into its own.
const TIMEOUT: Duration = Duration::from_secs(30);

fn sqlite_root() -> PathBuf {
    support::project_root().join("store/migration/sqlite")
}

fn open() -> SqliteDatabase {
    SqliteDatabase::open_in_memory(true).unwrap_or_else(|error| panic!("{error:#}"))
}

fn load(path: &Path, text: String, role: Role) -> SqlFile {
    let display = path.display().to_string();
    let file = SqlFile::load(
        SourceFile::new(path.to_path_buf(), display, text),
        Dialect::Sqlite,
        role,
    );
    if let Some((message, position)) = &file.tokenize_error {
        panic!("{}:{position:?}: {message}", file.source.display);
    }
    file
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Runs every statement of a file, panicking with the statement's place on the first error.
fn apply(db: &mut SqliteDatabase, file: &SqlFile) {
    for statement in &file.statements {
        if let Err(error) = db.execute(file.text_of(statement), TIMEOUT) {
            panic!(
                "{}:{}: {error}",
                file.source.display, statement.span.start.line
            );
        }
    }
}

/// Applies SQL files in one transaction, as the service applies `LATEST.sql` or a chain.
fn apply_in_one_transaction(files: &[SqlFile]) -> SqliteDatabase {
    let mut db = open();
    db.begin().unwrap();
    for file in files {
        apply(&mut db, file);
    }
    db.commit().unwrap();
    db
}

fn introspect(db: &mut SqliteDatabase) -> Schema {
    db.introspect().unwrap_or_else(|error| panic!("{error:#}"))
}

fn latest_text() -> String {
    read(&sqlite_root().join("LATEST.sql"))
}

fn schema_of(latest: &str) -> Schema {
    let file = load(Path::new("LATEST.sql"), latest.to_string(), Role::Latest);
    introspect(&mut apply_in_one_transaction(&[file]))
}

/// The migration files of the store in the order the service runs them: version folders in
/// semver order (0.9 before 0.10), then files by their sequence number.
fn chain() -> Vec<SqlFile> {
    let mut folders: Vec<((u64, u64), PathBuf)> = std::fs::read_dir(sqlite_root())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let (major, minor) = name.split_once('.').unwrap();
            ((major.parse().unwrap(), minor.parse().unwrap()), path)
        })
        .collect();
    folders.sort();
    let mut files = Vec::new();
    for ((major, minor), folder) in folders {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        paths.sort();
        for path in paths {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let sequence: u64 = name[..2].parse().unwrap();
            let version = semver::Version::new(major, minor, sequence + 1);
            files.push(load(&path, read(&path), Role::Migration(version)));
        }
    }
    files
}

#[test]
fn the_store_chain_has_every_migration_in_semver_order() {
    let names: Vec<String> = chain()
        .iter()
        .map(|file| match &file.role {
            Role::Migration(version) => version.to_string(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(names.len(), 25);
    assert_eq!(names.first().map(String::as_str), Some("0.1.1"));
    assert_eq!(names.last().map(String::as_str), Some("0.10.3"));
    let position = |v: &str| names.iter().position(|n| n == v).unwrap();
    assert!(position("0.9.2") < position("0.10.1"));
}

#[test]
fn latest_and_the_full_chain_build_equal_schemas() {
    let latest = schema_of(&latest_text());
    let mut chained = apply_in_one_transaction(&chain());
    let chained = introspect(&mut chained);

    // Table by table first, so that a failure names the table that differs.
    let names = |schema: &Schema| schema.tables.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&latest), names(&chained));
    for (name, table) in &latest.tables {
        assert_eq!(Some(table), chained.tables.get(name), "table {name}");
    }
    assert_eq!(latest.indexes, chained.indexes);
    assert_eq!(latest.triggers, chained.triggers);
    assert_eq!(latest, chained);
    assert_eq!(latest.tables.len(), 10);
}

#[test]
fn the_store_latest_schema() {
    insta::assert_json_snapshot!(schema_of(&latest_text()));
}

#[test]
fn latest_stamps_the_schema_version() {
    let mut db = open();
    let basic = Config::default().stamp;
    let other = Stamp {
        key: "NO SUCH SETTING".into(),
        ..basic.clone()
    };
    assert!(db.stamp_record(&basic).unwrap().is_empty());
    let file = load(Path::new("LATEST.sql"), latest_text(), Role::Latest);
    db.begin().unwrap();
    apply(&mut db, &file);
    db.commit().unwrap();
    assert_eq!(
        db.stamp_record(&basic).unwrap(),
        [r#"{"schemaVersion":"0.10.3"}"#]
    );
    assert!(db.stamp_record(&other).unwrap().is_empty());
}

#[test]
fn settings_are_none_until_the_table_and_row_exist() {
    let mut db = open();
    let basic = Config::default().stamp;
    assert!(db.stamp_record(&basic).unwrap().is_empty());
    db.execute(
        "CREATE TABLE instance_setting (name TEXT PRIMARY KEY, value TEXT)",
        TIMEOUT,
    )
    .unwrap();
    assert!(db.stamp_record(&basic).unwrap().is_empty());
    db.execute(
        "INSERT INTO instance_setting VALUES ('BASIC', '{\"schemaVersion\":\"0.1.0\"}')",
        TIMEOUT,
    )
    .unwrap();
    assert_eq!(
        db.stamp_record(&basic).unwrap(),
        [r#"{"schemaVersion":"0.1.0"}"#]
    );
}

#[test]
fn a_history_table_holds_every_recorded_version() {
    let mut db = open();
    let history = Stamp {
        history: Some(History {
            table: "migration_history".into(),
            column: "version".into(),
        }),
        ..Config::default().stamp
    };
    assert!(db.stamp_record(&history).unwrap().is_empty());
    db.execute(
        "CREATE TABLE migration_history (version TEXT, created_ts BIGINT NOT NULL DEFAULT (strftime('%s', 'now')))",
        TIMEOUT,
    )
    .unwrap();
    for version in ["0.9.0", "0.10.0"] {
        let (sql, _) = history.write_sql(Dialect::Sqlite, version);
        db.execute(&sql, TIMEOUT).unwrap();
    }
    db.execute(
        "INSERT INTO migration_history (version) VALUES (NULL)",
        TIMEOUT,
    )
    .unwrap();
    let record = db.stamp_record(&history).unwrap();
    assert_eq!(record, ["0.9.0", "0.10.0"]);
    assert_eq!(
        history
            .stored_version(&record, VersionRule::Store, false)
            .as_deref(),
        Some("0.10.0")
    );
}

/// `text` with `find` replaced by `replace`. `find` must occur exactly once, so that a change of
/// the store cannot leave a test comparing a schema with itself.
fn edit(text: &str, find: &str, replace: &str) -> String {
    assert_eq!(text.matches(find).count(), 1, "{find:?} in LATEST.sql");
    text.replacen(find, replace, 1)
}

/// The schemas of the store's `LATEST.sql` and of a copy with one edit.
fn changed_latest(find: &str, replace: &str) -> (Schema, Schema) {
    let latest = latest_text();
    (schema_of(&latest), schema_of(&edit(&latest, find, replace)))
}

#[test]
fn another_default_differs() {
    let (base, changed) = changed_latest(
        "payload TEXT NOT NULL DEFAULT '{}'",
        "payload TEXT NOT NULL DEFAULT '[]'",
    );
    assert_ne!(base, changed);
    let default = |schema: &Schema| schema.tables["memo"].columns[9].default.clone();
    assert_eq!(default(&base).as_deref(), Some("'{}'"));
    assert_eq!(default(&changed).as_deref(), Some("'[]'"));
}

#[test]
fn a_missing_index_differs() {
    let (base, changed) =
        changed_latest("CREATE INDEX idx_memo_creator_id ON memo (creator_id);", "");
    assert_ne!(base, changed);
    assert!(base.indexes.contains_key("idx_memo_creator_id"));
    assert!(!changed.indexes.contains_key("idx_memo_creator_id"));
}

#[test]
fn an_extra_column_differs() {
    let (base, changed) = changed_latest(
        "  url TEXT NOT NULL\n",
        "  url TEXT NOT NULL,\n  secret TEXT\n",
    );
    assert_ne!(base, changed);
    assert_eq!(
        changed.tables["webhook"].columns.len(),
        base.tables["webhook"].columns.len() + 1
    );
}

#[test]
fn a_changed_check_differs() {
    let (base, changed) = changed_latest(
        "CHECK (visibility IN ('PUBLIC', 'PROTECTED', 'PRIVATE'))",
        "CHECK (visibility IN ('PUBLIC', 'PRIVATE'))",
    );
    assert_ne!(base.tables["memo"].checks, changed.tables["memo"].checks);
    assert_eq!(base.tables["memo"].columns, changed.tables["memo"].columns);
}

#[test]
fn a_changed_partial_index_predicate_differs() {
    let (base, changed) = changed_latest(
        "ON memo (creator_id) WHERE pinned = 1",
        "ON memo (creator_id) WHERE pinned = 0",
    );
    assert_ne!(base, changed);
    assert_eq!(
        changed.indexes["idx_memo_pinned"].predicate.as_deref(),
        Some("pinned = 0")
    );
}

#[test]
fn a_changed_foreign_key_action_differs() {
    let (base, changed) = changed_latest(
        "memo_id INTEGER REFERENCES memo (id) ON DELETE SET NULL",
        "memo_id INTEGER REFERENCES memo (id) ON DELETE CASCADE",
    );
    let actions = |schema: &Schema| {
        schema.tables["attachment"]
            .foreign_keys
            .iter()
            .map(|key| key.on_delete.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(actions(&base), ["cascade", "set null"]);
    assert_eq!(actions(&changed), ["cascade", "cascade"]);
}

#[test]
fn a_changed_column_order_differs() {
    let (base, changed) = changed_latest(
        "  reaction_type TEXT NOT NULL,\n  content_id TEXT NOT NULL DEFAULT ''\n",
        "  content_id TEXT NOT NULL DEFAULT '',\n  reaction_type TEXT NOT NULL\n",
    );
    assert_ne!(base, changed);
    let sorted = |schema: &Schema| {
        let mut columns = schema.tables["reaction"].columns.clone();
        columns.sort_by(|a, b| a.name.cmp(&b.name));
        columns
    };
    assert_eq!(sorted(&base), sorted(&changed));
}

#[test]
fn a_changed_trigger_body_differs() {
    let (base, changed) = changed_latest(
        "CAST(strftime('%s', 'now') AS INTEGER) WHERE id = NEW.id",
        "CAST(strftime('%s', 'now') AS TEXT) WHERE id = NEW.id",
    );
    assert_ne!(base.triggers, changed.triggers);
    assert_eq!(base.tables, changed.tables);
}

#[test]
fn an_inline_unique_is_no_unique_index() {
    // The field notes' drift: a plain column with a separate unique index in one script,
    // `uid TEXT NOT NULL UNIQUE` in the other.
    let latest = latest_text();
    let inline = edit(
        &latest,
        "config TEXT NOT NULL DEFAULT '{}',\n  uid TEXT NOT NULL DEFAULT ''",
        "config TEXT NOT NULL DEFAULT '{}',\n  uid TEXT NOT NULL UNIQUE",
    );
    let inline = edit(&inline, "CREATE UNIQUE INDEX idx_idp_uid ON idp (uid);", "");
    let (base, inline) = (schema_of(&latest), schema_of(&inline));
    assert_ne!(base, inline);
    assert_eq!(base.tables["idp"].uniques, []);
    assert_eq!(inline.tables["idp"].uniques.len(), 1);
    assert!(base.indexes.contains_key("idx_idp_uid"));
    assert!(!inline.indexes.contains_key("idx_idp_uid"));
}

#[test]
fn equal_meaning_written_differently_compares_equal() {
    let latest = latest_text();
    let edits = [
        ("CREATE TABLE memo_relation (", "create table \"memo_relation\" ("),
        (
            "CHECK (memo_id <> related_memo_id)",
            "CHECK ((\"MEMO_ID\"!=related_memo_id))",
        ),
        (
            "CREATE TABLE idp (\n  id INTEGER PRIMARY KEY AUTOINCREMENT,",
            "CREATE TABLE idp (\n  id integer NOT NULL,",
        ),
        (
            "  uid TEXT NOT NULL DEFAULT ''\n);\n\nCREATE UNIQUE INDEX idx_idp_uid",
            "  uid TEXT NOT NULL DEFAULT '',\n  PRIMARY KEY (id AUTOINCREMENT)\n);\n\nCREATE UNIQUE INDEX idx_idp_uid",
        ),
        (
            "CREATE INDEX idx_memo_pinned ON memo (creator_id) WHERE pinned = 1;",
            "CREATE INDEX idx_memo_pinned ON memo (\"creator_id\") WHERE (pinned=1);",
        ),
        (
            "row_status TEXT NOT NULL DEFAULT 'NORMAL' CONSTRAINT user_row_status_check",
            "row_status TEXT NOT NULL DEFAULT ('NORMAL') CONSTRAINT user_row_status_check",
        ),
    ];
    let respelled = edits.iter().fold(latest.clone(), |text, (find, replace)| {
        edit(&text, find, replace)
    });
    assert_eq!(schema_of(&latest), schema_of(&respelled));
}

#[test]
fn a_failing_statement_reports_sqlites_message() {
    let mut db = open();
    let error = db.execute("SELECT * FROM x;", TIMEOUT).unwrap_err();
    assert_eq!(
        error,
        StatementError {
            message: "no such table: x".into(),
            sqlstate: None,
            offset: None,
            timed_out: false,
            denied: false,
        }
    );
}

#[test]
fn a_runaway_statement_is_interrupted() {
    let mut db = open();
    db.begin().unwrap();
    let error = db
        .execute(
            "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM r) SELECT count(*) FROM r;",
            Duration::from_millis(50),
        )
        .unwrap_err();
    assert!(error.timed_out, "{error:?}");
    assert!(error.message.contains("timeout"), "{}", error.message);
    db.rollback().unwrap();
    // The database goes on working, and the next statement is not interrupted.
    db.execute("CREATE TABLE t (a INTEGER)", TIMEOUT).unwrap();
    db.execute("SELECT count(*) FROM t", TIMEOUT).unwrap();
}

#[test]
fn a_deferred_foreign_key_violation_fails_the_commit() {
    let mut db = open();
    db.execute("CREATE TABLE p (id INTEGER PRIMARY KEY)", TIMEOUT)
        .unwrap();
    db.execute(
        "CREATE TABLE c (p INTEGER REFERENCES p (id) DEFERRABLE INITIALLY DEFERRED)",
        TIMEOUT,
    )
    .unwrap();
    db.begin().unwrap();
    db.execute("INSERT INTO c VALUES (5)", TIMEOUT).unwrap();
    let error = db.commit().unwrap_err();
    assert_eq!(error.message, "FOREIGN KEY constraint failed");
    db.rollback().unwrap();
    assert_eq!(introspect(&mut db).tables.len(), 2);
}

#[test]
fn foreign_keys_are_enforced_only_when_asked() {
    let schema =
        "CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (p INTEGER REFERENCES p (id));";
    let orphan = "INSERT INTO c VALUES (5)";
    for (foreign_keys, fails) in [(true, true), (false, false)] {
        let mut db = SqliteDatabase::open_in_memory(foreign_keys).unwrap();
        db.execute(schema, TIMEOUT).unwrap();
        assert_eq!(db.execute(orphan, TIMEOUT).is_err(), fails);
    }
}

#[test]
fn the_engine_reports_its_version() {
    let db = open();
    let reported: String = db
        .connection()
        .query_row("SELECT sqlite_version()", [], |row| row.get(0))
        .unwrap();
    assert_eq!(xtask::engine::sqlite::version(), reported);
}

/// Runs a script in one transaction and reads the schema back.
fn schema_of_script(sql: &str) -> Schema {
    let file = load(Path::new("t.sql"), sql.to_string(), Role::Latest);
    introspect(&mut apply_in_one_transaction(&[file]))
}

/// Valid SQLite that sqlparser cannot read (an `INTEGER[]` column, an odd type name) is
/// introspected from the pragmas like any other table: two ways of building it compare equal, and
/// a drift in it still shows.
#[test]
fn a_table_sqlparser_cannot_read_introspects_and_compares_like_any_other() {
    let fresh = schema_of_script(
        "CREATE TABLE memo (id INTEGER PRIMARY KEY AUTOINCREMENT, tags INTEGER[] NOT NULL \
         DEFAULT '[]', size UNSIGNED BIG INT CHECK (size >= 0), CONSTRAINT memo_id_positive \
         CHECK (id > 0));\n\
         CREATE INDEX idx_memo_tags ON memo (tags) WHERE tags <> '[]';",
    );
    let memo = &fresh.tables["memo"];
    let columns: Vec<(&str, &str, bool, Option<&str>)> = memo
        .columns
        .iter()
        .map(|c| {
            (
                c.name.as_str(),
                c.data_type.as_str(),
                c.not_null,
                c.default.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        columns,
        [
            ("id", "integer", true, None),
            ("tags", "integer[]", true, Some("'[]'")),
            ("size", "unsigned big int", false, None),
        ]
    );
    // The CHECKs come from the text, read one definition at a time.
    let checks: Vec<(Option<&str>, &str)> = memo
        .checks
        .iter()
        .map(|c| (c.name.as_deref(), c.expression.as_str()))
        .collect();
    assert_eq!(
        checks,
        [(None, "size >= 0"), (Some("memo_id_positive"), "id > 0")]
    );
    assert_eq!(fresh.indexes["idx_memo_tags"].columns, ["tags"]);
    assert!(fresh.unread.is_empty(), "{:?}", fresh.unread);

    let chained = schema_of_script(
        "CREATE TABLE memo (id INTEGER PRIMARY KEY AUTOINCREMENT, CONSTRAINT memo_id_positive \
         CHECK (id > 0));\n\
         ALTER TABLE memo ADD COLUMN tags INTEGER[] NOT NULL DEFAULT '[]';\n\
         ALTER TABLE memo ADD COLUMN size UNSIGNED BIG INT CHECK (size >= 0);\n\
         CREATE INDEX idx_memo_tags ON memo (tags) WHERE tags <> '[]';",
    );
    assert_eq!(fresh, chained);

    let drifted = schema_of_script(
        "CREATE TABLE memo (id INTEGER PRIMARY KEY AUTOINCREMENT, tags INTEGER[] NOT NULL \
         DEFAULT '{}', size UNSIGNED BIG INT CHECK (size >= 0), CONSTRAINT memo_id_positive \
         CHECK (id > 0));\n\
         CREATE INDEX idx_memo_tags ON memo (tags) WHERE tags <> '[]';",
    );
    assert_ne!(fresh, drifted);
    let differences = xtask::schema::diff::diff(&fresh, &drifted);
    assert!(
        differences
            .iter()
            .any(|d| d.object == "table memo" && d.aspect.contains("tags")),
        "{differences:#?}"
    );
}

/// What neither sqlparser nor a reading without the type can make out is named in a note, and
/// the rest of the table is still read from the pragmas.
#[test]
fn an_unreadable_definition_is_noted_not_fatal() {
    let schema = schema_of_script(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL CHECK (a NOT GLOB '*[^a-z]*'), \
         b INTEGER[] REFERENCES t (id) ON DELETE CASCADE, c AS (id * 2) STORED);",
    );
    let t = &schema.tables["t"];
    assert_eq!(t.columns.len(), 4);
    assert!(t.columns[1].not_null);
    assert_eq!(t.foreign_keys[0].on_delete, "cascade");
    assert_eq!(
        t.columns[3].generated.as_deref(),
        Some("generated stored (id * 2)")
    );
    let unread: Vec<(&str, &str)> = schema
        .unread
        .iter()
        .map(|u| (u.object.as_str(), u.what.as_str()))
        .collect();
    assert_eq!(unread.len(), 1, "{unread:?}");
    assert_eq!(unread[0].0, "table t");
    assert!(
        unread[0]
            .1
            .contains("`a TEXT NOT NULL CHECK (a NOT GLOB '*[^a-z]*')`"),
        "{unread:?}"
    );
    // The CHECK that could not be read is the only thing missing.
    assert!(t.checks.is_empty());
}

/// Runs `sql` and expects the box to refuse it, leaving nothing in `dir`.
fn assert_denied(db: &mut SqliteDatabase, sql: &str, dir: &Path) -> StatementError {
    let error = db.execute(sql, TIMEOUT).unwrap_err();
    assert!(error.denied, "{sql}: {error:?}");
    let left: Vec<_> = std::fs::read_dir(dir).unwrap().collect();
    assert!(left.is_empty(), "{sql} created {left:?}");
    error
}

#[test]
fn attach_creates_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = open();
    let file = dir.path().join("x.db");
    let error = assert_denied(
        &mut db,
        &format!("ATTACH DATABASE '{}' AS x", file.display()),
        dir.path(),
    );
    assert!(error.message.contains("ATTACH"), "{}", error.message);
    // A URI that names another VFS or asks for the file to be created is refused the same way.
    assert_denied(
        &mut db,
        &format!("ATTACH 'file:{}?mode=rwc' AS y", file.display()),
        dir.path(),
    );
    assert_denied(&mut db, "DETACH DATABASE main", dir.path());
    // The database goes on working after a refusal.
    db.execute("CREATE TABLE t (a INTEGER)", TIMEOUT).unwrap();
}

#[test]
fn vacuum_into_writes_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = open();
    db.execute("CREATE TABLE t (a INTEGER)", TIMEOUT).unwrap();
    let file = dir.path().join("y.db");
    assert_denied(
        &mut db,
        &format!("VACUUM INTO '{}'", file.display()),
        dir.path(),
    );
    db.execute("INSERT INTO t VALUES (1)", TIMEOUT).unwrap();
}

#[test]
fn pragmas_and_functions_that_reach_the_host_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = open();
    for sql in [
        format!("PRAGMA temp_store_directory = '{}'", dir.path().display()),
        format!("PRAGMA data_store_directory = '{}'", dir.path().display()),
        "PRAGMA hard_heap_limit = 1".to_string(),
        "PRAGMA soft_heap_limit = 1".to_string(),
        "PRAGMA trusted_schema = ON".to_string(),
        "PRAGMA temp_store = FILE".to_string(),
        format!("SELECT load_extension('{}/libx')", dir.path().display()),
    ] {
        assert_denied(&mut db, &sql, dir.path());
    }
    // What migrations legitimately use still runs.
    for sql in [
        "PRAGMA foreign_keys = ON",
        "PRAGMA user_version = 3",
        "PRAGMA legacy_alter_table = OFF",
        "CREATE TABLE t (a INTEGER)",
        "PRAGMA table_info(t)",
        "SELECT * FROM pragma_table_info('t')",
        "CREATE TEMP TABLE scratch (a INTEGER)",
        "PRAGMA trusted_schema",
    ] {
        db.execute(sql, TIMEOUT)
            .unwrap_or_else(|error| panic!("{sql}: {error:?}"));
    }
    let connection = db.connection();
    let read = |pragma: &str| -> i64 {
        connection
            .query_row(&format!("PRAGMA {pragma}"), [], |row| row.get(0))
            .unwrap()
    };
    // The box's settings hold: schema functions are untrusted, temporary tables in memory.
    assert_eq!(read("trusted_schema"), 0);
    assert_eq!(read("temp_store"), 2);
}

fn count(db: &mut dyn Database, table: &str) -> String {
    let rows = db
        .query(&format!("SELECT count(*) FROM {table}"), TIMEOUT)
        .unwrap_or_else(|error| panic!("{error}"));
    rows[0][0].clone().unwrap_or_default()
}

/// The restore drill's round trip: the online backup into a file of a private folder, reopened
/// with the same schema and rows; the folder is gone afterwards.
#[test]
fn the_backup_round_trip_restores_the_same_schema_and_rows() {
    let mut db =
        apply_in_one_transaction(&[load(Path::new("LATEST.sql"), latest_text(), Role::Latest)]);
    db.execute(
        "CREATE TABLE drill (id INTEGER PRIMARY KEY, note TEXT); \
         INSERT INTO drill (note) VALUES ('a'), ('b'), (NULL);",
        TIMEOUT,
    )
    .unwrap_or_else(|error| panic!("{error}"));
    let schema = introspect(&mut db);
    let before = support::private_dirs();
    let mut restored = None;
    let drill = db
        .restore_drill(TIMEOUT, &mut |copy| {
            let folders = support::private_dirs().len();
            let schema = copy
                .introspect()
                .unwrap_or_else(|error| panic!("{error:#}"));
            restored = Some((schema, count(copy, "drill"), folders));
        })
        .unwrap_or_else(|error| panic!("{error:#}"));
    assert_eq!(drill, xtask::engine::Drill::Restored);
    let (restored_schema, rows, folders) = restored.expect("the restored database was read");
    assert_eq!(restored_schema, schema);
    assert_eq!(rows, "3");
    assert_eq!(
        folders,
        before.len() + 1,
        "the backup is in a private folder"
    );
    assert_eq!(
        support::private_dirs(),
        before,
        "the drill's folder was left behind"
    );
}
