//! Parity's type families (the table in the module's documentation) and the 0/1 CHECK that
//! makes a SQLite integer a boolean: the equivalence under which parity compares column types.

use std::collections::{BTreeMap, BTreeSet};

use sqlparser::ast::{BinaryOperator, Expr, InTarget, Value};
use sqlparser::parser::Parser;

use crate::dialect::Dialect;
use crate::schema::compare::Equivalence;
use crate::schema::{Column, Table};

/// Two columns' types mean the same where they are of one family; the left side is PostgreSQL,
/// whose enum types are text.
pub(super) struct Families<'a> {
    pub(super) enums: &'a BTreeMap<String, Vec<String>>,
}

impl Families<'_> {
    /// Whether a SQLite column that PostgreSQL has as a boolean carries its 0/1 CHECK: only a
    /// boolean needs its CHECK, and no other column's CHECKs are read.
    pub(super) fn checked(&self, postgres: &Column, sqlite: (&Table, &Column)) -> bool {
        postgres_family(&postgres.data_type, self.enums) == Some(Family::Boolean)
            && restricted_to_0_1(sqlite.0, &sqlite.1.name)
    }
}

impl Equivalence for Families<'_> {
    fn same_type(&self, left: (&Table, &Column), right: (&Table, &Column)) -> bool {
        let checked = self.checked(left.1, right);
        types_match(&left.1.data_type, self.enums, &right.1.data_type, checked)
    }
}

/// The type families of the table in the module's documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Family {
    Integer,
    Text,
    Boolean,
    Binary,
    Json,
    Timestamp,
    Numeric,
    Floating,
}

impl Family {
    const ALL: [Family; 8] = [
        Family::Integer,
        Family::Text,
        Family::Boolean,
        Family::Binary,
        Family::Json,
        Family::Timestamp,
        Family::Numeric,
        Family::Floating,
    ];

    fn name(self) -> &'static str {
        match self {
            Family::Integer => "integer",
            Family::Text => "text",
            Family::Boolean => "boolean",
            Family::Binary => "binary",
            Family::Json => "json",
            Family::Timestamp => "timestamp",
            Family::Numeric => "numeric",
            Family::Floating => "floating",
        }
    }

    /// The PostgreSQL type names of the family, without their `(n)` or `(p, s)`.
    fn postgres(self) -> &'static [&'static str] {
        match self {
            Family::Integer => &[
                "smallint", "integer", "bigint", "int", "int2", "int4", "int8",
            ],
            Family::Text => &[
                "text",
                "character varying",
                "varchar",
                "character",
                "char",
                "bpchar",
            ],
            Family::Boolean => &["boolean", "bool"],
            Family::Binary => &["bytea"],
            Family::Json => &["json", "jsonb"],
            Family::Timestamp => &[
                "timestamp",
                "timestamp without time zone",
                "timestamp with time zone",
                "timestamptz",
            ],
            Family::Numeric => &["numeric", "decimal"],
            Family::Floating => &["real", "double precision", "float4", "float8"],
        }
    }

    /// The SQLite declared types that stand for the family, without their `(n)` or `(p, s)`.
    /// A boolean also needs its 0/1 CHECK, which `types_match` asks for.
    fn sqlite(self) -> &'static [&'static str] {
        match self {
            Family::Integer => &[
                "integer",
                "int",
                "bigint",
                "smallint",
                "tinyint",
                "mediumint",
                "int2",
                "int8",
            ],
            Family::Text => &[
                "text",
                "varchar",
                "character varying",
                "char",
                "character",
                "nvarchar",
                "nchar",
                "clob",
            ],
            Family::Boolean => &[
                "boolean",
                "bool",
                "integer",
                "int",
                "bigint",
                "smallint",
                "tinyint",
                "mediumint",
                "int2",
                "int8",
            ],
            Family::Binary => &["blob"],
            Family::Json => &["json", "jsonb", "text"],
            Family::Timestamp => &["datetime", "timestamp", "text"],
            Family::Numeric => &["numeric", "decimal"],
            Family::Floating => &["real", "double", "double precision", "float"],
        }
    }
}

