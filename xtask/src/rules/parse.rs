//! `parse-error`, `parser-gap` and `empty-file`: what the splitter and sqlparser made of a file.
//! The parsing itself happened once, in `SqlFile::load`; this rule only reports it.

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Position, Span};
use crate::rules::judgement::{chains_phrase, Judgement};
use crate::sql::token::span;
use crate::sql::{Parsed, Role, SqlFile, Statement};

/// What the parse rule reports, as data: the check collects it, `From<ParseFinding> for
/// Diagnostic` words it. `file` is the file as diagnostics show it, `engine` its dialect's
/// engine (`PostgreSQL`).
pub enum ParseFinding<'a> {
    /// SQL the engine accepts and sqlparser cannot read: `construct` names it.
    Gap {
        file: &'a str,
        span: Span,
        engine: &'a str,
        construct: &'a str,
    },
    /// A statement sqlparser could not parse, in its words.
    Error {
        file: &'a str,
        span: Span,
        engine: &'a str,
        message: &'a str,
    },
    /// A file the tokenizer could not read to its end.
    Unreadable {
        file: &'a str,
        span: Span,
        engine: &'a str,
        message: &'a str,
    },
    /// A file with no statement: `blank` where it holds not even comments.
    Empty {
        file: &'a str,
        blank: bool,
        role: &'a Role,
    },
}

impl From<ParseFinding<'_>> for Diagnostic {
    fn from(finding: ParseFinding<'_>) -> Diagnostic {
        match finding {
            ParseFinding::Gap {
                file,
                span,
                engine,
                construct,
            } => Diagnostic::new(
                Code::ParserGap,
                format!(
                    "sqlparser cannot read `{construct}`; the replay on {engine} judges this statement"
                ),
            )
            .file(file)
            .span(span)
            .help(
                "nothing to fix: this is valid SQL that the static checks skip; only the \
                 replay on the real engine checks this statement",
            ),
            ParseFinding::Error {
                file,
                span,
                engine,
                message,
            } => Diagnostic::new(
                Code::ParseError,
                format!(
                    "cannot parse this statement as {engine}: {}",
                    readable(message)
                ),
            )
            .file(file)
            .span(span)
            .help(format!(
                "fix the syntax here; if {engine} really accepts this statement, the replay \
                 lets it judge: a statement the engine executes is a `parser-gap` note, not \
                 an error"
            )),
            ParseFinding::Unreadable {
                file,
                span,
                engine,
                message,
            } => Diagnostic::new(
                Code::ParseError,
                format!(
                    "cannot read this file as {engine}: {}; the rest of the file is not checked",
                    lowercase_first(message)
                ),
            )
            .file(file)
            .span(span)
            .help(
                "an unterminated quote, `$$` string or comment runs to the end of the file: close \
                 the one that starts here (a quote inside a string is written twice: 'it''s')",
            ),
            ParseFinding::Empty { file, blank, role } => empty_file(file, blank, role),
        }
    }
}

fn empty_file(file: &str, blank: bool, role: &Role) -> Diagnostic {
    let message = if blank {
        "this file is empty"
    } else {
        "this file holds only comments and no SQL statement"
    };
    let help = match role {
        Role::Latest => {
            "LATEST.sql creates the whole schema of a fresh install: write it, ending with \
             the schema-version stamp"
        }
        Role::Migration(_) => {
            "write the statements of this version; if the version really changes nothing in \
             this dialect, say so in a comment above a no-op statement such as `SELECT 1;`"
        }
        Role::Baseline => "the baseline builds the schema the full chain starts from: write it",
        Role::Seed => "add the demo data, or delete the file",
    };
    Diagnostic::new(Code::EmptyFile, message)
        .file(file)
        .help(help)
}

