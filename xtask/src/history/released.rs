//! The working tree against the release tags: every migration a release shipped is still there,
//! under its name, with its text; and a migration no release shipped is newer than the latest
//! release's schema version.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use anyhow::Context as _;

use crate::codes::Code;
use crate::config::VersionRule;
use crate::diagnostic::{Diagnostic, Label, Span};
use crate::dialect::Dialect;
use crate::git::releases::Release;
use crate::git::{self, EntryKind, Object};
use crate::store::{Driver, Store};

/// How many removed and added lines a diff in a message shows at most.
const DIFF_LINES: usize = 6;

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
    let layout = &store.config.layout;
    let rule = layout.versions;
    // Per release and driver, the folders that may hold what it shipped, as git names them:
    // the dialect's folder at the tag (`layout.dirs-at-tags`), then today's where that differs.
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
    let listed = list_migrations(repository, &requests, rule)?;
    // The first folder of each release and driver that the tag has.
    let mut shipped: BTreeMap<(String, Dialect), Shipped> = BTreeMap::new();
    let mut folders: BTreeMap<(String, Dialect), String> = BTreeMap::new();
    for ((key, (_, folder)), files) in keys.into_iter().zip(&requests).zip(listed) {
        if let (Some(files), false) = (files, shipped.contains_key(&key)) {
            folders.insert(key.clone(), folder.clone());
            shipped.insert(key, files);
        }
    }
    // Files that moved folders since a release, followed by git's rename detection: shipped
    // under their path in the dialect folder, which the move kept. Their path at the tag, for
    // commands that restore them. Where `dirs-at-tags` names the folder the tag had, it is the
    // record: a tag may have held unreleased migrations beside it (`dev/`), whose moves git
    // pairs just as well.
    let mut moved: BTreeMap<(String, Dialect, String), String> = BTreeMap::new();
    for release in releases {
        let configured = |driver: &&Driver| {
            let then = layout.dir_at(driver.dialect, &release.version);
            let key = (release.tag.clone(), driver.dialect);
            then != store.relative(&driver.dir)
                && folders.get(&key) == Some(&format!("{prefix}{then}"))
        };
        let followed: Vec<&&Driver> = drivers.iter().filter(|d| !configured(d)).collect();
        if followed.is_empty() {
            continue;
        }
        let renames = git::renames(repository, &release.tag, prefix.trim_end_matches('/'))?;
        for driver in followed {
            let key = (release.tag.clone(), driver.dialect);
            let now = format!("{prefix}{}/", store.relative(&driver.dir));
            let listed = folders.get(&key).map(|f| format!("{f}/"));
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
                let files = shipped.entry(key.clone()).or_default();
                if !files.contains_key(path) {
                    files.insert(path.to_string(), rename.old_id.clone());
                    moved.insert(
                        (release.tag.clone(), driver.dialect, path.to_string()),
                        rename.old.clone(),
                    );
                }
            }
        }
    }
    let Some(latest_release) = releases.last() else {
        return Ok(());
    };

    // Every blob needed, each read once however many releases shipped it.
    let wanted: BTreeSet<&str> = shipped
        .values()
        .flat_map(|files| files.values().map(String::as_str))
        .collect();
    let wanted: Vec<String> = wanted.into_iter().map(String::from).collect();
    let blobs: HashMap<String, Vec<u8>> = wanted
        .iter()
        .cloned()
        .zip(git::read(repository, &wanted)?)
        .filter_map(|(id, object)| match object {
            Object::Blob(bytes) => Some((id, bytes)),
            _ => None,
        })
        .collect();
    let blob = |id: &str| -> anyhow::Result<Vec<u8>> {
        blobs
            .get(id)
            .map(|b| super::normalize(b).into_owned())
            .with_context(|| format!("git has no blob {id}"))
    };

    for driver in drivers {
        let working = working_tree(driver)?;
        let context = Context {
            store,
            driver,
            prefix: &prefix,
            rule,
            folders: &folders,
            moved: &moved,
        };
        // Per released path, each released text with the tags that shipped it, oldest first.
        let mut released: BTreeMap<&str, Vec<(&str, Vec<&str>)>> = BTreeMap::new();
        for release in releases {
            let Some(folder) = shipped.get(&(release.tag.clone(), driver.dialect)) else {
                continue;
            };
            for (path, id) in folder {
                let texts = released.entry(path).or_default();
                match texts.iter_mut().find(|(known, _)| known == id) {
                    Some((_, tags)) => tags.push(&release.tag),
                    None => texts.push((id, vec![&release.tag])),
                }
            }
        }
        let latest_files = shipped.get(&(latest_release.tag.clone(), driver.dialect));
        let mut renamed_to = BTreeSet::new();
        for (path, texts) in &released {
            match working.get(*path) {
                Some(now) => {
                    for (id, tags) in texts {
                        let then = blob(id)?;
                        if &then != now {
                            out.push(context.changed(path, tags, &then, now));
                        }
                    }
                }
                None => {
                    let tags: Vec<&str> = releases
                        .iter()
                        .map(|r| r.tag.as_str())
                        .filter(|tag| texts.iter().any(|(_, tags)| tags.contains(tag)))
                        .collect();
                    let last_text = match texts.last() {
                        Some((id, _)) => blob(id)?,
                        None => Vec::new(),
                    };
                    let mut new_name = None;
                    for (id, _) in texts {
                        let then = blob(id)?;
                        new_name = working.iter().find_map(|(other, now)| {
                            let released_too = latest_files.is_some_and(|f| f.contains_key(other));
                            (*now == then && !released_too).then_some(other.as_str())
                        });
                        if new_name.is_some() {
                            break;
                        }
                    }
                    let unreadable = crate::store::version_of(rule, path).is_none();
                    // A file the service could not read that now has a name it reads, in its
                    // folder or (with its text) elsewhere, is the fix of the name.
                    let fix = fix_of(rule, path, &last_text, &working).or_else(|| {
                        let other = new_name.filter(|_| unreadable)?;
                        Some((other, crate::store::version_of(rule, other)?))
                    });
                    if let Some((fixed, version)) = fix {
                        // The installations that skip the file under its right name: those of
                        // the releases that shipped it whose schema version is at or above it.
                        let skipping: Vec<&str> = releases
                            .iter()
                            .filter(|r| tags.contains(&r.tag.as_str()))
                            .filter(|r| {
                                shipped
                                    .get(&(r.tag.clone(), driver.dialect))
                                    .and_then(|files| schema_of(rule, files))
                                    .is_some_and(|schema| schema >= version)
                            })
                            .map(|r| r.tag.as_str())
                            .collect();
                        let changed = working.get(fixed).is_some_and(|now| *now != last_text);
                        out.push(context.fixed(path, fixed, &tags, &version, &skipping, changed));
                        renamed_to.insert(fixed);
                        continue;
                    }
                    if unreadable && new_name.is_none() {
                        out.push(context.unreadable_gone(path, &tags));
                        continue;
                    }
                    out.push(context.gone(path, &tags, new_name));
                    renamed_to.extend(new_name);
                }
            }
        }

        let Some(latest_files) = latest_files else {
            // The dialect did not exist at the latest release: no installation of it can skip
            // anything.
            continue;
        };
        // The release's schema version is its highest migration, which is what its service
        // stamped; the tag's own version stands in where no migration can be read.
        let shipped_schema = schema_of(rule, latest_files);
        for (version, file) in driver.migrations() {
            let path = driver.relative(&file.path);
            if latest_files.contains_key(&path) || renamed_to.contains(path.as_str()) {
                continue;
            }
            let schema = shipped_schema.as_ref().unwrap_or(&latest_release.version);
            if version <= schema {
                out.push(context.in_the_past(
                    &path,
                    version,
                    latest_release,
                    schema,
                    shipped_schema.is_some(),
                ));
            }
        }
    }
    Ok(())
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

