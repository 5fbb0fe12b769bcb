//! One message per file: a file's statements sent to the engine as one text, in one round trip,
//! instead of one round trip per statement. On this kind of machine a lone client and server pay
//! a wake-up on every round trip (docs/benchmarks.md), which made up about a fifth of the
//! PostgreSQL chains' time. A batch tells only that something failed, not which statement, so
//! `chain::apply` replays the transaction statement by statement when it does.

use std::time::Duration;

use sqlparser::tokenizer::Token;

use crate::engine::Database;
use crate::sql::{SqlFile, Statement};

/// Begins a transaction and sends each file's statements as one message. True when every
/// statement ran, with the transaction left open for the caller to commit; false when the
/// batch was not tried or failed, with the transaction rolled back. It is not tried where a
/// file creates an extension the configuration skips (which the statement-by-statement replay
/// reports), or where a statement ends or starts a transaction itself: the rollback after a
/// failed batch would not undo what such a file committed, and the replay would run it twice.
pub fn run(
    db: &mut dyn Database,
    files: &[&SqlFile],
    skip_extensions: &[String],
    timeout: Duration,
) -> bool {
    let skipped = files.iter().any(|file| {
        file.statements.iter().any(|statement| {
            controls_transaction(statement)
                || super::extension::created(file, statement)
                    .is_some_and(|name| skip_extensions.contains(&name))
        })
    });
    if skipped || db.begin().is_err() {
        return false;
    }
    for file in files.iter().filter(|file| !file.statements.is_empty()) {
        if db.execute(&text(file), timeout).is_err() {
            // What failed is found by the replay statement by statement; the rollback's own
            // failure would show there too.
            let _ = db.rollback();
            return false;
        }
    }
    true
}

/// The file's statements as one text, each ended on a line of its own, so that a statement
/// ending in a line comment is still ended.
fn text(file: &SqlFile) -> String {
    let mut text = String::new();
    for statement in &file.statements {
        text.push_str(file.text_of(statement));
        text.push_str("\n;\n");
    }
    text
}

/// Whether a statement begins, ends or prepares a transaction (`BEGIN`, `START TRANSACTION`,
/// `COMMIT`, `END`, `ROLLBACK`, `ABORT`, `PREPARE TRANSACTION`; also `ROLLBACK TO` and a
/// prepared statement's `PREPARE`, which a batch could take, but they are rare in migrations).
fn controls_transaction(statement: &Statement) -> bool {
    statement
        .significant()
        .next()
        .is_some_and(|token| match &token.token {
            Token::Word(word) => [
                "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "PREPARE",
            ]
            .iter()
            .any(|keyword| word.value.eq_ignore_ascii_case(keyword)),
            _ => false,
        })
}
