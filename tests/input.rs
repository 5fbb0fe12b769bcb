//! The tree is input too: hostile entries (FIFOs, devices, links out of the store, megabyte
//! lines) end the run promptly with a diagnostic at the entry, and nothing behind a link out of
//! the store is read or printed. A case file cannot make FIFOs or links, so these trees are built
//! here.

mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use support::Tree;

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

fn mkfifo(path: &Path) {
    if path.exists() {
        std::fs::remove_file(path).expect("remove file");
    }
    let c_path = std::ffi::CString::new(path.to_str().expect("UTF-8 path")).expect("no NUL");
    // SAFETY: `c_path` is a valid NUL-terminated path that outlives the call.
    let made = unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) };
    assert_eq!(made, 0, "mkfifo {}", path.display());
}

fn symlink(target: &Path, link: &Path) {
    if link.exists() {
        if link.is_dir() {
            std::fs::remove_dir_all(link).expect("remove folder");
        } else {
            std::fs::remove_file(link).expect("remove file");
        }
    }
    std::os::unix::fs::symlink(target, link).expect("symlink");
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
