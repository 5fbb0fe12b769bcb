//! The working tree against the release tags: every migration a release shipped is still there,
//! under its name, with its text; and a migration no release shipped is newer than the latest
//! release's schema version.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use anyhow::Context as _;

use crate::config::VersionRule;
use crate::diagnostic::Diagnostic;
use crate::dialect::Dialect;
use crate::git::releases::Release;
use crate::git::{self, EntryKind, Object};
use crate::store::{Driver, Store};

mod messages;

use messages::Context;

/// Migration files as a release shipped them, by their path in the dialect folder
/// (`0.1/00__init.sql`), with blob ids.
type Shipped = BTreeMap<String, String>;

pub(super) fn check(
    store: &Store,
    drivers: &[&Driver],
    repository: &Path,
    releases: &[Release],
    out: &mut Vec<Diagnostic>,
) -> anyhow::Result<()> {
    let prefix = super::store_prefix(&store.root, repository)?;
    let mut shipments = list_shipped(store, drivers, repository, releases, &prefix)?;
    follow_moves(
        store,
        drivers,
        repository,
        releases,
        &prefix,
        &mut shipments,
    )?;
    let Some(latest_release) = releases.last() else {
        return Ok(());
    };
    let blobs = read_blobs(repository, &shipments.files)?;
    for driver in drivers {
        let history = DialectHistory {
            context: Context {
                store,
                driver,
                prefix: &prefix,
                rule: store.config.layout.versions,
                folders: &shipments.folders,
                moved: &shipments.moved,
            },
            releases,
            files: &shipments.files,
            blobs: &blobs,
            working: working_tree(driver)?,
        };
        let renamed_to = history.released(out)?;
        history.in_the_past(latest_release, &renamed_to, out);
    }
    Ok(())
}

/// What the releases shipped, per release and dialect.
#[derive(Default)]
struct Shipments {
    /// The migration files.
    files: BTreeMap<(String, Dialect), Shipped>,
    /// The folder each release shipped each dialect in, as git names it.
    folders: BTreeMap<(String, Dialect), String>,
    /// Files that moved since a release, by release, dialect and path: their path at the tag.
    moved: BTreeMap<(String, Dialect, String), String>,
}

/// Per release and driver, the migrations in the first folder that may hold what it shipped, as
/// git names it: the dialect's folder at the tag (`layout.dirs-at-tags`), then today's where
/// that differs.
fn list_shipped(
    store: &Store,
    drivers: &[&Driver],
    repository: &Path,
    releases: &[Release],
    prefix: &str,
) -> anyhow::Result<Shipments> {
    let layout = &store.config.layout;
    let mut keys: Vec<(String, Dialect)> = Vec::new();
    let mut requests: Vec<(&str, String)> = Vec::new();
    for release in releases {
        for driver in drivers {
            let now = store.relative(&driver.dir);
            let then = layout.dir_at(driver.dialect, &release.version);
            for folder in std::iter::once(then).chain((then != now).then_some(now.as_str())) {
                keys.push((release.tag.clone(), driver.dialect));
                requests.push((release.tag.as_str(), format!("{prefix}{folder}")));
            }
        }
    }
    let listed = list_migrations(repository, &requests, layout.versions)?;
    let mut shipments = Shipments::default();
    for ((key, (_, folder)), files) in keys.into_iter().zip(&requests).zip(listed) {
        if let (Some(files), false) = (files, shipments.files.contains_key(&key)) {
            shipments.folders.insert(key.clone(), folder.clone());
            shipments.files.insert(key, files);
        }
    }
    Ok(shipments)
}

