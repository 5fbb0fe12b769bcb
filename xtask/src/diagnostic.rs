//! Diagnostics are data: every check appends them to one list, and the renderers turn the
//! finished list into human text, JSON or GitHub annotations at the very end of a run.

use serde::Serialize;

// Severity belongs with the codes, whose table gives each its default; diagnostics use it from
// here too.
use crate::codes::Code;
pub use crate::codes::Severity;
use crate::dialect::Dialect;

/// One difference between the expected schema (`fresh`) and another (`actual`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub severity: Severity,
    /// The object it concerns, e.g. `table memo`, `index idx_memo_tags`.
    pub object: String,
    /// What differs, e.g. `column visibility: default`; empty where the object itself is missing
    /// or extra.
    pub aspect: String,
    /// The expected side; `None` where the object or part is absent there.
    pub expected: Option<String>,
    pub actual: Option<String>,
}

impl Difference {
    pub(crate) fn new(
        severity: Severity,
        object: impl Into<String>,
        aspect: impl Into<String>,
        expected: Option<String>,
        actual: Option<String>,
    ) -> Difference {
        Difference {
            severity,
            object: object.into(),
            aspect: aspect.into(),
            expected,
            actual,
        }
    }

    /// The table the difference belongs to, if any: for locating it in LATEST.sql.
    pub fn table(&self) -> Option<&str> {
        self.object.strip_prefix("table ")
    }
}

/// A position in a source file. Lines and columns start at 1; columns count characters, as
/// editors and GitHub do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

impl Position {
    pub fn new(line: u32, column: u32) -> Position {
        Position { line, column }
    }
}

/// The stretch of a file a diagnostic points at. `end` is exclusive and may lie on a later line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Span {
    pub start: Position,
    pub end: Position,
}

impl Span {
    pub fn new(start: Position, end: Position) -> Span {
        Span { start, end }
    }

    /// A span of `len` characters on one line.
    pub fn on_line(line: u32, column: u32, len: u32) -> Span {
        Span::new(
            Position::new(line, column),
            Position::new(line, column + len.max(1)),
        )
    }
}

/// A second place a diagnostic points at, with what happened there: the `CREATE INDEX` of an
/// index a `DROP COLUMN` drops, the other file of a duplicate version. Renderers show it after
/// the diagnostic's own place.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Label {
    /// The file, shown as `Diagnostic::file` is.
    pub file: String,
    /// `None` where the label concerns the whole file (or a file at a release tag, which has no
    /// text in the run).
    pub span: Option<Span>,
    /// What is there, e.g. `index created here`.
    pub message: String,
}

impl Label {
    pub fn new(file: impl Into<String>, span: Option<Span>, message: impl Into<String>) -> Label {
        Label {
            file: file.into(),
            span,
            message: message.into(),
        }
    }

    /// `file:line:col`, or the file alone.
    pub fn location(&self) -> String {
        match self.span {
            Some(span) => format!("{}:{}:{}", self.file, span.start.line, span.start.column),
            None => self.file.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    /// The file, as a path relative to the project (see `Store::display_path`), with `/`
    /// separators. `None` for problems of the tree as a whole.
    pub file: Option<String>,
    pub span: Option<Span>,
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
    /// The dialect the diagnostic concerns, where it concerns one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dialect: Option<Dialect>,
    /// The replay chains it happened in (`fresh`, `full`, `upgrade-from-v0.9.0`); empty for
    /// static checks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chains: Vec<String>,
    /// Where the replay ran a dialect on several engines (PostgreSQL on several majors), the
    /// engines it holds on (`PostgreSQL 15.18`); empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub engines: Vec<String>,
    /// For a schema difference, the difference as data: the object, the aspect and both sides
    /// (`expected` is the fresh install's, or PostgreSQL's for dialect parity).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub difference: Option<Difference>,
    /// Other places that explain the finding, in the order they are shown.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<Label>,
}

impl Diagnostic {
    /// A diagnostic at the code's default severity.
    pub fn new(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.severity(),
            file: None,
            span: None,
            message: message.into(),
            help: None,
            dialect: None,
            chains: Vec::new(),
            engines: Vec::new(),
            difference: None,
            labels: Vec::new(),
        }
    }

    pub fn label(mut self, label: Label) -> Diagnostic {
        self.labels.push(label);
        self
    }

    pub fn labels(mut self, labels: impl IntoIterator<Item = Label>) -> Diagnostic {
        self.labels.extend(labels);
        self
    }

    pub fn file(mut self, file: impl Into<String>) -> Diagnostic {
        self.file = Some(file.into());
        self
    }

    pub fn span(mut self, span: Span) -> Diagnostic {
        self.span = Some(span);
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn dialect(mut self, dialect: Dialect) -> Diagnostic {
        self.dialect = Some(dialect);
        self
    }

    pub fn difference(mut self, difference: Difference) -> Diagnostic {
        self.difference = Some(difference);
        self
    }

    pub fn severity(mut self, severity: Severity) -> Diagnostic {
        self.severity = severity;
        self
    }

    /// The order diagnostics are rendered in: by file, then position, then code, so that output
    /// is stable whatever order the checks ran in.
    fn sort_key(&self) -> (Option<&str>, Option<Span>, Code, &str) {
        (self.file.as_deref(), self.span, self.code, &self.message)
    }
}

/// Sorts diagnostics into rendering order and removes exact repeats.
pub fn sort(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diagnostics.dedup();
}

/// How many diagnostics of each severity a run found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
}

impl Counts {
    pub fn of(diagnostics: &[Diagnostic]) -> Counts {
        let mut counts = Counts::default();
        for diagnostic in diagnostics {
            match diagnostic.severity {
                Severity::Error => counts.errors += 1,
                Severity::Warning => counts.warnings += 1,
                Severity::Note => counts.notes += 1,
            }
        }
        counts
    }
}
