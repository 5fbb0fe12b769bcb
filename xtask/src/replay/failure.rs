//! A chain's failure as a diagnostic: at the file, line and column of the statement the engine
//! refused, in the engine's words, with what to do.

use super::chain::{Failure, Plan, Refusal};
use super::stamp_write::StampFiles;
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Position, Span};
use crate::dialect::Dialect;
use crate::engine::StatementError;
use crate::sql::{SqlFile, Statement};
use sqlparser::tokenizer::Token;

/// The engine a failure happened on, as messages name it.
pub(super) struct Engine<'a> {
    /// `PostgreSQL 15.18`.
    pub name: &'a str,
    pub dialect: Dialect,
    /// Where a missing extension would have to be installed.
    pub location: &'a str,
}

/// The diagnostic of one failure of a chain.
pub(super) fn diagnostic(
    failure: &Failure<'_>,
    engine: &Engine<'_>,
    plan: &Plan<'_>,
    files: StampFiles<'_>,
) -> Diagnostic {
    let name = engine.name;
    match (failure, terminated_by(failure, plan)) {
        (_, Some((file, statement))) => terminated_diagnostic(file, statement, name),
        (
            Failure::Statement {
                file,
                statement,
                error,
            },
            None,
        ) => match super::extension::missing(file, statement, error) {
            Some(extension) => {
                extension_not_installed(file, statement, error, &extension, name, engine.location)
            }
            None => describe(failure, name, engine.dialect, plan, files),
        },
        _ => describe(failure, name, engine.dialect, plan, files),
    }
}

/// SQLSTATE `insufficient_privilege`: the chain's role lacks a right the statement needs.
const INSUFFICIENT_PRIVILEGE: &str = "42501";

/// PostgreSQL's message to a session ended by `pg_terminate_backend` (SQLSTATE 57P01).
const TERMINATED: &str = "terminating connection due to administrator command";

/// What the driver says when the server closed the session before its message arrived: a
/// session ended by `pg_terminate_backend` while its statement waits may end this way instead,
/// depending on which the client reads first.
const CLOSED: &str = "connection closed";

/// Where a chain's session was ended from outside, not by the replay's own watchdog (which
/// marks its work as a timeout), the migration statement that ends other sessions, if the
/// dialect has one: it ended the replay's sessions beside its own.
fn terminated_by<'f>(
    failure: &Failure<'_>,
    plan: &Plan<'f>,
) -> Option<(&'f SqlFile, &'f Statement)> {
    let error = match failure {
        Failure::Statement { error, .. }
        | Failure::Seed { error, .. }
        | Failure::Commit { error, .. }
        | Failure::StampWrite(error) => error,
        Failure::Engine(message) if message.contains(TERMINATED) || message.contains(CLOSED) => {
            return terminating_statement(plan)
        }
        _ => return None,
    };
    let terminated = error.sqlstate.as_deref() == Some("57P01")
        || error.message.contains(TERMINATED)
        || (error.sqlstate.is_none() && error.message == CLOSED);
    if terminated && !error.timed_out {
        terminating_statement(plan)
    } else {
        None
    }
}

/// The first migration statement that calls `pg_terminate_backend`.
fn terminating_statement<'f>(plan: &Plan<'f>) -> Option<(&'f SqlFile, &'f Statement)> {
    plan.migrations.iter().find_map(|(_, file)| {
        file.statements
            .iter()
            .find(|statement| {
                statement.significant().any(|token| {
                    matches!(&token.token, Token::Word(word)
                        if word.value.eq_ignore_ascii_case("pg_terminate_backend"))
                })
            })
            .map(|statement| (*file, statement))
    })
}

fn terminated_diagnostic(file: &SqlFile, statement: &Statement, engine: &str) -> Diagnostic {
    Diagnostic::new(
        Code::StatementFailed,
        format!("this statement ends other sessions of {engine} (pg_terminate_backend), among them the replay's session of another chain, which failed"),
    )
    .file(file.source.display.clone())
    .span(statement_span(file, statement))
    .help("a migration must not end sessions it does not own: on the service's database they are other services' connections (or the service's own pool); remove the statement")
}