/// Files that moved folders since a release, followed by git's rename detection: shipped under
/// their path in the dialect folder, which the move kept, with their path at the tag, for
/// commands that restore them. Where `dirs-at-tags` names the folder the tag had, it is the
/// record: a tag may have held unreleased migrations beside it (`dev/`), whose moves git pairs
/// just as well.
fn follow_moves(
    store: &Store,
    drivers: &[&Driver],
    repository: &Path,
    releases: &[Release],
    prefix: &str,
    shipments: &mut Shipments,
) -> anyhow::Result<()> {
    let layout = &store.config.layout;
    let rule = layout.versions;
    for release in releases {
        let configured = |driver: &&Driver| {
            let then = layout.dir_at(driver.dialect, &release.version);
            let key = (release.tag.clone(), driver.dialect);
            then != store.relative(&driver.dir)
                && shipments.folders.get(&key) == Some(&format!("{prefix}{then}"))
        };
        let followed: Vec<&&Driver> = drivers.iter().filter(|d| !configured(d)).collect();
        if followed.is_empty() {
            continue;
        }
        let renames = git::renames(repository, &release.tag, prefix.trim_end_matches('/'))?;
        for driver in followed {
            let key = (release.tag.clone(), driver.dialect);
            let now = format!("{prefix}{}/", store.relative(&driver.dir));
            let listed = shipments.folders.get(&key).map(|f| format!("{f}/"));
            for rename in &renames {
                let Some(path) = rename.new.strip_prefix(&now) else {
                    continue;
                };
                // A rename of a file the listing saw as a migration is no move: the checks
                // below judge it.
                let inside = listed.as_deref().is_some_and(|l| {
                    rename
                        .old
                        .strip_prefix(l)
                        .is_some_and(|old| is_migration_path(rule, old))
                });
                let same_place = rename.old.ends_with(&format!("/{path}"));
                if inside || !same_place || !is_migration_path(rule, path) {
                    continue;
                }
                let files = shipments.files.entry(key.clone()).or_default();
                if !files.contains_key(path) {
                    files.insert(path.to_string(), rename.old_id.clone());
                    shipments.moved.insert(
                        (release.tag.clone(), driver.dialect, path.to_string()),
                        rename.old.clone(),
                    );
                }
            }
        }
    }
    Ok(())
}

/// Every blob the releases shipped, each read once however many releases shipped it.
fn read_blobs(
    repository: &Path,
    files: &BTreeMap<(String, Dialect), Shipped>,
) -> anyhow::Result<HashMap<String, Vec<u8>>> {
    let wanted: BTreeSet<&str> = files
        .values()
        .flat_map(|files| files.values().map(String::as_str))
        .collect();
    let wanted: Vec<String> = wanted.into_iter().map(String::from).collect();
    Ok(wanted
        .iter()
        .cloned()
        .zip(git::read(repository, &wanted)?)
        .filter_map(|(id, object)| match object {
            Object::Blob(bytes) => Some((id, super::normalize(&bytes).into_owned())),
            _ => None,
        })
        .collect())
}

/// One dialect's working tree against what the releases shipped of it.
struct DialectHistory<'a> {
    context: Context<'a>,
    releases: &'a [Release],
    files: &'a BTreeMap<(String, Dialect), Shipped>,
    /// The shipped texts, normalized, by blob id.
    blobs: &'a HashMap<String, Vec<u8>>,
    /// The migration files on disk, normalized, by their path in the dialect folder.
    working: BTreeMap<String, Vec<u8>>,
}

