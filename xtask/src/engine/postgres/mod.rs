//! PostgreSQL for the replay: a throwaway server of this run ([`Cluster`]), or an existing
//! server given by URL ([`ExistingServer`]), behind one API ([`PgServer`]).
//!
//! A throwaway cluster needs no Docker and no setup: the server binaries are found on the
//! machine ([`PgBinaries::find`]) or downloaded, `initdb` runs into a private temporary
//! directory (or a cached data directory is copied), and `postgres` is started directly,
//! listening only on a unix socket of its own. Nothing of it outlives the run: see
//! [`Cluster`] for how that is guaranteed.

mod admin;
mod binaries;
mod chain_role;
mod cluster;
mod database;
mod datadir;
mod dump;
mod existing;
#[cfg(feature = "fetch-postgres")]
mod fetch;
mod find;
mod marker;
mod npm;
mod process;
mod registry;
mod server;
mod watchdog;

use std::fmt;

use anyhow::Result;
use postgres::Client;

pub use binaries::{BinariesOptions, BinariesOrigin, PgBinaries};
pub use chain_role::{ChainAccess, ChainScope, ReplayAs};
pub(crate) use cluster::temp_base;
pub use cluster::{Cluster, ClusterOptions, DataDirOrigin, StartupReport};
pub use database::PostgresDatabase;
pub use existing::{redact_url, ExistingServer};
#[cfg(feature = "fetch-postgres")]
pub use fetch::FetchSource;
#[cfg(feature = "fetch-postgres")]
pub use pg_embed::pg_fetch::PostgresVersion;
pub use process::RunAs;
pub(crate) use registry::PrivateDir;
pub use registry::{abandon_run, report_cleanup_problems_to};
pub use server::{PostgresServer, PostgresSettings, PostgresSource};

/// The server the replay runs on. Database names are the replay's own: on an existing server
/// they are mapped to this run's scratch databases.
#[derive(Debug)]
pub enum PgServer {
    /// A throwaway cluster of this run.
    Throwaway(Cluster),
    /// A server given by URL.
    Existing(ExistingServer),
}

impl fmt::Display for PgServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PgServer::Throwaway(cluster) => cluster.fmt(f),
            PgServer::Existing(server) => server.fmt(f),
        }
    }
}

impl PgServer {
    /// The connection parameters of the administrative database, whose user may cancel and
    /// terminate the chains' sessions (the watchdog's).
    pub fn admin_config(&self) -> postgres::Config {
        match self {
            PgServer::Throwaway(cluster) => cluster.admin_config(),
            PgServer::Existing(server) => server.admin_config(),
        }
    }

    /// Opens a connection to `database`.
    pub fn connect(&self, database: &str) -> Result<Client> {
        match self {
            PgServer::Throwaway(cluster) => cluster.connect(database),
            PgServer::Existing(server) => server.connect(database),
        }
    }

    /// Opens a connection to the administrative database (the maintenance database of a
    /// throwaway cluster, the URL's database of an existing server), as the administrative user.
    pub fn connect_admin(&self) -> Result<Client> {
        admin::connect_within(&self.admin_config(), &format!("the {self}"))
    }

    /// Opens a connection to `database` as `role`, with its password.
    pub fn connect_as(&self, database: &str, role: &str, password: &str) -> Result<Client> {
        match self {
            PgServer::Throwaway(cluster) => cluster.connect_as(database, role, password),
            PgServer::Existing(server) => server.connect_as(database, role, password),
        }
    }

    /// Records a role of this run before it is created, so that it is dropped at the end
    /// whatever happens (a throwaway cluster goes with all its roles).
    pub fn register_role(&self, role: &str) {
        if let PgServer::Existing(server) = self {
            server.register_role(role);
        }
    }

    /// Forgets a role of this run that was dropped.
    pub fn forget_role(&self, role: &str) {
        if let PgServer::Existing(server) = self {
            server.forget_role(role);
        }
    }

    /// Creates a database, copying `template` when given.
    pub fn create_database(&self, name: &str, template: Option<&str>) -> Result<()> {
        match self {
            PgServer::Throwaway(cluster) => cluster.create_database(name, template),
            PgServer::Existing(server) => server.create_database(name, template),
        }
    }

    /// Creates a database owned by the role `owner` (its name on the server).
    pub fn create_database_owned_by(&self, name: &str, owner: &str) -> Result<()> {
        match self {
            PgServer::Throwaway(cluster) => cluster.create_database_owned_by(name, owner),
            PgServer::Existing(server) => server.create_database_owned_by(name, owner),
        }
    }

    /// Drops a database if it exists.
    pub fn drop_database(&self, name: &str) -> Result<()> {
        match self {
            PgServer::Throwaway(cluster) => cluster.drop_database(name),
            PgServer::Existing(server) => server.drop_database(name),
        }
    }

    /// The name `database` has on the server (for messages): the same on a throwaway
    /// cluster, prefixed on an existing server.
    pub fn database_name(&self, database: &str) -> Result<String> {
        match self {
            PgServer::Throwaway(_) => Ok(database.to_string()),
            PgServer::Existing(server) => server.database_name(database),
        }
    }

    /// The server's `server_version`, e.g. `15.14 (Debian 15.14-0+deb12u1)`.
    pub fn server_version(&self) -> Result<String> {
        match self {
            PgServer::Throwaway(cluster) => cluster.server_version(),
            PgServer::Existing(server) => server.server_version(),
        }
    }

    /// Stops the throwaway cluster, or drops this run's scratch databases on the existing
    /// server; errors are reported (dropping does the same, but can only warn).
    pub fn close(self) -> Result<()> {
        match self {
            PgServer::Throwaway(cluster) => cluster.stop(),
            PgServer::Existing(server) => server.close(),
        }
    }
}
