//! The restore drill on PostgreSQL: the chain's database backed up as its operators back it up
//! (`pg_dump`, custom format) and restored as they would restore it (`pg_restore
//! --exit-on-error`) into a new, empty database of the same server, which the caller then reads
//! as it read the chain's. The archive goes from `pg_dump` to `pg_restore` through a pipe, each
//! program in a private folder of the run, and the folders and the restored database are removed
//! afterwards, as a chain's database is.

use std::ffi::OsStr;
use std::fs::File;
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use postgres::config::Host;

use super::process::postgres_command;
use super::registry::PrivateDir;
use super::{cluster, PgServer, PostgresDatabase};
use crate::engine::{Database, Drill};

/// `pg_dump` and `pg_restore` of one folder, of a major at least the server's: `pg_dump`
/// refuses a newer server.
#[derive(Clone, Debug)]
pub struct DumpTools {
    bin_dir: PathBuf,
}

/// The programs the drill runs, or why a server cannot be drilled (with what to install).
pub type Tools = std::result::Result<DumpTools, String>;

impl DumpTools {
    /// The first of `dirs` that holds `pg_dump` and `pg_restore` whose `pg_dump --version` is of
    /// the major of `server_version` (`15.18 (Debian ...)`) or newer; else why the server is not
    /// drilled. `looked_in` names the folders for that message.
    pub fn find(dirs: &[PathBuf], server_version: &str, looked_in: &str) -> Tools {
        let server = major(server_version);
        let mut older = Vec::new();
        for dir in dirs {
            let Some(version) = dump_version(dir) else {
                continue;
            };
            if major(&version) >= server {
                return Ok(DumpTools {
                    bin_dir: dir.clone(),
                });
            }
            older.push(format!("{version} in {}", dir.display()));
        }
        let server_major = server.iter().map(u64::to_string).collect::<Vec<_>>();
        let server_major = server_major.join(".");
        let found = if older.is_empty() {
            format!("no pg_dump and pg_restore in {looked_in}")
        } else {
            format!("only an older pg_dump ({})", older.join(", "))
        };
        Err(format!(
            "{found}, and pg_dump refuses a server newer than itself: install the client \
             programs of PostgreSQL {server_major} or newer there (Debian and Ubuntu: apt-get \
             install postgresql-client-{server_major}, into /usr/lib/postgresql/{server_major}/bin; \
             Fedora: dnf install postgresql; macOS: brew install postgresql@{server_major})"
        ))
    }

    /// The folders an existing server's drill looks in: `pg_config --bindir`, every
    /// `/usr/lib/postgresql/*/bin` (newest first), then `PATH`.
    pub fn installed_dirs() -> Vec<PathBuf> {
        let mut dirs = Vec::new();
        if let Ok(output) = Command::new("pg_config")
            .arg("--bindir")
            .stderr(Stdio::null())
            .output()
        {
            let dir = String::from_utf8_lossy(&output.stdout).trim().to_string();
            if output.status.success() && !dir.is_empty() {
                dirs.push(PathBuf::from(dir));
            }
        }
        let mut versioned: Vec<(Vec<u64>, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                Some((major(&name), entry.path().join("bin")))
            })
            .collect();
        versioned.sort_by(|a, b| b.0.cmp(&a.0));
        dirs.extend(versioned.into_iter().map(|(_, dir)| dir));
        if let Some(path) = std::env::var_os("PATH") {
            dirs.extend(std::env::split_paths(&path));
        }
        dirs
    }

    fn program(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }
}

/// What `pg_dump --version` in `dir` says (`15.18`), where `dir` has both programs.
fn dump_version(dir: &Path) -> Option<String> {
    if !dir.join("pg_restore").is_file() {
        return None;
    }
    let output = Command::new(dir.join("pg_dump"))
        .arg("--version")
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let after = text.split("(PostgreSQL)").nth(1)?;
    after.split_whitespace().next().map(str::to_string)
}

/// The major of a version as numbers: `15.18` is [15], `9.6.24` is [9, 6] (before 10 the major
/// had two parts); what is not a number counts as 0.
fn major(version: &str) -> Vec<u64> {
    let number = version.split_whitespace().next().unwrap_or_default();
    let parts: Vec<u64> = number
        .split('.')
        .map(|part| {
            let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().unwrap_or(0)
        })
        .collect();
    match parts.first() {
        Some(&first) if first < 10 => parts.into_iter().take(2).collect(),
        Some(&first) => vec![first],
        None => vec![0],
    }
}

/// What a chain's database needs for its drill: its server, its name as the replay knows it,
/// and the programs (or why there are none).
pub struct DrillSource {
    pub server: Arc<PgServer>,
    pub database: String,
    pub tools: Tools,
    /// Whether the restored database is left to go with the server: on a throwaway cluster
    /// where the chains create no roles, as the chains' own databases are (`ChainAccess::close`
    /// says why); a role a chain created must be dropped, which needs its objects gone first.
    pub discarded_with_server: bool,
}

