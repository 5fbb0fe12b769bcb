//! A chain's failure as a diagnostic: at the file, line and column of the statement the engine
//! refused, in the engine's words, with what to do.

use super::chain::{Failure, Plan, Refusal};
use super::drill::Finding;
use super::stamp_write::{StampFiles, StampWriteFailure};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Position, Span};
use crate::dialect::Dialect;
use crate::engine::StatementError;
use crate::sql::{SqlFile, Statement};

/// The engine a failure happened on, as messages name it.
pub(super) struct Engine<'a> {
    /// `PostgreSQL 15.18`.
    pub name: &'a str,
    pub dialect: Dialect,
    /// Where a missing extension would have to be installed.
    pub location: &'a str,
}

/// A chain's failure as data: the file and place it concerns, the engine (`PostgreSQL 15.18`) and
/// what it said; `From<ReplayFailure> for Diagnostic` words it. Every `file` is a path as
/// diagnostics show it.
pub(super) enum ReplayFailure<'a> {
    /// A statement that ends other sessions (`pg_terminate_backend`) ended the replay's own.
    Terminating {
        file: &'a str,
        span: Span,
        engine: &'a str,
    },
    /// A statement the engine refused, or that the replay does not run.
    Statement {
        file: &'a str,
        span: Span,
        engine: &'a str,
        error: &'a StatementError,
        /// Whether the statement is a seed's.
        seed: bool,
    },
    /// A seed whose transaction the engine refused to commit.
    SeedCommit {
        file: &'a str,
        engine: &'a str,
        error: &'a StatementError,
    },
    /// A transaction of migrations the engine refused to commit.
    Commit {
        files: Vec<&'a str>,
        engine: &'a str,
        error: &'a StatementError,
    },
    /// The service's refusal to upgrade from a release whose script stamps `current`; `target`
    /// and `minimum` are shown as the version rule shows them, `stamp` names the stamp.
    Refused {
        file: &'a str,
        current: &'a str,
        refusal: &'a Refusal,
        target: String,
        minimum: String,
        stamp: String,
    },
    /// No stored version after the chain: `stamp` names it, `fix` is where it must be written.
    StoredVersionMissing {
        engine: &'a str,
        stamp: String,
        fix: String,
    },
    /// A stored version other than the target that `target_source` gives.
    StoredVersionMismatch {
        engine: &'a str,
        stored: &'a str,
        target: String,
        target_source: &'a str,
    },
    /// The stamp write failed after a migration statement changed the session's role.
    StampWriteAfterRoleChange {
        file: &'a str,
        span: Span,
        engine: &'a str,
        error: &'a StatementError,
    },
    /// The run's `--timeout` ran out before the chain's end.
    OutOfTime { engine: &'a str },
    /// The engine failed outside the tree's SQL.
    Engine { engine: &'a str, message: &'a str },
    /// The chain stopped at a `CREATE EXTENSION` that `replay.skip-extensions` lists.
    ExtensionSkipped {
        file: &'a str,
        span: Span,
        engine: &'a str,
        extension: &'a str,
    },
    /// The service's write of its schema version failed.
    StampWrite(StampWriteFailure<'a>),
    /// A `CREATE EXTENSION` of an extension the server lacks; `location` is where it would have
    /// to be installed (empty where unknown).
    ExtensionNotInstalled {
        file: &'a str,
        span: Span,
        engine: &'a str,
        location: &'a str,
        extension: String,
        error: &'a StatementError,
    },
    /// A pending statement that failed on the rows of a populated chain, as the data check
    /// words it (`chain::data::failed`).
    OnData(Diagnostic),
    /// The restore drill's finding, at the fresh-install script where there is one.
    Restore {
        finding: &'a Finding,
        engine: &'a str,
        latest: Option<&'a SqlFile>,
    },
}

/// The diagnostic of one failure of a chain.
pub(super) fn diagnostic(
    failure: &Failure<'_>,
    engine: &Engine<'_>,
    plan: &Plan<'_>,
    files: StampFiles<'_>,
) -> Diagnostic {
    let name = engine.name;
    if let Some((file, statement)) = super::terminated::terminated_by(failure, plan) {
        return ReplayFailure::Terminating {
            file: &file.source.display,
            span: statement_span(file, statement),
            engine: name,
        }
        .into();
    }
    if let Failure::Statement {
        file,
        statement,
        error,
    } = failure
    {
        if let Some(extension) = super::extension::missing(file, statement, error) {
            return ReplayFailure::ExtensionNotInstalled {
                file: &file.source.display,
                span: error_span(file, statement, error),
                engine: name,
                location: engine.location,
                extension,
                error,
            }
            .into();
        }
    }
    describe(failure, name, engine.dialect, plan, files).into()
}

/// SQLSTATE `insufficient_privilege`: the chain's role lacks a right the statement needs.
const INSUFFICIENT_PRIVILEGE: &str = "42501";

/// The data of a failure that the engine did not settle as another's doing.
fn describe<'a>(
    failure: &'a Failure<'_>,
    engine: &'a str,
    dialect: Dialect,
    plan: &'a Plan<'_>,
    files: StampFiles<'a>,
) -> ReplayFailure<'a> {
    match failure {
        Failure::Statement {
            file,
            statement,
            error,
        } => statement_failure(file, statement, error, engine, false),
        Failure::Seed {
            file,
            statement: Some(statement),
            error,
        } => statement_failure(file, statement, error, engine, true),
        Failure::Seed {
            file,
            statement: None,
            error,
        } => ReplayFailure::SeedCommit {
            file: &file.source.display,
            engine,
            error,
        },
        Failure::Commit { files, error } => ReplayFailure::Commit {
            files: files.iter().map(|f| f.source.display.as_str()).collect(),
            engine,
            error,
        },
        Failure::Refused {
            file,
            current,
            reason,
        } => ReplayFailure::Refused {
            file: &file.source.display,
            current,
            refusal: reason,
            target: plan.rule.show(&plan.target),
            minimum: plan.rule.show(&plan.minimum_upgrade),
            stamp: plan.stamp.name(),
        },
        Failure::StoredVersion { stored } => stored_version(stored.as_deref(), engine, plan),
        Failure::StampWrite(error) => ReplayFailure::StampWrite(super::stamp_write::failed(
            error, engine, dialect, plan, files,
        )),
        Failure::ExtensionSkipped {
            file,
            statement,
            extension,
        } => ReplayFailure::ExtensionSkipped {
            file: &file.source.display,
            span: statement_span(file, statement),
            engine,
            extension,
        },
        Failure::StampWriteAfterRoleChange {
            file,
            statement,
            error,
        } => ReplayFailure::StampWriteAfterRoleChange {
            file: &file.source.display,
            span: statement_span(file, statement),
            engine,
            error,
        },
        Failure::OutOfTime => ReplayFailure::OutOfTime { engine },
        Failure::Engine(message) => ReplayFailure::Engine { engine, message },
        Failure::Restore(finding) => ReplayFailure::Restore {
            finding,
            engine,
            latest: files.latest,
        },
        Failure::OnData(failed) => ReplayFailure::OnData(failed.diagnostic(engine)),
    }
}

