//! `cargo xtask release-check X.Y.Z` on real git repositories and real engines: each gate on its
//! own (the shipped version, a newer version, a new tag, nothing uncommitted, the validation),
//! the release notes against the previous release's schema, and the cases that cannot run.

mod support;

use std::process::Output;

use support::{commit, expect, git, stdout, Tree};

/// The minimal tree released as v0.1.2 before its 0.2 migration; since then, in both dialects,
/// an index (the 0.2 migration), a column and a table, released as 0.2.3 and committed.
fn ready_release() -> Tree {
    let tree = support::released_before_0_2("0.1.2", without_the_0_2_index, |_| {});
    let pinned = [
        ("postgres", "pinned BOOLEAN NOT NULL DEFAULT FALSE"),
        (
            "sqlite",
            "pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1))",
        ),
    ];
    for (dialect, column) in pinned {
        let id = if dialect == "postgres" {
            "id SERIAL PRIMARY KEY"
        } else {
            "id INTEGER PRIMARY KEY AUTOINCREMENT"
        };
        let tag = format!("CREATE TABLE tag (\n  {id},\n  name TEXT NOT NULL UNIQUE\n);\n");
        tree.write(
            &format!("migration/{dialect}/0.2/01__memo_pinned.sql"),
            format!("ALTER TABLE memo ADD COLUMN {column};\n").as_bytes(),
        );
        tree.write(
            &format!("migration/{dialect}/0.2/02__tag.sql"),
            tag.as_bytes(),
        );
        let latest = format!("migration/{dialect}/LATEST.sql");
        let text = std::fs::read_to_string(tree.store().join(&latest)).expect("LATEST.sql");
        let text = text
            .replace(
                "visibility TEXT NOT NULL DEFAULT 'PRIVATE'\n",
                &format!("visibility TEXT NOT NULL DEFAULT 'PRIVATE',\n  {column}\n"),
            )
            .replace("CREATE INDEX", &format!("{tag}\nCREATE INDEX"))
            .replace("0.2.1", "0.2.3");
        tree.write(&latest, text.as_bytes());
    }
    tree.write("migration/VERSION", b"0.2.3\n");
    commit(&tree, "0.2.3");
    tree
}

/// A `LATEST.sql` of the minimal tree as it was before the 0.2 migration created its index.
fn without_the_0_2_index(latest: &str) -> String {
    latest.replace(
        "\nCREATE INDEX idx_memo_creator_id ON memo (creator_id);\n",
        "",
    )
}

/// The minimal tree (schema 0.2.1) committed in a new repository, with these tags.
fn committed(tags: &[&str]) -> Tree {
    let tree = Tree::new("minimal");
    git(tree.dir.path(), &["init", "-q"]);
    commit(&tree, "0.2.1");
    for tag in tags {
        git(tree.dir.path(), &["tag", tag]);
    }
    tree
}

fn release_check(tree: &Tree, version: &str, extra: &[&str]) -> Output {
    let store = tree.store();
    let store = store.to_str().expect("UTF-8 temporary path");
    support::xtask(&[&["release-check", version, "--root", store], extra].concat())
}

/// The release notes: everything after the verdict line and the blank line below it.
fn notes(text: &str) -> &str {
    let verdict = text.find("\nrelease v").expect("a verdict line") + 1;
    let end_of_verdict = verdict + text[verdict..].find('\n').expect("a whole line");
    text[end_of_verdict + 1..]
        .strip_prefix('\n')
        .expect("a blank line")
}

#[test]
fn a_ready_release_prints_the_schema_changes_since_the_previous_one() {
    let tree = ready_release();
    let notes_file = tree.dir.path().join("notes.md");
    let output = release_check(
        &tree,
        "v0.2.3",
        &["--notes", notes_file.to_str().expect("UTF-8")],
    );
    let text = expect(&output, 0);
    assert!(
        text.contains("note: `v0.2.3` is read as version 0.2.3; the release's tag will be v0.2.3\nrelease v0.2.3: ready\n"),
        "{text}"
    );
    let written = std::fs::read_to_string(&notes_file).expect("the notes file");
    assert_eq!(notes(&text), written);
    insta::assert_snapshot!(support::stable(&written));
}