pub fn check(file: &SqlFile, out: &mut Vec<Diagnostic>) {
    let engine = file.dialect.engine();
    let display = file.source.display.as_str();
    for statement in &file.statements {
        match &statement.parsed {
            Parsed::Ok(_) | Parsed::Valid | Parsed::Deferred => {}
            Parsed::Gap { construct } => out.push(
                ParseFinding::Gap {
                    file: display,
                    span: first_token_span(statement),
                    engine,
                    construct,
                }
                .into(),
            ),
            Parsed::Error { message, position } => out.push(
                ParseFinding::Error {
                    file: display,
                    span: token_span_at(statement, *position),
                    engine,
                    message,
                }
                .into(),
            ),
        }
    }
    if let Some((message, position)) = &file.tokenize_error {
        out.push(
            ParseFinding::Unreadable {
                file: display,
                span: Span::on_line(position.line, position.column, 1),
                engine,
                message,
            }
            .into(),
        );
    }
    if file.statements.is_empty() && file.tokenize_error.is_none() {
        out.push(
            ParseFinding::Empty {
                file: display,
                blank: file.source.text.trim().is_empty(),
                role: &file.role,
            }
            .into(),
        );
    }
}

/// A parse error judged by the replay. Where the engine executed the statement in some chain,
/// sqlparser is wrong and the error becomes a `parser-gap` note; where the engine refused it, the
/// replay's `statement-failed` says why and the error stays; where no chain executed it, no
/// engine could judge it and the error stays, saying so. Without the replay it is left as it is.
pub fn judge(
    diagnostic: &mut Diagnostic,
    file: &SqlFile,
    statement: &Statement,
    judgement: Option<&Judgement>,
) {
    let Some(Judgement { engine, verdict }) = judgement else {
        return;
    };
    let Parsed::Error { message, .. } = &statement.parsed else {
        return;
    };
    if !verdict.executed.is_empty() {
        diagnostic.code = Code::ParserGap;
        diagnostic.severity = Code::ParserGap.severity();
        diagnostic.message = format!(
            "sqlparser cannot read this statement ({}), but {engine} executed it in {}",
            readable(message),
            chains_phrase(&verdict.executed)
        );
        diagnostic.help = Some(format!(
            "nothing to fix: this is valid {} that the static checks skip; the engine is the judge",
            file.dialect.engine()
        ));
        diagnostic.chains = verdict.executed.clone();
    } else if !verdict.failed.is_empty() {
        diagnostic.message.push_str(&format!(
            "; {engine} refused it too, in {} (see statement-failed)",
            chains_phrase(&verdict.failed)
        ));
    } else {
        diagnostic.message.push_str(
            "; no replay chain executed this statement (its migration lies below where every \
             replayed chain starts, an earlier statement failed, or the chain that runs it was \
             not replayed), so no engine could judge it",
        );
    }
}

/// The first token of a statement: where a note about the whole statement points.
fn first_token_span(statement: &Statement) -> Span {
    statement.significant().next().map_or(statement.span, span)
}

/// The token that starts at `position`, or one character there when no token does (the end of
/// the statement, where sqlparser found nothing more).
fn token_span_at(statement: &Statement, position: Position) -> Span {
    statement
        .tokens()
        .iter()
        .map(span)
        .find(|span| span.start == position && span.end > span.start)
        .unwrap_or_else(|| Span::on_line(position.line, position.column, 1))
}

/// sqlparser's message with its jargon replaced: "found: EOF" means it ran out of statement.
fn readable(message: &str) -> String {
    match message.strip_suffix("found: EOF") {
        Some(head) => format!("{head}found: the end of the statement"),
        None => message.to_string(),
    }
}

