//! An existing PostgreSQL server given by URL (`--postgres-url`), on which the replay works in
//! scratch databases of its own.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::str::FromStr;
use std::sync::OnceLock;

use anyhow::{bail, Context, Result};
use postgres::Client;
use regex::Regex;

use super::admin;
use super::registry::{install_signal_handler, ScratchDatabases};

/// Databases every server has. They are used by their own names; every other name is a
/// scratch database of this run and gets the run's prefix, so the replay can never touch a
/// database of the server's owner.
const BUILT_IN_DATABASES: [&str; 3] = ["postgres", "template0", "template1"];

/// A server the tool did not start. Scratch databases are named
/// `vm_<pid>_<random>_<name>`, and those still there at the end are dropped on
/// [`ExistingServer::close`], on drop, and by the signal handler.
///
/// Neither `Display` nor `Debug` nor any error shows the URL's password.
pub struct ExistingServer {
    config: postgres::Config,
    redacted_url: String,
    maintenance_database: String,
    prefix: String,
    scratch: ScratchDatabases,
}

impl fmt::Display for ExistingServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PostgreSQL server at {}", self.redacted_url)
    }
}

impl fmt::Debug for ExistingServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExistingServer")
            .field("url", &self.redacted_url)
            .field("maintenance_database", &self.maintenance_database)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl ExistingServer {
    /// Parses `url` (a `postgres://` URL or a `key=value` string), connects once to check it,
    /// and prepares the prefix of this run's scratch databases. The URL's database, if it
    /// names one, is where administrative statements run; else `postgres`.
    pub fn open(url: &str) -> Result<ExistingServer> {
        let redacted_url = redact_url(url);
        let mut config = postgres::Config::from_str(url)
            .with_context(|| format!("reading the PostgreSQL URL {redacted_url}"))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(admin::CONNECT_TIMEOUT);
        }
        let maintenance_database = config
            .get_dbname()
            .unwrap_or(BUILT_IN_DATABASES[0])
            .to_string();
        config.dbname(&maintenance_database);
        install_signal_handler()?;
        let mut random = RandomState::new().build_hasher();
        random.write_u32(std::process::id());
        let prefix = format!(
            "vm_{}_{:08x}_",
            std::process::id(),
            random.finish() & 0xffff_ffff
        );
        let server = ExistingServer {
            scratch: ScratchDatabases::register(config.clone()),
            config,
            redacted_url,
            maintenance_database,
            prefix,
        };
        server.connect_maintenance()?;
        Ok(server)
    }

    /// The URL with its password replaced by `***`.
    pub fn redacted_url(&self) -> &str {
        &self.redacted_url
    }

    /// The name a database has on the server: built-in databases keep theirs, every other
    /// name gets this run's prefix.
    pub fn database_name(&self, name: &str) -> Result<String> {
        let real = if BUILT_IN_DATABASES.contains(&name) {
            name.to_string()
        } else {
            format!("{}{name}", self.prefix)
        };
        admin::check_database_name(&real)?;
        Ok(real)
    }

    /// The connection parameters for `database` (a name as the replay knows it).
    pub fn connection_config(&self, database: &str) -> Result<postgres::Config> {
        let mut config = self.config.clone();
        config.dbname(&self.database_name(database)?);
        Ok(config)
    }

    /// The connection parameters of the maintenance database (the URL's).
    pub fn admin_config(&self) -> postgres::Config {
        self.config.clone()
    }

    /// Opens a connection to `database` (a name as the replay knows it).
    pub fn connect(&self, database: &str) -> Result<Client> {
        let real = self.database_name(database)?;
        admin::connect_within(
            &self.connection_config(database)?,
            &format!("database {real} of the {self}"),
        )
    }

    /// Opens a connection to `database` (a name as the replay knows it) as `role`, with its
    /// password.
    pub fn connect_as(&self, database: &str, role: &str, password: &str) -> Result<Client> {
        let real = self.database_name(database)?;
        let mut config = self.connection_config(database)?;
        config.user(role).password(password);
        admin::connect_within(&config, &format!("database {real} of the {self} as {role}"))
    }

    /// Records a role of this run before it is created, so that it is dropped at the end.
    pub fn register_role(&self, role: &str) {
        self.scratch.add_role(role);
    }

    /// Forgets a role of this run that was dropped.
    pub fn forget_role(&self, role: &str) {
        self.scratch.remove_role(role);
    }

    /// Creates the scratch database `name`, copying `template` (a scratch database of this run,
    /// or a built-in one) when given.
    pub fn create_database(&self, name: &str, template: Option<&str>) -> Result<()> {
        self.create_scratch_database(name, None, template)
    }

    /// Creates the scratch database `name` owned by the role `owner` (its name on the server).
    pub fn create_database_owned_by(&self, name: &str, owner: &str) -> Result<()> {
        self.create_scratch_database(name, Some(owner), None)
    }

    fn create_scratch_database(
        &self,
        name: &str,
        owner: Option<&str>,
        template: Option<&str>,
    ) -> Result<()> {
        if BUILT_IN_DATABASES.contains(&name) {
            bail!("refusing to create database {name}: it is one of the server's own");
        }
        let real = self.database_name(name)?;
        let real_template = template.map(|t| self.database_name(t)).transpose()?;
        let mut client = self.connect_maintenance()?;
        self.scratch.add(&real);
        let created = admin::create_database(&mut client, &real, owner, real_template.as_deref());
        if created.is_err() {
            self.scratch.remove(&real);
        }
        created
    }

    /// Drops the scratch database `name` if it exists.
    pub fn drop_database(&self, name: &str) -> Result<()> {
        if BUILT_IN_DATABASES.contains(&name) {
            bail!("refusing to drop database {name}: it is one of the server's own");
        }
        let real = self.database_name(name)?;
        admin::drop_database(&mut self.connect_maintenance()?, &real)?;
        self.scratch.remove(&real);
        Ok(())
    }

    /// The server's `server_version`.
    pub fn server_version(&self) -> Result<String> {
        admin::server_version(&mut self.connect_maintenance()?)
    }

    /// Drops this run's remaining scratch databases, reporting a failure (drop does the same
    /// but can only print a warning).
    pub fn close(self) -> Result<()> {
        self.scratch
            .drop_all()
            .with_context(|| format!("dropping the scratch databases on the {self}"))
    }

    fn connect_maintenance(&self) -> Result<Client> {
        admin::connect_within(
            &self.config,
            &format!("database {} of the {self}", self.maintenance_database),
        )
    }
}

