use super::*;

fn table(name: &str, columns: &[(&str, &str)]) -> Table {
    Table {
        name: name.into(),
        columns: columns
            .iter()
            .map(|(n, t)| Column::not_null(n, t))
            .collect(),
        primary_key: Some(Key {
            name: Some(format!("{name}_pkey")),
            columns: vec!["id".into()],
        }),
        ..Table::default()
    }
}

fn schema(tables: Vec<Table>) -> Schema {
    Schema {
        tables: tables.into_iter().map(|t| (t.name.clone(), t)).collect(),
        ..Schema::default()
    }
}

fn index(name: &str, table: &str, unique: bool, columns: &[&str]) -> Index {
    Index {
        name: name.into(),
        table: table.into(),
        unique,
        columns: columns.iter().map(|c| c.to_string()).collect(),
        ..Index::default()
    }
}

fn memo() -> Table {
    table("memo", &[("id", "integer"), ("content", "text")])
}

#[test]
fn equal_schemas_have_no_change() {
    let left = schema(vec![memo()]);
    assert_eq!(compare(&left, &left.clone(), &Options::default()), vec![]);
}

#[test]
fn tables_are_removed_and_added_in_the_left_order_then_the_right() {
    let left = schema(vec![memo(), table("b", &[("id", "integer")])]);
    let right = schema(vec![memo(), table("a", &[("id", "integer")])]);
    let changes = compare(&left, &right, &Options::default());
    assert_eq!(
        changes,
        vec![
            Change::Table("b", Side::Removed(&left.tables["b"])),
            Change::Table("a", Side::Added(&right.tables["a"])),
        ]
    );
}

#[test]
fn columns_change_by_aspect_and_order() {
    let left = schema(vec![memo()]);
    let mut changed = memo();
    changed.columns[1].data_type = "varchar(20)".into();
    changed.columns[1].default = Some("''".into());
    changed
        .columns
        .insert(0, Column::not_null("pinned", "boolean"));
    changed.columns.swap(1, 2);
    let right = schema(vec![changed]);
    let changes = compare(&left, &right, &Options::default());
    let r = &right.tables["memo"];
    assert_eq!(
        changes,
        vec![
            Change::Column {
                table: "memo",
                column: Side::Changed(&left.tables["memo"].columns[1], &r.columns[1]),
                aspects: vec![Aspect::Type, Aspect::Default],
            },
            Change::Column {
                table: "memo",
                column: Side::Added(&r.columns[0]),
                aspects: vec![],
            },
            Change::ColumnOrder {
                table: "memo",
                left: vec!["id".into(), "content".into()],
                right: vec!["content".into(), "id".into()],
            },
        ]
    );
}

#[test]
fn constraints_match_by_meaning_and_a_new_name_is_a_change() {
    let mut old = memo();
    old.uniques.push(Key {
        name: Some("memo_content_key".into()),
        columns: vec!["content".into()],
    });
    old.checks.push(Check {
        name: None,
        expression: "content <> ''".into(),
    });
    let fk = ForeignKey {
        name: None,
        columns: vec!["id".into()],
        referenced_table: "owner".into(),
        referenced_columns: vec!["id".into()],
        on_delete: "no action".into(),
        on_update: "no action".into(),
    };
    old.foreign_keys.push(fk.clone());
    let mut new = old.clone();
    new.uniques[0].name = Some("memo_content_unique".into());
    new.checks[0].expression = "length(content) > 0".into();
    new.foreign_keys[0].on_delete = "cascade".into();
    new.primary_key = Some(Key {
        name: Some("memo_pkey".into()),
        columns: vec!["id".into(), "content".into()],
    });
    let (left, right) = (schema(vec![old]), schema(vec![new]));
    let (l, r) = (&left.tables["memo"], &right.tables["memo"]);
    assert_eq!(
        compare(&left, &right, &Options::default()),
        vec![
            Change::PrimaryKey(
                "memo",
                Side::Removed(l.primary_key.as_ref().expect("a key"))
            ),
            Change::PrimaryKey("memo", Side::Added(r.primary_key.as_ref().expect("a key"))),
            Change::Unique("memo", Side::Changed(&l.uniques[0], &r.uniques[0])),
            Change::Check("memo", Side::Removed(&l.checks[0])),
            Change::Check("memo", Side::Added(&r.checks[0])),
            Change::ForeignKey(
                "memo",
                Side::Changed(&l.foreign_keys[0], &r.foreign_keys[0])
            ),
        ]
    );
}

