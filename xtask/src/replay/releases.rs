//! The upgrade chains: one per release tag at or above the minimum upgrade version, each
//! starting from the fresh-install script the tag shipped.

use anyhow::Context as _;

use super::chain::{Chain, Plan, Start};
use crate::codes::Code;
use crate::config::StampWriter;
use crate::diagnostic::Diagnostic;
use crate::dialect::Dialect;
use crate::git::releases::{History, Release, SkipReason, SkippedTag};
use crate::git::Object;
use crate::source::SourceFile;
use crate::sql::{Role, SqlFile};
use crate::store::Store;

/// Where one dialect's upgrade chains come from.
pub(super) struct Releases<'a> {
    pub store: &'a Store,
    pub history: &'a History,
    pub dialect: Dialect,
    /// The tag whose fresh-install schema is captured (`Options::capture_release`).
    pub capture: Option<&'a str>,
}

/// A release's fresh-install script as the tag has it: its path in the repository and bytes.
struct Shipped<'r> {
    release: &'r Release,
    path: String,
    bytes: Vec<u8>,
}

/// A chain per release tag at or above the minimum upgrade version, starting from the
/// fresh-install script the tag shipped: the first of the configured candidate paths
/// (`layout.latest-at-tags`, `{dir}` being the dialect's folder at the tag) that the tag has.
/// The tags without a chain go to `skipped_tags` with the reason.
pub(super) fn chains<'a>(
    releases: &Releases<'_>,
    plan: &Plan<'_>,
    out: &mut Vec<Diagnostic>,
    skipped_tags: &mut Vec<SkippedTag>,
) -> anyhow::Result<Vec<Chain<'a>>> {
    let dialect = releases.dialect;
    let Some((repository, tags)) = tags(releases, out) else {
        return Ok(Vec::new());
    };
    let tags = at_or_above_minimum(tags, plan, dialect, skipped_tags);
    let prefix = crate::history::store_prefix(&releases.store.root, repository)?;
    let found = shipped(releases, repository, &prefix, &tags, skipped_tags)?;
    let stamps = stamps(releases, repository, &prefix, &found)?;
    let mut chains = Vec::new();
    for (
        Shipped {
            release,
            path,
            bytes,
        },
        stamp,
    ) in found.into_iter().zip(stamps)
    {
        let display = format!("{}:{path}", release.tag);
        let text =
            String::from_utf8(bytes).with_context(|| format!("{display} is not UTF-8 text"))?;
        let source = SourceFile::new(repository.join(&path), display, text);
        chains.push(Chain::new(
            dialect,
            Start::Release {
                tag: release.tag.clone(),
                latest: std::sync::Arc::new(SqlFile::load(source, dialect, Role::Latest)),
                capture: releases.capture == Some(release.tag.as_str()),
                stamp,
            },
        ));
    }
    Ok(chains)
}

/// The repository and its release tags; `None` (with an `upgrade-chains-skipped` note saying
/// why) where there are none to replay from.
fn tags<'h>(
    releases: &Releases<'h>,
    out: &mut Vec<Diagnostic>,
) -> Option<(&'h std::path::Path, &'h [Release])> {
    let dialect = releases.dialect;
    let (repository, tags, shallow) = match releases.history {
        History::Tags {
            repository,
            releases,
            shallow,
            ..
        } => (repository, releases, *shallow),
        History::Unavailable(why) => {
            out.push(
                UpgradeChainsSkipped {
                    dialect,
                    why: format!("{why}, so there are no release tags"),
                }
                .into(),
            );
            return None;
        }
    };
    if tags.is_empty() {
        let why = if shallow {
            "this is a shallow clone without tags: in GitHub Actions, check out with `fetch-depth: 0`; elsewhere run `git fetch --tags --unshallow`".to_string()
        } else {
            format!(
                "the repository has no release tags {} yet",
                releases.store.config.releases.tag_pattern.describe()
            )
        };
        out.push(UpgradeChainsSkipped { dialect, why }.into());
        return None;
    }
    Some((repository.as_path(), tags.as_slice()))
}

