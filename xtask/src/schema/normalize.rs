//! Canonical text for SQL fragments (defaults, CHECKs, index keys and predicates, trigger and
//! view definitions), so that two fragments of equal meaning compare equal however they were
//! spaced, cased or parenthesized.
//!
//! A fragment is parsed with sqlparser and printed with its `Display`, which fixes the spacing
//! and the spelling of operators (`!=` becomes `<>`). That text is then tokenized once more and
//! every token is written in one canonical form: keywords and unquoted identifiers in lower case,
//! quoted identifiers without their quotes where none are needed, string literals untouched.
//! Redundant parentheses around a whole expression are dropped. A fragment that sqlparser cannot
//! read gets the same per-token treatment with a single space between tokens, so that it still
//! compares equal to a differently spaced copy of itself; nothing here ever fails.

use sqlparser::ast::Expr;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, Tokenizer};

use crate::dialect::Dialect;

/// The canonical text of an expression, such as a default or a CHECK condition.
pub fn expression(sql: &str, dialect: Dialect) -> String {
    match parse_expression(sql, dialect) {
        Ok(expr) => parsed_expression(&expr, dialect),
        Err(_) => fallback(sql, dialect, true),
    }
}

/// The canonical text of an expression that is already parsed (a CHECK of a parsed `CREATE
/// TABLE`, say), so that its text need not be parsed a second time.
pub fn parsed_expression(expr: &Expr, dialect: Dialect) -> String {
    let mut expr = expr;
    while let Expr::Nested(inner) = expr {
        expr = inner;
    }
    canonical(&expr.to_string(), dialect)
}

/// The canonical text of a whole statement, such as a `CREATE TRIGGER` or `CREATE VIEW`.
pub fn statement(sql: &str, dialect: Dialect) -> String {
    match parse_statement(sql, dialect) {
        Ok(statement) => canonical(&statement.to_string(), dialect),
        Err(_) => fallback(sql, dialect, false),
    }
}

/// A parser over the fragment's tokens. A fragment the engine accepted may still nest deeper
/// than a tree the tool can drop and print on a replay thread's stack (`sql::depth`): it is
/// refused here, and takes the fallback.
fn parser_for(sql: &str, dialect: Dialect) -> Result<Parser<'static>, ParserError> {
    let tokens = Tokenizer::new(dialect.parser_dialect(), sql)
        .tokenize_with_location()
        .map_err(|error| ParserError::TokenizerError(error.to_string()))?;
    let significant = tokens
        .iter()
        .map(|token| &token.token)
        .filter(|token| !crate::sql::token::is_trivia(token));
    if crate::sql::depth::too_deep(significant) {
        return Err(ParserError::RecursionLimitExceeded);
    }
    Ok(Parser::new(dialect.parser_dialect()).with_tokens_with_locations(tokens))
}

/// Parses exactly one expression: tokens left over after it are an error. The row generator
/// reads CHECK conditions with it.
pub fn parse_expression(sql: &str, dialect: Dialect) -> Result<Expr, ParserError> {
    let mut parser = parser_for(sql, dialect)?;
    let expr = parser.parse_expr()?;
    let next = parser.peek_token();
    if next.token == Token::EOF {
        Ok(expr)
    } else {
        parser.expected("end of expression", next)
    }
}

/// Parses exactly one statement, with or without its terminating `;`.
fn parse_statement(sql: &str, dialect: Dialect) -> Result<sqlparser::ast::Statement, ParserError> {
    let mut parser = parser_for(sql, dialect)?;
    let statement = parser.parse_statement()?;
    // The terminating `;` is optional, so whether there was one does not matter.
    let _ = parser.consume_token(&Token::SemiColon);
    let next = parser.peek_token();
    if next.token == Token::EOF {
        Ok(statement)
    } else {
        parser.expected("end of statement", next)
    }
}

