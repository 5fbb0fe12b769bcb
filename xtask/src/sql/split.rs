//! Cuts a SQL file into statements: the file is tokenized once, and statements end at the `;`
//! tokens that are not inside a body (a trigger's `BEGIN ... END`, a `BEGIN ATOMIC ... END`
//! function body, or a `$$` body as the SQLite tokenizer sees it). Quoted strings, quoted
//! identifiers, comments and PostgreSQL's `$$` strings are single tokens, so a `;` inside them
//! never reaches the splitter.

use std::ops::Range;
use std::sync::Arc;

use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer, Whitespace};

use super::parse::parse_statement;
use super::token::{bare_word, is_keyword, is_trivia, position, DollarEvent, DollarQuotes};
use super::{LineComment, Role, SqlFile, Statement};
use crate::diagnostic::{Position, Span};
use crate::dialect::Dialect;
use crate::source::SourceFile;

/// Tokenizes, splits and parses a file.
pub fn load(source: SourceFile, dialect: Dialect, role: Role) -> SqlFile {
    let mut tokens = Vec::new();
    // On an error the buffer keeps every token read before it, so the statements that precede
    // an unterminated string are still checked.
    let tokenize_error = Tokenizer::new(dialect.parser_dialect(), &source.text)
        .tokenize_with_location_into_buf(&mut tokens)
        .err()
        .map(|error| {
            // The error is raised while reading the token that starts where the last complete
            // token ends. That start (the opening quote of an unterminated string, say) is a
            // better place to point at than where the tokenizer gave up, which for an
            // unterminated `$$` string is the end of the file.
            let start = tokens
                .last()
                .map_or(Position::new(1, 1), |token| position(token.span.end));
            (error.message, start)
        });
    let line_comments = tokens.iter().filter_map(line_comment).collect();
    let mut pieces = cut(&tokens);
    if tokenize_error.is_some() {
        // The last piece runs into the token the tokenizer could not read: it is incomplete,
        // and its parse error would only repeat the tokenizer's.
        if pieces.last().is_some_and(|piece| piece.semicolon.is_none()) {
            pieces.pop();
        }
    }
    // The statements share the file's tokens instead of each holding a copy of its own: the
    // file's tokens are then in memory once, not twice while the file is cut.
    tokens.shrink_to_fit();
    let tokens = Arc::new(tokens);
    let statements = pieces
        .into_iter()
        .map(|piece| piece.into_statement(&tokens, &source, dialect, &role))
        .collect();
    SqlFile {
        source,
        dialect,
        role,
        statements,
        tokenize_error,
        line_comments,
    }
}

/// The token as a `--` comment, if it is one.
fn line_comment(token: &TokenWithSpan) -> Option<LineComment> {
    match &token.token {
        Token::Whitespace(Whitespace::SingleLineComment { comment, prefix }) if prefix == "--" => {
            let text = comment.trim_end_matches(['\r', '\n']).to_string();
            // The token's own end lies past the line break; the span stays on the line.
            let start = position(token.span.start);
            let length = u32::try_from(text.chars().count() + prefix.len()).unwrap_or(u32::MAX);
            Some(LineComment {
                text,
                span: Span::on_line(start.line, start.column, length),
            })
        }
        _ => None,
    }
}

/// The tokens of one statement as cut from the file, before parsing, as indexes into the
/// file's tokens.
#[derive(Debug)]
struct Piece {
    /// From the first meaningful token up to, not including, the terminating `;`. Never empty,
    /// and never starts with trivia.
    tokens: Range<usize>,
    semicolon: Option<usize>,
}

