//! Silences: a lint finding that a reviewer accepted is silenced where it occurs, by a comment on
//! its statement that names the code and says why:
//!
//! ```sql
//! -- validate-migrations: allow(drop-column) because tags moved into memo.payload in 0.8.1
//! ALTER TABLE memo DROP COLUMN tags;
//! UPDATE memo SET pinned = false; -- validate-migrations: allow(update-without-where) because a backfill
//! ```
//!
//! The comment goes on the line right above the statement (a block of comment lines directly
//! above it counts, a blank line ends it) or at the end of one of the statement's lines, after
//! its `;` included. Several codes are separated by commas. The reason is required, because it is
//! what a reviewer reads instead of the finding: a silence without one is an error
//! (`silence-without-reason`), though it still silences. A silence that silences nothing (no such
//! finding on its statement, a code that does not exist or is not a lint code, a comment on no
//! statement, a `validate-migrations:` comment that is not a silence) is reported
//! (`unused-silence`), so that silences leave with the findings they were written for.
//!
//! Only the lint's own codes can be silenced this way; the other checks' problems are fixed, or
//! accepted in the store's configuration (`[[silence]]` of any code, `[[severity]]`, see
//! `accept/`).

use std::collections::HashSet;

use super::{is_chain_code, Finding};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Span};
use crate::sql::{LineComment, SqlFile};

/// What the comment must start with.
const MARKER: &str = "validate-migrations:";

/// Which rules' findings a call of [`apply`] holds: the per-file rules or the chain rules. Each
/// judges whether a silence of its own codes was used, and the per-file call alone reports the
/// problems of the comments themselves, so that nothing is reported twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    File,
    Chain,
}

impl Scope {
    fn owns(self, code: Code) -> bool {
        is_chain_code(code) == (self == Scope::Chain)
    }
}

/// Removes the silenced findings, turns the others into diagnostics, and reports silences that
/// are wrong or unused.
pub(super) fn apply(
    file: &SqlFile,
    findings: Vec<Finding>,
    scope: Scope,
    out: &mut Vec<Diagnostic>,
) {
    let silences = silences(file);
    let mut used: HashSet<(usize, Code)> = HashSet::new();
    for finding in findings {
        let mut silenced = false;
        for (index, silence) in silences.iter().enumerate() {
            if silence.statement == Some(finding.statement) && silence.allows(finding.code) {
                used.insert((index, finding.code));
                silenced = true;
            }
        }
        if !silenced {
            out.push(
                Diagnostic::new(finding.code, finding.message)
                    .severity(finding.severity)
                    .file(&file.source.display)
                    .span(finding.span)
                    .help(finding.help)
                    .labels(finding.labels),
            );
        }
    }
    for (index, silence) in silences.iter().enumerate() {
        let at = |problem: Problem<'_>| {
            Diagnostic::from(SilenceProblem {
                file: &file.source.display,
                span: silence.comment.span,
                problem,
            })
        };
        let is_used = |code: Code| used.contains(&(index, code));
        out.extend(problems(file, silence, scope, is_used).into_iter().map(at));
    }
}

/// What is wrong with one silence, as far as `scope` judges it: a comment the per-file call
/// reports once, and a code each scope judges for its own rules.
fn problems<'a>(
    file: &SqlFile,
    silence: &Silence<'a>,
    scope: Scope,
    is_used: impl Fn(Code) -> bool,
) -> Vec<Problem<'a>> {
    let in_file = scope == Scope::File;
    let Form::Allow { codes, reason } = &silence.form else {
        return in_file
            .then_some(Problem::NotUnderstood)
            .into_iter()
            .collect();
    };
    let Some(statement) = silence.statement else {
        return in_file
            .then_some(Problem::NoStatement)
            .into_iter()
            .collect();
    };
    let mut problems = Vec::new();
    if in_file && reason.is_none() {
        problems.push(Problem::WithoutReason(
            codes.iter().map(|(name, _)| *name).collect(),
        ));
    }
    let line = file.statements[statement].span.start.line;
    for (name, code) in codes {
        match code {
            Some(code) if is_silenceable(*code) && scope.owns(*code) && !is_used(*code) => {
                problems.push(Problem::SilencesNothing { name, line });
            }
            // Used, or judged by the other scope.
            Some(code) if is_silenceable(*code) => {}
            Some(_) if in_file => problems.push(Problem::NotSilenceable(name)),
            None if in_file => problems.push(Problem::UnknownCode(name)),
            _ => {}
        }
    }
    problems
}

