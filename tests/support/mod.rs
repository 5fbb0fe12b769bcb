//! What the end-to-end tests share: materializing fixture trees and running the real binary.

#![allow(dead_code)] // Each test binary uses its own part of this module.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's root.
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ has a parent")
        .to_path_buf()
}

/// Copies a folder recursively.
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("readable fixture");
        let target = to.join(entry.path().strip_prefix(from).expect("below from"));
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("create folder");
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// A temporary folder holding a copy of a base tree as `store/`.
pub struct Tree {
    pub dir: tempfile::TempDir,
}

impl Tree {
    /// `base` is `minimal` (tests/fixtures/minimal), `store` (the repository's store) or `none`.
    pub fn new(base: &str) -> Tree {
        let dir = tempfile::tempdir().expect("temporary folder");
        let store = dir.path().join("store");
        std::fs::create_dir_all(&store).expect("create store");
        let root = project_root();
        match base {
            "none" => {}
            "store" => copy_tree(&root.join("store"), &store),
            name => copy_tree(&root.join("tests/fixtures").join(name), &store),
        }
        Tree { dir }
    }

    pub fn store(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    pub fn write(&self, relative: &str, bytes: &[u8]) {
        let path = self.store().join(relative);
        std::fs::create_dir_all(path.parent().expect("file in a folder")).expect("create folder");
        std::fs::write(path, bytes).expect("write file");
    }

    pub fn delete(&self, relative: &str) {
        let path = self.store().join(relative);
        if path.is_dir() {
            std::fs::remove_dir_all(&path).expect("remove folder");
        } else {
            std::fs::remove_file(&path).expect("remove file");
        }
    }
}

/// Runs `xtask` with the given arguments, with the environment made deterministic: no colour,
/// not in GitHub Actions.
pub fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .expect("run xtask")
}

