//! The box an SQLite chain runs in. The migrations are someone else's code, and SQLite runs in
//! the tool's own process, with its user and its access to the machine's files: SQL that opens
//! or names a file of the host (`ATTACH`, `VACUUM INTO`, a pragma naming a directory), loads a
//! library, or changes a setting of the whole process is refused before it runs.
//!
//! The refusal comes from an authorizer, which SQLite consults while it prepares a statement,
//! so a refused statement has not done anything. The other settings narrow what SQL can reach
//! even where the authorizer does not look: no attached database at all, no extension loading,
//! no function of the schema run with the privileges of the tool (`trusted_schema` off), no
//! write to the database's internals (`SQLITE_DBCONFIG_DEFENSIVE`), and temporary tables kept
//! in memory rather than in files.

use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{bail, Context as _};
use rusqlite::config::DbConfig;
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::limits::Limit;
use rusqlite::Connection;

/// Why the last statement was refused, written by the authorizer and read once by the
/// statement's caller.
#[derive(Clone, Default)]
pub struct Denials(Arc<Mutex<Option<String>>>);

impl Denials {
    /// The reason the statement just prepared was refused, if it was, clearing it.
    pub fn take(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }

    fn record(&self, reason: String) {
        let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        // The first refusal of a statement is the one that stopped it.
        slot.get_or_insert(reason);
    }
}

/// Pragmas that name a directory of the host for SQLite's files.
const DIRECTORY_PRAGMAS: [&str; 2] = ["temp_store_directory", "data_store_directory"];

/// Pragmas that set a limit for the whole process, so for every chain at once.
const PROCESS_PRAGMAS: [&str; 2] = ["hard_heap_limit", "soft_heap_limit"];

/// Pragmas the box itself sets: a migration may read them, but setting them would undo it.
const BOX_PRAGMAS: [&str; 2] = ["trusted_schema", "temp_store"];

/// Closes the box around `connection` and returns where the authorizer records its refusals.
pub fn confine(connection: &mut Connection) -> anyhow::Result<Denials> {
    connection
        .set_limit(Limit::SQLITE_LIMIT_ATTACHED, 0)
        .context("cannot limit SQLite's attached databases")?;
    for (setting, value) in [
        (DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true),
        (DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false),
        (DbConfig::SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, false),
    ] {
        let now = connection
            .set_db_config(setting, value)
            .with_context(|| format!("cannot set SQLite's {setting:?}"))?;
        if now != value {
            bail!("SQLite did not accept {setting:?} = {value}");
        }
    }
    disable_extension_loading(connection)?;
    // Temporary tables and indexes live in memory: with the default, a migration's temporary
    // table would be written to a file in the host's temporary folder.
    connection
        .pragma_update(None, "temp_store", "MEMORY")
        .context("cannot set PRAGMA temp_store")?;
    let denials = Denials::default();
    let recorder = denials.clone();
    connection
        .authorizer(Some(move |context: AuthContext<'_>| {
            match refusal(&context.action) {
                Some(reason) => {
                    recorder.record(reason);
                    Authorization::Deny
                }
                None => Authorization::Allow,
            }
        }))
        .context("cannot install SQLite's authorizer")?;
    Ok(denials)
}

/// Turns `load_extension` off for the connection, both the C API and the SQL function. The
/// bundled library is built with extension loading compiled in, and rusqlite does not name
/// this setting.
fn disable_extension_loading(connection: &Connection) -> anyhow::Result<()> {
    let mut now: std::os::raw::c_int = -1;
    // SAFETY: the handle is the open connection's, used on this thread only while the call
    // runs; the variadic arguments are the int and the int pointer this option takes.
    let code = unsafe {
        rusqlite::ffi::sqlite3_db_config(
            connection.handle(),
            rusqlite::ffi::SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION,
            0 as std::os::raw::c_int,
            &mut now as *mut std::os::raw::c_int,
        )
    };
    if code != rusqlite::ffi::SQLITE_OK || now != 0 {
        bail!("cannot turn SQLite's extension loading off (code {code}, state {now})");
    }
    Ok(())
}