impl Piece {
    fn into_statement(
        self,
        all: &Arc<Vec<TokenWithSpan>>,
        source: &SourceFile,
        dialect: Dialect,
        role: &Role,
    ) -> Statement {
        let tokens = &all[self.tokens.clone()];
        let semicolon = self.semicolon.map(|index| &all[index]);
        let start = tokens
            .first()
            .map_or(Position::new(1, 1), |token| position(token.span.start));
        // Tokens normally come in file order, but the tokenizer places the data of a
        // `COPY ... FROM STDIN` statement (which follows the `;`) before the `;`; the maximum
        // covers both.
        let end = tokens
            .iter()
            .chain(semicolon)
            .map(|token| position(token.span.end))
            .max()
            .unwrap_or(start);
        // Where the statement ends for the parser: errors that found the end of the statement
        // ("found: EOF") carry no position, and point here instead.
        let end_of_input = match semicolon {
            Some(semicolon) => position(semicolon.span.start),
            None => end,
        };
        let parsed = parse_statement(tokens, dialect, start, end_of_input).kept_for(role);
        Statement {
            range: source.offset(start)..source.offset(end),
            span: Span::new(start, end),
            file_tokens: Arc::clone(all),
            token_range: self.tokens,
            parsed,
        }
    }
}

/// Splits the tokens of a file at the `;` that end statements.
fn cut(tokens: &[TokenWithSpan]) -> Vec<Piece> {
    let mut pieces = Vec::new();
    // The statement being read: where it starts, and where its last meaningful token ends.
    let mut current: Option<(usize, usize)> = None;
    let mut nesting = Nesting::default();
    for (index, token) in tokens.iter().enumerate() {
        let trivia = is_trivia(&token.token);
        let Some((start, _)) = current else {
            // White space and comments between statements, and empty statements (`;;`),
            // belong to no statement.
            if !trivia && token.token != Token::SemiColon {
                nesting.observe(&token.token);
                current = Some((index, index + 1));
            }
            continue;
        };
        if trivia {
            continue;
        }
        if token.token == Token::SemiColon && !nesting.is_open() {
            // White space and comments before the `;` are part of the statement.
            pieces.push(Piece {
                tokens: start..index,
                semicolon: Some(index),
            });
            current = None;
            nesting = Nesting::default();
            continue;
        }
        nesting.observe(&token.token);
        current = Some((start, index + 1));
    }
    // A last statement without `;` ends at its last meaningful token; trailing comments are
    // not part of it.
    if let Some((start, end)) = current {
        pieces.push(Piece {
            tokens: start..end,
            semicolon: None,
        });
    }
    pieces
}

/// What the splitter knows about the statement being read: whether a `;` would end it.
#[derive(Debug, Default)]
struct Nesting {
    /// How many meaningful tokens of the statement were seen.
    seen: usize,
    /// Whether the statement is a `CREATE ... TRIGGER`, once the leading words tell.
    trigger: Option<bool>,
    /// Whether the previous meaningful token was the word `BEGIN`.
    after_begin: bool,
    body: Body,
    dollar_quotes: DollarQuotes,
}

/// A `BEGIN ... END` body holding statements of its own, each ended by `;`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Body {
    #[default]
    NotYet,
    /// Inside the body, with the number of `CASE` expressions whose `END` is still to come:
    /// their `END` does not close the body.
    Open {
        open_cases: u32,
    },
    Closed,
}

impl Nesting {
    /// Whether a `;` now would be inside something and not end the statement.
    fn is_open(&self) -> bool {
        matches!(self.body, Body::Open { .. }) || self.dollar_quotes.is_open()
    }

