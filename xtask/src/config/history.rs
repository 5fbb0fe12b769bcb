//! The configuration of released history (docs/config.md): which tags are releases
//! (`[history]`), where a release kept each dialect's migrations (`[[layout.dirs-at-tags]]`) and
//! where it kept its fresh-install script (`layout.latest-at-tags`, one list or one per
//! dialect). Real trees moved their folders between releases and tag other things than
//! releases, so these describe the repository's past as it was, not as the store is today.

use std::collections::BTreeMap;

use anyhow::{bail, Context as _};
use serde::Deserialize;

use crate::dialect::Dialect;

/// Which tags are releases.
#[derive(Clone, Debug)]
pub struct Releases {
    pub tag_pattern: TagPattern,
    /// Whether tags with a pre-release part (`v1.0.0-rc.1`) count as releases.
    pub pre_releases: bool,
}

impl Default for Releases {
    fn default() -> Releases {
        Releases {
            tag_pattern: TagPattern {
                prefix: "v".into(),
                suffix: String::new(),
            },
            pre_releases: false,
        }
    }
}

/// A tag name with one `*` where the version stands: `v*` (the default), `release-*`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagPattern {
    prefix: String,
    suffix: String,
}

impl TagPattern {
    pub fn parse(text: &str) -> anyhow::Result<TagPattern> {
        let Some((prefix, suffix)) = text.split_once('*') else {
            bail!("history.tag-pattern `{text}` has no `*` where the version stands (e.g. \"v*\" or \"release-*\")");
        };
        if suffix.contains('*')
            || text.contains(['?', '[', '\\'])
            || text.contains(char::is_whitespace)
        {
            bail!("history.tag-pattern `{text}` must hold exactly one `*` (the version) and no other wildcard or space");
        }
        Ok(TagPattern {
            prefix: prefix.into(),
            suffix: suffix.into(),
        })
    }

    /// The pattern as git's `--list` reads it.
    pub fn glob(&self) -> String {
        format!("{}*{}", self.prefix, self.suffix)
    }

    /// The text where the version stands in a tag the pattern matches.
    pub fn version_text<'a>(&self, tag: &'a str) -> Option<&'a str> {
        tag.strip_prefix(self.prefix.as_str())?
            .strip_suffix(self.suffix.as_str())
    }

    /// The form of release tags, for messages: `` `vX.Y.Z` `` under the default pattern.
    pub fn describe(&self) -> String {
        format!("`{}X.Y.Z{}`", self.prefix, self.suffix)
    }

    /// The tag of a version: `v0.3.0` under the default pattern.
    pub fn tag_of(&self, version: &semver::Version) -> String {
        format!("{}{version}{}", self.prefix, self.suffix)
    }
}

/// Each dialect's migration folder at releases below a version, where the layout has since
/// moved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirsAtTags {
    /// The tags below this version kept the folders below.
    pub until: semver::Version,
    /// The folder of each dialect named; the others were where they are now.
    pub dirs: BTreeMap<Dialect, String>,
}

/// The candidate paths of a release's fresh-install script, tried in order: one list for every
/// dialect, or a list per dialect (a dialect not named takes the shared one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LatestAtTags {
    pub shared: Vec<String>,
    pub dialects: BTreeMap<Dialect, Vec<String>>,
}

