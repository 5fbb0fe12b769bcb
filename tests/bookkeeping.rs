//! The service's bookkeeping on upgrade chains (docs/config.md, "The stamp write" and "The
//! version record"), which a case file cannot build: a release tag in a temporary repository,
//! whose installations the service stamped with its own SQL, or recorded in a version-history
//! table, then upgraded by the newer migrations.

mod support;

use std::process::Output;

use support::{commit, git, stdout, Tree};

/// The upstream example's layout without the old `prod/` folders: the service records its
/// version, minimum upgrade 0.22.0, no full chain.
const CONFIG: &str = r#"
[layout]
dialects = { postgres = "migration/postgres", sqlite = "migration/sqlite" }
ignore = ["migration/mysql"]

[version]
target = "highest-migration"
minimum-upgrade = "0.22.0"

[replay]
full-chain = "none"
"#;

/// The service's own write into a settings table with a description and a timestamp to fill.
const SERVICE_WRITE: &str = r#"
[stamp]
table = "system_setting"
written-by = "service"

[stamp.write]
postgres = """
INSERT INTO system_setting (name, value, description, updated_ts)
VALUES ('BASIC', {value}, 'the schema version', 1)
ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_ts = 2
"""
sqlite = """
INSERT INTO system_setting (name, value, description, updated_ts)
VALUES ('BASIC', {value}, 'the schema version', 1)
ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_ts = 2
"""
"#;

const SETTINGS_TABLE: &str = "CREATE TABLE system_setting (
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  description TEXT NOT NULL,
  updated_ts BIGINT NOT NULL,
  UNIQUE(name)
);
";

const HISTORY_TABLE: &str = "CREATE TABLE migration_history (
  version TEXT NOT NULL,
  created_ts BIGINT NOT NULL DEFAULT 0
);
";

/// The upstream fixture released as v0.22.0 (schema version 0.22.1: no `pinned` column, no
/// index) with the 0.23 migrations new in the working tree. Each dialect's script starts with
/// `bookkeeping` (the table the service records its version in) instead of the fixture's
/// settings table, and ends with `stamp(versions)` for the versions it contains.
fn released(config: &str, bookkeeping: &str, stamp: impl Fn(&[&str]) -> String) -> Tree {
    let tree = Tree::new("upstream");
    let read = |relative: &str| {
        std::fs::read_to_string(tree.store().join(relative)).expect("fixture file")
    };
    tree.write("validate-migrations.toml", config.as_bytes());
    let mut current = Vec::new();
    for dialect in ["postgres", "sqlite"] {
        let latest = format!("migration/{dialect}/LATEST.sql");
        let text = read(&latest);
        let memo = &text[text.find("CREATE TABLE memo").expect("the memo table")..];
        let now = format!(
            "{bookkeeping}\n{memo}{}",
            stamp(&["0.3.0", "0.22.1", "0.23.1", "0.23.2"])
        );
        let at_0_22 = memo
            .replace(",\n  pinned BOOLEAN NOT NULL DEFAULT FALSE", "")
            .replace(
                ",\n  pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1))",
                "",
            )
            .replace(
                "\nCREATE INDEX idx_memo_creator_id ON memo (creator_id);\n",
                "",
            );
        assert!(!at_0_22.contains("pinned") && !at_0_22.contains("INDEX"));
        tree.write(
            &latest,
            format!("{bookkeeping}\n{at_0_22}{}", stamp(&["0.3.0", "0.22.1"])).as_bytes(),
        );
        current.push((latest, now));
        // The release's demo data has no pin either: the seeds at the tag run on its schema.
        let seed = format!("seed/{dialect}/01__demo.sql");
        current.push((seed.clone(), read(&seed)));
        tree.write(
            &seed,
            b"INSERT INTO memo (creator_id, content) VALUES (1, 'Welcome to the notes service.');\n",
        );
        let folder = format!("migration/{dialect}/0.23");
        for name in ["00__memo_pinned.sql", "01__memo_creator_index.sql"] {
            let path = format!("{folder}/{name}");
            current.push((path.clone(), read(&path)));
        }
        tree.delete(&folder);
    }
    git(tree.dir.path(), &["init", "-q"]);
    commit(&tree, "0.22.0");
    git(tree.dir.path(), &["tag", "v0.22.0"]);
    for (path, text) in &current {
        tree.write(path, text.as_bytes());
    }
    tree
}

