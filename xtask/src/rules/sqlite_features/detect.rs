//! How each feature of the table is found on a statement's tokens.
//!
//! The scan reads tokens, not sqlparser's tree: the tree of most statements is not kept (see
//! `Parsed::kept_for`), a token carries the exact position the finding points at, and a
//! statement the parser cannot read (a parser gap) is still checked. Strings, comments and
//! quoted names are single tokens of other kinds, so a word inside them never matches.

use sqlparser::tokenizer::{Token, TokenWithSpan};

use crate::diagnostic::Span;
use crate::sql::token::{bare_word, is_keyword, span};

/// How a feature shows in a statement's tokens.
pub enum Find {
    /// A call of one of these functions.
    Calls(&'static [&'static str]),
    /// What this scan finds: the spans of the tokens that show the feature.
    Tokens(fn(&Scan<'_>, &mut Vec<Span>)),
}

impl Find {
    pub fn run(&self, scan: &Scan<'_>, out: &mut Vec<Span>) {
        match self {
            Find::Calls(names) => {
                out.extend(scan.calls(names).map(|index| scan.between(index, index)));
            }
            Find::Tokens(find) => find(scan, out),
        }
    }
}

/// A statement's significant tokens, with the parenthesis depth of each.
pub struct Scan<'a> {
    tokens: Vec<&'a TokenWithSpan>,
    depths: Vec<usize>,
}