fn lowercase_first(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::dialect::Dialect;
    use crate::source::SourceFile;

    fn diagnostics(dialect: Dialect, role: Role, text: &str) -> String {
        let source = SourceFile::new(PathBuf::from("t.sql"), "t.sql".into(), text.into());
        let file = SqlFile::load(source, dialect, role);
        let mut out = Vec::new();
        check(&file, &mut out);
        out.iter()
            .map(|d| {
                let span = d
                    .span
                    .map(|s| {
                        format!(
                            "{}:{}-{}:{}",
                            s.start.line, s.start.column, s.end.line, s.end.column
                        )
                    })
                    .unwrap_or_default();
                format!(
                    "{} {} {span} {}\n  help: {}\n",
                    d.severity.as_str(),
                    d.code,
                    d.message,
                    d.help.as_deref().unwrap_or_default()
                )
            })
            .collect()
    }

    #[test]
    fn a_parse_error_points_at_the_offending_token() {
        insta::assert_snapshot!(
            diagnostics(
                Dialect::Postgres,
                Role::Seed,
                "SELECT 1;\nALTER TABLE memo ADD CONSTRAINT IF NOT EXISTS c UNIQUE (a);\n"
            ),
            @r"
        error parse-error 2:36-2:39 cannot parse this statement as PostgreSQL: Expected: PRIMARY, UNIQUE, FOREIGN, CHECK, or EXCLUDE, found: NOT
          help: fix the syntax here; if PostgreSQL really accepts this statement, the replay lets it judge: a statement the engine executes is a `parser-gap` note, not an error
        "
        );
    }

    #[test]
    fn an_error_at_the_end_of_a_statement_points_at_its_semicolon() {
        insta::assert_snapshot!(
            diagnostics(Dialect::Sqlite, Role::Seed, "CREATE TABLE a (\n  x TEXT\n;\n"),
            @r"
        error parse-error 3:1-3:2 cannot parse this statement as SQLite: Expected: ',' or ')' after column definition, found: the end of the statement
          help: fix the syntax here; if SQLite really accepts this statement, the replay lets it judge: a statement the engine executes is a `parser-gap` note, not an error
        "
        );
    }

    #[test]
    fn a_gap_is_a_note_at_the_statement_start() {
        insta::assert_snapshot!(
            diagnostics(Dialect::Sqlite, Role::Seed, "\n  PRAGMA foreign_keys = off;\n"),
            @r"
        note parser-gap 2:3-2:9 sqlparser cannot read `PRAGMA`; the replay on SQLite judges this statement
          help: nothing to fix: this is valid SQL that the static checks skip; only the replay on the real engine checks this statement
        "
        );
    }

    #[test]
    fn a_tokenize_error_is_a_parse_error_at_the_unreadable_token() {
        insta::assert_snapshot!(
            diagnostics(
                Dialect::Sqlite,
                Role::Seed,
                "SELECT 1;\nINSERT INTO a VALUES ('it's');\n"
            ),
            @r"
        error parse-error 2:28-2:29 cannot read this file as SQLite: unterminated string literal; the rest of the file is not checked
          help: an unterminated quote, `$$` string or comment runs to the end of the file: close the one that starts here (a quote inside a string is written twice: 'it''s')
        "
        );
    }

    #[test]
    fn a_file_without_statements_is_empty() {
        insta::assert_snapshot!(
            diagnostics(Dialect::Sqlite, Role::Migration(semver::Version::new(0, 2, 1)), "-- nothing yet\n;\n"),
            @r"
        warning empty-file  this file holds only comments and no SQL statement
          help: write the statements of this version; if the version really changes nothing in this dialect, say so in a comment above a no-op statement such as `SELECT 1;`
        "
        );
        assert!(diagnostics(Dialect::Postgres, Role::Latest, "").contains("this file is empty"));
        // A file the tokenizer gave up on is not empty; its error says enough.
        assert!(!diagnostics(Dialect::Postgres, Role::Seed, "'").contains("empty-file"));
    }

    /// Every prefix of a file full of nesting cuts some construct in half; loading it and
    /// running both SQL rules must never panic, in either dialect.
    #[test]
    fn every_prefix_of_a_tricky_file_is_handled() {
        let text = "\u{feff}-- é\r\nCREATE TRIGGER t AFTER UPDATE ON a BEGIN\r\n  UPDATE a SET x = CASE WHEN 1 THEN 'é;' END FROM b;\r\nEND;\r\n/* c; */ DO $$ BEGIN NULL; END $$;\nCREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT `x`::text; END;\nINSERT OR IGNORE INTO \"q\" VALUES (1)";
        let cuts = text.char_indices().map(|(i, _)| i).chain([text.len()]);
        for cut in cuts {
            for dialect in Dialect::ALL {
                let source =
                    SourceFile::new(PathBuf::from("t.sql"), "t.sql".into(), text[..cut].into());
                let file = SqlFile::load(source, dialect, Role::Seed);
                let mut out = Vec::new();
                check(&file, &mut out);
                crate::rules::dialect_leak::check(&file, None, &mut out);
            }
        }
    }

    #[test]
    fn valid_statements_give_nothing() {
        assert_eq!(
            diagnostics(Dialect::Postgres, Role::Seed, "SELECT 1;\nSELECT 2"),
            ""
        );
    }
}
