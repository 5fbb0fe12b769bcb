//! A chain's session ended from outside: by a migration statement that ends other sessions
//! (`pg_terminate_backend`), which the failure of the chain is then blamed on.

use super::chain::{Failure, Plan};
use crate::sql::{SqlFile, Statement};
use sqlparser::tokenizer::Token;

/// PostgreSQL's message to a session ended by `pg_terminate_backend` (SQLSTATE 57P01).
const TERMINATED: &str = "terminating connection due to administrator command";

/// What the driver says when the server closed the session before its message arrived: a
/// session ended by `pg_terminate_backend` while its statement waits may end this way instead,
/// depending on which the client reads first.
const CLOSED: &str = "connection closed";

/// Where a chain's session was ended from outside, not by the replay's own watchdog (which
/// marks its work as a timeout), the migration statement that ends other sessions, if the
/// dialect has one: it ended the replay's sessions beside its own.
pub(super) fn terminated_by<'f>(
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
