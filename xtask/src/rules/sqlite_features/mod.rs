//! `sqlite-too-old`: a statement of a SQLite file uses a feature that the oldest SQLite the
//! service ships (`engines.sqlite-minimum`) does not have.
//!
//! The SQLite a service runs is the library linked into it, often years older than the one
//! bundled with this tool, so the replay cannot tell: the table of features (`table.rs`, and
//! docs/sqlite-features.md) can. Only files a running installation may still execute are
//! checked: the fresh-install script, the baseline, the seeds, and the migrations the lint reads
//! (at or above the minimum upgrade version, or all with `lint.below-minimum-upgrade`).

mod detect;
mod table;

pub use table::{Feature, FEATURES};

use crate::codes::Code;
use crate::config::engines::SqliteVersion;
use crate::config::Config;
use crate::diagnostic::{Diagnostic, Span};
use crate::dialect::Dialect;
use crate::sql::{Role, SqlFile};

/// A use of a feature newer than the configured minimum.
pub struct TooOld {
    pub file: String,
    pub span: Span,
    pub feature: &'static Feature,
    pub minimum: SqliteVersion,
}

impl From<TooOld> for Diagnostic {
    fn from(finding: TooOld) -> Diagnostic {
        let feature = finding.feature;
        Diagnostic::new(
            Code::SqliteTooOld,
            format!(
                "{} needs SQLite {} ({}); engines.sqlite-minimum is {}",
                feature.name, feature.since, feature.released, finding.minimum
            ),
        )
        .file(finding.file)
        .span(finding.span)
        .help(format!(
            "for SQLite {}, {}; or raise engines.sqlite-minimum to {} if every installation's \
             SQLite is that new",
            finding.minimum, feature.instead, feature.since
        ))
    }
}

/// Reports every use of a feature newer than `engines.sqlite-minimum` in `file`, when the
/// minimum is set and the file is one an installation may still run.
pub fn check(file: &SqlFile, config: &Config, out: &mut Vec<Diagnostic>) {
    let Some(minimum) = config.engines.sqlite_minimum else {
        return;
    };
    let runs = match &file.role {
        Role::Migration(version) => config.lints(version),
        Role::Latest | Role::Baseline | Role::Seed => true,
    };
    if file.dialect != Dialect::Sqlite || !runs {
        return;
    }
    let newer: Vec<&'static Feature> = FEATURES.iter().filter(|f| f.since > minimum).collect();
    for statement in &file.statements {
        let scan = detect::Scan::new(statement.significant().collect());
        for feature in &newer {
            let mut spans = Vec::new();
            feature.find.run(&scan, &mut spans);
            out.extend(spans.into_iter().map(|span| {
                Diagnostic::from(TooOld {
                    file: file.source.display.clone(),
                    span,
                    feature,
                    minimum,
                })
            }));
        }
    }
}

#[cfg(test)]
mod tests;
