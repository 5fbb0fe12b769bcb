//! The CHECK conditions the generator can read, as restrictions on one column each: a list of
//! allowed values (`IN (...)`, PostgreSQL's `= ANY (ARRAY[...])`, SQLite's `0/1` booleans), a
//! range of integers (`BETWEEN`, comparisons with a number, joined by `AND`), a longest text
//! (`length(c) <= n`). A condition it cannot read is left to the engine: a row that breaks it is
//! retried alone and reported.

use std::collections::BTreeMap;

use sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, InTarget, UnaryOperator,
};

use crate::dialect::Dialect;
use crate::schema::normalize::parse_expression;
use crate::schema::Table;

/// What the CHECKs of a table allow in one column.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Restriction {
    /// The only values allowed, as SQL literals.
    pub choices: Option<Vec<String>>,
    pub min: Option<i128>,
    pub max: Option<i128>,
    /// The most characters a text may have.
    pub max_length: Option<usize>,
    /// `json_valid(column)` (SQLite's way of declaring a JSON text column).
    pub json: bool,
}

/// The restrictions the CHECKs of `table` put on its columns, by column name.
pub(super) fn restrictions(table: &Table, dialect: Dialect) -> BTreeMap<String, Restriction> {
    let mut out = BTreeMap::new();
    for check in &table.checks {
        if let Ok(expr) = parse_expression(&check.expression, dialect) {
            read(&expr, table, &mut out);
        }
    }
    out
}

fn read(expr: &Expr, table: &Table, out: &mut BTreeMap<String, Restriction>) {
    match expr {
        Expr::Nested(inner) => read(inner, table, out),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => {
            read(left, table, out);
            read(right, table, out);
        }
        Expr::In {
            expr,
            target: InTarget::List(list),
            negated: false,
            ..
        } => {
            if let (Some(column), Some(values)) = (column_of(expr, table), literals(list)) {
                restrict(out, column).choices = Some(values);
            }
        }
        Expr::AnyOp {
            left,
            compare_op: BinaryOperator::Eq,
            right,
            ..
        } => {
            if let (Some(column), Expr::Array(array)) = (column_of(left, table), uncast(right)) {
                if let Some(values) = literals(&array.elem) {
                    restrict(out, column).choices = Some(values);
                }
            }
        }
        Expr::Between {
            expr,
            negated: false,
            low,
            high,
        } => {
            if let (Some(column), Some(low), Some(high)) =
                (column_of(expr, table), number(low), number(high))
            {
                let restriction = restrict(out, column);
                raise_min(restriction, low);
                lower_max(restriction, high);
            }
        }
        // PostgreSQL keeps an `IN` list of one value as `column = value`.
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq,
            right,
        } => {
            let value = literals(std::slice::from_ref(&**right));
            if let (Some(column), Some(values)) = (column_of(left, table), value) {
                restrict(out, column).choices = Some(values);
            }
        }
        Expr::BinaryOp { left, op, right } => comparison(left, op, right, table, out),
        _ => {
            if let Some(column) = json_valid(expr, table) {
                restrict(out, column).json = true;
            }
        }
    }
}

/// `json_valid(column)`.
fn json_valid(expr: &Expr, table: &Table) -> Option<String> {
    function_argument(expr, &["json_valid"], table)
}

/// `column op number`, `number op column`, or `length(column) op number`.
fn comparison(
    left: &Expr,
    op: &BinaryOperator,
    right: &Expr,
    table: &Table,
    out: &mut BTreeMap<String, Restriction>,
) {
    let (column, op, bound) = match (
        column_of(left, table),
        number(right),
        column_of(right, table),
        number(left),
    ) {
        (Some(column), Some(bound), _, _) => (column, op.clone(), bound),
        (_, _, Some(column), Some(bound)) => (column, flipped(op), bound),
        _ => {
            if let (Some(column), Some(bound)) = (length_of(left, table), number(right)) {
                let most = match op {
                    BinaryOperator::LtEq => bound,
                    BinaryOperator::Lt => bound - 1,
                    _ => return,
                };
                restrict(out, column).max_length = usize::try_from(most).ok();
            }
            return;
        }
    };
    let restriction = restrict(out, column);
    match op {
        BinaryOperator::Gt => raise_min(restriction, bound + 1),
        BinaryOperator::GtEq => raise_min(restriction, bound),
        BinaryOperator::Lt => lower_max(restriction, bound - 1),
        BinaryOperator::LtEq => lower_max(restriction, bound),
        _ => {}
    }
}

