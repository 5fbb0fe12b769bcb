//! `cargo xtask`: the validate-migrations tool. Everything lives here, the command line too
//! (`cli`), so that tests and another repository's own xtask can call it; `main.rs` only hands
//! `cli::run` the arguments.
//!
//! Only the modules the command line and the tests use are public; the others are `pub(crate)`,
//! so that rustc reports what in them nothing uses.

pub mod accept;
pub(crate) mod allowlist;
pub mod bench;
pub mod cli;
pub mod codes;
pub mod config;
pub mod data;
pub mod diagnostic;
pub mod dialect;
pub mod engine;
pub(crate) mod git;
pub mod history;
pub(crate) mod input;
pub(crate) mod judge;
pub mod release;
pub mod render;
pub mod replay;
pub(crate) mod rules;
pub mod scaffold;
pub mod schema;
pub mod source;
pub mod sql;
pub mod store;
pub mod validate;

use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// The repository the tool works in: the nearest folder at or above the current directory that
/// holds `store/` and is a Cargo workspace's or a git repository's top. It is found at run time,
/// not where the binary was built, so that a copy of the binary checks the repository it runs in.
pub fn project_root() -> anyhow::Result<PathBuf> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    cwd.ancestors()
        .find(|dir| {
            dir.join("store").is_dir()
                && (dir.join("Cargo.toml").is_file() || dir.join(".git").exists())
        })
        .map(Path::to_path_buf)
        .with_context(|| {
            format!(
                "no store/ folder in {} or above it, in a Cargo workspace or git repository: run \
                 inside the repository that holds it, or name the store with --root DIR",
                cwd.display()
            )
        })
}

/// The top of the git repository that holds `path`, found by its `.git` entry (a folder, or a
/// file in a worktree) without running git; `None` outside a repository.
pub fn git_top(path: &Path) -> Option<PathBuf> {
    path.ancestors()
        .find(|dir| dir.join(".git").exists())
        .map(Path::to_path_buf)
}
