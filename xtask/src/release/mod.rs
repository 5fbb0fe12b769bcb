//! `release-check X.Y.Z`: whether the working tree can be released as version X.Y.Z, and what
//! changed in the schema since the previous release.
//!
//! The release gates (the shipped version, a version newer than every release, a tag that does
//! not exist yet, nothing uncommitted under the store) become diagnostics of their own codes and
//! join the full validation's, so that one run shows every problem. The previous release's
//! fresh-install schema is captured by the replay in that release's upgrade chain, right after
//! its `LATEST.sql` ran, so the notes need no second replay and no second server.

pub mod notes;
pub mod render;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use xshell::{cmd, Shell};

use crate::codes::Code;
use crate::diagnostic::{self, Diagnostic, Span};
use crate::git::releases::History;
use crate::replay;
use crate::validate;

#[derive(Clone, Debug)]
pub struct Options {
    /// The store's folder: by convention the one that holds `migration/` (and `seed/`).
    pub root: PathBuf,
    /// The configuration file (`--config`); `None` reads the store's own, if any.
    pub config: Option<PathBuf>,
    /// The version to release as given on the command line: `X.Y.Z`, or `vX.Y.Z`.
    pub version: String,
    /// How to replay the chains; `capture_release` is set by the check itself.
    pub replay: replay::Options,
}

/// The version being released.
#[derive(Clone, Debug)]
pub struct Release {
    pub version: semver::Version,
    /// `vX.Y.Z`, the tag the release will get.
    pub tag: String,
    /// Whether the argument was given as `vX.Y.Z`, so that the report can say how it was read.
    pub given_as_tag: bool,
}

/// A release tag that already exists.
#[derive(Clone, Debug)]
pub struct Previous {
    pub tag: String,
    pub version: semver::Version,
}

/// Everything a release check found, ready to render.
#[derive(Debug)]
pub struct ReleaseOutcome {
    pub release: Release,
    /// The highest release below this one; `None` for a first release.
    pub previous: Option<Previous>,
    /// The validation, with the release gates' diagnostics among its own.
    pub validation: validate::Outcome,
    /// The schema changes since the previous release, as release-note markdown.
    pub notes: String,
}

impl ReleaseOutcome {
    /// Ready means no errors: warnings and notes do not stop a release.
    pub fn is_ready(&self) -> bool {
        self.problems() == 0
    }

    pub fn problems(&self) -> usize {
        self.validation.counts().errors
    }

    /// `release v0.3.0: ready`, or `release v0.3.0: not ready: 2 problems`.
    pub fn verdict(&self) -> String {
        let tag = &self.release.tag;
        match self.problems() {
            0 => format!("release {tag}: ready"),
            1 => format!("release {tag}: not ready: 1 problem"),
            n => format!("release {tag}: not ready: {n} problems"),
        }
    }
}

/// Reads the version argument: `X.Y.Z` or `vX.Y.Z`, without a pre-release or build part, since
/// schema versions and release tags are plain versions.
pub fn parse_version(text: &str) -> anyhow::Result<Release> {
    let trimmed = text.trim();
    let (number, given_as_tag) = match trimmed.strip_prefix('v') {
        Some(number) => (number, true),
        None => (trimmed, false),
    };
    let version = semver::Version::parse(number)
        .with_context(|| format!("`{text}` is not a release version X.Y.Z (e.g. 0.3.0)"))?;
    if !version.pre.is_empty() || !version.build.is_empty() {
        bail!(
            "`{text}` has a pre-release or build part; releases and schema versions are plain \
             X.Y.Z"
        );
    }
    Ok(Release {
        tag: format!("v{version}"),
        version,
        given_as_tag,
    })
}

