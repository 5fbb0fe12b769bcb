//! Each chain's database and the role it runs as.
//!
//! No production service connects as a superuser, so neither does a chain: by default it runs
//! as a fresh role that owns the chain's database and has no other right (no superuser, no
//! `CREATEROLE`, no membership in `pg_read_server_files`, `pg_write_server_files`,
//! `pg_execute_server_program` or `pg_signal_backend`). A migration that needs more is refused
//! by PostgreSQL as it would be on the service's database, and cannot reach the host: `COPY ...
//! TO PROGRAM`, server-side file functions and untrusted extensions all need superuser. The
//! role's password is random and known only to the tool, and the throwaway cluster asks every
//! role but the tool's superuser for it, so a connection that a migration opens back to the
//! server (`dblink`, `postgres_fdw`) is refused.
//!
//! Roles are cluster-wide, unlike everything else a migration creates. Where chains may create
//! roles (the configuration grants `CREATEROLE`, or chains run as superuser) they run one at a
//! time, and the roles each one created are dropped after it, so that the next chain can create
//! them again.

use std::collections::BTreeSet;
use std::fmt;
use std::io::Read as _;

use anyhow::{Context as _, Result};
use postgres::Client;

use super::admin::{self, quote_identifier, quote_literal};
use super::PgServer;
use crate::config::{Privileges, RoleAttribute};

/// Who the chains connect as (`--replay-as`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReplayAs {
    /// A fresh role per chain that owns the chain's database: what a service has.
    #[default]
    Owner,
    /// The server's superuser: for a tree that truly needs it; unsafe for untrusted migrations.
    Superuser,
}

impl std::str::FromStr for ReplayAs {
    type Err = String;

    fn from_str(text: &str) -> Result<ReplayAs, String> {
        match text {
            "owner" => Ok(ReplayAs::Owner),
            "superuser" => Ok(ReplayAs::Superuser),
            _ => Err(format!("`{text}` is not `owner` or `superuser`")),
        }
    }
}

/// How the chains of a run get their databases: decided once per run from the options, the
/// configuration and what the server's administrative user may do.
#[derive(Clone, Debug)]
pub struct ChainAccess {
    /// The chains' own role's attributes; `None` where chains run as the server's
    /// administrative user (`--replay-as superuser`, or an existing server whose user cannot
    /// create roles).
    own_role: Option<Vec<RoleAttribute>>,
    superuser_extensions: Vec<String>,
    /// Whether a chain can create roles, which then must be dropped before the next chain.
    creates_roles: bool,
    /// Why privileges are not checked as the service's role would meet them, where they are not.
    unchecked: Option<String>,
    /// Whether a new database's schema `public` belongs to the bootstrap superuser (before
    /// PostgreSQL 15), so that it must be handed to the chain's role, as it is the service's.
    public_owned_by_superuser: bool,
}

/// What the administrative user of the server may do.
struct AdminRights {
    name: String,
    superuser: bool,
    create_role: bool,
    /// `server_version_num`, e.g. 150014.
    version_number: i32,
}

impl ChainAccess {
    /// `tree_creates_roles` tells whether the tree's SQL may create roles at all; where it does
    /// and the chains' role can, chains run one at a time.
    pub fn decide(
        server: &PgServer,
        replay_as: ReplayAs,
        privileges: &Privileges,
        tree_creates_roles: bool,
    ) -> Result<ChainAccess> {
        let rights = admin_rights(server)?;
        let superuser_extensions = privileges.superuser_extensions.clone();
        let public_owned_by_superuser = rights.version_number < 150_000;
        if replay_as == ReplayAs::Superuser {
            return Ok(ChainAccess {
                own_role: None,
                superuser_extensions,
                creates_roles: tree_creates_roles,
                unchecked: Some(format!(
                    "the chains ran as the server's user {}, not as the service's own role \
                     (--replay-as superuser): statements that need superuser were not refused",
                    rights.name
                )),
                public_owned_by_superuser,
            });
        }
        if !rights.superuser {
            return Ok(ChainAccess {
                own_role: None,
                superuser_extensions,
                creates_roles: tree_creates_roles && rights.create_role,
                unchecked: Some(format!(
                    "the server's user {} is not a superuser, so the chains ran as that user \
                     rather than as roles of their own with only the configured rights",
                    rights.name
                )),
                public_owned_by_superuser,
            });
        }
        let attributes = privileges.role_attributes.clone();
        Ok(ChainAccess {
            creates_roles: tree_creates_roles && attributes.contains(&RoleAttribute::CreateRole),
            own_role: Some(attributes),
            superuser_extensions,
            unchecked: None,
            public_owned_by_superuser,
        })
    }

