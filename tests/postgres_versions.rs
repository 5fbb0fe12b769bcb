//! The replay on several PostgreSQL majors, on two real servers: Debian's PostgreSQL 15 (the
//! one every test finds) and a PostgreSQL 17, found from `PG_BIN_17` (CI sets it) or where
//! `.ci/install-postgres-npm 17` installs it. Without a 17 the tests say why and return, except
//! in CI, where they fail: a skip a developer sees, a failure CI sees.

mod support;

use std::path::PathBuf;
use std::process::Output;

use support::{git, stdout, Tree};

/// The bin folder of PostgreSQL 17, or `None` (after saying why) where the machine has none
/// outside CI.
fn second_major() -> Option<PathBuf> {
    let dir = std::env::var_os("PG_BIN_17")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/postgresql-npm/17/native/bin"));
    if dir.join("postgres").is_file() && dir.join("initdb").is_file() {
        return Some(dir);
    }
    let why = format!(
        "no PostgreSQL 17 in {} (set PG_BIN_17, or run .ci/install-postgres-npm 17)",
        dir.display()
    );
    assert!(std::env::var_os("CI").is_none(), "{why}");
    eprintln!("skipped: {why}");
    None
}

/// The minimal tree in a git repository, with `[engines] postgres = ["15", "17"]` and `extra`
/// configuration, and `files` written over it.
fn tree(extra_config: &str, files: &[(&str, &str)]) -> Tree {
    let tree = Tree::new("minimal");
    tree.write(
        "validate-migrations.toml",
        format!("[engines]\npostgres = [\"15\", \"17\"]\n{extra_config}").as_bytes(),
    );
    for (path, text) in files {
        tree.write(path, text.as_bytes());
    }
    git(tree.dir.path(), &["init", "-q"]);
    tree
}

fn validate(tree: &Tree, second: &std::path::Path, extra: &[&str]) -> Output {
    let store = tree.store();
    let store = store.to_str().expect("UTF-8 temporary path");
    let pg_bin = format!("17={}", second.display());
    support::xtask(
        &[
            &[
                "validate-migrations",
                "--root",
                store,
                "--pg-bin",
                &pg_bin,
                "--no-restore-drill",
            ],
            extra,
        ]
        .concat(),
    )
}