/// The reason the box refuses `sql` before SQLite sees it, for what the authorizer cannot tell
/// apart: `VACUUM INTO` reaches the authorizer only as the attach of its file, and inside the
/// replay's transaction SQLite refuses any `VACUUM` before it gets that far, with a message
/// that hides what the statement would have done.
pub fn refused_statement(sql: &str) -> Option<String> {
    let words = words(sql);
    let vacuum_into =
        words.first().is_some_and(|w| w == "VACUUM") && words.iter().any(|w| w == "INTO");
    vacuum_into.then(|| {
        "VACUUM INTO writes a copy of the database to a file: the replay runs on the host and \
         writes no file a migration names, and a migration that makes a backup depends on \
         files beside the service's database"
            .to_string()
    })
}

/// The words of `sql` in upper case, without comments and string literals.
fn words(sql: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        let skip_until: Option<&str> = match (c, chars.peek()) {
            ('-', Some('-')) => Some("\n"),
            ('/', Some('*')) => Some("*/"),
            ('\'', _) => Some("'"),
            _ => None,
        };
        if c.is_alphanumeric() || c == '_' {
            word.push(c.to_ascii_uppercase());
            continue;
        }
        if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        if let Some(end) = skip_until {
            let mut seen = String::new();
            if c != '\'' {
                chars.next();
            }
            for c in chars.by_ref() {
                seen.push(c);
                if seen.ends_with(end) {
                    break;
                }
            }
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Why the box refuses an action, or `None` where it allows it.
fn refusal(action: &AuthAction<'_>) -> Option<String> {
    match action {
        AuthAction::Attach { filename } => Some(format!(
            "ATTACH opens the file {filename:?} on the machine that runs the replay, and a \
             migration can rely on no database but the service's own"
        )),
        AuthAction::Detach { database_name } => Some(format!(
            "DETACH of {database_name:?}: the replay attaches no database, and a migration can \
             rely on no database but the service's own"
        )),
        AuthAction::Pragma {
            pragma_name,
            pragma_value,
        } => {
            let name = pragma_name.to_ascii_lowercase();
            if DIRECTORY_PRAGMAS.contains(&name.as_str()) {
                Some(format!(
                    "PRAGMA {name} names a directory of the host for SQLite's files: the \
                     replay runs on the host and lets no migration choose where files go"
                ))
            } else if PROCESS_PRAGMAS.contains(&name.as_str()) && pragma_value.is_some() {
                Some(format!(
                    "PRAGMA {name} sets a limit for the whole process: in the replay it would \
                     change every chain at once, and in the service every connection"
                ))
            } else if BOX_PRAGMAS.contains(&name.as_str()) && pragma_value.is_some() {
                Some(format!(
                    "setting PRAGMA {name} would undo the replay's confinement of untrusted \
                     SQL (it keeps {name} as it is), and a migration has no need to change it"
                ))
            } else {
                None
            }
        }
        AuthAction::Function { function_name }
            if function_name.eq_ignore_ascii_case("load_extension") =>
        {
            Some(
                "load_extension() loads a library into the process: the replay loads none, \
                 and the service's database would need the same library installed"
                    .to_string(),
            )
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vacuum_into_is_told_from_vacuum() {
        assert!(refused_statement("VACUUM INTO '/tmp/y.db'").is_some());
        assert!(refused_statement("-- copy\n/* first */ vacuum main into 'y.db'").is_some());
        assert_eq!(refused_statement("VACUUM"), None);
        assert_eq!(refused_statement("VACUUM 'into'"), None);
        assert_eq!(refused_statement("INSERT INTO vacuum VALUES (1)"), None);
    }

    #[test]
    fn pragmas_migrations_use_are_allowed() {
        for (name, value) in [
            ("foreign_keys", Some("ON")),
            ("user_version", Some("3")),
            ("table_info", Some("memo")),
            ("trusted_schema", None),
            ("legacy_alter_table", Some("ON")),
        ] {
            let action = AuthAction::Pragma {
                pragma_name: name,
                pragma_value: value,
            };
            assert_eq!(refusal(&action), None, "{name}");
        }
    }

    #[test]
    fn pragmas_that_reach_outside_the_database_are_refused() {
        for (name, value) in [
            ("temp_store_directory", Some("'/tmp'")),
            ("TEMP_STORE_DIRECTORY", None),
            ("data_store_directory", Some("'/tmp'")),
            ("hard_heap_limit", Some("1")),
            ("trusted_schema", Some("ON")),
            ("temp_store", Some("FILE")),
        ] {
            let action = AuthAction::Pragma {
                pragma_name: name,
                pragma_value: value,
            };
            assert!(refusal(&action).is_some(), "{name}");
        }
    }
}
