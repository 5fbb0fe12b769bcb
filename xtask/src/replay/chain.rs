//! One chain: a way a database reaches the current version, applied to a fresh database the way
//! the service applies it: a script, or the pending migrations in the transactions the
//! configuration names (by convention all in one), then the service's write of the stamp (by
//! convention the upsert of `BASIC.schemaVersion`; `[stamp.write]` in the configuration).

mod apply;
pub mod data;

use std::time::{Duration, Instant};

use super::measure::Measured;
use crate::config::{Stamp, StampWriter, Transaction, VersionRule};
use crate::dialect::Dialect;
use crate::engine::{Database, StatementError};
use crate::schema::Schema;
use crate::sql::{SqlFile, Statement};
use apply::{apply, apply_pending};
use sqlparser::tokenizer::Token;

/// How a chain starts.
#[derive(Clone)]
pub enum Start<'a> {
    /// `LATEST.sql` of the working tree on an empty database: a fresh install.
    Fresh(&'a SqlFile),
    /// Every migration from an empty database.
    Empty,
    /// The configured baseline script, then the migrations above its version.
    Baseline {
        script: &'a SqlFile,
        version: semver::Version,
    },
    /// The `LATEST.sql` of a release tag, then the newer migrations. With `capture`, the schema
    /// the release's script built is read before the migrations run (for `release-check`).
    /// Where the service writes the stamp, `stamp` is the version it wrote after installing
    /// the release.
    Release {
        tag: String,
        /// Shared by the copies of the chain that run on other PostgreSQL majors.
        latest: std::sync::Arc<SqlFile>,
        capture: bool,
        stamp: Option<semver::Version>,
    },
}

#[derive(Clone)]
pub struct Chain<'a> {
    pub dialect: Dialect,
    /// `fresh`, `full` or `upgrade-from-vX.Y.Z`, as its start says (`Chain::new`). A chain that
    /// runs on several PostgreSQL majors keeps its name on each; `engine` tells them apart.
    pub name: String,
    pub start: Start<'a>,
    /// The server it runs on: its index in the run's engines (`Engines`, and the summary's
    /// `engines` in the same order).
    pub engine: usize,
}

/// The kinds of chain, by how they start: the fresh install that every other chain is compared
/// with, the full chain of every migration, and an upgrade from a release.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChainKind {
    Fresh,
    Full,
    Upgrade,
}

impl<'a> Chain<'a> {
    /// A chain of `dialect`, named by its start.
    pub fn new(dialect: Dialect, start: Start<'a>) -> Chain<'a> {
        let name = match &start {
            Start::Fresh(_) => "fresh".to_string(),
            Start::Empty | Start::Baseline { .. } => "full".to_string(),
            Start::Release { tag, .. } => format!("upgrade-from-{tag}"),
        };
        Chain {
            dialect,
            name,
            start,
            engine: 0,
        }
    }

    pub fn kind(&self) -> ChainKind {
        match self.start {
            Start::Fresh(_) => ChainKind::Fresh,
            Start::Empty | Start::Baseline { .. } => ChainKind::Full,
            Start::Release { .. } => ChainKind::Upgrade,
        }
    }
}

/// What the replay needs to know to run any chain of a dialect.
pub struct Plan<'a> {
    /// Every migration of the dialect, in semver order.
    pub migrations: Vec<(&'a semver::Version, &'a SqlFile)>,
    pub target: semver::Version,
    /// Where the target comes from, for messages: `VERSION`, `the highest migration`.
    pub target_source: String,
    pub minimum_upgrade: semver::Version,
    pub seeds: Vec<&'a SqlFile>,
    pub timeout: Duration,
    /// When the whole run must end (`--timeout`): no statement runs past it, and none starts
    /// after it.
    pub deadline: Option<Instant>,
    pub stamp: Stamp,
    pub transaction: Transaction,
    pub rule: VersionRule,
    /// Whether `MAJOR.MINOR` reads as `MAJOR.MINOR.0` (`version.two-part`).
    pub two_part: bool,
    /// Extensions whose `CREATE EXTENSION` stops a chain unchecked (`replay.skip-extensions`),
    /// lower-cased.
    pub skip_extensions: Vec<String>,
    /// Whether `fresh` and the upgrade chains end with the restore drill (`replay::drill`).
    pub restore_drill: bool,
    /// What populated chains need: the settings, the seeds at each release tag.
    pub data: data::Data,
}

