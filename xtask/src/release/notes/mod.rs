//! The release notes: what changed in the fresh-install schema since the previous release, as
//! markdown. `schema::diff` reports drift (what a chain got wrong); this compares two schemas
//! the way a reader of release notes wants them: objects added, removed and changed, grouped by
//! kind, with the old and the new definition.
//!
//! The dialects share one list. A change is an object and what happened to it (`Added` column
//! `memo.pinned`); the same change in every dialect is listed once, with each dialect's
//! definition where they differ, and a change that some dialects do not have is marked with the
//! dialects that have it. One list keeps the notes short where the dialects move together, as
//! they are meant to, and still shows where they do not.

use std::collections::BTreeMap;
use std::fmt::Write as _;

mod measured;

use super::Previous;
use crate::dialect::Dialect;
use crate::replay::Summary;
use crate::schema::compare::{self, index_definition, Options, Side};
use crate::schema::{Check, Column, ForeignKey, Index, Key, Schema, Table, Trigger};

/// What the release is compared with.
pub enum Baseline<'a> {
    /// The repository has no release yet: the notes list the whole schema.
    FirstRelease,
    /// Releases exist, but none below this version (itself a problem the check reports): the
    /// notes list the whole schema.
    NoEarlierRelease,
    /// The highest release below this one.
    Release(&'a Previous),
}

pub struct Input<'a> {
    /// The release's tag, `vX.Y.Z`.
    pub tag: &'a str,
    pub baseline: Baseline<'a>,
    /// The dialects the store has.
    pub dialects: &'a [Dialect],
    /// The replay, with the fresh-install schemas it kept.
    pub replay: Option<&'a Summary>,
    /// Releases below this version have no upgrade chain, so their schema is never read.
    pub minimum_upgrade: &'a semver::Version,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Section {
    Tables,
    Columns,
    Constraints,
    Indexes,
    Views,
    Triggers,
    Functions,
    Types,
}

impl Section {
    fn title(self) -> &'static str {
        match self {
            Section::Tables => "Tables",
            Section::Columns => "Columns",
            Section::Constraints => "Constraints",
            Section::Indexes => "Indexes",
            Section::Views => "Views",
            Section::Triggers => "Triggers",
            Section::Functions => "Functions",
            Section::Types => "Types",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Added,
    Changed,
    Removed,
}

impl Kind {
    fn verb(self) -> &'static str {
        match self {
            Kind::Added => "Added",
            Kind::Changed => "Changed",
            Kind::Removed => "Removed",
        }
    }
}

/// One change in one dialect.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Change {
    section: Section,
    kind: Kind,
    /// The object, in markdown: `` `memo.pinned` ``. The same object has the same subject in
    /// every dialect, which is how the dialects' changes are merged.
    subject: String,
    /// Its definition, or how it changed, in markdown; it may differ between dialects.
    detail: Option<String>,
}

pub fn render(input: &Input<'_>) -> String {
    let mut text = body(input);
    let measured = measured::section(input);
    if !measured.is_empty() {
        while !text.ends_with("\n\n") {
            text.push('\n');
        }
        text.push_str(&measured);
    }
    // Paragraphs are written with a blank line after each; the document ends with one newline.
    while text.ends_with("\n\n") {
        text.pop();
    }
    text
}

fn body(input: &Input<'_>) -> String {
    let mut text = String::new();
    let listing = match &input.baseline {
        Baseline::Release(previous) => {
            let _ = writeln!(text, "## Schema changes since {}\n", previous.tag);
            false
        }
        Baseline::FirstRelease => {
            let _ = writeln!(text, "## Schema at {} (first release)\n", input.tag);
            true
        }
        Baseline::NoEarlierRelease => {
            let _ = writeln!(text, "## Schema at {} (no release before it)\n", input.tag);
            true
        }
    };
    let (compared, unread) = compare_dialects(input);
    for sentence in &unread {
        let _ = writeln!(text, "{sentence}\n");
    }
    if compared.is_empty() {
        return text;
    }
    let merged = merge(&compared);
    let all: Vec<Dialect> = compared.iter().map(|(d, _)| *d).collect();
    if merged.is_empty() {
        if all.len() == input.dialects.len() {
            text.push_str("No schema changes.\n");
        } else {
            let names: Vec<&str> = all.iter().map(|d| d.engine()).collect();
            let _ = writeln!(text, "No schema changes in {}.", names.join(" and "));
        }
        return text;
    }
    let mut current = None;
    for ((section, kind, _, subject), details) in &merged {
        if current != Some(*section) {
            if current.is_some() {
                text.push('\n');
            }
            let _ = writeln!(text, "### {}\n", section.title());
            current = Some(*section);
        }
        let head = if listing {
            subject.clone()
        } else {
            format!("{} {subject}", kind.verb())
        };
        let _ = writeln!(text, "- {head}{}", describe(details, &all));
    }
    text
}

