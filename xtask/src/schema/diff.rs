//! Compares two schemas: what a chain built against what the fresh install builds. A difference
//! in meaning (a missing object, another type, default, key, constraint, index, body) is an
//! error; the same meaning under another name (an inline UNIQUE against a unique index, a
//! constraint named differently) and a different column order are warnings.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{Check, ForeignKey, Index, Key, Schema, Table};
use crate::diagnostic::Severity;

/// One difference between the expected schema (`fresh`) and another (`actual`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub severity: Severity,
    /// The object it concerns, e.g. `table memo`, `index idx_memo_tags`.
    pub object: String,
    /// What differs, e.g. `column visibility: default`; empty where the object itself is missing
    /// or extra.
    pub aspect: String,
    /// The expected side; `None` where the object or part is absent there.
    pub expected: Option<String>,
    pub actual: Option<String>,
}

impl Difference {
    pub(crate) fn new(
        severity: Severity,
        object: impl Into<String>,
        aspect: impl Into<String>,
        expected: Option<String>,
        actual: Option<String>,
    ) -> Difference {
        Difference {
            severity,
            object: object.into(),
            aspect: aspect.into(),
            expected,
            actual,
        }
    }

    /// The table the difference belongs to, if any: for locating it in LATEST.sql.
    pub fn table(&self) -> Option<&str> {
        self.object.strip_prefix("table ")
    }
}

pub fn diff(expected: &Schema, actual: &Schema) -> Vec<Difference> {
    let mut out = Vec::new();
    let equivalences = unique_equivalences(expected, actual);
    for_each_pair(
        &expected.tables,
        &actual.tables,
        "table",
        &mut out,
        |e, a, out| tables(e, a, &equivalences, out),
    );
    indexes(expected, actual, &equivalences, &mut out);
    for_each_pair(
        &expected.triggers,
        &actual.triggers,
        "trigger",
        &mut out,
        |e, a, out| {
            let object = format!("trigger {}", e.name);
            changed(out, &object, "table", &e.table, &a.table);
            changed(out, &object, "definition", &e.definition, &a.definition);
        },
    );
    for_each_pair(
        &expected.views,
        &actual.views,
        "view",
        &mut out,
        |e, a, out| {
            changed(
                out,
                &format!("view {}", e.name),
                "definition",
                &e.definition,
                &a.definition,
            );
        },
    );
    for_each_pair(
        &expected.sequences,
        &actual.sequences,
        "sequence",
        &mut out,
        |e, a, out| {
            let object = format!("sequence {}", e.name);
            changed(out, &object, "type", &e.data_type, &a.data_type);
            changed(out, &object, "owned by", &e.owned_by, &a.owned_by);
        },
    );
    for_each_pair(
        &expected.enums,
        &actual.enums,
        "type",
        &mut out,
        |e, a, out| {
            if e != a {
                let labels = |l: &Vec<String>| Some(l.join(", "));
                out.push(Difference::new(
                    Severity::Error,
                    "enum type",
                    "labels",
                    labels(e),
                    labels(a),
                ));
            }
        },
    );
    for_each_pair(
        &expected.functions,
        &actual.functions,
        "function",
        &mut out,
        |e, a, out| {
            let object = format!("function {}", e.signature);
            changed(out, &object, "returns", &e.returns, &a.returns);
            changed(out, &object, "language", &e.language, &a.language);
            changed(out, &object, "body", &e.body, &a.body);
        },
    );
    out
}

/// Reports objects present on one side only, and calls `compare` for those on both.
fn for_each_pair<T>(
    expected: &BTreeMap<String, T>,
    actual: &BTreeMap<String, T>,
    kind: &str,
    out: &mut Vec<Difference>,
    mut compare: impl FnMut(&T, &T, &mut Vec<Difference>),
) {
    for (name, e) in expected {
        match actual.get(name) {
            Some(a) => compare(e, a, out),
            None => out.push(Difference::new(
                Severity::Error,
                format!("{kind} {name}"),
                "",
                Some("present".into()),
                None,
            )),
        }
    }
    for name in actual.keys().filter(|n| !expected.contains_key(*n)) {
        out.push(Difference::new(
            Severity::Error,
            format!("{kind} {name}"),
            "",
            None,
            Some("present".into()),
        ));
    }
}

