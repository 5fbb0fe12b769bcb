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

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Replaces what changes from run to run or machine to machine (the time taken, the engines'
/// versions and the cluster's temporary folder) so that output can be snapshotted.
pub fn stable(text: &str) -> String {
    let time = regex::Regex::new(r"in \d+\.\d+s").expect("valid regex");
    let millis = regex::Regex::new(r#""elapsed_ms": \d+"#).expect("valid regex");
    let engine = regex::Regex::new(r"(?m)^engine: (PostgreSQL|SQLite) .*$").expect("valid regex");
    let text = time.replace_all(text, "in [time]");
    let text = engine.replace_all(&text, "engine: $1 [version]");
    millis
        .replace_all(&text, r#""elapsed_ms": "[time]""#)
        .into_owned()
}
