//! A tree with years of history (tests/fixtures/long-history/build.sh): PostgreSQL from 0.20,
//! SQLite added at 0.22, a released sequence gap, a layout that moved between two tags, a
//! misnamed released file renamed to its right name, a hotfix tag never merged and a
//! pre-release tag, SQL sqlparser cannot read in both dialects, SQLite `INTEGER[]` columns, and
//! a service that writes its own stamp into a settings table with a required description. With
//! its one configuration file it reaches exit 0; a planted bug of each kind is still caught.

mod support;

use std::path::PathBuf;
use std::process::{Command, Output};

use support::{expect, stable, stdout};

/// The fixture's repository, built by its script, with the configuration committed last.
struct History {
    dir: tempfile::TempDir,
}

impl History {
    fn build() -> History {
        let dir = tempfile::tempdir().expect("temporary folder");
        let fixture = support::project_root().join("tests/fixtures/long-history");
        let repository = dir.path().join("repo");
        let output = Command::new("bash")
            .arg(fixture.join("build.sh"))
            .arg(&repository)
            .output()
            .expect("run build.sh");
        assert!(
            output.status.success(),
            "build.sh: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let history = History { dir };
        std::fs::copy(
            fixture.join("validate-migrations.toml"),
            history.store().join("validate-migrations.toml"),
        )
        .expect("copy the configuration");
        support::git(&repository, &["add", "."]);
        support::git(&repository, &["commit", "-q", "-m", "validate-migrations"]);
        history
    }

    fn repository(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    fn store(&self) -> PathBuf {
        self.repository().join("store")
    }

    fn write(&self, relative: &str, text: &str) {
        let path = self.store().join(relative);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("create folder");
        std::fs::write(path, text).expect("write");
    }

    fn append(&self, relative: &str, text: &str) {
        let path = self.store().join(relative);
        let mut content = std::fs::read_to_string(&path).expect("read");
        content.push_str(text);
        std::fs::write(path, content).expect("write");
    }

    fn validate(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_xtask"))
            .arg("validate-migrations")
            .arg("--root")
            .arg(self.store())
            .args(args)
            .current_dir(self.repository())
            .env("NO_COLOR", "1")
            .env_remove("GITHUB_ACTIONS")
            .output()
            .expect("run xtask")
    }
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).expect("a JSON document")
}

/// `code file` of every diagnostic of a severity.
fn findings(document: &serde_json::Value, severity: &str) -> Vec<String> {
    document["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["severity"] == severity)
        .map(|d| {
            format!(
                "{} {}",
                d["code"].as_str().unwrap_or_default(),
                d["file"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

fn has(list: &[String], code: &str, file: &str) -> bool {
    list.iter().any(|f| f == &format!("{code} {file}"))
}

/// With its configuration, the whole history passes: every chain applies on both engines, and
/// what the history holds that can never change is accepted with a reason or shown as a note.
#[test]
fn the_history_reaches_exit_zero_with_its_configuration() {
    let history = History::build();
    let output = history.validate(&["--format", "json"]);
    let text = expect(&output, 0);
    let document = json(&output);
    assert_eq!(findings(&document, "error"), Vec::<String>::new(), "{text}");
    assert_eq!(
        findings(&document, "warning"),
        Vec::<String>::new(),
        "{text}"
    );

    // Every chain replayed and applied; none from the hotfix tag that main never merged, the
    // pre-release, or the releases below the minimum upgrade version.
    let chains = support::replay_chains(&output);
    let expected: Vec<(String, bool)> = ["postgres", "sqlite"]
        .iter()
        .flat_map(|d| {
            [
                "fresh",
                "full",
                "upgrade-from-v0.22.0",
                "upgrade-from-v0.23.0",
                "upgrade-from-v0.24.0",
                "upgrade-from-v0.25.0",
            ]
            .iter()
            .map(move |c| (format!("{d}/{c}"), true))
        })
        .collect();
    let mut sorted = chains.clone();
    sorted.sort();
    assert_eq!(sorted, expected, "{text}");

    // What the engine executed is no parse error; the misnamed file's fix is a note; the
    // released gap is a note by the configuration's severity.
    let notes = findings(&document, "note");
    for (code, file) in [
        (
            "parser-gap",
            "store/migration/postgres/0.22/00__memo_tags.sql",
        ),
        ("parser-gap", "store/migration/sqlite/0.22/00__init.sql"),
        ("parser-gap", "store/migration/sqlite/LATEST.sql"),
        (
            "released-name-fixed",
            "store/migration/sqlite/0.24/00__memo_created_index.sql",
        ),
        ("sequence-gap", "store/migration/postgres/0.21"),
    ] {
        assert!(has(&notes, code, file), "{code} {file} in {notes:?}");
    }
    let skipped: Vec<String> = document["skipped_tags"]
        .as_array()
        .expect("skipped tags")
        .iter()
        .map(|t| {
            format!(
                "{} {}",
                t["tag"].as_str().unwrap_or_default(),
                t["reason"].as_str().unwrap_or_default()
            )
        })
        .collect();
    assert!(
        skipped.contains(&"v0.25.1 not-merged".to_string()),
        "{skipped:?}"
    );
    assert!(
        skipped.contains(&"v0.26.0-rc.1 pre-release".to_string()),
        "{skipped:?}"
    );

    let human = history.validate(&[]);
    insta::assert_snapshot!(stable(&stdout(&human)));

    // The job summary says what was not checked too, skipped tags included.
    let summary = history.dir.path().join("summary.md");
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["validate-migrations", "--root"])
        .arg(history.store())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .expect("run xtask");
    expect(&output, 0);
    let markdown = std::fs::read_to_string(&summary).expect("the job summary");
    for line in [
        "### Not checked",
        "- tags skipped: v0.25.1: not merged into HEAD",
        "- lint of 4 migrations: below the minimum upgrade version 0.22.0",
    ] {
        assert!(markdown.contains(line), "{line} in {markdown}");
    }
}

/// A planted bug, then the run: exit 1, with the finding of that bug among the errors.
fn caught(plant: impl Fn(&History), code: &str, file: &str) {
    let history = History::build();
    plant(&history);
    let output = history.validate(&["--format", "json"]);
    let text = expect(&output, 1);
    let errors = findings(&json(&output), "error");
    assert!(
        has(&errors, code, file),
        "{code} {file} in {errors:?}\n{text}"
    );
}

#[test]
fn a_fresh_install_script_drifting_on_the_upgrade_path_is_caught() {
    caught(
        |history| {
            let path = "migration/postgres/LATEST.sql";
            let text = std::fs::read_to_string(history.store().join(path)).expect("read");
            history.write(
                path,
                &text.replace("DEFAULT 'NORMAL'", "DEFAULT 'ARCHIVED'"),
            );
        },
        "schema-drift",
        "store/migration/postgres/LATEST.sql",
    );
}

#[test]
fn a_statement_only_a_newer_postgresql_runs_is_caught() {
    caught(
        |history| {
            history.write(
                "migration/postgres/0.26/02__memo_check_payload.sql",
                "SELECT pg_input_is_valid(payload, 'jsonb') FROM memo;\n",
            );
            history.write(
                "migration/sqlite/0.26/02__memo_check_payload.sql",
                "SELECT json_valid(payload) FROM memo;\n",
            );
        },
        "statement-failed",
        "store/migration/postgres/0.26/02__memo_check_payload.sql",
    );
}

#[test]
fn a_misnamed_new_file_is_caught() {
    caught(
        |history| {
            for dialect in ["postgres", "sqlite"] {
                history.write(
                    &format!("migration/{dialect}/0.26/02_memo_pinned_index.sql"),
                    "CREATE INDEX idx_memo_pinned ON memo (pinned);\n",
                );
                history.append(
                    &format!("migration/{dialect}/LATEST.sql"),
                    "CREATE INDEX idx_memo_pinned ON memo (pinned);\n",
                );
            }
        },
        "bad-file-name",
        "store/migration/sqlite/0.26/02_memo_pinned_index.sql",
    );
}

#[test]
fn a_column_dropped_while_indexed_is_caught() {
    caught(
        |history| {
            history.write(
                "migration/sqlite/0.26/02__memo_drop_row_status.sql",
                "ALTER TABLE memo DROP COLUMN row_status;\n",
            );
            history.write(
                "migration/postgres/0.26/02__memo_drop_row_status.sql",
                "ALTER TABLE memo DROP COLUMN row_status;\n",
            );
        },
        "drop-indexed-column",
        "store/migration/sqlite/0.26/02__memo_drop_row_status.sql",
    );
}

/// Adoption on this history without the configuration's acceptance of the released gap: the
/// baseline records the gap, the next run is green, and a new finding alone fails it.
#[test]
fn a_baseline_then_only_a_new_finding_fails() {
    let history = History::build();
    let config = history.store().join("validate-migrations.toml");
    let text = std::fs::read_to_string(&config).expect("read");
    let start = text.find("[[severity]]").expect("a severity setting");
    let end = start + text[start..].find("\n\n").expect("an entry");
    std::fs::write(&config, format!("{}{}", &text[..start], &text[end + 2..])).expect("write");
    let output = history.validate(&["--format", "json"]);
    expect(&output, 1);
    assert!(has(
        &findings(&json(&output), "error"),
        "sequence-gap",
        "store/migration/postgres/0.21"
    ));

    expect(&history.validate(&["--write-baseline"]), 0);
    expect(&history.validate(&[]), 0);

    history.write(
        "migration/sqlite/0.26/02_memo_pinned_index.sql",
        "CREATE INDEX idx_memo_pinned ON memo (pinned);\n",
    );
    let output = history.validate(&["--format", "json"]);
    expect(&output, 1);
    let document = json(&output);
    assert_eq!(
        findings(&document, "error"),
        vec!["bad-file-name store/migration/sqlite/0.26/02_memo_pinned_index.sql".to_string()]
    );
    assert!(has(
        &findings(&document, "note"),
        "sequence-gap",
        "store/migration/postgres/0.21"
    ));
}
