//! The tree is input too: hostile entries (FIFOs, devices, links out of the store, megabyte
//! lines) end the run promptly with a diagnostic at the entry, and nothing behind a link out of
//! the store is read or printed. A case file cannot make FIFOs or links, so these trees are built
//! here.

mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use support::{mkfifo, symlink, Tree};

/// Where the run would hang before the fix (a FIFO read waits for a writer), the test must fail
/// rather than hang with it: the run is killed past this limit, far above what a run takes.
const HANG: Duration = Duration::from_secs(300);

/// Runs `validate-migrations` on the tree, killing it if it hangs. The output is collected on a
/// thread of its own, so that a large report cannot fill the pipe while this one waits.
fn validate(tree: &Tree, extra: &[&str]) -> Output {
    let store = tree.store();
    let child = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["validate-migrations", "--root"])
        .arg(&store)
        .args(extra)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run xtask");
    let pid = libc::pid_t::try_from(child.id()).expect("a process id");
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || sender.send(child.wait_with_output()));
    match receiver.recv_timeout(HANG) {
        Ok(output) => output.expect("xtask output"),
        Err(_) => {
            // SAFETY: `pid` is the child started above, which has not been waited for yet.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("validate-migrations hung on the tree");
        }
    }
}

/// The diagnostics of a JSON report as `code file`.
fn diagnostics(output: &Output) -> Vec<String> {
    support::diagnostics(output)
        .iter()
        // Temporary trees have no release tags; that note is not what these tests are about.
        .filter(|d| d["code"] != "upgrade-chains-skipped")
        .map(|d| {
            format!(
                "{} {}",
                d["code"].as_str().unwrap_or_default(),
                d["file"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

fn exit_code(output: &Output) -> Option<i32> {
    output.status.code()
}

#[test]
fn a_fifo_migration_is_reported_and_not_opened() {
    let tree = Tree::new("minimal");
    mkfifo(&tree.store().join("migration/postgres/0.2/01__fifo.sql"));
    let output = validate(&tree, &["--static-only", "--format", "json"]);
    assert_eq!(exit_code(&output), Some(1));
    assert_eq!(
        diagnostics(&output),
        ["not-a-regular-file store/migration/postgres/0.2/01__fifo.sql"]
    );
}

#[test]
fn a_fifo_seed_and_a_fifo_sum_are_reported_and_not_opened() {
    let tree = Tree::new("minimal");
    mkfifo(&tree.store().join("seed/sqlite/02__fifo.sql"));
    mkfifo(&tree.store().join("migration/postgres/migrations.sum"));
    let output = validate(&tree, &["--static-only", "--format", "json"]);
    assert_eq!(exit_code(&output), Some(1));
    let found = diagnostics(&output);
    assert!(
        found.contains(&"not-a-regular-file store/seed/sqlite/02__fifo.sql".to_string()),
        "{found:?}"
    );
    assert!(
        found.contains(&"not-a-regular-file store/migration/postgres/migrations.sum".to_string()),
        "{found:?}"
    );
}

#[test]
fn a_fifo_version_file_is_an_invalid_version_file() {
    let tree = Tree::new("minimal");
    mkfifo(&tree.store().join("migration/VERSION"));
    let output = validate(&tree, &["--static-only"]);
    assert_eq!(exit_code(&output), Some(1));
    let text = support::stdout(&output);
    assert!(
        text.contains("error[invalid-version-file]: VERSION is not a schema version: it is a FIFO, not a regular file, and it was not read\n --> store/migration/VERSION\n"),
        "{text}"
    );
}

#[test]
fn a_fifo_configuration_stops_the_run() {
    let tree = Tree::new("minimal");
    mkfifo(&tree.store().join("validate-migrations.toml"));
    let output = validate(&tree, &["--static-only"]);
    assert_eq!(exit_code(&output), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "cannot read store/validate-migrations.toml: it is a FIFO, not a regular file"
        ),
        "{stderr}"
    );
    // Named by `--config`, the same FIFO is refused the same way.
    let config = tree.store().join("validate-migrations.toml");
    let output = validate(
        &tree,
        &["--static-only", "--config", config.to_str().expect("UTF-8")],
    );
    assert_eq!(exit_code(&output), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("it is a FIFO, not a regular file"),
        "{stderr}"
    );
}

#[test]
fn a_configuration_linked_out_of_the_store_is_not_read() {
    let tree = Tree::new("minimal");
    let outside = tree.dir.path().join("elsewhere.toml");
    std::fs::write(&outside, "SECRET_0f3a = \"x\"\n").expect("write");
    symlink(&outside, &tree.store().join("validate-migrations.toml"));
    let output = validate(&tree, &["--static-only"]);
    assert_eq!(exit_code(&output), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("outside the store: it was not read"),
        "{stderr}"
    );
    assert!(!stderr.contains("SECRET_0f3a"), "{stderr}");
}

#[test]
fn a_configuration_linked_nowhere_stops_the_run() {
    // The defaults would check another tree than the one configured: better to stop.
    let tree = Tree::new("minimal");
    symlink(
        &tree.store().join("missing.toml"),
        &tree.store().join("validate-migrations.toml"),
    );
    let output = validate(&tree, &["--static-only"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(exit_code(&output), Some(2), "{stderr}");
    assert!(stderr.contains("broken-symlink"), "{stderr}");
}

#[test]
fn dev_zero_behind_a_link_is_not_read() {
    let tree = Tree::new("minimal");
    symlink(
        Path::new("/dev/zero"),
        &tree.store().join("migration/sqlite/0.2/01__zero.sql"),
    );
    symlink(
        Path::new("/dev/zero"),
        &tree.store().join("migration/VERSION"),
    );
    let output = validate(&tree, &["--static-only", "--format", "json"]);
    assert_eq!(exit_code(&output), Some(1));
    assert_eq!(
        diagnostics(&output),
        [
            "invalid-version-file store/migration/VERSION",
            "symlink-outside-store store/migration/sqlite/0.2/01__zero.sql"
        ]
    );
}

/// A migration linked to a file outside the store whose text would be a parse error (a snippet)
/// and a replay failure (an engine's message) if it were read: no format, static or replayed,
/// shows any of it.
#[test]
fn a_migration_linked_out_of_the_store_is_not_read_in_any_format() {
    let tree = Tree::new("minimal");
    let secret = tree.dir.path().join("environ");
    std::fs::write(&secret, "CI_SECRET_7e1d=hunter2 SELECT;\n").expect("write");
    for dialect in ["postgres", "sqlite"] {
        symlink(
            &secret,
            &tree
                .store()
                .join(format!("migration/{dialect}/0.2/01__environ.sql")),
        );
    }
    for format in ["human", "json", "github", "junit", "sarif"] {
        let output = validate(&tree, &["--static-only", "--format", format]);
        assert_eq!(exit_code(&output), Some(1), "{format}");
        let text = support::stdout(&output) + &String::from_utf8_lossy(&output.stderr);
        assert!(text.contains("symlink-outside-store"), "{format}: {text}");
        assert!(!text.contains("hunter2"), "{format}: {text}");
    }
    let output = validate(&tree, &["--format", "json"]);
    assert_eq!(exit_code(&output), Some(1));
    let text = support::stdout(&output) + &String::from_utf8_lossy(&output.stderr);
    assert!(!text.contains("hunter2"), "{text}");
    assert_eq!(
        diagnostics(&output),
        [
            "symlink-outside-store store/migration/postgres/0.2/01__environ.sql",
            "symlink-outside-store store/migration/sqlite/0.2/01__environ.sql"
        ]
    );
    assert!(support::replay_chains(&output)
        .iter()
        .all(|(_, passed)| *passed));
}

/// A version folder linked outside the store is neither checked nor replayed: the migration in
/// it, which would fail, never runs.
#[test]
fn a_version_folder_linked_out_of_the_store_is_not_replayed() {
    let tree = Tree::new("minimal");
    let elsewhere = tree.dir.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).expect("create folder");
    std::fs::write(
        elsewhere.join("00__outside.sql"),
        "CREATE TABLE outside_marker (id INTEGER);\nSELECT * FROM no_such_table;\n",
    )
    .expect("write");
    symlink(&elsewhere, &tree.store().join("migration/postgres/0.3"));
    let output = validate(&tree, &["--format", "json", "--dialect", "postgres"]);
    assert_eq!(exit_code(&output), Some(1));
    assert_eq!(
        diagnostics(&output),
        ["symlink-outside-store store/migration/postgres/0.3"]
    );
    let text = support::stdout(&output);
    assert!(!text.contains("outside_marker"), "{text}");
    assert!(!text.contains("no_such_table"), "{text}");
}

/// Links that stay inside the store are followed as before.
#[test]
fn links_inside_the_store_keep_working() {
    let tree = Tree::new("minimal");
    let store = tree.store();
    for dialect in ["postgres", "sqlite"] {
        let file = store.join(format!("migration/{dialect}/0.2/00__memo_index.sql"));
        let shared = store.join(format!("shared/{dialect}/00__memo_index.sql"));
        std::fs::create_dir_all(shared.parent().expect("a folder")).expect("create folder");
        std::fs::rename(&file, &shared).expect("move");
        symlink(
            Path::new(&format!("../../../shared/{dialect}/00__memo_index.sql")),
            &file,
        );
    }
    let output = validate(&tree, &["--static-only", "--format", "json"]);
    assert_eq!(exit_code(&output), Some(0), "{:?}", diagnostics(&output));
    assert_eq!(diagnostics(&output), Vec::<String>::new());
}

/// A 10 MB line with a parse error: the report names the file, line and column, and every
/// format stays small.
#[test]
fn a_ten_megabyte_line_prints_a_bounded_report() {
    let tree = Tree::new("minimal");
    let line = format!("SELECT '{}' FROM WHERE;\n", "x".repeat(10_000_000));
    tree.write("migration/postgres/0.2/01__long.sql", line.as_bytes());
    tree.write("migration/sqlite/0.2/01__long.sql", b"SELECT 1;\n");
    tree.write("migration/VERSION", b"0.2.2\n");
    for format in ["human", "json", "github", "junit", "sarif"] {
        let output = validate(&tree, &["--static-only", "--format", format]);
        assert_eq!(exit_code(&output), Some(1), "{format}");
        assert!(
            output.stdout.len() < 200_000,
            "{format}: {} bytes",
            output.stdout.len()
        );
    }
    let output = validate(&tree, &["--static-only"]);
    let text = support::stdout(&output);
    assert!(
        text.contains("--> store/migration/postgres/0.2/01__long.sql:1:10000016\n"),
        "{text}"
    );
}

/// Links that lead nowhere (a link to itself, two links to each other, a link to a missing file
/// named like a migration, a folder linked to the folder that holds it) are each
/// `broken-symlink` at the link; nothing is read through them, and the rest of the tree is
/// checked and replayed as usual.
#[test]
fn broken_links_and_link_loops_are_reported_at_the_link() {
    let tree = Tree::new("minimal");
    let store = tree.store();
    let postgres = store.join("migration/postgres/0.2");
    symlink(Path::new("01__self.sql"), &postgres.join("01__self.sql"));
    symlink(Path::new("02__b.sql"), &postgres.join("02__a.sql"));
    symlink(Path::new("02__a.sql"), &postgres.join("02__b.sql"));
    symlink(
        Path::new("gone.sql"),
        &store.join("migration/sqlite/0.2/01__missing.sql"),
    );
    symlink(Path::new(".."), &store.join("migration/sqlite/0.3"));
    let expected = [
        "broken-symlink store/migration/postgres/0.2/01__self.sql",
        "broken-symlink store/migration/postgres/0.2/02__a.sql",
        "broken-symlink store/migration/postgres/0.2/02__b.sql",
        "broken-symlink store/migration/sqlite/0.2/01__missing.sql",
        "broken-symlink store/migration/sqlite/0.3",
    ];
    let output = validate(&tree, &["--static-only", "--format", "json"]);
    assert_eq!(exit_code(&output), Some(1));
    assert_eq!(diagnostics(&output), expected);

    let output = validate(&tree, &["--static-only"]);
    let text = support::stdout(&output);
    for message in [
        "error[broken-symlink]: `migration/postgres/0.2/01__self.sql` is a symbolic link to `01__self.sql`, which leads into a loop of links: it was not read\n",
        "error[broken-symlink]: `migration/sqlite/0.2/01__missing.sql` is a symbolic link to `gone.sql`, which does not exist: it was not read\n",
        "error[broken-symlink]: `migration/sqlite/0.3` is a symbolic link to `..`, a folder that contains it, so that a walk would never end: it was not read\n",
    ] {
        assert!(text.contains(message), "{text}");
    }

    let output = validate(&tree, &["--format", "json"]);
    assert_eq!(exit_code(&output), Some(1));
    assert_eq!(diagnostics(&output), expected);
    let chains = support::replay_chains(&output);
    assert!(!chains.is_empty());
    assert!(chains.iter().all(|(_, passed)| *passed), "{chains:?}");
}

/// A version file that is a broken link is an invalid version file, not a missing one.
#[test]
fn a_version_file_linked_nowhere_is_invalid() {
    let tree = Tree::new("minimal");
    let version = tree.store().join("migration/VERSION");
    std::fs::remove_file(&version).expect("remove VERSION");
    symlink(Path::new("VERSION"), &version);
    let output = validate(&tree, &["--static-only", "--format", "json"]);
    assert_eq!(exit_code(&output), Some(1));
    assert_eq!(
        diagnostics(&output),
        ["invalid-version-file store/migration/VERSION"]
    );
}

/// Runs `validate-migrations` as GitHub Actions would, with a job summary: its standard output
/// and the summary.
fn validate_in_github_actions(tree: &Tree, extra: &[&str]) -> (Output, String) {
    let summary = tree.dir.path().join("summary.md");
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["validate-migrations", "--root"])
        .arg(tree.store())
        .args(extra)
        .env("NO_COLOR", "1")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null())
        .output()
        .expect("run xtask");
    let markdown = std::fs::read_to_string(&summary).unwrap_or_default();
    (output, markdown)
}

/// File names with an escape sequence or a line break are shown escaped in every format (the
/// human report, GitHub annotations, the job summary, JSON, JUnit, SARIF): the log cannot be
/// recoloured, and no line of it is broken by a name.
#[test]
fn control_characters_in_paths_are_escaped_in_every_format() {
    let tree = Tree::new("minimal");
    tree.write("migration/postgres/0.2/01__a\x1b[31m.sql", b"SELEC 1;\n");
    tree.write("migration/sqlite/0.2/01__b\nc.sql", b"SELEC 1;\n");
    tree.write("migration/VERSION", b"0.2.2\n");
    let mut outputs = Vec::new();
    for format in ["human", "json", "github", "junit", "sarif"] {
        let output = validate(&tree, &["--static-only", "--format", format]);
        assert_eq!(exit_code(&output), Some(1), "{format}");
        outputs.push((format, support::stdout(&output)));
    }
    let (output, markdown) = validate_in_github_actions(&tree, &["--static-only"]);
    assert_eq!(exit_code(&output), Some(1));
    assert!(!markdown.is_empty());
    outputs.push(("github actions", support::stdout(&output)));
    outputs.push(("job summary", markdown));
    for (format, text) in outputs {
        assert!(!text.contains('\x1b'), "{format}: {text:?}");
        assert!(!text.contains("01__b\nc"), "{format}: {text:?}");
        assert!(text.contains("x1b[31m.sql"), "{format}: {text:?}");
        assert!(
            text.contains(r"01__b\") && text.contains("nc.sql"),
            "{format}: {text:?}"
        );
    }
    let output = validate(&tree, &["--static-only"]);
    let text = support::stdout(&output);
    assert!(
        text.contains("--> store/migration/postgres/0.2/01__a\\x1b[31m.sql:1:1\n"),
        "{text}"
    );
    assert!(
        text.contains("--> store/migration/sqlite/0.2/01__b\\nc.sql:1:1\n"),
        "{text}"
    );
}

/// A statement nested a million levels deep (a chain of a million operators, or a million
/// parentheses) is a parse error at its first line, not a crash: the rest of the file is checked,
/// and the replay runs it on the engines, which refuse it at the same line.
#[test]
fn a_million_levels_of_nesting_are_a_diagnostic_not_a_crash() {
    let tree = Tree::new("minimal");
    let chain = format!("SELECT 1;\nSELECT 1{};\nSELEC 2;\n", "+1".repeat(1_000_000));
    let parens = format!(
        "SELECT 1;\nSELECT {}1{};\nSELEC 2;\n",
        "(".repeat(1_000_000),
        ")".repeat(1_000_000)
    );
    tree.write("migration/postgres/0.2/01__deep.sql", chain.as_bytes());
    tree.write("migration/sqlite/0.2/01__deep.sql", parens.as_bytes());
    tree.write("migration/VERSION", b"0.2.2\n");
    let output = validate(&tree, &["--static-only", "--format", "json"]);
    assert_eq!(exit_code(&output), Some(1), "{output:?}");
    let found = support::diagnostics(&output);
    let at = |file: &str, line: u64| {
        found
            .iter()
            .filter(|d| {
                d["code"] == "parse-error"
                    && d["file"] == file
                    && d["span"]["start"]["line"] == line
            })
            .map(|d| d["message"].as_str().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
    };
    let postgres = "store/migration/postgres/0.2/01__deep.sql";
    let sqlite = "store/migration/sqlite/0.2/01__deep.sql";
    for file in [postgres, sqlite] {
        let messages = at(file, 2);
        assert_eq!(messages.len(), 1, "{found:?}");
        assert!(
            messages[0].ends_with(
                "the statement is nested too deeply for the parser (more than 10000 levels)"
            ),
            "{messages:?}"
        );
    }
    // The statement after it is checked as usual.
    assert_eq!(at(postgres, 3).len(), 1, "{found:?}");
    assert_eq!(at(sqlite, 3).len(), 1, "{found:?}");

    let output = validate(&tree, &["--format", "json"]);
    assert_eq!(exit_code(&output), Some(1), "{output:?}");
    let found = support::diagnostics(&output);
    for file in [postgres, sqlite] {
        assert!(
            found.iter().any(|d| d["code"] == "statement-failed"
                && d["file"] == file
                && d["span"]["start"]["line"] == 2),
            "{found:?}"
        );
    }
}

/// The peak resident memory of `validate-migrations` on the tree, in bytes, read from `wait4`
/// (which reports the usage of exactly the process it reaps), and its exit code.
fn peak_memory(tree: &Tree, extra: &[&str]) -> (Option<i32>, u64) {
    #[allow(
        clippy::zombie_processes,
        reason = "reaped by `reap` with wait4, which `Child::wait` cannot replace: it gives no usage"
    )]
    let child = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["validate-migrations", "--root"])
        .arg(tree.store())
        .args(extra)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run xtask");
    reap(&child)
}

/// Waits for `child` with `wait4`: its exit code and its peak resident memory in bytes.
fn reap(child: &std::process::Child) -> (Option<i32>, u64) {
    let pid = libc::pid_t::try_from(child.id()).expect("a process id");
    let mut status = 0;
    // SAFETY: an all-zero `rusage` is a valid value of the plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is the caller's child, never waited for otherwise; both pointers are to
    // live locals.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4: {}", std::io::Error::last_os_error());
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    let peak = u64::try_from(usage.ru_maxrss).expect("a size") * 1024;
    (code, peak)
}

/// The size of the files under the store, in bytes.
fn tree_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .expect("read folder")
        .map(|entry| {
            let path = entry.expect("folder entry").path();
            if path.is_dir() {
                tree_size(&path)
            } else {
                std::fs::metadata(&path).expect("metadata").len()
            }
        })
        .sum()
}

/// A tree of `minimal` with the version moved to 0.2.2 by a new migration of each dialect that
/// holds `sql`.
fn tree_with(sql: &str) -> Tree {
    let tree = Tree::new("minimal");
    for dialect in ["postgres", "sqlite"] {
        tree.write(
            &format!("migration/{dialect}/0.2/01__many.sql"),
            sql.as_bytes(),
        );
        let latest = format!("migration/{dialect}/LATEST.sql");
        let text = std::fs::read_to_string(tree.store().join(&latest)).expect("read LATEST.sql");
        tree.write(&latest, text.replace("0.2.1", "0.2.2").as_bytes());
    }
    tree.write("migration/VERSION", b"0.2.2\n");
    tree
}

/// `tree_with` the statement repeated until each new migration holds about 1 MB: a tree of about
/// 2 MB in all.
fn two_megabyte_tree(statement: impl Fn(usize) -> String) -> Tree {
    let mut sql = String::new();
    let mut index = 0;
    while sql.len() < 1_000_000 {
        sql.push_str(&statement(index));
        index += 1;
    }
    tree_with(&sql)
}

/// Memory grows with the tree, modestly: a tree of N MB validates in under 50 × N MB + 100 MB,
/// statically and with the replay. Statically, the tree is the case that kept the most before:
/// 2 MB of `ALTER TABLE ... ADD COLUMN`, every statement a kind the lint reads, whose trees of
/// about 7 KB each were all kept (340 MB for this tree). The replay runs 2 MB of `CREATE INDEX
/// IF NOT EXISTS`, also read by the lint, which the engines apply to the end (the columns would
/// stop PostgreSQL at 1,600).
#[test]
fn memory_stays_within_fifty_times_the_tree() {
    let bound = |tree: &Tree| 50 * tree_size(&tree.store()) + 100_000_000;
    let tree = two_megabyte_tree(|n| format!("ALTER TABLE memo ADD COLUMN c{n} INTEGER;\n"));
    let (code, peak) = peak_memory(&tree, &["--static-only"]);
    assert_eq!(code, Some(0));
    assert!(peak < bound(&tree), "static: {peak} bytes");
    let tree = two_megabyte_tree(|_| {
        "CREATE INDEX IF NOT EXISTS idx_memo_creator_id ON memo (creator_id);\n".to_string()
    });
    let (code, peak) = peak_memory(&tree, &[]);
    assert_eq!(code, Some(0));
    assert!(peak < bound(&tree), "replay: {peak} bytes");
}

/// A statement too deep for the parser that the engine executes (PostgreSQL reads a chain of
/// 6,000 `AND`s) is judged by the engine: the parse error becomes a `parser-gap` note.
#[test]
fn a_deep_statement_the_engine_executes_is_a_parser_gap_note() {
    let deep = format!("SELECT 1 WHERE true{};\n", " AND true".repeat(6_000));
    let tree = tree_with(&deep);
    let output = validate(&tree, &["--dialect", "postgres", "--format", "json"]);
    assert_eq!(exit_code(&output), Some(0), "{:?}", diagnostics(&output));
    let found = support::diagnostics(&output);
    let gap: Vec<&serde_json::Value> = found.iter().filter(|d| d["code"] == "parser-gap").collect();
    assert_eq!(gap.len(), 1, "{found:?}");
    assert_eq!(gap[0]["file"], "store/migration/postgres/0.2/01__many.sql");
    assert!(
        gap[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("nested too deeply for the parser")),
        "{found:?}"
    );
}
