//! Adopting the tool on a tree with history: the baseline (`--write-baseline`, then only new
//! findings fail), `--changed-since` in a git repository, `--fail-on warning`, a misspelt code in
//! a `[[severity]]` setting, and the order of GitHub annotations.

mod support;

use support::{commit, expect, git, stdout, validate_static as validate, xtask, Tree};

/// A tree with one error (a misnamed file), one warning (an empty seed file) and a lint warning
/// on line 2 of a migration.
fn tree_with_history() -> Tree {
    let tree = Tree::new("minimal");
    tree.write(
        "migration/sqlite/0.2/01_memo_pinned.sql",
        b"ALTER TABLE memo ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;\n",
    );
    tree.write("seed/sqlite/02__nothing.sql", b"-- nothing yet\n");
    tree.write(
        "migration/sqlite/0.2/00__memo_index.sql",
        b"CREATE INDEX idx_memo_creator_id ON memo (creator_id);\nALTER TABLE memo DROP COLUMN content;\n",
    );
    tree
}

/// The diagnostics of a JSON report as (severity, code, file).
fn findings(output: &std::process::Output) -> Vec<(String, String, String)> {
    support::diagnostics(output)
        .iter()
        .map(|d| {
            let text = |key: &str| d[key].as_str().unwrap_or_default().to_string();
            (text("severity"), text("code"), text("file"))
        })
        .collect()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn after_the_baseline_only_new_findings_fail() {
    let tree = tree_with_history();
    assert_eq!(validate(&tree, &[]).status.code(), Some(1));

    let written = expect(&validate(&tree, &["--write-baseline"]), 0);
    assert!(written.contains("(3 findings)"), "{written}");
    let baseline = std::fs::read_to_string(tree.store().join("validate-migrations.baseline.toml"))
        .expect("the baseline is written in the store's folder");
    assert!(baseline.starts_with("# The baseline of validate-migrations"));
    assert!(baseline.contains("code = \"bad-file-name\"\nfile = \"migration/sqlite/0.2/01_memo_pinned.sql\"\ndialect = \"sqlite\""), "{baseline}");
    assert!(
        !baseline.contains("line =") && !baseline.contains(".sql:"),
        "no line numbers: {baseline}"
    );

    // Every finding is a note now, and says so.
    let clean = expect(&validate(&tree, &[]), 0);
    assert!(
        clean.contains("note[bad-file-name]: baselined error:"),
        "{clean}"
    );
    assert!(clean.contains("baseline: 3 findings recorded in store/validate-migrations.baseline.toml reported as notes"), "{clean}");

    // Lines move above a baselined finding: it stays baselined.
    tree.write(
        "migration/sqlite/0.2/00__memo_index.sql",
        b"-- The index came first.\nCREATE INDEX idx_memo_creator_id ON memo (creator_id);\n\nALTER TABLE memo DROP COLUMN content;\n",
    );
    // A new finding fails the run, and it is the only error or warning.
    tree.write(
        "migration/sqlite/0.2/02_memo_tags.sql",
        b"ALTER TABLE memo ADD COLUMN tags TEXT NOT NULL DEFAULT '';\n",
    );
    let output = validate(&tree, &["--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(document["acceptance"]["baselined"], 3);
    let loud: Vec<_> = findings(&output)
        .into_iter()
        .filter(|(severity, _, _)| severity != "note")
        .collect();
    assert_eq!(
        loud,
        [(
            "error".to_string(),
            "bad-file-name".to_string(),
            "store/migration/sqlite/0.2/02_memo_tags.sql".to_string()
        )]
    );

    // A fixed finding leaves its entry unused.
    tree.delete("migration/sqlite/0.2/02_memo_tags.sql");
    tree.delete("migration/sqlite/0.2/01_memo_pinned.sql");
    let output = validate(&tree, &["--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let unused: Vec<_> = findings(&output)
        .into_iter()
        .filter(|(_, code, _)| code == "unused-baseline")
        .collect();
    assert_eq!(
        unused,
        [(
            "warning".to_string(),
            "unused-baseline".to_string(),
            "store/validate-migrations.baseline.toml".to_string()
        )]
    );
}

#[test]
fn another_baseline_file_is_named_with_baseline() {
    let tree = tree_with_history();
    let file = tree.dir.path().join("adopt.toml");
    let file = file.to_str().expect("UTF-8 temporary path");
    expect(
        &validate(&tree, &["--write-baseline", "--baseline", file]),
        0,
    );
    assert!(!tree
        .store()
        .join("validate-migrations.baseline.toml")
        .exists());
    // The default file does not exist, so the run without --baseline fails; with it, it passes.
    assert_eq!(validate(&tree, &[]).status.code(), Some(1));
    expect(&validate(&tree, &["--baseline", file]), 0);

    let missing = validate(&tree, &["--baseline", "/nonexistent/baseline.toml"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("does not exist"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn a_baseline_entry_of_an_unknown_code_stops_the_run() {
    let tree = tree_with_history();
    tree.write(
        "validate-migrations.baseline.toml",
        b"[[finding]]\ncode = \"bad-file-nam\"\nobject = \"x\"\n",
    );
    let output = validate(&tree, &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("validate-migrations.baseline.toml:1:1")
            && stderr(&output).contains("did you mean `bad-file-name`"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn changed_since_reports_the_static_findings_of_changed_files_only() {
    let tree = tree_with_history();
    git(tree.dir.path(), &["init", "-q"]);
    commit(&tree, "history");
    git(tree.dir.path(), &["tag", "base"]);
    // A committed change, an uncommitted change and an untracked file, each with a finding.
    tree.write(
        "migration/postgres/0.2/00__memo_index.sql",
        b"CREATE INDEX idx_memo_creator_id ON memo (creator_id);\nALTER TABLE memo DROP COLUMN content;\n",
    );
    commit(&tree, "postgres drops content");
    tree.write("seed/postgres/02__nothing.sql", b"-- nothing yet\n");
    tree.write("seed/postgres/01__demo.sql", b"");

    let output = validate(&tree, &["--changed-since", "base", "--format", "json"]);
    let found = findings(&output);
    // Findings of the tree as a whole (here: history not checked, without tags) are kept.
    assert!(
        found
            .iter()
            .any(|(_, code, file)| code == "history-unchecked" && file.is_empty()),
        "{found:#?}"
    );
    let mut files: Vec<&str> = found
        .iter()
        .map(|(_, _, file)| file.as_str())
        .filter(|file| !file.is_empty())
        .collect();
    files.dedup();
    assert_eq!(
        files,
        [
            "store/migration/postgres/0.2/00__memo_index.sql",
            "store/seed/postgres/01__demo.sql",
            "store/seed/postgres/02__nothing.sql",
        ],
        "{found:#?}"
    );
    // The old error is left out, so the run passes; the summary says how much was left out.
    assert_eq!(output.status.code(), Some(0));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(
        document["acceptance"]["changed_since"],
        serde_json::json!({"reference": "base", "left_out": 3})
    );
    let human = validate(&tree, &["--changed-since", "base"]);
    assert!(
        stdout(&human).contains("--changed-since base: 3 static findings left out"),
        "{}",
        stdout(&human)
    );

    let unknown = validate(&tree, &["--changed-since", "no-such-branch"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("git knows no commit `no-such-branch`"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn changed_since_needs_git() {
    let output = validate(&tree_with_history(), &["--changed-since", "main"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("not in a git repository"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn fail_on_warning_fails_on_a_warning() {
    let tree = Tree::new("minimal");
    tree.write("seed/sqlite/02__nothing.sql", b"-- nothing yet\n");
    expect(&validate(&tree, &[]), 0);
    expect(&validate(&tree, &["--fail-on", "error"]), 0);
    let output = expect(&validate(&tree, &["--fail-on", "warning"]), 1);
    assert!(output.contains("warning[empty-file]"), "{output}");
    // A note never fails a run.
    tree.write(
        "migration/postgres/0.2/00__memo_index.sql",
        b"CREATE INDEX idx_memo_creator_id ON memo (creator_id);\nDROP INDEX idx_memo_creator_id;\n",
    );
    tree.delete("seed/sqlite/02__nothing.sql");
    expect(&validate(&tree, &["--fail-on", "warning"]), 0);
}

#[test]
fn a_misspelt_code_in_a_severity_setting_stops_the_run() {
    let tree = Tree::new("minimal");
    tree.write(
        "validate-migrations.toml",
        b"[[severity]]\ncode = \"sequence-gaps\"\nlevel = \"note\"\nreason = \"released\"\n",
    );
    let output = validate(&tree, &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("validate-migrations.toml:1:1")
            && stderr(&output).contains("did you mean `sequence-gap`?"),
        "{}",
        stderr(&output)
    );

    // Neither a release gate nor a report of an unused entry can be accepted.
    for (code, refusal) in [
        ("release-tag-exists", "is a gate of `release-check`"),
        ("unused-baseline", "remove that entry instead"),
    ] {
        tree.write(
            "validate-migrations.toml",
            format!("\n[[severity]]\ncode = \"{code}\"\nlevel = \"off\"\nreason = \"r\"\n")
                .as_bytes(),
        );
        let output = validate(&tree, &[]);
        assert_eq!(output.status.code(), Some(2));
        assert!(
            stderr(&output).contains("validate-migrations.toml:2:1")
                && stderr(&output).contains(refusal),
            "{}",
            stderr(&output)
        );
    }
}

#[test]
fn github_annotations_put_errors_first_and_count_what_github_drops() {
    let tree = Tree::new("minimal");
    // Twelve misnamed files (errors) sort before the seeds' files, whose empty file is a warning,
    // and a note comes first in its file.
    for n in 0..12 {
        tree.write(
            &format!("migration/sqlite/0.2/{n:02}_x{n}.sql"),
            b"SELECT 1;\n",
        );
    }
    tree.write(
        "migration/postgres/0.2/00__memo_index.sql",
        b"DROP INDEX idx_memo_creator_id;\nCREATE INDEX idx_memo_creator_id ON memo (creator_id);\n",
    );
    tree.write("seed/sqlite/02__nothing.sql", b"-- nothing yet\n");
    let output = validate(&tree, &["--format", "github"]);
    let text = stdout(&output);
    let kinds: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("::"))
        .filter_map(|line| line.split(' ').next())
        .collect();
    let errors = kinds.iter().filter(|k| **k == "error").count();
    let warnings = kinds.iter().filter(|k| **k == "warning").count();
    assert!(errors > 10 && warnings >= 1, "{text}");
    assert!(kinds.contains(&"notice"), "{text}");
    let mut sorted = kinds.clone();
    sorted.sort_by_key(|k| match *k {
        "error" => 0,
        "warning" => 1,
        _ => 2,
    });
    assert_eq!(kinds, sorted, "{text}");
    assert!(
        text.contains(&format!(
            "{} errors and 0 warnings beyond those are not annotated",
            errors - 10
        )),
        "{text}"
    );
}

#[test]
fn the_job_summary_says_what_the_baseline_took_out() {
    let tree = tree_with_history();
    expect(&validate(&tree, &["--write-baseline"]), 0);
    let summary = tree.dir.path().join("summary.md");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["validate-migrations", "--static-only", "--root"])
        .arg(tree.store())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .expect("run xtask");
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let markdown = std::fs::read_to_string(&summary).expect("summary");
    assert!(
        markdown.contains(
            "- baseline: 3 findings recorded in store/validate-migrations.baseline.toml reported as notes"
        ),
        "{markdown}"
    );
}

#[test]
fn changed_since_keeps_replay_findings_and_findings_of_folders_with_changed_files() {
    let tree = Tree::new("minimal");
    // A seed that fails on every chain, committed before the reference.
    tree.write(
        "seed/sqlite/02__broken.sql",
        b"INSERT INTO memo (no_such_column) VALUES (1);\n",
    );
    git(tree.dir.path(), &["init", "-q"]);
    commit(&tree, "history");
    // After it, a file that leaves a gap in its folder's sequence (00, then 02).
    tree.write(
        "migration/sqlite/0.2/02__memo_pinned.sql",
        b"ALTER TABLE memo ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;\n",
    );
    let store = tree.store();
    let store = store.to_str().expect("UTF-8 temporary path");
    let output = xtask(&[
        "validate-migrations",
        "--root",
        store,
        "--dialect",
        "sqlite",
        "--changed-since",
        "HEAD",
        "--format",
        "json",
    ]);
    let found = findings(&output);
    let has = |code: &str, file: &str| found.iter().any(|(_, c, f)| c == code && f == file);
    assert!(
        has("seed-failed", "store/seed/sqlite/02__broken.sql"),
        "{found:#?}"
    );
    assert!(
        has("sequence-gap", "store/migration/sqlite/0.2"),
        "{found:#?}"
    );
}

#[test]
fn under_shards_only_what_a_shard_sees_whole_is_judged_unused() {
    let tree = Tree::new("minimal");
    tree.write(
        "validate-migrations.toml",
        b"[[silence]]\ncode = \"drop-column\"\nfile = \"migration/sqlite/0.2/00__memo_index.sql\"\nreason = \"r\"\n\n\
          [[severity]]\ncode = \"seed-failed\"\nlevel = \"warning\"\nreason = \"r\"\n",
    );
    let store = tree.store();
    let store = store.to_str().expect("UTF-8 temporary path");
    let unused = |shard: Option<&str>| {
        let mut args = vec![
            "validate-migrations",
            "--root",
            store,
            "--dialect",
            "sqlite",
            "--format",
            "json",
        ];
        if let Some(shard) = shard {
            args.extend(["--shard", shard]);
        }
        let mut codes: Vec<String> = findings(&xtask(&args))
            .into_iter()
            .map(|(_, code, _)| code)
            .filter(|code| code.starts_with("unused-"))
            .collect();
        codes.sort();
        codes
    };
    assert_eq!(unused(None), ["unused-severity", "unused-silence"]);
    assert_eq!(unused(Some("1/1")), ["unused-severity", "unused-silence"]);
    assert_eq!(unused(Some("1/2")), ["unused-silence"]);
    assert!(unused(Some("2/2")).is_empty());
}

#[test]
fn entries_a_run_could_not_have_used_are_not_reported() {
    let tree = tree_with_history();
    tree.write(
        "seed/sqlite/03__broken.sql",
        b"INSERT INTO memo (no_such_column) VALUES (1);\n",
    );
    tree.write(
        "validate-migrations.toml",
        b"[[severity]]\ncode = \"seed-failed\"\nlevel = \"warning\"\nreason = \"r\"\n\n\
          [[severity]]\ncode = \"empty-file\"\nlevel = \"note\"\ndialect = \"sqlite\"\nreason = \"r\"\n",
    );
    let store = tree.store();
    let store = store.to_str().expect("UTF-8 temporary path");
    let run = |extra: &[&str]| {
        let args = [
            &["validate-migrations", "--root", store, "--format", "json"],
            extra,
        ]
        .concat();
        xtask(&args)
    };
    // With the replay, on SQLite: the seed's failure is baselined with the static findings.
    expect(&run(&["--dialect", "sqlite", "--write-baseline"]), 0);
    let baseline = std::fs::read_to_string(tree.store().join("validate-migrations.baseline.toml"))
        .expect("baseline");
    assert!(baseline.contains("code = \"seed-failed\""), "{baseline}");

    let unused = |output: std::process::Output| -> Vec<String> {
        findings(&output)
            .into_iter()
            .map(|(_, code, _)| code)
            .filter(|code| code.starts_with("unused-"))
            .collect()
    };
    // Without the replay, the replay's entries are not judged; on PostgreSQL alone, the SQLite
    // entries are not either.
    assert_eq!(
        unused(run(&["--dialect", "sqlite", "--static-only"])),
        Vec::<String>::new()
    );
    assert_eq!(
        unused(run(&["--dialect", "postgres", "--static-only"])),
        Vec::<String>::new()
    );
    // The run that could have used them all judges them: each is used.
    assert_eq!(unused(run(&["--dialect", "sqlite"])), Vec::<String>::new());
}