/// Runs the static checks on a tree, with extra arguments.
pub fn validate_static(tree: &Tree, extra: &[&str]) -> Output {
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

/// The diagnostics of a JSON report; fails the test with both outputs when it is not one.
pub fn diagnostics(output: &Output) -> Vec<serde_json::Value> {
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON ({e}): {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    document["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .clone()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Replaces what changes from run to run or machine to machine (the time taken, the engines'
/// versions and the cluster's temporary folder) so that output can be snapshotted.
pub fn stable(text: &str) -> String {
    let time = regex::Regex::new(r"in \d+\.\d+s").expect("valid regex");
    let millis = regex::Regex::new(r#""elapsed_ms": \d+(\.\d+)?"#).expect("valid regex");
    let measured = regex::Regex::new(r"\d+\.\d{3} ms|about \d+ ms").expect("valid regex");
    let engine = regex::Regex::new(r"(?m)^engine: (PostgreSQL|SQLite) .*$").expect("valid regex");
    let text = time.replace_all(text, "in [time]");
    let text = engine.replace_all(&text, "engine: $1 [version]");
    let text = measured.replace_all(&text, |found: &regex::Captures| {
        if found[0].starts_with("about") {
            "about [time] ms"
        } else {
            "[time] ms"
        }
    });
    millis
        .replace_all(&text, r#""elapsed_ms": "[time]""#)
        .into_owned()
}

/// Asserts the exit code (showing both outputs when it differs) and returns the standard output.
pub fn expect(output: &Output, code: i32) -> String {
    let text = stdout(output);
    assert_eq!(
        output.status.code(),
        Some(code),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    text
}

/// Runs git in `dir` with a fixed identity and no line-ending conversion; fails the test with
/// git's message when git fails.
pub fn git(dir: &Path, args: &[&str]) {
    let output = Command::new("git")
        .args([
            "-c",
            "user.name=test",
            "-c",
            "user.email=test@example.invalid",
            "-c",
            "core.autocrlf=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run git");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Stages and commits everything in the tree's repository.
pub fn commit(tree: &Tree, message: &str) {
    git(tree.dir.path(), &["add", "."]);
    git(tree.dir.path(), &["commit", "-q", "-m", message]);
}

/// The minimal tree as it was before its 0.2 migration, released in a new repository: the 0.2
/// folders removed, each LATEST.sql passed through `edit_latest` and stamped `version`, VERSION
/// `version`; `before_tag` runs on it, then it is committed and tagged `v<version>`. Then the
/// 0.2 migration and the 0.2.1 files are back in the working tree, unreleased, as in a pull
/// request.
pub fn released_before_0_2(
    version: &str,
    edit_latest: impl Fn(&str) -> String,
    before_tag: impl Fn(&Tree),
) -> Tree {
    let tree = Tree::new("minimal");
    let store = tree.store();
    let read = |relative: &str| std::fs::read(store.join(relative)).expect("fixture file");
    let current: Vec<(String, Vec<u8>)> = ["postgres", "sqlite"]
        .iter()
        .flat_map(|d| {
            [
                format!("migration/{d}/LATEST.sql"),
                format!("migration/{d}/0.2/00__memo_index.sql"),
            ]
        })
        .chain(["migration/VERSION".to_string()])
        .map(|p| {
            let bytes = read(&p);
            (p, bytes)
        })
        .collect();
    for dialect in ["postgres", "sqlite"] {
        tree.delete(&format!("migration/{dialect}/0.2"));
        let latest = format!("migration/{dialect}/LATEST.sql");
        let text = String::from_utf8(read(&latest)).expect("UTF-8");
        tree.write(
            &latest,
            edit_latest(&text).replace("0.2.1", version).as_bytes(),
        );
    }
    tree.write("migration/VERSION", format!("{version}\n").as_bytes());
    git(tree.dir.path(), &["init", "-q"]);
    before_tag(&tree);
    commit(&tree, version);
    git(tree.dir.path(), &["tag", &format!("v{version}")]);
    for (path, bytes) in current {
        tree.write(&path, &bytes);
    }
    tree
}

/// The replayed chains of a JSON report, as `dialect/name` and whether each applied.
pub fn replay_chains(output: &Output) -> Vec<(String, bool)> {
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    document["replay"]["chains"]
        .as_array()
        .expect("chains")
        .iter()
        .map(|c| {
            let name = format!(
                "{}/{}",
                c["dialect"].as_str().unwrap_or_default(),
                c["name"].as_str().unwrap_or_default()
            );
            (name, c["passed"] == true)
        })
        .collect()
}

/// Waits for `child` to exit, killing it (and failing) once `limit` has passed: a test that
/// waits on a process must end even when the process does not.
pub fn wait_with_deadline(
    child: &mut std::process::Child,
    limit: std::time::Duration,
) -> anyhow::Result<std::process::ExitStatus> {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!("the child did not exit within {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Makes a FIFO at `path`, in place of a file there.
pub fn mkfifo(path: &Path) {
    if path.exists() {
        std::fs::remove_file(path).expect("remove file");
    }
    let c_path = std::ffi::CString::new(path.to_str().expect("UTF-8 path")).expect("no NUL");
    // SAFETY: `c_path` is a valid NUL-terminated path that outlives the call.
    let made = unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) };
    assert_eq!(made, 0, "mkfifo {}", path.display());
}

/// Links `link` to `target`, in place of a file or folder there.
pub fn symlink(target: &Path, link: &Path) {
    if link.exists() {
        if link.is_dir() {
            std::fs::remove_dir_all(link).expect("remove folder");
        } else {
            std::fs::remove_file(link).expect("remove file");
        }
    }
    std::os::unix::fs::symlink(target, link).expect("symlink");
}

/// The private folders of this process (`validate-migrations-pg-<pid>-<random>`, under /dev/shm
/// or the temporary folder), where clusters and the restore drill's backups live; sorted.
pub fn private_dirs() -> Vec<PathBuf> {
    let prefix = format!("validate-migrations-pg-{}-", std::process::id());
    let mut dirs: Vec<PathBuf> = [PathBuf::from("/dev/shm"), std::env::temp_dir()]
        .iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flatten()
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().starts_with(&prefix))
        .map(|entry| entry.path())
        .collect();
    dirs.sort();
    dirs
}