/// The URL with every password in it replaced by `***`: the `user:password@` of a URL,
/// `password=` (and `sslpassword=`) query parameters, and `password=` in a `key=value` string.
/// Where the URL is ambiguous, more is hidden rather than less.
pub fn redact_url(url: &str) -> String {
    static KEY_VALUE: OnceLock<Regex> = OnceLock::new();
    static QUERY: OnceLock<Regex> = OnceLock::new();
    match ["postgres://", "postgresql://"]
        .iter()
        .find_map(|scheme| url.strip_prefix(scheme).map(|rest| (scheme, rest)))
    {
        Some((scheme, rest)) => {
            let query = QUERY.get_or_init(|| {
                Regex::new(r"(?i)([?&](?:ssl)?password=)[^&]*").expect("the pattern is valid")
            });
            let rest = redact_user_info(rest);
            format!("{scheme}{}", query.replace_all(&rest, "${1}***"))
        }
        None => {
            let key_value = KEY_VALUE.get_or_init(|| {
                Regex::new(r"(?i)\b((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.|'')*'?|\S*)")
                    .expect("the pattern is valid")
            });
            key_value.replace_all(url, "${1}***").into_owned()
        }
    }
}

/// Hides what lies between the first `:` of the user info and the last `@`. Parsers differ
/// on which `@` ends the user info (tokio-postgres takes the first, others the last), so the
/// widest reading is hidden.
fn redact_user_info(rest: &str) -> String {
    let (Some(first_at), Some(last_at)) = (rest.find('@'), rest.rfind('@')) else {
        return rest.to_string();
    };
    match rest[..first_at].find(':') {
        Some(colon) => format!("{}***{}", &rest[..=colon], &rest[last_at..]),
        None => rest.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_in_every_url_form() {
        let cases = [
            (
                "postgres://alice:s3cret@db.example:5432/app",
                "postgres://alice:***@db.example:5432/app",
            ),
            (
                "postgresql://alice:p@ss:w0rd@host/app?sslmode=disable",
                "postgresql://alice:***@host/app?sslmode=disable",
            ),
            (
                "postgres://alice@host/app?password=s3cret&sslmode=require",
                "postgres://alice@host/app?password=***&sslmode=require",
            ),
            (
                "host=/run/pg user=alice password=s3cret dbname=app",
                "host=/run/pg user=alice password=*** dbname=app",
            ),
            (
                r"host=h password = 'it\'s s3cret' dbname=app",
                "host=h password = *** dbname=app",
            ),
            (
                "host=h PASSWORD='it''s s3cret' dbname=app",
                "host=h PASSWORD=*** dbname=app",
            ),
            ("postgres://alice@host/app", "postgres://alice@host/app"),
        ];
        for (url, expected) in cases {
            assert_eq!(redact_url(url), expected, "redacting {url}");
        }
    }
}