/// A silence comment that is wrong or unused, at its place in the file.
struct SilenceProblem<'a> {
    file: &'a str,
    span: Span,
    problem: Problem<'a>,
}

/// What is wrong with a silence comment.
enum Problem<'a> {
    /// A `validate-migrations:` comment that is not `allow(...)`.
    NotUnderstood,
    /// A silence on no statement.
    NoStatement,
    /// `allow(codes)` without `because`: the codes as written.
    WithoutReason(Vec<&'a str>),
    /// A lint code with no finding on the statement (on `line`).
    SilencesNothing { name: &'a str, line: u32 },
    /// A code outside the lint's.
    NotSilenceable(&'a str),
    /// A name that is no code.
    UnknownCode(&'a str),
}

impl From<SilenceProblem<'_>> for Diagnostic {
    fn from(at: SilenceProblem<'_>) -> Diagnostic {
        let (code, message, help) = match at.problem {
            Problem::NotUnderstood => (
                Code::UnusedSilence,
                format!(
                    "`{MARKER}` comment not understood: a silence reads \
                     `allow(code, ...) because <reason>`"
                ),
                "write `-- validate-migrations: allow(code) because <reason>`, or remove the \
                 comment"
                    .to_string(),
            ),
            Problem::NoStatement => (
                Code::UnusedSilence,
                "this silence belongs to no statement: it must be on the line right above a \
                 statement, or at the end of one of the statement's lines"
                    .to_string(),
                "move it right above the statement it is for (no blank line in between), or \
                 remove it"
                    .to_string(),
            ),
            Problem::WithoutReason(codes) => (
                Code::SilenceWithoutReason,
                format!("this silence of `{}` gives no reason", codes.join(", ")),
                format!(
                    "say why the finding is acceptable here: `-- validate-migrations: allow({}) \
                     because <reason>`; the reason is what a reviewer reads instead of the finding",
                    codes.join(", ")
                ),
            ),
            Problem::SilencesNothing { name, line } => (
                Code::UnusedSilence,
                format!(
                    "`allow({name})` silences nothing: the statement it belongs to \
                     (line {line}) has no {name} finding"
                ),
                "remove the silence (or this code from it): the statement no longer does what \
                 it was silenced for, or the silence sits on another statement than intended"
                    .to_string(),
            ),
            Problem::NotSilenceable(name) => (
                Code::UnusedSilence,
                format!(
                    "`{name}` cannot be silenced by a comment: only the migration lint's codes can"
                ),
                "remove the code from the comment; fix the problem, or accept it with a reason in \
                 the configuration (`[[silence]]` or `[[severity]]`, docs/config.md)"
                    .to_string(),
            ),
            Problem::UnknownCode(name) => (
                Code::UnusedSilence,
                format!("`allow({name})` names no code: there is no code `{name}`"),
                "write the code as the diagnostic shows it (`--explain CODE` lists what it \
                 means), or remove it"
                    .to_string(),
            ),
        };
        Diagnostic::new(code, message)
            .file(at.file)
            .span(at.span)
            .help(help)
    }
}

/// The lint's codes except those about silences themselves.
pub fn is_silenceable(code: Code) -> bool {
    code.group() == "lint" && !matches!(code, Code::SilenceWithoutReason | Code::UnusedSilence)
}

/// A `validate-migrations:` comment and the statement it belongs to.
struct Silence<'a> {
    comment: &'a LineComment,
    /// The index of the statement, if the comment is on or right above one.
    statement: Option<usize>,
    form: Form<'a>,
}

impl Silence<'_> {
    fn allows(&self, code: Code) -> bool {
        match &self.form {
            Form::Allow { codes, .. } => codes.iter().any(|(_, c)| *c == Some(code)),
            Form::NotUnderstood => false,
        }
    }
}

