//! One chain: a way a database reaches the current version, applied to a fresh database the way
//! the service applies it (store convention): a script or the pending migrations in one
//! transaction, then the `BASIC.schemaVersion` upsert.

use std::time::Duration;

use crate::dialect::Dialect;
use crate::engine::{Database, StatementError};
use crate::schema::Schema;
use crate::sql::{SqlFile, Statement};

/// How a chain starts.
pub enum Start<'a> {
    /// `LATEST.sql` of the working tree on an empty database: a fresh install.
    Fresh(&'a SqlFile),
    /// Every migration from an empty database.
    Empty,
    /// The `LATEST.sql` of a release tag, then the newer migrations. With `capture`, the schema
    /// the release's script built is read before the migrations run (for `release-check`).
    Release { latest: Box<SqlFile>, capture: bool },
}

pub struct Chain<'a> {
    pub dialect: Dialect,
    /// `fresh`, `full` or `upgrade-from-vX.Y.Z`.
    pub name: String,
    pub start: Start<'a>,
}

/// What the replay needs to know to run any chain of a dialect.
pub struct Plan<'a> {
    /// Every migration of the dialect, in semver order.
    pub migrations: Vec<(&'a semver::Version, &'a SqlFile)>,
    pub target: semver::Version,
    pub minimum_upgrade: semver::Version,
    pub seeds: Vec<&'a SqlFile>,
    pub timeout: Duration,
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
    Seed {
        file: &'f SqlFile,
        statement: Option<&'f Statement>,
        error: StatementError,
    },
    /// The engine itself failed (lost connection, introspection error): not a problem of the
    /// tree, but the chain could not be judged.
    Engine(String),
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
}

const SETTING: &str = "BASIC";

pub fn run<'f>(chain: &'f Chain<'f>, plan: &Plan<'f>, db: &mut dyn Database) -> Outcome<'f> {
    let mut outcome = Outcome {
        schema: None,
        release_schema: None,
        failures: Vec::new(),
        statements: 0,
    };
    if let Err(failure) = migrate(chain, plan, db, &mut outcome) {
        outcome.failures.push(failure);
        return outcome;
    }
    let stored = match db.setting(SETTING) {
        Ok(value) => value.and_then(|v| stored_version(&v)),
        Err(e) => {
            outcome.failures.push(Failure::Engine(format!("{e:#}")));
            return outcome;
        }
    };
    if stored.as_ref() != Some(&plan.target.to_string()) {
        outcome.failures.push(Failure::StoredVersion { stored });
    }
    match db.introspect() {
        Ok(schema) => outcome.schema = Some(schema),
        Err(e) => {
            outcome.failures.push(Failure::Engine(format!("{e:#}")));
            return outcome;
        }
    }
    // Seeds run on top, each file in its own transaction as the service's demo mode does; the
    // schema was read before, so demo data cannot change what is compared.
    for seed in &plan.seeds {
        if let Err(failure) = apply(db, &[*seed], plan.timeout, &mut outcome.statements) {
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
            return apply(db, &[*latest], plan.timeout, &mut outcome.statements)
        }
        Start::Empty => plan.migrations.iter().map(|(_, f)| *f).collect(),
        Start::Release { latest, capture } => {
            apply(db, &[latest], plan.timeout, &mut outcome.statements)?;
            if *capture {
                let schema = db
                    .introspect()
                    .map_err(|e| Failure::Engine(format!("{e:#}")))?;
                outcome.release_schema = Some(schema);
            }
            let current = db
                .setting(SETTING)
                .map_err(|e| Failure::Engine(format!("{e:#}")))?
                .and_then(|v| stored_version(&v));
            let refuse = |current: String, reason| Failure::Refused {
                file: latest,
                current,
                reason,
            };
            let Some(current) = current else {
                return Err(refuse(String::new(), Refusal::Unversioned));
            };
            let Ok(version) = semver::Version::parse(&current) else {
                return Err(refuse(current, Refusal::Unversioned));
            };
            if version > plan.target {
                return Err(refuse(current, Refusal::Downgrade));
            }
            if version < plan.minimum_upgrade {
                return Err(refuse(current, Refusal::BelowMinimum));
            }
            plan.migrations
                .iter()
                .filter(|(v, _)| **v > version)
                .map(|(_, f)| *f)
                .collect()
        }
    };
    if !pending.is_empty() {
        apply(db, &pending, plan.timeout, &mut outcome.statements)?;
    }
    upsert_version(db, &plan.target, plan.timeout)
}

/// Applies files in one transaction, statement by statement, so that a failure is known by
/// file and statement.
fn apply<'f>(
    db: &mut dyn Database,
    files: &[&'f SqlFile],
    timeout: Duration,
    statements: &mut usize,
) -> Result<(), Failure<'f>> {
    db.begin().map_err(|e| Failure::Engine(format!("{e:#}")))?;
    for file in files {
        for statement in &file.statements {
            *statements += 1;
            if let Err(error) = db.execute(file.text_of(statement), timeout) {
                // The transaction is lost either way; a failed rollback adds nothing to report.
                let _ = db.rollback();
                return Err(Failure::Statement {
                    file,
                    statement,
                    error,
                });
            }
        }
    }
    db.commit().map_err(|error| Failure::Commit {
        files: files.to_vec(),
        error,
    })
}

/// What the service does after committing the migrations: upsert `BASIC.schemaVersion`.
fn upsert_version<'f>(
    db: &mut dyn Database,
    target: &semver::Version,
    timeout: Duration,
) -> Result<(), Failure<'f>> {
    let value = serde_json::json!({ "schemaVersion": target.to_string() }).to_string();
    let sql = format!(
        "INSERT INTO instance_setting (name, value, description) VALUES ('{SETTING}', '{}', '') \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        value.replace('\'', "''")
    );
    db.execute(&sql, timeout)
        .map_err(|e| Failure::Engine(format!("the service's version upsert failed: {e}")))
}

/// The `schemaVersion` field of a `BASIC` value; `None` where it is absent or empty.
fn stored_version(value: &str) -> Option<String> {
    let json: serde_json::Value = serde_json::from_str(value).ok()?;
    let version = json.get("schemaVersion")?.as_str()?;
    (!version.is_empty()).then(|| version.to_string())
}
