//! Released history from git: the release tags of the repository that holds the store (those
//! matching the configured pattern, `v*` by default, reachable from HEAD), and every tag that
//! was passed over, with the reason, so that nothing is skipped silently.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use xshell::{cmd, Shell};

use crate::config::history::Releases;
use crate::dialect::Dialect;

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
        /// Tags matching the pattern that are not releases of this history.
        skipped: Vec<SkippedTag>,
    },
    /// The store is not in a git repository, or git is not installed.
    Unavailable(String),
}

impl History {
    /// The tags passed over while reading them (not those the replay passes over).
    pub fn skipped(&self) -> &[SkippedTag] {
        match self {
            History::Tags { skipped, .. } => skipped,
            History::Unavailable(_) => &[],
        }
    }
}

/// A tag that matches the release pattern but was not used, for the summary and the JSON
/// document: by the history check and every chain (`dialect` absent), or by one dialect's
/// upgrade chain.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SkippedTag {
    pub tag: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dialect: Option<Dialect>,
    #[serde(flatten)]
    pub reason: SkipReason,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum SkipReason {
    /// What stands where the pattern has `*` is no semver version.
    NotAVersion,
    /// The tag is on a branch HEAD does not contain: not a release of this history.
    NotMerged,
    /// `-rc.1` and the like, unless `history.pre-releases` is on.
    PreRelease,
    /// The service refuses to upgrade from it, so no chain starts there.
    BelowMinimum { minimum: String },
    /// The tag has none of the candidate paths of the dialect's fresh-install script: it has no
    /// installations of that dialect to upgrade.
    NoScript { candidates: Vec<String> },
}

impl SkipReason {
    /// A short phrase for the summary, without the tags.
    pub fn phrase(&self) -> String {
        match self {
            SkipReason::NotAVersion => "no X.Y.Z version where the pattern has `*`".into(),
            SkipReason::NotMerged => "not merged into HEAD".into(),
            SkipReason::PreRelease => {
                "pre-release (set history.pre-releases = true to count them)".into()
            }
            SkipReason::BelowMinimum { minimum } => {
                format!("below the minimum upgrade version {minimum}: no upgrade chain")
            }
            SkipReason::NoScript { candidates } => format!(
                "no fresh-install script at the tag (looked for {}): no upgrade chain",
                candidates.join(", ")
            ),
        }
    }
}

pub fn read(store_root: &Path, settings: &Releases) -> History {
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
    let glob = settings.tag_pattern.glob();
    let tags = cmd!(sh, "git tag --list {glob}")
        .quiet()
        .ignore_stderr()
        .read()
        .unwrap_or_default();
    // Without a commit at HEAD nothing is merged into it; every tag is then another history's.
    let merged: BTreeSet<String> = cmd!(sh, "git tag --merged HEAD --list {glob}")
        .quiet()
        .ignore_stderr()
        .read()
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    let (releases, skipped) = classify(tags.lines(), &merged, settings);
    History::Tags {
        repository,
        releases,
        shallow,
        skipped,
    }
}

/// Splits the tags that match the pattern into releases (oldest first) and skipped tags.
fn classify<'a>(
    tags: impl Iterator<Item = &'a str>,
    merged: &BTreeSet<String>,
    settings: &Releases,
) -> (Vec<Release>, Vec<SkippedTag>) {
    let mut releases = Vec::new();
    let mut skipped = Vec::new();
    let mut skip = |tag: &str, reason| {
        skipped.push(SkippedTag {
            tag: tag.to_string(),
            dialect: None,
            reason,
        });
    };
    for tag in tags {
        let version = settings
            .tag_pattern
            .version_text(tag)
            .and_then(|text| semver::Version::parse(text).ok());
        match version {
            None => skip(tag, SkipReason::NotAVersion),
            Some(_) if !merged.contains(tag) => skip(tag, SkipReason::NotMerged),
            Some(version) if !version.pre.is_empty() && !settings.pre_releases => {
                skip(tag, SkipReason::PreRelease);
            }
            Some(version) => releases.push(Release {
                tag: tag.to_string(),
                version,
            }),
        }
    }
    releases.sort_by(|a, b| a.version.cmp(&b.version));
    (releases, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::history::TagPattern;

    #[test]
    fn tags_are_releases_of_this_history_or_skipped_with_a_reason() {
        let tags = [
            "v0.2.0",
            "v0.10.0",
            "v1.0.0-rc.1",
            "v0.3.0",
            "vnext",
            "v0.9.0",
        ];
        let merged: BTreeSet<String> = ["v0.2.0", "v0.10.0", "v1.0.0-rc.1", "vnext", "v0.3.0"]
            .iter()
            .map(|t| t.to_string())
            .collect();
        let (releases, skipped) = classify(tags.into_iter(), &merged, &Releases::default());
        let names: Vec<&str> = releases.iter().map(|r| r.tag.as_str()).collect();
        assert_eq!(names, ["v0.2.0", "v0.3.0", "v0.10.0"]);
        let skipped: Vec<(&str, SkipReason)> = skipped
            .iter()
            .map(|s| (s.tag.as_str(), s.reason.clone()))
            .collect();
        assert_eq!(
            skipped,
            [
                ("v1.0.0-rc.1", SkipReason::PreRelease),
                ("vnext", SkipReason::NotAVersion),
                ("v0.9.0", SkipReason::NotMerged),
            ]
        );

        let with_pre = Releases {
            tag_pattern: TagPattern::parse("v*").expect("valid"),
            pre_releases: true,
        };
        let (releases, _) = classify(tags.into_iter(), &merged, &with_pre);
        assert_eq!(releases.last().map(|r| r.tag.as_str()), Some("v1.0.0-rc.1"));
    }
}
