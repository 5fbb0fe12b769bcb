//! What SQLite keeps only in the text of a `CREATE TABLE`, read tolerantly: parsed once with
//! sqlparser, or definition by definition where it rejects the whole.

use std::collections::HashMap;

use anyhow::bail;
use sqlparser::ast::{
    ColumnOption, ColumnOptionDef, CreateTable, Expr, Ident, ObjectName, Statement, TableConstraint,
};
use sqlparser::keywords::Keyword;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::DIALECT;
use crate::schema::{normalize, Check, Unread};
use crate::sql::token::{is_keyword, is_trivia};

/// What only the text of a `CREATE TABLE` tells, parsed once.
#[derive(Default)]
pub(super) struct TableText {
    /// By lower-cased column name.
    pub(super) columns: HashMap<String, ColumnText>,
    pub(super) primary_key_name: Option<String>,
    /// Named and unnamed unique constraints, with their lower-cased columns.
    pub(super) uniques: Vec<(Option<String>, Vec<String>)>,
    pub(super) foreign_keys: Vec<ForeignKeyText>,
    pub(super) checks: Vec<Check>,
}

#[derive(Default)]
pub(super) struct ColumnText {
    pub(super) collation: Option<String>,
    /// The normalized generation expression of a generated column.
    pub(super) generation: Option<String>,
    pub(super) autoincrement: bool,
}

pub(super) struct ForeignKeyText {
    pub(super) name: Option<String>,
    /// Lower-cased, as is the table.
    pub(super) columns: Vec<String>,
    pub(super) table: String,
    /// Set once a foreign key of the engine has taken the name.
    pub(super) used: bool,
}

impl TableText {
    /// Reads a table's `CREATE` text; what sqlparser cannot read of it is added to `unread`.
    pub(super) fn read(
        sql: &str,
        object: &str,
        unread: &mut Vec<Unread>,
    ) -> anyhow::Result<TableText> {
        match parse_statement(sql) {
            Ok(Statement::CreateTable(create)) => Ok(TableText::from_create(&create)),
            // A virtual table has no constraints; its columns come from the engine.
            Ok(Statement::CreateVirtualTable { .. }) => Ok(TableText::default()),
            Ok(other) => bail!("the table's definition is no CREATE TABLE: {other}"),
            Err(error) => Ok(TableText::read_by_definition(sql, object, &error, unread)),
        }
    }

    /// Reads a `CREATE TABLE` that sqlparser rejects one definition at a time, each in a table
    /// of its own, so that one unreadable column costs only what its own text tells.
    fn read_by_definition(
        sql: &str,
        object: &str,
        error: &str,
        unread: &mut Vec<Unread>,
    ) -> TableText {
        let mut text = TableText::default();
        let Some(definitions) = definitions(sql) else {
            unread.push(Unread {
                object: object.to_string(),
                what: format!(
                    "sqlparser cannot read its CREATE TABLE ({error}), so its CHECKs, constraint \
                     names, collations and generation expressions are not known"
                ),
            });
            return text;
        };
        for definition in definitions {
            let attempt = |body: &str| match parse_statement(&format!("CREATE TABLE t ({body})")) {
                Ok(Statement::CreateTable(create)) => Some(TableText::from_create(&create)),
                _ => None,
            };
            let whole = definition
                .iter()
                .map(ToString::to_string)
                .collect::<String>();
            // A column whose type sqlparser cannot read is read without it: its type comes
            // from the engine, and the rest of its text still tells its constraints.
            let read = attempt(&whole)
                .or_else(|| without_type(&definition).and_then(|untyped| attempt(&untyped)));
            match read {
                Some(part) => text.merge(part),
                None => unread.push(Unread {
                    object: object.to_string(),
                    what: format!(
                        "sqlparser cannot read the definition `{}`, so its CHECKs, constraint \
                         names, collation and generation expression are not known",
                        whole.split_whitespace().collect::<Vec<_>>().join(" ")
                    ),
                }),
            }
        }
        text
    }

    /// Adds what one definition's text told.
    fn merge(&mut self, part: TableText) {
        self.columns.extend(part.columns);
        if part.primary_key_name.is_some() {
            self.primary_key_name = part.primary_key_name;
        }
        self.uniques.extend(part.uniques);
        self.foreign_keys.extend(part.foreign_keys);
        self.checks.extend(part.checks);
    }

