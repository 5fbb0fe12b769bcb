//! The layout of a tree (`[layout]`, and the `[version]` keys that say how versions are read
//! and where the shipped one comes from): the types, and their reading from the file.

use regex::Regex;
use serde::Deserialize;

use super::history::{self, DirsAtTags, LatestAtTags};
use super::problems::Problems;
use super::raw::{RawLayout, RawVersion};
use super::{path, relative, Config};
use crate::dialect::Dialect;

#[derive(Debug)]
pub struct Layout {
    /// Each dialect's migration folder, relative to the store; a dialect that is absent here is
    /// not part of the tree.
    pub dialects: Vec<(Dialect, String)>,
    pub versions: VersionRule,
    /// Whether the service reads a `MAJOR.MINOR` version (`0.52`, in the version file or a
    /// stamp) as `MAJOR.MINOR.0` (`version.two-part`).
    pub two_part: bool,
    /// The name every migration file must have (the naming check).
    pub file_pattern: Regex,
    /// The name every version folder must have (the `store` rule only).
    pub folder_pattern: Regex,
    /// Whether the patterns are the store convention's, which have explanations of every known
    /// wrong form.
    pub conventional_names: bool,
    /// Whether the whole layout is the store convention's, whose messages can name its folders.
    pub conventional: bool,
    /// The fresh-install script, with placeholders.
    pub latest: String,
    /// Where the fresh-install script lay at release tags, tried in order, per dialect.
    pub latest_at_tags: LatestAtTags,
    /// Each dialect's migration folder at older releases, sorted by `until`.
    pub dirs_at_tags: Vec<DirsAtTags>,
    /// The seed folder of a dialect, with placeholders.
    pub seeds: String,
    /// The folder of a dialect's data tests (`<X.Y.Z>/NN__name.sql` below it), with
    /// placeholders.
    pub tests: String,
    /// Paths the tool neither reads nor reports (another dialect's folder, notes).
    pub ignore: Vec<String>,
    /// The file that holds the target version, where `target` is `VersionFile`.
    pub version_file: String,
}

/// How a migration's version follows from its path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VersionRule {
    /// `MAJOR.MINOR/NN__description.sql` is version `MAJOR.MINOR.(NN+1)`.
    Store,
    /// `V<semver>__description.sql` directly in the dialect folder: `V1.2.0__x.sql` is 1.2.0;
    /// `V1_2__x.sql` and `V1.2__x.sql` are 1.2.0 too.
    FlatSemver,
    /// `<N>_description.sql` directly in the dialect folder: version N.
    Integer,
    /// `<YYYYMMDDHHMMSS>_description.sql` directly in the dialect folder: the timestamp as a
    /// number.
    Timestamp,
}

impl VersionRule {
    /// Whether migrations sit in version folders rather than directly in the dialect folder.
    pub fn has_folders(self) -> bool {
        self == VersionRule::Store
    }

    /// Whether versions are plain numbers, held as `N.0.0`.
    pub(super) fn is_numeric(self) -> bool {
        matches!(self, VersionRule::Integer | VersionRule::Timestamp)
    }

    /// The version of a file directly in the dialect folder (the flat rules), as the service
    /// reads its name; `None` where it cannot read one.
    pub fn flat_version(self, name: &str) -> Option<semver::Version> {
        match self {
            VersionRule::Store => None,
            VersionRule::FlatSemver => {
                let (prefix, _) = name.split_once("__")?;
                let numbers = prefix.strip_prefix(['V', 'v'])?;
                let parts: Vec<u64> = numbers
                    .split(['.', '_'])
                    .map(|p| p.parse().ok())
                    .collect::<Option<_>>()?;
                match parts[..] {
                    [major] => Some(semver::Version::new(major, 0, 0)),
                    [major, minor] => Some(semver::Version::new(major, minor, 0)),
                    [major, minor, patch] => Some(semver::Version::new(major, minor, patch)),
                    _ => None,
                }
            }
            VersionRule::Integer | VersionRule::Timestamp => {
                let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
                if digits.is_empty() || !name[digits.len()..].starts_with('_') {
                    return None;
                }
                Some(semver::Version::new(digits.parse().ok()?, 0, 0))
            }
        }
    }

    /// A version as the tree writes it: `0.3.1`, or `42` under the numeric rules.
    pub fn show(self, version: &semver::Version) -> String {
        if self.is_numeric() {
            version.major.to_string()
        } else {
            version.to_string()
        }
    }

    /// Reads a version as the tree writes it (a stamp, a `VERSION` file). The error says what
    /// is wrong with the text, to follow it: "`0.x` is not a X.Y.Z version (...)".
    pub fn parse(self, text: &str) -> Result<semver::Version, String> {
        self.parse_with(text, false)
    }