fn describe(
    failure: &Failure<'_>,
    engine: &str,
    dialect: Dialect,
    plan: &Plan<'_>,
    files: StampFiles<'_>,
) -> Diagnostic {
    match failure {
        Failure::Statement {
            file,
            statement,
            error,
        } => statement_diagnostic(file, statement, error, engine, false),
        Failure::Seed {
            file,
            statement: Some(statement),
            error,
        } => statement_diagnostic(file, statement, error, engine, true),
        Failure::Seed {
            file,
            statement: None,
            error,
        } => Diagnostic::new(Code::SeedFailed, format!("{engine} refused to commit this seed: {error}"))
            .file(file.source.display.clone())
            .help("the seed must apply on top of a fresh or migrated database: fix its data"),
        Failure::Commit { files, error } => {
            let names: Vec<&str> = files.iter().map(|f| f.source.display.as_str()).collect();
            Diagnostic::new(
                Code::CommitFailed,
                format!("{engine} refused to commit the transaction of {}: {error}", names.join(", ")),
            )
            .file(names.last().copied().unwrap_or_default())
            .help("a deferred constraint fails at commit: look for rows that violate a foreign key or a deferred check")
        }
        Failure::Refused {
            file,
            current,
            reason,
        } => refused(file, current, reason, plan),
        Failure::StoredVersion { stored } => stored_version(stored.as_deref(), engine, plan),
        Failure::StampWrite(error) => super::stamp_write::failed(error, engine, dialect, plan, files),
        Failure::ExtensionSkipped {
            file,
            statement,
            extension,
        } => extension_skipped(file, statement, extension, engine),
        Failure::StampWriteAfterRoleChange {
            file,
            statement,
            error,
        } => Diagnostic::new(
            Code::StampWriteFailed,
            format!("{engine} refused the service's write of its schema version after this statement changed the session's role: {error}"),
        )
        .file(file.source.display.clone())
        .span(statement_span(file, statement))
        .help("the service runs the migrations and then writes its version in the same session, as its own user: change the role only with SET LOCAL ROLE inside a transaction, or set it back with RESET ROLE"),
        Failure::OnData(failed) => failed.diagnostic(engine),
        Failure::OutOfTime => Diagnostic::new(
            Code::RunTimeout,
            format!("{engine}: the run's time limit (--timeout) ran out before this chain was replayed to its end"),
        )
        .help("what the chain would have found is unknown: raise --timeout, or look for the statements that took the time (a statement-timeout, a slow chain)"),
        Failure::Engine(message) => Diagnostic::new(
            Code::StatementFailed,
            format!("{engine} failed outside the tree's SQL: {message}"),
        )
        .help("this is a problem of the engine or the tool, not of the migrations; run again, and report it if it stays"),
    }
}

/// The service's refusal to upgrade from a release: a downgrade, a version below the minimum,
/// or no version at all.
fn refused(file: &SqlFile, current: &str, reason: &Refusal, plan: &Plan<'_>) -> Diagnostic {
    let (message, help) = match reason {
        Refusal::Downgrade => (
            format!("the release's LATEST.sql stamps {current}, above the target {}: the service refuses to start (\"cannot downgrade\")", plan.rule.show(&plan.target)),
            "the working tree's newest migration must not be older than a released version: add the missing migrations".to_string(),
        ),
        Refusal::BelowMinimum => (
            format!("the release's schema version {current} is below the minimum upgrade version {}: the service refuses it", plan.rule.show(&plan.minimum_upgrade)),
            "raise the release tags' floor, or lower the minimum upgrade version".to_string(),
        ),
        Refusal::Unversioned => (
            format!("the release's LATEST.sql leaves no usable {} (`{current}`), so an upgrade cannot tell which migrations are pending", plan.stamp.name()),
            "this is history and cannot change; make sure the current LATEST.sql stamps its version".to_string(),
        ),
    };
    Diagnostic::new(Code::DowngradeRefused, message)
        .file(file.source.display.clone())
        .help(help)
}

/// The version the service reads after the chain: missing, or not the target.
fn stored_version(stored: Option<&str>, engine: &str, plan: &Plan<'_>) -> Diagnostic {
    let Some(stored) = stored else {
        return Diagnostic::new(
            Code::StoredVersionMissing,
            format!(
                "after migrating, {engine} has no {}: the service cannot tell its schema version",
                plan.stamp.name()
            ),
        )
        .help(match &plan.stamp.history {
            Some(history) => format!(
                "make sure {} exists and holds a row of version {}",
                history.table,
                plan.rule.show(&plan.target)
            ),
            None => format!(
                "make sure {} exists and the {} row is written (version {})",
                plan.stamp.table,
                plan.stamp.key,
                plan.rule.show(&plan.target)
            ),
        });
    };
    Diagnostic::new(
        Code::StoredVersionMismatch,
        format!(
            "after migrating, {engine} stores schema version {stored}, but {} says {}",
            plan.target_source,
            plan.rule.show(&plan.target)
        ),
    )
    .help(match plan.target_source.as_str() {
        "the highest migration" => format!(
            "the stamp in the fresh-install script must say {}, the newest migration's version",
            plan.rule.show(&plan.target)
        ),
        source => format!(
            "the stamp in the fresh-install script, {source} and the newest migration must all say {}",
            plan.rule.show(&plan.target)
        ),
    })
}

/// A chain stopped unchecked at a `CREATE EXTENSION` that `replay.skip-extensions` lists.
fn extension_skipped(
    file: &SqlFile,
    statement: &Statement,
    extension: &str,
    engine: &str,
) -> Diagnostic {
    Diagnostic::new(
        Code::ExtensionSkipped,
        format!(
            "not checked: the chain stopped before `CREATE EXTENSION {extension}`, as \
             `replay.skip-extensions` lists it; nothing from here on was replayed or \
             compared"
        ),
    )
    .file(file.source.display.clone())
    .span(statement_span(file, statement))
    .help(format!(
        "install `{extension}` for the replay's {engine} and remove it from \
         `replay.skip-extensions`, so that this chain is checked"
    ))
}

fn statement_diagnostic(
    file: &SqlFile,
    statement: &Statement,
    error: &StatementError,
    engine: &str,
    seed: bool,
) -> Diagnostic {
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
    Diagnostic::new(code, message)
        .file(file.source.display.clone())
        .span(error_span(file, statement, error))
        .help(help)
}

/// A `CREATE EXTENSION` that failed because the server lacks the extension: a fact of the machine
/// that runs the replay, not an error of the tree, but the chain could not be checked past it.
fn extension_not_installed(
    file: &SqlFile,
    statement: &Statement,
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
    .file(file.source.display.clone())
    .span(error_span(file, statement, error))
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