impl<'a> DialectHistory<'a> {
    fn shipped(&self, release: &Release) -> Option<&'a Shipped> {
        self.files
            .get(&(release.tag.clone(), self.context.driver.dialect))
    }

    fn blob(&self, id: &str) -> anyhow::Result<&'a [u8]> {
        self.blobs
            .get(id)
            .map(Vec::as_slice)
            .with_context(|| format!("git has no blob {id}"))
    }

    /// Every released migration against the working tree: changed, renamed, deleted, or the
    /// fix of a name the service could not read. Returns the paths that released files were
    /// renamed to, which are no new migrations.
    fn released(&self, out: &mut Vec<Diagnostic>) -> anyhow::Result<BTreeSet<String>> {
        // Per released path, each released text with the tags that shipped it, oldest first.
        let mut released: BTreeMap<&str, Vec<(&str, Vec<&str>)>> = BTreeMap::new();
        for release in self.releases {
            for (path, id) in self.shipped(release).into_iter().flatten() {
                let texts = released.entry(path).or_default();
                match texts.iter_mut().find(|(known, _)| known == id) {
                    Some((_, tags)) => tags.push(&release.tag),
                    None => texts.push((id, vec![&release.tag])),
                }
            }
        }
        let mut renamed_to = BTreeSet::new();
        for (path, texts) in &released {
            match self.working.get(*path) {
                Some(now) => {
                    for (id, tags) in texts {
                        let then = self.blob(id)?;
                        if then != now.as_slice() {
                            out.push(self.context.changed(path, tags, then, now).into());
                        }
                    }
                }
                None => renamed_to.extend(self.gone(path, texts, out)?),
            }
        }
        Ok(renamed_to)
    }

    /// A released migration that is not in the working tree under its name: renamed, deleted,
    /// or its name fixed. Returns the name it has now, if any.
    fn gone(
        &self,
        path: &str,
        texts: &[(&str, Vec<&str>)],
        out: &mut Vec<Diagnostic>,
    ) -> anyhow::Result<Option<String>> {
        let rule = self.context.rule;
        let latest_files = self.releases.last().and_then(|r| self.shipped(r));
        let tags: Vec<&str> = self
            .releases
            .iter()
            .map(|r| r.tag.as_str())
            .filter(|tag| texts.iter().any(|(_, tags)| tags.contains(tag)))
            .collect();
        let last_text = match texts.last() {
            Some((id, _)) => self.blob(id)?,
            None => &[],
        };
        let mut new_name = None;
        for (id, _) in texts {
            let then = self.blob(id)?;
            new_name = self.working.iter().find_map(|(other, now)| {
                let released_too = latest_files.is_some_and(|f| f.contains_key(other));
                (now.as_slice() == then && !released_too).then_some(other.as_str())
            });
            if new_name.is_some() {
                break;
            }
        }
        let unreadable = crate::store::version_of(rule, path).is_none();
        // A file the service could not read that now has a name it reads, in its folder or
        // (with its text) elsewhere, is the fix of the name.
        let fix = fix_of(rule, path, last_text, &self.working).or_else(|| {
            let other = new_name.filter(|_| unreadable)?;
            Some((other, crate::store::version_of(rule, other)?))
        });
        if let Some((fixed, version)) = fix {
            // The installations that skip the file under its right name: those of the releases
            // that shipped it whose schema version is at or above it.
            let skipping: Vec<&str> = self
                .releases
                .iter()
                .filter(|r| tags.contains(&r.tag.as_str()))
                .filter(|r| {
                    self.shipped(r)
                        .and_then(|files| schema_of(rule, files))
                        .is_some_and(|schema| schema >= version)
                })
                .map(|r| r.tag.as_str())
                .collect();
            let changed = self
                .working
                .get(fixed)
                .is_some_and(|now| now.as_slice() != last_text);
            out.push(
                self.context
                    .fixed(path, fixed, &tags, &version, &skipping, changed)
                    .into(),
            );
            return Ok(Some(fixed.to_string()));
        }
        if unreadable && new_name.is_none() {
            out.push(self.context.unreadable_gone(path, &tags).into());
            return Ok(None);
        }
        out.push(self.context.gone(path, &tags, new_name).into());
        Ok(new_name.map(String::from))
    }

    /// The migrations no release shipped that are not above the latest release's schema
    /// version: its installations skip them.
    fn in_the_past(
        &self,
        latest_release: &Release,
        renamed_to: &BTreeSet<String>,
        out: &mut Vec<Diagnostic>,
    ) {
        let Some(latest_files) = self.shipped(latest_release) else {
            // The dialect did not exist at the latest release: no installation of it can skip
            // anything.
            return;
        };
        // The release's schema version is its highest migration, which is what its service
        // stamped; the tag's own version stands in where no migration can be read.
        let shipped_schema = schema_of(self.context.rule, latest_files);
        let driver = self.context.driver;
        for (version, file) in driver.migrations() {
            let path = driver.relative(&file.path);
            if latest_files.contains_key(&path) || renamed_to.contains(&path) {
                continue;
            }
            let schema = shipped_schema.as_ref().unwrap_or(&latest_release.version);
            if version <= schema {
                out.push(
                    self.context
                        .in_the_past(
                            &path,
                            version,
                            latest_release,
                            schema,
                            shipped_schema.is_some(),
                        )
                        .into(),
                );
            }
        }
    }
}

/// A release's schema version: its highest migration the service can read.
fn schema_of(rule: VersionRule, files: &Shipped) -> Option<semver::Version> {
    files
        .keys()
        .filter_map(|path| crate::store::version_of(rule, path))
        .max()
}

