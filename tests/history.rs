//! Released history is immutable: migrations that release tags shipped stay as they were, new
//! migrations come after the latest release, and `migrations.sum` stands in for the tags where
//! there are none. Each test builds a real git repository (or a plain folder) around the
//! minimal fixture and runs the binary with `--static-only`, where the check runs.

mod support;

use std::process::Output;

use support::{commit, expect, git, stdout, xtask, Tree};

/// The minimal tree (schema 0.2.1) committed and tagged `tag` in a new repository.
fn released(tag: &str) -> Tree {
    let tree = Tree::new("minimal");
    git(tree.dir.path(), &["init", "-q"]);
    commit(&tree, "release");
    git(tree.dir.path(), &["tag", tag]);
    tree
}

/// The minimal tree released as v0.1.2 before its 0.2 migration, with `before_tag` run on it
/// before the tag; the 0.2 migration is back in the working tree, unreleased.
fn released_before_0_2(before_tag: impl Fn(&Tree)) -> Tree {
    support::released_before_0_2("0.1.2", str::to_string, before_tag)
}

fn check(tree: &Tree) -> Output {
    let store = tree.store();
    let store = store.to_str().expect("UTF-8 temporary path");
    xtask(&["validate-migrations", "--root", store, "--static-only"])
}

fn update_sum(tree: &Tree) -> Output {
    let store = tree.store();
    let store = store.to_str().expect("UTF-8 temporary path");
    let output = xtask(&["validate-migrations", "--root", store, "--update-sum"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    output
}

const VISIBILITY: &str = "migration/postgres/0.1/01__memo_visibility.sql";

#[test]
fn an_unchanged_history_passes_and_an_edit_does_not() {
    let tree = released("v0.2.1");
    let text = expect(&check(&tree), 0);
    assert!(!text.contains("history-unchecked"), "{text}");
    assert!(text.contains("no problems found"), "{text}");

    tree.write(
        VISIBILITY,
        b"ALTER TABLE memo ADD COLUMN visibility TEXT;\n",
    );
    expect(&check(&tree), 1);
}

#[test]
fn an_edited_released_migration_names_the_tag_and_shows_the_change() {
    let tree = released("v0.2.1");
    tree.write(
        VISIBILITY,
        b"ALTER TABLE memo ADD COLUMN visibility TEXT NOT NULL DEFAULT 'PUBLIC';\n",
    );
    let text = expect(&check(&tree), 1);
    for expected in [
        "error[released-migration-changed]: `0.1/01__memo_visibility.sql` was released in v0.2.1 and has changed since:",
        "--- v0.2.1:store/migration/postgres/0.1/01__memo_visibility.sql",
        "+++ store/migration/postgres/0.1/01__memo_visibility.sql",
        "-ALTER TABLE memo ADD COLUMN visibility TEXT NOT NULL DEFAULT 'PRIVATE';",
        "+ALTER TABLE memo ADD COLUMN visibility TEXT NOT NULL DEFAULT 'PUBLIC';",
        "--> store/migration/postgres/0.1/01__memo_visibility.sql:1:1",
        "git checkout v0.2.1 -- store/migration/postgres/0.1/01__memo_visibility.sql",
    ] {
        assert!(text.contains(expected), "lacks {expected:?}:\n{text}");
    }
    assert!(!text.contains("migration/sqlite"), "{text}");
}

#[test]
fn crlf_line_endings_are_no_change_but_an_edit_among_them_is() {
    let tree = released("v0.2.1");
    let init = "migration/sqlite/0.1/00__init.sql";
    let lf =
        String::from_utf8(std::fs::read(tree.store().join(init)).expect("fixture")).expect("UTF-8");
    let crlf = lf.replace('\n', "\r\n");
    tree.write(init, crlf.as_bytes());
    let text = expect(&check(&tree), 0);
    assert!(!text.contains("released-migration"), "{text}");

    tree.write(init, crlf.replace("content TEXT", "body TEXT").as_bytes());
    let text = expect(&check(&tree), 1);
    assert!(
        text.contains("-  content TEXT NOT NULL DEFAULT ''\n    +  body TEXT NOT NULL DEFAULT ''"),
        "{text}"
    );
    assert!(
        text.contains("--> store/migration/sqlite/0.1/00__init.sql:11:1"),
        "{text}"
    );
    assert!(
        !text.contains("-CREATE TABLE memo"),
        "only the edited line differs: {text}"
    );
}

#[test]
fn a_deleted_released_migration_fails() {
    let tree = released("v0.2.1");
    tree.delete("migration/sqlite/0.1/01__memo_visibility.sql");
    let text = expect(&check(&tree), 1);
    assert!(
        text.contains("error[released-migration-deleted]: `0.1/01__memo_visibility.sql` was released in v0.2.1 and is gone"),
        "{text}"
    );
    assert!(
        text.contains("--> store/migration/sqlite/0.1/01__memo_visibility.sql"),
        "{text}"
    );
}

#[test]
fn a_renamed_released_migration_fails_as_a_rename() {
    let tree = released("v0.2.1");
    let old = "migration/sqlite/0.1/01__memo_visibility.sql";
    let bytes = std::fs::read(tree.store().join(old)).expect("fixture");
    tree.delete(old);
    tree.write("migration/sqlite/0.1/01__visibility.sql", &bytes);
    let text = expect(&check(&tree), 1);
    assert!(
        text.contains("error[released-migration-renamed]: `0.1/01__memo_visibility.sql` was released in v0.2.1 and has been renamed to `0.1/01__visibility.sql`"),
        "{text}"
    );
    assert!(
        text.contains("--> store/migration/sqlite/0.1/01__visibility.sql"),
        "{text}"
    );
    assert!(
        text.contains(
            "= note: store/migration/sqlite/0.1/01__memo_visibility.sql: the name released in v0.2.1"
        ),
        "{text}"
    );
    assert!(!text.contains("released-migration-deleted"), "{text}");
    assert!(!text.contains("migration-in-the-past"), "{text}");
}

#[test]
fn a_new_migration_inserted_into_the_past_fails() {
    let tree = released("v0.2.1");
    for dialect in ["postgres", "sqlite"] {
        tree.write(
            &format!("migration/{dialect}/0.1/02__memo_pinned.sql"),
            b"ALTER TABLE memo ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;\n",
        );
    }
    let text = expect(&check(&tree), 1);
    assert!(
        text.contains("error[migration-in-the-past]: `0.1/02__memo_pinned.sql` (version 0.1.3) is new since v0.2.1, whose schema version is 0.2.1 (its highest migration): the service skips it on every installation already at v0.2.1"),
        "{text}"
    );
    assert!(
        text.contains("--> store/migration/postgres/0.1/02__memo_pinned.sql"),
        "{text}"
    );
    assert!(text.contains("e.g. `0.2/01__memo_pinned.sql`"), "{text}");
}

#[test]
fn the_latest_release_is_judged_by_its_stamp_not_its_tag() {
    // The tag names 0.1.0, but the release stamps schema version 0.2.1: a new 0.1.3 is above the
    // tag and still skipped by the release's installations.
    let tree = released("v0.1.0");
    tree.write(
        "migration/sqlite/0.1/02__memo_pinned.sql",
        b"ALTER TABLE memo ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;\n",
    );
    let text = expect(&check(&tree), 1);
    assert!(text.contains("error[migration-in-the-past]"), "{text}");
    assert!(text.contains("whose schema version is 0.2.1"), "{text}");
}

#[test]
fn a_new_migration_after_the_latest_release_passes() {
    let tree = released_before_0_2(|_| {});
    let text = expect(&check(&tree), 0);
    assert!(!text.contains("migration-in-the-past"), "{text}");

    // The same migration, had it been released, may not go.
    tree.delete("migration/sqlite/0.1/01__memo_visibility.sql");
    expect(&check(&tree), 1);
}

#[test]
fn without_tags_the_sum_file_catches_an_edit_of_an_early_migration() {
    // A plain folder: no git repository, so no tags.
    let tree = Tree::new("minimal");
    let written = stdout(&update_sum(&tree));
    assert!(
        written.contains("migrations.sum (3 migrations)"),
        "{written}"
    );
    for dialect in ["postgres", "sqlite"] {
        let sum = std::fs::read_to_string(
            tree.store()
                .join(format!("migration/{dialect}/migrations.sum")),
        )
        .expect("a sum file per dialect");
        let paths: Vec<&str> = sum
            .lines()
            .filter_map(|l| l.rsplit_once(' ').map(|(p, _)| p))
            .collect();
        assert_eq!(
            paths,
            [
                "sha256",
                "0.1/00__init.sql",
                "0.1/01__memo_visibility.sql",
                "0.2/00__memo_index.sql"
            ],
            "{sum}"
        );
    }
    let text = expect(&check(&tree), 0);
    assert!(
        text.contains("no problems found"),
        "the sum file has its place: {text}"
    );

    tree.write(
        "migration/postgres/0.1/00__init.sql",
        b"CREATE TABLE instance_setting (name TEXT PRIMARY KEY, value TEXT NOT NULL, description TEXT NOT NULL DEFAULT '');\nCREATE TABLE memo (id SERIAL PRIMARY KEY, creator_id INTEGER NOT NULL, content TEXT NOT NULL DEFAULT '');\n",
    );
    let text = expect(&check(&tree), 1);
    assert!(
        text.contains("error[sum-mismatch]: `store/migration/postgres/0.1/00__init.sql` has changed since it was recorded"),
        "{text}"
    );
    assert!(
        text.contains("--> store/migration/postgres/migrations.sum:2:1"),
        "{text}"
    );
    assert!(text.contains("--update-sum"), "{text}");
    assert!(!text.contains("sqlite/migrations.sum"), "{text}");

    // The hashes are chained: recording the edit changes the first migration's line and every
    // later one, not just its own.
    let sum = || {
        std::fs::read_to_string(tree.store().join("migration/postgres/migrations.sum"))
            .expect("sum file")
    };
    let before = sum();
    update_sum(&tree);
    let after = sum();
    let changed: Vec<bool> = before
        .lines()
        .zip(after.lines())
        .map(|(a, b)| a != b)
        .collect();
    assert_eq!(changed, [true, true, true, true], "{before}\n{after}");
    expect(&check(&tree), 0);
}

#[test]
fn with_tags_an_out_of_date_sum_is_a_warning_and_without_them_an_error() {
    // v0.1.2 is released; the unreleased 0.2 migration is recorded in the sum, then edited,
    // which the tags allow.
    let tree = released_before_0_2(|_| {});
    update_sum(&tree);
    let index = "migration/sqlite/0.2/00__memo_index.sql";
    tree.write(
        index,
        b"CREATE INDEX idx_memo_creator_id ON memo (creator_id, id);\n",
    );
    let text = expect(&check(&tree), 0);
    assert!(
        text.contains("warning[sum-outdated]: migrations.sum is out of date: `store/migration/sqlite/0.2/00__memo_index.sql` has changed since it was recorded"),
        "{text}"
    );
    assert!(
        text.contains("--> store/migration/sqlite/migrations.sum:4:1"),
        "{text}"
    );
    assert!(!text.contains("released-migration"), "{text}");

    // Without the history the sum is the record, and the same edit is an error.
    std::fs::remove_dir_all(tree.dir.path().join(".git")).expect("remove .git");
    let text = expect(&check(&tree), 1);
    assert!(text.contains("error[sum-mismatch]"), "{text}");
}

#[test]
fn a_sum_written_before_the_release_is_outdated_by_a_newer_migration() {
    let tree = released_before_0_2(|tree| {
        update_sum(tree);
    });
    let text = expect(&check(&tree), 0);
    assert!(
        text.contains("warning[sum-outdated]: migrations.sum is out of date: it does not record the 1 newest migration (from `store/migration/postgres/0.2/00__memo_index.sql`)"),
        "{text}"
    );
}

#[test]
fn a_repository_without_tags_or_sum_says_history_was_not_checked() {
    let tree = Tree::new("minimal");
    let text = expect(&check(&tree), 0);
    assert!(
        !text.contains("history-unchecked"),
        "a plain folder claims no releases: {text}"
    );

    git(tree.dir.path(), &["init", "-q"]);
    commit(&tree, "unreleased");
    let text = expect(&check(&tree), 0);
    assert!(
        text.contains("note[history-unchecked]: released history was not checked: the repository has no release tags `vX.Y.Z` yet, and migration/postgres/ and migration/sqlite/ have no migrations.sum"),
        "{text}"
    );
}
