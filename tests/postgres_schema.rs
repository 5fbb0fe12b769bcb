//! PostgreSQL introspection on a real server: the store's fresh-install script and its whole
//! migration chain must read as one schema, schemas built along different paths must read
//! alike, and every kind of drift between two schemas must read differently.
//!
//! Every test starts a throwaway cluster of its own. A cluster shared through a static would
//! never be dropped (so never stopped), and its server would receive the parent-death signal as
//! soon as the test thread that started it ended.

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{ensure, Context as _, Result};
use postgres::Client;
use xtask::dialect::Dialect;
use xtask::engine::postgres::{BinariesOptions, Cluster, ClusterOptions, PgBinaries};
use xtask::schema::postgres::introspect;
use xtask::schema::Schema;
use xtask::source::SourceFile;
use xtask::sql::{Role, SqlFile};
use xtask::store::Store;

/// Starts a throwaway cluster on the binaries installed on this machine.
fn start() -> Result<Cluster> {
    let binaries = PgBinaries::find(&BinariesOptions::default())?;
    Cluster::start(&binaries, &ClusterOptions::default())
}

/// Creates `name` (from `template` when given) and connects to it.
fn database(cluster: &Cluster, name: &str, template: Option<&str>) -> Result<Client> {
    cluster.create_database(name, template)?;
    cluster.connect(name)
}

/// Splits a file with the crate's splitter, as the replay does.
fn load(path: &Path, role: Role) -> Result<SqlFile> {
    let display = path.display().to_string();
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {display}"))?;
    let file = SqlFile::load(
        SourceFile::new(path.to_path_buf(), display, text),
        Dialect::Postgres,
        role,
    );
    if let Some((message, position)) = &file.tokenize_error {
        anyhow::bail!("{}:{position:?}: {message}", file.source.display);
    }
    Ok(file)
}

/// Runs the statements of `files` one by one in one transaction, as the service applies
/// `LATEST.sql` or a chain of migrations.
fn apply_in_one_transaction(client: &mut Client, files: &[SqlFile]) -> Result<()> {
    let mut transaction = client.transaction()?;
    for file in files {
        for statement in &file.statements {
            transaction
                .batch_execute(file.text_of(statement))
                .with_context(|| {
                    format!("{}:{}", file.source.display, statement.span.start.line)
                })?;
        }
    }
    transaction.commit()?;
    Ok(())
}

fn store() -> Result<Store> {
    let root = support::project_root();
    Store::open(&root.join("store"), &root, None)
}

fn latest() -> Result<SqlFile> {
    let store = store()?;
    let driver = store
        .driver(Dialect::Postgres)
        .context("no postgres driver")?;
    load(
        driver.latest.as_deref().context("no LATEST.sql")?,
        Role::Latest,
    )
}

/// The store's migrations in the order the service runs them: version folders in semver order
/// (0.9 before 0.10), then files by sequence number.
fn chain() -> Result<Vec<SqlFile>> {
    let store = store()?;
    let driver = store
        .driver(Dialect::Postgres)
        .context("no postgres driver")?;
    driver
        .migrations()
        .into_iter()
        .map(|(version, file)| load(&file.path, Role::Migration(version.clone())))
        .collect()
}

/// Where two schemas differ, as `kind.name` for every object that is missing from one of
/// them or differs between them; an empty list for equal schemas.
fn differences(a: &Schema, b: &Schema) -> Vec<String> {
    fn compare<V: PartialEq>(
        kind: &str,
        a: &BTreeMap<String, V>,
        b: &BTreeMap<String, V>,
        out: &mut Vec<String>,
    ) {
        let mut names: Vec<&String> = a.keys().chain(b.keys()).collect();
        names.sort();
        names.dedup();
        for name in names {
            if a.get(name) != b.get(name) {
                out.push(format!("{kind}.{name}"));
            }
        }
    }
    let mut out = Vec::new();
    compare("tables", &a.tables, &b.tables, &mut out);
    compare("indexes", &a.indexes, &b.indexes, &mut out);
    compare("triggers", &a.triggers, &b.triggers, &mut out);
    compare("views", &a.views, &b.views, &mut out);
    compare("sequences", &a.sequences, &b.sequences, &mut out);
    compare("enums", &a.enums, &b.enums, &mut out);
    compare("functions", &a.functions, &b.functions, &mut out);
    out
}

