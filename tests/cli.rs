//! The command line's contract: exit codes, formats, colour and `--explain`.

mod support;

use std::path::Path;

use support::{stable, stdout, validate_static as validate, xtask, Tree};

/// A tree with one error (a misnamed file), one warning (an empty file) and nothing else.
fn tree_with_problems() -> Tree {
    let tree = Tree::new("minimal");
    tree.write(
        "migration/sqlite/0.2/01_memo_pinned.sql",
        b"ALTER TABLE memo ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;\n",
    );
    tree.write("seed/sqlite/02__nothing.sql", b"-- nothing yet\n");
    tree
}

#[test]
fn clean_tree_exits_zero() {
    let output = validate(&Tree::new("minimal"), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).contains("no problems found"));
}

#[test]
fn problems_exit_one_and_warnings_alone_exit_zero() {
    let tree = tree_with_problems();
    assert_eq!(validate(&tree, &[]).status.code(), Some(1));
    tree.delete("migration/sqlite/0.2/01_memo_pinned.sql");
    let output = validate(&tree, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).contains("1 warning"), "{}", stdout(&output));
}

#[test]
fn could_not_run_exits_two() {
    let missing = xtask(&["validate-migrations", "--root", "/nonexistent/store"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/store"));

    let empty = Tree::new("none");
    let no_migrations = validate(&empty, &[]);
    assert_eq!(no_migrations.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_migrations.stderr).contains("has no migration/ folder"));

    let bad_argument = xtask(&["validate-migrations", "--dialect", "oracle"]);
    assert_eq!(bad_argument.status.code(), Some(2));
    let bad_format = xtask(&["validate-migrations", "--format", "xml"]);
    assert_eq!(bad_format.status.code(), Some(2));
}

#[test]
fn json_is_one_stable_document() {
    let output = validate(&tree_with_problems(), &["--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(document["format"], "validate-migrations/1");
    insta::assert_snapshot!(stable(&stdout(&output)));
}

#[test]
fn github_format_annotates_and_summarizes() {
    let output = validate(&tree_with_problems(), &["--format", "github"]);
    let text = stable(&stdout(&output));
    assert!(text.contains(
        "::error file=store/migration/sqlite/0.2/01_memo_pinned.sql,title=bad-file-name::"
    ));
    insta::assert_snapshot!(text);
}

#[test]
fn github_format_is_the_default_in_github_actions() {
    let tree = tree_with_problems();
    let store = tree.store();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["validate-migrations", "--static-only", "--root"])
        .arg(&store)
        .env("GITHUB_ACTIONS", "true")
        .output()
        .expect("run xtask");
    assert!(
        stdout(&output).starts_with("::error "),
        "{}",
        stdout(&output)
    );
}

#[test]
fn colour_only_when_asked_and_never_with_no_color() {
    let tree = tree_with_problems();
    let store = tree.store();
    let run = |no_color: Option<&str>, color: &str| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"));
        command
            .args([
                "validate-migrations",
                "--static-only",
                "--color",
                color,
                "--root",
            ])
            .arg(&store)
            .env_remove("NO_COLOR")
            .env_remove("GITHUB_ACTIONS");
        if let Some(value) = no_color {
            command.env("NO_COLOR", value);
        }
        stdout(&command.output().expect("run xtask"))
    };
    assert!(run(None, "always").contains("\x1b[1;31merror[bad-file-name]"));
    assert!(!run(Some("1"), "always").contains('\x1b'));
    // Not a terminal: `auto` means no colour.
    assert!(!run(None, "auto").contains('\x1b'));
}

#[test]
fn explain_prints_the_text_of_a_code() {
    let output = xtask(&["validate-migrations", "--explain", "bad-file-name"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).starts_with("# bad-file-name\n"));

    let unknown = xtask(&["validate-migrations", "--explain", "no-such-code"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown code `no-such-code`"));
}

#[test]
fn help_documents_the_exit_codes() {
    let output = xtask(&["validate-migrations", "--help"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(
        text.contains("Exit codes:") && text.contains("could not run"),
        "{text}"
    );
}

#[test]
fn dialect_option_limits_the_checks() {
    let tree = tree_with_problems();
    let output = validate(&tree, &["--dialect", "postgres"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).contains("(postgres)"));
}

#[test]
fn an_allowlist_entry_without_a_reason_cannot_run() {
    let tree = Tree::new("minimal");
    tree.write(
        "validate-migrations.toml",
        b"[[allow]]\nobject = \"table memo\"\nreason = \"\"\n",
    );
    let output = validate(&tree, &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("store/validate-migrations.toml:1:1: an allow entry needs a reason"),
        "{stderr}"
    );
}

#[test]
fn the_readme_lists_every_code() {
    let readme =
        std::fs::read_to_string(support::project_root().join("README.md")).expect("README");
    for code in xtask::codes::Code::ALL {
        let row = format!(
            "| `{}` | {} | {} |",
            code.name(),
            code.severity().as_str(),
            code.summary()
        );
        assert!(readme.contains(&row), "README.md lacks the row: {row}");
    }
}

#[test]
fn junit_has_a_test_case_per_check_and_dialect_failing_with_its_errors() {
    let output = validate(&tree_with_problems(), &["--format", "junit"]);
    assert_eq!(output.status.code(), Some(1));
    let xml = stable(&stdout(&output));
    assert!(
        xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"),
        "{xml}"
    );
    assert!(
        xml.contains("<testcase classname=\"static\" name=\"naming (sqlite)\" time=\"0.000\">\n      <failure message=\"1 error\" type=\"bad-file-name\">"),
        "{xml}"
    );
    assert!(
        xml.contains("<testcase classname=\"static\" name=\"naming (postgres)\" time=\"0.000\"/>"),
        "{xml}"
    );
    assert_eq!(xml.matches("<failure ").count(), 1, "{xml}");
}

#[test]
fn sarif_lists_every_code_as_a_rule_and_every_diagnostic_as_a_result() {
    let output = validate(&tree_with_problems(), &["--format", "sarif"]);
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(document["version"], "2.1.0");
    let run = &document["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), xtask::codes::Code::ALL.len());
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), 2, "{results:#?}");
    assert_eq!(results[0]["ruleId"], "bad-file-name");
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "store/migration/sqlite/0.2/01_memo_pinned.sql"
    );
}

#[test]
fn github_actions_gets_a_markdown_job_summary() {
    let tree = tree_with_problems();
    let summary = tree.dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").expect("write");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["validate-migrations", "--static-only", "--root"])
        .arg(tree.store())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .expect("run xtask");
    assert_eq!(output.status.code(), Some(1));
    let markdown = std::fs::read_to_string(&summary).expect("summary");
    assert!(
        markdown.starts_with("earlier step\n## validate-migrations: store failed"),
        "{markdown}"
    );
    assert!(
        markdown.contains("- `store/migration/sqlite/0.2/01_memo_pinned.sql` **bad-file-name**:"),
        "{markdown}"
    );
}

fn chains_of(output: &std::process::Output) -> Vec<String> {
    support::replay_chains(output)
        .into_iter()
        .map(|(name, _)| name)
        .collect()
}

#[test]
fn shards_split_the_chains_and_only_the_first_reports_fresh() {
    // A release tag gives each dialect an upgrade chain to deal out.
    let tree = support::released_before_0_2(
        "0.1.2",
        |latest| {
            latest.replace(
                "CREATE INDEX idx_memo_creator_id ON memo (creator_id);\n",
                "",
            )
        },
        |_| {},
    );
    let store = tree.store();
    let store = store.to_str().expect("UTF-8 temporary path");
    let shard = |k: &str| {
        xtask(&[
            "validate-migrations",
            "--root",
            store,
            "--format",
            "json",
            "--shard",
            k,
        ])
    };
    let first = shard("1/2");
    let second = shard("2/2");
    assert_eq!(first.status.code(), Some(0), "{}", stdout(&first));
    assert_eq!(second.status.code(), Some(0), "{}", stdout(&second));
    // The first shard reports the static findings, and judges parse errors by the chains that
    // executed the statements, so it owns both `full` chains; the upgrades are dealt out.
    assert_eq!(
        chains_of(&first),
        [
            "postgres/fresh",
            "postgres/full",
            "postgres/upgrade-from-v0.1.2",
            "sqlite/fresh",
            "sqlite/full"
        ]
    );
    assert_eq!(chains_of(&second), ["sqlite/upgrade-from-v0.1.2"]);
    // Each shard says what it left to the others.
    let unchecked = |output: &std::process::Output| -> Vec<String> {
        let document: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
        document["unchecked"]
            .as_array()
            .expect("unchecked")
            .iter()
            .map(|u| {
                format!(
                    "{}: {}",
                    u["what"].as_str().unwrap_or_default(),
                    u["why"].as_str().unwrap_or_default()
                )
            })
            .collect()
    };
    assert_eq!(
        unchecked(&first),
        ["1 chain: left to the other shards (this is shard 1/2)"]
    );
    assert_eq!(
        unchecked(&second),
        ["3 chains: left to the other shards (this is shard 2/2)"]
    );

    // A static problem is reported by the first shard only.
    tree.write("migration/sqlite/0.2/01_memo_pinned.sql", b"SELECT 1;\n");
    let codes = |output: &std::process::Output| -> Vec<String> {
        support::diagnostics(output)
            .iter()
            .map(|d| d["code"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert!(codes(&shard("1/2")).contains(&"bad-file-name".to_string()));
    assert!(!codes(&shard("2/2")).contains(&"bad-file-name".to_string()));

    let wrong = xtask(&["validate-migrations", "--root", store, "--shard", "3/2"]);
    assert_eq!(wrong.status.code(), Some(2));
}

#[test]
fn a_terminal_gets_a_progress_line() {
    // `script` gives the tool a pseudo-terminal, which is what turns the progress line on.
    let tree = Tree::new("minimal");
    let command = format!(
        "{} validate-migrations --dialect sqlite --color never --root {}",
        env!("CARGO_BIN_EXE_xtask"),
        tree.store().display()
    );
    let output = std::process::Command::new("script")
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("run script (util-linux)");
    let text = stdout(&output);
    assert!(text.contains("replaying chains: sqlite 2/2"), "{text}");
    // Without a terminal there is none.
    let store = tree.store();
    let plain = xtask(&[
        "validate-migrations",
        "--dialect",
        "sqlite",
        "--root",
        store.to_str().expect("UTF-8 temporary path"),
    ]);
    assert_eq!(plain.status.code(), Some(0), "{}", stdout(&plain));
    assert!(!String::from_utf8_lossy(&plain.stderr).contains("replaying"));
}

#[test]
fn a_schema_difference_is_data_in_json() {
    let tree = Tree::new("minimal");
    let latest = std::fs::read_to_string(tree.store().join("migration/sqlite/LATEST.sql"))
        .expect("LATEST.sql")
        .replace("DEFAULT 'PRIVATE'", "DEFAULT 'PUBLIC'");
    tree.write("migration/sqlite/LATEST.sql", latest.as_bytes());
    let store = tree.store();
    let output = xtask(&[
        "validate-migrations",
        "--dialect",
        "sqlite",
        "--format",
        "json",
        "--root",
        store.to_str().expect("UTF-8 temporary path"),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let drift = document["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| d["code"] == "schema-drift")
        .expect("a schema-drift diagnostic");
    assert_eq!(drift["chains"], serde_json::json!(["full"]));
    assert_eq!(drift["dialect"], "sqlite");
    assert_eq!(
        drift["difference"],
        serde_json::json!({
            "severity": "error",
            "object": "table memo",
            "aspect": "column visibility: default",
            "expected": "'PUBLIC'",
            "actual": "'PRIVATE'",
        })
    );
}

/// The default store and the paths in the output are found where the tool runs, not where it was
/// built: a copy of the binary in another repository checks that repository's `store/`, from any
/// folder inside it, and names files relative to the repository's top (what GitHub annotations
/// need), also for a store deep inside the repository.
#[test]
fn a_copy_of_the_binary_checks_the_repository_it_runs_in() {
    let other = tempfile::tempdir().expect("temporary folder");
    let repository = other.path().join("service");
    support::copy_tree(
        &support::project_root().join("tests/fixtures/minimal"),
        &repository.join("store"),
    );
    std::fs::write(
        repository.join("store/migration/sqlite/0.2/00_misnamed.sql"),
        "SELECT 1;\n",
    )
    .expect("write");
    let nested = repository.join("tools/deploy");
    std::fs::create_dir_all(&nested).expect("create folder");
    support::git(&repository, &["init", "-q"]);
    let copy = other.path().join("validate");
    std::fs::copy(env!("CARGO_BIN_EXE_xtask"), &copy).expect("copy the binary");
    let run = |dir: &Path, args: &[&str]| {
        std::process::Command::new(&copy)
            .args(["validate-migrations", "--static-only", "--format", "json"])
            .args(args)
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .env_remove("GITHUB_ACTIONS")
            .output()
            .expect("run the copy")
    };
    let files = |output: &std::process::Output| -> Vec<String> {
        support::diagnostics(output)
            .iter()
            .filter_map(|d| d["file"].as_str().map(str::to_string))
            .collect()
    };

    let output = run(&nested, &[]);
    support::expect(&output, 1);
    assert!(
        files(&output).contains(&"store/migration/sqlite/0.2/00_misnamed.sql".to_string()),
        "{}",
        support::stdout(&output)
    );

    // A store deep inside the repository is named from the repository's top.
    let deep = repository.join("services/notes");
    std::fs::create_dir_all(&deep).expect("create folder");
    std::fs::rename(repository.join("store"), deep.join("store")).expect("move the store");
    let output = run(&nested, &["--root", "../../services/notes/store"]);
    support::expect(&output, 1);
    assert!(
        files(&output)
            .contains(&"services/notes/store/migration/sqlite/0.2/00_misnamed.sql".to_string()),
        "{}",
        support::stdout(&output)
    );

    // Without a store/ above the current folder there is nothing to default to.
    let output = run(&nested, &[]);
    support::expect(&output, 2);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no store/ folder") && stderr.contains("--root"),
        "{stderr}"
    );
}

/// A duplicate version names the other file as a label: data in JSON, a related location in
/// SARIF, a `note:` line in the GitHub annotation.
#[test]
fn labels_reach_every_format() {
    let tree = Tree::new("minimal");
    tree.write(
        "migration/postgres/0.1/1__memo_pinned.sql",
        b"ALTER TABLE memo ADD COLUMN pinned BOOLEAN NOT NULL DEFAULT FALSE;\n",
    );
    let other = "store/migration/postgres/0.1/01__memo_visibility.sql";
    let of_duplicate = |document: &serde_json::Value, list: &str, code: &str| {
        document[list]
            .as_array()
            .expect("a list")
            .iter()
            .find(|d| d["code"] == code || d["ruleId"] == code)
            .cloned()
            .expect("a duplicate-version")
    };
    let json = validate(&tree, &["--dialect", "postgres", "--format", "json"]);
    let document: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let duplicate = of_duplicate(&document, "diagnostics", "duplicate-version");
    assert_eq!(
        duplicate["labels"],
        serde_json::json!([{ "file": other, "span": null, "message": "version 0.1.2 also here" }])
    );
    let sarif = validate(&tree, &["--dialect", "postgres", "--format", "sarif"]);
    let document: serde_json::Value = serde_json::from_slice(&sarif.stdout).expect("JSON");
    let result = of_duplicate(&document["runs"][0], "results", "duplicate-version");
    let related = &result["relatedLocations"][0];
    assert_eq!(
        related["physicalLocation"]["artifactLocation"]["uri"],
        other
    );
    assert_eq!(related["message"]["text"], "version 0.1.2 also here");
    let github = validate(&tree, &["--dialect", "postgres", "--format", "github"]);
    assert!(
        stdout(&github).contains(&format!("%0Anote: {other}: version 0.1.2 also here")),
        "{}",
        stdout(&github)
    );
}

/// One run writes several formats, each to its destination: SARIF to a file, the GitHub
/// annotations to standard output, so that CI does not replay twice.
#[test]
fn several_formats_in_one_run_each_to_its_destination() {
    let tree = tree_with_problems();
    let sarif = tree.dir.path().join("out.sarif");
    let junit = tree.dir.path().join("out.xml");
    let output = validate(
        &tree,
        &[
            "--format",
            &format!("sarif={}", sarif.display()),
            "--format",
            "github",
            "--format",
            &format!("junit={}", junit.display()),
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).starts_with("::error file="), "{output:?}");
    let document: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).expect("the SARIF file"))
            .expect("JSON");
    assert_eq!(document["version"], "2.1.0");
    let xml = std::fs::read_to_string(&junit).expect("the JUnit file");
    assert!(xml.starts_with("<?xml"), "{xml}");

    let two_on_stdout = validate(&tree, &["--format", "json", "--format", "github"]);
    assert_eq!(two_on_stdout.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&two_on_stdout.stderr);
    assert!(
        stderr.contains("--format names 2 formats without a file"),
        "{stderr}"
    );
    assert!(two_on_stdout.stdout.is_empty());

    let no_file = validate(&tree, &["--format", "sarif="]);
    assert_eq!(no_file.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_file.stderr).contains("names no file after `=`"));
}

/// A job summary that cannot be written (here a folder) is a warning: the run's exit code is
/// the findings' own.
#[test]
fn an_unwritable_job_summary_is_a_warning() {
    let tree = tree_with_problems();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["validate-migrations", "--static-only", "--root"])
        .arg(tree.store())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", tree.dir.path())
        .output()
        .expect("run xtask");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("warning: cannot write the job summary to")
            && stderr.contains("($GITHUB_STEP_SUMMARY)"),
        "{stderr}"
    );
}

/// Human output for names and text a terminal shows differently: carets under a span after CJK
/// text (two columns a character), and `git mv` suggestions a shell can run as they are.
#[test]
fn human_output_places_carets_by_width_and_quotes_names_for_a_shell() {
    let tree = Tree::new("minimal");
    tree.write(
        "migration/postgres/0.2/01__a b.sql",
        "SELECT '表名' AS x FROM WHERE;\n".as_bytes(),
    );
    tree.write("migration/sqlite/0.2/01__it's.sql", b"SELECT 1;\n");
    tree.write("migration/VERSION", b"0.2.2\n");
    let text = stdout(&validate(&tree, &[]));
    assert!(
        text.contains(&format!(
            "1 | SELECT '表名' AS x FROM WHERE;\n  | {}^^^^^\n",
            " ".repeat(24)
        )),
        "{text}"
    );
    assert!(
        text.contains("= help: rename it: git mv '01__a b.sql' 01__a_b.sql\n"),
        "{text}"
    );
    assert!(
        text.contains(r"= help: rename it: git mv '01__it'\''s.sql' 01__it_s.sql"),
        "{text}"
    );
}

/// The mistakes users make on the command line get a message that says what to do: `--root` at
/// a file, a misspelt code for `--explain`, `--jobs 0`, and a configuration outside the
/// repository named by its own path (without a double slash).
#[test]
fn command_line_mistakes_say_what_to_do() {
    let tree = Tree::new("minimal");
    let file = tree.store().join("migration/VERSION");
    let output = xtask(&[
        "validate-migrations",
        "--root",
        file.to_str().expect("UTF-8"),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("VERSION is a file, not a folder"),
        "{stderr}"
    );

    let output = xtask(&["validate-migrations", "--explain", "bad-filename"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unknown code `bad-filename`; did you mean `bad-file-name`?"),
        "{stderr}"
    );

    let output = validate(&tree, &["--jobs", "0"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("0 jobs would replay nothing"), "{stderr}");

    let elsewhere = tempfile::tempdir().expect("temporary folder");
    let config = elsewhere.path().join("x.toml");
    std::fs::write(
        &config,
        "[[allow]]\nobject = \"table memo\"\nreason = \"\"\n",
    )
    .expect("write");
    let output = validate(&tree, &["--config", config.to_str().expect("UTF-8")]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("\n  {}:1:1: ", config.display())),
        "{stderr}"
    );
    assert!(!stderr.contains("//"), "{stderr}");
}
