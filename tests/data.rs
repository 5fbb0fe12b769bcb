//! The row generator (`xtask::data`) on real engines: the store's fresh-install schemas of both
//! dialects get every row, and a fixture schema per dialect shows each feature the generator
//! promises (foreign-key chains, a cycle, a self-reference, composite keys, CHECK lists and
//! ranges, SQLite's `0/1` booleans, JSON, enums, identity columns, text lengths, arrays, a
//! unique boolean whose extra rows are reported), determinism, and sequences past the keys.
//!
//! Each PostgreSQL test starts a throwaway cluster of its own (see tests/postgres_schema.rs for
//! why none is shared).

mod support;

use std::time::Duration;

use xtask::config::Privileges;
use xtask::data::{populate, Filled, Options, Populated};
use xtask::dialect::Dialect;
use xtask::engine::postgres::{
    BinariesOptions, PostgresServer, PostgresSettings, PostgresSource, ReplayAs,
};
use xtask::engine::sqlite::SqliteDatabase;
use xtask::engine::{Database, Rows, Server};
use xtask::schema::Schema;
use xtask::source::SourceFile;
use xtask::sql::{Role, SqlFile};

/// Far longer than any statement here takes.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Regular rows per table: more than the parents' rows a pair of keys needs, few enough to stay
/// quick.
const ROWS: usize = 12;

/// The edge rows a table can get (every nullable column NULL, defaults, empty values, long text).
const EDGE_ROWS: usize = 4;

/// Runs every statement of `sql`, split as the replay splits files, panicking on the first error.
fn run(db: &mut dyn Database, dialect: Dialect, sql: &str) {
    let file = SqlFile::load(
        SourceFile::new("fixture.sql".into(), "fixture.sql".into(), sql.to_string()),
        dialect,
        Role::Latest,
    );
    for statement in &file.statements {
        let text = file.text_of(statement);
        if let Err(error) = db.execute(text, TIMEOUT) {
            panic!("{text}: {error}");
        }
    }
}

fn query(db: &mut dyn Database, sql: &str) -> Rows {
    db.query(sql, TIMEOUT)
        .unwrap_or_else(|error| panic!("{sql}: {error}"))
}

/// The one integer a query returns.
fn number(db: &mut dyn Database, sql: &str) -> i64 {
    let rows = query(db, sql);
    let value = rows.first().and_then(|row| row.first()).cloned().flatten();
    value
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| panic!("{sql}: {rows:?}"))
}

/// Introspects `db` and fills it with `ROWS` rows per table but `skip`.
fn fill(db: &mut dyn Database, dialect: Dialect, skip: &[&str]) -> (Schema, Populated) {
    let schema = db.introspect().unwrap_or_else(|error| panic!("{error:#}"));
    let options = Options {
        rows: ROWS,
        skip_tables: skip.iter().map(|name| name.to_string()).collect(),
    };
    let populated = populate(db, &schema, dialect, &options, TIMEOUT)
        .unwrap_or_else(|error| panic!("{error:#}"));
    (schema, populated)
}

fn filled<'a>(populated: &'a Populated, table: &str) -> &'a Filled {
    populated
        .tables
        .iter()
        .find(|filled| filled.table == table)
        .unwrap_or_else(|| panic!("table {table} was not filled: {populated:#?}"))
}

/// Every row of `table` was inserted: the regular ones and the edge rows that differ from them.
fn complete(populated: &Populated, table: &str) {
    let filled = filled(populated, table);
    assert!(filled.skipped.is_empty(), "{table}: {:#?}", filled.skipped);
    assert_eq!(filled.inserted, filled.attempted, "{table}");
    assert!(
        (ROWS..=ROWS + EDGE_ROWS).contains(&filled.inserted),
        "{table}: {filled:?}"
    );
}

