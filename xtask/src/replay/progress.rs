//! The replay's progress, handed to whoever started the run (the command line draws it as a
//! line on a terminal): the library never prints.

use std::sync::Arc;

use super::chain::Chain;
use crate::dialect::Dialect;

/// How far the chains are: per dialect, chains done of planned; `finished` once all are done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Progress {
    pub dialects: Vec<(Dialect, usize, usize)>,
    pub finished: bool,
}

impl Progress {
    pub(super) fn new(chains: &[Chain<'_>]) -> Progress {
        let mut dialects: Vec<(Dialect, usize, usize)> = Vec::new();
        for chain in chains {
            match dialects.iter_mut().find(|(d, _, _)| *d == chain.dialect) {
                Some(entry) => entry.2 += 1,
                None => dialects.push((chain.dialect, 0, 1)),
            }
        }
        Progress {
            dialects,
            finished: false,
        }
    }

    pub(super) fn done(&mut self, dialect: Dialect) {
        if let Some(entry) = self.dialects.iter_mut().find(|(d, _, _)| *d == dialect) {
            entry.1 += 1;
        }
    }
}

/// Receives the progress after each chain, and once more when the chains are done.
#[derive(Clone)]
pub struct ProgressSink(Arc<dyn Fn(&Progress) + Send + Sync>);

impl ProgressSink {
    pub fn new(report: impl Fn(&Progress) + Send + Sync + 'static) -> ProgressSink {
        ProgressSink(Arc::new(report))
    }

    pub(super) fn report(&self, progress: &Progress) {
        (self.0)(progress);
    }
}

impl std::fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressSink")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::chain::Start;

    #[test]
    fn counts_the_chains_done_per_dialect() {
        let chains = [
            Chain::new(Dialect::Postgres, Start::Empty),
            Chain::new(Dialect::Sqlite, Start::Empty),
        ];
        let mut progress = Progress::new(&chains);
        progress.done(Dialect::Sqlite);
        assert_eq!(
            progress.dialects,
            [(Dialect::Postgres, 0, 1), (Dialect::Sqlite, 1, 1)]
        );
        assert!(!progress.finished);
    }
}
