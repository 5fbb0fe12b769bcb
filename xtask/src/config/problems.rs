//! The problems of a configuration file, collected: the validation reads on past a wrong key
//! (using the default in its place) so that every problem of the file is reported at once, each
//! at its key. A file with problems is not used: `InvalidConfig` is the error the run stops
//! with, and the diagnostics (`invalid-config`) the formats render.

use std::fmt;
use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Position, Span};
use crate::source::SourceFile;

/// One problem of the configuration, at its place.
#[derive(Debug, Clone)]
pub struct ConfigProblem {
    /// The configuration file, as shown.
    pub file: String,
    /// The key (or entry) at fault; `None` where the file cannot be placed more precisely.
    pub span: Option<Span>,
    pub message: String,
}

impl From<&ConfigProblem> for Diagnostic {
    fn from(problem: &ConfigProblem) -> Diagnostic {
        let diagnostic = Diagnostic::new(Code::InvalidConfig, problem.message.clone())
            .file(problem.file.clone())
            .help(
                "fix the key (docs/config.md documents every key, with examples): the run reads \
                 no tree with a configuration it cannot follow",
            );
        match problem.span {
            Some(span) => diagnostic.span(span),
            None => diagnostic,
        }
    }
}

/// A configuration file with problems: every one of them, and the file for snippets.
#[derive(Debug)]
pub struct InvalidConfig {
    /// Boxed: the error travels through `Result`s, which stay small.
    pub source: Box<SourceFile>,
    pub problems: Vec<ConfigProblem>,
}

impl InvalidConfig {
    /// The problems as diagnostics, in the file's order.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        self.problems.iter().map(Diagnostic::from).collect()
    }
}

impl fmt::Display for InvalidConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is not a valid configuration:", self.source.display)?;
        for problem in &self.problems {
            let at = problem
                .span
                .map(|span| format!(":{}:{}", span.start.line, span.start.column))
                .unwrap_or_default();
            write!(f, "\n  {}{at}: {}", problem.file, problem.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for InvalidConfig {}

/// The problems found so far in one file.
pub(super) struct Problems<'a> {
    source: &'a SourceFile,
    /// The file as TOML's tree with positions, to find keys in; `None` if it does not parse
    /// (then it never got this far).
    document: Option<Spanned<DeTable<'a>>>,
    found: Vec<ConfigProblem>,
}

impl<'a> Problems<'a> {
    pub(super) fn new(source: &'a SourceFile) -> Problems<'a> {
        Problems {
            source,
            document: DeTable::parse(&source.text).ok(),
            found: Vec::new(),
        }
    }

    /// A problem of the key `key` (dotted: `stamp.write.sqlite`), at the key and its value.
    pub(super) fn at_key(&mut self, key: &str, message: impl Into<String>) {
        let span = self
            .document
            .as_ref()
            .and_then(|document| locate(document, key))
            .map(|range| self.span(range));
        self.at(span, message);
    }

    /// A problem at a span of the file (`None`: the file as a whole).
    pub(super) fn at(&mut self, span: Option<Span>, message: impl Into<String>) {
        self.found.push(ConfigProblem {
            file: self.source.display.clone(),
            span,
            message: message.into(),
        });
    }

    /// The value of a check of `key`, or `None` with its problem recorded.
    pub(super) fn ok<T>(&mut self, key: &str, result: Result<T, String>) -> Option<T> {
        result.map_err(|message| self.at_key(key, message)).ok()
    }

    /// `ok` for the checks that say what is wrong as an `anyhow` error.
    pub(super) fn ok_any<T>(&mut self, key: &str, result: anyhow::Result<T>) -> Option<T> {
        self.ok(key, result.map_err(|e| format!("{e:#}")))
    }

    /// The span of a byte range, on its first line: the key and, for ordinary values, the value.
    pub(super) fn span(&self, range: Range<usize>) -> Span {
        let start = self.source.position(range.start);
        let end = self.source.position(range.end);
        if end.line == start.line {
            Span::new(start, end)
        } else {
            self.rest_of_line(start)
        }
    }

    /// From `offset` to the end of its line, for an entry of a list (`[[silence]]`) whose
    /// diagnostics mark its first line.
    pub(super) fn line_at(&self, offset: usize) -> Span {
        self.rest_of_line(self.source.position(offset))
    }

    /// From `start` to the end of its line.
    fn rest_of_line(&self, start: Position) -> Span {
        let width = self
            .source
            .line(start.line)
            .unwrap_or_default()
            .chars()
            .count() as u32;
        Span::on_line(
            start.line,
            start.column,
            width + 1 - start.column.min(width),
        )
    }

    /// Done: `Ok` without problems, else every problem, in the file's order.
    pub(super) fn finish(mut self) -> Result<(), InvalidConfig> {
        if self.found.is_empty() {
            return Ok(());
        }
        self.found.sort_by_key(|problem| problem.span);
        Err(InvalidConfig {
            source: Box::new(self.source.clone()),
            problems: self.found,
        })
    }
}

/// Where a dotted key lies in the file: from the key's start to its value's end. A key the
/// file does not have (a default that is wrong together with another key) is placed at the
/// nearest table that it does have.
fn locate(document: &Spanned<DeTable<'_>>, key: &str) -> Option<Range<usize>> {
    let mut table = document.get_ref();
    let mut found = None;
    for part in key.split('.') {
        let Some((name, value)) = table.iter().find(|(name, _)| name.get_ref() == part) else {
            break;
        };
        found = Some(name.span().start..value.span().end);
        match value.get_ref() {
            DeValue::Table(inner) => table = inner,
            _ => break,
        }
    }
    found
}

/// A problem of the file as TOML (syntax, an unknown key, a value of the wrong type), which
/// stops the reading at once: there is no value to check the other keys against.
pub(super) fn unreadable(
    source: &SourceFile,
    error: &toml::de::Error,
    hint: &str,
) -> InvalidConfig {
    let mut problems = Problems::new(source);
    let span = error.span().map(|range| problems.span(range));
    problems.at(span, format!("{} ({hint})", error.message().trim_end()));
    InvalidConfig {
        source: Box::new(source.clone()),
        problems: problems.found,
    }
}