fn changed<T: PartialEq + std::fmt::Debug + Describe>(
    out: &mut Vec<Difference>,
    object: &str,
    aspect: &str,
    expected: &T,
    actual: &T,
) {
    if expected != actual {
        out.push(Difference::new(
            Severity::Error,
            object,
            aspect,
            expected.describe(),
            actual.describe(),
        ));
    }
}

/// How a value is shown on one side of a difference.
trait Describe {
    fn describe(&self) -> Option<String>;
}

impl Describe for String {
    fn describe(&self) -> Option<String> {
        Some(self.clone())
    }
}

impl Describe for bool {
    fn describe(&self) -> Option<String> {
        Some(self.to_string())
    }
}

impl Describe for Option<String> {
    fn describe(&self) -> Option<String> {
        Some(self.clone().unwrap_or_else(|| "none".into()))
    }
}

impl Describe for Vec<String> {
    fn describe(&self) -> Option<String> {
        Some(format!("({})", self.join(", ")))
    }
}

fn tables(
    expected: &Table,
    actual: &Table,
    equivalences: &Equivalences,
    out: &mut Vec<Difference>,
) {
    let object = format!("table {}", expected.name);
    let actual_columns: BTreeMap<&str, _> = actual
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c))
        .collect();
    let expected_names: BTreeSet<&str> = expected.columns.iter().map(|c| c.name.as_str()).collect();
    for column in &expected.columns {
        let Some(other) = actual_columns.get(column.name.as_str()) else {
            out.push(Difference::new(
                Severity::Error,
                &object,
                format!("column {}", column.name),
                Some(column.data_type.clone()),
                None,
            ));
            continue;
        };
        let aspect = |what: &str| format!("column {}: {what}", column.name);
        changed(
            out,
            &object,
            &aspect("type"),
            &column.data_type,
            &other.data_type,
        );
        changed(
            out,
            &object,
            &aspect("not null"),
            &column.not_null,
            &other.not_null,
        );
        changed(
            out,
            &object,
            &aspect("default"),
            &column.default,
            &other.default,
        );
        changed(
            out,
            &object,
            &aspect("generated"),
            &column.generated,
            &other.generated,
        );
        changed(
            out,
            &object,
            &aspect("collation"),
            &column.collation,
            &other.collation,
        );
    }
    for column in actual
        .columns
        .iter()
        .filter(|c| !expected_names.contains(c.name.as_str()))
    {
        out.push(Difference::new(
            Severity::Error,
            &object,
            format!("column {}", column.name),
            None,
            Some(column.data_type.clone()),
        ));
    }
    // Column order matters to `SELECT *` and `INSERT` without a column list, but not to the
    // meaning of the schema: a warning, judged on the columns both sides have.
    let common = |table: &Table, other: &BTreeSet<&str>| -> Vec<String> {
        table
            .columns
            .iter()
            .filter(|c| other.contains(c.name.as_str()))
            .map(|c| c.name.clone())
            .collect()
    };
    let actual_names: BTreeSet<&str> = actual_columns.keys().copied().collect();
    let (expected_order, actual_order) = (
        common(expected, &actual_names),
        common(actual, &expected_names),
    );
    if expected_order != actual_order {
        out.push(Difference::new(
            Severity::Warning,
            &object,
            "column order",
            expected_order.describe(),
            actual_order.describe(),
        ));
    }

    keys(
        &object,
        "primary key",
        expected.primary_key.iter().collect(),
        actual.primary_key.iter().collect(),
        out,
    );
    // A unique constraint that the other side has as a unique index is reported with the index.
    keys(
        &object,
        "unique",
        uniques_without_equivalents(expected, equivalences),
        uniques_without_equivalents(actual, equivalences),
        out,
    );
    named(
        &object,
        "check",
        &expected.checks,
        &actual.checks,
        |c: &Check| c.name.clone(),
        |c: &Check| c.expression.clone(),
        out,
    );
    named(
        &object,
        "foreign key",
        &expected.foreign_keys,
        &actual.foreign_keys,
        |f: &ForeignKey| f.name.clone(),
        describe_foreign_key,
        out,
    );
}

fn uniques_without_equivalents<'a>(table: &'a Table, equivalences: &Equivalences) -> Vec<&'a Key> {
    table
        .uniques
        .iter()
        .filter(|k| !equivalences.contains(&(table.name.clone(), k.columns.clone())))
        .collect()
}