/// Something that went wrong in a chain, in terms of the files.
pub enum Failure<'f> {
    Statement {
        file: &'f SqlFile,
        statement: &'f Statement,
        error: StatementError,
    },
    Commit {
        files: Vec<&'f SqlFile>,
        error: StatementError,
    },
    /// The database's schema version when the chain started the upgrade, where the service
    /// would refuse it.
    Refused {
        file: &'f SqlFile,
        current: String,
        reason: Refusal,
    },
    StoredVersion {
        stored: Option<String>,
    },
    /// The service's write of the stamp (configured, or the default one) failed.
    StampWrite(StatementError),
    Seed {
        file: &'f SqlFile,
        statement: Option<&'f Statement>,
        error: StatementError,
    },
    /// The engine itself failed (lost connection, introspection error): not a problem of the
    /// tree, but the chain could not be judged.
    Engine(String),
    /// The chain reached `CREATE EXTENSION` of an extension the configuration lists under
    /// `replay.skip-extensions`, and stopped there: it was not checked.
    ExtensionSkipped {
        file: &'f SqlFile,
        statement: &'f Statement,
        extension: String,
    },
    /// The run's time limit (`--timeout`) ran out before the chain reached its end.
    OutOfTime,
    /// A pending statement of a populated chain failed because of the rows the database held.
    OnData(Box<data::failed::OnData<'f>>),
    /// The service's write of the stamp failed in a session whose role a migration changed
    /// (`SET ROLE`, `SET SESSION AUTHORIZATION`): the statement that changed it is to blame.
    StampWriteAfterRoleChange {
        file: &'f SqlFile,
        statement: &'f Statement,
        error: StatementError,
    },
    /// The restore drill at the chain's end: the backup did not restore, or restored another
    /// database.
    Restore(super::drill::Finding),
}

/// Below this, what is left of the run is no time for a statement: it would be stopped at once
/// and blamed for a limit it did not cause (and PostgreSQL reads a timeout of 0 ms as none).
const LEAST_TIME: Duration = Duration::from_millis(10);

impl<'a> Plan<'a> {
    /// Today's seeds, which run at the end of `chain`. A populated upgrade chain holds the seeds
    /// of its release already (applied at the tag), which today's would collide with; today's
    /// seeds are checked on the same schema by `fresh` and `full`.
    pub fn seeds_of(&self, chain: &Chain<'_>) -> &[&'a SqlFile] {
        if self.data.populates(chain) {
            &[]
        } else {
            &self.seeds
        }
    }

    /// How long the next statement may run: the per-statement timeout, or what is left of the
    /// run if that is less; `None` once the run is out of time.
    pub(super) fn time_for_statement(&self) -> Option<Duration> {
        let Some(deadline) = self.deadline else {
            return Some(self.timeout);
        };
        let left = deadline.saturating_duration_since(Instant::now());
        (left >= LEAST_TIME).then(|| self.timeout.min(left))
    }
}

pub enum Refusal {
    Downgrade,
    BelowMinimum,
    Unversioned,
}

pub struct Outcome<'f> {
    pub schema: Option<Schema>,
    /// The schema of the release's fresh install, where the chain was asked to capture it.
    pub release_schema: Option<Schema>,
    pub failures: Vec<Failure<'f>>,
    pub statements: usize,
    /// The files the chain applied, in order, with how far each got: what the static findings
    /// that only the engine can settle are judged by (`replay::observed`).
    pub applied: Vec<Applied<'f>>,
    /// Why the restore drill did not run on this chain's engine, where it could not.
    pub not_drilled: Option<String>,
    /// What the engine measured of the pending migrations, in an upgrade chain
    /// (`replay::measure`).
    pub measured: Option<Measured<'f>>,
    /// What the chain found in the data of a populated database (`replay::data`).
    pub data: data::ChainData<'f>,
}

/// How far a chain got in one file: its first `executed` statements ran successfully, and where
/// `failed` is set, the next one failed.
pub struct Applied<'f> {
    pub file: &'f SqlFile,
    pub executed: usize,
    pub failed: bool,
}

