//! The command line's contract: exit codes, formats, colour and `--explain`.

mod support;

use support::{stable, stdout, xtask, Tree};

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

fn validate(tree: &Tree, extra: &[&str]) -> std::process::Output {
    let store = tree.store();
    let store = store.to_str().expect("UTF-8 temporary path");
    xtask(
        &[
            &["validate-migrations", "--root", store, "--static-only"],
            extra,
        ]
        .concat(),
    )
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
