//! What the replay saw of each statement: which chains executed it successfully and which failed
//! on it. Static findings that only the engine can settle (a statement sqlparser cannot read, a
//! constraint dropped by a name PostgreSQL generates) are judged from this once the replay ran
//! (the `judge` module).

use std::collections::HashMap;

use super::chain::{Chain, Outcome};
use crate::dialect::Dialect;
pub use crate::rules::judgement::Verdict;
use crate::sql::Statement;

/// Per file, by display path: each chain that applied statements of it, and how far it got.
#[derive(Debug, Default)]
pub struct Observed {
    files: HashMap<String, Vec<Reached>>,
    /// The engine of each chain's `engine` index, as messages name it: `PostgreSQL 15.18`.
    engines: Vec<(Dialect, String)>,
}

#[derive(Debug)]
struct Reached {
    chain: String,
    /// The engine it ran on (an index of `engines`).
    engine: usize,
    executed: usize,
    failed: bool,
}

impl Observed {
    pub(super) fn new(
        chains: &[Chain<'_>],
        outcomes: &[Outcome<'_>],
        engines: &[super::Engine],
    ) -> Observed {
        let mut observed = Observed {
            files: HashMap::new(),
            engines: engines.iter().map(|e| (e.dialect, e.name())).collect(),
        };
        for (chain, outcome) in chains.iter().zip(outcomes) {
            for applied in &outcome.applied {
                observed
                    .files
                    .entry(applied.file.source.display.clone())
                    .or_default()
                    .push(Reached {
                        chain: chain.name.clone(),
                        engine: chain.engine,
                        executed: applied.executed,
                        failed: applied.failed,
                    });
            }
        }
        observed
    }

    /// What the chains did with the `index`-th statement of `file` (a display path).
    pub fn statement(&self, file: &str, index: usize) -> Verdict {
        let mut verdict = Verdict::default();
        for reached in self.files.get(file).into_iter().flatten() {
            if index < reached.executed {
                verdict.executed.push(reached.chain.clone());
            } else if index == reached.executed && reached.failed {
                verdict.failed.push(reached.chain.clone());
            }
        }
        verdict.executed.dedup();
        verdict.failed.dedup();
        verdict
    }

    /// The engines that executed the `index`-th statement of `file` (a display path), as
    /// messages name them: `PostgreSQL 17.10` where PostgreSQL ran on several majors and only 17
    /// executed it, `PostgreSQL 15.18, 17.10` where both did; the dialect's engine where none did.
    pub fn executed_on(&self, dialect: Dialect, file: &str, index: usize) -> String {
        let mut on: Vec<usize> = self
            .files
            .get(file)
            .into_iter()
            .flatten()
            .filter(|reached| index < reached.executed)
            .map(|reached| reached.engine)
            .collect();
        on.sort_unstable();
        on.dedup();
        let names: Vec<&str> = on
            .iter()
            .filter_map(|&engine| self.engines.get(engine))
            .map(|(_, name)| name.as_str())
            .collect();
        match names.split_first() {
            None => self.engine(dialect),
            Some((first, rest)) => {
                let versions = rest
                    .iter()
                    .map(|name| name.rsplit(' ').next().unwrap_or(name));
                std::iter::once(*first)
                    .chain(versions)
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        }
    }

    /// The engine that replayed `dialect`, as messages name it.
    fn engine(&self, dialect: Dialect) -> String {
        self.engines
            .iter()
            .find(|(d, _)| *d == dialect)
            .map_or_else(|| dialect.engine().to_string(), |(_, name)| name.clone())
    }
}

/// The index of the statement of `statements` that holds `at`. A position at a statement's end
/// belongs to it (an error at the end of a statement without `;`), unless the next statement
/// starts there.
pub fn statement_at(statements: &[Statement], at: crate::diagnostic::Position) -> Option<usize> {
    statements
        .iter()
        .rposition(|statement| statement.span.start <= at && at <= statement.span.end)
}