/// What the messages of one dialect need.
struct Context<'a> {
    store: &'a Store,
    driver: &'a Driver,
    prefix: &'a str,
    rule: VersionRule,
    /// The folder each release shipped each dialect in, as git names it.
    folders: &'a BTreeMap<(String, Dialect), String>,
    /// Files that moved since a release, by release, dialect and path: their path at the tag.
    moved: &'a BTreeMap<(String, Dialect, String), String>,
}

impl Context<'_> {
    fn display(&self, path: &str) -> String {
        self.store.display(&self.driver.dir.join(path))
    }

    /// The path git knows the file by, for commands in help texts.
    fn git_path(&self, path: &str) -> String {
        format!(
            "{}{}/{path}",
            self.prefix,
            self.store.relative(&self.driver.dir)
        )
    }

    /// Where the release shipped a file, as git names it.
    fn released_path(&self, tag: &str, path: &str) -> String {
        let dialect = self.driver.dialect;
        if let Some(old) = self
            .moved
            .get(&(tag.to_string(), dialect, path.to_string()))
        {
            return old.clone();
        }
        match self.folders.get(&(tag.to_string(), dialect)) {
            Some(folder) => format!("{folder}/{path}"),
            None => self.git_path(path),
        }
    }

    /// The command that brings back the text a release shipped, run at the repository's root.
    fn restore(&self, tag: &str, path: &str) -> String {
        let released = self.released_path(tag, path);
        let now = self.git_path(path);
        if released == now {
            format!("git checkout {tag} -- {now}")
        } else {
            format!("git show {tag}:{released} > {now}")
        }
    }

    fn changed(&self, path: &str, tags: &[&str], then: &[u8], now: &[u8]) -> Diagnostic {
        let tag = tags.last().copied().unwrap_or_default();
        let display = self.display(path);
        let (diff, line) = short_diff(
            &String::from_utf8_lossy(then),
            &String::from_utf8_lossy(now),
            &format!("{tag}:{display}"),
            &display,
        );
        let width = String::from_utf8_lossy(now)
            .lines()
            .nth(line as usize - 1)
            .map_or(1, |l| l.chars().count() as u32);
        Diagnostic::new(
            Code::ReleasedMigrationChanged,
            format!(
                "`{path}` was released in {} and has changed since:\n{diff}",
                releases_phrase(tags)
            ),
        )
        .file(display)
        .span(Span::on_line(line, 1, width))
        .help(format!(
            "installations of {tag} ran the released text and never run this file again: restore it (`{}`) and make the change in a new migration",
            self.restore(tag, path)
        ))
    }

    fn gone(&self, path: &str, tags: &[&str], new_name: Option<&str>) -> Diagnostic {
        let tag = tags.last().copied().unwrap_or_default();
        match new_name {
            Some(new_name) => Diagnostic::new(
                Code::ReleasedMigrationRenamed,
                format!(
                    "`{path}` was released in {} and has been renamed to `{new_name}` (same text): released names are history, and a new number is a new version, which installations of {tag} run again or never",
                    releases_phrase(tags)
                ),
            )
            .file(self.display(new_name))
            .label(Label::new(
                self.display(path),
                None,
                format!("the name released in {tag}"),
            ))
            .help(format!("rename it back to `{path}`")),
            None => Diagnostic::new(
                Code::ReleasedMigrationDeleted,
                format!(
                    "`{path}` was released in {} and is gone: installations of {tag} ran it, and upgrades from older releases no longer do",
                    releases_phrase(tags)
                ),
            )
            .file(self.display(path))
            .help(format!(
                "restore it (`{}`); to undo what it did, add a new migration",
                self.restore(tag, path)
            )),
        }
    }

    /// A released file whose name the service cannot read, deleted: no installation ran it, so
    /// its deletion changes none, but what it was meant to do may be missing.
    fn unreadable_gone(&self, path: &str, tags: &[&str]) -> Diagnostic {
        Diagnostic::new(
            Code::ReleasedMigrationDeleted,
            format!(
                "`{path}` was released in {} under a name the service cannot read, so no installation applied it, and it is gone",
                releases_phrase(tags)
            ),
        )
        .severity(crate::diagnostic::Severity::Warning)
        .file(self.display(path))
        .help("nothing changes for installations; if what it meant to do is needed, add it as a new migration above the latest release")
    }

    fn fixed(
        &self,
        path: &str,
        fixed: &str,
        tags: &[&str],
        version: &semver::Version,
        skipping: &[&str],
        changed: bool,
    ) -> Diagnostic {
        let version = self.rule.show(version);
        let text = if changed { ", with a changed text" } else { "" };
        let help = if skipping.is_empty() {
            format!(
                "nothing to do for upgrades: the schema versions of {} are below {version}, so they apply `{fixed}` on upgrade; keep the new name",
                releases_phrase(tags)
            )
        } else {
            format!(
                "installations of {} stored a schema version at or above {version} and skip `{fixed}` on upgrade, so they never get it: apply it to them by hand, or add a new migration that does what it does and tolerates having run (`IF NOT EXISTS`); keep the new name",
                releases_phrase(skipping)
            )
        };
        Diagnostic::new(
            Code::ReleasedNameFixed,
            format!(
                "`{path}` was released in {} under a name the service cannot read, so it never applied it; it is now `{fixed}` (version {version}){text}",
                releases_phrase(tags)
            ),
        )
        .file(self.display(fixed))
        .help(help)
    }

    fn in_the_past(
        &self,
        path: &str,
        version: &semver::Version,
        release: &Release,
        schema: &semver::Version,
        stamped: bool,
    ) -> Diagnostic {
        let source = if stamped {
            "its highest migration"
        } else {
            "its tag, as it shipped no migration of this dialect"
        };
        let description = path
            .rsplit('/')
            .next()
            .and_then(|name| name.split_once("__"))
            .map_or("description.sql", |(_, rest)| rest);
        let newest = self
            .driver
            .target()
            .filter(|t| *t > schema)
            .unwrap_or(schema);
        let show = |v: &semver::Version| self.rule.show(v);
        let example = match self.rule {
            VersionRule::Store => format!(
                ", e.g. `{}.{}/{:02}__{description}`",
                newest.major, newest.minor, newest.patch
            ),
            _ => String::new(),
        };
        Diagnostic::new(
            Code::MigrationInThePast,
            format!(
                "`{path}` (version {}) is new since {tag}, whose schema version is {} ({source}): the service skips it on every installation already at {tag}",
                show(version),
                show(schema),
                tag = release.tag
            ),
        )
        .file(self.display(path))
        .help(format!(
            "give it a version above {} and after the newest migration{example}",
            show(schema)
        ))
    }
}