/// A type name without its parenthesized modifiers, white space collapsed:
/// `timestamp(3) with time zone` is `timestamp with time zone`, `varchar(20)` is `varchar`.
pub(super) fn base(data_type: &str) -> String {
    let mut out = String::with_capacity(data_type.len());
    let mut depth = 0usize;
    for c in data_type.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(super) fn postgres_family(
    data_type: &str,
    enums: &BTreeMap<String, Vec<String>>,
) -> Option<Family> {
    let base = base(data_type);
    // An enum's labels are PostgreSQL's way of writing what SQLite writes as text with a CHECK;
    // CHECKs are not compared, so neither are the labels.
    if enums.contains_key(&base) {
        return Some(Family::Text);
    }
    Family::ALL
        .into_iter()
        .find(|f| f.postgres().contains(&base.as_str()))
}

/// The family a SQLite declared type stands for on its own, for messages. `text` is the text
/// family here, although it also stands for json and timestamps.
pub(super) fn sqlite_family(data_type: &str) -> Option<Family> {
    let base = base(data_type);
    Family::ALL
        .into_iter()
        .filter(|f| *f != Family::Boolean)
        .find(|f| f.sqlite().contains(&base.as_str()))
        .or_else(|| matches!(base.as_str(), "boolean" | "bool").then_some(Family::Boolean))
}

/// Whether a PostgreSQL type and a SQLite type are of one family; `checked` says whether the
/// SQLite column is restricted to 0 and 1. Types outside the table match by name.
pub(super) fn types_match(
    postgres: &str,
    enums: &BTreeMap<String, Vec<String>>,
    sqlite: &str,
    checked: bool,
) -> bool {
    match postgres_family(postgres, enums) {
        Some(family) => {
            family.sqlite().contains(&base(sqlite).as_str())
                && (family != Family::Boolean || checked)
        }
        None => postgres.eq_ignore_ascii_case(sqlite),
    }
}

pub(super) fn describe_postgres(data_type: &str, enums: &BTreeMap<String, Vec<String>>) -> String {
    match postgres_family(data_type, enums) {
        Some(family) if enums.contains_key(&base(data_type)) => {
            format!("{data_type} (an enum type: {} family)", family.name())
        }
        Some(family) => format!("{data_type} ({} family)", family.name()),
        None => format!("{data_type} (no family: compared by name)"),
    }
}

pub(super) fn describe_sqlite(
    pg: &Column,
    lite: &Column,
    enums: &BTreeMap<String, Vec<String>>,
    checked: bool,
) -> String {
    let data_type = if lite.data_type.is_empty() {
        "no declared type"
    } else {
        lite.data_type.as_str()
    };
    let wants_boolean = postgres_family(&pg.data_type, enums) == Some(Family::Boolean);
    if wants_boolean && !checked && Family::Boolean.sqlite().contains(&base(data_type).as_str()) {
        return format!("{data_type} without a 0/1 CHECK");
    }
    match sqlite_family(data_type) {
        Some(family) => format!("{data_type} ({} family)", family.name()),
        None => format!("{data_type} (no family: compared by name)"),
    }
}

/// Whether a CHECK of the table allows the column exactly the values 0 and 1 (and NULL, which
/// the column's NOT NULL decides): SQLite's way of writing a boolean.
pub(super) fn restricted_to_0_1(table: &Table, column: &str) -> bool {
    let wanted = BTreeSet::from([0, 1]);
    table.checks.iter().any(|check| {
        Parser::new(Dialect::Sqlite.parser_dialect())
            .try_with_sql(&check.expression)
            .and_then(|mut parser| parser.parse_expr())
            .is_ok_and(|expr| allowed_values(&expr, column).as_ref() == Some(&wanted))
    })
}

/// The integer values a condition allows the column, where the condition restricts it to a
/// list of them: `c IN (0, 1)`, `c = 0 OR c = 1`, `c IS NULL OR c IN (0, 1)`, and conjunctions
/// with other conditions. `None` where it does not restrict the column to integers, or where it
/// is not understood. NULL is no value here: whether the column takes it is its NOT NULL's
/// business, compared on its own.
fn allowed_values(expr: &Expr, column: &str) -> Option<BTreeSet<i64>> {
    match expr {
        Expr::Nested(inner) => allowed_values(inner, column),
        Expr::IsNull(inner) if names(inner, column) => Some(BTreeSet::new()),
        Expr::In {
            expr,
            target: InTarget::List(items),
            negated: false,
            ..
        } if names(expr, column) => items.iter().map(integer).collect(),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq,
            right,
        } => {
            if names(left, column) {
                integer(right).map(|v| BTreeSet::from([v]))
            } else if names(right, column) {
                integer(left).map(|v| BTreeSet::from([v]))
            } else {
                None
            }
        }
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Or,
            right,
        } => {
            let (left, right) = (
                allowed_values(left, column)?,
                allowed_values(right, column)?,
            );
            Some(left.union(&right).copied().collect())
        }
        // Both sides hold, so either side's restriction holds; where both restrict, only what
        // both allow is allowed.
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => match (allowed_values(left, column), allowed_values(right, column)) {
            (Some(left), Some(right)) => Some(left.intersection(&right).copied().collect()),
            (left, right) => left.or(right),
        },
        _ => None,
    }
}

/// Whether an expression is the column itself, plain or qualified by its table.
fn names(expr: &Expr, column: &str) -> bool {
    match expr {
        Expr::Identifier(ident) => ident.value.eq_ignore_ascii_case(column),
        Expr::CompoundIdentifier(parts) => parts
            .last()
            .is_some_and(|ident| ident.value.eq_ignore_ascii_case(column)),
        Expr::Nested(inner) => names(inner, column),
        _ => false,
    }
}

fn integer(expr: &Expr) -> Option<i64> {
    match expr {
        Expr::Value(value) => match &value.value {
            Value::Number(number, _) => number.parse().ok(),
            _ => None,
        },
        Expr::Nested(inner) => integer(inner),
        _ => None,
    }
}
