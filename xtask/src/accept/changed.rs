//! `--changed-since REF`: in a pull request, the static findings of the files it touches only.
//! The files are those git reports as changed between REF and the working tree (`git diff
//! --name-only REF`, which covers commits, staged and unstaged changes, and deletions) and the
//! untracked ones, under the store. The replay still runs every chain: what a change breaks
//! shows in chains, wherever the broken file is, so replay findings are always kept, as are
//! findings of the tree as a whole (without a file).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use xshell::{cmd, Shell};

use crate::diagnostic::Diagnostic;
use crate::store::Store;

/// The files changed since a reference, as diagnostics show paths.
#[derive(Debug)]
pub struct Changed {
    files: BTreeSet<String>,
}

impl Changed {
    /// Asks git which files under the store changed since `reference`. A store outside git or a
    /// reference git does not know stops the run: a filter that silently keeps nothing (or
    /// everything) would mislead.
    pub fn since(store: &Store, reference: &str) -> anyhow::Result<Changed> {
        let sh = Shell::new().context("cannot run git")?;
        sh.change_dir(&store.root);
        let top = cmd!(sh, "git rev-parse --show-toplevel")
            .quiet()
            .ignore_stderr()
            .read()
            .map_err(|_| {
                anyhow::anyhow!(
                    "--changed-since {reference}: the store {} is not in a git repository",
                    store.root.display()
                )
            })?;
        let top = PathBuf::from(top);
        let top = top.canonicalize().unwrap_or(top);
        let commit = format!("{reference}^{{commit}}");
        if cmd!(sh, "git rev-parse --verify --quiet {commit}")
            .quiet()
            .ignore_stdout()
            .ignore_stderr()
            .run()
            .is_err()
        {
            bail!(
                "--changed-since {reference}: git knows no commit `{reference}` (a branch, tag or \
                 commit; in CI, fetch it first, e.g. `git fetch origin main` and \
                 `--changed-since origin/main`)"
            );
        }
        let root = store.root.as_path();
        let diff = cmd!(sh, "git diff --name-only -z {reference} -- {root}")
            .quiet()
            .ignore_stderr()
            .read()
            .with_context(|| format!("--changed-since {reference}: git diff failed"))?;
        let untracked = cmd!(
            sh,
            "git ls-files --others --exclude-standard --full-name -z -- {root}"
        )
        .quiet()
        .ignore_stderr()
        .read()
        .with_context(|| format!("--changed-since {reference}: git ls-files failed"))?;
        let files = diff
            .split('\0')
            .chain(untracked.split('\0'))
            .filter(|name| !name.is_empty())
            .map(|name| store.display(&top.join(Path::new(name))))
            .collect();
        Ok(Changed { files })
    }

    /// Whether a diagnostic is reported: a replay finding, a finding without a file, or one in
    /// a changed file or a folder that holds one.
    pub fn keeps(&self, diagnostic: &Diagnostic) -> bool {
        let replay = !diagnostic.chains.is_empty() || super::of_the_replay(diagnostic.code);
        replay
            || diagnostic.file.as_ref().is_none_or(|file| {
                // A finding about a folder (a version folder's sequence) belongs to the files
                // in it.
                let folder = format!("{file}/");
                self.files.contains(file) || self.files.iter().any(|f| f.starts_with(&folder))
            })
    }
}
