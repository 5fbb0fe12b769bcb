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

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::Previous;
use crate::dialect::Dialect;
use crate::replay::Summary;
use crate::schema::{Column, Index, Schema, Table, Trigger};

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

/// Everything that differs from `before` to `after`, in one dialect.
fn changes(before: &Schema, after: &Schema) -> Vec<Change> {
    let mut out = Vec::new();
    compare(
        &mut out,
        Section::Tables,
        &before.tables,
        &after.tables,
        |name, _| code(name),
        |table| Some(format!("columns {}", names(&table.columns))),
        |_, _| None,
    );
    for (name, table) in &after.tables {
        if let Some(old) = before.tables.get(name) {
            columns(name, old, table, &mut out);
            constraints(name, old, table, &mut out);
        }
    }
    compare(
        &mut out,
        Section::Indexes,
        &before.indexes,
        &after.indexes,
        |name, _| code(name),
        |index| Some(code(&index_definition(index))),
        |old, new| {
            Some(format!(
                "{} → {}",
                code(&index_definition(old)),
                code(&index_definition(new))
            ))
        },
    );
    compare(
        &mut out,
        Section::Views,
        &before.views,
        &after.views,
        |name, _| code(name),
        |_| None,
        |_, _| Some("its query".into()),
    );
    compare(
        &mut out,
        Section::Triggers,
        &triggers(before),
        &triggers(after),
        |_, trigger| format!("{} on {}", code(&trigger.name), code(&trigger.table)),
        |_| None,
        |_, _| Some("its definition".into()),
    );
    compare(
        &mut out,
        Section::Functions,
        &before.functions,
        &after.functions,
        |name, _| code(name),
        |function| Some(format!("returns {}", code(&function.returns))),
        |_, _| Some("its definition".into()),
    );
    compare(
        &mut out,
        Section::Types,
        &before.enums,
        &after.enums,
        |name, _| code(name),
        |labels| Some(format!("enum {}", labels_list(labels))),
        |old, new| Some(format!("enum {} → {}", labels_list(old), labels_list(new))),
    );
    out
}

/// Triggers by table and name: PostgreSQL names a trigger within its table, SQLite within the
/// schema, and by both the same trigger is the same object in each.
fn triggers(schema: &Schema) -> BTreeMap<String, &Trigger> {
    schema
        .triggers
        .values()
        .map(|t| (format!("{}.{}", t.table, t.name), t))
        .collect()
}

/// Objects of one kind by name: added, removed, and changed where they differ. `difference`
/// says how an object changed; `None` leaves it out, for tables, whose columns and constraints
/// are listed as changes of their own.
fn compare<T: PartialEq>(
    out: &mut Vec<Change>,
    section: Section,
    before: &BTreeMap<String, T>,
    after: &BTreeMap<String, T>,
    subject: impl Fn(&str, &T) -> String,
    definition: impl Fn(&T) -> Option<String>,
    difference: impl Fn(&T, &T) -> Option<String>,
) {
    for (name, new) in after {
        match before.get(name) {
            None => out.push(Change {
                section,
                kind: Kind::Added,
                subject: subject(name, new),
                detail: definition(new),
            }),
            Some(old) if old != new => {
                if let Some(detail) = difference(old, new) {
                    out.push(Change {
                        section,
                        kind: Kind::Changed,
                        subject: subject(name, new),
                        detail: Some(detail),
                    });
                }
            }
            Some(_) => {}
        }
    }
    for (name, old) in before.iter().filter(|(name, _)| !after.contains_key(*name)) {
        out.push(Change {
            section,
            kind: Kind::Removed,
            subject: subject(name, old),
            detail: None,
        });
    }
}

/// The columns of a table that exists on both sides. Column order is not a change a reader of
/// release notes needs.
fn columns(table: &str, old: &Table, new: &Table, out: &mut Vec<Change>) {
    let subject = |column: &Column| code(&format!("{table}.{}", column.name));
    for column in &new.columns {
        match old.columns.iter().find(|c| c.name == column.name) {
            None => out.push(Change {
                section: Section::Columns,
                kind: Kind::Added,
                subject: subject(column),
                detail: Some(code(&column_definition(column))),
            }),
            Some(before) if before != column => out.push(Change {
                section: Section::Columns,
                kind: Kind::Changed,
                subject: subject(column),
                detail: Some(column_difference(before, column)),
            }),
            Some(_) => {}
        }
    }
    for column in &old.columns {
        if !new.columns.iter().any(|c| c.name == column.name) {
            out.push(Change {
                section: Section::Columns,
                kind: Kind::Removed,
                subject: subject(column),
                detail: None,
            });
        }
    }
}

