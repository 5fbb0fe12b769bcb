//! Compares two schemas: what a chain built against what the fresh install builds. A difference
//! in meaning (a missing object, another type, default, key, constraint, index, body) is an
//! error; the same meaning under another name (an inline UNIQUE against a unique index, a
//! constraint named differently) and a different column order are warnings.

use super::compare::{
    self, index_definition, Aspect, Change, Equivalence, Equivalent, Options, Side,
};
use super::{Check, Column, ForeignKey, Index, Key, Schema};
use crate::diagnostic::Severity;

// The difference is data of a diagnostic, so it is defined with them, below the schemas.
pub use crate::diagnostic::Difference;

/// The chain diff's policy over the comparison core: `expected` is the left side.
pub fn diff(expected: &Schema, actual: &Schema) -> Vec<Difference> {
    let options = Options {
        fold: compare::exact,
        equivalence: &UniqueIndexIsConstraint,
    };
    let changes = compare::compare(expected, actual, &options);
    let mut out = Vec::new();
    let mut deferred = Vec::new();
    for (i, change) in changes.iter().enumerate() {
        // A constraint of another meaning on the actual side is listed after the constraints
        // of its kind that the expected side lacks, as one list per kind.
        table_part(change, &mut out, &mut deferred);
        if !same_kind(change, changes.get(i + 1)) {
            out.append(&mut deferred);
        }
    }
    // Indexes changed in place come before those on one side only.
    let indexes = changes.iter().filter_map(|c| match c {
        Change::Index {
            name,
            index,
            equivalent,
        } => Some((*name, index, *equivalent)),
        _ => None,
    });
    let (changed, lone): (Vec<_>, Vec<_>) =
        indexes.partition(|(_, index, _)| matches!(index, Side::Changed(..)));
    for (name, index, equivalent) in changed.into_iter().chain(lone) {
        index_difference(name, index, equivalent, &mut out);
    }
    for change in &changes {
        other_object(change, &mut out);
    }
    out
}

/// A unique index and an inline unique constraint on the same columns are one meaning.
struct UniqueIndexIsConstraint;

impl Equivalence for UniqueIndexIsConstraint {
    fn unique_index_is_constraint(&self) -> bool {
        true
    }
}

/// Whether two changes are constraints of one kind on one table.
fn same_kind(change: &Change<'_>, next: Option<&Change<'_>>) -> bool {
    constraint_kind(change).is_some()
        && next.is_some_and(|next| constraint_kind(change) == constraint_kind(next))
}

/// The table and kind of a constraint's change.
fn constraint_kind<'a>(change: &Change<'a>) -> Option<(&'a str, &'static str)> {
    match change {
        Change::PrimaryKey(t, _) => Some((t, "primary key")),
        Change::Unique(t, _) => Some((t, "unique")),
        Change::Check(t, _) => Some((t, "check")),
        Change::ForeignKey(t, _) => Some((t, "foreign key")),
        _ => None,
    }
}

/// A difference of something present on one side only.
fn presence<T>(object: String, side: &Side<'_, T>) -> Difference {
    let present = |o: Option<&T>| o.map(|_| "present".to_string());
    Difference::new(
        Severity::Error,
        object,
        "",
        present(side.left()),
        present(side.right()),
    )
}

/// Tables and their parts; a constraint's other meaning on the actual side goes to `deferred`.
fn table_part(change: &Change<'_>, out: &mut Vec<Difference>, deferred: &mut Vec<Difference>) {
    let object = |table: &str| format!("table {table}");
    match change {
        Change::Table(name, side) => out.push(presence(format!("table {name}"), side)),
        Change::Column {
            table,
            column,
            aspects,
        } => column_difference(&object(table), column, aspects, out),
        Change::ColumnOrder { table, left, right } => out.push(Difference::new(
            Severity::Warning,
            object(table),
            "column order",
            left.describe(),
            right.describe(),
        )),
        Change::PrimaryKey(table, side) => constraint(
            &object(table),
            "primary key",
            side,
            |k| k.name.clone(),
            describe_key,
            out,
            deferred,
        ),
        Change::Unique(table, side) => constraint(
            &object(table),
            "unique",
            side,
            |k| k.name.clone(),
            describe_key,
            out,
            deferred,
        ),
        Change::Check(table, side) => constraint(
            &object(table),
            "check",
            side,
            |c| c.name.clone(),
            |c: &Check| c.expression.clone(),
            out,
            deferred,
        ),
        Change::ForeignKey(table, side) => constraint(
            &object(table),
            "foreign key",
            side,
            |f| f.name.clone(),
            describe_foreign_key,
            out,
            deferred,
        ),
        _ => {}
    }
}

fn column_difference(
    object: &str,
    side: &Side<'_, Column>,
    aspects: &[Aspect],
    out: &mut Vec<Difference>,
) {
    let (e, a) = match *side {
        Side::Changed(e, a) => (e, a),
        Side::Removed(e) => {
            let aspect = format!("column {}", e.name);
            let expected = Some(e.data_type.clone());
            out.push(Difference::new(
                Severity::Error,
                object,
                aspect,
                expected,
                None,
            ));
            return;
        }
        Side::Added(a) => {
            let aspect = format!("column {}", a.name);
            let actual = Some(a.data_type.clone());
            out.push(Difference::new(
                Severity::Error,
                object,
                aspect,
                None,
                actual,
            ));
            return;
        }
    };
    for aspect in aspects {
        let (what, expected, actual) = match aspect {
            Aspect::Type => ("type", e.data_type.describe(), a.data_type.describe()),
            Aspect::NotNull => ("not null", e.not_null.describe(), a.not_null.describe()),
            Aspect::Default => ("default", e.default.describe(), a.default.describe()),
            Aspect::Generated => ("generated", e.generated.describe(), a.generated.describe()),
            Aspect::Collation => ("collation", e.collation.describe(), a.collation.describe()),
        };
        let aspect = format!("column {}: {what}", e.name);
        out.push(Difference::new(
            Severity::Error,
            object,
            aspect,
            expected,
            actual,
        ));
    }
}