pub fn check(options: &Options) -> anyhow::Result<ReleaseOutcome> {
    let mut release = parse_version(&options.version)?;
    let root = options
        .root
        .canonicalize()
        .with_context(|| format!("cannot open the store at {}", options.root.display()))?;
    // The tag pattern decides which tags are releases and what the new tag is called.
    let config = crate::config::Config::load(&root, options.config.as_deref(), |path| {
        path.display().to_string()
    })?;
    release.tag = config.releases.tag_pattern.tag_of(&release.version);
    let (repository, releases, tag_exists) = released_history(&root, &config, &release)?;
    // Releases come oldest first.
    let previous = releases
        .iter()
        .rev()
        .find(|r| r.version < release.version)
        .map(|r| Previous {
            tag: r.tag.clone(),
            version: r.version.clone(),
        });

    let replay_options = replay::Options {
        capture_release: previous.as_ref().map(|p| p.tag.clone()),
        ..options.replay.clone()
    };
    let mut validation = validate::run(&validate::Options {
        root: root.clone(),
        config: options.config.clone(),
        dialects: Vec::new(),
        replay: Some(replay_options),
        // The tree's baseline and severity settings count for a release as for any run.
        accept: Default::default(),
    })?;
    let minimum_upgrade = validation.minimum_upgrade.clone();

    let gates = gates(
        &validation,
        &release,
        &releases,
        tag_exists,
        &repository,
        &root,
    )?;
    validation.diagnostics.extend(gates);
    diagnostic::sort(&mut validation.diagnostics);

    let baseline = match &previous {
        Some(previous) => notes::Baseline::Release(previous),
        None if releases.is_empty() => notes::Baseline::FirstRelease,
        None => notes::Baseline::NoEarlierRelease,
    };
    let notes = notes::render(&notes::Input {
        tag: &release.tag,
        baseline,
        dialects: &validation.dialects,
        replay: validation.replay.as_ref(),
        minimum_upgrade: &minimum_upgrade,
    });
    Ok(ReleaseOutcome {
        release,
        previous,
        validation,
        notes,
    })
}

/// The repository, its releases (oldest first) and whether a tag of the release's name exists,
/// from a history that release-check can trust: a repository, and no shallow clone.
fn released_history(
    root: &Path,
    config: &crate::config::Config,
    release: &Release,
) -> anyhow::Result<(PathBuf, Vec<crate::git::releases::Release>, bool)> {
    let history = crate::git::releases::read(root, &config.releases);
    // A tag of the release's name that is no release of this history still exists.
    let tag_exists = history.skipped().iter().any(|s| s.tag == release.tag);
    match history {
        History::Unavailable(why) => bail!(
            "{why}: release-check reads the release tags and the uncommitted changes of the \
             repository that holds the store ({})",
            root.display()
        ),
        History::Tags { shallow: true, .. } => bail!(
            "the repository is a shallow clone, whose release tags and history may be \
             incomplete: run `git fetch --tags --unshallow` (in GitHub Actions, check out with \
             `fetch-depth: 0`)"
        ),
        History::Tags {
            repository,
            releases,
            ..
        } => Ok((repository, releases, tag_exists)),
    }
}

/// A release gate that fails, as data: `gates` collects them, `From<GateFailure> for
/// Diagnostic` words each. `version_file` is the file the store's version comes from (`None`
/// where it is the highest migration), which says how to set the version.
enum GateFailure<'a> {
    /// The store ships another schema version than the release's; `file` is the version file
    /// as shown, with the width of its first line, where the validation read it.
    VersionMismatch {
        shipped: &'a semver::Version,
        release: &'a semver::Version,
        version_file: Option<&'a str>,
        file: Option<(String, u32)>,
    },
    /// The release is not newer than the latest one.
    NotNewer {
        latest_tag: &'a str,
        latest: &'a semver::Version,
        release: &'a semver::Version,
        version_file: Option<&'a str>,
    },
    /// The release's tag exists already.
    TagExists {
        tag: &'a str,
        release: &'a semver::Version,
    },
    /// Files under the store (`store`, a `git status` pathspec) differ from the last commit.
    Uncommitted {
        store: String,
        changes: Vec<UncommittedFile>,
    },
}

