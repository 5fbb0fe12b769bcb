//! The two documented configurations (docs/config.md) on trees of their layouts with release
//! tags in temporary git repositories, which a case file cannot build: upgrades from a release
//! whose layout has since moved, a release stamped by the service, flat released history. And
//! how a configuration is found, and how its mistakes stop the run.

mod support;

use std::process::Output;

use support::{commit, git, stdout, Tree};

fn validate(tree: &Tree, extra: &[&str]) -> Output {
    let store = tree.store();
    let store = store.to_str().expect("UTF-8 temporary path");
    support::xtask(&[&["validate-migrations", "--root", store], extra].concat())
}

/// The replayed chains of a JSON report, `dialect/name passed|failed`.
fn chains(output: &Output) -> Vec<String> {
    support::replay_chains(output)
        .into_iter()
        .map(|(name, passed)| format!("{name} {}", if passed { "passed" } else { "failed" }))
        .collect()
}

fn read(tree: &Tree, relative: &str) -> String {
    std::fs::read_to_string(tree.store().join(relative)).expect("fixture file")
}

/// The upstream example in a repository with two releases in the layout of their time, each
/// dialect's script and migrations in a `prod/` folder: v0.21.0 (below the minimum upgrade
/// version) and v0.22.0 (the 0.22 migration, schema version 0.22.1). The working tree is the
/// fixture: the layout moved up a level, and the 0.23 migrations are new.
fn upstream_released() -> Tree {
    let tree = Tree::new("upstream");
    let current: Vec<(String, String)> = ["postgres", "sqlite"]
        .iter()
        .flat_map(|d| {
            [
                format!("migration/{d}/LATEST.sql"),
                format!("migration/{d}/0.22/00__memo_visibility.sql"),
                format!("migration/{d}/0.23/00__memo_pinned.sql"),
                format!("migration/{d}/0.23/01__memo_creator_index.sql"),
                format!("seed/{d}/01__demo.sql"),
            ]
        })
        .map(|path| {
            let text = read(&tree, &path);
            (path, text)
        })
        .collect();
    let at_0_22 = |latest: &str| {
        latest
            .replace(",\n  pinned BOOLEAN NOT NULL DEFAULT FALSE", "")
            .replace(
                ",\n  pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1))",
                "",
            )
            .replace(
                "\nCREATE INDEX idx_memo_creator_id ON memo (creator_id);\n",
                "",
            )
    };
    for dialect in ["postgres", "sqlite"] {
        let latest = at_0_22(&read(&tree, &format!("migration/{dialect}/LATEST.sql")));
        assert!(!latest.contains("pinned") && !latest.contains("INDEX"));
        tree.delete(&format!("migration/{dialect}"));
        let at_0_21 = latest.replace(",\n  visibility TEXT NOT NULL DEFAULT 'PRIVATE'", "");
        tree.write(
            &format!("migration/{dialect}/prod/LATEST.sql"),
            at_0_21.as_bytes(),
        );
        // The releases' demo data has no pin either: the seeds at a tag run on its schema.
        tree.write(
            &format!("seed/{dialect}/01__demo.sql"),
            b"INSERT INTO memo (creator_id, content) VALUES (1, 'Welcome to the notes service.');\n",
        );
    }
    git(tree.dir.path(), &["init", "-q"]);
    commit(&tree, "0.21.0");
    git(tree.dir.path(), &["tag", "v0.21.0"]);
    for dialect in ["postgres", "sqlite"] {
        let (_, visibility) = current
            .iter()
            .find(|(p, _)| p == &format!("migration/{dialect}/0.22/00__memo_visibility.sql"))
            .expect("the 0.22 migration");
        tree.write(
            &format!("migration/{dialect}/prod/0.22/00__memo_visibility.sql"),
            visibility.as_bytes(),
        );
        let (_, latest) = current
            .iter()
            .find(|(p, _)| p == &format!("migration/{dialect}/LATEST.sql"))
            .expect("LATEST.sql");
        tree.write(
            &format!("migration/{dialect}/prod/LATEST.sql"),
            at_0_22(latest).as_bytes(),
        );
    }
    commit(&tree, "0.22.0");
    git(tree.dir.path(), &["tag", "v0.22.0"]);
    for dialect in ["postgres", "sqlite"] {
        tree.delete(&format!("migration/{dialect}/prod"));
    }
    for (path, text) in &current {
        tree.write(path, text.as_bytes());
    }
    tree
}