/// The releases an upgrade may start from; those below the minimum upgrade version go to
/// `skipped_tags`.
fn at_or_above_minimum<'r>(
    tags: &'r [Release],
    plan: &Plan<'_>,
    dialect: Dialect,
    skipped_tags: &mut Vec<SkippedTag>,
) -> Vec<&'r Release> {
    let minimum = plan.rule.show(&plan.minimum_upgrade);
    tags.iter()
        .filter(|r| {
            let below = r.version < plan.minimum_upgrade;
            if below {
                skipped_tags.push(SkippedTag {
                    tag: r.tag.clone(),
                    dialect: Some(dialect),
                    reason: SkipReason::BelowMinimum {
                        minimum: minimum.clone(),
                    },
                });
            }
            !below
        })
        .collect()
}

/// Each release's fresh-install script: the first candidate path the tag has, read with one
/// `git cat-file --batch` for every release and candidate, not a process per tag. A release
/// without this dialect's script has no installations to upgrade: it goes to `skipped_tags`.
fn shipped<'r>(
    releases: &Releases<'_>,
    repository: &std::path::Path,
    prefix: &str,
    tags: &[&'r Release],
    skipped_tags: &mut Vec<SkippedTag>,
) -> anyhow::Result<Vec<Shipped<'r>>> {
    let layout = &releases.store.config.layout;
    // Per release, the candidate paths in the repository.
    let candidates: Vec<Vec<String>> = tags
        .iter()
        .map(|r| {
            layout
                .latest_at(releases.dialect, &r.version)
                .into_iter()
                .map(|path| format!("{prefix}{path}"))
                .collect()
        })
        .collect();
    let requests: Vec<String> = tags
        .iter()
        .zip(&candidates)
        .flat_map(|(r, paths)| paths.iter().map(move |c| format!("{}:{c}", r.tag)))
        .collect();
    let mut objects = crate::git::read(repository, &requests)?.into_iter();
    let mut found = Vec::new();
    for (release, paths) in tags.iter().zip(&candidates) {
        let shipped: Vec<(usize, Object)> = paths
            .iter()
            .enumerate()
            .filter_map(|(index, _)| Some((index, objects.next()?)))
            .collect();
        let Some((index, bytes)) = shipped
            .into_iter()
            .find_map(|(index, object)| match object {
                Object::Blob(bytes) => Some((index, bytes)),
                _ => None,
            })
        else {
            skipped_tags.push(SkippedTag {
                tag: release.tag.clone(),
                dialect: Some(releases.dialect),
                reason: SkipReason::NoScript {
                    candidates: paths.clone(),
                },
            });
            continue;
        };
        found.push(Shipped {
            release,
            path: paths[index].clone(),
            bytes,
        });
    }
    Ok(found)
}

/// Where the service writes the stamp, the version it wrote after installing each release (the
/// schema version its migrations folder had at the tag, else the tag's version); `None` each
/// where the script writes it.
fn stamps(
    releases: &Releases<'_>,
    repository: &std::path::Path,
    prefix: &str,
    found: &[Shipped<'_>],
) -> anyhow::Result<Vec<Option<semver::Version>>> {
    let layout = &releases.store.config.layout;
    match releases.store.config.stamp.written_by {
        StampWriter::Latest => Ok(vec![None; found.len()]),
        StampWriter::Service => {
            let scripts: Vec<(&str, &str, String)> = found
                .iter()
                .map(|shipped| {
                    let version = &shipped.release.version;
                    let dir = format!("{prefix}{}", layout.dir_at(releases.dialect, version));
                    (shipped.release.tag.as_str(), shipped.path.as_str(), dir)
                })
                .collect();
            Ok(
                crate::history::released::schema_versions(repository, &scripts, layout.versions)?
                    .into_iter()
                    .zip(found)
                    .map(|(version, shipped)| {
                        Some(version.unwrap_or_else(|| shipped.release.version.clone()))
                    })
                    .collect(),
            )
        }
    }
}

/// A dialect's upgrade chains left out, and why (no tags, a shallow clone): as data, worded by
/// `From<UpgradeChainsSkipped> for Diagnostic`.
struct UpgradeChainsSkipped {
    dialect: Dialect,
    why: String,
}

impl From<UpgradeChainsSkipped> for Diagnostic {
    fn from(skipped: UpgradeChainsSkipped) -> Diagnostic {
        Diagnostic::new(
            Code::UpgradeChainsSkipped,
            format!(
                "{}: upgrade chains from released versions were not replayed: {}",
                skipped.dialect.engine(),
                skipped.why
            ),
        )
    }
}
