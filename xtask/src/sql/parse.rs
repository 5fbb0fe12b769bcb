//! Parses one statement's tokens with sqlparser, and turns a failure into either an error with
//! a file position or, for SQL the engine accepts but sqlparser cannot read, a parser gap.

use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan};

use super::depth;
use super::gap::{recognize, Recognized};
use super::Parsed;
use crate::diagnostic::Position;
use crate::dialect::Dialect;

/// Parses the tokens of one statement (its terminating `;` excluded). `start` is where the
/// statement starts and `end_of_input` where the parser runs out of tokens (the `;`, or the end
/// of the last token): errors that carry no position of their own are placed there.
pub(super) fn parse_statement(
    tokens: &[TokenWithSpan],
    dialect: Dialect,
    start: Position,
    end_of_input: Position,
) -> Parsed {
    if too_deep(tokens) {
        // Neither the parse nor the parser-gap table can read it; the replay still runs it, and
        // the judge makes this a parser-gap note where the engine accepts it.
        return Parsed::Error {
            message: format!(
                "the statement is nested too deeply for the parser (more than {} levels)",
                depth::LIMIT
            ),
            position: start,
        };
    }
    let error = match parse_whole(tokens, dialect) {
        Ok(statement) => return Parsed::Ok(Box::new(statement)),
        Err(error) => error,
    };
    let (message, position) = locate(&error, start, end_of_input);
    match recognize(tokens, dialect, position) {
        None => Parsed::Error { message, position },
        Some(Recognized::Gap(construct)) => Parsed::Gap { construct },
        // The construct is a gap, but the rest of the statement can be checked: the statement
        // is a gap if the rest parses, and an error (found past the construct) if it does not.
        Some(Recognized::GapWithin { construct, rest }) => {
            match parse_statement(&rest, dialect, start, end_of_input) {
                Parsed::Ok(_) | Parsed::Valid | Parsed::Deferred | Parsed::Gap { .. } => {
                    Parsed::Gap { construct }
                }
                error @ Parsed::Error { .. } => error,
            }
        }
    }
}

fn too_deep(tokens: &[TokenWithSpan]) -> bool {
    depth::too_deep(
        tokens
            .iter()
            .map(|token| &token.token)
            .filter(|token| !super::token::is_trivia(token)),
    )
}

/// The tree of a statement that parsed when it was loaded (`Parsed::Deferred`), parsed again
/// from the same tokens.
pub(super) fn reparse(
    tokens: &[TokenWithSpan],
    dialect: Dialect,
) -> Option<sqlparser::ast::Statement> {
    if too_deep(tokens) {
        return None;
    }
    parse_whole(tokens, dialect).ok()
}

/// Parses exactly one statement: tokens left over after it are an error, which
/// `Parser::parse_statement` alone would not report.
fn parse_whole(
    tokens: &[TokenWithSpan],
    dialect: Dialect,
) -> Result<sqlparser::ast::Statement, ParserError> {
    let mut parser =
        Parser::new(dialect.parser_dialect()).with_tokens_with_locations(tokens.to_vec());
    let statement = parser.parse_statement()?;
    let next = parser.peek_token();
    if next.token == Token::EOF {
        Ok(statement)
    } else {
        parser.expected("end of statement", next)
    }
}

/// sqlparser writes the position into the message (`... at Line: 3, Column: 7`); it is
/// file-absolute, because the tokens carry their positions in the file. Returns the message
/// without it, and the position.
fn locate(error: &ParserError, start: Position, end_of_input: Position) -> (String, Position) {
    let text = match error {
        ParserError::TokenizerError(text) | ParserError::ParserError(text) => text.as_str(),
        ParserError::RecursionLimitExceeded => {
            return (
                "the statement is nested too deeply for the parser".to_string(),
                start,
            )
        }
    };
    if let Some((message, location)) = text.rsplit_once(" at Line: ") {
        if let Some(position) = parse_location(location) {
            return (message.to_string(), position);
        }
    }
    // Only the end of the tokens has no position: sqlparser's EOF token is synthetic.
    let position = if text.ends_with("found: EOF") {
        end_of_input
    } else {
        start
    };
    (text.to_string(), position)
}

