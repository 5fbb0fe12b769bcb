//! The few administrative statements the replay needs, shared by the throwaway cluster and an
//! existing server.

use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use postgres::{Client, NoTls};

/// The longest identifier PostgreSQL keeps (NAMEDATALEN - 1 bytes); longer ones are silently
/// truncated, which could make two names one.
const MAX_IDENTIFIER_BYTES: usize = 63;

/// How long a connection attempt may take before it is given up.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects within `CONNECT_TIMEOUT`, the whole handshake included. The driver's own
/// `connect_timeout` bounds only the socket's connection: a server (or anything else on the
/// port) that accepts and then never answers would hold the run forever. The attempt runs on a
/// thread of its own, which is left behind, blocked, when it does not end in time.
pub fn connect_within(config: &postgres::Config, what: &str) -> Result<Client> {
    let (sender, receiver) = std::sync::mpsc::channel();
    let attempt = config.clone();
    std::thread::Builder::new()
        .name("postgres-connect".into())
        .spawn(move || {
            // The receiver is gone only when the caller gave up waiting.
            let _ = sender.send(attempt.connect(NoTls));
        })
        .context("starting the thread that connects to PostgreSQL")?;
    match receiver.recv_timeout(CONNECT_TIMEOUT) {
        Ok(connected) => connected.with_context(|| format!("connecting to {what}")),
        Err(_) => bail!(
            "connecting to {what}: the server did not complete the connection within {} \
             seconds (it accepted the socket but did not answer); check the URL's host and port",
            CONNECT_TIMEOUT.as_secs()
        ),
    }
}

/// Checks that `name` is usable as a database name as it is.
pub fn check_database_name(name: &str) -> Result<()> {
    ensure!(!name.is_empty(), "a database name must not be empty");
    ensure!(
        name.len() <= MAX_IDENTIFIER_BYTES,
        "database name {name:?} is longer than PostgreSQL's {MAX_IDENTIFIER_BYTES} bytes"
    );
    ensure!(
        !name.contains('\0'),
        "database name {name:?} contains a NUL character"
    );
    Ok(())
}

/// Quotes an identifier for SQL.
pub fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes a string literal for SQL (standard strings, as every supported server reads them).
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `CREATE DATABASE name [OWNER owner] [TEMPLATE template]`.
pub fn create_database(
    client: &mut Client,
    name: &str,
    owner: Option<&str>,
    template: Option<&str>,
) -> Result<()> {
    check_database_name(name)?;
    let mut statement = format!("CREATE DATABASE {}", quote_identifier(name));
    if let Some(owner) = owner {
        statement.push_str(" OWNER ");
        statement.push_str(&quote_identifier(owner));
    }
    if let Some(template) = template {
        check_database_name(template)?;
        statement.push_str(" TEMPLATE ");
        statement.push_str(&quote_identifier(template));
    }
    client
        .batch_execute(&statement)
        .with_context(|| format!("running `{statement}`"))
}

/// Drops a database if it exists, ending the sessions still connected to it where the server
/// can (PostgreSQL 13 and later).
pub fn drop_database(client: &mut Client, name: &str) -> Result<()> {
    check_database_name(name)?;
    let version_number = server_version_number(client)?;
    let mut statement = format!("DROP DATABASE IF EXISTS {}", quote_identifier(name));
    if version_number >= 130_000 {
        statement.push_str(" WITH (FORCE)");
    }
    client
        .batch_execute(&statement)
        .with_context(|| format!("running `{statement}`"))
}

/// Drops a database over a connection of its own, for cleanups that have no client at hand.
pub fn drop_database_with(config: &postgres::Config, name: &str) -> Result<()> {
    let mut client = config
        .connect(NoTls)
        .with_context(|| format!("connecting to drop database {name}"))?;
    drop_database(&mut client, name)
}

/// Drops a role if it exists, over a connection of its own, for cleanups that have no client at
/// hand.
pub fn drop_role_with(config: &postgres::Config, name: &str) -> Result<()> {
    let mut client = config
        .connect(NoTls)
        .with_context(|| format!("connecting to drop role {name}"))?;
    drop_role(&mut client, name)
}

/// `DROP ROLE IF EXISTS name`.
pub fn drop_role(client: &mut Client, name: &str) -> Result<()> {
    let statement = format!("DROP ROLE IF EXISTS {}", quote_identifier(name));
    client
        .batch_execute(&statement)
        .with_context(|| format!("running `{statement}`"))
}

/// `SHOW server_version`, e.g. `15.14 (Debian 15.14-0+deb12u1)`.
pub fn server_version(client: &mut Client) -> Result<String> {
    let row = client
        .query_one("SHOW server_version", &[])
        .context("running `SHOW server_version`")?;
    row.try_get(0).context("reading server_version")
}

fn server_version_number(client: &mut Client) -> Result<u32> {
    let row = client
        .query_one("SHOW server_version_num", &[])
        .context("running `SHOW server_version_num`")?;
    let text: String = row.try_get(0).context("reading server_version_num")?;
    match text.trim().parse() {
        Ok(number) => Ok(number),
        Err(_) => bail!("server_version_num is not a number: {text:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_with_inner_quotes_doubled() {
        assert_eq!(quote_identifier("plain"), "\"plain\"");
        assert_eq!(quote_identifier("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn names_that_postgresql_would_truncate_are_refused() {
        assert!(check_database_name(&"x".repeat(63)).is_ok());
        assert!(check_database_name(&"x".repeat(64)).is_err());
        assert!(check_database_name("").is_err());
    }
}