pub fn run<'f>(chain: &'f Chain<'f>, plan: &Plan<'f>, db: &mut dyn Database) -> Outcome<'f> {
    let mut outcome = Outcome {
        schema: None,
        release_schema: None,
        failures: Vec::new(),
        statements: 0,
        applied: Vec::new(),
        not_drilled: None,
        // Only upgrades are measured: they are what runs on an installation's rows.
        measured: (chain.kind() == ChainKind::Upgrade).then(|| Measured::new(chain.dialect)),
        data: data::ChainData::default(),
    };
    if let Err(failure) = migrate(chain, plan, db, &mut outcome) {
        outcome.failures.push(failure);
        return outcome;
    }
    let stored = match db.stamp_record(&plan.stamp) {
        Ok(values) => plan.stamp.stored_version(&values, plan.rule, plan.two_part),
        Err(e) => {
            outcome.failures.push(Failure::Engine(format!("{e:#}")));
            return outcome;
        }
    };
    let stored_target = stored
        .as_deref()
        .and_then(|s| plan.rule.parse_with(s, plan.two_part).ok())
        .is_some_and(|v| v == plan.target);
    if !stored_target {
        outcome.failures.push(Failure::StoredVersion { stored });
    }
    match db.introspect() {
        Ok(schema) => outcome.schema = Some(schema),
        Err(e) => {
            outcome.failures.push(Failure::Engine(format!("{e:#}")));
            return outcome;
        }
    }
    if let Err(failure) = data::after_chain(chain, plan, db, &mut outcome) {
        outcome.failures.push(failure);
        return outcome;
    }
    // Seeds run on top, each file in its own transaction as the service's demo mode does; the
    // schema was read before, so demo data cannot change what is compared.
    for seed in plan.seeds_of(chain) {
        if let Err(failure) = apply(db, &[*seed], plan, &mut outcome) {
            outcome.failures.push(match failure {
                Failure::Statement {
                    file,
                    statement,
                    error,
                } => Failure::Seed {
                    file,
                    statement: Some(statement),
                    error,
                },
                Failure::Commit { error, .. } => Failure::Seed {
                    file: seed,
                    statement: None,
                    error,
                },
                other => other,
            });
            break;
        }
    }
    outcome
}

/// Brings the empty database to the target version along the chain.
fn migrate<'f>(
    chain: &'f Chain<'f>,
    plan: &Plan<'f>,
    db: &mut dyn Database,
    outcome: &mut Outcome<'f>,
) -> Result<(), Failure<'f>> {
    let pending: Vec<&SqlFile> = match &chain.start {
        Start::Fresh(latest) => {
            apply(db, &[*latest], plan, outcome)?;
            if plan.stamp.written_by == StampWriter::Service {
                write_version(db, chain.dialect, plan, &plan.target)?;
            }
            return data::after_file(plan, db, &plan.target, false, outcome);
        }
        Start::Empty => plan.migrations.iter().map(|(_, f)| *f).collect(),
        Start::Baseline { script, version } => {
            apply(db, &[*script], plan, outcome)?;
            above(plan, version)
        }
        Start::Release {
            latest,
            capture,
            stamp,
            ..
        } => {
            apply(db, &[latest], plan, outcome)?;
            if *capture {
                let schema = db
                    .introspect()
                    .map_err(|e| Failure::Engine(format!("{e:#}")))?;
                outcome.release_schema = Some(schema);
            }
            if let Some(stamp) = stamp {
                write_version(db, chain.dialect, plan, stamp)?;
            }
            populate(chain, plan, db, outcome)?;
            let version = installed_version(db, latest, plan)?;
            let pending = above(plan, &version);
            data::before_pending(chain, plan, db, &version, &pending, outcome)?;
            pending
        }
    };
    apply_pending(db, &pending, plan, outcome)
        .map_err(|failure| data::failed::on_data(chain, plan, db, failure))?;
    write_version(db, chain.dialect, plan, &plan.target).map_err(|failure| {
        match (failure, role_changed_by(&pending)) {
            (Failure::StampWrite(error), Some((file, statement))) => {
                Failure::StampWriteAfterRoleChange {
                    file,
                    statement,
                    error,
                }
            }
            (failure, _) => failure,
        }
    })
}