/// What a `validate-migrations:` comment says.
#[derive(Debug, PartialEq, Eq)]
enum Form<'a> {
    /// `allow(a, b) because reason`: each code as written, and what it names, if anything.
    Allow {
        codes: Vec<(&'a str, Option<Code>)>,
        reason: Option<&'a str>,
    },
    NotUnderstood,
}

/// The file's `validate-migrations:` comments, each with its statement.
fn silences(file: &SqlFile) -> Vec<Silence<'_>> {
    let comment_lines: HashSet<u32> = file
        .line_comments
        .iter()
        .map(|comment| comment.span.start.line)
        .collect();
    file.line_comments
        .iter()
        .filter_map(|comment| {
            let form = parse(&comment.text)?;
            Some(Silence {
                comment,
                statement: statement_of(file, &comment_lines, comment),
                form,
            })
        })
        .collect()
}

/// Reads a comment's text (after the `--`); `None` when it is no `validate-migrations:` comment.
fn parse(text: &str) -> Option<Form<'_>> {
    let rest = text.trim().strip_prefix(MARKER)?.trim_start();
    let Some(rest) = rest
        .strip_prefix("allow")
        .map(str::trim_start)
        .and_then(|rest| rest.strip_prefix('('))
    else {
        return Some(Form::NotUnderstood);
    };
    let Some((list, rest)) = rest.split_once(')') else {
        return Some(Form::NotUnderstood);
    };
    let codes: Vec<&str> = list.split(',').map(str::trim).collect();
    if codes.iter().any(|code| code.is_empty()) {
        return Some(Form::NotUnderstood);
    }
    let reason = rest
        .trim()
        .strip_prefix("because")
        .filter(|reason| reason.starts_with(char::is_whitespace))
        .map(str::trim)
        .filter(|reason| !reason.is_empty());
    Some(Form::Allow {
        codes: codes
            .into_iter()
            .map(|name| (name, Code::from_name(name)))
            .collect(),
        reason,
    })
}

/// The statement a comment belongs to: the statement on whose line it is (the last one that
/// starts before it, where two share the line), else the statement right below it when only
/// comment lines lie in between.
fn statement_of(
    file: &SqlFile,
    comment_lines: &HashSet<u32>,
    comment: &LineComment,
) -> Option<usize> {
    let at = comment.span.start;
    let on_line = file.statements.iter().rposition(|statement| {
        statement.span.start < at
            && statement.span.start.line <= at.line
            && at.line <= statement.span.end.line
    });
    if on_line.is_some() {
        return on_line;
    }
    let below = file
        .statements
        .iter()
        .position(|statement| statement.span.start.line > at.line)?;
    let start = file.statements[below].span.start.line;
    ((at.line + 1)..start)
        .all(|line| comment_lines.contains(&line))
        .then_some(below)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silences_are_read_with_their_codes_and_reason() {
        assert_eq!(parse(" ordinary comment"), None);
        assert_eq!(
            parse(" validate-migrations: allow(drop-table, drop-colum) because  the data moved "),
            Some(Form::Allow {
                codes: vec![("drop-table", Some(Code::DropTable)), ("drop-colum", None)],
                reason: Some("the data moved"),
            })
        );
        assert_eq!(
            parse("validate-migrations: allow (truncate)"),
            Some(Form::Allow {
                codes: vec![("truncate", Some(Code::Truncate))],
                reason: None,
            })
        );
        // `because` must be followed by a reason, and be a word of its own.
        for text in [
            "validate-migrations: allow(truncate) because",
            "validate-migrations: allow(truncate) because   ",
            "validate-migrations: allow(truncate) becausex",
            "validate-migrations: allow(truncate) it is fine",
        ] {
            assert!(
                matches!(parse(text), Some(Form::Allow { reason: None, .. })),
                "{text}"
            );
        }
        for text in [
            "validate-migrations: ignore(truncate) because x",
            "validate-migrations: allow(truncate because x",
            "validate-migrations: allow() because x",
            "validate-migrations: allow(a,,b) because x",
            "validate-migrations:",
        ] {
            assert_eq!(parse(text), Some(Form::NotUnderstood), "{text}");
        }
    }
}