/// Constraints are compared by meaning (`describe`): one present on one side only is an error;
/// the same meaning under another name is a warning. Names are compared only where both sides
/// have one (SQLite keeps no names for unnamed constraints).
fn constraint<T>(
    object: &str,
    what: &str,
    side: &Side<'_, T>,
    name: impl Fn(&T) -> Option<String>,
    describe: impl Fn(&T) -> String,
    out: &mut Vec<Difference>,
    deferred: &mut Vec<Difference>,
) {
    let missing = |e: &T| {
        let aspect = what_named(what, name(e));
        Difference::new(Severity::Error, object, aspect, Some(describe(e)), None)
    };
    let extra = |a: &T| {
        let aspect = what_named(what, name(a));
        Difference::new(Severity::Error, object, aspect, None, Some(describe(a)))
    };
    match *side {
        Side::Removed(e) => out.push(missing(e)),
        Side::Added(a) => deferred.push(extra(a)),
        Side::Changed(e, a) if describe(e) != describe(a) => {
            out.push(missing(e));
            deferred.push(extra(a));
        }
        Side::Changed(e, a) => {
            if let (Some(expected_name), Some(actual_name)) = (name(e), name(a)) {
                if expected_name != actual_name {
                    out.push(Difference::new(
                        Severity::Warning,
                        object,
                        format!("{what} {}: name", describe(e)),
                        Some(expected_name),
                        Some(actual_name),
                    ));
                }
            }
        }
    }
}

fn describe_key(key: &Key) -> String {
    format!("({})", key.columns.join(", "))
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

fn what_named(what: &str, name: Option<String>) -> String {
    match name {
        Some(name) => format!("{what} {name}"),
        None => what.to_string(),
    }
}

/// An index changed in place is an error per aspect. One missing by name is a warning where the
/// other side has the same definition under another name, or as a unique constraint; otherwise
/// an error.
fn index_difference(
    name: &str,
    side: &Side<'_, Index>,
    equivalent: Option<Equivalent<'_>>,
    out: &mut Vec<Difference>,
) {
    let object = format!("index {name}");
    let index = match *side {
        Side::Changed(e, a) => {
            changed(out, &object, "table", &e.table, &a.table);
            changed(out, &object, "unique", &e.unique, &a.unique);
            changed(out, &object, "columns", &e.columns, &a.columns);
            changed(out, &object, "predicate", &e.predicate, &a.predicate);
            changed(out, &object, "method", &e.method, &a.method);
            return;
        }
        // Reported already, from the expected side, as one rename.
        Side::Added(_) if matches!(equivalent, Some(Equivalent::Renamed(_))) => return,
        Side::Removed(index) | Side::Added(index) => index,
    };
    let definition = index_definition(index);
    let equivalent = equivalent.map(|equivalent| match equivalent {
        Equivalent::Renamed(other) => format!("index {} {definition}", other.name),
        Equivalent::Constraint => format!(
            "unique constraint on {} ({})",
            index.table,
            index.columns.join(", ")
        ),
    });
    let severity = if equivalent.is_some() {
        Severity::Warning
    } else {
        Severity::Error
    };
    let (expected, actual) = match side {
        Side::Removed(_) => (Some(definition), equivalent),
        _ => (equivalent, Some(definition)),
    };
    out.push(Difference::new(severity, object, "", expected, actual));
}

/// Triggers, views, sequences, enum types and functions.
fn other_object(change: &Change<'_>, out: &mut Vec<Difference>) {
    match change {
        Change::Trigger(name, side) => match side {
            Side::Changed(e, a) => {
                let object = format!("trigger {}", e.name);
                changed(out, &object, "table", &e.table, &a.table);
                changed(out, &object, "definition", &e.definition, &a.definition);
            }
            side => out.push(presence(format!("trigger {name}"), side)),
        },
        Change::View(name, side) => match side {
            Side::Changed(e, a) => {
                let object = format!("view {}", e.name);
                changed(out, &object, "definition", &e.definition, &a.definition);
            }
            side => out.push(presence(format!("view {name}"), side)),
        },
        Change::Sequence(name, side) => match side {
            Side::Changed(e, a) => {
                let object = format!("sequence {}", e.name);
                changed(out, &object, "type", &e.data_type, &a.data_type);
                changed(out, &object, "owned by", &e.owned_by, &a.owned_by);
            }
            side => out.push(presence(format!("sequence {name}"), side)),
        },
        Change::Enum(name, side) => match side {
            Side::Changed(e, a) => {
                let labels = |l: &Vec<String>| Some(l.join(", "));
                let (e, a) = (labels(e), labels(a));
                out.push(Difference::new(
                    Severity::Error,
                    "enum type",
                    "labels",
                    e,
                    a,
                ));
            }
            side => out.push(presence(format!("type {name}"), side)),
        },
        Change::Function(name, side) => match side {
            Side::Changed(e, a) => {
                let object = format!("function {}", e.signature);
                changed(out, &object, "returns", &e.returns, &a.returns);
                changed(out, &object, "language", &e.language, &a.language);
                changed(out, &object, "body", &e.body, &a.body);
            }
            side => out.push(presence(format!("function {name}"), side)),
        },
        _ => {}
    }
}

fn changed<T: PartialEq + Describe>(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Table;

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
