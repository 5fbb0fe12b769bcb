//! `dialect-leak`: a construct of another SQL dialect in a file of this one, such as PostgreSQL's
//! `UPDATE ... FROM` in a SQLite migration (it shipped, see the field notes).
//!
//! sqlparser is no dialect validator (its PostgreSQL dialect reads SQLite triggers and drops
//! `AUTOINCREMENT` without a word), so the constructs are found on the statement's tokens. Words
//! inside strings, comments and quoted identifiers are single tokens of another kind, and a name
//! such as `jsonb_set` is one word, so none of them can match by accident.

use sqlparser::tokenizer::{Token, TokenWithSpan};

use crate::codes::Code;
use crate::config::engines::SqliteVersion;
use crate::diagnostic::{Diagnostic, Span};
use crate::dialect::Leak as DialectLeak;
use crate::sql::token::{bare_word, is_keyword, span, DollarEvent, DollarQuotes};
use crate::sql::SqlFile;

/// Reports the constructs of other dialects in `file`. Where the configuration names the oldest
/// SQLite the service ships (`sqlite_minimum`), whether a SQLite file may use `UPDATE ... FROM`
/// is that version's question, which `sqlite-too-old` answers; without one, it is reported here.
pub fn check(file: &SqlFile, sqlite_minimum: Option<SqliteVersion>, out: &mut Vec<Diagnostic>) {
    for statement in &file.statements {
        let tokens: Vec<&TokenWithSpan> = statement.significant().collect();
        let mut leaks = Vec::new();
        for leak in file.dialect.spec().leaks() {
            match leak {
                DialectLeak::Backticks => backticks(file, &tokens, &mut leaks),
                DialectLeak::ConflictClauses => conflict_clauses(&tokens, &mut leaks),
                DialectLeak::Autoincrement => autoincrement(&tokens, &mut leaks),
                DialectLeak::Pragma => pragma(&tokens, &mut leaks),
                DialectLeak::DoubleColonCasts => double_colon_casts(file, &tokens, &mut leaks),
                DialectLeak::PostgresTypes => postgres_types(&tokens, &mut leaks),
                DialectLeak::FunctionsOrDollarBodies => {
                    // A leaked function says all there is to say about its `$$` body.
                    if !functions(&tokens, &mut leaks) {
                        dollar_bodies(&tokens, &mut leaks);
                    }
                }
                DialectLeak::UpdateFrom if sqlite_minimum.is_none() => {
                    update_from(&tokens, &mut leaks);
                }
                DialectLeak::UpdateFrom => {}
            }
        }
        out.extend(leaks.into_iter().map(|leak| {
            Diagnostic::new(Code::DialectLeak, leak.message)
                .file(&file.source.display)
                .span(leak.span)
                .help(leak.help)
        }));
    }
}

struct Leak {
    span: Span,
    message: String,
    help: String,
}

impl Leak {
    fn new(span: Span, message: impl Into<String>, help: impl Into<String>) -> Leak {
        Leak {
            span,
            message: message.into(),
            help: help.into(),
        }
    }
}

/// The span from the start of one token to the end of another.
fn between(first: &TokenWithSpan, last: &TokenWithSpan) -> Span {
    Span::new(span(first).start, span(last).end)
}

/// The source text a span covers.
fn text_of(file: &SqlFile, span: Span) -> &str {
    let start = file.source.offset(span.start);
    let end = file.source.offset(span.end);
    file.source.text.get(start..end).unwrap_or_default()
}