impl<'a> Scan<'a> {
    pub fn new(tokens: Vec<&'a TokenWithSpan>) -> Scan<'a> {
        let mut depth = 0usize;
        let depths = tokens
            .iter()
            .map(|token| match token.token {
                Token::LParen => {
                    depth += 1;
                    depth - 1
                }
                Token::RParen => {
                    depth = depth.saturating_sub(1);
                    depth
                }
                _ => depth,
            })
            .collect();
        Scan { tokens, depths }
    }

    fn len(&self) -> usize {
        self.tokens.len()
    }

    fn token(&self, index: usize) -> Option<&Token> {
        self.tokens.get(index).map(|token| &token.token)
    }

    /// Whether the token at `index` is the unquoted word `keyword`.
    fn is(&self, index: usize, keyword: &str) -> bool {
        self.token(index)
            .is_some_and(|token| is_keyword(token, keyword))
    }

    fn is_open(&self, index: usize) -> bool {
        self.token(index) == Some(&Token::LParen)
    }

    /// The span from the token at `first` to the token at `last`.
    fn between(&self, first: usize, last: usize) -> Span {
        Span::new(
            span(self.tokens[first]).start,
            span(self.tokens[last.min(self.len() - 1)]).end,
        )
    }

    /// Whether the statement starts with these words (`CREATE TABLE` also matches
    /// `CREATE TEMP TABLE` and `CREATE TEMPORARY TABLE`).
    fn starts_with(&self, words: &[&str]) -> bool {
        let mut index = 0;
        for word in words {
            if *word == "TABLE" && (self.is(index, "TEMP") || self.is(index, "TEMPORARY")) {
                index += 1;
            }
            if !self.is(index, word) {
                return false;
            }
            index += 1;
        }
        true
    }

    /// The indexes of the calls of these functions: a bare name, not qualified (`t.iif`), and
    /// an opening parenthesis after it.
    fn calls<'s>(&'s self, names: &'s [&str]) -> impl Iterator<Item = usize> + 's {
        (0..self.len()).filter(move |&index| {
            let name = self.token(index).and_then(bare_word);
            name.is_some_and(|name| names.iter().any(|n| n.eq_ignore_ascii_case(name)))
                && self.is_open(index + 1)
                && (index == 0 || self.token(index - 1) != Some(&Token::Period))
        })
    }

    /// The indexes of the unquoted word `keyword`.
    fn words<'s>(&'s self, keyword: &'s str) -> impl Iterator<Item = usize> + 's {
        (0..self.len()).filter(move |&index| self.is(index, keyword))
    }
}

pub fn upsert(scan: &Scan<'_>, out: &mut Vec<Span>) {
    for clause in upsert_clauses(scan) {
        if clause.ordinal == 0 && !(clause.untargeted && clause.updates) {
            out.push(clause.span);
        }
    }
}

pub fn upsert_generalized(scan: &Scan<'_>, out: &mut Vec<Span>) {
    for clause in upsert_clauses(scan) {
        if clause.ordinal > 0 || (clause.untargeted && clause.updates) {
            out.push(clause.span);
        }
    }
}

/// An `ON CONFLICT` clause of an `INSERT` (not the conflict clause of a constraint, which names
/// an algorithm such as `REPLACE` after it).
struct UpsertClause {
    span: Span,
    /// How many upsert clauses came before it in the same `INSERT`.
    ordinal: usize,
    /// Whether `DO` follows `ON CONFLICT` directly, without a conflict target.
    untargeted: bool,
    /// Whether the clause is `DO UPDATE`.
    updates: bool,
}

fn upsert_clauses(scan: &Scan<'_>) -> Vec<UpsertClause> {
    let mut clauses = Vec::new();
    let mut ordinal = 0;
    for index in 0..scan.len() {
        // A trigger body holds several statements: each INSERT counts its own clauses.
        if scan.is(index, "INSERT") || scan.is(index, "REPLACE") {
            ordinal = 0;
        }
        if !(scan.is(index, "ON") && scan.is(index + 1, "CONFLICT")) {
            continue;
        }
        let untargeted = scan.is(index + 2, "DO");
        if !untargeted && !scan.is_open(index + 2) {
            continue;
        }
        let action = (index + 2..scan.len())
            .find(|&i| scan.is(i, "DO") && scan.depths[i] == scan.depths[index]);
        clauses.push(UpsertClause {
            span: scan.between(index, index + 1),
            ordinal,
            untargeted,
            updates: action.is_some_and(|i| scan.is(i + 1, "UPDATE")),
        });
        ordinal += 1;
    }
    clauses
}

pub fn rename_column(scan: &Scan<'_>, out: &mut Vec<Span>) {
    if !scan.starts_with(&["ALTER", "TABLE"]) {
        return;
    }
    for index in scan.words("RENAME") {
        if scan.is(index + 1, "COLUMN") {
            out.push(scan.between(index, index + 1));
        } else if !scan.is(index + 1, "TO") {
            // `RENAME old TO new`: COLUMN is optional; `RENAME TO new` renames the table.
            out.push(scan.between(index, index));
        }
    }
}

pub fn window_functions(scan: &Scan<'_>, out: &mut Vec<Span>) {
    for index in scan.words("OVER") {
        let named = scan.token(index + 1).and_then(bare_word).is_some();
        if scan.is_open(index + 1) || named {
            out.push(scan.between(index, index));
        }
    }
}

pub fn nulls_first_last(scan: &Scan<'_>, out: &mut Vec<Span>) {
    for index in scan.words("NULLS") {
        if scan.is(index + 1, "FIRST") || scan.is(index + 1, "LAST") {
            out.push(scan.between(index, index + 1));
        }
    }
}

pub fn aggregate_filter(scan: &Scan<'_>, out: &mut Vec<Span>) {
    for index in scan.words("FILTER") {
        if scan.is_open(index + 1) && scan.is(index + 2, "WHERE") {
            out.push(scan.between(index, index));
        }
    }
}

/// `GENERATED ALWAYS AS (...)` or `AS (...)` in a column definition: at the top level of the
/// parentheses of `CREATE TABLE`, or after `ALTER TABLE ... ADD`. `CREATE TABLE ... AS SELECT`
/// and `CAST(x AS type)` are at other depths.
pub fn generated_columns(scan: &Scan<'_>, out: &mut Vec<Span>) {
    let depth = if scan.starts_with(&["CREATE", "TABLE"]) {
        1
    } else if scan.starts_with(&["ALTER", "TABLE"]) && scan.words("ADD").next().is_some() {
        0
    } else {
        return;
    };
    for index in scan.words("AS") {
        if scan.depths[index] != depth || !scan.is_open(index + 1) {
            continue;
        }
        let first = if index >= 2 && scan.is(index - 1, "ALWAYS") && scan.is(index - 2, "GENERATED")
        {
            index - 2
        } else {
            index
        };
        out.push(scan.between(first, index));
    }
}

pub fn update_from(scan: &Scan<'_>, out: &mut Vec<Span>) {
    out.extend(crate::rules::dialect_leak::update_froms(&scan.tokens).map(span));
}

pub fn drop_column(scan: &Scan<'_>, out: &mut Vec<Span>) {
    if !scan.starts_with(&["ALTER", "TABLE"]) {
        return;
    }
    for index in scan.words("DROP") {
        let last = if scan.is(index + 1, "COLUMN") {
            index + 1
        } else {
            index
        };
        out.push(scan.between(index, last));
    }
}

/// `RETURNING` at the top level of an `INSERT`, `UPDATE` or `DELETE` (SQLite allows it in no
/// trigger body), where a column of that name cannot stand: not after `,` or `.`.
pub fn returning(scan: &Scan<'_>, out: &mut Vec<Span>) {
    let writes = ["INSERT", "REPLACE", "UPDATE", "DELETE", "WITH"]
        .iter()
        .any(|verb| scan.is(0, verb));
    if !writes {
        return;
    }
    for index in scan.words("RETURNING") {
        let after_column = matches!(
            scan.token(index.wrapping_sub(1)),
            Some(Token::Period | Token::Comma)
        );
        if scan.depths[index] == 0 && !after_column {
            out.push(scan.between(index, index));
        }
    }
}

pub fn materialized_cte(scan: &Scan<'_>, out: &mut Vec<Span>) {
    for index in scan.words("MATERIALIZED") {
        if !scan.is_open(index + 1) {
            continue;
        }
        if scan.is(index.wrapping_sub(1), "AS") {
            out.push(scan.between(index, index));
        } else if index >= 2 && scan.is(index - 1, "NOT") && scan.is(index - 2, "AS") {
            out.push(scan.between(index - 1, index));
        }
    }
}

/// `STRICT` among the table options after the column definitions' closing parenthesis.
pub fn strict_tables(scan: &Scan<'_>, out: &mut Vec<Span>) {
    if !scan.starts_with(&["CREATE", "TABLE"]) {
        return;
    }
    for index in scan.words("STRICT") {
        let after_options = matches!(
            scan.token(index.wrapping_sub(1)),
            Some(Token::RParen | Token::Comma)
        );
        if scan.depths[index] == 0 && after_options {
            out.push(scan.between(index, index));
        }
    }
}

pub fn json_arrow(scan: &Scan<'_>, out: &mut Vec<Span>) {
    for index in 0..scan.len() {
        if matches!(scan.token(index), Some(Token::Arrow | Token::LongArrow)) {
            out.push(scan.between(index, index));
        }
    }
}

/// The functions of JSON1 (https://sqlite.org/json1.html) that SQLite had before 3.38.
pub const JSON_FUNCTIONS: &[&str] = &[
    "json",
    "json_array",
    "json_array_length",
    "json_extract",
    "json_insert",
    "json_object",
    "json_patch",
    "json_remove",
    "json_replace",
    "json_set",
    "json_type",
    "json_valid",
    "json_quote",
    "json_group_array",
    "json_group_object",
    "json_each",
    "json_tree",
];

pub fn is_distinct_from(scan: &Scan<'_>, out: &mut Vec<Span>) {
    for index in scan.words("IS") {
        let distinct = if scan.is(index + 1, "NOT") {
            index + 2
        } else {
            index + 1
        };
        if scan.is(distinct, "DISTINCT") && scan.is(distinct + 1, "FROM") {
            out.push(scan.between(index, distinct + 1));
        }
    }
}

pub fn right_full_join(scan: &Scan<'_>, out: &mut Vec<Span>) {
    for index in (0..scan.len()).filter(|&i| scan.is(i, "RIGHT") || scan.is(i, "FULL")) {
        let join = if scan.is(index + 1, "OUTER") {
            index + 2
        } else {
            index + 1
        };
        if scan.is(join, "JOIN") {
            out.push(scan.between(index, join));
        }
    }
}

/// The `jsonb` functions of 3.45: `jsonb()` and a `jsonb_` twin of every JSON function that
/// returns JSON.
pub const JSONB_FUNCTIONS: &[&str] = &[
    "jsonb",
    "jsonb_array",
    "jsonb_extract",
    "jsonb_insert",
    "jsonb_object",
    "jsonb_patch",
    "jsonb_remove",
    "jsonb_replace",
    "jsonb_set",
    "jsonb_group_array",
    "jsonb_group_object",
];
