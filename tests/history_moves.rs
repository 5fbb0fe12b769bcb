//! Released history on trees with years of it: folders that moved between releases, a released
//! file whose name the service could not read and that was renamed to its right name, tags that
//! are not releases of this history (pre-releases, other branches), another tag pattern, and
//! fresh-install scripts that lay elsewhere per dialect. Each test builds a real git repository
//! with release tags around the minimal fixture.

mod support;

use std::process::Output;

use support::{commit, expect, git, stdout, xtask, Tree};

const DIALECTS: [&str; 2] = ["postgres", "sqlite"];

/// The paths of the minimal tree's migrations and scripts in a dialect folder.
const FILES: [&str; 4] = [
    "0.1/00__init.sql",
    "0.1/01__memo_visibility.sql",
    "0.2/00__memo_index.sql",
    "LATEST.sql",
];

fn run(tree: &Tree, extra: &[&str]) -> Output {
    let store = tree.store();
    let store = store.to_str().expect("UTF-8 temporary path");
    xtask(&[&["validate-migrations", "--root", store], extra].concat())
}

/// A fresh-install script as it was before the 0.2 migration added the index.
fn without_index(latest: &str) -> String {
    latest.replace(
        "CREATE INDEX idx_memo_creator_id ON memo (creator_id);\n",
        "",
    )
}

fn read(tree: &Tree, relative: &str) -> Vec<u8> {
    std::fs::read(tree.store().join(relative)).expect("fixture file")
}

/// The minimal tree (schema 0.2.1) released as v0.2.1 in the old layout, each dialect's files
/// in a `prod/` folder of the dialect folder, then moved to today's layout in a later commit
/// (`git mv`, with the same bytes).
fn moved_after_release() -> Tree {
    let tree = Tree::new("minimal");
    git(tree.dir.path(), &["init", "-q"]);
    for dialect in DIALECTS {
        for file in FILES {
            let now = format!("migration/{dialect}/{file}");
            let bytes = read(&tree, &now);
            tree.delete(&now);
            tree.write(&format!("migration/{dialect}/prod/{file}"), &bytes);
        }
    }
    commit(&tree, "0.2.1");
    git(tree.dir.path(), &["tag", "v0.2.1"]);
    for dialect in DIALECTS {
        for file in FILES {
            let from = format!("store/migration/{dialect}/prod/{file}");
            let to = format!("store/migration/{dialect}/{file}");
            git(tree.dir.path(), &["mv", &from, &to]);
        }
        tree.delete(&format!("migration/{dialect}/prod"));
    }
    commit(&tree, "move the layout up a level");
    tree
}

/// The `[[layout.dirs-at-tags]]` entry of the old layout.
const PROD_BEFORE_0_3: &str = "[[layout.dirs-at-tags]]\nuntil = \"0.3.0\"\npostgres = \"migration/postgres/prod\"\nsqlite = \"migration/sqlite/prod\"\n";

#[test]
fn a_moved_layout_with_the_same_bytes_is_no_change_of_history() {
    let tree = moved_after_release();
    // Were the moved files not followed, every migration would be new since v0.2.1 and below
    // its schema version.
    let text = expect(&run(&tree, &["--static-only"]), 0);
    assert!(!text.contains("migration-in-the-past"), "{text}");
    assert!(!text.contains("released-migration"), "{text}");

    // A move that changed the text is still a change of released history, shown against the
    // text at the old path.
    let init = "migration/sqlite/0.1/00__init.sql";
    let edited = String::from_utf8(read(&tree, init))
        .expect("UTF-8")
        .replace("content TEXT", "body TEXT");
    tree.write(init, edited.as_bytes());
    commit(&tree, "edit a released migration");
    let text = expect(&run(&tree, &["--static-only"]), 1);
    for expected in [
        "error[released-migration-changed]: `0.1/00__init.sql` was released in v0.2.1 and has changed since:",
        "-  content TEXT NOT NULL DEFAULT ''",
        "+  body TEXT NOT NULL DEFAULT ''",
        "git show v0.2.1:store/migration/sqlite/prod/0.1/00__init.sql > store/migration/sqlite/0.1/00__init.sql",
    ] {
        assert!(text.contains(expected), "lacks {expected:?}:\n{text}");
    }
    assert!(!text.contains("migration-in-the-past"), "{text}");
}