/// The uppercase words of the statement's first tokens (empty for tokens that are not bare
/// words), to match leading keywords against.
fn leading_words(tokens: &[&TokenWithSpan], count: usize) -> Vec<String> {
    tokens
        .iter()
        .take(count)
        .map(|token| {
            bare_word(&token.token)
                .unwrap_or_default()
                .to_ascii_uppercase()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// SQLite (and MySQL) constructs in a PostgreSQL file.

/// `` `name` ``: the PostgreSQL tokenizer has no backtick quotes and hands out each backtick as
/// a lone character, which the parser then rejects with a puzzling "Expected: identifier".
fn backticks(file: &SqlFile, tokens: &[&TokenWithSpan], leaks: &mut Vec<Leak>) {
    let is_backtick = |token: &&TokenWithSpan| token.token == Token::Char('`');
    let mut index = 0;
    while let Some(open) = tokens[index..].iter().position(is_backtick) {
        let open = index + open;
        let close = tokens[open + 1..]
            .iter()
            .position(is_backtick)
            .map(|close| open + 1 + close);
        let span = between(tokens[open], tokens[close.unwrap_or(open)]);
        let quoted = text_of(file, span);
        let name = quoted.trim_matches('`');
        leaks.push(Leak::new(
            span,
            format!(
                "backtick-quoted identifier {quoted} is MySQL syntax (SQLite accepts it too); \
                 PostgreSQL has no backtick quotes"
            ),
            format!("quote the identifier with double quotes: \"{name}\""),
        ));
        index = close.unwrap_or(open) + 1;
    }
}

/// SQLite's conflict clauses: `INSERT OR IGNORE`, `INSERT OR REPLACE`, `UPDATE OR ...`, and
/// `REPLACE INTO` (SQLite and MySQL).
fn conflict_clauses(tokens: &[&TokenWithSpan], leaks: &mut Vec<Leak>) {
    let word_at = |index: usize| {
        tokens
            .get(index)
            .and_then(|token| bare_word(&token.token))
            .map(str::to_ascii_uppercase)
            .unwrap_or_default()
    };
    for (index, token) in tokens.iter().enumerate() {
        let (verb, next) = (word_at(index), word_at(index + 1));
        match (verb.as_str(), next.as_str()) {
            ("INSERT" | "UPDATE", "OR") => {
                let action = word_at(index + 2);
                if !matches!(
                    action.as_str(),
                    "IGNORE" | "REPLACE" | "ABORT" | "FAIL" | "ROLLBACK"
                ) {
                    continue;
                }
                leaks.push(Leak::new(
                    between(token, tokens[index + 2]),
                    format!(
                        "`{verb} OR {action}` is SQLite syntax; PostgreSQL has no `OR {action}` \
                         conflict clause"
                    ),
                    conflict_help(&action),
                ));
            }
            // `REPLACE INTO`, but not the `REPLACE INTO` of `INSERT OR REPLACE INTO`.
            ("REPLACE", "INTO") if index == 0 || word_at(index - 1) != "OR" => {
                leaks.push(Leak::new(
                    between(token, tokens[index + 1]),
                    "`REPLACE INTO` is SQLite and MySQL syntax; PostgreSQL has no REPLACE statement",
                    conflict_help("REPLACE"),
                ));
            }
            _ => {}
        }
    }
}

fn conflict_help(action: &str) -> String {
    match action {
        "IGNORE" => "write `INSERT INTO ... ON CONFLICT DO NOTHING`".to_string(),
        "REPLACE" => "write `INSERT INTO t (...) VALUES (...) ON CONFLICT (key) DO UPDATE SET \
                      column = EXCLUDED.column`"
            .to_string(),
        _ => "use `INSERT ... ON CONFLICT ...`, or let the transaction fail and roll back"
            .to_string(),
    }
}

fn autoincrement(tokens: &[&TokenWithSpan], leaks: &mut Vec<Leak>) {
    for token in tokens {
        if is_keyword(&token.token, "AUTOINCREMENT") {
            leaks.push(Leak::new(
                span(token),
                "`AUTOINCREMENT` is SQLite syntax; PostgreSQL rejects it",
                "declare the column `id SERIAL PRIMARY KEY` (or `id BIGINT GENERATED BY DEFAULT \
                 AS IDENTITY PRIMARY KEY`)",
            ));
        }
    }
}

fn pragma(tokens: &[&TokenWithSpan], leaks: &mut Vec<Leak>) {
    if let Some(first) = tokens.first() {
        if is_keyword(&first.token, "PRAGMA") {
            leaks.push(Leak::new(
                span(first),
                "`PRAGMA` is SQLite syntax; PostgreSQL has no PRAGMA statement",
                "delete the statement: PostgreSQL always enforces foreign keys, and its settings \
                 are changed with `SET`",
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL constructs in a SQLite file.

/// `expr::type`.
fn double_colon_casts(file: &SqlFile, tokens: &[&TokenWithSpan], leaks: &mut Vec<Leak>) {
    for (index, token) in tokens.iter().enumerate() {
        if token.token != Token::DoubleColon {
            continue;
        }
        // The span takes in the type name, when there is one.
        let last = match tokens.get(index + 1) {
            Some(next) if matches!(next.token, Token::Word(_)) => next,
            _ => token,
        };
        let cast = text_of(file, between(token, last));
        let target = cast.trim_start_matches("::");
        let target = if target.is_empty() { "type" } else { target };
        leaks.push(Leak::new(
            between(token, last),
            format!("the `{cast}` cast is PostgreSQL syntax; SQLite has no `::` operator"),
            format!("write `CAST(expression AS {target})`"),
        ));
    }
}

/// `SERIAL`, `BIGSERIAL`, `SMALLSERIAL` and `JSONB` where a column or cast type is written.
/// SQLite takes any word as a type name, so nothing fails: the column silently gets the wrong
/// behaviour.
fn postgres_types(tokens: &[&TokenWithSpan], leaks: &mut Vec<Leak>) {
    let defines_columns = matches!(
        leading_words(tokens, 1).first().map(String::as_str),
        Some("CREATE" | "ALTER")
    );
    for (index, token) in tokens.iter().enumerate() {
        let Some(word) = bare_word(&token.token) else {
            continue;
        };
        let word = word.to_ascii_uppercase();
        let (message, help) = match word.as_str() {
            "SERIAL" | "BIGSERIAL" | "SMALLSERIAL" => (
                format!(
                    "`{word}` is a PostgreSQL type; SQLite accepts the name but generates no \
                     values for it, so the column stays NULL"
                ),
                "declare the column `id INTEGER PRIMARY KEY AUTOINCREMENT` (or `INTEGER PRIMARY \
                 KEY`, which SQLite numbers by itself)",
            ),
            "JSONB" => (
                "`JSONB` is a PostgreSQL type; SQLite accepts the name but gives it NUMERIC \
                 affinity, which turns JSON text such as '1' into a number"
                    .to_string(),
                "declare the column `TEXT`: SQLite keeps JSON as text, and its json_* and \
                 jsonb_* functions read it from there",
            ),
            _ => continue,
        };
        if is_type_position(tokens, index, defines_columns) {
            leaks.push(Leak::new(span(token), message, help));
        }
    }
}

/// Whether the word at `index` is where a type is written: `CAST(x AS type)`,
/// `ALTER COLUMN x TYPE type`, or after the column name in a column definition
/// (`(name type`, `, name type`, `ADD [COLUMN] name type`). A column named `serial` or `jsonb`
/// is not flagged, since the word before it is no column name.
fn is_type_position(tokens: &[&TokenWithSpan], index: usize, defines_columns: bool) -> bool {
    let before = |back: usize| {
        index
            .checked_sub(back)
            .and_then(|i| tokens.get(i))
            .map(|token| &token.token)
    };
    let after = tokens.get(index + 1).map(|token| &token.token);
    match before(1) {
        Some(previous) if is_keyword(previous, "AS") => after == Some(&Token::RParen),
        Some(previous) if is_keyword(previous, "TYPE") => true,
        // The column name is any word but the keywords that come before one.
        Some(name @ Token::Word(_))
            if defines_columns && !is_keyword(name, "COLUMN") && !is_keyword(name, "ADD") =>
        {
            match before(2) {
                Some(Token::LParen | Token::Comma) => true,
                Some(token) => is_keyword(token, "COLUMN") || is_keyword(token, "ADD"),
                None => false,
            }
        }
        _ => false,
    }
}

/// `CREATE [OR REPLACE] FUNCTION` and `PROCEDURE`. Returns whether it found one.
fn functions(tokens: &[&TokenWithSpan], leaks: &mut Vec<Leak>) -> bool {
    let words = leading_words(tokens, 4);
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let (length, kind) = match words.as_slice() {
        ["CREATE", kind @ ("FUNCTION" | "PROCEDURE"), ..] => (2, *kind),
        ["CREATE", "OR", "REPLACE", kind @ ("FUNCTION" | "PROCEDURE"), ..] => (4, *kind),
        _ => return false,
    };
    let kind = kind.to_ascii_lowercase();
    leaks.push(Leak::new(
        between(tokens[0], tokens[length - 1]),
        format!(
            "`{}` is PostgreSQL syntax; SQLite has no stored {kind}s",
            words[..length].join(" ")
        ),
        "compute the value in the statements that need it, use a trigger (`CREATE TRIGGER ... \
         BEGIN ... END`), or register the function with the application's SQLite driver",
    ));
    true
}

/// `$$ ... $$`, which the SQLite tokenizer reads as parameters around ordinary SQL.
fn dollar_bodies(tokens: &[&TokenWithSpan], leaks: &mut Vec<Leak>) {
    let mut quotes = DollarQuotes::default();
    for token in tokens {
        if quotes.observe(&token.token) == DollarEvent::Opened {
            leaks.push(Leak::new(
                span(token),
                "a `$$`-quoted body is PostgreSQL syntax; SQLite has no dollar quoting and reads \
                 `$$` as a parameter",
                "SQLite has no functions or DO blocks: write the statements out, or put them in \
                 a trigger body `BEGIN ... END`",
            ));
        }
    }
}

/// `UPDATE t SET ... FROM other WHERE ...`.
fn update_from(tokens: &[&TokenWithSpan], leaks: &mut Vec<Leak>) {
    for from in update_froms(tokens) {
        leaks.push(Leak::new(
            span(from),
            "`UPDATE ... FROM` is PostgreSQL syntax; SQLite accepts it only from 3.33 (2020), \
             so it fails on older SQLite libraries",
            "set the column from a correlated subquery: `UPDATE t SET a = (SELECT o.a FROM o \
             WHERE o.id = t.id) WHERE EXISTS (SELECT 1 FROM o WHERE o.id = t.id)`",
        ));
    }
}

/// The `FROM` of each `UPDATE ... FROM` of a statement: a FROM at the top level of an UPDATE
/// statement. A FROM inside parentheses belongs to a subquery or a function such as
/// `EXTRACT(... FROM ...)`. The feature table of `sqlite-too-old` finds it here too.
pub(crate) fn update_froms<'a, 't>(
    tokens: &'a [&'t TokenWithSpan],
) -> impl Iterator<Item = &'t TokenWithSpan> + 'a {
    tokens.iter().enumerate().filter_map(|(index, token)| {
        // An UPDATE that starts a statement: at the start, after a `WITH (...)` clause, or as
        // a statement in a trigger body. Elsewhere UPDATE is part of something else: `AFTER
        // UPDATE`, `ON UPDATE CASCADE`, `DO UPDATE SET`.
        let starts_statement = match index.checked_sub(1).map(|i| &tokens[i].token) {
            None => true,
            Some(previous) => {
                matches!(previous, Token::SemiColon | Token::RParen)
                    || is_keyword(previous, "BEGIN")
            }
        };
        if !is_keyword(&token.token, "UPDATE") || !starts_statement {
            return None;
        }
        let mut depth = 0usize;
        for next in &tokens[index + 1..] {
            match &next.token {
                Token::LParen => depth += 1,
                Token::RParen => depth = depth.saturating_sub(1),
                Token::SemiColon if depth == 0 => return None,
                other if depth == 0 && is_keyword(other, "FROM") => return Some(*next),
                _ => {}
            }
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::dialect::Dialect;
    use crate::source::SourceFile;
    use crate::sql::Role;

    /// The leaks of `text`, one per line: `line:col-line:col message | help`.
    fn leaks(dialect: Dialect, text: &str) -> String {
        let source = SourceFile::new(PathBuf::from("t.sql"), "t.sql".into(), text.into());
        let file = SqlFile::load(source, dialect, Role::Seed);
        let mut out = Vec::new();
        check(&file, None, &mut out);
        out.iter()
            .map(|d| {
                let span = d.span.unwrap_or(Span::on_line(0, 0, 0));
                format!(
                    "{}:{}-{}:{} {} | {}\n",
                    span.start.line,
                    span.start.column,
                    span.end.line,
                    span.end.column,
                    d.message,
                    d.help.as_deref().unwrap_or_default()
                )
            })
            .collect()
    }

    #[test]
    fn backticks_in_postgres() {
        insta::assert_snapshot!(leaks(Dialect::Postgres, "CREATE TABLE `memo tag` (`id` INT);\nSELECT '`x`';"), @r#"
        1:14-1:24 backtick-quoted identifier `memo tag` is MySQL syntax (SQLite accepts it too); PostgreSQL has no backtick quotes | quote the identifier with double quotes: "memo tag"
        1:26-1:30 backtick-quoted identifier `id` is MySQL syntax (SQLite accepts it too); PostgreSQL has no backtick quotes | quote the identifier with double quotes: "id"
        "#);
        // A lone backtick is reported on its own.
        assert!(leaks(Dialect::Postgres, "SELECT `x;").starts_with("1:8-1:9 backtick"));
    }

    #[test]
    fn conflict_clauses_in_postgres() {
        insta::assert_snapshot!(leaks(
            Dialect::Postgres,
            "INSERT OR IGNORE INTO a VALUES (1);\ninsert or replace into a values (1);\nREPLACE INTO a VALUES (1);\nUPDATE OR FAIL a SET x = 1;\nSELECT replace(x, 'a', 'b') FROM a;"
        ), @"
        1:1-1:17 `INSERT OR IGNORE` is SQLite syntax; PostgreSQL has no `OR IGNORE` conflict clause | write `INSERT INTO ... ON CONFLICT DO NOTHING`
        2:1-2:18 `INSERT OR REPLACE` is SQLite syntax; PostgreSQL has no `OR REPLACE` conflict clause | write `INSERT INTO t (...) VALUES (...) ON CONFLICT (key) DO UPDATE SET column = EXCLUDED.column`
        3:1-3:13 `REPLACE INTO` is SQLite and MySQL syntax; PostgreSQL has no REPLACE statement | write `INSERT INTO t (...) VALUES (...) ON CONFLICT (key) DO UPDATE SET column = EXCLUDED.column`
        4:1-4:15 `UPDATE OR FAIL` is SQLite syntax; PostgreSQL has no `OR FAIL` conflict clause | use `INSERT ... ON CONFLICT ...`, or let the transaction fail and roll back
        ");
    }

    #[test]
    fn autoincrement_and_pragma_in_postgres() {
        insta::assert_snapshot!(leaks(
            Dialect::Postgres,
            "CREATE TABLE a (id INTEGER PRIMARY KEY AUTOINCREMENT);\nPRAGMA foreign_keys = 1;\n-- PRAGMA foreign_keys = off;\nSELECT 'PRAGMA', \"autoincrement\" FROM a;"
        ), @"
        1:40-1:53 `AUTOINCREMENT` is SQLite syntax; PostgreSQL rejects it | declare the column `id SERIAL PRIMARY KEY` (or `id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY`)
        2:1-2:7 `PRAGMA` is SQLite syntax; PostgreSQL has no PRAGMA statement | delete the statement: PostgreSQL always enforces foreign keys, and its settings are changed with `SET`
        ");
    }

    #[test]
    fn double_colon_casts_in_sqlite() {
        insta::assert_snapshot!(leaks(
            Dialect::Sqlite,
            "UPDATE memo SET tags = payload::text;\nSELECT 'a::b', \"x::y\" FROM memo; -- a::b\n/* x::int */"
        ), @"1:31-1:37 the `::text` cast is PostgreSQL syntax; SQLite has no `::` operator | write `CAST(expression AS text)`");
    }

    #[test]
    fn postgres_types_in_sqlite() {
        insta::assert_snapshot!(leaks(
            Dialect::Sqlite,
            "CREATE TABLE a (id SERIAL PRIMARY KEY, b BIGSERIAL, serial TEXT, jsonb TEXT, payload JSONB);\nALTER TABLE a ADD COLUMN c jsonb;\nALTER TABLE a ADD COLUMN serial TEXT;\nALTER TABLE a ADD jsonb TEXT;\nSELECT CAST(x AS JSONB), jsonb(x), jsonb_set(x, '$.a', 1), serial FROM a;"
        ), @"
        1:20-1:26 `SERIAL` is a PostgreSQL type; SQLite accepts the name but generates no values for it, so the column stays NULL | declare the column `id INTEGER PRIMARY KEY AUTOINCREMENT` (or `INTEGER PRIMARY KEY`, which SQLite numbers by itself)
        1:42-1:51 `BIGSERIAL` is a PostgreSQL type; SQLite accepts the name but generates no values for it, so the column stays NULL | declare the column `id INTEGER PRIMARY KEY AUTOINCREMENT` (or `INTEGER PRIMARY KEY`, which SQLite numbers by itself)
        1:86-1:91 `JSONB` is a PostgreSQL type; SQLite accepts the name but gives it NUMERIC affinity, which turns JSON text such as '1' into a number | declare the column `TEXT`: SQLite keeps JSON as text, and its json_* and jsonb_* functions read it from there
        2:28-2:33 `JSONB` is a PostgreSQL type; SQLite accepts the name but gives it NUMERIC affinity, which turns JSON text such as '1' into a number | declare the column `TEXT`: SQLite keeps JSON as text, and its json_* and jsonb_* functions read it from there
        5:18-5:23 `JSONB` is a PostgreSQL type; SQLite accepts the name but gives it NUMERIC affinity, which turns JSON text such as '1' into a number | declare the column `TEXT`: SQLite keeps JSON as text, and its json_* and jsonb_* functions read it from there
        ");
    }

    #[test]
    fn functions_and_dollar_bodies_in_sqlite() {
        insta::assert_snapshot!(leaks(
            Dialect::Sqlite,
            "CREATE OR REPLACE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\nDO $$ BEGIN NULL; END $$;\nSELECT '$$';"
        ), @"
        1:1-1:27 `CREATE OR REPLACE FUNCTION` is PostgreSQL syntax; SQLite has no stored functions | compute the value in the statements that need it, use a trigger (`CREATE TRIGGER ... BEGIN ... END`), or register the function with the application's SQLite driver
        2:4-2:6 a `$$`-quoted body is PostgreSQL syntax; SQLite has no dollar quoting and reads `$$` as a parameter | SQLite has no functions or DO blocks: write the statements out, or put them in a trigger body `BEGIN ... END`
        ");
    }

    #[test]
    fn update_from_in_sqlite() {
        insta::assert_snapshot!(leaks(
            Dialect::Sqlite,
            "UPDATE memo SET x = o.x FROM other o WHERE o.id = memo.id;\n\
             UPDATE memo SET x = (SELECT o.x FROM other o WHERE o.id = memo.id), y = EXTRACT(EPOCH FROM now());\n\
             WITH o AS (SELECT 1 AS id) UPDATE memo SET x = 1 FROM o;\n\
             CREATE TRIGGER t AFTER UPDATE ON memo BEGIN UPDATE a SET x = 1; SELECT 1 FROM a; END;\n\
             INSERT INTO a SELECT * FROM b ON CONFLICT DO UPDATE SET x = 1;"
        ), @"
        1:25-1:29 `UPDATE ... FROM` is PostgreSQL syntax; SQLite accepts it only from 3.33 (2020), so it fails on older SQLite libraries | set the column from a correlated subquery: `UPDATE t SET a = (SELECT o.a FROM o WHERE o.id = t.id) WHERE EXISTS (SELECT 1 FROM o WHERE o.id = t.id)`
        3:50-3:54 `UPDATE ... FROM` is PostgreSQL syntax; SQLite accepts it only from 3.33 (2020), so it fails on older SQLite libraries | set the column from a correlated subquery: `UPDATE t SET a = (SELECT o.a FROM o WHERE o.id = t.id) WHERE EXISTS (SELECT 1 FROM o WHERE o.id = t.id)`
        ");
    }

    #[test]
    fn update_from_is_left_to_the_configured_minimum() {
        let text = "UPDATE memo SET x = o.x FROM other o WHERE o.id = memo.id;";
        let source = SourceFile::new(PathBuf::from("t.sql"), "t.sql".into(), text.into());
        let file = SqlFile::load(source, Dialect::Sqlite, Role::Seed);
        let mut out = Vec::new();
        check(&file, Some(SqliteVersion::new(3, 33, 0)), &mut out);
        assert!(out.is_empty());
        check(&file, None, &mut out);
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn each_dialect_is_left_alone_by_its_own_constructs() {
        let sqlite = "CREATE TABLE a (id INTEGER PRIMARY KEY AUTOINCREMENT, `b` TEXT);\nINSERT OR IGNORE INTO a VALUES (1, 'x');\nPRAGMA foreign_keys = off;\nSELECT jsonb_set(b, '$.a', 1) FROM a;";
        assert_eq!(leaks(Dialect::Sqlite, sqlite), "");
        let postgres = "CREATE TABLE a (id SERIAL PRIMARY KEY, j JSONB DEFAULT '{}'::jsonb);\nUPDATE a SET j = o.j FROM a o WHERE o.id = a.id;\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;";
        assert_eq!(leaks(Dialect::Postgres, postgres), "");
    }
}
