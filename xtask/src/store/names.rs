//! How the service reads the names of version folders and migration files, and the version file.

use std::path::Path;

use crate::config::VersionRule;

use super::VersionFile;

/// How much of the version file is read: one version and its line ending, with room to spare.
/// A larger file is not a version anyway, and a message quotes only its start.
const VERSION_FILE_LIMIT: u64 = 4096;

pub(super) fn read_version_file(
    canonical_root: &Path,
    path: &Path,
    rule: VersionRule,
    two_part: bool,
) -> VersionFile {
    let path = path.to_path_buf();
    // Refused first: a broken link does not exist as a file, but it is not missing either.
    if let Some(refusal) = crate::input::refusal(canonical_root, &path) {
        return VersionFile::Invalid {
            reason: format!("it {}, and it was not read", refusal.describe()),
            path,
        };
    }
    if !path.exists() {
        return VersionFile::Missing { path };
    }
    let read = crate::input::read_prefix(&path, VERSION_FILE_LIMIT).and_then(|bytes| {
        String::from_utf8(bytes).map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "stream did not contain valid UTF-8",
            )
        })
    });
    let text = match read {
        Ok(text) => text,
        Err(e) => {
            return VersionFile::Invalid {
                path,
                reason: format!("it cannot be read ({e})"),
            }
        }
    };
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    if trimmed.is_empty() {
        return VersionFile::Invalid {
            path,
            reason: "it is empty".into(),
        };
    }
    let first_line = trimmed.lines().next().unwrap_or_default();
    match rule.parse_with(first_line, two_part) {
        Ok(_) if trimmed.contains('\n') => VersionFile::Invalid {
            path,
            reason: "it holds more than one line".into(),
        },
        Ok(version) => VersionFile::Valid { path, version },
        Err(reason) => VersionFile::Invalid {
            path,
            reason: format!(
                "`{}` {reason}",
                crate::input::quote(first_line, crate::input::QUOTE_LIMIT)
            ),
        },
    }
}

/// The version of a migration by its path in the dialect folder (`0.3/00__x.sql`, or
/// `V1.2.0__x.sql` under a flat rule), as the service reads it.
pub fn version_of(rule: VersionRule, path: &str) -> Option<semver::Version> {
    match path.split_once('/') {
        Some((folder, name)) if rule.has_folders() => {
            let (major, minor) = parse_minor(folder)?;
            Some(semver::Version::new(
                major,
                minor,
                parse_sequence(name)? + 1,
            ))
        }
        None if !rule.has_folders() => rule.flat_version(path),
        _ => None,
    }
}

/// `MAJOR.MINOR` as the service reads a folder name: two dot-separated numbers.
pub(super) fn parse_minor(name: &str) -> Option<(u64, u64)> {
    let (major, minor) = name.split_once('.')?;
    let number = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    Some((number(major)?, number(minor)?))
}

/// The sequence number as the service reads it: the text before the first `__`, if it is a
/// number. `00_reaction.sql` has none (the service fails on it at start-up).
pub(super) fn parse_sequence(name: &str) -> Option<u64> {
    let (prefix, _) = name.split_once("__")?;
    if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    prefix.parse().ok()
}

/// Whether a file in a version folder is meant to be a migration (and so is checked by the
/// naming rule) rather than something else that does not belong there.
pub(super) fn is_meant_as_migration(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".sql") || name.starts_with(|c: char| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_service_reading_of_names() {
        assert_eq!(parse_minor("0.10"), Some((0, 10)));
        assert_eq!(parse_minor("00.1"), Some((0, 1)));
        assert_eq!(parse_minor("v0.1"), None);
        assert_eq!(parse_minor("0.1.0"), None);
        assert_eq!(parse_sequence("01__x.sql"), Some(1));
        assert_eq!(parse_sequence("1__x.sql"), Some(1));
        assert_eq!(parse_sequence("00_reaction.sql"), None);
        assert!(is_meant_as_migration("00__X.SQL"));
        assert!(is_meant_as_migration("01-x.txt"));
        assert!(!is_meant_as_migration("README"));
    }
}