/// Each dialect's changes, and a sentence for each dialect whose schemas are not both there.
fn compare_dialects(input: &Input<'_>) -> (Vec<(Dialect, Vec<Change>)>, Vec<String>) {
    let empty = Schema::default();
    let schemas = input.replay.map_or(&[][..], |r| r.schemas.as_slice());
    let schema_of = |dialect: Dialect, release: Option<&str>| {
        schemas
            .iter()
            .find(|s| s.dialect == dialect && s.release.as_deref() == release)
            .map(|s| &s.schema)
    };
    let mut compared = Vec::new();
    let mut unread = Vec::new();
    for &dialect in input.dialects {
        let Some(after) = schema_of(dialect, None) else {
            unread.push(format!(
                "{}: the working tree's fresh install could not be read (its LATEST.sql did \
                 not apply; see the errors above), so its schema is not listed.",
                dialect.engine()
            ));
            continue;
        };
        let before = match &input.baseline {
            Baseline::Release(previous) => match schema_of(dialect, Some(&previous.tag)) {
                Some(before) => before,
                None => {
                    unread.push(missing_release(input, previous, dialect));
                    continue;
                }
            },
            Baseline::FirstRelease | Baseline::NoEarlierRelease => &empty,
        };
        compared.push((dialect, changes(before, after)));
    }
    (compared, unread)
}

/// Why the previous release's schema of a dialect is not there to compare with.
fn missing_release(input: &Input<'_>, previous: &Previous, dialect: Dialect) -> String {
    let engine = dialect.engine();
    let tag = &previous.tag;
    let chain = format!("upgrade-from-{tag}");
    let chain_ran = input.replay.is_some_and(|r| {
        r.chains
            .iter()
            .any(|c| c.dialect == dialect && c.name == chain)
    });
    if previous.version < *input.minimum_upgrade {
        format!(
            "{engine}: {tag} is below the minimum upgrade version {}, so no upgrade chain \
             replays it and its schema was not read; the changes are not listed.",
            input.minimum_upgrade
        )
    } else if chain_ran {
        format!(
            "{engine}: {tag}'s LATEST.sql did not apply (see the errors above), so its schema \
             was not read; the changes are not listed."
        )
    } else {
        format!(
            "{engine}: {tag} has no {} LATEST.sql, so there is no released schema to compare \
             with; the changes are not listed.",
            dialect.folder()
        )
    }
}

/// A change without its detail: the section, the kind, the subject without markup (the order
/// of the list) and the subject.
type Shape = (Section, Kind, String, String);

/// The dialects' changes as one list, sorted by section, kind and object; each with the details
/// of the dialects that have it.
fn merge(compared: &[(Dialect, Vec<Change>)]) -> BTreeMap<Shape, Vec<(Dialect, Option<String>)>> {
    let mut merged: BTreeMap<Shape, Vec<(Dialect, Option<String>)>> = BTreeMap::new();
    for (dialect, changes) in compared {
        for change in changes {
            merged
                .entry((
                    change.section,
                    change.kind,
                    change.subject.replace('`', ""),
                    change.subject.clone(),
                ))
                .or_default()
                .push((*dialect, change.detail.clone()));
        }
    }
    merged
}

/// The rest of a change's line: `: detail`, the dialects' details where they differ, and the
/// dialects that have it where not all do.
fn describe(details: &[(Dialect, Option<String>)], all: &[Dialect]) -> String {
    let mut groups: Vec<(&Option<String>, Vec<Dialect>)> = Vec::new();
    for (dialect, detail) in details {
        match groups.iter_mut().find(|(d, _)| *d == detail) {
            Some((_, dialects)) => dialects.push(*dialect),
            None => groups.push((detail, vec![*dialect])),
        }
    }
    let names = |dialects: &[Dialect]| {
        dialects
            .iter()
            .map(|d| d.engine())
            .collect::<Vec<_>>()
            .join(" and ")
    };
    match groups.as_slice() {
        [(detail, dialects)] => {
            let detail = detail.as_ref().map_or(String::new(), |d| format!(": {d}"));
            if dialects.len() == all.len() {
                detail
            } else {
                format!("{detail} ({} only)", names(dialects))
            }
        }
        groups => {
            let parts: Vec<String> = groups
                .iter()
                .map(|(detail, dialects)| match detail {
                    Some(detail) => format!("{detail} ({})", names(dialects)),
                    None => format!("({})", names(dialects)),
                })
                .collect();
            format!(": {}", parts.join("; "))
        }
    }
}