#[test]
fn the_chain_holds_every_migration_in_semver_order() -> Result<()> {
    let versions: Vec<String> = chain()?
        .iter()
        .map(|file| match &file.role {
            Role::Migration(version) => version.to_string(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(versions.len(), 25);
    assert_eq!(versions.first().map(String::as_str), Some("0.1.1"));
    assert_eq!(versions.last().map(String::as_str), Some("0.10.3"));
    let position = |v: &str| versions.iter().position(|n| n == v);
    assert!(position("0.9.2") < position("0.10.1"));
    Ok(())
}

#[test]
fn latest_and_the_full_chain_read_as_equal_schemas() -> Result<()> {
    let cluster = start()?;
    let mut fresh = database(&cluster, "latest", None)?;
    apply_in_one_transaction(&mut fresh, &[latest()?])?;
    let mut chained = database(&cluster, "chain", None)?;
    apply_in_one_transaction(&mut chained, &chain()?)?;

    let fresh = introspect(&mut fresh)?;
    let chained = introspect(&mut chained)?;
    assert_eq!(differences(&fresh, &chained), Vec::<String>::new());
    assert_eq!(fresh, chained);
    // Not equal by being empty: every table of the store is there.
    let tables: Vec<&str> = fresh.tables.keys().map(String::as_str).collect();
    assert_eq!(
        tables,
        [
            "attachment",
            "idp",
            "inbox",
            "instance_setting",
            "memo",
            "memo_relation",
            "reaction",
            "user",
            "user_setting",
            "webhook"
        ]
    );
    cluster.stop()
}

#[test]
fn the_schema_of_latest() -> Result<()> {
    let cluster = start()?;
    let mut client = database(&cluster, "latest", None)?;
    apply_in_one_transaction(&mut client, &[latest()?])?;
    insta::assert_json_snapshot!("latest", introspect(&mut client)?);
    cluster.stop()
}

/// A schema that uses what the store does not: other schemas, identity and generated columns,
/// collations, enum types, views, index options, exclusion constraints, procedures, and the
/// same trigger name on two tables.
const FEATURES: &str = r#"
CREATE SCHEMA audit;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
ALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok';
CREATE TABLE audit.actor (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  handle TEXT COLLATE "C" NOT NULL,
  CONSTRAINT actor_handle_key UNIQUE (handle)
);
CREATE TABLE booking (
  id INTEGER GENERATED BY DEFAULT AS IDENTITY,
  actor_id BIGINT REFERENCES audit.actor (id) ON UPDATE CASCADE ON DELETE RESTRICT,
  during TSTZRANGE NOT NULL,
  price NUMERIC(10, 2) NOT NULL DEFAULT 0,
  quantity INTEGER NOT NULL DEFAULT 1 CHECK (quantity > 0),
  total NUMERIC GENERATED ALWAYS AS (price * quantity) STORED,
  feeling mood,
  note VARCHAR(200) DEFAULT 'none',
  created TIMESTAMPTZ NOT NULL DEFAULT '2020-01-01 00:00:00+00',
  PRIMARY KEY (id),
  CONSTRAINT booking_no_overlap EXCLUDE USING gist (during WITH &&)
);
CREATE TABLE stay (
  booking_id INTEGER NOT NULL REFERENCES booking (id) ON DELETE SET NULL ON UPDATE SET DEFAULT
);
CREATE SEQUENCE ticket_seq AS smallint;
CREATE INDEX booking_note_idx ON booking (note DESC NULLS LAST, (lower(note)) NULLS FIRST);
CREATE INDEX booking_note_pattern_idx ON booking (note COLLATE "C" text_pattern_ops) INCLUDE (price);
CREATE INDEX booking_feeling_hash_idx ON booking USING hash (feeling) WHERE feeling IS NOT NULL;
CREATE VIEW happy_booking AS SELECT id, note FROM booking WHERE feeling = 'happy';
CREATE MATERIALIZED VIEW audit.handles AS SELECT handle FROM audit.actor;
CREATE FUNCTION audit.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RETURN NEW;
END;
$$;
CREATE FUNCTION total_of(b booking) RETURNS numeric LANGUAGE sql IMMUTABLE RETURN b.price * b.quantity;
CREATE PROCEDURE audit.purge(keep integer DEFAULT 10) LANGUAGE sql BEGIN ATOMIC
  DELETE FROM audit.actor WHERE id > keep;
END;
CREATE TRIGGER touch BEFORE UPDATE ON booking FOR EACH ROW EXECUTE FUNCTION audit.touch();
CREATE TRIGGER touch BEFORE UPDATE ON audit.actor FOR EACH ROW EXECUTE FUNCTION audit.touch();
CREATE EXTENSION pgcrypto;
CREATE TABLE code (value TEXT NOT NULL);
CREATE UNIQUE INDEX code_value_idx ON code (value);
CREATE TABLE coded (value TEXT REFERENCES code (value));
"#;

#[test]
fn the_schema_of_a_feature_tour() -> Result<()> {
    let cluster = start()?;
    let mut client = database(&cluster, "features", None)?;
    client.batch_execute(FEATURES)?;
    let schema = introspect(&mut client)?;
    // pgcrypto's functions are the extension's, not the schema's.
    assert!(!schema
        .functions
        .keys()
        .any(|name| name.starts_with("digest(")));
    // A foreign key records the unique index it relies on in `conindid` too; that does not
    // make the index a constraint's.
    assert!(schema.indexes.contains_key("code_value_idx"));
    insta::assert_json_snapshot!("features", schema);
    cluster.stop()
}

#[test]
fn the_history_of_a_schema_does_not_matter() -> Result<()> {
    let cluster = start()?;
    let mut direct = database(&cluster, "direct", None)?;
    direct.batch_execute(
        "CREATE TABLE parent (id SERIAL PRIMARY KEY);
         CREATE TABLE item (
           id SERIAL PRIMARY KEY,
           parent_id INTEGER CONSTRAINT item_parent_fkey REFERENCES parent (id),
           label TEXT NOT NULL DEFAULT '' CONSTRAINT item_label_check CHECK (label <> 'x'),
           at TIMESTAMPTZ DEFAULT '2024-06-01 12:00:00+00',
           CONSTRAINT item_id_check CHECK (id > 0),
           CONSTRAINT item_label_key UNIQUE (label)
         );
         CREATE INDEX item_label_idx ON item (label) WHERE label <> '';",
    )?;
    // Columns dropped, renamed and re-added (gaps in attnum), constraints added in another
    // order, a renamed table with its sequence, index and constraints renamed after it.
    let mut roundabout = database(&cluster, "roundabout", None)?;
    roundabout.batch_execute(
        "CREATE TABLE parent (id SERIAL PRIMARY KEY);
         CREATE TABLE old_item (id SERIAL PRIMARY KEY, gone INTEGER, parent_id INTEGER, name TEXT);
         ALTER TABLE old_item DROP COLUMN gone;
         ALTER TABLE old_item RENAME COLUMN name TO label;
         ALTER TABLE old_item ALTER COLUMN label SET NOT NULL;
         ALTER TABLE old_item ALTER COLUMN label SET DEFAULT '';
         ALTER TABLE old_item ADD COLUMN at TIMESTAMPTZ DEFAULT '2024-06-01 14:00:00+02';
         ALTER TABLE old_item RENAME TO item;
         ALTER INDEX old_item_pkey RENAME TO item_pkey;
         ALTER SEQUENCE old_item_id_seq RENAME TO item_id_seq;
         CREATE INDEX item_label_idx ON item (label) WHERE label <> '';
         ALTER TABLE item ADD CONSTRAINT item_label_key UNIQUE (label);
         ALTER TABLE item ADD CONSTRAINT item_id_check CHECK (id > 0);
         ALTER TABLE item ADD CONSTRAINT item_label_check CHECK (label <> 'x');
         ALTER TABLE item ADD CONSTRAINT item_parent_fkey FOREIGN KEY (parent_id) REFERENCES parent (id);",
    )?;
    // Session settings of the connection do not leak into what is read, and are left as the
    // caller set them.
    roundabout.batch_execute(
        "SET search_path TO pg_catalog; SET timezone TO 'Asia/Tokyo'; SET datestyle TO 'SQL, DMY';",
    )?;
    let direct = introspect(&mut direct)?;
    let roundabout_schema = introspect(&mut roundabout)?;
    assert_eq!(
        differences(&direct, &roundabout_schema),
        Vec::<String>::new()
    );
    assert_eq!(direct, roundabout_schema);
    let timezone: String = roundabout.query_one("SHOW timezone", &[])?.try_get(0)?;
    assert_eq!(timezone, "Asia/Tokyo");

    // Inside the caller's transaction the reading takes a savepoint and leaves the transaction
    // usable.
    let mut transaction = roundabout.transaction()?;
    transaction.batch_execute("CREATE TABLE public.during (id INTEGER)")?;
    let inside = introspect(&mut transaction)?;
    assert!(inside.tables.contains_key("during"));
    transaction.batch_execute("INSERT INTO public.during VALUES (1)")?;
    let timezone: String = transaction.query_one("SHOW timezone", &[])?.try_get(0)?;
    assert_eq!(timezone, "Asia/Tokyo");
    transaction.rollback()?;
    cluster.stop()
}

/// One drift: `change` applied on top of `setup` must make exactly the objects `expected`
/// differ from `setup` alone.
struct Drift {
    what: &'static str,
    setup: &'static str,
    change: &'static str,
    expected: &'static [&'static str],
}

const DRIFTS: &[Drift] = &[
    Drift {
        what: "another default",
        setup: "",
        change: "ALTER TABLE memo ALTER COLUMN visibility SET DEFAULT 'PUBLIC'",
        expected: &["tables.memo"],
    },
    Drift {
        what: "a missing index",
        setup: "",
        change: "DROP INDEX idx_webhook_creator_id",
        expected: &["indexes.idx_webhook_creator_id"],
    },
    Drift {
        what: "an extra column",
        setup: "",
        change: "ALTER TABLE idp ADD COLUMN note TEXT",
        expected: &["tables.idp"],
    },
    Drift {
        what: "a renamed constraint",
        setup: "",
        change: "ALTER TABLE inbox RENAME CONSTRAINT inbox_status_check TO inbox_status_valid",
        expected: &["tables.inbox"],
    },
    Drift {
        what: "a different partial predicate",
        setup: "",
        change: "DROP INDEX idx_inbox_receiver_id_unread;
                 CREATE INDEX idx_inbox_receiver_id_unread ON inbox (receiver_id)
                 WHERE status = 'ARCHIVED'",
        expected: &["indexes.idx_inbox_receiver_id_unread"],
    },
    Drift {
        what: "a changed foreign key action",
        setup: "",
        change: "ALTER TABLE attachment DROP CONSTRAINT attachment_memo_id_fkey;
                 ALTER TABLE attachment ADD CONSTRAINT attachment_memo_id_fkey
                 FOREIGN KEY (memo_id) REFERENCES memo (id) ON DELETE CASCADE",
        expected: &["tables.attachment"],
    },
    Drift {
        what: "a changed function body",
        setup: "",
        change: "CREATE OR REPLACE FUNCTION memo_bump_updated_ts() RETURNS TRIGGER AS $$
                 BEGIN
                   NEW.updated_ts := EXTRACT(EPOCH FROM NOW());
                   RETURN NEW;
                 END;
                 $$ LANGUAGE plpgsql",
        expected: &["functions.memo_bump_updated_ts()"],
    },
    Drift {
        what: "an enum label added",
        setup: "CREATE TYPE memo_kind AS ENUM ('NOTE', 'TASK')",
        change: "ALTER TYPE memo_kind ADD VALUE 'LINK'",
        expected: &["enums.memo_kind"],
    },
    Drift {
        what: "enum labels in another order",
        setup: "CREATE TYPE memo_kind AS ENUM ('NOTE')",
        change: "ALTER TYPE memo_kind ADD VALUE 'TASK' BEFORE 'NOTE'",
        expected: &["enums.memo_kind"],
    },
    Drift {
        what: "a unique constraint instead of a unique index",
        setup: "",
        change: "DROP INDEX idx_idp_uid; ALTER TABLE idp ADD CONSTRAINT idp_uid_key UNIQUE (uid)",
        expected: &["tables.idp", "indexes.idx_idp_uid"],
    },
    Drift {
        what: "a column dropped and re-added, so moved to the end",
        setup: "",
        change: "ALTER TABLE webhook DROP COLUMN name;
                 ALTER TABLE webhook ADD COLUMN name TEXT NOT NULL",
        expected: &["tables.webhook"],
    },
    Drift {
        what: "a nullable column",
        setup: "",
        change: "ALTER TABLE \"user\" ALTER COLUMN email DROP NOT NULL",
        expected: &["tables.user"],
    },
    Drift {
        what: "another column type",
        setup: "",
        change: "ALTER TABLE attachment ALTER COLUMN size TYPE BIGINT",
        expected: &["tables.attachment"],
    },
    Drift {
        what: "another collation",
        setup: "",
        change: "ALTER TABLE \"user\" ALTER COLUMN nickname TYPE TEXT COLLATE \"C\"",
        expected: &["tables.user"],
    },
    Drift {
        what: "a changed CHECK",
        setup: "",
        change: "ALTER TABLE idp DROP CONSTRAINT idp_type_check;
                 ALTER TABLE idp ADD CONSTRAINT idp_type_check CHECK (type IN ('OAUTH2', 'OIDC'))",
        expected: &["tables.idp"],
    },
    Drift {
        what: "a descending index key",
        setup: "",
        change: "DROP INDEX idx_memo_creator_id;
                 CREATE INDEX idx_memo_creator_id ON memo (creator_id DESC)",
        expected: &["indexes.idx_memo_creator_id"],
    },
    Drift {
        what: "another index expression",
        setup: "",
        change: "DROP INDEX idx_user_username_lower;
                 CREATE UNIQUE INDEX idx_user_username_lower ON \"user\" (upper(username))",
        expected: &["indexes.idx_user_username_lower"],
    },
    Drift {
        what: "another index method",
        setup: "",
        change: "DROP INDEX idx_attachment_memo_id;
                 CREATE INDEX idx_attachment_memo_id ON attachment USING hash (memo_id)",
        expected: &["indexes.idx_attachment_memo_id"],
    },
    Drift {
        what: "a trigger on more events",
        setup: "",
        change: "DROP TRIGGER trg_memo_updated_ts ON memo;
                 CREATE TRIGGER trg_memo_updated_ts BEFORE INSERT OR UPDATE ON memo
                 FOR EACH ROW EXECUTE FUNCTION memo_bump_updated_ts()",
        expected: &["triggers.memo.trg_memo_updated_ts"],
    },
    Drift {
        what: "a changed view",
        setup: "CREATE VIEW pinned_memo AS SELECT id, creator_id FROM memo WHERE pinned",
        change: "CREATE OR REPLACE VIEW pinned_memo AS
                 SELECT id, creator_id FROM memo WHERE pinned AND row_status = 'NORMAL'",
        expected: &["views.pinned_memo"],
    },
    Drift {
        what: "a sequence of another type",
        setup: "",
        change: "ALTER SEQUENCE webhook_id_seq AS BIGINT",
        expected: &["sequences.webhook_id_seq"],
    },
    Drift {
        what: "a sequence no longer owned by its column",
        setup: "",
        change: "ALTER SEQUENCE inbox_id_seq OWNED BY NONE",
        expected: &["sequences.inbox_id_seq"],
    },
    Drift {
        what: "a table left behind",
        setup: "",
        change: "CREATE TABLE migration_history (version TEXT NOT NULL)",
        expected: &["tables.migration_history"],
    },
];

#[test]
fn every_kind_of_drift_reads_differently() -> Result<()> {
    let cluster = start()?;
    let mut client = database(&cluster, "latest", None)?;
    apply_in_one_transaction(&mut client, &[latest()?])?;
    // A template database must have no sessions while it is copied.
    drop(client);

    let mut failures = Vec::new();
    for (number, drift) in DRIFTS.iter().enumerate() {
        let mut base = database(&cluster, &format!("base_{number}"), Some("latest"))?;
        base.batch_execute(drift.setup)?;
        let mut drifted = database(&cluster, &format!("drifted_{number}"), Some("latest"))?;
        drifted.batch_execute(drift.setup)?;
        drifted
            .batch_execute(drift.change)
            .with_context(|| format!("applying {}", drift.what))?;
        let found = differences(&introspect(&mut base)?, &introspect(&mut drifted)?);
        if found != drift.expected {
            failures.push(format!(
                "{}: expected {:?}, found {found:?}",
                drift.what, drift.expected
            ));
        }
    }
    ensure!(failures.is_empty(), "{}", failures.join("\n"));
    cluster.stop()
}

/// A fresh database holds only system objects and the `plpgsql` extension: none of them is read.
#[test]
fn an_empty_database_reads_as_an_empty_schema() -> Result<()> {
    let cluster = start()?;
    let mut client = database(&cluster, "empty", None)?;
    assert_eq!(introspect(&mut client)?, Schema::default());
    cluster.stop()
}
