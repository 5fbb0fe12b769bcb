//! Parity's type families (the table in the module's documentation, each dialect's type names
//! in its `dialect::Spec`) and the 0/1 CHECK that makes an integer a boolean where the dialect
//! has no boolean type: the equivalence under which parity compares column types.

use std::collections::BTreeSet;

use sqlparser::ast::{BinaryOperator, Expr, InTarget, Value};
use sqlparser::parser::Parser;

use super::Fresh;
use crate::dialect::{Dialect, Family};
use crate::schema::compare::Equivalence;
use crate::schema::{Column, Table};

/// Two columns' types mean the same where they are of one family; a schema's enum types are
/// text.
pub(super) struct Families<'a> {
    pub(super) left: Fresh<'a>,
    pub(super) right: Fresh<'a>,
}

impl Equivalence for Families<'_> {
    fn same_type(&self, left: (&Table, &Column), right: (&Table, &Column)) -> bool {
        let (left_types, right_types) = (
            families(self.left, &left.1.data_type),
            families(self.right, &right.1.data_type),
        );
        // A type outside the table matches only itself, and no type of a family.
        match (left_types.is_empty(), right_types.is_empty()) {
            (true, true) => return left.1.data_type.eq_ignore_ascii_case(&right.1.data_type),
            (true, false) | (false, true) => return false,
            (false, false) => {}
        }
        left_types.iter().any(|family| {
            right_types.contains(family)
                && (*family != Family::Boolean
                    || (checked(self.left.dialect, left) && checked(self.right.dialect, right)))
        })
    }
}

/// The families a column type of `fresh` may stand for, in the order of `Family::ALL`: one on
/// PostgreSQL, several on SQLite (`text` holds text, json and timestamps; `integer` a boolean
/// with its CHECK); none for a type outside the table.
fn families(fresh: Fresh<'_>, data_type: &str) -> Vec<Family> {
    let base = base(data_type);
    // An enum's labels are PostgreSQL's way of writing what SQLite writes as text with a CHECK;
    // CHECKs are not compared, so neither are the labels.
    if fresh.schema.enums.contains_key(&base) {
        return vec![Family::Text];
    }
    let spec = fresh.dialect.spec();
    Family::ALL
        .into_iter()
        .filter(|family| spec.family_types(*family).contains(&base.as_str()))
        .collect()
}

/// The family a type is named by in messages: the first that is not the boolean (an integer
/// is an integer unless the other side asks for a boolean), else the boolean.
fn named_family(families: &[Family]) -> Option<Family> {
    families
        .iter()
        .find(|family| **family != Family::Boolean)
        .or(families.first())
        .copied()
}

/// Whether a column is a boolean by its dialect's rules: always where the dialect has a boolean
/// type, only with its 0/1 CHECK where it has not. The CHECKs are read only for a boolean.
fn checked(dialect: Dialect, (table, column): (&Table, &Column)) -> bool {
    !dialect.spec().boolean_needs_check() || restricted_to_0_1(dialect, table, &column.name)
}

/// One side's column type for a message, with its family; `other` is the other side's column,
/// which tells whether this one should have been a boolean.
pub(super) fn describe(
    fresh: Fresh<'_>,
    column: (&Table, &Column),
    other: (Fresh<'_>, (&Table, &Column)),
) -> String {
    let data_type = if column.1.data_type.is_empty() {
        "no declared type"
    } else {
        column.1.data_type.as_str()
    };
    let own = families(fresh, data_type);
    let wants_boolean =
        named_family(&families(other.0, &other.1 .1.data_type)) == Some(Family::Boolean);
    if wants_boolean && own.contains(&Family::Boolean) && !checked(fresh.dialect, column) {
        return format!("{data_type} without a 0/1 CHECK");
    }
    match named_family(&own) {
        Some(family) if fresh.schema.enums.contains_key(&base(data_type)) => {
            format!("{data_type} (an enum type: {} family)", family.name())
        }
        Some(family) => format!("{data_type} ({} family)", family.name()),
        None => format!("{data_type} (no family: compared by name)"),
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

/// Whether a CHECK of the table allows the column exactly the values 0 and 1 (and NULL, which
/// the column's NOT NULL decides): SQLite's way of writing a boolean.
fn restricted_to_0_1(dialect: Dialect, table: &Table, column: &str) -> bool {
    let wanted = BTreeSet::from([0, 1]);
    table.checks.iter().any(|check| {
        Parser::new(dialect.parser_dialect())
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