#[test]
fn an_existing_tag_is_not_ready() {
    let tree = committed(&["v0.2.1"]);
    let text = expect(&release_check(&tree, "0.2.1", &[]), 1);
    assert!(
        text.contains("error[release-tag-exists]: tag v0.2.1 already exists"),
        "{text}"
    );
    assert!(
        text.contains("release v0.2.1: not ready: 1 problem\n"),
        "{text}"
    );
}

#[test]
fn a_release_below_the_latest_tag_is_not_ready() {
    let tree = committed(&["v0.5.0"]);
    let text = expect(&release_check(&tree, "0.2.1", &[]), 1);
    assert!(
        text.contains(
            "error[release-not-newer]: v0.5.0 is already released, and 0.2.1 is not newer than it"
        ),
        "{text}"
    );
    assert!(
        text.contains("release v0.2.1: not ready: 1 problem\n"),
        "{text}"
    );
    assert!(
        notes(&text).starts_with("## Schema at v0.2.1 (no release before it)\n"),
        "{text}"
    );
}

#[test]
fn a_version_the_store_does_not_ship_is_not_ready_and_writes_no_notes() {
    let tree = ready_release();
    let notes_file = tree.dir.path().join("notes.md");
    let output = release_check(
        &tree,
        "0.3.0",
        &["--notes", notes_file.to_str().expect("UTF-8")],
    );
    let text = expect(&output, 1);
    assert!(
        text.contains(
            "error[release-version-mismatch]: the store ships schema version 0.2.3, but the release is 0.3.0\n \
             --> store/migration/VERSION:1:1\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "set store/migration/VERSION and the stamp in each fresh-install script to 0.3.0"
        ),
        "{text}"
    );
    assert!(
        text.contains("release v0.3.0: not ready: 1 problem\n"),
        "{text}"
    );
    assert!(!notes_file.exists());
}

#[test]
fn uncommitted_and_untracked_files_under_the_store_are_not_ready() {
    let tree = ready_release();
    let latest = tree.store().join("migration/postgres/LATEST.sql");
    let mut text = std::fs::read_to_string(&latest).expect("LATEST.sql");
    text.push_str("-- reviewed for 0.2.3\n");
    tree.write("migration/postgres/LATEST.sql", text.as_bytes());
    tree.write(
        "seed/sqlite/02__more.sql",
        b"INSERT INTO memo (creator_id, content) VALUES (2, 'More');\n",
    );
    // Outside the store: not part of the release check.
    std::fs::write(tree.dir.path().join("NOTES.txt"), "draft\n").expect("write a file");
    let text = expect(&release_check(&tree, "0.2.3", &[]), 1);
    assert!(
        text.contains(
            "error[release-uncommitted-changes]: 2 files under store/ are uncommitted: \
             store/migration/postgres/LATEST.sql (modified), store/seed/sqlite/02__more.sql (untracked)\n"
        ),
        "{text}"
    );
    assert!(text.contains("git status -- store/"), "{text}");
    assert!(!text.contains("NOTES.txt"), "{text}");
    assert!(
        text.contains("release v0.2.3: not ready: 1 problem\n"),
        "{text}"
    );
}

#[test]
fn a_validation_error_is_not_ready() {
    // The SQLite fresh install lost the 0.2 index that its migration creates: every upgraded
    // installation has an index a new one lacks.
    let tree = ready_release();
    let latest = tree.store().join("migration/sqlite/LATEST.sql");
    let text = std::fs::read_to_string(&latest).expect("LATEST.sql");
    tree.write(
        "migration/sqlite/LATEST.sql",
        text.replace(
            "CREATE INDEX idx_memo_creator_id ON memo (creator_id);\n",
            "",
        )
        .as_bytes(),
    );
    commit(&tree, "0.2.3 without the index");
    let text = expect(&release_check(&tree, "0.2.3", &[]), 1);
    assert!(text.contains("error[schema-drift]"), "{text}");
    assert!(!text.contains("error[release-"), "{text}");
    assert!(text.contains("release v0.2.3: not ready:"), "{text}");
}

#[test]
fn a_first_release_lists_the_whole_schema() {
    let tree = committed(&[]);
    let output = release_check(&tree, "0.2.1", &["--format", "json"]);
    let text = expect(&output, 0);
    let document: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(document["format"], "release-check/1");
    assert_eq!(document["tag"], "v0.2.1");
    assert_eq!(document["ready"], true);
    assert_eq!(document["previous"], serde_json::Value::Null);
    assert_eq!(document["validation"]["format"], "validate-migrations/1");
    insta::assert_snapshot!(document["notes"].as_str().expect("notes"));
}

