//! The servers a run replays on, started once from the options: one per dialect that has chains
//! to run. A dialect's chains go to its server; another server of a dialect (a second PostgreSQL
//! major) would be one more entry.

use anyhow::Context as _;

use super::chain::{Chain, Start};
use super::{Engine, Input, Prestart};
use crate::dialect::Dialect;
use crate::engine::postgres::{PostgresServer, PostgresSettings};
use crate::engine::sqlite::SqliteServer;
use crate::engine::Server;
use crate::sql::SqlFile;

pub(super) struct Engines {
    servers: Vec<Box<dyn Server>>,
}

impl Engines {
    /// Starts a server for each dialect that `chains` hold, in the order of `Dialect::ALL`,
    /// taking the cluster started while the static checks ran where there is one.
    pub(super) fn start(input: &Input<'_>, chains: &[Chain<'_>]) -> anyhow::Result<Engines> {
        let mut servers = Vec::new();
        for dialect in Dialect::ALL {
            if chains.iter().any(|chain| chain.dialect == dialect) {
                let sql = sql_of(dialect, input.files, chains);
                servers.push(start_server(dialect, input, &sql)?);
            }
        }
        Ok(Engines { servers })
    }

    /// The server that runs `dialect`'s chains.
    pub(super) fn server(&self, dialect: Dialect) -> anyhow::Result<&dyn Server> {
        self.servers
            .iter()
            .find(|server| server.dialect() == dialect)
            .map(|server| &**server)
            .with_context(|| format!("{} was not started", dialect.engine()))
    }

    /// Each server, for the summary.
    pub(super) fn describe(&self) -> Vec<Engine> {
        self.servers
            .iter()
            .map(|server| Engine {
                dialect: server.dialect(),
                version: server.version().to_string(),
                origin: server.origin(),
                location: server.location(),
            })
            .collect()
    }

    /// Why chains did not run with only the service's rights, where a server says so.
    pub(super) fn unchecked(&self) -> Option<String> {
        self.servers
            .iter()
            .find_map(|server| server.unchecked().map(str::to_string))
    }

    /// Stops every server; the first error is returned once all were asked to stop.
    pub(super) fn close(self) -> anyhow::Result<()> {
        let mut result = Ok(());
        for server in self.servers {
            let closed = server.close();
            if result.is_ok() {
                result = closed;
            }
        }
        result
    }
}

/// Starts the server of `dialect`. `sql` is every text its chains will run.
fn start_server(
    dialect: Dialect,
    input: &Input<'_>,
    sql: &[&str],
) -> anyhow::Result<Box<dyn Server>> {
    let (store, options) = (input.store, input.options);
    Ok(match dialect {
        Dialect::Postgres => {
            let settings = PostgresSettings {
                source: &options.postgres,
                cache_dir: &options.cache_dir,
                replay_as: options.replay_as,
                privileges: &store.config.privileges,
            };
            match input.prestart.and_then(Prestart::take) {
                Some(started) => Box::new(PostgresServer::on(started?, &settings, sql)?),
                None => Box::new(PostgresServer::start(&settings, sql)?),
            }
        }
        Dialect::Sqlite => Box::new(SqliteServer::new(store.config.sqlite_foreign_keys)),
    })
}

/// The text of every file of `dialect` that its chains may run: the tree's, and the fresh-install
/// scripts of the release tags the upgrade chains start from.
fn sql_of<'a>(dialect: Dialect, files: &'a [SqlFile], chains: &'a [Chain<'_>]) -> Vec<&'a str> {
    let released = chains.iter().filter_map(|chain| match &chain.start {
        Start::Release { latest, .. } => Some(&**latest),
        _ => None,
    });
    files
        .iter()
        .chain(released)
        .filter(|file| file.dialect == dialect)
        .map(|file| file.source.text.as_str())
        .collect()
}