/// Keys and constraints of a table that exists on both sides, by what they mean rather than
/// by name: SQLite keeps no names for most of them.
fn constraints(table: &str, old: &Table, new: &Table, out: &mut Vec<Change>) {
    let key_columns = |table: &Table| table.primary_key.as_ref().map(|k| k.columns.clone());
    let (old_key, new_key) = (key_columns(old), key_columns(new));
    if old_key != new_key {
        let shown = |key: &Option<Vec<String>>| {
            key.as_ref()
                .map_or("none".to_string(), |columns| code(&columns.join(", ")))
        };
        out.push(Change {
            section: Section::Constraints,
            kind: Kind::Changed,
            subject: format!("primary key of {}", code(table)),
            detail: Some(format!("{} → {}", shown(&old_key), shown(&new_key))),
        });
    }
    let uniques = |t: &Table| -> BTreeSet<String> {
        t.uniques
            .iter()
            .map(|k| {
                format!(
                    "unique {}",
                    code(&format!("{table} ({})", k.columns.join(", ")))
                )
            })
            .collect()
    };
    let foreign_keys = |t: &Table| -> BTreeSet<String> {
        t.foreign_keys
            .iter()
            .map(|fk| {
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
            })
            .collect()
    };
    let checks = |t: &Table| -> BTreeSet<String> {
        t.checks
            .iter()
            .map(|c| format!("check {} on {}", code(&c.expression), code(table)))
            .collect()
    };
    let sides = [
        (uniques(old), uniques(new)),
        (foreign_keys(old), foreign_keys(new)),
        (checks(old), checks(new)),
    ];
    for (before, after) in sides {
        for subject in after.difference(&before) {
            out.push(Change {
                section: Section::Constraints,
                kind: Kind::Added,
                subject: subject.clone(),
                detail: None,
            });
        }
        for subject in before.difference(&after) {
            out.push(Change {
                section: Section::Constraints,
                kind: Kind::Removed,
                subject: subject.clone(),
                detail: None,
            });
        }
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

/// `UNIQUE memo (creator_id, created_ts desc) USING gin WHERE pinned`.
fn index_definition(index: &Index) -> String {
    let mut text = String::new();
    if index.unique {
        text.push_str("UNIQUE ");
    }
    text.push_str(&format!("{} ({})", index.table, index.columns.join(", ")));
    if let Some(method) = &index.method {
        text.push_str(&format!(" USING {method}"));
    }
    if let Some(predicate) = &index.predicate {
        text.push_str(&format!(" WHERE {predicate}"));
    }
    text
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
mod tests {
    use super::*;
    use crate::replay::{CapturedSchema, ChainSummary};
    use crate::schema::{Check, Key};

    fn column(name: &str, data_type: &str, not_null: bool, default: Option<&str>) -> Column {
        Column {
            name: name.into(),
            data_type: data_type.into(),
            not_null,
            default: default.map(String::from),
            ..Column::default()
        }
    }

    fn table(name: &str, columns: Vec<Column>) -> Table {
        Table {
            name: name.into(),
            primary_key: Some(Key {
                name: None,
                columns: vec!["id".into()],
            }),
            columns,
            ..Table::default()
        }
    }

    fn schema(tables: Vec<Table>, indexes: Vec<Index>) -> Schema {
        Schema {
            tables: tables.into_iter().map(|t| (t.name.clone(), t)).collect(),
            indexes: indexes.into_iter().map(|i| (i.name.clone(), i)).collect(),
            ..Schema::default()
        }
    }

    fn memo(extra: Vec<Column>) -> Table {
        let mut columns = vec![
            column("id", "integer", true, None),
            column("content", "text", true, Some("''")),
        ];
        columns.extend(extra);
        table("memo", columns)
    }

    fn index(name: &str, columns: &[&str]) -> Index {
        Index {
            name: name.into(),
            table: "memo".into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            ..Index::default()
        }
    }

    fn captured(dialect: Dialect, release: Option<&str>, schema: Schema) -> CapturedSchema {
        CapturedSchema {
            dialect,
            release: release.map(String::from),
            schema,
        }
    }

    fn previous(tag: &str) -> Previous {
        Previous {
            tag: tag.into(),
            version: semver::Version::parse(tag.trim_start_matches('v')).expect("a version"),
        }
    }

    fn notes(baseline: Baseline<'_>, schemas: Vec<CapturedSchema>) -> String {
        let summary = Summary {
            schemas,
            ..Summary::default()
        };
        render(&Input {
            tag: "v0.3.0",
            baseline,
            dialects: &Dialect::ALL,
            replay: Some(&summary),
            minimum_upgrade: &semver::Version::new(0, 1, 0),
        })
    }

    #[test]
    fn the_dialects_share_one_list_with_their_own_definitions() {
        let old = schema(vec![memo(vec![])], vec![]);
        let mut new_postgres = memo(vec![column("pinned", "boolean", true, Some("false"))]);
        new_postgres.columns[1] = column("content", "character varying(200)", true, Some("''"));
        let mut new_sqlite = memo(vec![column("pinned", "integer", true, Some("0"))]);
        new_sqlite.checks.push(Check {
            name: None,
            expression: "pinned IN (0, 1)".into(),
        });
        let tag = table(
            "tag",
            vec![
                column("id", "integer", true, None),
                column("name", "text", true, None),
            ],
        );
        let pinned = index("idx_memo_pinned", &["pinned"]);
        let mut postgres = schema(vec![new_postgres, tag.clone()], vec![pinned.clone()]);
        postgres.triggers.insert(
            "memo_updated".into(),
            Trigger {
                name: "memo_updated".into(),
                table: "memo".into(),
                definition: "...".into(),
            },
        );
        let sqlite = schema(vec![new_sqlite, tag], vec![pinned]);
        let previous = previous("v0.2.0");
        let text = notes(
            Baseline::Release(&previous),
            vec![
                captured(Dialect::Postgres, None, postgres),
                captured(Dialect::Postgres, Some("v0.2.0"), old.clone()),
                captured(Dialect::Sqlite, None, sqlite),
                captured(Dialect::Sqlite, Some("v0.2.0"), old),
            ],
        );
        insta::assert_snapshot!(text);
    }

    #[test]
    fn removals_and_index_changes() {
        let old = schema(
            vec![
                memo(vec![column("tags", "text", false, None)]),
                table("storage", vec![column("id", "integer", true, None)]),
            ],
            vec![index("idx_memo_content", &["content"])],
        );
        let mut changed = index("idx_memo_content", &["content", "id"]);
        changed.unique = true;
        let new = schema(vec![memo(vec![])], vec![changed]);
        let previous = previous("v0.2.0");
        let schemas = Dialect::ALL
            .iter()
            .flat_map(|&d| {
                [
                    captured(d, None, new.clone()),
                    captured(d, Some("v0.2.0"), old.clone()),
                ]
            })
            .collect();
        insta::assert_snapshot!(notes(Baseline::Release(&previous), schemas));
    }

    #[test]
    fn a_first_release_lists_the_schema() {
        let now = schema(
            vec![memo(vec![])],
            vec![index("idx_memo_content", &["content"])],
        );
        let text = notes(
            Baseline::FirstRelease,
            vec![
                captured(Dialect::Postgres, None, now.clone()),
                captured(Dialect::Sqlite, None, now),
            ],
        );
        insta::assert_snapshot!(text);
    }

    #[test]
    fn a_missing_schema_is_a_sentence_and_no_change_says_so() {
        let now = schema(vec![memo(vec![])], vec![]);
        let below = previous("v0.0.9");
        let text = notes(
            Baseline::Release(&below),
            vec![
                captured(Dialect::Postgres, None, now.clone()),
                captured(Dialect::Sqlite, None, now.clone()),
            ],
        );
        assert!(text.contains("PostgreSQL: v0.0.9 is below the minimum upgrade version 0.1.0"));
        assert!(text.contains("SQLite: v0.0.9 is below the minimum upgrade version 0.1.0"));
        assert!(!text.contains("No schema changes"), "{text}");

        let previous = previous("v0.2.0");
        let text = notes(
            Baseline::Release(&previous),
            vec![
                captured(Dialect::Postgres, None, now.clone()),
                captured(Dialect::Postgres, Some("v0.2.0"), now.clone()),
                captured(Dialect::Sqlite, None, now),
            ],
        );
        assert_eq!(
            text,
            "## Schema changes since v0.2.0\n\n\
             SQLite: v0.2.0 has no sqlite LATEST.sql, so there is no released schema to compare \
             with; the changes are not listed.\n\n\
             No schema changes in PostgreSQL.\n"
        );
    }

    #[test]
    fn a_script_that_did_not_apply_is_named() {
        let now = schema(vec![memo(vec![])], vec![]);
        let summary = Summary {
            chains: vec![ChainSummary {
                dialect: Dialect::Sqlite,
                name: "upgrade-from-v0.2.0".into(),
                passed: false,
                not_checked: None,
            }],
            schemas: vec![captured(Dialect::Sqlite, None, now)],
            ..Summary::default()
        };
        let previous = previous("v0.2.0");
        let text = render(&Input {
            tag: "v0.3.0",
            baseline: Baseline::Release(&previous),
            dialects: &Dialect::ALL,
            replay: Some(&summary),
            minimum_upgrade: &semver::Version::new(0, 1, 0),
        });
        assert_eq!(
            text,
            "## Schema changes since v0.2.0\n\n\
             PostgreSQL: the working tree's fresh install could not be read (its LATEST.sql did \
             not apply; see the errors above), so its schema is not listed.\n\n\
             SQLite: v0.2.0's LATEST.sql did not apply (see the errors above), so its schema \
             was not read; the changes are not listed.\n"
        );
    }
}