    fn from_create(create: &CreateTable) -> TableText {
        let mut text = TableText::default();
        for column in &create.columns {
            let column_name = lower(&column.name);
            let mut parsed = ColumnText::default();
            for option in &column.options {
                text.column_option(option, &column_name, &mut parsed);
            }
            text.columns.insert(column_name, parsed);
        }
        for constraint in &create.constraints {
            text.table_constraint(constraint);
        }
        text
    }

    /// Takes what one option of column `column_name` says: into the column's own text
    /// (`parsed`), or into the table's keys and checks.
    fn column_option(
        &mut self,
        option: &ColumnOptionDef,
        column_name: &str,
        parsed: &mut ColumnText,
    ) {
        let name = option.name.as_ref().map(|name| name.value.clone());
        let named = |own: &Option<Ident>| {
            name.clone()
                .or_else(|| own.as_ref().map(|n| n.value.clone()))
        };
        match &option.option {
            ColumnOption::Collation(collation) => parsed.collation = collation_name(collation),
            ColumnOption::Generated {
                generation_expr: Some(expression),
                ..
            } => {
                parsed.generation = Some(normalize::parsed_expression(expression, DIALECT));
            }
            ColumnOption::DialectSpecific(tokens) if tokens.iter().any(is_autoincrement) => {
                parsed.autoincrement = true;
            }
            ColumnOption::PrimaryKey(key) => self.primary_key_name = named(&key.name),
            ColumnOption::Unique(unique) => {
                self.uniques
                    .push((named(&unique.name), vec![column_name.to_string()]));
            }
            ColumnOption::ForeignKey(key) => self.foreign_keys.push(ForeignKeyText {
                name: named(&key.name),
                columns: vec![column_name.to_string()],
                table: object_name(&key.foreign_table),
                used: false,
            }),
            ColumnOption::Check(check) => self.checks.push(Check {
                name: named(&check.name),
                expression: normalize::parsed_expression(&check.expr, DIALECT),
            }),
            _ => {}
        }
    }

    /// Takes what one table constraint says.
    fn table_constraint(&mut self, constraint: &TableConstraint) {
        match constraint {
            TableConstraint::PrimaryKey(key) => {
                self.primary_key_name = key.name.as_ref().map(|name| name.value.clone());
                // `PRIMARY KEY (id AUTOINCREMENT)`: sqlparser reads the keyword as the column's
                // operator class.
                for column in &key.columns {
                    let autoincrement = column.operator_class.as_ref().is_some_and(|class| {
                        class.to_string().eq_ignore_ascii_case("autoincrement")
                    });
                    if let (true, Some(name)) = (autoincrement, key_column(&column.column.expr)) {
                        self.columns.entry(name).or_default().autoincrement = true;
                    }
                }
            }
            TableConstraint::Unique(unique) => {
                let columns = unique
                    .columns
                    .iter()
                    .map(|column| key_column(&column.column.expr).unwrap_or_default())
                    .collect();
                let name = unique.name.as_ref().map(|name| name.value.clone());
                self.uniques.push((name, columns));
            }
            TableConstraint::ForeignKey(key) => self.foreign_keys.push(ForeignKeyText {
                name: key.name.as_ref().map(|name| name.value.clone()),
                columns: key.columns.iter().map(lower).collect(),
                table: object_name(&key.foreign_table),
                used: false,
            }),
            TableConstraint::Check(check) => self.checks.push(Check {
                name: check.name.as_ref().map(|name| name.value.clone()),
                expression: normalize::parsed_expression(&check.expr, DIALECT),
            }),
            _ => {}
        }
    }

    /// The name of the unique constraint on `columns`, where the text gives one.
    pub(super) fn unique_name(&self, columns: &[String]) -> Option<String> {
        self.uniques
            .iter()
            .find(|(_, text)| {
                text.len() == columns.len()
                    && text
                        .iter()
                        .zip(columns)
                        .all(|(text, column)| text.eq_ignore_ascii_case(column))
            })
            .and_then(|(name, _)| name.clone())
    }