/// The fix of a released file whose name the service cannot read (`0.3/00_x.sql`): a file of
/// the working tree in the same folder that it can read, with the same name but for
/// punctuation and case (`0.3/00__x.sql`) or with the same text. With its version.
fn fix_of<'w>(
    rule: VersionRule,
    path: &str,
    then: &[u8],
    working: &'w BTreeMap<String, Vec<u8>>,
) -> Option<(&'w str, semver::Version)> {
    if crate::store::version_of(rule, path).is_some() {
        return None;
    }
    let split = |p: &str| -> (String, String) {
        match p.rsplit_once('/') {
            Some((folder, name)) => (folder.to_string(), name.to_string()),
            None => (String::new(), p.to_string()),
        }
    };
    let key = |name: &str| -> String {
        name.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let (folder, name) = split(path);
    working.iter().find_map(|(other, now)| {
        let (other_folder, other_name) = split(other);
        let version = crate::store::version_of(rule, other)?;
        (other_folder == folder && (key(&other_name) == key(&name) || now.as_slice() == then))
            .then_some((other.as_str(), version))
    })
}

/// Whether a path in a dialect folder is where a migration file lies under the version rule:
/// a `.sql` file in a version folder, or directly in the dialect folder under the flat rules.
fn is_migration_path(rule: VersionRule, path: &str) -> bool {
    path.to_ascii_lowercase().ends_with(".sql")
        && path.matches('/').count() == usize::from(rule.has_folders())
}

/// The migration files in folders of releases, each request a tag and a folder's path in the
/// repository: one batch for the folders, one for the distinct version folders among them
/// (under the store rule). `None` where the tag has no such folder.
fn list_migrations(
    repository: &Path,
    requests: &[(&str, String)],
    rule: VersionRule,
) -> anyhow::Result<Vec<Option<Shipped>>> {
    let specs: Vec<String> = requests
        .iter()
        .map(|(tag, dir)| format!("{tag}:{dir}"))
        .collect();
    let folders = git::read(repository, &specs)?;
    let mut shipped: Vec<Option<Shipped>> = Vec::with_capacity(requests.len());
    // Version folders by tree id, read once, with the requests that hold them.
    let mut version_folders: BTreeMap<String, Vec<(usize, String)>> = BTreeMap::new();
    for (index, folder) in folders.into_iter().enumerate() {
        let Object::Tree(entries) = folder else {
            shipped.push(None);
            continue;
        };
        let mut files = Shipped::new();
        for entry in entries {
            match entry.kind {
                // Version folders as the layout model sees them: folders with a digit in the
                // name; anything else was a stray there and is no migration.
                EntryKind::Tree
                    if rule.has_folders() && entry.name.chars().any(|c| c.is_ascii_digit()) =>
                {
                    version_folders
                        .entry(entry.id)
                        .or_default()
                        .push((index, entry.name));
                }
                EntryKind::Blob
                    if !rule.has_folders() && rule.flat_version(&entry.name).is_some() =>
                {
                    files.insert(entry.name, entry.id);
                }
                _ => {}
            }
        }
        shipped.push(Some(files));
    }
    let ids: Vec<String> = version_folders.keys().cloned().collect();
    for (id, object) in ids.iter().zip(git::read(repository, &ids)?) {
        let Object::Tree(entries) = object else {
            continue;
        };
        for (index, folder_name) in &version_folders[id] {
            let Some(Some(files)) = shipped.get_mut(*index) else {
                continue;
            };
            for entry in entries.iter().filter(|e| {
                e.kind == EntryKind::Blob && e.name.to_ascii_lowercase().ends_with(".sql")
            }) {
                files.insert(format!("{folder_name}/{}", entry.name), entry.id.clone());
            }
        }
    }
    Ok(shipped)
}

/// The schema version each release's service stamped, for trees whose service writes the stamp
/// itself: the highest migration beside the release's fresh-install script (each request a tag,
/// the script's path in the repository and the dialect's folder at the tag), else in the
/// dialect's folder. `None` where the tag has neither.
pub fn schema_versions(
    repository: &Path,
    scripts: &[(&str, &str, String)],
    rule: VersionRule,
) -> anyhow::Result<Vec<Option<semver::Version>>> {
    let requests: Vec<(&str, String)> = scripts
        .iter()
        .flat_map(|(tag, script, dialect_dir)| {
            let beside = script.rsplit_once('/').map_or("", |(dir, _)| dir);
            [(*tag, beside.to_string()), (*tag, dialect_dir.clone())]
        })
        .collect();
    let listed = list_migrations(repository, &requests, rule)?;
    Ok(listed
        .chunks(2)
        .map(|pair| {
            pair.iter()
                .flatten()
                .map(|files| {
                    files
                        .keys()
                        .filter_map(|path| crate::store::version_of(rule, path))
                        .max()
                })
                .find(Option::is_some)
                .flatten()
        })
        .collect())
}

/// The migration files of a dialect on disk, normalized, by their path in the dialect folder.
fn working_tree(driver: &Driver) -> anyhow::Result<BTreeMap<String, Vec<u8>>> {
    driver
        .all_files()
        .map(|file| {
            let bytes = crate::input::read(&file.path)
                .with_context(|| format!("cannot read {}", file.path.display()))?;
            Ok((
                driver.relative(&file.path),
                super::normalize(&bytes).into_owned(),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_released_path_has_the_version_the_service_gives_it() {
        let v = semver::Version::new;
        let version_of = crate::store::version_of;
        assert_eq!(
            version_of(VersionRule::Store, "0.10/02__x.sql"),
            Some(v(0, 10, 3))
        );
        assert_eq!(version_of(VersionRule::Store, "00__x.sql"), None);
        assert_eq!(
            version_of(VersionRule::FlatSemver, "V1.2__x.sql"),
            Some(v(1, 2, 0))
        );
        assert_eq!(version_of(VersionRule::FlatSemver, "1.2/V1.2__x.sql"), None);
    }
}