/// Every table of `schema` but `skip` was filled completely, the skipped one not at all.
fn all_complete(schema: &Schema, populated: &Populated, skip: &str) {
    let mut names: Vec<&str> = populated
        .tables
        .iter()
        .map(|filled| filled.table.as_str())
        .collect();
    names.sort_unstable();
    let expected: Vec<&str> = schema
        .tables
        .keys()
        .map(String::as_str)
        .filter(|name| *name != skip)
        .collect();
    assert_eq!(names, expected);
    for name in expected {
        complete(populated, name);
    }
}

/// Every table's rows, in a stable order.
fn contents(db: &mut dyn Database, schema: &Schema) -> Vec<(String, Rows)> {
    schema
        .tables
        .values()
        .map(|table| {
            let order: Vec<String> = (1..=table.columns.len()).map(|n| n.to_string()).collect();
            let sql = format!(
                "SELECT * FROM \"{}\" ORDER BY {}",
                table.name,
                order.join(", ")
            );
            (table.name.clone(), query(db, &sql))
        })
        .collect()
}

fn sqlite() -> SqliteDatabase {
    SqliteDatabase::open_in_memory(true).unwrap_or_else(|error| panic!("{error:#}"))
}

fn postgres() -> PostgresServer {
    let source = PostgresSource::Throwaway(BinariesOptions::default());
    let settings = PostgresSettings {
        source: &source,
        cache_dir: &xtask::replay::default_cache_dir(),
        replay_as: ReplayAs::Owner,
        privileges: &Privileges::default(),
    };
    PostgresServer::start(&settings, &[]).unwrap_or_else(|error| panic!("{error:#}"))
}

/// Runs `work` on a new database of `server`, as a chain's owner.
fn on_database(server: &PostgresServer, name: &str, work: impl FnOnce(&mut dyn Database)) {
    let mut work = Some(work);
    server
        .with_database(name, &mut |db| {
            if let Some(work) = work.take() {
                work(db);
            }
        })
        .unwrap_or_else(|error| panic!("{error:#}"));
}

fn latest(dialect: Dialect) -> String {
    let path =
        support::project_root().join(format!("store/migration/{}/LATEST.sql", dialect.folder()));
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

#[test]
fn the_store_fresh_install_is_filled_on_sqlite() {
    let mut db = sqlite();
    run(&mut db, Dialect::Sqlite, &latest(Dialect::Sqlite));
    let (schema, populated) = fill(&mut db, Dialect::Sqlite, &["instance_setting"]);
    all_complete(&schema, &populated, "instance_setting");
    assert_eq!(filled(&populated, "attachment").inserted, ROWS + EDGE_ROWS);
    assert_eq!(number(&mut db, "SELECT count(*) FROM instance_setting"), 1);
    // The NULL edge row: a later rebuild into a NOT NULL column fails on it.
    assert_eq!(
        number(
            &mut db,
            "SELECT count(*) FROM attachment WHERE memo_id IS NULL"
        ),
        1
    );
}

#[test]
fn the_store_fresh_install_is_filled_on_postgres() {
    let server = postgres();
    on_database(&server, "store", |db| {
        run(db, Dialect::Postgres, &latest(Dialect::Postgres));
        let (schema, populated) = fill(db, Dialect::Postgres, &["instance_setting"]);
        all_complete(&schema, &populated, "instance_setting");
        assert_eq!(filled(&populated, "attachment").inserted, ROWS + EDGE_ROWS);
        assert_eq!(number(db, "SELECT count(*) FROM instance_setting"), 1);
        assert_eq!(
            number(
                db,
                "SELECT count(*) FROM memo WHERE jsonb_typeof(payload) <> 'object'"
            ),
            0
        );
        // The sequences are past the keys: the service's next user gets a new id.
        run(
            db,
            Dialect::Postgres,
            "INSERT INTO \"user\" (username, password_hash) VALUES ('later', 'x')",
        );
        assert!(db
            .execute(
                "ALTER TABLE attachment ALTER COLUMN memo_id SET NOT NULL",
                TIMEOUT
            )
            .is_err());
    });
    Box::new(server)
        .close()
        .unwrap_or_else(|error| panic!("{error:#}"));
}