/// The version the service reads after the chain: missing, or not the target.
fn stored_version<'a>(
    stored: Option<&'a str>,
    engine: &'a str,
    plan: &'a Plan<'_>,
) -> ReplayFailure<'a> {
    let target = plan.rule.show(&plan.target);
    let Some(stored) = stored else {
        let fix = match &plan.stamp.history {
            Some(history) => format!(
                "make sure {} exists and holds a row of version {target}",
                history.table
            ),
            None => format!(
                "make sure {} exists and the {} row is written (version {target})",
                plan.stamp.table, plan.stamp.key
            ),
        };
        return ReplayFailure::StoredVersionMissing {
            engine,
            stamp: plan.stamp.name(),
            fix,
        };
    };
    ReplayFailure::StoredVersionMismatch {
        engine,
        stored,
        target,
        target_source: &plan.target_source,
    }
}

/// A refused statement, of a migration or of a seed.
fn statement_failure<'a>(
    file: &'a SqlFile,
    statement: &Statement,
    error: &'a StatementError,
    engine: &'a str,
    seed: bool,
) -> ReplayFailure<'a> {
    ReplayFailure::Statement {
        file: &file.source.display,
        span: error_span(file, statement, error),
        engine,
        error,
        seed,
    }
}

impl From<ReplayFailure<'_>> for Diagnostic {
    fn from(failure: ReplayFailure<'_>) -> Diagnostic {
        match failure {
            ReplayFailure::Terminating { file, span, engine } => {
                terminating(engine).file(file).span(span)
            }
            ReplayFailure::Statement {
                file,
                span,
                engine,
                error,
                seed,
            } => statement_diagnostic(error, engine, seed).file(file).span(span),
            ReplayFailure::SeedCommit {
                file,
                engine,
                error,
            } => seed_commit(engine, error).file(file),
            ReplayFailure::Commit {
                files,
                engine,
                error,
            } => commit(&files, engine, error),
            ReplayFailure::Refused {
                file,
                current,
                refusal,
                target,
                minimum,
                stamp,
            } => refused(refusal, current, &target, &minimum, &stamp).file(file),
            ReplayFailure::StoredVersionMissing { engine, stamp, fix } => Diagnostic::new(
                Code::StoredVersionMissing,
                format!(
                    "after migrating, {engine} has no {stamp}: the service cannot tell its schema version"
                ),
            )
            .help(fix),
            ReplayFailure::StoredVersionMismatch {
                engine,
                stored,
                target,
                target_source,
            } => stored_version_mismatch(engine, stored, &target, target_source),
            ReplayFailure::StampWrite(failure) => failure.into(),
            ReplayFailure::StampWriteAfterRoleChange {
                file,
                span,
                engine,
                error,
            } => role_changed(engine, error).file(file).span(span),
            ReplayFailure::OutOfTime { engine } => out_of_time(engine),
            ReplayFailure::Engine { engine, message } => engine_failed(engine, message),
            ReplayFailure::ExtensionSkipped {
                file,
                span,
                engine,
                extension,
            } => extension_skipped(extension, engine).file(file).span(span),
            ReplayFailure::ExtensionNotInstalled {
                file,
                span,
                engine,
                location,
                extension,
                error,
            } => extension_not_installed(error, &extension, engine, location)
                .file(file)
                .span(span),
            ReplayFailure::OnData(diagnostic) => diagnostic,
            ReplayFailure::Restore {
                finding,
                engine,
                latest,
            } => super::drill::diagnostic(finding, engine, latest),
        }
    }
}