#[test]
fn a_previous_release_below_the_minimum_upgrade_version_is_named_in_the_notes() {
    let tree = support::released_before_0_2("0.0.9", without_the_0_2_index, |_| {});
    commit(&tree, "0.2.1");
    let text = expect(&release_check(&tree, "0.2.1", &[]), 0);
    assert_eq!(
        notes(&text),
        "## Schema changes since v0.0.9\n\n\
         PostgreSQL: v0.0.9 is below the minimum upgrade version 0.1.0, so no upgrade chain \
         replays it and its schema was not read; the changes are not listed.\n\n\
         SQLite: v0.0.9 is below the minimum upgrade version 0.1.0, so no upgrade chain \
         replays it and its schema was not read; the changes are not listed.\n"
    );
}

#[test]
fn a_store_outside_git_cannot_be_checked() {
    let tree = Tree::new("minimal");
    let output = release_check(&tree, "0.2.1", &[]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the store is not in a git repository"),
        "{stderr}"
    );
}

#[test]
fn a_shallow_clone_cannot_be_checked() {
    // Its tags may be missing, so neither "the tag does not exist yet" nor "the previous
    // release" could be trusted.
    let origin = committed(&[]);
    let clone = tempfile::tempdir().expect("temporary folder");
    let url = format!("file://{}", origin.dir.path().display());
    git(clone.path(), &["clone", "-q", "--depth", "1", &url, "repo"]);
    let store = clone.path().join("repo/store");
    let output = support::xtask(&[
        "release-check",
        "0.2.3",
        "--root",
        store.to_str().expect("UTF-8 temporary path"),
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("shallow clone") && stderr.contains("git fetch --tags --unshallow"),
        "{stderr}"
    );
}

#[test]
fn a_version_that_is_not_x_y_z_cannot_be_checked() {
    let tree = committed(&[]);
    for wrong in ["0.3", "latest", "0.3.0-rc.1"] {
        let output = release_check(&tree, wrong, &[]);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{wrong}: {}",
            stdout(&output)
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(&format!("`{wrong}`")), "{stderr}");
    }
}

#[test]
fn the_tag_pattern_names_the_release_and_finds_its_tag() {
    let tree = Tree::new("minimal");
    tree.write(
        "validate-migrations.toml",
        b"[history]\ntag-pattern = \"release-*\"\n",
    );
    git(tree.dir.path(), &["init", "-q"]);
    commit(&tree, "0.2.1");
    git(tree.dir.path(), &["tag", "release-0.2.1"]);
    let text = expect(&release_check(&tree, "0.2.1", &[]), 1);
    assert!(
        text.contains("error[release-tag-exists]: tag release-0.2.1 already exists"),
        "{text}"
    );
    assert!(
        text.contains("release release-0.2.1: not ready: 1 problem\n"),
        "{text}"
    );
}

/// Under GitHub Actions the release check annotates, and its job summary has the verdict and
/// the release notes; a release that is not ready gets the verdict as an error annotation.
#[test]
fn release_check_in_github_actions_annotates_and_summarizes() {
    let tree = ready_release();
    let summary = tree.dir.path().join("summary.md");
    let run = |tree: &Tree, version: &str| {
        std::fs::write(&summary, "").expect("empty summary");
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(["release-check", version, "--root"])
            .arg(tree.store())
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("NO_COLOR", "1")
            .output()
            .expect("run xtask");
        (output, std::fs::read_to_string(&summary).expect("summary"))
    };
    let (output, markdown) = run(&tree, "0.2.3");
    let text = expect(&output, 0);
    assert!(text.contains("release v0.2.3: ready\n"), "{text}");
    assert!(
        markdown.starts_with("## release v0.2.3: ready\n\n### Release notes\n\n"),
        "{markdown}"
    );
    assert!(markdown.contains(notes(&text)), "{markdown}");
    assert!(
        markdown.contains("## validate-migrations: store passed"),
        "{markdown}"
    );

    let (output, markdown) = run(&tree, "0.3.0");
    let text = expect(&output, 1);
    assert!(
        text.contains("::error title=release-check::release v0.3.0: not ready"),
        "{text}"
    );
    assert!(
        markdown.starts_with("## release v0.3.0: not ready"),
        "{markdown}"
    );
    assert!(!markdown.contains("### Release notes"), "{markdown}");
}
