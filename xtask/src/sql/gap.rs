//! Parser gaps: statements the engine accepts but sqlparser 0.64 rejects. They are recognized by
//! their leading keywords, and only after sqlparser failed on them, so a later sqlparser that
//! learns one of them simply stops producing the note. Each entry was checked against sqlparser
//! 0.64 by the tests below; SQL that sqlparser reads is never listed.
//!
//! A gap is a note, not an error: the replay on the real engine judges the statement.

use sqlparser::tokenizer::{Token, TokenWithSpan};

use super::token::{bare_word, is_keyword, is_trivia, position};
use crate::diagnostic::Position;
use crate::dialect::{Dialect, ParserGap};

pub(super) enum Recognized {
    /// sqlparser cannot read the statement at all.
    Gap(&'static str),
    /// sqlparser cannot read one part of the statement; `rest` is the statement without that
    /// part, which sqlparser can check.
    GapWithin {
        construct: &'static str,
        rest: Vec<TokenWithSpan>,
    },
}

/// Recognizes a statement that sqlparser failed on, at `error_at`, as a parser gap.
pub(super) fn recognize(
    tokens: &[TokenWithSpan],
    dialect: Dialect,
    error_at: Position,
) -> Option<Recognized> {
    let leading: Vec<String> = tokens
        .iter()
        .filter(|token| !is_trivia(&token.token))
        .take(6)
        .map(|token| {
            bare_word(&token.token)
                .unwrap_or_default()
                .to_ascii_uppercase()
        })
        .collect();
    let leading: Vec<&str> = leading.iter().map(String::as_str).collect();
    match dialect.spec().parser_gap(&leading)? {
        ParserGap::Whole(construct) => Some(Recognized::Gap(construct)),
        ParserGap::WithoutIfNotExists(construct) => Some(Recognized::GapWithin {
            construct,
            rest: without_if_not_exists(tokens),
        }),
        ParserGap::WithoutCollate(construct) => without_collate_at(tokens, error_at)
            .map(|rest| Recognized::GapWithin { construct, rest }),
    }
}

/// The tokens of `CREATE [TEMP] TRIGGER IF NOT EXISTS ...` without the `IF NOT EXISTS`.
fn without_if_not_exists(tokens: &[TokenWithSpan]) -> Vec<TokenWithSpan> {
    let mut rest = Vec::with_capacity(tokens.len());
    let mut to_drop = ["IF", "NOT", "EXISTS"].into_iter().peekable();
    for token in tokens {
        if let Some(word) = to_drop.peek() {
            if is_keyword(&token.token, word) {
                to_drop.next();
                continue;
            }
        }
        rest.push(token.clone());
    }
    rest
}

/// When the error is at a `COLLATE`, the tokens without the `COLLATE name` clause (the name may
/// be qualified: `pg_catalog."default"`).
fn without_collate_at(tokens: &[TokenWithSpan], error_at: Position) -> Option<Vec<TokenWithSpan>> {
    let collate = tokens
        .iter()
        .position(|token| position(token.span.start) == error_at)?;
    if !is_keyword(&tokens[collate].token, "COLLATE") {
        return None;
    }
    // The name: a word, then any number of `.word`, with trivia allowed in between.
    let mut end = collate + 1;
    let mut expect_word = true;
    for (index, token) in tokens.iter().enumerate().skip(collate + 1) {
        match (&token.token, expect_word) {
            (token, _) if is_trivia(token) => continue,
            (Token::Word(_), true) => expect_word = false,
            (Token::Period, false) => expect_word = true,
            _ => break,
        }
        end = index + 1;
    }
    let mut rest = tokens[..collate].to_vec();
    rest.extend_from_slice(&tokens[end..]);
    Some(rest)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use crate::dialect::Dialect;
    use crate::source::SourceFile;
    use crate::sql::{Parsed, Role, SqlFile};

    /// What became of each statement of `text`, as `gap CONSTRUCT`, `ok` or `error L:C`.
    fn verdicts(dialect: Dialect, text: &str) -> Vec<String> {
        let source = SourceFile::new(PathBuf::from("t.sql"), "t.sql".into(), text.into());
        let file = SqlFile::load(source, dialect, Role::Seed);
        file.statements
            .iter()
            .map(|statement| match &statement.parsed {
                Parsed::Ok(_) | Parsed::Valid | Parsed::Deferred => "ok".to_string(),
                Parsed::Gap { construct } => format!("gap {construct}"),
                Parsed::Error { position, .. } => {
                    format!("error {}:{}", position.line, position.column)
                }
            })
            .collect()
    }

    #[test]
    fn sqlite_gaps() {
        assert_eq!(
            verdicts(
                Dialect::Sqlite,
                "PRAGMA foreign_keys = off;\n\
                 pragma table_info(memo);\n\
                 PRAGMA foreign_keys = 1;\n\
                 REINDEX idx_memo_tags;\n\
                 CREATE TRIGGER IF NOT EXISTS t AFTER INSERT ON a BEGIN UPDATE a SET x = 1; END;\n\
                 CREATE TEMP TRIGGER IF NOT EXISTS t AFTER INSERT ON a BEGIN UPDATE a SET x = 1; END;"
            ),
            [
                "gap PRAGMA",
                "gap PRAGMA",
                // sqlparser reads this one, so it is no gap.
                "ok",
                "gap REINDEX",
                "gap CREATE TRIGGER IF NOT EXISTS",
                "gap CREATE TRIGGER IF NOT EXISTS",
            ]
        );
    }

    #[test]
    fn an_error_inside_a_trigger_if_not_exists_is_still_an_error() {
        assert_eq!(
            verdicts(
                Dialect::Sqlite,
                "CREATE TRIGGER IF NOT EXISTS t AFTER INSERT ON a\nBEGIN UPDATE a SET x = ; END;"
            ),
            ["error 2:24"]
        );
    }

    #[test]
    fn postgres_gaps() {
        assert_eq!(
            verdicts(
                Dialect::Postgres,
                "DO $$ BEGIN RAISE NOTICE 'x'; END $$;\n\
                 DO LANGUAGE plpgsql $$ BEGIN NULL; END $$;\n\
                 ALTER TABLE memo ALTER COLUMN a TYPE TEXT COLLATE \"C\";\n\
                 ALTER TABLE memo ALTER COLUMN a SET DATA TYPE TEXT COLLATE pg_catalog.\"default\", ALTER COLUMN b TYPE TEXT COLLATE \"C\";\n\
                 COMMENT ON FUNCTION f(int) IS 'x';\n\
                 COMMENT ON PROCEDURE p() IS 'x';\n\
                 CREATE PROCEDURE p() LANGUAGE sql AS $$ SELECT 1 $$;\n\
                 CREATE OR REPLACE PROCEDURE p() LANGUAGE plpgsql AS $$ BEGIN NULL; END $$;\n\
                 REINDEX INDEX idx;\n\
                 ALTER SEQUENCE s RESTART WITH 1;"
            ),
            [
                "gap DO",
                "gap DO",
                "gap ALTER COLUMN ... TYPE ... COLLATE",
                "gap ALTER COLUMN ... TYPE ... COLLATE",
                "gap COMMENT ON FUNCTION",
                "gap COMMENT ON PROCEDURE",
                "gap CREATE PROCEDURE",
                "gap CREATE PROCEDURE",
                "gap REINDEX",
                "gap ALTER SEQUENCE",
            ]
        );
    }

    #[test]
    fn what_sqlparser_reads_is_no_gap() {
        assert_eq!(
            verdicts(
                Dialect::Postgres,
                "ALTER TABLE memo ALTER COLUMN a TYPE TEXT;\n\
                 COMMENT ON TABLE memo IS 'x';\n\
                 CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC SELECT 1; END;"
            ),
            ["ok", "ok", "ok"]
        );
    }

    #[test]
    fn an_alter_table_error_elsewhere_is_no_gap() {
        assert_eq!(
            verdicts(
                Dialect::Postgres,
                "ALTER TABLE memo ALTER COLUMN a TYPE TEXT COLLATE \"C\", ADD CONSTRAINT IF NOT EXISTS c UNIQUE (a);\n\
                 ALTER TABLE memo ADD CONSTRAINT IF NOT EXISTS c UNIQUE (a);"
            ),
            ["error 1:74", "error 2:36"]
        );
    }

    /// The gaps are per dialect: PRAGMA is no PostgreSQL statement (it is a dialect leak), a
    /// trigger with IF NOT EXISTS no PostgreSQL one either, and DO no SQLite one.
    #[test]
    fn gaps_of_one_dialect_are_errors_in_the_other() {
        assert_eq!(
            verdicts(
                Dialect::Postgres,
                "PRAGMA foreign_keys = off;\nCREATE TRIGGER IF NOT EXISTS t AFTER INSERT ON a BEGIN SELECT 1; END;"
            ),
            ["error 1:23", "error 2:19"]
        );
        assert_eq!(
            verdicts(Dialect::Sqlite, "DO $$ BEGIN NULL; END $$;"),
            ["error 1:1"]
        );
    }
}