#[test]
fn indexes_say_what_the_other_side_has_in_their_place() {
    let mut left = schema(vec![memo()]);
    left.indexes
        .insert("idx_a".into(), index("idx_a", "memo", false, &["content"]));
    left.indexes
        .insert("idx_lost".into(), index("idx_lost", "memo", false, &["id"]));
    let mut right = schema(vec![memo()]);
    right
        .indexes
        .insert("idx_b".into(), index("idx_b", "memo", false, &["content"]));
    let changes = compare(&left, &right, &Options::default());
    assert_eq!(
        changes,
        vec![
            Change::Index {
                name: "idx_a",
                index: Side::Removed(&left.indexes["idx_a"]),
                equivalent: Some(Equivalent::Renamed(&right.indexes["idx_b"])),
            },
            Change::Index {
                name: "idx_lost",
                index: Side::Removed(&left.indexes["idx_lost"]),
                equivalent: None,
            },
            Change::Index {
                name: "idx_b",
                index: Side::Added(&right.indexes["idx_b"]),
                equivalent: Some(Equivalent::Renamed(&left.indexes["idx_a"])),
            },
        ]
    );
}

struct Unique;

impl Equivalence for Unique {
    fn unique_index_is_constraint(&self) -> bool {
        true
    }
}

#[test]
fn a_unique_index_is_a_unique_constraint_only_under_that_equivalence() {
    let mut inline = memo();
    inline.uniques.push(Key {
        name: Some("memo_content_key".into()),
        columns: vec!["content".into()],
    });
    let left = schema(vec![inline]);
    let mut right = schema(vec![memo()]);
    let unique = index("idx_memo_content", "memo", true, &["content"]);
    right.indexes.insert(unique.name.clone(), unique);
    let options = Options {
        fold: exact,
        equivalence: &Unique,
    };
    assert_eq!(
        compare(&left, &right, &options),
        vec![Change::Index {
            name: "idx_memo_content",
            index: Side::Added(&right.indexes["idx_memo_content"]),
            equivalent: Some(Equivalent::Constraint),
        }]
    );
    let identity = compare(&left, &right, &Options::default());
    assert_eq!(identity.len(), 2, "{identity:#?}");
    assert!(matches!(
        identity[0],
        Change::Unique("memo", Side::Removed(_))
    ));
    assert!(matches!(
        identity[1],
        Change::Index {
            equivalent: None,
            ..
        }
    ));
}

#[test]
fn folding_matches_names_whatever_their_case() {
    let left = schema(vec![table("Memo", &[("ID", "integer")])]);
    let right = schema(vec![table("memo", &[("id", "integer")])]);
    let folded = Options {
        fold: lower,
        equivalence: &Identity,
    };
    let changes = compare(&left, &right, &folded);
    // Matched, so only the parts that differ beyond the case of names are changes.
    assert!(
        changes.iter().all(|c| !matches!(c, Change::Table(..))),
        "{changes:#?}"
    );
    assert_eq!(compare(&left, &right, &Options::default()).len(), 2);
}

/// Every integer type is one.
struct Integers;

impl Equivalence for Integers {
    fn same_type(&self, left: (&Table, &Column), right: (&Table, &Column)) -> bool {
        let integer = |t: &str| t.contains("int");
        integer(&left.1.data_type) == integer(&right.1.data_type)
    }
}

#[test]
fn the_equivalence_decides_whether_types_differ() {
    let left = schema(vec![table("memo", &[("id", "bigint")])]);
    let right = schema(vec![table("memo", &[("id", "integer")])]);
    let options = Options {
        fold: exact,
        equivalence: &Integers,
    };
    assert_eq!(compare(&left, &right, &options), vec![]);
    let changes = compare(&left, &right, &Options::default());
    assert!(
        matches!(&changes[..], [Change::Column { aspects, .. }] if aspects == &[Aspect::Type]),
        "{changes:#?}"
    );
}

#[test]
fn other_objects_are_matched_by_key() {
    let mut left = Schema::default();
    left.enums.insert("status".into(), vec!["a".into()]);
    left.views.insert(
        "v".into(),
        View {
            name: "v".into(),
            definition: "select 1".into(),
        },
    );
    let mut right = left.clone();
    right
        .enums
        .insert("status".into(), vec!["a".into(), "b".into()]);
    right.views.clear();
    assert_eq!(
        compare(&left, &right, &Options::default()),
        vec![
            Change::View("v", Side::Removed(&left.views["v"])),
            Change::Enum(
                "status",
                Side::Changed(&left.enums["status"], &right.enums["status"])
            ),
        ]
    );
}

#[test]
fn one_formatter_shows_an_index() {
    let mut i = index("idx", "memo", true, &["content", "id desc"]);
    i.method = Some("gin".into());
    i.predicate = Some("pinned".into());
    assert_eq!(
        index_definition(&i),
        "unique on memo (content, id desc) using gin where pinned"
    );
}