/// Everything that differs from `before` to `after`, in one dialect: the release notes' policy
/// over the comparison core, which keeps names as they are and sees meaning only in equal text.
fn changes(before: &Schema, after: &Schema) -> Vec<Change> {
    let compared = compare::compare(before, after, &Options::default());
    let mut out = Vec::new();
    let mut primary_keys: BTreeMap<&str, (Option<&Key>, Option<&Key>)> = BTreeMap::new();
    for change in &compared {
        match change {
            compare::Change::PrimaryKey(table, side) => {
                let entry = primary_keys.entry(*table).or_default();
                // The same key under another name is no change a reader needs.
                if !matches!(side, Side::Changed(..)) {
                    entry.0 = entry.0.or(side.left());
                    entry.1 = entry.1.or(side.right());
                }
            }
            compare::Change::Table(name, side) => table(name, side, &mut out),
            compare::Change::Column { table, column, .. } => columns(table, column, &mut out),
            compare::Change::Unique(table, side) => {
                let subject = |k: &Key| unique_subject(table, k);
                constraint(Section::Constraints, side, subject, &mut out)
            }
            compare::Change::ForeignKey(table, side) => {
                let subject = |f: &ForeignKey| foreign_key_subject(table, f);
                constraint(Section::Constraints, side, subject, &mut out)
            }
            compare::Change::Check(table, side) => {
                let subject =
                    |c: &Check| format!("check {} on {}", code(&c.expression), code(table));
                constraint(Section::Constraints, side, subject, &mut out)
            }
            change => object(change, &mut out),
        }
    }
    for (table, (old, new)) in primary_keys {
        if old.is_none() && new.is_none() {
            continue;
        }
        let shown =
            |key: Option<&Key>| key.map_or("none".to_string(), |k| code(&k.columns.join(", ")));
        out.push(Change {
            section: Section::Constraints,
            kind: Kind::Changed,
            subject: format!("primary key of {}", code(table)),
            detail: Some(format!("{} → {}", shown(old), shown(new))),
        });
    }
    out
}

/// A change of an object by the core's side: added with its definition, removed, or changed
/// with how.
fn push<T>(
    out: &mut Vec<Change>,
    section: Section,
    side: &Side<'_, T>,
    subject: String,
    definition: impl Fn(&T) -> Option<String>,
    difference: impl Fn(&T, &T) -> Option<String>,
) {
    let (kind, detail) = match *side {
        Side::Added(new) => (Kind::Added, definition(new)),
        Side::Removed(_) => (Kind::Removed, None),
        Side::Changed(old, new) => (Kind::Changed, difference(old, new)),
    };
    out.push(Change {
        section,
        kind,
        subject,
        detail,
    });
}

/// A table on one side only; the columns and constraints of one on both are changes of their
/// own.
fn table(name: &str, side: &Side<'_, Table>, out: &mut Vec<Change>) {
    let definition = |table: &Table| Some(format!("columns {}", names(&table.columns)));
    push(
        out,
        Section::Tables,
        side,
        code(name),
        definition,
        |_, _| None,
    );
}

/// A column of a table on both sides. Column order is not a change a reader of release notes
/// needs.
fn columns(table: &str, side: &Side<'_, Column>, out: &mut Vec<Change>) {
    let Some(column) = side.right().or(side.left()) else {
        return;
    };
    let subject = code(&format!("{table}.{}", column.name));
    let definition = |c: &Column| Some(code(&column_definition(c)));
    let difference = |old: &Column, new: &Column| Some(column_difference(old, new));
    push(out, Section::Columns, side, subject, definition, difference);
}

/// A key or constraint by what it means rather than by name, as SQLite keeps no names for most
/// of them: one whose meaning changed is removed and added.
fn constraint<T>(
    section: Section,
    side: &Side<'_, T>,
    subject: impl Fn(&T) -> String,
    out: &mut Vec<Change>,
) {
    let mut push = |kind, constraint: &T| {
        out.push(Change {
            section,
            kind,
            subject: subject(constraint),
            detail: None,
        })
    };
    match *side {
        Side::Added(new) => push(Kind::Added, new),
        Side::Removed(old) => push(Kind::Removed, old),
        Side::Changed(old, new) if subject(old) != subject(new) => {
            push(Kind::Removed, old);
            push(Kind::Added, new);
        }
        Side::Changed(..) => {}
    }
}

fn unique_subject(table: &str, key: &Key) -> String {
    format!(
        "unique {}",
        code(&format!("{table} ({})", key.columns.join(", ")))
    )
}