fn validate(tree: &Tree) -> (Output, Output) {
    let store = tree.store();
    let store = store.to_str().expect("UTF-8 temporary path");
    let args = ["validate-migrations", "--root", store];
    (
        support::xtask(&args),
        support::xtask(&[&args[..], &["--format", "json"]].concat()),
    )
}

/// The replayed chains of a JSON report, `dialect/name passed|failed`.
fn chains(output: &Output) -> Vec<String> {
    support::replay_chains(output)
        .into_iter()
        .map(|(name, passed)| format!("{name} {}", if passed { "passed" } else { "failed" }))
        .collect()
}

#[test]
fn the_services_own_write_stamps_every_chain() {
    let tree = released(&format!("{CONFIG}{SERVICE_WRITE}"), SETTINGS_TABLE, |_| {
        String::new()
    });
    let (human, json) = validate(&tree);
    assert_eq!(human.status.code(), Some(0), "{}", stdout(&human));
    // The release's installations were stamped 0.22.1 by the configured write, upgraded by
    // the 0.23 migrations and stamped again: the upsert's update path ran too.
    assert_eq!(
        chains(&json),
        [
            "postgres/fresh passed",
            "postgres/upgrade-from-v0.22.0 passed",
            "sqlite/fresh passed",
            "sqlite/upgrade-from-v0.22.0 passed",
        ]
    );
}

#[test]
fn without_the_services_write_every_chain_fails_at_the_configuration() {
    let config =
        format!("{CONFIG}\n[stamp]\ntable = \"system_setting\"\nwritten-by = \"service\"\n");
    let tree = released(&config, SETTINGS_TABLE, |_| String::new());
    let (human, json) = validate(&tree);
    let text = stdout(&human);
    assert_eq!(human.status.code(), Some(1), "{text}");
    assert!(
        chains(&json).iter().all(|c| c.ends_with("failed")),
        "{text}"
    );
    // One finding per dialect, naming every chain, at the configuration's [stamp] table.
    for (engine, key) in [("PostgreSQL", "postgres"), ("SQLite", "sqlite")] {
        let finding = text
            .split("\n\n")
            .find(|f| f.starts_with(&format!("error[stamp-write-failed]: {engine}")))
            .unwrap_or_else(|| panic!("no stamp-write-failed for {engine}: {text}"));
        assert!(
            finding.contains("[chains fresh, upgrade-from-v0.22.0]")
                && finding.contains("store/validate-migrations.toml:13:1")
                && finding.contains(&format!("`stamp.write.{key}`")),
            "{finding}"
        );
    }
    assert!(!text.contains("0.23/01__memo_creator_index.sql"), "{text}");
}

#[test]
fn a_history_table_upgrade_starts_above_its_highest_version() {
    let config = format!(
        "{CONFIG}\n[stamp]\nwritten-by = \"latest\"\n\n[stamp.history]\ntable = \"migration_history\"\n"
    );
    // As strings, 0.3.0 would be the highest version of both scripts: the fresh install would
    // store 0.3.0, and the release would be refused as below the minimum upgrade version.
    let tree = released(&config, HISTORY_TABLE, |versions| {
        let rows: Vec<String> = versions.iter().map(|v| format!("('{v}')")).collect();
        format!(
            "\nINSERT INTO migration_history (version) VALUES {};\n",
            rows.join(", ")
        )
    });
    let (human, json) = validate(&tree);
    assert_eq!(human.status.code(), Some(0), "{}", stdout(&human));
    assert_eq!(
        chains(&json),
        [
            "postgres/fresh passed",
            "postgres/upgrade-from-v0.22.0 passed",
            "sqlite/fresh passed",
            "sqlite/upgrade-from-v0.22.0 passed",
        ]
    );
}