fn terminating(engine: &str) -> Diagnostic {
    Diagnostic::new(
        Code::StatementFailed,
        format!("this statement ends other sessions of {engine} (pg_terminate_backend), among them the replay's session of another chain, which failed"),
    )
    .help("a migration must not end sessions it does not own: on the service's database they are other services' connections (or the service's own pool); remove the statement")
}

fn seed_commit(engine: &str, error: &StatementError) -> Diagnostic {
    Diagnostic::new(
        Code::SeedFailed,
        format!("{engine} refused to commit this seed: {error}"),
    )
    .help("the seed must apply on top of a fresh or migrated database: fix its data")
}

fn commit(files: &[&str], engine: &str, error: &StatementError) -> Diagnostic {
    Diagnostic::new(
        Code::CommitFailed,
        format!("{engine} refused to commit the transaction of {}: {error}", files.join(", ")),
    )
    .file(files.last().copied().unwrap_or_default())
    .help("a deferred constraint fails at commit: look for rows that violate a foreign key or a deferred check")
}

fn role_changed(engine: &str, error: &StatementError) -> Diagnostic {
    Diagnostic::new(
        Code::StampWriteFailed,
        format!("{engine} refused the service's write of its schema version after this statement changed the session's role: {error}"),
    )
    .help("the service runs the migrations and then writes its version in the same session, as its own user: change the role only with SET LOCAL ROLE inside a transaction, or set it back with RESET ROLE")
}

fn out_of_time(engine: &str) -> Diagnostic {
    Diagnostic::new(
        Code::RunTimeout,
        format!("{engine}: the run's time limit (--timeout) ran out before this chain was replayed to its end"),
    )
    .help("what the chain would have found is unknown: raise --timeout, or look for the statements that took the time (a statement-timeout, a slow chain)")
}

fn engine_failed(engine: &str, message: &str) -> Diagnostic {
    Diagnostic::new(
        Code::StatementFailed,
        format!("{engine} failed outside the tree's SQL: {message}"),
    )
    .help("this is a problem of the engine or the tool, not of the migrations; run again, and report it if it stays")
}

/// The service's refusal to upgrade from a release: a downgrade, a version below the minimum,
/// or no version at all.
fn refused(
    reason: &Refusal,
    current: &str,
    target: &str,
    minimum: &str,
    stamp: &str,
) -> Diagnostic {
    let (message, help) = match reason {
        Refusal::Downgrade => (
            format!("the release's LATEST.sql stamps {current}, above the target {target}: the service refuses to start (\"cannot downgrade\")"),
            "the working tree's newest migration must not be older than a released version: add the missing migrations".to_string(),
        ),
        Refusal::BelowMinimum => (
            format!("the release's schema version {current} is below the minimum upgrade version {minimum}: the service refuses it"),
            "raise the release tags' floor, or lower the minimum upgrade version".to_string(),
        ),
        Refusal::Unversioned => (
            format!("the release's LATEST.sql leaves no usable {stamp} (`{current}`), so an upgrade cannot tell which migrations are pending"),
            "this is history and cannot change; make sure the current LATEST.sql stamps its version".to_string(),
        ),
    };
    Diagnostic::new(Code::DowngradeRefused, message).help(help)
}