/// `v0.1.2`, or `v0.1.2 (and 3 later releases, up to v0.4.0)`.
fn releases_phrase(tags: &[&str]) -> String {
    match tags {
        [] => String::new(),
        [one] => (*one).to_string(),
        [first, .., last] => format!(
            "{first} (and {} later release{}, up to {last})",
            tags.len() - 1,
            if tags.len() == 2 { "" } else { "s" }
        ),
    }
}

/// A unified diff of the first differing lines (one hunk, with a line of context and at most
/// `DIFF_LINES` lines removed and added), and the line of `now` where they start.
fn short_diff(then: &str, now: &str, then_label: &str, now_label: &str) -> (String, u32) {
    let old: Vec<&str> = then.lines().collect();
    let new: Vec<&str> = now.lines().collect();
    let same_start = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let same_end = old[same_start..]
        .iter()
        .rev()
        .zip(new[same_start..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let removed = &old[same_start..old.len() - same_end];
    let added = &new[same_start..new.len() - same_end];
    let context = same_start.saturating_sub(1);
    let hunk = |start: usize, changed: usize| {
        let length = same_start - context + changed;
        format!("{},{length}", if length == 0 { start } else { start + 1 })
    };
    let mut lines = vec![
        format!("--- {then_label}"),
        format!("+++ {now_label}"),
        format!(
            "@@ -{} +{} @@",
            hunk(context, removed.len()),
            hunk(context, added.len())
        ),
    ];
    lines.extend(old[context..same_start].iter().map(|l| format!(" {l}")));
    let shown = |sign: char, part: &[&str], lines: &mut Vec<String>| {
        lines.extend(part.iter().take(DIFF_LINES).map(|l| format!("{sign}{l}")));
        if part.len() > DIFF_LINES {
            lines.push(format!(
                "{sign}... ({} more lines)",
                part.len() - DIFF_LINES
            ));
        }
    };
    shown('-', removed, &mut lines);
    shown('+', added, &mut lines);
    if removed.is_empty() && added.is_empty() {
        // Only the final newline or a byte `lines()` hides differs.
        lines.push("(the texts differ in white space at the end of the file)".into());
    }
    let text = lines
        .iter()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n");
    let line = (same_start + 1).min(new.len().max(1));
    (text, line as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_diff_shows_the_first_differing_lines() {
        let (diff, line) = short_diff("a\nb\nc\nd\n", "a\nb\nC\nd\n", "v1:x", "x");
        assert_eq!(
            diff,
            "    --- v1:x\n    +++ x\n    @@ -2,2 +2,2 @@\n     b\n    -c\n    +C"
        );
        assert_eq!(line, 3);

        let (diff, line) = short_diff("a\n", "a\nb\n", "v1:x", "x");
        assert!(diff.ends_with("@@ -1,1 +1,2 @@\n     a\n    +b"), "{diff}");
        assert_eq!(line, 2);

        let long: String = (0..10).map(|i| format!("{i}\n")).collect();
        let (diff, _) = short_diff("", &long, "v1:x", "x");
        assert!(diff.contains("+... (4 more lines)"), "{diff}");
    }

    #[test]
    fn releases_are_named_by_the_first_and_the_last() {
        assert_eq!(releases_phrase(&["v0.1.0"]), "v0.1.0");
        assert_eq!(
            releases_phrase(&["v0.1.0", "v0.2.0", "v0.3.0"]),
            "v0.1.0 (and 2 later releases, up to v0.3.0)"
        );
    }

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