impl LatestAtTags {
    pub fn for_dialect(&self, dialect: Dialect) -> &[String] {
        self.dialects.get(&dialect).unwrap_or(&self.shared)
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawHistory {
    tag_pattern: Option<String>,
    pre_releases: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDirsAtTags {
    until: String,
    postgres: Option<String>,
    sqlite: Option<String>,
}

pub(crate) fn releases(raw: RawHistory) -> anyhow::Result<Releases> {
    let defaults = Releases::default();
    Ok(Releases {
        tag_pattern: match raw.tag_pattern {
            Some(text) => TagPattern::parse(&text)?,
            None => defaults.tag_pattern,
        },
        pre_releases: raw.pre_releases.unwrap_or(defaults.pre_releases),
    })
}

/// The entries sorted by `until`, so that the first one above a tag's version is its layout.
pub(crate) fn dirs_at_tags(
    raw: Vec<RawDirsAtTags>,
    relative: impl Fn(&str, &str) -> anyhow::Result<String>,
) -> anyhow::Result<Vec<DirsAtTags>> {
    let mut entries = Vec::with_capacity(raw.len());
    for entry in raw {
        let until = semver::Version::parse(&entry.until).with_context(|| {
            format!(
                "layout.dirs-at-tags: until = `{}` is not a X.Y.Z version",
                entry.until
            )
        })?;
        let mut dirs = BTreeMap::new();
        for (dialect, dir) in [
            (Dialect::Postgres, entry.postgres),
            (Dialect::Sqlite, entry.sqlite),
        ] {
            if let Some(dir) = dir {
                dirs.insert(dialect, relative("layout.dirs-at-tags", &dir)?);
            }
        }
        if dirs.is_empty() {
            bail!("layout.dirs-at-tags: the entry until {until} names no dialect's folder (postgres = \"...\", sqlite = \"...\")");
        }
        if entries.iter().any(|e: &DirsAtTags| e.until == until) {
            bail!("layout.dirs-at-tags: two entries until {until}");
        }
        entries.push(DirsAtTags { until, dirs });
    }
    entries.sort_by(|a, b| a.until.cmp(&b.until));
    Ok(entries)
}

/// Reads `layout.latest-at-tags`: a list of paths, or a table of lists per dialect. Read from
/// the plain TOML value, so that a mistake is named in the terms of the file.
pub(crate) fn latest_at_tags(
    raw: Option<toml::Value>,
    latest: &str,
    relative: impl Fn(&str, &str) -> anyhow::Result<String>,
) -> anyhow::Result<LatestAtTags> {
    let list = |key: &str, value: toml::Value| -> anyhow::Result<Vec<String>> {
        let toml::Value::Array(items) = value else {
            bail!("{key} must be a list of paths, e.g. [\"{{dir}}/LATEST.sql\"]");
        };
        if items.is_empty() {
            bail!("{key} is an empty list");
        }
        items
            .iter()
            .map(|item| match item.as_str() {
                Some(path) => relative(key, path),
                None => bail!("{key} must be a list of paths, and `{item}` is no path"),
            })
            .collect()
    };
    let mut latest_at_tags = LatestAtTags {
        shared: vec![latest.to_string()],
        dialects: BTreeMap::new(),
    };
    match raw {
        None => {}
        Some(toml::Value::Table(table)) => {
            for (name, value) in table {
                let dialect = Dialect::from_folder(&name).with_context(|| {
                    format!("layout.latest-at-tags: `{name}` is not a dialect (postgres, sqlite)")
                })?;
                let paths = list(&format!("layout.latest-at-tags.{name}"), value)?;
                latest_at_tags.dialects.insert(dialect, paths);
            }
        }
        Some(value) => latest_at_tags.shared = list("layout.latest-at-tags", value)?,
    }
    Ok(latest_at_tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_pattern_has_one_star_for_the_version() {
        let pattern = TagPattern::parse("release-*").expect("valid");
        assert_eq!(pattern.version_text("release-1.2.3"), Some("1.2.3"));
        assert_eq!(pattern.version_text("v1.2.3"), None);
        assert_eq!(
            pattern.tag_of(&semver::Version::new(0, 3, 0)),
            "release-0.3.0"
        );
        assert_eq!(pattern.glob(), "release-*");
        let suffixed = TagPattern::parse("api/v*-final").expect("valid");
        assert_eq!(suffixed.version_text("api/v2.0.0-final"), Some("2.0.0"));
        for wrong in ["v", "v**", "v*.*", "v?*", "v* x"] {
            assert!(TagPattern::parse(wrong).is_err(), "{wrong}");
        }
    }

    fn load(text: &str) -> anyhow::Result<crate::config::Config> {
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join(crate::config::FILE_NAME), text)?;
        crate::config::Config::load(dir.path(), None, |_| String::new())
    }

    #[test]
    fn folders_and_scripts_at_tags_follow_the_ranges() -> anyhow::Result<()> {
        let config = load(
            "[[layout.dirs-at-tags]]\nuntil = \"0.25.0\"\npostgres = \"migration/postgres/prod\"\nsqlite = \"migration/sqlite/prod\"\n\n\
             [[layout.dirs-at-tags]]\nuntil = \"0.10.0\"\nsqlite = \"migration/sqlite3\"\n\n\
             [layout.latest-at-tags]\nsqlite = [\"{dir}/LATEST.sql\", \"{dir}/fresh.sql\"]\n",
        )?;
        let layout = &config.layout;
        let v = semver::Version::new;
        assert_eq!(
            layout.dir_at(Dialect::Sqlite, &v(0, 5, 0)),
            "migration/sqlite3"
        );
        assert_eq!(
            layout.dir_at(Dialect::Postgres, &v(0, 5, 0)),
            "migration/postgres/prod"
        );
        assert_eq!(
            layout.dir_at(Dialect::Sqlite, &v(0, 24, 9)),
            "migration/sqlite/prod"
        );
        assert_eq!(
            layout.dir_at(Dialect::Sqlite, &v(0, 25, 0)),
            "migration/sqlite"
        );
        assert_eq!(
            layout.latest_at(Dialect::Sqlite, &v(0, 24, 0)),
            [
                "migration/sqlite/prod/LATEST.sql",
                "migration/sqlite/prod/fresh.sql"
            ]
        );
        assert_eq!(
            layout.latest_at(Dialect::Postgres, &v(0, 30, 0)),
            ["migration/postgres/LATEST.sql"]
        );

        let error = |text: &str| load(text).err().map(|e| format!("{e:#}"));
        let unnamed = error("[[layout.dirs-at-tags]]\nuntil = \"0.2.0\"\n");
        assert!(
            unnamed
                .as_deref()
                .is_some_and(|e| e.contains("names no dialect")),
            "{unnamed:?}"
        );
        let outside = error("[[layout.dirs-at-tags]]\nuntil = \"0.2.0\"\nsqlite = \"../sqlite\"\n");
        assert!(
            outside
                .as_deref()
                .is_some_and(|e| e.contains("layout.dirs-at-tags")),
            "{outside:?}"
        );
        let dialect = error("[layout.latest-at-tags]\nmysql = [\"x.sql\"]\n");
        assert!(
            dialect
                .as_deref()
                .is_some_and(|e| e.contains("`mysql` is not a dialect")),
            "{dialect:?}"
        );
        let not_a_list = error("[layout]\nlatest-at-tags = \"x.sql\"\n");
        assert!(
            not_a_list
                .as_deref()
                .is_some_and(|e| e.contains("must be a list of paths")),
            "{not_a_list:?}"
        );
        let pattern = error("[history]\ntag-pattern = \"v\"\n");
        assert!(
            pattern
                .as_deref()
                .is_some_and(|e| e.contains("history.tag-pattern")),
            "{pattern:?}"
        );
        Ok(())
    }
}