/// Rewrites the tokens of sqlparser's own output in their canonical forms. Its spacing is
/// already canonical, so every run of white space becomes one space and is otherwise kept.
fn canonical(printed: &str, dialect: Dialect) -> String {
    let Some(tokens) = tokenize(printed, dialect) else {
        return collapse(printed);
    };
    let mut out = String::with_capacity(printed.len());
    let mut space = false;
    for token in &tokens {
        if let Token::Whitespace(_) = token {
            space = !out.is_empty();
        } else {
            if space {
                out.push(' ');
                space = false;
            }
            push_token(&mut out, token, dialect);
        }
    }
    out
}

/// The canonical text of SQL that sqlparser cannot read: its tokens in canonical form, one
/// space between two tokens, comments and a terminating `;` left out, and (for an expression)
/// parentheses around the whole of it dropped. SQL that cannot even be tokenized (an unclosed
/// quote) is only collapsed for white space and case.
fn fallback(sql: &str, dialect: Dialect, is_expression: bool) -> String {
    let Some(tokens) = tokenize(sql, dialect) else {
        return collapse(sql).to_lowercase();
    };
    let mut tokens: Vec<&Token> = tokens
        .iter()
        .filter(|token| !matches!(token, Token::Whitespace(_)))
        .collect();
    if tokens.last() == Some(&&Token::SemiColon) {
        tokens.pop();
    }
    if is_expression {
        while tokens.len() >= 2 && encloses_all(&tokens) {
            tokens = tokens[1..tokens.len() - 1].to_vec();
        }
    }
    let mut out = String::with_capacity(sql.len());
    for (i, token) in tokens.into_iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        push_token(&mut out, token, dialect);
    }
    out
}

/// Whether the first token is a `(` whose matching `)` is the last token.
fn encloses_all(tokens: &[&Token]) -> bool {
    if tokens.first() != Some(&&Token::LParen) {
        return false;
    }
    let mut depth = 0usize;
    for (i, token) in tokens.iter().enumerate() {
        match token {
            Token::LParen => depth += 1,
            Token::RParen => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i == tokens.len() - 1;
                }
            }
            _ => {}
        }
    }
    false
}

/// Tokenizes without unescaping, so that a string literal prints back exactly as it was read.
fn tokenize(sql: &str, dialect: Dialect) -> Option<Vec<Token>> {
    Tokenizer::new(dialect.parser_dialect(), sql)
        .with_unescape(false)
        .tokenize()
        .ok()
}

fn push_token(out: &mut String, token: &Token, dialect: Dialect) {
    match token {
        Token::Word(word) => match word.quote_style {
            None => out.push_str(&word.value.to_ascii_lowercase()),
            Some(quote) => push_identifier(out, &word.value, quote, dialect),
        },
        other => out.push_str(&other.to_string()),
    }
}

/// A quoted identifier, written without quotes where it is a plain lower-case word and with
/// double quotes otherwise, so that `"memo"`, `[memo]`, `` `memo` `` and `memo` are one name.
/// SQLite compares identifiers without regard to ASCII case, quoted or not, so its quoted
/// identifiers are lower-cased too; PostgreSQL's quoted identifiers keep their case.
fn push_identifier(out: &mut String, raw: &str, quote: char, dialect: Dialect) {
    // The tokenizer kept the doubled closing quotes of the raw text; `[...]` has no escape.
    let name = match quote {
        '"' => raw.replace("\"\"", "\""),
        '`' => raw.replace("``", "`"),
        _ => raw.to_string(),
    };
    let name = if dialect.spec().quoted_names_fold_case() {
        name.to_ascii_lowercase()
    } else {
        name
    };
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        out.push_str(&name);
    } else {
        out.push('"');
        out.push_str(&name.replace('"', "\"\""));
        out.push('"');
    }
}