/// Dumps the chain's database, restores the dump into a new database and runs `work` on it;
/// the restored database is removed afterwards, unless it goes with the server. `pg_dump` writes its archive into a pipe that
/// `pg_restore` reads (a file would only be written and read back): the two run at once, each
/// in a private folder of its own that stops it should the run be interrupted. Each program
/// may run for `timeout`.
pub fn drill(
    source: &DrillSource,
    timeout: Duration,
    work: &mut dyn FnMut(&mut dyn Database),
) -> Result<Drill> {
    let tools = match &source.tools {
        Ok(tools) => tools,
        Err(why) => return Ok(Drill::NotDrilled(why.clone())),
    };
    let server = &source.server;
    let dump_dir = PrivateDir::create(&cluster::temp_base())?;
    let from = connection(server, &source.database)?;
    let (archive, pipe) = std::io::pipe().context("creating a pipe from pg_dump to pg_restore")?;
    let dumping = Running::start(
        &dump_dir,
        &tools.program("pg_dump"),
        &[OsStr::new("--format=custom")],
        &from,
        timeout,
        (Stdio::null(), pipe.into()),
    )?;
    // The restore's database is created while pg_dump runs (a small archive waits in the
    // pipe): the drill's time is the run's.
    let restored_name = format!("drill_{}", source.database);
    let drill = match server.create_database(&restored_name, None) {
        Ok(()) => {
            let dumped = Dumped {
                running: dumping,
                dir: dump_dir,
                archive,
            };
            restore(server, tools, dumped, &restored_name, timeout, work)
        }
        // pg_dump ends on the closed pipe, or is stopped with its folder.
        Err(error) => dump_dir.release().and(Err(error)),
    };
    if source.discarded_with_server {
        return drill;
    }
    let dropped = server.drop_database(&restored_name);
    let drill = drill?;
    dropped?;
    Ok(drill)
}

/// `pg_dump` as it runs: the program, its folder, and the pipe's end its archive comes out of.
struct Dumped {
    running: Running,
    dir: PrivateDir,
    archive: std::io::PipeReader,
}

/// `pg_restore --exit-on-error` of the archive `pg_dump` writes into the new database `name`,
/// then `work` on it. Where `pg_dump` fails, the backup failed; where `pg_restore` fails first,
/// `pg_dump` ends on the closed pipe, and the restore failed.
fn restore(
    server: &PgServer,
    tools: &DumpTools,
    dumped: Dumped,
    name: &str,
    timeout: Duration,
    work: &mut dyn FnMut(&mut dyn Database),
) -> Result<Drill> {
    let Dumped {
        running: dumping,
        dir: dump_dir,
        archive,
    } = dumped;
    let restore_dir = PrivateDir::create(&cluster::temp_base())?;
    let to = connection(server, name)?;
    let restoring = Running::start(
        &restore_dir,
        &tools.program("pg_restore"),
        &[OsStr::new("--exit-on-error")],
        &to,
        timeout,
        (archive.into(), Stdio::null()),
    )?;
    let backup = dumping.finish(&dump_dir)?;
    dump_dir.release()?;
    let restored = restoring.finish(&restore_dir)?;
    let drill = match (backup, restored) {
        (Err(failure), _) if !failure.broken_pipe => Drill::BackupFailed(failure.message),
        (_, Err(failure)) => Drill::Failed(failure.message),
        (Err(failure), Ok(())) => Drill::BackupFailed(failure.message),
        (Ok(()), Ok(())) => {
            let client = server.connect(name)?;
            let mut restored = PostgresDatabase::watched(client, server.admin_config())?;
            work(&mut restored);
            Drill::Restored
        }
    };
    restore_dir.release()?;
    Ok(drill)
}

/// The administrative user's connection to `database` (a name as the replay knows it).
fn connection(server: &PgServer, database: &str) -> Result<postgres::Config> {
    let mut config = server.admin_config();
    config.dbname(&server.database_name(database)?);
    Ok(config)
}

/// A backup or restore program started in the drill's private folder.
struct Running {
    /// `pg_dump`, for messages.
    name: String,
    /// The file its standard error goes to.
    errors: PathBuf,
    timeout: Duration,
    deadline: Instant,
}