    /// The name of a foreign key on `columns` to `table`, where the text gives one. Each key of
    /// the text names one key of the engine, in the order they are asked for.
    pub(super) fn foreign_key_name(&mut self, columns: &[String], table: &str) -> Option<String> {
        let found = self.foreign_keys.iter_mut().find(|key| {
            !key.used
                && key.table.eq_ignore_ascii_case(table)
                && key.columns.len() == columns.len()
                && key
                    .columns
                    .iter()
                    .zip(columns)
                    .all(|(text, column)| text.eq_ignore_ascii_case(column))
        })?;
        found.used = true;
        found.name.clone()
    }
}

fn parse_statement(sql: &str) -> Result<Statement, String> {
    Parser::new(DIALECT.parser_dialect())
        .try_with_sql(sql)
        .and_then(|mut parser| parser.parse_statement())
        .map_err(|error| error.to_string())
}

/// The definitions (columns and table constraints) of a `CREATE TABLE` text, each as its tokens:
/// what lies between the outer parentheses, cut at the commas outside inner ones. `None` where
/// the text cannot be tokenized or has no parenthesized body.
pub(super) fn definitions(sql: &str) -> Option<Vec<Vec<Token>>> {
    let tokens = Tokenizer::new(DIALECT.parser_dialect(), sql)
        .tokenize()
        .ok()?;
    let open = tokens.iter().position(|token| *token == Token::LParen)?;
    let mut definitions = vec![Vec::new()];
    let mut depth = 0usize;
    for token in &tokens[open + 1..] {
        match token {
            Token::LParen => depth += 1,
            Token::RParen if depth == 0 => {
                return Some(definitions.into_iter().filter(|d| !d.is_empty()).collect());
            }
            Token::RParen => depth -= 1,
            Token::Comma if depth == 0 => {
                definitions.push(Vec::new());
                continue;
            }
            _ => {}
        }
        if let Some(current) = definitions.last_mut() {
            current.push(token.clone());
        }
    }
    None
}

/// The keywords that start a column constraint: where a column's declared type ends.
const COLUMN_CONSTRAINT_STARTS: [&str; 11] = [
    "CONSTRAINT",
    "PRIMARY",
    "NOT",
    "NULL",
    "UNIQUE",
    "CHECK",
    "DEFAULT",
    "COLLATE",
    "REFERENCES",
    "GENERATED",
    "AS",
];

/// A column definition without its declared type (`tags INTEGER[] NOT NULL` becomes
/// `tags NOT NULL`); `None` for a table constraint.
fn without_type(definition: &[Token]) -> Option<String> {
    let mut significant = definition
        .iter()
        .enumerate()
        .filter(|(_, token)| !is_trivia(token));
    let (name_at, name) = significant.next()?;
    if ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"]
        .iter()
        .any(|keyword| is_keyword(name, keyword))
    {
        return None;
    }
    let mut depth = 0usize;
    let rest = definition[name_at + 1..].iter().position(|token| {
        match token {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            _ => {}
        }
        depth == 0
            && COLUMN_CONSTRAINT_STARTS
                .iter()
                .any(|keyword| is_keyword(token, keyword))
    });
    let rest = rest.map_or(&[][..], |at| &definition[name_at + 1 + at..]);
    Some(format!(
        "{name} {}",
        rest.iter().map(ToString::to_string).collect::<String>()
    ))
}

fn is_autoincrement(token: &Token) -> bool {
    matches!(token, Token::Word(word) if word.keyword == Keyword::AUTOINCREMENT)
}

/// The column of a key entry that is a plain column, lower-cased.
fn key_column(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Identifier(ident) => Some(lower(ident)),
        Expr::Collate { expr, .. } => key_column(expr),
        _ => None,
    }
}

fn lower(ident: &Ident) -> String {
    ident.value.to_ascii_lowercase()
}

/// The last part of a possibly qualified name, lower-cased.
fn object_name(name: &ObjectName) -> String {
    name.0
        .last()
        .and_then(|part| part.as_ident())
        .map(lower)
        .unwrap_or_default()
}

/// A collation other than SQLite's default, `BINARY`, in lower case.
fn collation_name(collation: &ObjectName) -> Option<String> {
    let name = object_name(collation);
    (name != "binary").then_some(name)
}
