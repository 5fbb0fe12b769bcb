//! PostgreSQL extensions in the replay. `CREATE EXTENSION vector` fails on a server that does not
//! have the extension installed: a fact of the machine that runs the replay, not a problem of the
//! tree, so it has a code of its own, and the configuration can list extensions whose chains are
//! not replayed (`replay.skip-extensions`).

use sqlparser::tokenizer::Token;

use crate::engine::StatementError;
use crate::sql::token::is_keyword;
use crate::sql::{SqlFile, Statement};

/// The extension a `CREATE EXTENSION [IF NOT EXISTS] name` statement creates, lower-cased as
/// PostgreSQL folds an unquoted name; `None` for any other statement.
pub fn created(file: &SqlFile, statement: &Statement) -> Option<String> {
    if !file.dialect.spec().has_extensions() {
        return None;
    }
    let mut tokens = statement.significant().map(|token| &token.token);
    if !tokens.next().is_some_and(|t| is_keyword(t, "CREATE"))
        || !tokens.next().is_some_and(|t| is_keyword(t, "EXTENSION"))
    {
        return None;
    }
    let mut name = tokens.next()?;
    if is_keyword(name, "IF") {
        let _not = tokens.next()?;
        let _exists = tokens.next()?;
        name = tokens.next()?;
    }
    match name {
        Token::Word(word) if word.quote_style.is_some() => Some(word.value.clone()),
        Token::Word(word) => Some(word.value.to_ascii_lowercase()),
        _ => None,
    }
}

/// The extension the server lacks, where `error` is PostgreSQL's answer to a `CREATE EXTENSION`
/// of an extension that is not installed: SQLSTATE 0A000 with `extension "x" is not available`,
/// or, on older servers, `could not open extension control file`.
pub fn missing(file: &SqlFile, statement: &Statement, error: &StatementError) -> Option<String> {
    let name = created(file, statement)?;
    let unavailable = error.sqlstate.as_deref() == Some("0A000")
        || error.message.contains("is not available")
        || error
            .message
            .contains("could not open extension control file");
    unavailable.then_some(name)
}

#[cfg(test)]
mod tests {
    use crate::dialect::Dialect;
    use std::path::PathBuf;

    use super::*;
    use crate::source::SourceFile;
    use crate::sql::Role;

    fn names(dialect: Dialect, text: &str) -> Vec<Option<String>> {
        let source = SourceFile::new(PathBuf::from("t.sql"), "t.sql".into(), text.into());
        let file = SqlFile::load(source, dialect, Role::Seed);
        file.statements
            .iter()
            .map(|statement| created(&file, statement))
            .collect()
    }

    #[test]
    fn the_created_extension_is_read_from_the_tokens() {
        assert_eq!(
            names(
                Dialect::Postgres,
                "CREATE EXTENSION vector;\n\
                 create extension if not exists PG_TRGM with schema public;\n\
                 CREATE EXTENSION \"uuid-ossp\";\n\
                 CREATE TABLE extension (a int);"
            ),
            [
                Some("vector".to_string()),
                Some("pg_trgm".to_string()),
                Some("uuid-ossp".to_string()),
                None
            ]
        );
        assert_eq!(names(Dialect::Sqlite, "CREATE EXTENSION vector;"), [None]);
    }

    #[test]
    fn only_an_unavailable_extension_is_missing() {
        let source = SourceFile::new(
            PathBuf::from("t.sql"),
            "t.sql".into(),
            "CREATE EXTENSION vector;".into(),
        );
        let file = SqlFile::load(source, Dialect::Postgres, Role::Seed);
        let error = |message: &str, sqlstate: &str| StatementError {
            message: message.into(),
            sqlstate: Some(sqlstate.into()),
            offset: None,
            timed_out: false,
            denied: false,
        };
        let statement = &file.statements[0];
        assert_eq!(
            missing(
                &file,
                statement,
                &error("extension \"vector\" is not available", "0A000")
            ),
            Some("vector".to_string())
        );
        assert_eq!(
            missing(&file, statement, &error("permission denied", "42501")),
            None
        );
    }
}