/// Where an upgrade chain's database gets its data, on the release's schema right after its
/// fresh install: generated rows in every table, then the seeds as they were at the release's
/// tag. Nothing unless the chain runs populated (`--no-data`).
fn populate<'f>(
    chain: &Chain<'f>,
    plan: &Plan<'f>,
    db: &mut dyn Database,
    outcome: &mut Outcome<'f>,
) -> Result<(), Failure<'f>> {
    let Start::Release { tag, latest, .. } = &chain.start else {
        return Ok(());
    };
    if !plan.data.populates(chain) {
        return Ok(());
    }
    let schema = match &outcome.release_schema {
        Some(schema) => schema.clone(),
        None => db
            .introspect()
            .map_err(|e| Failure::Engine(format!("{e:#}")))?,
    };
    let findings = &mut outcome.data.findings;
    let rows = data::generated::fill(plan, chain.dialect, latest, &schema, db, findings)?;
    // The measurement states what the upgrade's time was taken on.
    if let Some(measured) = outcome.measured.as_mut() {
        measured.rows = rows;
    }
    data::seeds::apply(plan, tag, db, &mut outcome.data.findings)
}

/// The migrations above `version`, which the service runs on a database at that version.
fn above<'f>(plan: &Plan<'f>, version: &semver::Version) -> Vec<&'f SqlFile> {
    plan.migrations
        .iter()
        .filter(|(v, _)| *v > version)
        .map(|(_, f)| *f)
        .collect()
}

/// The schema version the release's script (`latest`) left in the stamp, where the service
/// would upgrade from it; the service's refusal otherwise (no version, a downgrade, a version
/// below the minimum upgrade).
fn installed_version<'f>(
    db: &mut dyn Database,
    latest: &'f SqlFile,
    plan: &Plan<'_>,
) -> Result<semver::Version, Failure<'f>> {
    let record = db
        .stamp_record(&plan.stamp)
        .map_err(|e| Failure::Engine(format!("{e:#}")))?;
    let current = plan.stamp.stored_version(&record, plan.rule, plan.two_part);
    let refuse = |current: String, reason| Failure::Refused {
        file: latest,
        current,
        reason,
    };
    let Some(current) = current else {
        return Err(refuse(String::new(), Refusal::Unversioned));
    };
    let Ok(version) = plan.rule.parse_with(&current, plan.two_part) else {
        return Err(refuse(current, Refusal::Unversioned));
    };
    if version > plan.target {
        return Err(refuse(current, Refusal::Downgrade));
    }
    if version < plan.minimum_upgrade {
        return Err(refuse(current, Refusal::BelowMinimum));
    }
    Ok(version)
}

/// The last statement of `files` that changes the session's role for good (`SET ROLE`,
/// `SET SESSION AUTHORIZATION`; not their `LOCAL` forms, which end with the transaction),
/// unless a later one sets it back (`RESET ROLE`, `SET ROLE NONE`, `... DEFAULT`).
fn role_changed_by<'f>(files: &[&'f SqlFile]) -> Option<(&'f SqlFile, &'f Statement)> {
    let mut changed = None;
    for file in files {
        for statement in &file.statements {
            let words: Vec<String> = statement
                .significant()
                .take(4)
                .map(|token| match &token.token {
                    Token::Word(word) => word.value.to_ascii_uppercase(),
                    _ => String::new(),
                })
                .collect();
            let words: Vec<&str> = words.iter().map(String::as_str).collect();
            let sets = match words.as_slice() {
                ["SET", "SESSION", "AUTHORIZATION", value, ..]
                | ["SET", "SESSION", "ROLE", value, ..]
                | ["SET", "ROLE", value, ..] => Some(!matches!(*value, "DEFAULT" | "NONE")),
                ["RESET", "ROLE", ..] | ["RESET", "SESSION", "AUTHORIZATION", ..] => Some(false),
                _ => None,
            };
            match sets {
                Some(true) => changed = Some((*file, statement)),
                Some(false) => changed = None,
                None => {}
            }
        }
    }
    changed
}

/// What the service does after committing the migrations (and, where it writes the stamp
/// itself, after a fresh install): record `version`, with the configured write of the dialect
/// or the default one (`Stamp::write_sql`).
fn write_version<'f>(
    db: &mut dyn Database,
    dialect: Dialect,
    plan: &Plan<'_>,
    version: &semver::Version,
) -> Result<(), Failure<'f>> {
    let (sql, _) = plan.stamp.write_sql(dialect, &plan.rule.show(version));
    let timeout = plan.time_for_statement().ok_or(Failure::OutOfTime)?;
    db.execute(&sql, timeout).map_err(Failure::StampWrite)
}
