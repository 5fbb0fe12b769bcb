//! The servers a run replays on, started once from the options: one per dialect that has chains
//! to run, and for PostgreSQL one per major the run replays on (`--postgres-version`, else the
//! configuration's `engines.postgres`, else the one major found). A chain runs on the server
//! its `engine` names; a PostgreSQL chain is planned once and copied for each major.

use anyhow::Context as _;

use super::chain::{Chain, Start};
use super::{Engine, Input};
use crate::dialect::Dialect;
use crate::engine::postgres::{PostgresServer, PostgresSettings, PostgresSource};
use crate::engine::sqlite::SqliteServer;
use crate::engine::Server;
use crate::sql::SqlFile;

/// A server the run needs: its dialect and, for PostgreSQL on chosen majors, the major.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Slot {
    pub dialect: Dialect,
    /// `None`: the one PostgreSQL found (or the existing server), as without chosen majors.
    pub major: Option<u32>,
}

/// The PostgreSQL majors a run replays on: `--postgres-version` wins, else the configuration's
/// `engines.postgres`; empty means the one major found. An existing server (`--postgres-url`)
/// is the one server whatever the configuration says.
pub fn majors(options: &super::Options, configured: &[u32]) -> Vec<u32> {
    if matches!(options.postgres, PostgresSource::Existing(_)) {
        return Vec::new();
    }
    let mut majors = if options.postgres_versions.is_empty() {
        configured.to_vec()
    } else {
        options.postgres_versions.clone()
    };
    majors.sort_unstable();
    majors.dedup();
    majors
}

/// The servers for `chains`, in the order of `Dialect::ALL`: PostgreSQL once per major.
pub(super) fn slots(chains: &[Chain<'_>], majors: &[u32]) -> Vec<Slot> {
    let mut slots = Vec::new();
    for dialect in Dialect::ALL {
        if !chains.iter().any(|chain| chain.dialect == dialect) {
            continue;
        }
        match dialect {
            Dialect::Postgres if !majors.is_empty() => {
                slots.extend(majors.iter().map(|&major| Slot {
                    dialect,
                    major: Some(major),
                }));
            }
            _ => slots.push(Slot {
                dialect,
                major: None,
            }),
        }
    }
    slots
}

/// Gives each chain its server: a chain of a dialect with several servers (PostgreSQL on several
/// majors) is copied once per server, the copies side by side so that each major's `fresh` is
/// among the first chains to run.
pub(super) fn assign<'a>(chains: Vec<Chain<'a>>, slots: &[Slot]) -> Vec<Chain<'a>> {
    let mut assigned = Vec::with_capacity(chains.len());
    for chain in chains {
        for (index, slot) in slots.iter().enumerate() {
            if slot.dialect == chain.dialect {
                assigned.push(Chain {
                    engine: index,
                    ..chain.clone()
                });
            }
        }
    }
    assigned
}

pub(super) struct Engines {
    servers: Vec<Box<dyn Server>>,
}

impl Engines {
    /// Starts a server for each slot, taking the clusters started while the static checks ran
    /// where there are some. The servers of several majors start at once, each on its thread
    /// (`Prestart`), so a second major costs its start only where it is the slower one.
    pub(super) fn start(
        input: &Input<'_>,
        chains: &[Chain<'_>],
        slots: &[Slot],
    ) -> anyhow::Result<Engines> {
        let mut servers = Vec::new();
        for slot in slots {
            let sql = sql_of(slot.dialect, input.files, chains);
            servers.push(start_server(*slot, input, &sql)?);
        }
        Ok(Engines { servers })
    }

    /// The server that runs `chain`.
    pub(super) fn server(&self, chain: &Chain<'_>) -> anyhow::Result<&dyn Server> {
        self.servers
            .get(chain.engine)
            .filter(|server| server.dialect() == chain.dialect)
            .map(|server| &**server)
            .with_context(|| format!("{} was not started", chain.dialect.engine()))
    }

    /// Each server, for the summary, in the order of the chains' `engine`.
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

/// Starts the server of `slot`. `sql` is every text its chains will run.
fn start_server(slot: Slot, input: &Input<'_>, sql: &[&str]) -> anyhow::Result<Box<dyn Server>> {
    let (store, options) = (input.store, input.options);
    Ok(match slot.dialect {
        Dialect::Postgres => {
            let settings = PostgresSettings {
                source: &options.postgres,
                cache_dir: &options.cache_dir,
                replay_as: options.replay_as,
                privileges: &store.config.privileges,
            };
            match input.prestart.and_then(|p| p.take(slot.major)) {
                Some(started) => Box::new(PostgresServer::on(started?, &settings, sql)?),
                None => match (slot.major, &options.postgres) {
                    (Some(major), PostgresSource::Throwaway(binaries)) => {
                        let server =
                            PostgresServer::start_major(major, binaries, &options.cache_dir)?;
                        Box::new(PostgresServer::on(server, &settings, sql)?)
                    }
                    _ => Box::new(PostgresServer::start(&settings, sql)?),
                },
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::Options;

    #[test]
    fn the_flag_wins_over_the_configuration_and_an_existing_server_takes_none() {
        let mut options = Options::default();
        assert_eq!(majors(&options, &[17, 15]), vec![15, 17]);
        options.postgres_versions = vec![16];
        assert_eq!(majors(&options, &[15, 17]), vec![16]);
        options.postgres = PostgresSource::Existing("postgres://localhost/x".to_string());
        assert!(majors(&options, &[15, 17]).is_empty());
    }

    #[test]
    fn each_postgres_chain_is_copied_once_per_major() {
        let chains = vec![
            Chain::new(Dialect::Postgres, Start::Empty),
            Chain::new(Dialect::Sqlite, Start::Empty),
        ];
        let slots = slots(&chains, &[15, 17]);
        assert_eq!(slots.len(), 3);
        let assigned = assign(chains, &slots);
        let engines: Vec<(Dialect, usize)> =
            assigned.iter().map(|c| (c.dialect, c.engine)).collect();
        assert_eq!(
            engines,
            vec![
                (Dialect::Postgres, 0),
                (Dialect::Postgres, 1),
                (Dialect::Sqlite, 2)
            ]
        );
        assert!(assigned.iter().all(|c| c.name == "full"));
    }
}
