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

/// Every table's rows, in a stable order (on PostgreSQL by each row's text, since some types,
/// such as `box`, have no ordering).
fn contents(db: &mut dyn Database, schema: &Schema, dialect: Dialect) -> Vec<(String, Rows)> {
    schema
        .tables
        .values()
        .map(|table| {
            let order = match dialect {
                Dialect::Postgres => "r::text".to_string(),
                Dialect::Sqlite => {
                    let numbers: Vec<String> =
                        (1..=table.columns.len()).map(|n| n.to_string()).collect();
                    numbers.join(", ")
                }
            };
            let sql = format!("SELECT * FROM \"{}\" AS r ORDER BY {order}", table.name);
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
    // A text column whose default is `'{}'` holds JSON objects.
    let not_json = "SELECT count(*) FROM memo WHERE json_type(payload) IS NOT 'object'";
    assert_eq!(number(&mut db, not_json), 0);
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
        let insert = "INSERT INTO \"user\" (username, password_hash) VALUES ('later', 'x')";
        takes_the_next_key(db, "user", insert);
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

/// The tables of both fixtures that get every row.
const COMPLETE: [&str; 10] = [
    "parent",
    "child",
    "grandchild",
    "hen",
    "egg",
    "node",
    "account",
    "entry",
    "link",
    "task",
];

/// A fixture schema with one table per feature, the same on both engines where it can be.
const SQLITE_FIXTURE: &str = "
CREATE TABLE parent (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, note TEXT);
CREATE TABLE child (
  id INTEGER PRIMARY KEY,
  parent_id INTEGER NOT NULL REFERENCES parent (id),
  done INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
  flag BOOLEAN NOT NULL DEFAULT 0,
  body TEXT NOT NULL CHECK (json_valid(body)),
  created DATETIME
);
CREATE TABLE grandchild (child_id INTEGER NOT NULL REFERENCES child (id), note TEXT NOT NULL);
CREATE TABLE hen (id INTEGER PRIMARY KEY, egg_id INTEGER REFERENCES egg (id));
CREATE TABLE egg (id INTEGER PRIMARY KEY, hen_id INTEGER NOT NULL REFERENCES hen (id));
CREATE TABLE node (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES node (id));
CREATE TABLE account (region TEXT NOT NULL, number INTEGER NOT NULL, PRIMARY KEY (region, number));
CREATE TABLE entry (
  region TEXT NOT NULL,
  number INTEGER NOT NULL,
  FOREIGN KEY (region, number) REFERENCES account (region, number)
);
CREATE TABLE link (
  a INTEGER NOT NULL REFERENCES parent (id),
  b INTEGER NOT NULL REFERENCES parent (id),
  CHECK (a <> b),
  UNIQUE (a, b)
);
CREATE TABLE task (
  status TEXT NOT NULL CHECK (status IN ('new', 'done')),
  level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 3),
  code TEXT NOT NULL UNIQUE CHECK (length(code) <= 5)
);
CREATE TABLE flag (on_off BOOLEAN NOT NULL UNIQUE CHECK (on_off IN (0, 1)));
CREATE TABLE odd (n INTEGER NOT NULL CHECK (n % 7 = 0));
";

#[test]
fn every_feature_of_the_fixture_on_sqlite() {
    let mut db = sqlite();
    run(&mut db, Dialect::Sqlite, SQLITE_FIXTURE);
    run(
        &mut db,
        Dialect::Sqlite,
        "INSERT INTO parent (id, name) VALUES (1003, 'BASIC')",
    );
    let (_, populated) = fill(&mut db, Dialect::Sqlite, &[]);
    let db = &mut db;
    for table in COMPLETE {
        complete(&populated, table);
    }
    // Parents before children, and the cycle broken at its nullable key.
    let order: Vec<&str> = populated
        .tables
        .iter()
        .map(|filled| filled.table.as_str())
        .collect();
    let position = |name: &str| order.iter().position(|table| *table == name);
    assert!(position("parent") < position("child") && position("child") < position("grandchild"));
    assert!(position("hen") < position("egg"), "{order:?}");
    assert_eq!(
        number(db, "SELECT count(*) FROM hen WHERE egg_id IS NOT NULL"),
        0
    );
    assert_eq!(number(db, "SELECT count(DISTINCT done) FROM child"), 2);
    assert_eq!(
        number(db, "SELECT count(*) FROM child WHERE flag NOT IN (0, 1)"),
        0
    );
    assert_eq!(
        number(
            db,
            "SELECT count(*) FROM child WHERE json_type(body) <> 'object'"
        ),
        0
    );
    assert_eq!(
        number(
            db,
            "SELECT count(DISTINCT level) FROM task WHERE level BETWEEN 1 AND 3"
        ),
        3
    );
    assert_eq!(number(db, "SELECT max(length(code)) FROM task"), 5);
    assert_eq!(
        number(db, "SELECT count(*) FROM node WHERE parent_id = id"),
        1
    );
    unique_boolean_rows_are_reported(&populated);
    let odd = filled(&populated, "odd");
    assert!(!odd.skipped.is_empty() && odd.inserted + odd.skipped.len() == odd.attempted);
    // AUTOINCREMENT follows the keys, and the NULL edge row stops a rebuild into NOT NULL.
    run(
        db,
        Dialect::Sqlite,
        "INSERT INTO parent (name) VALUES ('later')",
    );
    run(
        db,
        Dialect::Sqlite,
        "CREATE TABLE parent_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL, note TEXT NOT NULL)",
    );
    assert!(db
        .execute(
            "INSERT INTO parent_new SELECT id, name, note FROM parent",
            TIMEOUT
        )
        .is_err());
}

/// Two of the rows of a unique boolean fit; the others are reported with the engine's reason.
fn unique_boolean_rows_are_reported(populated: &Populated) {
    let flag = filled(populated, "flag");
    assert_eq!(flag.inserted, 2, "{flag:?}");
    assert_eq!(flag.skipped.len(), ROWS - 2);
    assert_eq!(flag.skipped[0].row, "row 2");
    assert!(
        flag.skipped[0]
            .error
            .message
            .to_lowercase()
            .contains("unique"),
        "{flag:?}"
    );
}

#[test]
fn the_rows_are_the_same_in_every_run_on_sqlite() {
    let mut runs = Vec::new();
    for _ in 0..2 {
        let mut db = sqlite();
        run(&mut db, Dialect::Sqlite, SQLITE_FIXTURE);
        let (schema, _) = fill(&mut db, Dialect::Sqlite, &[]);
        runs.push(contents(&mut db, &schema, Dialect::Sqlite));
    }
    assert_eq!(runs[0], runs[1]);
    assert!(runs[0].iter().all(|(_, rows)| !rows.is_empty()));
}

const POSTGRES_FIXTURE: &str = "
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE parent (id serial PRIMARY KEY, name varchar(20) NOT NULL UNIQUE, note text);
CREATE TABLE child (
  id bigserial PRIMARY KEY,
  parent_id integer NOT NULL REFERENCES parent (id),
  feeling mood NOT NULL DEFAULT 'ok',
  body jsonb NOT NULL,
  meta json,
  tags text[] NOT NULL,
  numbers integer[],
  price numeric(6,2) NOT NULL,
  ratio double precision,
  born date,
  seen timestamptz NOT NULL DEFAULT now(),
  wake time,
  lasting interval,
  token uuid UNIQUE,
  raw bytea,
  address inet,
  shape point,
  spot point NOT NULL DEFAULT '(0,0)',
  net cidr,
  mac macaddr
);
CREATE TABLE grandchild (child_id bigint NOT NULL REFERENCES child (id), note text NOT NULL);
CREATE TABLE hen (id integer PRIMARY KEY, egg_id integer);
CREATE TABLE egg (id integer PRIMARY KEY, hen_id integer NOT NULL REFERENCES hen (id));
ALTER TABLE hen ADD FOREIGN KEY (egg_id) REFERENCES egg (id);
CREATE TABLE node (id integer PRIMARY KEY, parent_id integer NOT NULL REFERENCES node (id));
CREATE TABLE account (region text, number integer, PRIMARY KEY (region, number));
CREATE TABLE entry (region text NOT NULL, number integer NOT NULL, FOREIGN KEY (region, number) REFERENCES account);
CREATE TABLE link (
  a integer NOT NULL REFERENCES parent (id),
  b integer NOT NULL REFERENCES parent (id),
  CHECK (a <> b),
  UNIQUE (a, b)
);
CREATE TABLE task (
  status varchar(10) NOT NULL CHECK (status IN ('new', 'done')),
  level smallint NOT NULL CHECK (level BETWEEN 1 AND 3),
  score integer CHECK (score >= 0 AND score < 10),
  ratio real NOT NULL CHECK (ratio BETWEEN 0 AND 1),
  code varchar(5) NOT NULL UNIQUE
);
CREATE TABLE ticket (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, title text NOT NULL, title_length integer GENERATED ALWAYS AS (length(title)) STORED);
CREATE TABLE flag (on_off boolean NOT NULL UNIQUE);
CREATE TABLE odd (n integer NOT NULL CHECK (n % 7 = 0));
CREATE TABLE boxes (b box NOT NULL);
CREATE TABLE setting (id serial PRIMARY KEY, uid text NOT NULL UNIQUE DEFAULT '', value text NOT NULL DEFAULT '');
";

#[test]
fn every_feature_of_the_fixture_on_postgres() {
    let server = postgres();
    let mut runs = Vec::new();
    for name in ["fixture", "again"] {
        on_database(&server, name, |db| {
            run(db, Dialect::Postgres, POSTGRES_FIXTURE);
            // Rows a fresh install wrote: an explicit id the sequence did not give, the defaults.
            let fresh_install = "INSERT INTO parent (id, name) VALUES (1003, 'BASIC');
                                 INSERT INTO setting (id) VALUES (1);";
            run(db, Dialect::Postgres, fresh_install);
            let (schema, populated) = fill(db, Dialect::Postgres, &[]);
            for table in COMPLETE.iter().chain(&["ticket", "setting"]) {
                complete(&populated, table);
            }
            postgres_values(db);
            unique_boolean_rows_are_reported(&populated);
            let boxes = filled(&populated, "boxes");
            assert_eq!((boxes.inserted, boxes.skipped.len()), (0, ROWS));
            assert_eq!(boxes.skipped[0].error.sqlstate.as_deref(), Some("23502"));
            let odd = filled(&populated, "odd");
            assert_eq!(odd.skipped[0].error.sqlstate.as_deref(), Some("23514"));
            let mut rows = contents(db, &schema, Dialect::Postgres);
            // `seen` defaults to now() in the defaults' edge row, which no two runs share.
            rows.retain(|(table, _)| table != "child");
            runs.push(rows);
            later_statements_meet_the_rows(db);
        });
    }
    assert_eq!(runs[0], runs[1]);
    Box::new(server)
        .close()
        .unwrap_or_else(|error| panic!("{error:#}"));
}

/// The values of the PostgreSQL fixture's columns are what their types and CHECKs say.
fn postgres_values(db: &mut dyn Database) {
    let checks = [
        ("SELECT count(*) FROM hen WHERE egg_id IS NOT NULL", 0),
        ("SELECT count(DISTINCT feeling) FROM child", 3),
        ("SELECT count(*) FROM child WHERE jsonb_typeof(body) <> 'object' OR json_typeof(meta) <> 'object'", 0),
        ("SELECT count(*) FROM child WHERE cardinality(tags) = 2", ROWS as i64 + 3),
        ("SELECT count(*) FROM child WHERE shape IS NOT NULL", 0),
        ("SELECT count(*) FROM child WHERE seen = '0001-01-01 00:00:00+00'", 1),
        ("SELECT count(*) FROM child WHERE born = '0001-01-01'", 1),
        ("SELECT count(DISTINCT level) FROM task WHERE level BETWEEN 1 AND 3", 3),
        ("SELECT count(*) FROM task WHERE score NOT BETWEEN 0 AND 9", 0),
        ("SELECT max(char_length(code)) FROM task", 5),
        ("SELECT count(*) FROM node WHERE parent_id = id", 1),
        ("SELECT count(*) FROM ticket WHERE title_length = length(title)", ROWS as i64 + 2),
        ("SELECT min(id) FROM parent WHERE name <> 'BASIC'", 1004),
    ];
    for (sql, expected) in checks {
        assert_eq!(number(db, sql), expected, "{sql}");
    }
}

/// `insert`, which leaves `table`'s id to its sequence and returns it, takes an id above every
/// generated one: the sequence was brought past them.
fn takes_the_next_key(db: &mut dyn Database, table: &str, insert: &str) {
    let id = number(db, &format!("{insert} RETURNING id"));
    let largest = number(db, &format!("SELECT max(id) FROM \"{table}\""));
    assert_eq!(id, largest, "{table}");
}

/// The sequences are past the generated keys, and the NULL edge row stops `SET NOT NULL`.
fn later_statements_meet_the_rows(db: &mut dyn Database) {
    let insert = "INSERT INTO parent (name) VALUES ('later')";
    takes_the_next_key(db, "parent", insert);
    let insert = "INSERT INTO ticket (title) VALUES ('later')";
    takes_the_next_key(db, "ticket", insert);
    let error = db
        .execute("ALTER TABLE parent ALTER COLUMN note SET NOT NULL", TIMEOUT)
        .expect_err("a NULL note");
    assert_eq!(error.sqlstate.as_deref(), Some("23502"), "{error}");
}

#[test]
fn a_cycle_of_not_null_keys_is_checked_at_commit_on_sqlite() {
    let mut db = sqlite();
    run(
        &mut db,
        Dialect::Sqlite,
        "CREATE TABLE chicken (id INTEGER PRIMARY KEY, ovum_id INTEGER NOT NULL REFERENCES ovum (id));
         CREATE TABLE ovum (id INTEGER PRIMARY KEY, chicken_id INTEGER NOT NULL REFERENCES chicken (id));",
    );
    let (_, populated) = fill(&mut db, Dialect::Sqlite, &[]);
    complete(&populated, "chicken");
    complete(&populated, "ovum");
    assert_eq!(
        number(&mut db, "SELECT count(*) FROM pragma_foreign_key_check"),
        0
    );
}

/// A cycle of `NOT NULL` keys: the deferrable one is filled in a transaction that checks it at
/// commit; the rows of the other cannot be written, and are reported.
const POSTGRES_CYCLES: &str = "
CREATE TABLE chicken (id integer PRIMARY KEY, ovum_id integer NOT NULL);
CREATE TABLE ovum (id integer PRIMARY KEY, chicken_id integer NOT NULL REFERENCES chicken (id));
ALTER TABLE chicken ADD FOREIGN KEY (ovum_id) REFERENCES ovum (id) DEFERRABLE;
CREATE TABLE hawk (id integer PRIMARY KEY, prey_id integer NOT NULL);
CREATE TABLE prey (id integer PRIMARY KEY, hawk_id integer NOT NULL REFERENCES hawk (id));
ALTER TABLE hawk ADD FOREIGN KEY (prey_id) REFERENCES prey (id);
CREATE TABLE bystander (id serial PRIMARY KEY, name text NOT NULL);
";

#[test]
fn a_cycle_of_not_null_keys_is_checked_at_commit_where_deferrable_on_postgres() {
    let server = postgres();
    on_database(&server, "cycles", |db| {
        run(db, Dialect::Postgres, POSTGRES_CYCLES);
        let (_, populated) = fill(db, Dialect::Postgres, &[]);
        for table in ["chicken", "ovum", "bystander"] {
            complete(&populated, table);
        }
        // The hawks reference prey that is not there; the prey then finds no hawk to reference.
        for (table, sqlstate) in [("hawk", "23503"), ("prey", "23502")] {
            let filled = filled(&populated, table);
            assert_eq!(
                (filled.inserted, filled.skipped.len()),
                (0, ROWS),
                "{filled:?}"
            );
            assert_eq!(filled.skipped[0].error.sqlstate.as_deref(), Some(sqlstate));
        }
        run(
            db,
            Dialect::Postgres,
            "INSERT INTO bystander (name) VALUES ('later')",
        );
    });
    Box::new(server)
        .close()
        .unwrap_or_else(|error| panic!("{error:#}"));
}

#[test]
fn a_cycle_whose_commit_fails_is_written_again_and_reported_on_sqlite() {
    let mut db = sqlite();
    run(
        &mut db,
        Dialect::Sqlite,
        "CREATE TABLE chicken (id INTEGER PRIMARY KEY, ovum_id INTEGER NOT NULL REFERENCES ovum (id));
         CREATE TABLE ovum (
           id INTEGER PRIMARY KEY CHECK (id % 2 = 0),
           chicken_id INTEGER NOT NULL REFERENCES chicken (id)
         );",
    );
    let (_, populated) = fill(&mut db, Dialect::Sqlite, &[]);
    // Half the eggs break their CHECK, so the chickens that reference them fail the commit; written
    // again without a transaction, no chicken finds its egg, and no egg a chicken.
    for table in ["chicken", "ovum"] {
        let filled = filled(&populated, table);
        assert_eq!(
            (filled.inserted, filled.skipped.len()),
            (0, ROWS),
            "{filled:?}"
        );
        assert_eq!(number(&mut db, &format!("SELECT count(*) FROM {table}")), 0);
    }
}

#[test]
fn a_lost_connection_is_an_error_on_postgres() {
    let server = postgres();
    on_database(&server, "lost", |db| {
        run(
            db,
            Dialect::Postgres,
            "CREATE FUNCTION end_session() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$;
             CREATE TABLE doomed (id integer PRIMARY KEY);
             CREATE TRIGGER doomed_insert BEFORE INSERT ON doomed
               FOR EACH ROW EXECUTE FUNCTION end_session();",
        );
        let schema = db.introspect().unwrap_or_else(|error| panic!("{error:#}"));
        let options = Options {
            rows: ROWS,
            skip_tables: Vec::new(),
        };
        let error = populate(db, &schema, Dialect::Postgres, &options, TIMEOUT)
            .expect_err("the session ended");
        let message = format!("{error:#}");
        assert!(
            message.contains("doomed") && message.contains("terminat"),
            "{message}"
        );
    });
    Box::new(server)
        .close()
        .unwrap_or_else(|error| panic!("{error:#}"));
}

#[test]
fn a_table_left_alone_is_referenced_by_the_rows_it_holds_on_sqlite() {
    let mut db = sqlite();
    run(
        &mut db,
        Dialect::Sqlite,
        "CREATE TABLE setting (name TEXT PRIMARY KEY, value TEXT NOT NULL);
         INSERT INTO setting VALUES ('BASIC', '{}');
         CREATE TABLE setting_note (setting_name TEXT NOT NULL REFERENCES setting (name), note TEXT);",
    );
    let (_, populated) = fill(&mut db, Dialect::Sqlite, &["setting"]);
    complete(&populated, "setting_note");
    let sql = "SELECT count(*) FROM setting_note WHERE setting_name = 'BASIC'";
    assert_eq!(
        number(&mut db, sql),
        filled(&populated, "setting_note").inserted as i64
    );
    assert_eq!(number(&mut db, "SELECT count(*) FROM setting"), 1);
}
