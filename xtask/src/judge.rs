//! The engine is the judge. Where a static check can only guess what the engine does, what the
//! replay observed settles it: a `parse-error` becomes a `parser-gap` note where the engine
//! executed the statement, and a `drop-generated-constraint-name` becomes a note where every
//! chain that ran the DROP had a constraint of that name, and a `statement-failed-on-data` says
//! that the statement applies on empty tables where `full` applied it. Each rule words its own judgement
//! (`rules::parse::judge`, the lint rule's `judge`); this module only finds the statement a
//! finding points at and what the chains did with it. Without the replay (`--static-only`) the
//! findings keep their severity.

use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::replay::observed::{statement_at, Observed};
use crate::rules;
use crate::rules::judgement::Judgement;
use crate::sql::{Parsed, SqlFile};

/// Judges the static findings that the replay can settle. `observed` is `None` when the replay
/// did not run.
pub fn judge(files: &[SqlFile], observed: Option<&Observed>, diagnostics: &mut [Diagnostic]) {
    for diagnostic in diagnostics.iter_mut() {
        if !matches!(
            diagnostic.code,
            Code::ParseError | Code::DropGeneratedConstraintName | Code::StatementFailedOnData
        ) {
            continue;
        }
        let (Some(path), Some(span)) = (diagnostic.file.clone(), diagnostic.span) else {
            continue;
        };
        let Some(file) = files.iter().find(|f| f.source.display == path) else {
            continue;
        };
        let Some(index) = statement_at(&file.statements, span.start) else {
            continue;
        };
        let statement = &file.statements[index];
        let judgement = observed.map(|observed| Judgement {
            engine: observed.executed_on(file.dialect, &path, index),
            verdict: observed.statement(&path, index),
        });
        match diagnostic.code {
            // Only the error sqlparser gave for the statement itself: a file the tokenizer gave
            // up on was never split there, so no engine ran what follows.
            Code::ParseError => {
                if let Parsed::Error { position, .. } = &statement.parsed {
                    if *position == span.start {
                        rules::parse::judge(diagnostic, file, statement, judgement.as_ref());
                    }
                }
            }
            Code::StatementFailedOnData => on_empty_tables(diagnostic, judgement.as_ref()),
            _ => rules::lint::drop_generated_constraint_name::judge(
                diagnostic,
                statement,
                judgement.as_ref(),
            ),
        }
    }
}

/// A statement that failed on the rows of a populated chain applies on empty tables only where
/// the replay saw it do so: in `full`, the one chain that runs migrations on empty tables
/// (upgrade chains are populated, `fresh` runs no migration). Only then does the finding say it.
fn on_empty_tables(diagnostic: &mut Diagnostic, judgement: Option<&Judgement>) {
    let applied_empty =
        judgement.is_some_and(|j| j.verdict.executed.iter().any(|chain| chain == "full"));
    if let (true, Some(help)) = (applied_empty, &diagnostic.help) {
        diagnostic.help = Some(format!(
            "it applies on the empty tables of chain full and fails only on existing rows: {help}"
        ));
    }
}