#[test]
fn dirs_at_tags_names_where_a_release_kept_its_migrations() {
    let tree = moved_after_release();
    // A released migration deleted after the move: git sees no move of it, so only the
    // configured old folder tells that the release shipped it.
    for dialect in DIALECTS {
        tree.delete(&format!("migration/{dialect}/0.2/00__memo_index.sql"));
    }
    let text = expect(&run(&tree, &["--static-only"]), 1);
    assert!(
        !text.contains("released-migration-deleted"),
        "without the configuration the old folder is not looked at: {text}"
    );
    tree.write("validate-migrations.toml", PROD_BEFORE_0_3.as_bytes());
    let text = expect(&run(&tree, &["--static-only"]), 1);
    assert!(
        text.contains("error[released-migration-deleted]: `0.2/00__memo_index.sql` was released in v0.2.1 and is gone"),
        "{text}"
    );
    assert!(
        text.contains("git show v0.2.1:store/migration/postgres/prod/0.2/00__memo_index.sql > store/migration/postgres/0.2/00__memo_index.sql"),
        "{text}"
    );
}

#[test]
fn the_upgrade_chain_starts_from_the_script_in_the_old_folder() {
    let tree = moved_after_release();
    // The release's script is in `prod/`: without the configuration the tag has none of the
    // candidate paths and no chain, with the configuration `{dir}` stands for `prod/` there.
    let json = run(&tree, &["--dialect", "sqlite", "--format", "json"]);
    let document: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(
        document["skipped_tags"],
        serde_json::json!([{
            "tag": "v0.2.1",
            "dialect": "sqlite",
            "reason": "no-script",
            "candidates": ["store/migration/sqlite/LATEST.sql"]
        }]),
        "{}",
        stdout(&json)
    );
    let text = stdout(&run(&tree, &["--dialect", "sqlite"]));
    assert!(
        text.contains("tags skipped (sqlite): v0.2.1: no fresh-install script at the tag (looked for store/migration/sqlite/LATEST.sql): no upgrade chain"),
        "{text}"
    );

    tree.write("validate-migrations.toml", PROD_BEFORE_0_3.as_bytes());
    let output = run(&tree, &["--dialect", "sqlite", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(
        support::replay_chains(&output),
        [
            ("sqlite/fresh".to_string(), true),
            ("sqlite/full".to_string(), true),
            ("sqlite/upgrade-from-v0.2.1".to_string(), true),
        ]
    );
}

#[test]
fn latest_at_tags_per_dialect() {
    // v0.1.2 kept SQLite's script as `migration/sqlite/fresh.sql`, PostgreSQL's where it is.
    let tree = support::released_before_0_2("0.1.2", without_index, |tree| {
        let script = "migration/sqlite/LATEST.sql";
        let bytes = read(tree, script);
        tree.delete(script);
        tree.write("migration/sqlite/fresh.sql", &bytes);
    });
    tree.delete("migration/sqlite/fresh.sql");
    let output = run(&tree, &["--dialect", "sqlite", "--format", "json"]);
    assert_eq!(
        support::replay_chains(&output),
        [
            ("sqlite/fresh".to_string(), true),
            ("sqlite/full".to_string(), true),
        ],
        "no script at the tag, no chain: {}",
        stdout(&output)
    );

    tree.write(
        "validate-migrations.toml",
        b"[layout.latest-at-tags]\nsqlite = [\"{dir}/LATEST.sql\", \"{dir}/fresh.sql\"]\n",
    );
    let output = run(&tree, &["--dialect", "sqlite", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(
        support::replay_chains(&output),
        [
            ("sqlite/fresh".to_string(), true),
            ("sqlite/full".to_string(), true),
            ("sqlite/upgrade-from-v0.1.2".to_string(), true),
        ]
    );
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(document["skipped_tags"], serde_json::json!([]));
}

#[test]
fn the_fix_of_a_misnamed_released_file_is_a_note() {
    // v0.2.1 shipped SQLite's 0.1.2 migration as `01_memo_visibility.sql` (one underscore), which
    // the service cannot read; the fix renamed it. The release stamped 0.2.1, so its
    // installations skip 0.1.2 now too.
    let tree = Tree::new("minimal");
    let right = "migration/sqlite/0.1/01__memo_visibility.sql";
    let wrong = "migration/sqlite/0.1/01_memo_visibility.sql";
    let bytes = read(&tree, right);
    tree.delete(right);
    tree.write(wrong, &bytes);
    git(tree.dir.path(), &["init", "-q"]);
    commit(&tree, "0.2.1");
    git(tree.dir.path(), &["tag", "v0.2.1"]);
    tree.delete(wrong);
    tree.write(right, &bytes);

    let text = expect(&run(&tree, &["--static-only"]), 0);
    for expected in [
        "note[released-name-fixed]: `0.1/01_memo_visibility.sql` was released in v0.2.1 under a name the service cannot read, so it never applied it; it is now `0.1/01__memo_visibility.sql` (version 0.1.2)",
        "--> store/migration/sqlite/0.1/01__memo_visibility.sql",
        "installations of v0.2.1 stored a schema version at or above 0.1.2 and skip `0.1/01__memo_visibility.sql` on upgrade, so they never get it: apply it to them by hand, or add a new migration that does what it does and tolerates having run (`IF NOT EXISTS`); keep the new name",
    ] {
        assert!(text.contains(expected), "lacks {expected:?}:\n{text}");
    }
    assert!(!text.contains("rename it back"), "{text}");
    assert!(!text.contains("migration-in-the-past"), "{text}");

    // A fix that also changed the text says so.
    tree.write(
        right,
        b"ALTER TABLE memo ADD COLUMN visibility TEXT NOT NULL DEFAULT 'PUBLIC';\n",
    );
    let text = expect(&run(&tree, &["--static-only"]), 0);
    assert!(
        text.contains("(version 0.1.2), with a changed text"),
        "{text}"
    );

    // Its text moved to a new version in another folder: that is the fix too.
    tree.delete(right);
    let moved = "migration/sqlite/0.3/00__memo_visibility.sql";
    tree.write(moved, &bytes);
    let text = stdout(&run(&tree, &["--static-only", "--dialect", "sqlite"]));
    assert!(
        text.contains("note[released-name-fixed]: `0.1/01_memo_visibility.sql` was released in v0.2.1 under a name the service cannot read, so it never applied it; it is now `0.3/00__memo_visibility.sql` (version 0.3.1)"),
        "{text}"
    );
    assert!(!text.contains("rename it back"), "{text}");

    // Deleted, it changes nothing for installations, which never ran it.
    tree.delete("migration/sqlite/0.3");
    let text = expect(&run(&tree, &["--static-only", "--dialect", "sqlite"]), 0);
    assert!(
        text.contains("warning[released-migration-deleted]: `0.1/01_memo_visibility.sql` was released in v0.2.1 under a name the service cannot read, so no installation applied it, and it is gone"),
        "{text}"
    );
}

#[test]
fn pre_releases_and_tags_of_other_branches_are_skipped_and_listed() {
    let tree = support::released_before_0_2("0.1.2", without_index, |_| {});
    commit(&tree, "0.2.1");
    git(tree.dir.path(), &["tag", "v0.2.1-rc.1"]);
    // A release of another branch, with a migration this history never had.
    git(tree.dir.path(), &["checkout", "-q", "-b", "other"]);
    for dialect in DIALECTS {
        tree.write(
            &format!("migration/{dialect}/0.3/00__memo_pinned.sql"),
            b"ALTER TABLE memo ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;\n",
        );
    }
    commit(&tree, "0.3.0 on another branch");
    git(tree.dir.path(), &["tag", "v0.3.0"]);
    git(tree.dir.path(), &["checkout", "-q", "-"]);

    let output = run(&tree, &["--dialect", "sqlite", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(
        support::replay_chains(&output),
        [
            ("sqlite/fresh".to_string(), true),
            ("sqlite/full".to_string(), true),
            ("sqlite/upgrade-from-v0.1.2".to_string(), true),
        ]
    );
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(
        document["skipped_tags"],
        serde_json::json!([
            { "tag": "v0.2.1-rc.1", "reason": "pre-release" },
            { "tag": "v0.3.0", "reason": "not-merged" },
        ])
    );
    let text = expect(&run(&tree, &["--static-only"]), 0);
    for expected in [
        "tags skipped: v0.2.1-rc.1: pre-release (set history.pre-releases = true to count them)",
        "tags skipped: v0.3.0: not merged into HEAD",
    ] {
        assert!(text.contains(expected), "lacks {expected:?}:\n{text}");
    }

    // Counted on purpose, the pre-release is the latest release and starts a chain.
    tree.write(
        "validate-migrations.toml",
        b"[history]\npre-releases = true\n",
    );
    let output = run(&tree, &["--dialect", "sqlite", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let chains: Vec<String> = support::replay_chains(&output)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert!(
        chains.contains(&"sqlite/upgrade-from-v0.2.1-rc.1".to_string()),
        "{chains:?}"
    );

    // A release below the minimum upgrade version starts no chain, and says so.
    tree.write(
        "validate-migrations.toml",
        b"[history]\npre-releases = true\n\n[version]\nminimum-upgrade = \"0.2.0\"\n",
    );
    let output = run(&tree, &["--dialect", "sqlite", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(
        document["skipped_tags"],
        serde_json::json!([
            { "tag": "v0.3.0", "reason": "not-merged" },
            { "tag": "v0.1.2", "dialect": "sqlite", "reason": "below-minimum", "minimum": "0.2.0" },
        ])
    );
}

#[test]
fn a_custom_tag_pattern_names_the_releases() {
    let tree = support::released_before_0_2("0.1.2", without_index, |_| {});
    git(tree.dir.path(), &["tag", "release-0.1.2", "v0.1.2"]);
    git(tree.dir.path(), &["tag", "-d", "v0.1.2"]);
    git(
        tree.dir.path(),
        &["tag", "release-candidate", "release-0.1.2"],
    );
    // A released migration edited: caught only when its tag counts as a release.
    tree.write(
        "migration/sqlite/0.1/01__memo_visibility.sql",
        b"ALTER TABLE memo ADD COLUMN visibility TEXT NOT NULL DEFAULT 'PUBLIC';\n",
    );
    let text = expect(&run(&tree, &["--static-only", "--dialect", "sqlite"]), 0);
    assert!(
        text.contains("note[history-unchecked]: released history was not checked: the repository has no release tags `vX.Y.Z` yet"),
        "{text}"
    );
    tree.write(
        "validate-migrations.toml",
        b"[history]\ntag-pattern = \"api-*\"\n",
    );
    let text = expect(&run(&tree, &["--static-only", "--dialect", "sqlite"]), 0);
    assert!(
        text.contains("the repository has no release tags `api-X.Y.Z` yet"),
        "{text}"
    );

    tree.write(
        "validate-migrations.toml",
        b"[history]\ntag-pattern = \"release-*\"\n",
    );
    let text = expect(&run(&tree, &["--static-only", "--dialect", "sqlite"]), 1);
    assert!(
        text.contains("error[released-migration-changed]: `0.1/01__memo_visibility.sql` was released in release-0.1.2 and has changed since"),
        "{text}"
    );
    assert!(
        text.contains(
            "tags skipped: release-candidate: no X.Y.Z version where the pattern has `*`"
        ),
        "{text}"
    );
}

#[test]
fn dirs_at_tags_keeps_unreleased_folders_of_a_tag_out_of_history() {
    // v0.2.1 also held an unreleased migration in `dev/`, moved with the rest and edited since.
    let tree = Tree::new("minimal");
    let pinned = "ALTER TABLE memo ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;\nALTER TABLE memo ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;\nCREATE INDEX idx_memo_pinned ON memo (pinned);\n";
    git(tree.dir.path(), &["init", "-q"]);
    for dialect in DIALECTS {
        for file in FILES {
            let now = format!("migration/{dialect}/{file}");
            let bytes = read(&tree, &now);
            tree.delete(&now);
            tree.write(&format!("migration/{dialect}/prod/{file}"), &bytes);
        }
        tree.write(
            &format!("migration/{dialect}/dev/0.3/00__memo_pinned.sql"),
            pinned.as_bytes(),
        );
    }
    commit(&tree, "0.2.1");
    git(tree.dir.path(), &["tag", "v0.2.1"]);
    for dialect in DIALECTS {
        for file in FILES {
            let from = format!("store/migration/{dialect}/prod/{file}");
            let to = format!("store/migration/{dialect}/{file}");
            git(tree.dir.path(), &["mv", &from, &to]);
        }
        git(
            tree.dir.path(),
            &[
                "mv",
                &format!("store/migration/{dialect}/dev/0.3"),
                &format!("store/migration/{dialect}/0.3"),
            ],
        );
        tree.delete(&format!("migration/{dialect}/prod"));
        tree.delete(&format!("migration/{dialect}/dev"));
        tree.write(
            &format!("migration/{dialect}/0.3/00__memo_pinned.sql"),
            pinned.replace("idx_memo_pinned", "idx_memo_pin").as_bytes(),
        );
    }
    commit(&tree, "move the layout up a level");
    // Git pairs the `dev/` file with its new place as well as the released ones.
    let text = stdout(&run(&tree, &["--static-only"]));
    assert!(
        text.contains("error[released-migration-changed]: `0.3/00__memo_pinned.sql`"),
        "{text}"
    );
    tree.write("validate-migrations.toml", PROD_BEFORE_0_3.as_bytes());
    commit(&tree, "describe the old layout");
    let text = stdout(&run(&tree, &["--static-only"]));
    assert!(!text.contains("released-migration"), "{text}");
    assert!(!text.contains("migration-in-the-past"), "{text}");
}