/// A stored version other than the target.
fn stored_version_mismatch(
    engine: &str,
    stored: &str,
    target: &str,
    target_source: &str,
) -> Diagnostic {
    Diagnostic::new(
        Code::StoredVersionMismatch,
        format!("after migrating, {engine} stores schema version {stored}, but {target_source} says {target}"),
    )
    .help(match target_source {
        "the highest migration" => format!(
            "the stamp in the fresh-install script must say {target}, the newest migration's version"
        ),
        source => format!(
            "the stamp in the fresh-install script, {source} and the newest migration must all say {target}"
        ),
    })
}

/// A chain stopped unchecked at a `CREATE EXTENSION` that `replay.skip-extensions` lists.
fn extension_skipped(extension: &str, engine: &str) -> Diagnostic {
    Diagnostic::new(
        Code::ExtensionSkipped,
        format!(
            "not checked: the chain stopped before `CREATE EXTENSION {extension}`, as \
             `replay.skip-extensions` lists it; nothing from here on was replayed or \
             compared"
        ),
    )
    .help(format!(
        "install `{extension}` for the replay's {engine} and remove it from \
         `replay.skip-extensions`, so that this chain is checked"
    ))
}

fn statement_diagnostic(error: &StatementError, engine: &str, seed: bool) -> Diagnostic {
    let (code, help) = if error.sqlstate.as_deref() == Some(INSUFFICIENT_PRIVILEGE) {
        (
            Code::NeedsPrivilege,
            "the service's database user has no superuser on a managed database, and neither has the replay's: do this outside the migrations, as the database's administrator (an untrusted extension: list it in replay.superuser-extensions, as the administrator creates it first); if the service's user truly has the right, grant it with replay.role-attributes, or replay with --replay-as superuser (unsafe on a pull request)",
        )
    } else if error.denied {
        (
            Code::StatementDenied,
            "a migration may change only its own database: remove the statement, or do what it does outside the migrations",
        )
    } else if error.timed_out {
        (
            Code::StatementTimeout,
            "the statement ran past the per-statement timeout (--statement-timeout) or the run's (--timeout): look for a runaway query or an unbounded recursion",
        )
    } else if seed {
        (
            Code::SeedFailed,
            "the seed must apply on top of a fresh or migrated database: fix its SQL or data",
        )
    } else {
        (
            Code::StatementFailed,
            "fix the statement for this engine: the service would fail here and roll back the whole upgrade",
        )
    };
    let message = if code == Code::NeedsPrivilege {
        format!("{engine} refused this statement for lack of a privilege, as the service's database user would be refused too: {error}")
    } else if error.denied {
        format!("the replay does not run this statement on {engine}: {error}")
    } else {
        format!("{engine} refused this statement: {error}")
    };
    Diagnostic::new(code, message).help(help)
}

/// A `CREATE EXTENSION` that failed because the server lacks the extension: a fact of the machine
/// that runs the replay, not an error of the tree, but the chain could not be checked past it.
fn extension_not_installed(
    error: &StatementError,
    extension: &str,
    engine: &str,
    location: &str,
) -> Diagnostic {
    let major = engine.split('.').next().unwrap_or(engine);
    let at = if location.is_empty() {
        String::new()
    } else {
        format!(" at {location}")
    };
    Diagnostic::new(
        Code::ExtensionNotInstalled,
        format!(
            "extension `{extension}` is not installed for {major}{at}: install it, or list it \
             under `replay.skip-extensions`; the chain stopped here, unchecked ({error})"
        ),
    )
    .help(format!(
        "this is a fact of the machine that runs the replay, not an error of the tree: install \
         `{extension}` for {major} (its distribution package), or list it under \
         `[replay] skip-extensions` in validate-migrations.toml, so that the chains that need it \
         are reported as not checked and every other chain is still judged"
    ))
}

/// Where the engine says the error is, or else the statement's first line.
pub(super) fn error_span(file: &SqlFile, statement: &Statement, error: &StatementError) -> Span {
    let text = file.text_of(statement);
    let at = error.offset.and_then(|offset| {
        text.char_indices()
            .nth(offset)
            .map(|(i, _)| file.source.position(statement.range.start + i))
    });
    match at {
        Some(start) => Span::new(start, Position::new(start.line, start.column + 1)),
        None => statement_span(file, statement),
    }
}

/// The statement's first line.
pub(super) fn statement_span(file: &SqlFile, statement: &Statement) -> Span {
    let start = statement.span.start;
    let text = file.text_of(statement);
    let first_line = text.lines().next().unwrap_or_default().chars().count() as u32;
    Span::on_line(start.line, start.column, first_line)
}