fn flipped(op: &BinaryOperator) -> BinaryOperator {
    match op {
        BinaryOperator::Gt => BinaryOperator::Lt,
        BinaryOperator::GtEq => BinaryOperator::LtEq,
        BinaryOperator::Lt => BinaryOperator::Gt,
        BinaryOperator::LtEq => BinaryOperator::GtEq,
        other => other.clone(),
    }
}

fn raise_min(restriction: &mut Restriction, min: i128) {
    restriction.min = Some(restriction.min.map_or(min, |old| old.max(min)));
}

fn lower_max(restriction: &mut Restriction, max: i128) {
    restriction.max = Some(restriction.max.map_or(max, |old| old.min(max)));
}

fn restrict(out: &mut BTreeMap<String, Restriction>, column: String) -> &mut Restriction {
    out.entry(column).or_default()
}

/// The column of `table` that `expr` names, through casts (PostgreSQL prints `(status)::text`).
fn column_of(expr: &Expr, table: &Table) -> Option<String> {
    let Expr::Identifier(ident) = uncast(expr) else {
        return None;
    };
    table
        .columns
        .iter()
        .find(|column| column.name == ident.value)
        .or_else(|| {
            table
                .columns
                .iter()
                .find(|column| column.name.eq_ignore_ascii_case(&ident.value))
        })
        .map(|column| column.name.clone())
}

/// The column of `length(column)` or `char_length(column)`.
fn length_of(expr: &Expr, table: &Table) -> Option<String> {
    function_argument(expr, &["length", "char_length", "character_length"], table)
}

/// The column that is the one argument of a call of one of `functions`.
fn function_argument(expr: &Expr, functions: &[&str], table: &Table) -> Option<String> {
    let Expr::Function(function) = uncast(expr) else {
        return None;
    };
    let name = function.name.to_string().to_ascii_lowercase();
    if !functions.contains(&name.as_str()) {
        return None;
    }
    let FunctionArguments::List(list) = &function.args else {
        return None;
    };
    match list.args.as_slice() {
        [FunctionArg::Unnamed(FunctionArgExpr::Expr(argument))] => column_of(argument, table),
        _ => None,
    }
}

/// `expr` without the casts and parentheses around it.
fn uncast(mut expr: &Expr) -> &Expr {
    loop {
        match expr {
            Expr::Cast { expr: inner, .. } | Expr::Nested(inner) => expr = inner,
            _ => return expr,
        }
    }
}

/// The literals of a list, as SQL text without their casts; `None` if one is not a literal.
fn literals(list: &[Expr]) -> Option<Vec<String>> {
    list.iter()
        .map(|item| match uncast(item) {
            value @ Expr::Value(_) => Some(value.to_string()),
            negative @ Expr::UnaryOp {
                op: UnaryOperator::Minus,
                expr,
            } if matches!(**expr, Expr::Value(_)) => Some(negative.to_string()),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()
        .filter(|values| !values.is_empty())
}

/// An integer literal, possibly negative.
fn number(expr: &Expr) -> Option<i128> {
    match uncast(expr) {
        Expr::Value(value) => value.to_string().parse().ok(),
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => number(expr).map(|n| -n),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Check, Column};

    fn table(checks: &[&str]) -> Table {
        Table {
            name: "t".into(),
            columns: ["status", "level", "name"]
                .iter()
                .map(|name| Column::not_null(name, "text"))
                .collect(),
            checks: checks
                .iter()
                .map(|expression| Check {
                    name: None,
                    expression: expression.to_string(),
                })
                .collect(),
            ..Table::default()
        }
    }

    #[test]
    fn in_lists_ranges_and_lengths_are_read() {
        let found = restrictions(
            &table(&[
                "status IN ('A', 'B')",
                "level BETWEEN 1 AND 5 AND level <> 3",
                "length(name) <= 8",
                "json_valid(name)",
            ]),
            Dialect::Sqlite,
        );
        assert_eq!(
            found["status"].choices,
            Some(vec!["'A'".to_string(), "'B'".to_string()])
        );
        assert_eq!((found["level"].min, found["level"].max), (Some(1), Some(5)));
        assert_eq!(found["name"].max_length, Some(8));
        assert!(found["name"].json);
    }

    #[test]
    fn postgres_any_array_is_a_list() {
        let found = restrictions(
            &table(&[
                "(status)::text = ANY ((ARRAY['A'::character varying, 'B'::character varying])::text[])",
                "0 < level",
                "name = 'only'::text",
            ]),
            Dialect::Postgres,
        );
        assert_eq!(
            found["status"].choices,
            Some(vec!["'A'".to_string(), "'B'".to_string()])
        );
        assert_eq!(found["level"].min, Some(1));
        assert_eq!(found["name"].choices, Some(vec!["'only'".to_string()]));
    }
}