    /// `parse`, where `two_part` (`version.two-part`) also accepts `MAJOR.MINOR` as
    /// `MAJOR.MINOR.0`, as a service that reads `0.52` as `0.52.0` does. The numeric rules have
    /// no minor part, so the flag changes nothing there.
    pub fn parse_with(self, text: &str, two_part: bool) -> Result<semver::Version, String> {
        if two_part && !self.is_numeric() {
            if let Some(version) = two_part_version(text) {
                return Ok(version);
            }
        }
        if self.is_numeric() {
            return text
                .parse()
                .map(|n| semver::Version::new(n, 0, 0))
                .map_err(|_| "is not a number".to_string());
        }
        match semver::Version::parse(text) {
            Ok(version) if version.pre.is_empty() && version.build.is_empty() => Ok(version),
            Ok(_) => {
                Err("has a pre-release or build part; schema versions are plain X.Y.Z".to_string())
            }
            Err(e) if two_part_version(text).is_some() => Err(format!(
                "is not a X.Y.Z version ({e}); where the service reads `{text}` as `{text}.0`, set `two-part = true` under [version] in the configuration"
            )),
            Err(e) => Err(format!("is not a X.Y.Z version ({e})")),
        }
    }

    pub(super) fn default_file_pattern(self) -> &'static str {
        match self {
            VersionRule::Store => r"^[0-9]{2}__[a-z0-9_]+\.sql$",
            VersionRule::FlatSemver => r"^V[0-9]+(\.[0-9]+){0,2}__[a-z0-9_]+\.sql$",
            VersionRule::Integer => r"^[0-9]+_[a-z0-9_]+\.sql$",
            VersionRule::Timestamp => r"^[0-9]{14}_[a-z0-9_]+\.sql$",
        }
    }
}

/// `MAJOR.MINOR` with semver's number syntax (digits, no leading zero but `0`), as
/// `MAJOR.MINOR.0`.
fn two_part_version(text: &str) -> Option<semver::Version> {
    let (major, minor) = text.split_once('.')?;
    let number = |part: &str| {
        let plain = !part.is_empty()
            && part.bytes().all(|b| b.is_ascii_digit())
            && (part == "0" || !part.starts_with('0'));
        plain.then(|| part.parse::<u64>().ok()).flatten()
    };
    Some(semver::Version::new(number(major)?, number(minor)?, 0))
}

pub(super) const DEFAULT_FOLDER_PATTERN: &str = r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$";

/// Where the version the tree ships comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// A file holding one version (`migration/VERSION`), which every dialect's highest
    /// migration must equal.
    VersionFile,
    /// Each dialect's highest migration.
    HighestMigration,
}

impl Layout {
    /// The migration folder of a dialect, relative to the store.
    pub fn dialect_dir(&self, dialect: Dialect) -> Option<&str> {
        self.dialects
            .iter()
            .find(|(d, _)| *d == dialect)
            .map(|(_, dir)| dir.as_str())
    }

    /// A configured path for a dialect, placeholders filled in.
    pub fn expand(&self, template: &str, dialect: Dialect) -> String {
        template
            .replace(
                "{dir}",
                self.dialect_dir(dialect).unwrap_or(dialect.folder()),
            )
            .replace("{dialect}", dialect.folder())
    }

    /// The migration folder of a dialect at a release of `version`, relative to the store: the
    /// folder of the first `dirs-at-tags` entry above the version that names the dialect, else
    /// today's.
    pub fn dir_at(&self, dialect: Dialect, version: &semver::Version) -> &str {
        self.dirs_at_tags
            .iter()
            .filter(|entry| *version < entry.until)
            .find_map(|entry| entry.dirs.get(&dialect))
            .map_or_else(
                || self.dialect_dir(dialect).unwrap_or(dialect.folder()),
                String::as_str,
            )
    }

    /// The candidate paths of the fresh-install script a release of `version` shipped, in
    /// order, with `{dir}` standing for the dialect's folder at that release.
    pub fn latest_at(&self, dialect: Dialect, version: &semver::Version) -> Vec<String> {
        let dir = self.dir_at(dialect, version);
        self.latest_at_tags
            .for_dialect(dialect)
            .iter()
            .map(|template| {
                template
                    .replace("{dir}", dir)
                    .replace("{dialect}", dialect.folder())
            })
            .collect()
    }

    /// Whether a path relative to the store is ignored.
    pub fn ignores(&self, relative: &str) -> bool {
        self.ignore
            .iter()
            .any(|i| relative == i || relative.starts_with(&format!("{i}/")))
    }
}