impl Running {
    /// Starts `program` with `arguments` against the database of `config` (given by the libpq
    /// environment, so that no password shows in the process list), in `dir`, which stops it
    /// should the run be interrupted.
    fn start(
        dir: &PrivateDir,
        program: &Path,
        arguments: &[&OsStr],
        config: &postgres::Config,
        timeout: Duration,
        (stdin, stdout): (Stdio, Stdio),
    ) -> Result<Running> {
        let name = program.file_name().map_or_else(
            || program.display().to_string(),
            |name| name.to_string_lossy().into_owned(),
        );
        let errors = dir.path().join(format!("{name}.stderr"));
        let mut command = postgres_command(program, None);
        // pg_restore writes a script to its output unless given a database, so the database is
        // named on the command line for both programs.
        let database = config.get_dbname().unwrap_or_default();
        command
            .arg("--no-password")
            .arg(format!("--dbname={database}"))
            .args(arguments)
            .stdin(stdin)
            .stdout(stdout)
            .stderr(
                File::create(&errors).with_context(|| format!("creating {}", errors.display()))?,
            );
        libpq_environment(&mut command, config);
        dir.spawn(command, libc::SIGTERM)
            .with_context(|| format!("starting {}", program.display()))?;
        Ok(Running {
            name,
            errors,
            timeout,
            deadline: Instant::now() + timeout,
        })
    }

    /// Waits for the program to end: `Ok(Err(failure))` is its failure in its own words.
    fn finish(self, dir: &PrivateDir) -> Result<std::result::Result<(), Failed>> {
        let Running {
            name,
            errors,
            timeout,
            deadline,
        } = self;
        let status = match dir.wait_for_process(deadline) {
            Ok(status) => status,
            Err(_) if Instant::now() >= deadline => {
                return Ok(Err(Failed {
                    message: format!(
                        "{name} ran longer than the timeout of {timeout:?} and was stopped"
                    ),
                    broken_pipe: false,
                }))
            }
            Err(error) => return Err(error),
        };
        if status.success() {
            return Ok(Ok(()));
        }
        let text = std::fs::read_to_string(&errors)
            .with_context(|| format!("reading what {name} wrote to {}", errors.display()))?;
        let text = text.trim();
        Ok(Err(Failed {
            broken_pipe: status.signal() == Some(libc::SIGPIPE) || text.contains("Broken pipe"),
            message: if text.is_empty() {
                format!("{name} exited with {status}")
            } else {
                text.to_string()
            },
        }))
    }
}

/// A backup or restore program that failed.
struct Failed {
    /// In its own words, or its exit status where it wrote none.
    message: String,
    /// Whether it ended writing into a pipe nobody read any more: `pg_dump` after
    /// `pg_restore` stopped at an error, which is the restore's failure.
    broken_pipe: bool,
}

/// The connection of `config` as libpq's environment variables.
fn libpq_environment(command: &mut Command, config: &postgres::Config) {
    for variable in ["PGSERVICE", "PGSERVICEFILE", "PGOPTIONS", "PGPASSFILE"] {
        command.env_remove(variable);
    }
    // A URL may name several hosts (`localhost` and a `host=` socket folder): libpq tries them
    // in order, as the replay's own client does.
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|host| match host {
            Host::Tcp(name) => name.clone(),
            Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    if !hosts.is_empty() {
        command.env("PGHOST", hosts.join(","));
    }
    let ports: Vec<String> = config.get_ports().iter().map(u16::to_string).collect();
    if !ports.is_empty() {
        command.env("PGPORT", ports.join(","));
    }
    if let Some(user) = config.get_user() {
        command.env("PGUSER", user);
    }
    if let Some(password) = config.get_password() {
        command.env(
            "PGPASSWORD",
            std::ffi::OsString::from(String::from_utf8_lossy(password).into_owned()),
        );
    }
    let ssl = match config.get_ssl_mode() {
        postgres::config::SslMode::Disable => "disable",
        postgres::config::SslMode::Require => "require",
        _ => "prefer",
    };
    command.env("PGSSLMODE", ssl);
    if let Some(timeout) = config.get_connect_timeout() {
        command.env("PGCONNECT_TIMEOUT", timeout.as_secs().max(1).to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majors_have_one_part_from_10_and_two_before() {
        assert_eq!(major("15.18 (Debian 15.18-0+deb12u1)"), vec![15]);
        assert_eq!(major("17devel"), vec![17]);
        assert_eq!(major("9.6.24"), vec![9, 6]);
        assert!(major("16.1") > major("15.18"));
        assert!(major("10.0") > major("9.6"));
    }

    #[test]
    fn a_folder_without_the_programs_is_not_drilled_and_says_what_to_install() {
        let Err(why) = DumpTools::find(&[PathBuf::from("/nonexistent")], "15.18", "/nonexistent")
        else {
            panic!("a folder without pg_dump must not be used");
        };
        assert!(
            why.contains("no pg_dump and pg_restore in /nonexistent"),
            "{why}"
        );
        assert!(why.contains("postgresql-client-15"), "{why}");
    }
}
