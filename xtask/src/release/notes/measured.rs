//! What the upgrade from the previous release costs, as the replay measured it in that
//! release's upgrade chain (`replay::measure`): the tables it rewrites and locks on PostgreSQL,
//! with the migration of each, and the time of every statement and of the whole upgrade.

use std::fmt::Write as _;

use super::{Baseline, Input};
use crate::dialect::Dialect;
use crate::replay::measure::{ChainMeasure, StatementMeasure, ACCESS_EXCLUSIVE};

/// The section, empty where there is no previous release or no measured upgrade from it.
pub(super) fn section(input: &Input<'_>) -> String {
    let (Baseline::Release(previous), Some(replay)) = (&input.baseline, input.replay) else {
        return String::new();
    };
    let chain = format!("upgrade-from-{}", previous.tag);
    let measured: Vec<(Dialect, &ChainMeasure)> = input
        .dialects
        .iter()
        .filter_map(|dialect| {
            replay
                .chains
                .iter()
                .find(|c| c.dialect == *dialect && c.name == chain)
                .and_then(|c| c.measured.as_ref())
                .map(|m| (*dialect, m))
        })
        .collect();
    if measured.is_empty() {
        return String::new();
    }
    let mut text = format!("## The upgrade from {}, as measured\n\n", previous.tag);
    for (dialect, measure) in measured {
        dialect_part(&mut text, dialect, measure);
    }
    text
}

/// One dialect's part: the total, what it rewrites and locks (PostgreSQL measures those), and
/// each statement's time.
fn dialect_part(text: &mut String, dialect: Dialect, measure: &ChainMeasure) {
    let _ = writeln!(
        text,
        "{}: {} statements in {:.3} ms{}.\n",
        dialect.engine(),
        measure.statements.len(),
        measure.elapsed_ms,
        per_thousand_rows(measure)
    );
    if dialect == Dialect::Postgres {
        let rewrites = tables(measure, |s| s.rewrote.iter().collect());
        let locks = tables(measure, |s| {
            s.locks
                .iter()
                .filter(|l| l.mode == ACCESS_EXCLUSIVE)
                .map(|l| &l.table)
                .collect()
        });
        let _ = writeln!(text, "This upgrade rewrites: {}.\n", listed(&rewrites));
        let _ = writeln!(
            text,
            "This upgrade takes an ACCESS EXCLUSIVE lock on: {}.\n",
            listed(&locks)
        );
    }
    if measure.statements.is_empty() {
        return;
    }
    text.push_str("| migration | line | time |\n| --- | --- | --- |\n");
    for statement in &measure.statements {
        let _ = writeln!(
            text,
            "| {} | {} | {:.3} ms |",
            migration(&statement.file),
            statement.line,
            statement.elapsed_ms
        );
    }
    text.push('\n');
}

/// The rows the upgrade ran on and its time per 1,000 of them, where it ran on generated rows
/// (nothing with `--no-data`): `on 130 generated rows, about 96 ms per 1,000 rows`. The time
/// includes what the upgrade costs on empty tables, so on few rows it overstates the cost of
/// a row; `--rows` large makes it the cost of the data.
fn per_thousand_rows(measure: &ChainMeasure) -> String {
    if measure.rows == 0 {
        return String::new();
    }
    format!(
        " on {} generated rows, about {:.0} ms per 1,000 rows",
        measure.rows,
        measure.elapsed_ms * 1000.0 / measure.rows as f64
    )
}

/// Each table that `of` names for some statement, with the migration of the first statement
/// that did: `memo (0.24/00)`.
fn tables<'a>(
    measure: &'a ChainMeasure,
    of: impl Fn(&'a StatementMeasure) -> Vec<&'a String>,
) -> Vec<String> {
    let mut found: Vec<(&String, String)> = Vec::new();
    for statement in &measure.statements {
        for table in of(statement) {
            if !found.iter().any(|(t, _)| *t == table) {
                found.push((table, migration(&statement.file)));
            }
        }
    }
    found
        .into_iter()
        .map(|(table, file)| format!("{table} ({file})"))
        .collect()
}

fn listed(tables: &[String]) -> String {
    if tables.is_empty() {
        "no table".to_string()
    } else {
        tables.join(", ")
    }
}

/// A migration as release notes name it: its version folder and number (`0.24/00`), or its
/// file name where it has no folder of its own.
fn migration(file: &str) -> String {
    let mut parts = file.rsplit('/');
    let name = parts.next().unwrap_or(file);
    let number = name.split_once("__").map_or(name, |(number, _)| number);
    match parts.next() {
        Some(folder) if folder.chars().next().is_some_and(|c| c.is_ascii_digit()) => {
            format!("{folder}/{number}")
        }
        _ => number.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::Previous;
    use crate::replay::measure::LockMeasure;
    use crate::replay::{ChainSummary, Summary};

    fn statement(file: &str, ms: f64, rewrote: &[&str], locked: &[&str]) -> StatementMeasure {
        StatementMeasure {
            file: file.into(),
            line: 1,
            elapsed_ms: ms,
            rewrote: rewrote.iter().map(|t| t.to_string()).collect(),
            locks: locked
                .iter()
                .map(|t| LockMeasure {
                    table: t.to_string(),
                    mode: ACCESS_EXCLUSIVE.into(),
                })
                .collect(),
        }
    }

    #[test]
    fn the_upgrade_names_its_rewrites_and_locks_with_their_migrations_and_times() {
        let dir = "store/migration/postgres";
        let measured = ChainMeasure {
            elapsed_ms: 12.5,
            rows: 250,
            statements: vec![
                statement(
                    &format!("{dir}/0.24/00__memo_type.sql"),
                    10.0,
                    &["memo"],
                    &["memo"],
                ),
                statement(&format!("{dir}/0.24/01__tag.sql"), 0.5, &[], &["tag"]),
                statement(
                    &format!("{dir}/0.25/00__memo_again.sql"),
                    2.0,
                    &["memo"],
                    &[],
                ),
            ],
        };
        let summary = Summary {
            chains: vec![ChainSummary {
                dialect: Dialect::Postgres,
                name: "upgrade-from-v0.23.0".into(),
                passed: true,
                not_checked: None,
                restore_failed: false,
                engine: None,
                measured: Some(measured),
            }],
            ..Summary::default()
        };
        let previous = Previous {
            tag: "v0.23.0".into(),
            version: semver::Version::new(0, 23, 0),
        };
        let text = section(&Input {
            tag: "v0.25.0",
            baseline: Baseline::Release(&previous),
            dialects: &[Dialect::Postgres],
            replay: Some(&summary),
            minimum_upgrade: &semver::Version::new(0, 1, 0),
        });
        assert_eq!(
            text,
            "## The upgrade from v0.23.0, as measured\n\n\
             PostgreSQL: 3 statements in 12.500 ms on 250 generated rows, about 50 ms per \
             1,000 rows.\n\n\
             This upgrade rewrites: memo (0.24/00).\n\n\
             This upgrade takes an ACCESS EXCLUSIVE lock on: memo (0.24/00), tag (0.24/01).\n\n\
             | migration | line | time |\n| --- | --- | --- |\n\
             | 0.24/00 | 1 | 10.000 ms |\n\
             | 0.24/01 | 1 | 0.500 ms |\n\
             | 0.25/00 | 1 | 2.000 ms |\n\n"
        );
    }
}