/// The `[layout]` table and the `[version]` keys of the layout, checked; a wrong key is
/// recorded and its default used, so that the other keys are checked too.
pub(super) fn read(raw: RawLayout, version: &RawVersion, problems: &mut Problems) -> Layout {
    let defaults = Config::default().layout;
    let versions = raw.versions.unwrap_or(defaults.versions);
    let conventional_names = versions == VersionRule::Store
        && raw.file_pattern.is_none()
        && raw.folder_pattern.is_none();
    let conventional = conventional_names
        && raw.dialects.is_none()
        && raw.latest.is_none()
        && raw.seeds.is_none()
        && raw.tests.is_none()
        && raw.ignore.is_empty()
        && version.file.is_none()
        && version.target != Some(Target::HighestMigration);
    let (file_pattern, folder_pattern) =
        patterns(problems, versions, raw.file_pattern, raw.folder_pattern);
    let dialects = match raw.dialects {
        Some(map) if map.is_empty() => {
            problems.at_key("layout.dialects", "layout.dialects names no dialect");
            defaults.dialects
        }
        Some(map) => map
            .into_iter()
            .map(|(d, dir)| {
                (
                    d,
                    path(problems, "layout.dialects", Some(dir), String::new()),
                )
            })
            .collect(),
        None => defaults.dialects,
    };
    let latest = path(problems, "layout.latest", raw.latest, defaults.latest);
    let latest_at_tags = history::latest_at_tags(raw.latest_at_tags, &latest, relative);
    let dirs_at_tags = history::dirs_at_tags(raw.dirs_at_tags, relative);
    let two_part = version.two_part.unwrap_or(defaults.two_part);
    if two_part && versions.is_numeric() {
        problems.at_key(
            "version.two-part",
            "version.two-part reads MAJOR.MINOR versions, but under the `integer` and \
             `timestamp` rules of layout.versions a version is one number",
        );
    }
    Layout {
        dialects,
        versions,
        two_part,
        file_pattern,
        folder_pattern,
        conventional_names,
        conventional,
        latest_at_tags: problems
            .ok_any("layout.latest-at-tags", latest_at_tags)
            .unwrap_or(defaults.latest_at_tags),
        latest,
        dirs_at_tags: problems
            .ok_any("layout.dirs-at-tags", dirs_at_tags)
            .unwrap_or_default(),
        seeds: path(problems, "layout.seeds", raw.seeds, defaults.seeds),
        tests: path(problems, "layout.tests", raw.tests, defaults.tests),
        ignore: raw
            .ignore
            .into_iter()
            .map(|p| path(problems, "layout.ignore", Some(p), String::new()))
            .collect(),
        version_file: path(
            problems,
            "version.file",
            version.file.clone(),
            defaults.version_file,
        ),
    }
}

/// The name patterns (`layout.file-pattern`, `layout.folder-pattern`), each a regex.
fn patterns(
    problems: &mut Problems,
    versions: VersionRule,
    file: Option<String>,
    folder: Option<String>,
) -> (Regex, Regex) {
    let mut regex = |key: &str, text: Option<String>, default: &str| {
        let text = text.unwrap_or_else(|| default.to_string());
        let checked = Regex::new(&text).map_err(|e| format!("{key} `{text}` is not a regex: {e}"));
        problems
            .ok(key, checked)
            .unwrap_or_else(|| super::pattern(default))
    };
    let file_pattern = regex("layout.file-pattern", file, versions.default_file_pattern());
    let folder_pattern = regex("layout.folder-pattern", folder, DEFAULT_FOLDER_PATTERN);
    (file_pattern, folder_pattern)
}

/// The minimum upgrade version and the first version of each dialect that says so
/// (`version.minimum-upgrade`, `version.first`), read by the layout's version rule.
pub(super) fn versions(
    version: &RawVersion,
    layout: &Layout,
    problems: &mut Problems,
) -> (semver::Version, Vec<(Dialect, semver::Version)>) {
    let (rule, two_part) = (layout.versions, layout.two_part);
    let minimum_upgrade = version
        .minimum_upgrade
        .as_ref()
        .and_then(|text| {
            let parsed = rule.parse_with(text, two_part);
            let checked = parsed.map_err(|e| format!("version.minimum-upgrade: `{text}` {e}"));
            problems.ok("version.minimum-upgrade", checked)
        })
        .unwrap_or_else(|| Config::default().minimum_upgrade);
    let first_versions = version
        .first
        .iter()
        .flatten()
        .filter_map(|(dialect, text)| {
            let key = format!("version.first.{}", dialect.folder());
            let parsed = rule.parse_with(text, two_part);
            let checked = parsed.map_err(|e| format!("{key}: `{text}` {e}"));
            Some((*dialect, problems.ok(&key, checked)?))
        })
        .collect();
    (minimum_upgrade, first_versions)
}