impl From<GateFailure<'_>> for Diagnostic {
    fn from(gate: GateFailure<'_>) -> Diagnostic {
        match gate {
            GateFailure::VersionMismatch {
                shipped,
                release,
                version_file,
                file,
            } => {
                let diagnostic = Diagnostic::new(
                    Code::ReleaseVersionMismatch,
                    format!(
                        "the store ships schema version {shipped}, but the release is {release}"
                    ),
                )
                .help(format!(
                    "to release {release}, {} (with the migrations that reach it); or check the \
                     version the store ships, {shipped}",
                    set_version(version_file, &release.to_string())
                ));
                match file {
                    Some((file, width)) => diagnostic.file(file).span(Span::on_line(1, 1, width)),
                    None => diagnostic,
                }
            }
            GateFailure::NotNewer {
                latest_tag,
                latest,
                release,
                version_file,
            } => Diagnostic::new(
                Code::ReleaseNotNewer,
                format!("{latest_tag} is already released, and {release} is not newer than it"),
            )
            .help(format!(
                "release a version above {latest}: put the schema changes in migrations newer \
                 than it and {}",
                set_version(version_file, "that version")
            )),
            GateFailure::TagExists { tag, release } => Diagnostic::new(
                Code::ReleaseTagExists,
                format!("tag {tag} already exists: version {release} has been released"),
            )
            .help(format!(
                "release the next version; if {tag} was made by mistake and never pushed, delete \
                 it with `git tag -d {tag}`"
            )),
            GateFailure::Uncommitted { store, changes } => Diagnostic::new(
                Code::ReleaseUncommittedChanges,
                uncommitted_message(&store, &changes),
            )
            .help(format!(
                "commit or stash them (`git status -- {store}`): the release is the tree as \
                 committed, which is what the tag will point at"
            )),
        }
    }
}

/// Every release gate that fails, as a diagnostic of its own code.
fn gates(
    validation: &validate::Outcome,
    release: &Release,
    releases: &[crate::git::releases::Release],
    tag_exists: bool,
    repository: &Path,
    root: &Path,
) -> anyhow::Result<Vec<Diagnostic>> {
    let mut gates = Vec::new();
    let version_file = validation.version_file.as_deref();
    if let Some(gate) = version_mismatch(validation, release) {
        gates.push(gate.into());
    }
    if let Some(latest) = releases.last().filter(|l| l.version > release.version) {
        gates.push(
            GateFailure::NotNewer {
                latest_tag: &latest.tag,
                latest: &latest.version,
                release: &release.version,
                version_file,
            }
            .into(),
        );
    }
    if tag_exists || releases.iter().any(|r| r.tag == release.tag) {
        gates.push(
            GateFailure::TagExists {
                tag: &release.tag,
                release: &release.version,
            }
            .into(),
        );
    }
    let changes = uncommitted_changes(repository, root)?;
    if !changes.is_empty() {
        gates.push(
            GateFailure::Uncommitted {
                store: store_pathspec(repository, root),
                changes,
            }
            .into(),
        );
    }
    Ok(gates)
}

/// The store must ship the version being released. It is read from the validation's outcome,
/// which knows where the shipped version comes from; where the store has no valid version at
/// all, the validation has reported that already.
fn version_mismatch<'a>(
    validation: &'a validate::Outcome,
    release: &'a Release,
) -> Option<GateFailure<'a>> {
    let shipped = validation.shipped_version.as_ref()?;
    if *shipped == release.version {
        return None;
    }
    let file = validation
        .version_file
        .as_ref()
        .and_then(|file| validation.sources.get(file))
        .map(|source| {
            let width = source.line(1).map_or(0, |l| l.trim_end().chars().count());
            (source.display.clone(), width as u32)
        });
    Some(GateFailure::VersionMismatch {
        shipped,
        release: &release.version,
        version_file: validation.version_file.as_deref(),
        file,
    })
}

/// What to change for the store to ship `version`: the version file and the stamps, or (where
/// the target is the highest migration) the migrations.
fn set_version(version_file: Option<&str>, version: &str) -> String {
    match version_file {
        Some(file) => format!("set {file} and the stamp in each fresh-install script to {version}"),
        None => format!("make {version} the highest migration (and the version any fresh-install script stamps)"),
    }
}

/// One changed or untracked file under the store, as `git status` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct UncommittedFile {
    /// The path relative to the repository.
    path: String,
    /// `modified`, `untracked`, `deleted`, ...
    state: &'static str,
}

/// Every file under the store that differs from the last commit, untracked files included (a
/// new migration nobody added is the likeliest to be forgotten). Ignored files do not count.
fn uncommitted_changes(repository: &Path, root: &Path) -> anyhow::Result<Vec<UncommittedFile>> {
    let sh = Shell::new().context("cannot run git")?;
    sh.change_dir(repository);
    let output = cmd!(sh, "git status --porcelain --untracked-files=all -- {root}")
        .quiet()
        .read()
        .with_context(|| {
            format!(
                "cannot read the uncommitted changes under {}",
                root.display()
            )
        })?;
    Ok(output.lines().filter_map(parse_status_line).collect())
}