    /// Takes note of the next meaningful token of the statement.
    fn observe(&mut self, token: &Token) {
        if self.dollar_quotes.observe(token) != DollarEvent::Outside {
            return;
        }
        self.seen += 1;
        let after_begin = std::mem::replace(&mut self.after_begin, is_keyword(token, "BEGIN"));
        let Some(word) = bare_word(token) else {
            return;
        };
        let word = word.to_ascii_uppercase();
        if self.trigger.is_none() {
            self.trigger = match (self.seen, word.as_str()) {
                (1, "CREATE") => None,
                (1, _) => Some(false),
                (_, "OR" | "REPLACE" | "TEMP" | "TEMPORARY" | "CONSTRAINT") => None,
                (_, "TRIGGER") => Some(true),
                _ => Some(false),
            };
        }
        self.body = match (self.body, word.as_str()) {
            // A trigger's body starts at its first BEGIN; before it, the header may hold a
            // WHEN clause, but no `;`.
            (Body::NotYet, "BEGIN") if self.trigger == Some(true) => Body::Open { open_cases: 0 },
            // `BEGIN ATOMIC ... END`: a SQL-standard function or procedure body.
            (Body::NotYet, "ATOMIC") if after_begin => Body::Open { open_cases: 0 },
            (Body::Open { open_cases }, "CASE") => Body::Open {
                open_cases: open_cases + 1,
            },
            (Body::Open { open_cases: 0 }, "END") => Body::Closed,
            (Body::Open { open_cases }, "END") => Body::Open {
                open_cases: open_cases - 1,
            },
            (body, _) => body,
        };
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::sql::Parsed;

    fn load_text(dialect: Dialect, text: &str) -> SqlFile {
        let source = SourceFile::new(PathBuf::from("t.sql"), "t.sql".into(), text.into());
        load(source, dialect, Role::Seed)
    }

    #[test]
    fn only_the_trees_a_check_reads_are_kept_or_parsed_again() {
        let text = "CREATE TABLE a (x INT);\nINSERT INTO a VALUES (1);\nSELECT 1;\n\
                    UPDATE a SET x = 2 WHERE x = 1;\nUPDATE a SET x = 2;\n\
                    DELETE FROM a WHERE x = 1;\nDELETE FROM a;\n";
        let load_as = |role: Role| {
            let source = SourceFile::new("x.sql".into(), "x.sql".into(), text.into());
            load(source, Dialect::Postgres, role)
        };
        let verdicts = |file: &SqlFile| -> String {
            file.statements
                .iter()
                .map(|s| match s.parsed {
                    Parsed::Ok(_) => 'k',
                    Parsed::Deferred => 'd',
                    Parsed::Valid | Parsed::Gap { .. } | Parsed::Error { .. } => '-',
                })
                .collect()
        };
        let migration = load_as(Role::Migration(semver::Version::new(0, 1, 1)));
        assert_eq!(verdicts(&migration), "d---d-d");
        // A deferred tree is the one the loader parsed, parsed again from the same tokens.
        let tree = migration.statements[0].tree(Dialect::Postgres);
        assert_eq!(
            tree.map(|tree| tree.to_string()).as_deref(),
            Some("CREATE TABLE a (x INT)")
        );
        assert!(migration.statements[1].tree(Dialect::Postgres).is_none());
        assert_eq!(verdicts(&load_as(Role::Latest)), "-d-----");
        assert_eq!(verdicts(&load_as(Role::Seed)), "-------");
    }

    /// Each statement's text and what became of it, one line per statement.
    fn outline(file: &SqlFile) -> String {
        let mut out = String::new();
        for statement in &file.statements {
            let verdict = match &statement.parsed {
                Parsed::Ok(_) | Parsed::Valid | Parsed::Deferred => "ok".to_string(),
                Parsed::Gap { construct } => format!("gap {construct}"),
                Parsed::Error { message, position } => {
                    format!("error {}:{} {message}", position.line, position.column)
                }
            };
            let span = statement.span;
            out.push_str(&format!(
                "{}:{}-{}:{} {:?} => {verdict}\n",
                span.start.line,
                span.start.column,
                span.end.line,
                span.end.column,
                file.text_of(statement),
            ));
        }
        if let Some((message, position)) = &file.tokenize_error {
            out.push_str(&format!(
                "tokenize error {}:{} {message}\n",
                position.line, position.column
            ));
        }
        out
    }

    fn texts(file: &SqlFile) -> Vec<&str> {
        file.statements
            .iter()
            .map(|statement| file.text_of(statement))
            .collect()
    }

    #[test]
    fn statements_end_at_semicolons_and_exclude_leading_comments() {
        let file = load_text(
            Dialect::Sqlite,
            "-- header\n/* block; comment */\nCREATE TABLE a (x TEXT);\n\n  -- between; here\nINSERT INTO a VALUES ('x;y', \"q;\"); -- trailing\n",
        );
        insta::assert_snapshot!(outline(&file), @r#"
        3:1-3:25 "CREATE TABLE a (x TEXT);" => ok
        6:1-6:36 "INSERT INTO a VALUES ('x;y', \"q;\");" => ok
        "#);
    }

    #[test]
    fn statement_tokens_keep_inner_trivia_but_not_the_semicolon() {
        let file = load_text(Dialect::Sqlite, "  SELECT /* c */ 1 ;");
        let statement = &file.statements[0];
        let rendered: String = statement
            .tokens()
            .iter()
            .map(|t| t.token.to_string())
            .collect();
        assert_eq!(rendered, "SELECT /* c */ 1 ");
        assert_eq!(statement.range, 2..20);
    }

    #[test]
    fn empty_statements_and_a_missing_final_semicolon() {
        let file = load_text(
            Dialect::Postgres,
            ";;SELECT 1;;\n;SELECT 2 -- no semicolon\n",
        );
        insta::assert_snapshot!(outline(&file), @r#"
        1:3-1:12 "SELECT 1;" => ok
        2:2-2:10 "SELECT 2" => ok
        "#);
    }

    #[test]
    fn no_final_newline() {
        let file = load_text(Dialect::Sqlite, "SELECT 1;\nSELECT 2;");
        assert_eq!(texts(&file), ["SELECT 1;", "SELECT 2;"]);
        assert_eq!(file.statements[1].range, 10..19);
    }

    #[test]
    fn crlf_and_bom_give_the_same_positions_as_lf() {
        let lf = "-- é\nCREATE TABLE a (\n  x TEXT\n);\nSELECT 'é', x FROM a WHERE;\n";
        let crlf = format!("\u{feff}{}", lf.replace('\n', "\r\n"));
        let lf_file = load_text(Dialect::Sqlite, lf);
        let crlf_file = load_text(Dialect::Sqlite, &crlf);
        assert!(crlf_file.source.had_bom);
        assert_eq!(outline(&lf_file), outline(&crlf_file).replace("\\r", ""));
        insta::assert_snapshot!(outline(&crlf_file), @r#"
        2:1-4:3 "CREATE TABLE a (\r\n  x TEXT\r\n);" => ok
        5:1-5:28 "SELECT 'é', x FROM a WHERE;" => error 5:27 Expected: an expression, found: EOF
        "#);
    }

    #[test]
    fn postgres_dollar_bodies_keep_their_semicolons() {
        let file = load_text(
            Dialect::Postgres,
            "CREATE FUNCTION f() RETURNS trigger AS $$\nBEGIN\n  NEW.x := 1;\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\nDO $body$ BEGIN PERFORM 1; END $body$;\nSELECT 1;",
        );
        insta::assert_snapshot!(outline(&file), @r#"
        1:1-6:21 "CREATE FUNCTION f() RETURNS trigger AS $$\nBEGIN\n  NEW.x := 1;\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;" => ok
        7:1-7:39 "DO $body$ BEGIN PERFORM 1; END $body$;" => gap DO
        8:1-8:10 "SELECT 1;" => ok
        "#);
    }

    #[test]
    fn sqlite_keeps_a_leaked_dollar_body_in_one_statement() {
        let file = load_text(
            Dialect::Sqlite,
            "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\nSELECT 2;",
        );
        assert_eq!(
            texts(&file),
            [
                "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;",
                "SELECT 2;"
            ]
        );
    }

    #[test]
    fn trigger_bodies_with_case_end_stay_whole() {
        let file = load_text(
            Dialect::Sqlite,
            "CREATE TEMP TRIGGER t AFTER UPDATE ON a FOR EACH ROW\nWHEN NEW.x > 0\nBEGIN\n  UPDATE a SET y = CASE WHEN NEW.x > 1 THEN 'big' ELSE CASE NEW.x WHEN 1 THEN 'one' END END;\n  DELETE FROM b;\nEND;\nSELECT 1;\nBEGIN;\nCOMMIT;",
        );
        insta::assert_snapshot!(outline(&file), @r#"
        1:1-6:5 "CREATE TEMP TRIGGER t AFTER UPDATE ON a FOR EACH ROW\nWHEN NEW.x > 0\nBEGIN\n  UPDATE a SET y = CASE WHEN NEW.x > 1 THEN 'big' ELSE CASE NEW.x WHEN 1 THEN 'one' END END;\n  DELETE FROM b;\nEND;" => ok
        7:1-7:10 "SELECT 1;" => ok
        8:1-8:7 "BEGIN;" => ok
        9:1-9:8 "COMMIT;" => ok
        "#);
    }

    #[test]
    fn begin_atomic_bodies_stay_whole() {
        let file = load_text(
            Dialect::Postgres,
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN true THEN 1 END;\n  SELECT 2;\nEND;\nBEGIN TRANSACTION;\nSELECT 3;",
        );
        insta::assert_snapshot!(outline(&file), @r#"
        1:1-5:5 "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN true THEN 1 END;\n  SELECT 2;\nEND;" => ok
        6:1-6:19 "BEGIN TRANSACTION;" => ok
        7:1-7:10 "SELECT 3;" => ok
        "#);
    }

    #[test]
    fn a_trigger_without_body_ends_at_its_semicolon() {
        let file = load_text(
            Dialect::Postgres,
            "CREATE TRIGGER t BEFORE UPDATE ON a FOR EACH ROW EXECUTE FUNCTION f();\nSELECT 1;",
        );
        assert_eq!(file.statements.len(), 2);
    }

    #[test]
    fn a_file_of_comments_has_no_statement() {
        let file = load_text(Dialect::Sqlite, "-- only\n/* comments */\n;\n");
        assert!(file.statements.is_empty());
        assert!(file.tokenize_error.is_none());
    }

    #[test]
    fn tokenize_errors_keep_the_statements_before_them() {
        let file = load_text(
            Dialect::Sqlite,
            "SELECT 1;\nSELECT 2;\nSELECT 'oops;\nSELECT 3;\n",
        );
        insta::assert_snapshot!(outline(&file), @r#"
        1:1-1:10 "SELECT 1;" => ok
        2:1-2:10 "SELECT 2;" => ok
        tokenize error 3:8 Unterminated string literal
        "#);
    }

    #[test]
    fn an_unterminated_dollar_string_is_reported_where_it_starts() {
        let file = load_text(Dialect::Postgres, "SELECT 1;\nDO $$ BEGIN\n  NULL;\n");
        assert_eq!(texts(&file), ["SELECT 1;"]);
        assert_eq!(
            file.tokenize_error,
            Some((
                "Unterminated dollar-quoted string".to_string(),
                Position::new(2, 4)
            ))
        );
    }

    #[test]
    fn copy_from_stdin_data_belongs_to_its_statement() {
        let file = load_text(
            Dialect::Postgres,
            "COPY a (x) FROM STDIN;\n1\n2\n\\.\nSELECT 1;\n",
        );
        insta::assert_snapshot!(outline(&file), @r#"
        1:1-5:1 "COPY a (x) FROM STDIN;\n1\n2\n\\.\n" => ok
        5:1-5:10 "SELECT 1;" => ok
        "#);
    }

    /// Odd input must never panic; what it yields only has to be sane.
    #[test]
    fn nasty_inputs_do_not_panic() {
        let inputs = [
            "",
            "\u{feff}",
            ";",
            "'",
            "\"",
            "`",
            "$$",
            "$$ SELECT 1;",
            "DO $x$ unterminated",
            "END;",
            "END; END; CASE; BEGIN;",
            "CREATE TRIGGER t BEGIN SELECT 1;",
            "CREATE TRIGGER t BEGIN END END END;",
            "-- only a comment",
            "/* unterminated comment",
            "/* a */ /* b */",
            "\r\n\r\n",
            "\r",
            "é;ü;\u{0}",
            "SELECT 1__0;",
            "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((",
        ];
        for dialect in Dialect::ALL {
            for input in inputs {
                let file = load_text(dialect, input);
                for statement in &file.statements {
                    assert!(!statement.tokens().is_empty(), "{input:?}");
                    assert!(statement.range.start < statement.range.end, "{input:?}");
                    assert!(statement.range.end <= file.source.text.len(), "{input:?}");
                }
            }
        }
    }
}
