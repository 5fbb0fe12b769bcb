//! Released history from git: the release tags `vX.Y.Z` of the repository that holds the store,
//! and the `LATEST.sql` each of them shipped.

use std::path::{Path, PathBuf};

use xshell::{cmd, Shell};

/// A release tag and the version it names.
pub struct Release {
    pub tag: String,
    pub version: semver::Version,
}

/// What the repository could tell about releases.
pub enum History {
    /// The repository and its release tags (possibly none), oldest first.
    Tags {
        repository: PathBuf,
        releases: Vec<Release>,
        shallow: bool,
    },
    /// The store is not in a git repository, or git is not installed.
    Unavailable(String),
}

pub fn read(store_root: &Path) -> History {
    let sh = match Shell::new() {
        Ok(sh) => sh,
        Err(e) => return History::Unavailable(format!("cannot run git ({e})")),
    };
    sh.change_dir(store_root);
    let repository = match cmd!(sh, "git rev-parse --show-toplevel")
        .quiet()
        .ignore_stderr()
        .read()
    {
        Ok(path) => PathBuf::from(path),
        Err(_) => return History::Unavailable("the store is not in a git repository".into()),
    };
    let shallow = cmd!(sh, "git rev-parse --is-shallow-repository")
        .quiet()
        .ignore_stderr()
        .read()
        .is_ok_and(|answer| answer == "true");
    let tags = cmd!(sh, "git tag --list v*")
        .quiet()
        .ignore_stderr()
        .read()
        .unwrap_or_default();
    let mut releases: Vec<Release> = tags
        .lines()
        .filter_map(|tag| {
            let version = semver::Version::parse(tag.strip_prefix('v')?).ok()?;
            version.pre.is_empty().then(|| Release {
                tag: tag.to_string(),
                version,
            })
        })
        .collect();
    releases.sort_by(|a, b| a.version.cmp(&b.version));
    History::Tags {
        repository,
        releases,
        shallow,
    }
}
