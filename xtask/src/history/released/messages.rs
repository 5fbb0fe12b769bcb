//! The messages of the released-history check: what changed, moved or went missing since a
//! release, with the command that restores it.

use std::collections::BTreeMap;

use crate::codes::Code;
use crate::config::VersionRule;
use crate::diagnostic::{Diagnostic, Label, Span};
use crate::dialect::Dialect;
use crate::git::releases::Release;
use crate::store::{Driver, Store};

/// How many removed and added lines a diff in a message shows at most.
const DIFF_LINES: usize = 6;

/// What the messages of one dialect need.
pub(super) struct Context<'a> {
    pub(super) store: &'a Store,
    pub(super) driver: &'a Driver,
    pub(super) prefix: &'a str,
    pub(super) rule: VersionRule,
    /// The folder each release shipped each dialect in, as git names it.
    pub(super) folders: &'a BTreeMap<(String, Dialect), String>,
    /// Files that moved since a release, by release, dialect and path: their path at the tag.
    pub(super) moved: &'a BTreeMap<(String, Dialect, String), String>,
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

    pub(super) fn changed(
        &self,
        path: &str,
        tags: &[&str],
        then: &[u8],
        now: &[u8],
    ) -> ReleasedFinding {
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
        ReleasedFinding::Changed {
            path: path.to_string(),
            file: display,
            span: Span::on_line(line, 1, width),
            tags: owned(tags),
            diff,
            restore: self.restore(tag, path),
        }
    }

    pub(super) fn gone(
        &self,
        path: &str,
        tags: &[&str],
        new_name: Option<&str>,
    ) -> ReleasedFinding {
        let tag = tags.last().copied().unwrap_or_default();
        match new_name {
            Some(new_name) => ReleasedFinding::Renamed {
                path: path.to_string(),
                released_file: self.display(path),
                new_name: new_name.to_string(),
                file: self.display(new_name),
                tags: owned(tags),
            },
            None => ReleasedFinding::Deleted {
                path: path.to_string(),
                file: self.display(path),
                tags: owned(tags),
                restore: self.restore(tag, path),
            },
        }
    }

    /// A released file whose name the service cannot read, deleted: no installation ran it, so
    /// its deletion changes none, but what it was meant to do may be missing.
    pub(super) fn unreadable_gone(&self, path: &str, tags: &[&str]) -> ReleasedFinding {
        ReleasedFinding::UnreadableDeleted {
            path: path.to_string(),
            file: self.display(path),
            tags: owned(tags),
        }
    }

    pub(super) fn fixed(
        &self,
        path: &str,
        fixed: &str,
        tags: &[&str],
        version: &semver::Version,
        skipping: &[&str],
        changed: bool,
    ) -> ReleasedFinding {
        ReleasedFinding::NameFixed {
            path: path.to_string(),
            fixed: fixed.to_string(),
            file: self.display(fixed),
            tags: owned(tags),
            version: self.rule.show(version),
            skipping: owned(skipping),
            changed,
        }
    }

    pub(super) fn in_the_past(
        &self,
        path: &str,
        version: &semver::Version,
        release: &Release,
        schema: &semver::Version,
        stamped: bool,
    ) -> ReleasedFinding {
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
        let example = match self.rule {
            VersionRule::Store => Some(format!(
                "{}.{}/{:02}__{description}",
                newest.major, newest.minor, newest.patch
            )),
            _ => None,
        };
        ReleasedFinding::InThePast {
            path: path.to_string(),
            file: self.display(path),
            version: self.rule.show(version),
            tag: release.tag.clone(),
            schema: self.rule.show(schema),
            stamped,
            example,
        }
    }
}

fn owned(tags: &[&str]) -> Vec<String> {
    tags.iter().map(|tag| tag.to_string()).collect()
}

/// What the released-history check finds, as data: the check collects it, `From<ReleasedFinding>
/// for Diagnostic` words it. `path` is the migration relative to its dialect folder, `file` as
/// diagnostics show it; `tags` are the releases that shipped it, oldest first; `restore` is the
/// command that brings the released text back; versions are shown as the version rule shows them.
pub(super) enum ReleasedFinding {
    /// A released migration whose text changed: `diff` shows how, from `span` on.
    Changed {
        path: String,
        file: String,
        span: Span,
        tags: Vec<String>,
        diff: String,
        restore: String,
    },
    /// A released migration renamed to `new_name`, its text the same.
    Renamed {
        path: String,
        released_file: String,
        new_name: String,
        file: String,
        tags: Vec<String>,
    },
    /// A released migration that is gone.
    Deleted {
        path: String,
        file: String,
        tags: Vec<String>,
        restore: String,
    },
    /// A released file under a name the service cannot read, gone.
    UnreadableDeleted {
        path: String,
        file: String,
        tags: Vec<String>,
    },
    /// A released file under a name the service cannot read, now named `fixed`; `skipping` are
    /// the releases whose installations skip it on upgrade.
    NameFixed {
        path: String,
        fixed: String,
        file: String,
        tags: Vec<String>,
        version: String,
        skipping: Vec<String>,
        changed: bool,
    },
    /// A migration new since the release `tag`, at a version below its schema version;
    /// `stamped` where that version is the release's highest migration, not its tag.
    InThePast {
        path: String,
        file: String,
        version: String,
        tag: String,
        schema: String,
        stamped: bool,
        /// A name above the newest migration, where the version rule gives one.
        example: Option<String>,
    },
}

