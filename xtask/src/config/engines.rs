//! Which engines the replay runs on (`[engines]`): the PostgreSQL majors the service supports,
//! whether missing majors may be downloaded, and the oldest SQLite the service ships.

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

use super::problems::Problems;

/// The engines of the configuration, with the defaults filled in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Engines {
    /// The PostgreSQL majors every PostgreSQL chain replays on (`engines.postgres`), ascending;
    /// empty means the one major found on the machine.
    pub postgres: Vec<u32>,
    /// Whether a major the machine lacks may be downloaded (`engines.download-postgres`).
    pub download_postgres: bool,
    /// The oldest SQLite the service ships linked in (`engines.sqlite-minimum`); `None` means
    /// the bundled one only.
    pub sqlite_minimum: Option<SqliteVersion>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawEngines {
    #[serde(default)]
    pub(super) postgres: Vec<String>,
    pub(super) download_postgres: Option<bool>,
    pub(super) sqlite_minimum: Option<String>,
}

/// Reads `[engines]`, recording each wrong value in `problems`.
pub(super) fn read(raw: RawEngines, problems: &mut Problems<'_>) -> Engines {
    let mut postgres: Vec<u32> = raw
        .postgres
        .iter()
        .filter_map(|major| problems.ok("engines.postgres", parse_major(major)))
        .collect();
    postgres.sort_unstable();
    postgres.dedup();
    let sqlite_minimum = raw
        .sqlite_minimum
        .and_then(|text| problems.ok("engines.sqlite-minimum", text.parse()));
    Engines {
        postgres,
        download_postgres: raw.download_postgres.unwrap_or(false),
        sqlite_minimum,
    }
}

/// A PostgreSQL major, as `engines.postgres` and `--postgres-version` write it: `10` or newer,
/// alone (`14`, not `14.2`).
pub fn parse_major(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(major) if major >= 10 => Ok(major),
        _ => Err(format!(
            "`{text}` is not a PostgreSQL major: write the major alone, 10 or newer, e.g. \"17\""
        )),
    }
}

/// A SQLite version, `3.31` or `3.31.1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SqliteVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl SqliteVersion {
    pub const fn new(major: u32, minor: u32, patch: u32) -> SqliteVersion {
        SqliteVersion {
            major,
            minor,
            patch,
        }
    }
}

impl FromStr for SqliteVersion {
    type Err = String;

    fn from_str(text: &str) -> Result<SqliteVersion, String> {
        let parts: Option<Vec<u32>> = text.trim().split('.').map(|p| p.parse().ok()).collect();
        match parts.as_deref() {
            Some([3, minor]) => Ok(SqliteVersion::new(3, *minor, 0)),
            Some([3, minor, patch]) => Ok(SqliteVersion::new(3, *minor, *patch)),
            _ => Err(format!(
                "`{text}` is not a SQLite 3 version: write it as 3.MINOR or 3.MINOR.PATCH, e.g. \"3.31\""
            )),
        }
    }
}

impl fmt::Display for SqliteVersion {
    /// `3.31` where the patch is 0, as SQLite's release history names its releases; else
    /// `3.31.1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.patch {
            0 => write!(f, "{}.{}", self.major, self.minor),
            patch => write!(f, "{}.{}.{patch}", self.major, self.minor),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majors_are_the_major_alone() {
        assert_eq!(parse_major("17"), Ok(17));
        assert!(parse_major("14.2").is_err());
        assert!(parse_major("9").is_err());
    }

    #[test]
    fn sqlite_versions_read_and_print_as_written() {
        let version: SqliteVersion = "3.31".parse().unwrap();
        assert_eq!(version, SqliteVersion::new(3, 31, 0));
        assert_eq!(version.to_string(), "3.31");
        assert_eq!(
            "3.35.5".parse::<SqliteVersion>().unwrap().to_string(),
            "3.35.5"
        );
        assert!("4.1".parse::<SqliteVersion>().is_err());
        assert!("3.x".parse::<SqliteVersion>().is_err());
    }
}