fn describe_foreign_key(key: &ForeignKey) -> String {
    format!(
        "({}) references {} ({}) on delete {} on update {}",
        key.columns.join(", "),
        key.referenced_table,
        key.referenced_columns.join(", "),
        key.on_delete,
        key.on_update
    )
}

fn keys(
    object: &str,
    what: &str,
    expected: Vec<&Key>,
    actual: Vec<&Key>,
    out: &mut Vec<Difference>,
) {
    named(
        object,
        what,
        &expected,
        &actual,
        |k: &&Key| k.name.clone(),
        |k: &&Key| format!("({})", k.columns.join(", ")),
        out,
    );
}

/// Compares constraints by meaning (`describe`): one present on one side only is an error; the
/// same meaning under another name is a warning. Names are compared only where both sides have
/// one (SQLite keeps no names for unnamed constraints).
fn named<T>(
    object: &str,
    what: &str,
    expected: &[T],
    actual: &[T],
    name: impl Fn(&T) -> Option<String>,
    describe: impl Fn(&T) -> String,
    out: &mut Vec<Difference>,
) {
    let mut unmatched: Vec<&T> = actual.iter().collect();
    for e in expected {
        let meaning = describe(e);
        match unmatched.iter().position(|a| describe(a) == meaning) {
            Some(index) => {
                let a = unmatched.remove(index);
                if let (Some(expected_name), Some(actual_name)) = (name(e), name(a)) {
                    if expected_name != actual_name {
                        out.push(Difference::new(
                            Severity::Warning,
                            object,
                            format!("{what} {meaning}: name"),
                            Some(expected_name),
                            Some(actual_name),
                        ));
                    }
                }
            }
            None => out.push(Difference::new(
                Severity::Error,
                object,
                what_named(what, name(e)),
                Some(meaning),
                None,
            )),
        }
    }
    for a in unmatched {
        out.push(Difference::new(
            Severity::Error,
            object,
            what_named(what, name(a)),
            None,
            Some(describe(a)),
        ));
    }
}

fn what_named(what: &str, name: Option<String>) -> String {
    match name {
        Some(name) => format!("{what} {name}"),
        None => what.to_string(),
    }
}

/// A unique index on one side that the other side has as a unique constraint on the same
/// columns: the same meaning under another name. Keyed by table and
/// columns.
type Equivalences = BTreeSet<(String, Vec<String>)>;

fn unique_equivalences(expected: &Schema, actual: &Schema) -> Equivalences {
    let mut found = Equivalences::new();
    for (this, other) in [(expected, actual), (actual, expected)] {
        for index in this.indexes.values() {
            if !index.unique || index.predicate.is_some() || other.indexes.contains_key(&index.name)
            {
                continue;
            }
            let Some(table) = other.tables.get(&index.table) else {
                continue;
            };
            if table.uniques.iter().any(|k| k.columns == index.columns) {
                found.insert((index.table.clone(), index.columns.clone()));
            }
        }
    }
    found
}

fn index_definition(index: &Index) -> String {
    format!(
        "{}on {} ({}){}{}",
        if index.unique { "unique " } else { "" },
        index.table,
        index.columns.join(", "),
        index
            .method
            .as_ref()
            .map(|m| format!(" using {m}"))
            .unwrap_or_default(),
        index
            .predicate
            .as_ref()
            .map(|p| format!(" where {p}"))
            .unwrap_or_default(),
    )
}