/// `validate-migrations` on `tree` without a second major's binaries.
fn validate_on_one(tree: &Tree, extra: &[&str]) -> Output {
    let store = tree.store();
    let store = store.to_str().expect("UTF-8 temporary path");
    support::xtask(&[&["validate-migrations", "--root", store], extra].concat())
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON ({e}): {}{}",
            stdout(output),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// The 0.2.2 migration calls `pg_input_is_valid`, new in PostgreSQL 16, in both dialects'
/// trees as they would ship it (SQLite's the same version, without the call).
fn with_pg_input_is_valid() -> Tree {
    let latest = |dialect: &str| {
        std::fs::read_to_string(
            support::project_root()
                .join("tests/fixtures/minimal/migration")
                .join(dialect)
                .join("LATEST.sql"),
        )
        .expect("fixture LATEST.sql")
        .replace("0.2.1", "0.2.2")
    };
    tree(
        "",
        &[
            ("migration/VERSION", "0.2.2\n"),
            ("migration/postgres/LATEST.sql", &latest("postgres")),
            ("migration/sqlite/LATEST.sql", &latest("sqlite")),
            (
                "migration/postgres/0.2/01__check.sql",
                "-- Is every value still an integer?\nSELECT pg_input_is_valid('1', 'integer');\n",
            ),
            ("migration/sqlite/0.2/01__check.sql", "SELECT 1;\n"),
        ],
    )
}

#[test]
fn a_function_new_in_16_fails_on_15_and_applies_on_17_at_its_line() {
    let Some(second) = second_major() else {
        return;
    };
    let tree = with_pg_input_is_valid();
    let output = validate(&tree, &second, &["--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let document = json(&output);
    let diagnostics = document["diagnostics"].as_array().expect("diagnostics");
    let failed: Vec<&serde_json::Value> = diagnostics
        .iter()
        .filter(|d| d["code"] == "statement-failed")
        .collect();
    assert_eq!(failed.len(), 1, "reported once: {diagnostics:#?}");
    let failed = failed[0];
    assert_eq!(
        failed["file"], "store/migration/postgres/0.2/01__check.sql",
        "{failed:#}"
    );
    assert_eq!(failed["span"]["start"]["line"], 2, "{failed:#}");
    let message = failed["message"].as_str().expect("message");
    assert!(
        message.contains("fails on PostgreSQL 15.") && message.contains("applies on 17."),
        "{message}"
    );
    let engines = failed["engines"].as_array().expect("engines as data");
    assert_eq!(engines.len(), 1, "{failed:#}");
    assert!(engines[0]
        .as_str()
        .is_some_and(|e| e.starts_with("PostgreSQL 15.")));
    // Each major's chains are in the summary, with the engine they ran on.
    let chains = document["replay"]["chains"].as_array().expect("chains");
    let full: Vec<(String, bool)> = chains
        .iter()
        .filter(|c| c["dialect"] == "postgres" && c["name"] == "full")
        .map(|c| {
            let engine = c["engine"].as_str().unwrap_or_default();
            (
                engine.split('.').next().unwrap_or_default().to_string(),
                c["passed"] == true,
            )
        })
        .collect();
    assert_eq!(
        full,
        vec![
            ("PostgreSQL 15".to_string(), false),
            ("PostgreSQL 17".to_string(), true)
        ]
    );
}

/// A failure on one major is said to apply on another only where that major's chain applied
/// cleanly: here 17 stops at 0.2/01 (`pg_stat_bgwriter` lost `buffers_checkpoint` in 17), so
/// it never reaches the 0.2/02 that 15 refuses (`pg_input_is_valid` is new in 16).
#[test]
fn a_failure_is_not_said_to_apply_on_a_major_whose_chain_stopped_before_it() {
    let Some(second) = second_major() else {
        return;
    };
    let tree = with_pg_input_is_valid();
    tree.write(
        "migration/postgres/0.2/01__check.sql",
        b"SELECT buffers_checkpoint FROM pg_stat_bgwriter;\n",
    );
    tree.write(
        "migration/postgres/0.2/02__check.sql",
        b"SELECT pg_input_is_valid('1', 'integer');\n",
    );
    tree.write("migration/sqlite/0.2/02__check.sql", b"SELECT 1;\n");
    let output = validate(&tree, &second, &["--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let document = json(&output);
    let diagnostics = document["diagnostics"].as_array().expect("diagnostics");
    let message_of = |file: &str| {
        diagnostics
            .iter()
            .find(|d| d["code"] == "statement-failed" && d["file"] == file)
            .and_then(|d| d["message"].as_str())
            .unwrap_or_else(|| panic!("no statement-failed in {file}: {diagnostics:#?}"))
            .to_string()
    };
    let reached_by_both = message_of("store/migration/postgres/0.2/01__check.sql");
    assert!(
        reached_by_both.contains("fails on PostgreSQL 17.")
            && reached_by_both.contains("not on 15."),
        "{reached_by_both}"
    );
    let not_reached_on_17 = message_of("store/migration/postgres/0.2/02__check.sql");
    assert!(
        not_reached_on_17.contains("fails on PostgreSQL 15.")
            && not_reached_on_17.contains("not on 17.")
            && !not_reached_on_17.contains("applies"),
        "{not_reached_on_17}"
    );
}

#[test]
fn junit_has_a_test_case_per_chain_and_major_failed_where_it_failed() {
    let Some(second) = second_major() else {
        return;
    };
    let tree = with_pg_input_is_valid();
    let output = validate(
        &tree,
        &second,
        &["--dialect", "postgres", "--format", "junit"],
    );
    let xml = stdout(&output);
    // Each test case's opening tag, and whether a failure follows before the next one.
    let cases: Vec<(String, bool)> = xml
        .split("<testcase ")
        .skip(1)
        .filter(|case| case.contains("classname=\"replay.postgres\""))
        .map(|case| {
            let name = case
                .split(" name=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or_default();
            let major = name.split('.').next().unwrap_or_default().to_string();
            (major, case.contains("<failure"))
        })
        .collect();
    assert!(
        cases.contains(&("full on PostgreSQL 15".to_string(), true)),
        "{xml}"
    );
    assert!(
        cases.contains(&("full on PostgreSQL 17".to_string(), false)),
        "{xml}"
    );
}

#[test]
fn a_store_that_applies_on_both_majors_passes_and_names_both_engines() {
    let Some(second) = second_major() else {
        return;
    };
    // A view over one relation: PostgreSQL 17 prints it without the qualifiers 15 prints,
    // which the comparison of the majors does not take for a difference.
    let view = "CREATE VIEW memo_owner AS SELECT m.id, m.creator_id FROM memo m WHERE m.visibility <> 'PRIVATE';\n";
    let latest = std::fs::read_to_string(
        support::project_root().join("tests/fixtures/minimal/migration/postgres/LATEST.sql"),
    )
    .expect("fixture LATEST.sql");
    let tree = tree(
        "",
        &[
            ("migration/postgres/LATEST.sql", &format!("{latest}{view}")),
            (
                "migration/postgres/0.2/00__memo_index.sql",
                &format!("CREATE INDEX idx_memo_creator_id ON memo (creator_id);\n{view}"),
            ),
        ],
    );
    let output = validate(&tree, &second, &["--dialect", "postgres"]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("engine: PostgreSQL 15."), "{text}");
    assert!(text.contains("engine: PostgreSQL 17."), "{text}");
    assert!(text.contains("all applied"), "{text}");
}

/// A fresh install that builds a table on PostgreSQL 16 and later only.
const ONLY_ON_NEWER: &str = "DO $$ BEGIN IF current_setting('server_version_num')::int >= 160000 \
    THEN CREATE TABLE newer_only (id integer); END IF; END $$;\n";

fn with_a_table_on_newer_majors(extra_config: &str) -> Tree {
    let latest = std::fs::read_to_string(
        support::project_root().join("tests/fixtures/minimal/migration/postgres/LATEST.sql"),
    )
    .expect("fixture LATEST.sql");
    tree(
        extra_config,
        &[(
            "migration/postgres/LATEST.sql",
            &format!("{latest}{ONLY_ON_NEWER}"),
        )],
    )
}

fn codes(output: &Output) -> Vec<String> {
    json(output)["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| d["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn the_fresh_schemas_of_the_majors_are_compared() {
    let Some(second) = second_major() else {
        return;
    };
    let tree = with_a_table_on_newer_majors("");
    let output = validate(
        &tree,
        &second,
        &["--dialect", "postgres", "--format", "json"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let document = json(&output);
    let differ: Vec<&serde_json::Value> = document["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["code"] == "postgres-majors-differ")
        .collect();
    assert_eq!(differ.len(), 1, "{document:#}");
    assert_eq!(differ[0]["difference"]["object"], "table newer_only");
    let message = differ[0]["message"].as_str().expect("message");
    assert!(
        message.contains("PostgreSQL 15.") && message.contains("PostgreSQL 17."),
        "{message}"
    );

    // Accepted with a reason, it is not reported; the entry is used, so not reported unused.
    let accepted = with_a_table_on_newer_majors(
        "\n[[allow]]\ndialect = \"postgres\"\nchain = \"majors\"\nobject = \"table newer_only\"\n\
         reason = \"a table for PostgreSQL 16 and later\"\n",
    );
    let output = validate(
        &accepted,
        &second,
        &["--dialect", "postgres", "--format", "json"],
    );
    let codes = codes(&output);
    assert!(
        !codes.contains(&"postgres-majors-differ".to_string()),
        "{codes:?}"
    );
    assert!(!codes.contains(&"unused-allow".to_string()), "{codes:?}");
}

#[test]
fn a_major_that_cannot_be_found_stops_the_run() {
    // No second major needed: PostgreSQL 99 is nowhere.
    let output = validate_on_one(&tree("", &[]), &["--postgres-version", "99"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{}{stderr}", stdout(&output));
    assert!(stderr.contains("PostgreSQL 99 was not found"), "{stderr}");
}

#[test]
fn configured_majors_on_an_existing_server_are_listed_as_not_checked() {
    use xtask::engine::postgres::{BinariesOptions, Cluster, ClusterOptions, PgBinaries};

    let binaries = PgBinaries::find(&BinariesOptions::default()).expect("PostgreSQL binaries");
    let cluster = Cluster::start(&binaries, &ClusterOptions::default()).expect("a cluster");
    let url = format!(
        "postgresql://postgres@localhost/postgres?host={}&port={}",
        cluster.socket_dir().display(),
        cluster.port()
    );
    let output = validate_on_one(
        &tree("", &[]),
        &["--dialect", "postgres", "--postgres-url", &url],
    );
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert_eq!(text.matches("engine: PostgreSQL").count(), 1, "{text}");
    assert!(
        text.contains(
            "PostgreSQL 15, 17 (engines.postgres): --postgres-url replays on that one server only"
        ),
        "{text}"
    );
    cluster.stop().expect("stop the cluster");
}