/// A line of `git status --porcelain`: two status letters (index, work tree), a space, and the
/// path relative to the repository (`old -> new` for a rename).
fn parse_status_line(line: &str) -> Option<UncommittedFile> {
    let status = line.get(..2)?;
    let path = line.get(3..)?.to_string();
    let state = match status {
        "??" => "untracked",
        _ if status.contains('U') || status == "AA" || status == "DD" => "unmerged",
        _ => match status.trim_start().chars().next() {
            Some('M') => "modified",
            Some('A') => "added, not committed",
            Some('D') => "deleted",
            Some('R') => "renamed",
            Some('C') => "copied",
            Some('T') => "type changed",
            _ => "changed",
        },
    };
    Some(UncommittedFile { path, state })
}

/// How many uncommitted files a message names before it only counts the rest.
const LISTED_CHANGES: usize = 10;

fn uncommitted_message(store: &str, changes: &[UncommittedFile]) -> String {
    let listed: Vec<String> = changes
        .iter()
        .take(LISTED_CHANGES)
        .map(|c| format!("{} ({})", c.path, c.state))
        .collect();
    let mut message = format!(
        "{} under {store} {} uncommitted: {}",
        match changes.len() {
            1 => "1 file".to_string(),
            n => format!("{n} files"),
        },
        if changes.len() == 1 { "is" } else { "are" },
        listed.join(", ")
    );
    if changes.len() > LISTED_CHANGES {
        message.push_str(&format!(", and {} more", changes.len() - LISTED_CHANGES));
    }
    message
}

/// The store's folder relative to the repository, as a `git status` pathspec: `store/`.
fn store_pathspec(repository: &Path, root: &Path) -> String {
    let repository = repository
        .canonicalize()
        .unwrap_or_else(|_| repository.to_path_buf());
    match root.strip_prefix(&repository) {
        Ok(relative) if relative.as_os_str().is_empty() => ".".to_string(),
        Ok(relative) => format!("{}/", relative.to_string_lossy().replace('\\', "/")),
        Err(_) => root.display().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_plain_and_may_be_given_as_tags() {
        let release = parse_version("v0.3.0").expect("a tag is accepted");
        assert_eq!(release.version, semver::Version::new(0, 3, 0));
        assert_eq!(release.tag, "v0.3.0");
        assert!(release.given_as_tag);
        assert!(!parse_version("0.3.0").expect("plain").given_as_tag);
        for wrong in ["0.3", "latest", "v", "0.3.0-rc.1", "0.3.0+build", "V0.3.0"] {
            assert!(parse_version(wrong).is_err(), "{wrong}");
        }
    }

    #[test]
    fn status_lines_name_the_file_and_its_state() {
        let parsed: Vec<UncommittedFile> = [
            " M store/migration/VERSION",
            "?? store/migration/postgres/0.3/00__x.sql",
            "D  store/seed/sqlite/01__demo.sql",
            "R  store/a.sql -> store/b.sql",
            "UU store/migration/VERSION",
        ]
        .iter()
        .filter_map(|line| parse_status_line(line))
        .collect();
        let states: Vec<&str> = parsed.iter().map(|c| c.state).collect();
        assert_eq!(
            states,
            ["modified", "untracked", "deleted", "renamed", "unmerged"]
        );
        assert_eq!(parsed[3].path, "store/a.sql -> store/b.sql");
    }

    #[test]
    fn a_long_list_of_changes_is_cut_after_ten() {
        let changes: Vec<UncommittedFile> = (0..13)
            .map(|i| UncommittedFile {
                path: format!("store/f{i:02}.sql"),
                state: "untracked",
            })
            .collect();
        let message = uncommitted_message("store/", &changes);
        assert!(message.starts_with("13 files under store/ are uncommitted: "));
        assert!(message.contains("store/f09.sql (untracked)"));
        assert!(!message.contains("store/f10.sql"));
        assert!(message.ends_with(", and 3 more"));
        let one = uncommitted_message("store/", &changes[..1]);
        assert_eq!(
            one,
            "1 file under store/ is uncommitted: store/f00.sql (untracked)"
        );
    }
}