#[test]
fn the_upstream_example_upgrades_from_a_release_in_the_old_layout() {
    let tree = upstream_released();
    let output = validate(&tree, &["--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    // No full chain (the first migrations are gone), no chain from v0.21.0 (below the minimum
    // upgrade version), and v0.22.0's script found at its old path. Its installations were
    // stamped 0.22.1 by the service, so only the 0.23 migrations run: were the tag's 0.22.0
    // taken instead, 0.22/00 would run again and fail on the existing column.
    assert_eq!(
        chains(&output),
        [
            "postgres/fresh passed",
            "postgres/upgrade-from-v0.22.0 passed",
            "sqlite/fresh passed",
            "sqlite/upgrade-from-v0.22.0 passed",
        ]
    );
}

#[test]
fn the_upstream_example_finds_a_drift_on_the_upgrade_path() {
    let tree = upstream_released();
    // The working tree's script gains a column that no migration adds: fresh installs have it,
    // installations upgraded from v0.22.0 do not.
    let latest = read(&tree, "migration/sqlite/LATEST.sql").replace(
        "  content TEXT NOT NULL DEFAULT '',\n",
        "  content TEXT NOT NULL DEFAULT '',\n  archived INTEGER NOT NULL DEFAULT 0,\n",
    );
    tree.write("migration/sqlite/LATEST.sql", latest.as_bytes());
    let output = validate(&tree, &["--dialect", "sqlite"]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("error[schema-drift]: SQLite: table memo, column archived differs from the fresh install [chain upgrade-from-v0.22.0]"),
        "{text}"
    );
}

/// The flat example released as v1.1.0, before its 1.2.0 migration: the script stamps 1.1.0 and
/// has no index yet. The working tree is the fixture.
fn flat_released() -> Tree {
    let tree = Tree::new("flat");
    let mut current = Vec::new();
    for dialect in ["postgres", "sqlite"] {
        let script = format!("schema/{dialect}.sql");
        let index = format!("migrations/{dialect}/V1.2.0__memo_creator_index.sql");
        current.push((script.clone(), read(&tree, &script)));
        current.push((index.clone(), read(&tree, &index)));
        let at_1_1 = read(&tree, &script)
            .replace(
                "\nCREATE INDEX idx_memo_creator_id ON memo (creator_id);\n",
                "",
            )
            .replace("'1.2.0'", "'1.1.0'");
        tree.write(&script, at_1_1.as_bytes());
        tree.delete(&index);
    }
    git(tree.dir.path(), &["init", "-q"]);
    commit(&tree, "1.1.0");
    git(tree.dir.path(), &["tag", "v1.1.0"]);
    for (path, text) in &current {
        tree.write(path, text.as_bytes());
    }
    tree
}

#[test]
fn the_flat_example_upgrades_from_its_release() {
    let tree = flat_released();
    let output = validate(&tree, &["--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(
        chains(&output),
        [
            "postgres/fresh passed",
            "postgres/full passed",
            "postgres/upgrade-from-v1.1.0 passed",
            "sqlite/fresh passed",
            "sqlite/full passed",
            "sqlite/upgrade-from-v1.1.0 passed",
        ]
    );
}

#[test]
fn flat_released_history_is_immutable() {
    let tree = flat_released();
    // A released migration edited, and a new one slipped in below the release.
    tree.write(
        "migrations/sqlite/V1.1__memo_visibility.sql",
        b"ALTER TABLE memo ADD COLUMN visibility TEXT NOT NULL DEFAULT 'PUBLIC';\n",
    );
    for dialect in ["postgres", "sqlite"] {
        tree.write(
            &format!("migrations/{dialect}/V1.0.5__memo_title.sql"),
            b"ALTER TABLE memo ADD COLUMN title TEXT NOT NULL DEFAULT '';\n",
        );
    }
    let output = validate(&tree, &["--static-only"]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("error[released-migration-changed]: `V1.1__memo_visibility.sql` was released in v1.1.0 and has changed since"),
        "{text}"
    );
    assert!(
        text.contains("error[migration-in-the-past]: `V1.0.5__memo_title.sql` (version 1.0.5) is new since v1.1.0, whose schema version is 1.1.0 (its highest migration)"),
        "{text}"
    );
    assert!(
        text.contains("git checkout v1.1.0 -- store/migrations/sqlite/V1.1__memo_visibility.sql"),
        "{text}"
    );
}

#[test]
fn a_configuration_named_by_config_describes_the_tree() {
    let tree = Tree::new("flat");
    let elsewhere = tree.dir.path().join("layout.toml");
    std::fs::rename(tree.store().join("validate-migrations.toml"), &elsewhere)
        .expect("move the configuration");
    // Without it, the tree is read as the store convention, which it is not.
    let output = validate(&tree, &["--static-only"]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("has no migration/ folder"), "{stderr}");
    let config = elsewhere.to_str().expect("UTF-8 temporary path");
    let output = validate(&tree, &["--static-only", "--config", config]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

#[test]
fn a_configuration_mistake_stops_the_run_at_its_place() {
    let tree = Tree::new("flat");
    let text = read(&tree, "validate-migrations.toml").replace(
        "versions = \"flat-semver\"",
        "versions = \"flat-semver\"\nlatest-script = \"schema.sql\"",
    );
    tree.write("validate-migrations.toml", text.as_bytes());
    let output = validate(&tree, &["--static-only"]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("store/validate-migrations.toml:9:1: unknown field `latest-script`"),
        "{stderr}"
    );
    let output = validate(&tree, &["--static-only", "--config", "/no/such/file.toml"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the configuration file /no/such/file.toml does not exist"),
        "{stderr}"
    );
}