/// Trims and collapses every run of white space into one space.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite(sql: &str) -> String {
        expression(sql, Dialect::Sqlite)
    }

    #[test]
    fn spacing_and_outer_parentheses_do_not_matter() {
        assert_eq!(
            sqlite("strftime('%s','now')"),
            sqlite("( strftime( '%s', 'now' ) )")
        );
        assert_eq!(sqlite("((strftime('%s', 'now')))"), "strftime('%s', 'now')");
    }

    #[test]
    fn in_lists_compare_equal_however_spaced() {
        let canonical = "row_status in ('NORMAL', 'ARCHIVED')";
        assert_eq!(sqlite("row_status IN ('NORMAL','ARCHIVED')"), canonical);
        assert_eq!(
            sqlite("  row_status   in(\n'NORMAL' ,\t'ARCHIVED' )"),
            canonical
        );
        assert_eq!(sqlite("(ROW_STATUS IN ('NORMAL', 'ARCHIVED'))"), canonical);
    }

    #[test]
    fn string_literals_keep_their_case_and_quotes() {
        assert_eq!(sqlite("status = 'UNREAD'"), "status = 'UNREAD'");
        assert_ne!(sqlite("status = 'UNREAD'"), sqlite("status = 'unread'"));
        assert_eq!(sqlite("name = 'it''s'"), "name = 'it''s'");
    }

    #[test]
    fn quoted_identifiers_are_unquoted_where_plain() {
        assert_eq!(sqlite("\"Memo\".\"ID\" = [x] + `y`"), "memo.id = x + y");
        assert_eq!(sqlite("\"my col\" > 0"), "\"my col\" > 0");
        assert_eq!(sqlite("\"a\"\"b\" > 0"), "\"a\"\"b\" > 0");
        let postgres = expression("\"Memo\".\"id\" <> 0", Dialect::Postgres);
        assert_eq!(postgres, "\"Memo\".id <> 0");
    }

    #[test]
    fn operators_are_spelled_one_way() {
        assert_eq!(sqlite("a != b"), sqlite("a <> b"));
        assert_eq!(sqlite("CAST(x AS INTEGER)"), "cast(x as integer)");
    }

    #[test]
    fn meaningful_differences_stay() {
        assert_ne!(sqlite("pinned = 1"), sqlite("pinned = 0"));
        assert_ne!(sqlite("(a = 1) OR b"), sqlite("a = (1 OR b)"));
        assert_ne!(sqlite("x IN ('A', 'B')"), sqlite("x IN ('A', 'B', 'C')"));
    }

    #[test]
    fn fragments_nested_too_deeply_fall_back_without_a_tree() {
        let chain = format!("1{}", " + 1".repeat(20_000));
        assert_eq!(expression(&chain, Dialect::Postgres), collapse(&chain));
    }

    #[test]
    fn unparsable_fragments_fall_back_without_panicking() {
        // `MATCH` with nothing after it is no expression; the fallback still ignores spacing.
        let a = sqlite("( x  MATCH )");
        assert_eq!(a, "x match");
        assert_eq!(a, sqlite("x MATCH"));
        // An unclosed string cannot be tokenized: only white space and case are normalized.
        assert_eq!(sqlite("  'abc  "), "'abc");
        assert_eq!(sqlite(""), "");
    }

    #[test]
    fn statements_ignore_spacing_case_and_the_semicolon() {
        let written = "CREATE TRIGGER t AFTER UPDATE ON memo FOR EACH ROW\nWHEN NEW.a = OLD.a\nBEGIN\n  \
                       UPDATE memo SET a = CAST(strftime('%s', 'now') AS INTEGER) WHERE id = NEW.id;\nEND";
        let other =
            "create trigger t after update on \"memo\" for each row when new.a=old.a begin \
                     update memo set a=cast(strftime('%s','now') as integer) where id=new.id; end;";
        assert_eq!(
            statement(written, Dialect::Sqlite),
            statement(other, Dialect::Sqlite)
        );
        assert!(statement(written, Dialect::Sqlite).starts_with("create trigger t after update"));
        let changed = written.replace("NEW.id", "OLD.id");
        assert_ne!(
            statement(written, Dialect::Sqlite),
            statement(&changed, Dialect::Sqlite)
        );
    }

    #[test]
    fn unparsable_statements_fall_back_to_tokens() {
        let a = statement("PRAGMA foreign_keys = off;", Dialect::Sqlite);
        let b = statement("pragma   FOREIGN_KEYS=OFF", Dialect::Sqlite);
        assert_eq!(a, b);
        assert_eq!(a, "pragma foreign_keys = off");
    }
}