    /// Whether chains may create roles, and so must run one at a time.
    pub fn creates_roles(&self) -> bool {
        self.creates_roles
    }

    /// Why the chains' privileges are not those of the service's role, where they are not.
    pub fn unchecked(&self) -> Option<&str> {
        self.unchecked.as_deref()
    }

    /// Creates the chain's database (named `name` as the replay knows it), its role and the
    /// configured extensions, and connects to it as the chain will run.
    pub fn open(&self, server: &PgServer, name: &str) -> Result<(ChainScope, Client)> {
        let mut maintenance = server.connect_admin()?;
        let mut scope = ChainScope {
            database: name.to_string(),
            role: None,
            roles_before: if self.creates_roles {
                Some(role_names(&mut maintenance)?)
            } else {
                None
            },
        };
        let Some(attributes) = &self.own_role else {
            server.create_database(name, None)?;
            self.prepare_database(server, name, None)?;
            return Ok((scope, server.connect(name)?));
        };
        let role = server.database_name(name)?;
        let password = random_password()?;
        server.register_role(&role);
        scope.role = Some(role.clone());
        create_role(&mut maintenance, &role, &password, attributes)?;
        drop(maintenance);
        server.create_database_owned_by(name, &role)?;
        self.prepare_database(server, name, Some(&role))?;
        let client = server.connect_as(name, &role, &password)?;
        Ok((scope, client))
    }

    /// What an administrator does to a new database before the service's migrations run, over
    /// one administrative connection: hands `public` to the owner where PostgreSQL gives it to
    /// the bootstrap superuser (before 15), and creates the configured untrusted extensions. One
    /// the server lacks is left to the chain, whose own `CREATE EXTENSION` then reports it as
    /// not installed at its file and line.
    fn prepare_database(
        &self,
        server: &PgServer,
        database: &str,
        owner: Option<&str>,
    ) -> Result<()> {
        let owner = owner.filter(|_| self.public_owned_by_superuser);
        if owner.is_none() && self.superuser_extensions.is_empty() {
            return Ok(());
        }
        let mut client = server.connect(database)?;
        if let Some(owner) = owner {
            let statement = format!("ALTER SCHEMA public OWNER TO {}", quote_identifier(owner));
            client
                .batch_execute(&statement)
                .with_context(|| format!("running `{statement}`"))?;
        }
        for extension in &self.superuser_extensions {
            let statement = format!(
                "CREATE EXTENSION IF NOT EXISTS {}",
                quote_identifier(extension)
            );
            if let Err(error) = client.batch_execute(&statement) {
                let unavailable = error
                    .as_db_error()
                    .is_some_and(|db| db.code().code() == "0A000" || db.code().code() == "58P01");
                if !unavailable {
                    return Err(error).with_context(|| {
                        format!("running `{statement}` (replay.superuser-extensions)")
                    });
                }
            }
        }
        Ok(())
    }