impl From<ReleasedFinding> for Diagnostic {
    fn from(finding: ReleasedFinding) -> Diagnostic {
        match finding {
            ReleasedFinding::Changed {
                path,
                file,
                span,
                tags,
                diff,
                restore,
            } => changed(&path, &tags, &diff, &restore).file(file).span(span),
            ReleasedFinding::Renamed {
                path,
                released_file,
                new_name,
                file,
                tags,
            } => renamed(&path, &new_name, &tags)
                .file(file)
                .label(Label::new(
                    released_file,
                    None,
                    format!("the name released in {}", last(&tags)),
                )),
            ReleasedFinding::Deleted {
                path,
                file,
                tags,
                restore,
            } => deleted(&path, &tags, &restore).file(file),
            ReleasedFinding::UnreadableDeleted { path, file, tags } => {
                unreadable_deleted(&path, &tags).file(file)
            }
            ReleasedFinding::NameFixed {
                path,
                fixed,
                file,
                tags,
                version,
                skipping,
                changed,
            } => name_fixed(&path, &fixed, &tags, &version, &skipping, changed).file(file),
            ReleasedFinding::InThePast {
                path,
                file,
                version,
                tag,
                schema,
                stamped,
                example,
            } => in_the_past(&path, &version, &tag, &schema, stamped, example).file(file),
        }
    }
}

fn changed(path: &str, tags: &[String], diff: &str, restore: &str) -> Diagnostic {
    Diagnostic::new(
        Code::ReleasedMigrationChanged,
        format!(
            "`{path}` was released in {} and has changed since:\n{diff}",
            releases_phrase(tags)
        ),
    )
    .help(format!(
        "installations of {} ran the released text and never run this file again: restore it (`{restore}`) and make the change in a new migration",
        last(tags)
    ))
}

fn renamed(path: &str, new_name: &str, tags: &[String]) -> Diagnostic {
    Diagnostic::new(
        Code::ReleasedMigrationRenamed,
        format!(
            "`{path}` was released in {} and has been renamed to `{new_name}` (same text): released names are history, and a new number is a new version, which installations of {} run again or never",
            releases_phrase(tags),
            last(tags)
        ),
    )
    .help(format!("rename it back to `{path}`"))
}

fn deleted(path: &str, tags: &[String], restore: &str) -> Diagnostic {
    Diagnostic::new(
        Code::ReleasedMigrationDeleted,
        format!(
            "`{path}` was released in {} and is gone: installations of {} ran it, and upgrades from older releases no longer do",
            releases_phrase(tags),
            last(tags)
        ),
    )
    .help(format!(
        "restore it (`{restore}`); to undo what it did, add a new migration"
    ))
}

fn unreadable_deleted(path: &str, tags: &[String]) -> Diagnostic {
    Diagnostic::new(
        Code::ReleasedMigrationDeleted,
        format!(
            "`{path}` was released in {} under a name the service cannot read, so no installation applied it, and it is gone",
            releases_phrase(tags)
        ),
    )
    .severity(crate::diagnostic::Severity::Warning)
    .help("nothing changes for installations; if what it meant to do is needed, add it as a new migration above the latest release")
}

fn name_fixed(
    path: &str,
    fixed: &str,
    tags: &[String],
    version: &str,
    skipping: &[String],
    changed: bool,
) -> Diagnostic {
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
    .help(help)
}

fn in_the_past(
    path: &str,
    version: &str,
    tag: &str,
    schema: &str,
    stamped: bool,
    example: Option<String>,
) -> Diagnostic {
    let source = if stamped {
        "its highest migration"
    } else {
        "its tag, as it shipped no migration of this dialect"
    };
    let example = example.map_or_else(String::new, |example| format!(", e.g. `{example}`"));
    Diagnostic::new(
        Code::MigrationInThePast,
        format!(
            "`{path}` (version {version}) is new since {tag}, whose schema version is {schema} ({source}): the service skips it on every installation already at {tag}"
        ),
    )
    .help(format!(
        "give it a version above {schema} and after the newest migration{example}"
    ))
}

/// The tag of the last release of `tags`.
fn last(tags: &[String]) -> &str {
    tags.last().map_or("", String::as_str)
}
/// `v0.1.2`, or `v0.1.2 (and 3 later releases, up to v0.4.0)`.
fn releases_phrase<S: AsRef<str>>(tags: &[S]) -> String {
    match tags {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [first, .., last] => format!(
            "{} (and {} later release{}, up to {})",
            first.as_ref(),
            tags.len() - 1,
            if tags.len() == 2 { "" } else { "s" },
            last.as_ref()
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
}
