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

    pub(super) fn changed(&self, path: &str, tags: &[&str], then: &[u8], now: &[u8]) -> Diagnostic {
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

    pub(super) fn gone(&self, path: &str, tags: &[&str], new_name: Option<&str>) -> Diagnostic {
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
    pub(super) fn unreadable_gone(&self, path: &str, tags: &[&str]) -> Diagnostic {
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

    pub(super) fn fixed(
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

    pub(super) fn in_the_past(
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
}