    /// Drops the chain's database, the roles the chain created and the chain's own role. On a
    /// throwaway cluster, where the chain created no role, nothing is dropped: the database
    /// and the chain's role go with the cluster at the end of the run, and each `DROP
    /// DATABASE` costs a checkpoint that also slows the chains running beside it. Roles a chain
    /// created are still dropped (after the database, where they may own objects), so that
    /// the next chain finds none of them.
    pub fn close(&self, server: &PgServer, scope: ChainScope) -> Result<()> {
        if matches!(server, PgServer::Throwaway(_)) && scope.roles_before.is_none() {
            return Ok(());
        }
        server.drop_database(&scope.database)?;
        let mut admin = server.connect_admin()?;
        if let Some(before) = &scope.roles_before {
            let created: Vec<String> = role_names(&mut admin)?
                .difference(before)
                .filter(|role| Some(*role) != scope.role.as_ref())
                .cloned()
                .collect();
            for role in created {
                admin::drop_role(&mut admin, &role)
                    .with_context(|| format!("dropping role {role}, which the chain created"))?;
            }
        }
        if let Some(role) = &scope.role {
            admin::drop_role(&mut admin, role)?;
            server.forget_role(role);
        }
        Ok(())
    }
}

/// One chain's database and role, to be closed with [`ChainAccess::close`].
pub struct ChainScope {
    database: String,
    /// The chain's own role, by its name on the server.
    role: Option<String>,
    /// The roles that existed before the chain, where it may create some.
    roles_before: Option<BTreeSet<String>>,
}

impl fmt::Debug for ChainScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChainScope")
            .field("database", &self.database)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

fn admin_rights(server: &PgServer) -> Result<AdminRights> {
    let row = server
        .connect_admin()?
        .query_one(
            "SELECT current_user::text, rolsuper, rolcreaterole, \
             current_setting('server_version_num')::int FROM pg_roles \
             WHERE rolname = current_user",
            &[],
        )
        .context("reading what the server's user may do")?;
    Ok(AdminRights {
        name: row.try_get(0).context("reading current_user")?,
        superuser: row.try_get(1).context("reading rolsuper")?,
        create_role: row.try_get(2).context("reading rolcreaterole")?,
        version_number: row.try_get(3).context("reading server_version_num")?,
    })
}

fn role_names(client: &mut Client) -> Result<BTreeSet<String>> {
    Ok(client
        .query("SELECT rolname::text FROM pg_roles", &[])
        .context("listing the server's roles")?
        .iter()
        .map(|row| row.get(0))
        .collect())
}

/// `CREATE ROLE` for a chain: it may log in with `password`, and has the configured attributes
/// and no other.
fn create_role(
    client: &mut Client,
    role: &str,
    password: &str,
    attributes: &[RoleAttribute],
) -> Result<()> {
    let mut statement = format!("CREATE ROLE {} LOGIN NOSUPERUSER", quote_identifier(role));
    for attribute in RoleAttribute::ALL {
        let granted = attributes.contains(&attribute);
        statement.push_str(if granted { " " } else { " NO" });
        statement.push_str(attribute.keyword());
    }
    let shown = format!("{statement} PASSWORD '***'");
    statement.push_str(" PASSWORD ");
    statement.push_str(&quote_literal(password));
    client
        .batch_execute(&statement)
        .with_context(|| format!("running `{shown}`"))
}

/// 32 hexadecimal digits from the kernel's random source: a chain role's password, which
/// nothing but the tool ever sees.
fn random_password() -> Result<String> {
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut file| file.read_exact(&mut bytes))
        .context("reading /dev/urandom for a role's password")?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_random_and_long() -> Result<()> {
        let first = random_password()?;
        assert_eq!(first.len(), 32);
        assert_ne!(first, random_password()?);
        Ok(())
    }

    #[test]
    fn replay_as_reads_its_two_values() {
        assert_eq!("owner".parse(), Ok(ReplayAs::Owner));
        assert_eq!("superuser".parse(), Ok(ReplayAs::Superuser));
        assert!("root".parse::<ReplayAs>().is_err());
    }
}
