//! Turns what the chains found into diagnostics. The same failure or difference in several
//! chains (a broken migration breaks `full` and every upgrade that runs it) is reported once,
//! naming every chain.

use std::collections::BTreeMap;

use super::chain::{Chain, ChainKind, Failure, Outcome, Plan, Refusal};
pub use super::stamp_write::StampFiles;
use super::Engine;
use crate::allowlist::Allowlist;
use crate::codes::Code;
use crate::config::StampWriter;
use crate::diagnostic::{Diagnostic, Position, Severity, Span};
use crate::dialect::Dialect;
use crate::engine::StatementError;
use crate::schema::diff::{self, Difference};
use sqlparser::tokenizer::Token;

use super::name_chains;
use crate::sql::token::is_trivia;
use crate::sql::{SqlFile, Statement};

/// Collects one dialect's diagnostics by everything but the chain, so that each is reported
/// once.
struct Grouped {
    dialect: Dialect,
    /// The dialect's chains in the order they were planned, for naming runs of them as ranges.
    order: Vec<String>,
    entries: BTreeMap<String, (Diagnostic, Vec<String>)>,
}

impl Grouped {
    fn new(dialect: Dialect, chains: &[Chain<'_>]) -> Grouped {
        Grouped {
            dialect,
            order: chains
                .iter()
                .filter(|c| c.dialect == dialect)
                .map(|c| c.name.clone())
                .collect(),
            entries: BTreeMap::new(),
        }
    }

    fn add(&mut self, diagnostic: Diagnostic, chain: &str) {
        let diagnostic = match diagnostic.dialect {
            Some(_) => diagnostic,
            None => diagnostic.dialect(self.dialect),
        };
        let key = format!(
            "{:?}{:?}{:?}{}",
            diagnostic.code, diagnostic.file, diagnostic.span, diagnostic.message
        );
        self.entries
            .entry(key)
            .or_insert_with(|| (diagnostic, Vec::new()))
            .1
            .push(chain.to_string());
    }

    /// The diagnostics, each headline (the message's first line) ending with the chains it
    /// happened in.
    fn finish(self, out: &mut Vec<Diagnostic>) {
        for (_, (mut diagnostic, chains)) in self.entries {
            let (headline, body) = diagnostic
                .message
                .split_once('\n')
                .map_or((diagnostic.message.as_str(), None), |(h, b)| (h, Some(b)));
            let mut message = format!("{headline} [{}]", name_chains(&chains, &self.order));
            if let Some(body) = body {
                message = format!("{message}\n{body}");
            }
            diagnostic.message = message;
            diagnostic.chains = chains;
            out.push(diagnostic);
        }
    }
}

pub fn failures(
    chains: &[Chain<'_>],
    outcomes: &[Outcome<'_>],
    dialect: Dialect,
    plan: &Plan<'_>,
    engines: &[Engine],
    files: StampFiles<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let found = engines.iter().find(|e| e.dialect == dialect);
    let engine = found.map_or_else(|| dialect.engine().to_string(), Engine::name);
    let engine = engine.as_str();
    let location = found.map_or("", |e| e.location.as_str());
    let mut grouped = Grouped::new(dialect, chains);
    for (chain, outcome) in chains
        .iter()
        .zip(outcomes)
        .filter(|(c, _)| c.dialect == dialect)
    {
        for failure in &outcome.failures {
            let mut diagnostic = match (failure, terminated_by(failure, plan)) {
                (_, Some((file, statement))) => terminated_diagnostic(file, statement, engine),
                (
                    Failure::Statement {
                        file,
                        statement,
                        error,
                    },
                    None,
                ) => match super::extension::missing(file, statement, error) {
                    Some(extension) => extension_not_installed(
                        file, statement, error, &extension, engine, location,
                    ),
                    None => describe(failure, engine, dialect, plan, files),
                },
                _ => describe(failure, engine, dialect, plan, files),
            };
            if matches!(failure, Failure::StoredVersion { .. }) {
                // After a fresh install the stamp of LATEST.sql is what was stored (unless the
                // service writes it); after a chain, the version the service upserted, which is
                // the target.
                let file = match (chain.name.as_str(), files.latest, plan.stamp.written_by) {
                    ("fresh", Some(latest), StampWriter::Latest) => latest.source.display.clone(),
                    _ => files.target.to_string(),
                };
                diagnostic = diagnostic.file(file);
            }
            grouped.add(diagnostic, &chain.name);
        }
    }
    grouped.finish(out);
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
        } => {
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
        Failure::StoredVersion { stored: None } => Diagnostic::new(
            Code::StoredVersionMissing,
            format!("after migrating, {engine} has no {}: the service cannot tell its schema version", plan.stamp.name()),
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
        }),
        Failure::StoredVersion {
            stored: Some(stored),
        } => Diagnostic::new(
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
        }),
        Failure::StampWrite(error) => super::stamp_write::failed(error, engine, dialect, plan, files),
        Failure::ExtensionSkipped {
            file,
            statement,
            extension,
        } => {
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
fn error_span(file: &SqlFile, statement: &Statement, error: &StatementError) -> Span {
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
fn statement_span(file: &SqlFile, statement: &Statement) -> Span {
    let start = statement.span.start;
    let text = file.text_of(statement);
    let first_line = text.lines().next().unwrap_or_default().chars().count() as u32;
    Span::on_line(start.line, start.column, first_line)
}

/// Compares every chain's schema with the fresh install's, per dialect.
pub fn differences(
    chains: &[Chain<'_>],
    outcomes: &[Outcome<'_>],
    dialect: Dialect,
    latest: Option<&SqlFile>,
    allowlist: &Allowlist,
    out: &mut Vec<Diagnostic>,
) {
    let of_dialect: Vec<(&Chain<'_>, &Outcome<'_>)> = chains
        .iter()
        .zip(outcomes)
        .filter(|(c, _)| c.dialect == dialect)
        .collect();
    let Some(fresh) = of_dialect
        .iter()
        .find(|(c, _)| c.kind() == ChainKind::Fresh)
        .and_then(|(_, o)| o.schema.as_ref())
    else {
        return;
    };
    let mut grouped = Grouped::new(dialect, chains);
    for (chain, outcome) in of_dialect
        .iter()
        .filter(|(c, _)| c.kind() != ChainKind::Fresh)
    {
        let Some(schema) = &outcome.schema else {
            continue;
        };
        for difference in diff::diff(fresh, schema) {
            if allowlist.allows(dialect, &chain.name, &difference.object, &difference.aspect) {
                continue;
            }
            grouped.add(
                difference_diagnostic(&difference, dialect, latest),
                &chain.name,
            );
        }
    }
    grouped.finish(out);
}

/// What introspection could not read of the chains' schemas (parts of a SQLite `CREATE` text
/// sqlparser cannot read), once per object and part, naming the chains: the comparison did not
/// see those parts, which a note says rather than a silence.
pub fn unread(
    chains: &[Chain<'_>],
    outcomes: &[Outcome<'_>],
    dialect: Dialect,
    latest: Option<&SqlFile>,
    reports: impl Fn(&Chain<'_>) -> bool,
    out: &mut Vec<Diagnostic>,
) {
    let mut grouped = Grouped::new(dialect, chains);
    for (chain, outcome) in chains
        .iter()
        .zip(outcomes)
        .filter(|(c, _)| c.dialect == dialect && reports(c))
    {
        let Some(schema) = &outcome.schema else {
            continue;
        };
        for unread in &schema.unread {
            let mut diagnostic = Diagnostic::new(
                Code::SchemaTextUnread,
                format!("{}: {}: {}", dialect.engine(), unread.object, unread.what),
            )
            .help(
                "nothing to fix in the tree: the rest of the object is read from the engine and \
                 compared; only the part named here is not",
            );
            if let Some(latest) = latest {
                diagnostic = diagnostic.file(latest.source.display.clone());
                if let Some(span) = locate(latest, &unread.object) {
                    diagnostic = diagnostic.span(span);
                }
            }
            grouped.add(diagnostic, &chain.name);
        }
    }
    grouped.finish(out);
}

fn difference_diagnostic(d: &Difference, dialect: Dialect, latest: Option<&SqlFile>) -> Diagnostic {
    let code = match (d.severity, d.aspect.as_str()) {
        (Severity::Warning, "column order") => Code::ColumnOrder,
        (Severity::Warning, _) => Code::EquivalentDrift,
        _ => Code::SchemaDrift,
    };
    let headline = match (d.aspect.is_empty(), &d.expected, &d.actual) {
        (true, Some(_), None) => format!(
            "{} is in the fresh install but not after the chain",
            d.object
        ),
        (true, None, Some(_)) => format!(
            "{} exists after the chain but not in the fresh install",
            d.object
        ),
        (true, _, _) => format!("{} differs from the fresh install", d.object),
        (false, _, _) => format!("{}, {} differs from the fresh install", d.object, d.aspect),
    };
    let side = |value: &Option<String>| value.clone().unwrap_or_else(|| "absent".into());
    let message = format!(
        "{}: {headline}\n    fresh (LATEST.sql): {}\n    chain:              {}",
        dialect.engine(),
        side(&d.expected),
        side(&d.actual)
    );
    let help = match code {
        Code::ColumnOrder => "list the columns in LATEST.sql in the order the migrations leave them (ADD COLUMN appends)",
        Code::EquivalentDrift => "use the same name in LATEST.sql and the migrations, so that later migrations can refer to it on every install",
        _ => "make LATEST.sql and the migrations build the same schema: fix whichever side is wrong, or allow the drift with a reason",
    };
    let mut diagnostic = Diagnostic::new(code, message)
        .help(help)
        .difference(d.clone());
    if let Some(latest) = latest {
        diagnostic = diagnostic.file(latest.source.display.clone());
        if let Some(span) = locate(latest, &d.object) {
            diagnostic = diagnostic.span(span);
        }
    }
    diagnostic
}

/// The statement of `LATEST.sql` that creates `object` (`table memo`, `index idx_x`), found on
/// the tokens: `CREATE [UNIQUE|OR REPLACE|...] <kind> [IF NOT EXISTS] <name>`.
pub(super) fn locate(latest: &SqlFile, object: &str) -> Option<Span> {
    let (kind, name) = object.split_once(' ')?;
    let name = name
        .split('(')
        .next()?
        .rsplit('.')
        .next()?
        .trim_matches('"');
    latest.statements.iter().find_map(|statement| {
        let words: Vec<String> = statement
            .tokens()
            .iter()
            .filter(|t| !is_trivia(&t.token))
            .take(10)
            .filter_map(|t| match &t.token {
                Token::Word(word) => Some(word.value.to_ascii_lowercase()),
                _ => None,
            })
            .collect();
        let position = words.iter().position(|w| w == kind)?;
        let creates = words.first().is_some_and(|w| w == "create");
        let named = words[position + 1..]
            .iter()
            .find(|w| !matches!(w.as_str(), "if" | "not" | "exists" | "concurrently"))
            .is_some_and(|w| w.eq_ignore_ascii_case(name));
        (creates && named).then(|| {
            let start = statement.span.start;
            let text = latest.text_of(statement);
            let first_line = text.lines().next().unwrap_or_default().chars().count() as u32;
            Span::on_line(start.line, start.column, first_line)
        })
    })
}