/// Reads `3, Column: 7`.
fn parse_location(location: &str) -> Option<Position> {
    let (line, column) = location.split_once(", Column: ")?;
    let line = line.parse().ok()?;
    let column = column.parse().ok()?;
    (line > 0 && column > 0).then(|| Position::new(line, column))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::source::SourceFile;
    use crate::sql::{Role, SqlFile};

    fn parsed(dialect: Dialect, text: &str) -> Vec<String> {
        let source = SourceFile::new(PathBuf::from("t.sql"), "t.sql".into(), text.into());
        let file = SqlFile::load(source, dialect, Role::Seed);
        file.statements
            .iter()
            .map(|statement| match &statement.parsed {
                Parsed::Ok(_) | Parsed::Valid | Parsed::Deferred => "ok".to_string(),
                Parsed::Gap { construct } => format!("gap {construct}"),
                Parsed::Error { message, position } => {
                    format!("error {}:{} {message}", position.line, position.column)
                }
            })
            .collect()
    }

    #[test]
    fn errors_carry_file_positions_without_the_suffix() {
        assert_eq!(
            parsed(
                Dialect::Postgres,
                "SELECT 1;\n\nALTER TABLE memo\n  ADD CONSTRAINT IF NOT EXISTS c UNIQUE (a);"
            ),
            [
                "ok",
                "error 4:21 Expected: PRIMARY, UNIQUE, FOREIGN, CHECK, or EXCLUDE, found: NOT"
            ]
        );
    }

    #[test]
    fn leftover_tokens_are_an_error_at_the_first_of_them() {
        assert_eq!(
            parsed(Dialect::Sqlite, "SELECT 1 2;"),
            ["error 1:10 Expected: end of statement, found: 2"]
        );
    }

    #[test]
    fn running_out_of_tokens_points_at_the_semicolon() {
        assert_eq!(
            parsed(Dialect::Sqlite, "CREATE TABLE a (x TEXT\n;"),
            ["error 2:1 Expected: ',' or ')' after column definition, found: EOF"]
        );
        assert_eq!(
            parsed(Dialect::Sqlite, "CREATE TABLE a (x TEXT"),
            ["error 1:23 Expected: ',' or ')' after column definition, found: EOF"]
        );
    }

    #[test]
    fn location_suffixes_are_read_strictly() {
        assert_eq!(parse_location("3, Column: 7"), Some(Position::new(3, 7)));
        assert_eq!(parse_location("0, Column: 0"), None);
        assert_eq!(parse_location("x, Column: 7"), None);
        let error = ParserError::ParserError("Expected: x, found: y at Line: 2, Column: 5".into());
        assert_eq!(
            locate(&error, Position::new(1, 1), Position::new(9, 9)),
            ("Expected: x, found: y".to_string(), Position::new(2, 5))
        );
        let error = ParserError::RecursionLimitExceeded;
        assert_eq!(
            locate(&error, Position::new(1, 1), Position::new(9, 9)).1,
            Position::new(1, 1)
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = format!("SELECT {}1{};", "(".repeat(200), ")".repeat(200));
        assert_eq!(
            parsed(Dialect::Postgres, &text),
            ["error 1:1 the statement is nested too deeply for the parser"]
        );
        // A chain of operators is read in a loop, not by recursion: the estimate stops it
        // before sqlparser builds a tree too deep to drop.
        let text = format!("SELECT 1{};\nSELECT 2;", "+1".repeat(1_000_000));
        assert_eq!(
            parsed(Dialect::Sqlite, &text),
            [
                "error 1:1 the statement is nested too deeply for the parser (more than 10000 levels)",
                "ok"
            ]
        );
    }
}