fn foreign_key_subject(table: &str, fk: &ForeignKey) -> String {
    let mut text = format!(
        "foreign key {} → {}",
        code(&format!("{table} ({})", fk.columns.join(", "))),
        code(&format!(
            "{} ({})",
            fk.referenced_table,
            fk.referenced_columns.join(", ")
        ))
    );
    for (event, action) in [("DELETE", &fk.on_delete), ("UPDATE", &fk.on_update)] {
        if action != "no action" {
            text.push_str(&format!(" ON {event} {}", action.to_uppercase()));
        }
    }
    text
}

/// Indexes, views, triggers, functions and enum types. Sequences are not listed: they follow
/// their columns.
fn object(change: &compare::Change<'_>, out: &mut Vec<Change>) {
    let definition = |index: &Index| code(&index_definition(index));
    match change {
        compare::Change::Index { name, index, .. } => push(
            out,
            Section::Indexes,
            index,
            code(name),
            |i| Some(definition(i)),
            |old, new| Some(format!("{} → {}", definition(old), definition(new))),
        ),
        compare::Change::View(name, side) => push(
            out,
            Section::Views,
            side,
            code(name),
            |_| None,
            |_, _| Some("its query".into()),
        ),
        compare::Change::Trigger(_, side) => trigger(side, out),
        compare::Change::Function(name, side) => push(
            out,
            Section::Functions,
            side,
            code(name),
            |f| Some(format!("returns {}", code(&f.returns))),
            |_, _| Some("its definition".into()),
        ),
        compare::Change::Enum(name, side) => push(
            out,
            Section::Types,
            side,
            code(name),
            |labels| Some(format!("enum {}", labels_list(labels))),
            |old, new| Some(format!("enum {} → {}", labels_list(old), labels_list(new))),
        ),
        _ => {}
    }
}

/// A trigger is named by its table and name: PostgreSQL names a trigger within its table,
/// SQLite within the schema, and by both the same trigger is the same object in each. One that
/// moved to another table is removed and added.
fn trigger(side: &Side<'_, Trigger>, out: &mut Vec<Change>) {
    let subject = |t: &Trigger| format!("{} on {}", code(&t.name), code(&t.table));
    let sides = match *side {
        Side::Changed(old, new) if old.table != new.table => {
            vec![Side::Removed(old), Side::Added(new)]
        }
        side => vec![side],
    };
    for side in sides {
        let Some(trigger) = side.right().or(side.left()) else {
            continue;
        };
        let difference = |_: &Trigger, _: &Trigger| Some("its definition".into());
        push(
            out,
            Section::Triggers,
            &side,
            subject(trigger),
            |_| None,
            difference,
        );
    }
}

/// `integer NOT NULL DEFAULT 0`, as the engine reports the column.
fn column_definition(column: &Column) -> String {
    let mut text = column.data_type.clone();
    if column.not_null {
        text.push_str(" NOT NULL");
    }
    if let Some(default) = &column.default {
        text.push_str(&format!(" DEFAULT {default}"));
    }
    if let Some(generated) = &column.generated {
        text.push_str(&format!(" {}", generated.to_uppercase()));
    }
    if let Some(collation) = &column.collation {
        text.push_str(&format!(" COLLATE {collation}"));
    }
    text
}

/// What changed in a column: `type `text` → `varchar(20)`; now NOT NULL`.
fn column_difference(old: &Column, new: &Column) -> String {
    let optional = |value: &Option<String>| value.as_deref().map_or("none".to_string(), code);
    let mut parts = Vec::new();
    if old.data_type != new.data_type {
        parts.push(format!(
            "type {} → {}",
            code(&old.data_type),
            code(&new.data_type)
        ));
    }
    if old.not_null != new.not_null {
        parts.push(
            if new.not_null {
                "now NOT NULL"
            } else {
                "now nullable"
            }
            .to_string(),
        );
    }
    for (what, before, after) in [
        ("default", &old.default, &new.default),
        ("generated", &old.generated, &new.generated),
        ("collation", &old.collation, &new.collation),
    ] {
        if before != after {
            parts.push(format!("{what} {} → {}", optional(before), optional(after)));
        }
    }
    parts.join("; ")
}

fn names(columns: &[Column]) -> String {
    columns
        .iter()
        .map(|c| code(&c.name))
        .collect::<Vec<_>>()
        .join(", ")
}

fn labels_list(labels: &[String]) -> String {
    labels
        .iter()
        .map(|l| code(&format!("'{l}'")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Inline code in markdown. A backtick inside is rare in SQL names and expressions; a longer
/// fence keeps it literal.
fn code(text: &str) -> String {
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

#[cfg(test)]
mod tests;