/// Indexes are matched by name. An index missing by name is a warning where the other side has
/// the same definition under another name, or as a unique constraint; otherwise an error.
fn indexes(
    expected: &Schema,
    actual: &Schema,
    equivalences: &Equivalences,
    out: &mut Vec<Difference>,
) {
    for (name, e) in &expected.indexes {
        if let Some(a) = actual.indexes.get(name) {
            let object = format!("index {name}");
            changed(out, &object, "table", &e.table, &a.table);
            changed(out, &object, "unique", &e.unique, &a.unique);
            changed(out, &object, "columns", &e.columns, &a.columns);
            changed(out, &object, "predicate", &e.predicate, &a.predicate);
            changed(out, &object, "method", &e.method, &a.method);
        }
    }
    for (this, other, this_is_expected) in [(expected, actual, true), (actual, expected, false)] {
        for index in this
            .indexes
            .values()
            .filter(|i| !other.indexes.contains_key(&i.name))
        {
            let definition = index_definition(index);
            let renamed = other
                .indexes
                .values()
                .find(|o| !this.indexes.contains_key(&o.name) && index_definition(o) == definition)
                .map(|o| format!("index {} {definition}", o.name));
            if renamed.is_some() && !this_is_expected {
                // Reported already, from the expected side, as one rename.
                continue;
            }
            let as_constraint = equivalences
                .contains(&(index.table.clone(), index.columns.clone()))
                .then(|| {
                    format!(
                        "unique constraint on {} ({})",
                        index.table,
                        index.columns.join(", ")
                    )
                });
            let (severity, equivalent) = match renamed.or(as_constraint) {
                Some(equivalent) => (Severity::Warning, Some(equivalent)),
                None => (Severity::Error, None),
            };
            let this_side = Some(definition);
            let (expected_side, actual_side) = if this_is_expected {
                (this_side, equivalent)
            } else {
                (equivalent, this_side)
            };
            out.push(Difference::new(
                severity,
                format!("index {}", index.name),
                "",
                expected_side,
                actual_side,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Column;

    fn schema() -> Schema {
        let mut schema = Schema::default();
        schema.tables.insert(
            "idp".into(),
            Table {
                name: "idp".into(),
                columns: vec![
                    Column::not_null("id", "integer"),
                    Column::not_null("uid", "text"),
                    Column::not_null("name", "text"),
                ],
                primary_key: Some(Key {
                    name: Some("idp_pkey".into()),
                    columns: vec!["id".into()],
                }),
                ..Table::default()
            },
        );
        schema
    }

    fn render(differences: &[Difference]) -> Vec<String> {
        differences
            .iter()
            .map(|d| {
                format!(
                    "{} {} [{}]: {:?} -> {:?}",
                    d.severity.as_str(),
                    d.object,
                    d.aspect,
                    d.expected,
                    d.actual
                )
            })
            .collect()
    }

    #[test]
    fn equal_schemas_have_no_difference() {
        assert_eq!(diff(&schema(), &schema()), vec![]);
    }

    #[test]
    fn meaning_differences_are_errors() {
        let fresh = schema();
        let mut chain = schema();
        let table = chain.tables.get_mut("idp").expect("idp");
        table.columns[1].default = Some("''".into());
        table.columns[2].not_null = false;
        table.columns.push(Column::not_null("extra", "text"));
        chain
            .tables
            .insert("migration_history".into(), Table::default());
        insta::assert_debug_snapshot!(render(&diff(&fresh, &chain)));
    }

    #[test]
    fn inline_unique_against_a_unique_index_is_a_warning() {
        // The field-notes case: the chain built a separate unique index idx_idp_uid, the fresh
        // install an inline UNIQUE (constraint idp_uid_key).
        let mut fresh = schema();
        fresh.tables.get_mut("idp").expect("idp").uniques.push(Key {
            name: Some("idp_uid_key".into()),
            columns: vec!["uid".into()],
        });
        let mut chain = schema();
        chain.indexes.insert(
            "idx_idp_uid".into(),
            Index {
                name: "idx_idp_uid".into(),
                table: "idp".into(),
                unique: true,
                columns: vec!["uid".into()],
                ..Index::default()
            },
        );
        let differences = diff(&fresh, &chain);
        assert!(
            differences.iter().all(|d| d.severity == Severity::Warning),
            "{differences:#?}"
        );
        insta::assert_debug_snapshot!(render(&differences));
    }

    #[test]
    fn a_renamed_index_and_column_order_are_warnings_a_lost_index_an_error() {
        let index = |name: &str, columns: &[&str]| Index {
            name: name.into(),
            table: "idp".into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            ..Index::default()
        };
        let mut fresh = schema();
        fresh
            .indexes
            .insert("idx_a".into(), index("idx_a", &["name"]));
        fresh
            .indexes
            .insert("idx_lost".into(), index("idx_lost", &["uid"]));
        let mut chain = schema();
        chain
            .indexes
            .insert("idx_b".into(), index("idx_b", &["name"]));
        chain.tables.get_mut("idp").expect("idp").columns.swap(1, 2);
        insta::assert_debug_snapshot!(render(&diff(&fresh, &chain)));
    }
}
