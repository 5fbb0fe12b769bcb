//! The throwaway cluster: a private PostgreSQL server for one run of the tool.

use std::ffi::CString;
use std::fmt;
use std::fs::{self, File};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use postgres::{Client, NoTls};

use super::admin;
use super::binaries::PgBinaries;
use super::datadir::{self, CacheEntry};
use super::process::{postgres_command, RunAs};
use super::registry::{install_signal_handler, PrivateDir};

/// The port only names the socket file (`.s.PGSQL.5432`): the server listens on no TCP
/// address, and every cluster has a socket directory of its own, so the port never clashes.
const PORT: u16 = 5432;

/// The superuser `initdb -U` creates; authentication is `trust`, so there is no password.
const SUPERUSER: &str = "postgres";

/// The database every cluster has, used for administrative statements.
const MAINTENANCE_DATABASE: &str = "postgres";

/// How long `initdb` may take: over a second on a slow disk, a lot more on a busy machine.
const INITDB_TIMEOUT: Duration = Duration::from_secs(120);

/// How many lines of a log an error message quotes.
const LOG_TAIL_LINES: usize = 20;

/// How a cluster is started.
#[derive(Clone, Debug)]
pub struct ClusterOptions {
    /// Where initialized data directories are cached, one per PostgreSQL version (the tool
    /// passes `target/validate-migrations/`). Without it, every start runs `initdb`.
    pub cache_dir: Option<PathBuf>,
    /// How long the server may take to accept connections, from its launch.
    pub startup_timeout: Duration,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions {
            cache_dir: None,
            startup_timeout: Duration::from_secs(10),
        }
    }
}

/// Where a cluster's data directory came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataDirOrigin {
    /// `initdb` ran, and no cache was asked for.
    Initdb,
    /// `initdb` ran, and its result was stored in the cache at this path.
    InitdbStoredInCache(PathBuf),
    /// Copied from the cache at this path.
    Cache(PathBuf),
    /// `initdb` ran because the cache entry at `path` could not be used (`reason`), and its
    /// result replaced the entry.
    InitdbRepairedCache { path: PathBuf, reason: String },
}

/// How a start went, for reports.
#[derive(Clone, Debug)]
pub struct StartupReport {
    pub data_dir_origin: DataDirOrigin,
    /// From the call of `start` until the data directory was ready.
    pub data_dir_ready_after: Duration,
    /// From the call of `start` until the server accepted a connection.
    pub accepting_connections_after: Duration,
}

/// A PostgreSQL server of this run, in a private temporary directory
/// (`validate-migrations-pg-<pid>-<random>`, under `/dev/shm` where possible) that holds its
/// data directory, its socket directory and its log.
///
/// The server is stopped and the directory removed by [`Cluster::stop`], on drop (so on an
/// error or a panic too), and on SIGINT/SIGTERM/SIGHUP by the signal handler. When the tool is
/// killed outright, the server receives SIGQUIT from the kernel (Linux's parent-death signal)
/// and the next start removes the directory.
#[derive(Debug)]
pub struct Cluster {
    dir: PrivateDir,
    binaries: PgBinaries,
    run_as: Option<RunAs>,
    pid: u32,
    startup: StartupReport,
}

impl fmt::Display for Cluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "throwaway cluster in {} ({})",
            self.dir.path().display(),
            self.binaries
        )
    }
}

impl Cluster {
    /// Creates the private directory, prepares a data directory (from the cache, or with
    /// `initdb`), starts `postgres` and waits until it accepts connections. When a server
    /// started from a copy of the cache does not come up, the cache entry is discarded and
    /// the start is tried once more, with `initdb`.
    pub fn start(binaries: &PgBinaries, options: &ClusterOptions) -> Result<Cluster> {
        let mut copied_from = None;
        let error = match Cluster::start_once(binaries, options, &mut copied_from) {
            Ok(cluster) => return Ok(cluster),
            Err(error) => error,
        };
        let Some(cached) = copied_from.take() else {
            return Err(error);
        };
        datadir::discard(&cached).with_context(|| {
            format!(
                "after a failed start from a copy of {}: {error:#}",
                cached.display()
            )
        })?;
        let mut cluster =
            Cluster::start_once(binaries, options, &mut copied_from).with_context(|| {
                format!(
                    "after a failed start from a copy of {}: {error:#}",
                    cached.display()
                )
            })?;
        if cluster.startup.data_dir_origin == DataDirOrigin::InitdbStoredInCache(cached.clone()) {
            cluster.startup.data_dir_origin = DataDirOrigin::InitdbRepairedCache {
                path: cached,
                reason: format!(
                    "a server started from a copy of it failed: {}",
                    first_line(&error)
                ),
            };
        }
        Ok(cluster)
    }

    /// One attempt of `start`; `copied_from` is set when the data directory was copied from
    /// the cache.
    fn start_once(
        binaries: &PgBinaries,
        options: &ClusterOptions,
        copied_from: &mut Option<PathBuf>,
    ) -> Result<Cluster> {
        let started = Instant::now();
        install_signal_handler()?;
        let run_as = RunAs::for_this_process()?;
        let dir = PrivateDir::create(&temp_base())?;
        if let Some(user) = &run_as {
            user.chown(dir.path())?;
        }
        let socket_dir = create_socket_dir(&dir, run_as.as_ref())?;

        let data_dir_origin = prepare_data_dir(&dir, binaries, options, run_as.as_ref())?;
        if let DataDirOrigin::Cache(cached) = &data_dir_origin {
            *copied_from = Some(cached.clone());
        }
        let scram = major_version(binaries.version()).is_none_or(|major| major >= 10);
        let hba_path = write_hba(&dir, scram, run_as.as_ref())?;
        let data_dir_ready_after = started.elapsed();

        let launch = Launch {
            binaries,
            run_as: run_as.as_ref(),
            socket_dir: &socket_dir,
            hba_path: &hba_path,
            scram,
        };
        let pid = launch.spawn(&dir)?;

        let mut cluster = Cluster {
            dir,
            binaries: binaries.clone(),
            run_as,
            pid,
            startup: StartupReport {
                data_dir_origin,
                data_dir_ready_after,
                accepting_connections_after: Duration::ZERO,
            },
        };
        // On an error the cluster is dropped, which stops the server and removes the directory.
        cluster.wait_until_ready(Instant::now() + options.startup_timeout)?;
        cluster.startup.accepting_connections_after = started.elapsed();
        Ok(cluster)
    }

    /// Stops the server (immediate shutdown, killed after a deadline) and removes the
    /// private directory.
    pub fn stop(self) -> Result<()> {
        self.dir
            .release()
            .context("stopping the throwaway PostgreSQL cluster")
    }

    pub fn binaries(&self) -> &PgBinaries {
        &self.binaries
    }

    /// The user the server runs as when the tool runs as root.
    pub fn run_as(&self) -> Option<&RunAs> {
        self.run_as.as_ref()
    }

    /// The process id of the server (the postmaster).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The private directory that holds everything of this cluster.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The directory of the server's unix socket: the `host` to connect to.
    pub fn socket_dir(&self) -> PathBuf {
        self.dir.path().join("socket")
    }

    /// The port, which with a unix socket only names the socket file.
    pub fn port(&self) -> u16 {
        PORT
    }

    /// The server's log.
    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("postgres.log")
    }

    pub fn startup(&self) -> &StartupReport {
        &self.startup
    }

    /// The connection parameters for `database`: the socket directory as host, the port,
    /// user `postgres`, no password.
    pub fn connection_config(&self, database: &str) -> postgres::Config {
        let mut config = postgres::Config::new();
        config
            .host_path(self.socket_dir())
            .port(PORT)
            .user(SUPERUSER)
            .dbname(database)
            .connect_timeout(admin::CONNECT_TIMEOUT);
        config
    }

    /// The connection parameters of the maintenance database, as the superuser.
    pub fn admin_config(&self) -> postgres::Config {
        self.connection_config(MAINTENANCE_DATABASE)
    }

    /// Opens a connection to `database`.
    pub fn connect(&self, database: &str) -> Result<Client> {
        self.connection_config(database)
            .connect(NoTls)
            .with_context(|| format!("connecting to database {database} of the {self}"))
    }

    /// Opens a connection to `database` as `role`, with its password.
    pub fn connect_as(&self, database: &str, role: &str, password: &str) -> Result<Client> {
        let mut config = self.connection_config(database);
        config.user(role).password(password);
        config
            .connect(NoTls)
            .with_context(|| format!("connecting to database {database} of the {self} as {role}"))
    }

    /// Creates a database, copying `template` when given (which must have no other sessions).
    pub fn create_database(&self, name: &str, template: Option<&str>) -> Result<()> {
        admin::create_database(
            &mut self.connect(MAINTENANCE_DATABASE)?,
            name,
            None,
            template,
        )
    }

    /// Creates a database owned by the role `owner`.
    pub fn create_database_owned_by(&self, name: &str, owner: &str) -> Result<()> {
        admin::create_database(
            &mut self.connect(MAINTENANCE_DATABASE)?,
            name,
            Some(owner),
            None,
        )
    }

    /// Drops a database if it exists, ending its sessions.
    pub fn drop_database(&self, name: &str) -> Result<()> {
        admin::drop_database(&mut self.connect(MAINTENANCE_DATABASE)?, name)
    }

    /// The server's `server_version`, e.g. `15.14 (Debian 15.14-0+deb12u1)`.
    pub fn server_version(&self) -> Result<String> {
        admin::server_version(&mut self.connect(MAINTENANCE_DATABASE)?)
    }

    /// Polls with real connections until one succeeds, the server exits, or the deadline
    /// passes.
    fn wait_until_ready(&self, deadline: Instant) -> Result<()> {
        let socket = self.socket_dir().join(format!(".s.PGSQL.{PORT}"));
        let mut config = self.connection_config(MAINTENANCE_DATABASE);
        config.connect_timeout(Duration::from_secs(1));
        let mut last_error = None;
        loop {
            if let Some(status) = self.dir.process_exit()? {
                bail!(
                    "postgres exited while starting ({status}); end of {}:\n{}",
                    self.log_path().display(),
                    log_tail(&self.log_path())
                );
            }
            // Until the socket exists, a connection attempt can only fail.
            if socket.exists() {
                match config.connect(NoTls) {
                    Ok(_) => return Ok(()),
                    Err(error) => last_error = Some(error),
                }
            }
            if Instant::now() >= deadline {
                let last_error = last_error.map_or_else(
                    || "its socket never appeared".to_string(),
                    |e| e.to_string(),
                );
                bail!(
                    "PostgreSQL did not accept connections in time ({last_error}); end of {}:\n{}",
                    self.log_path().display(),
                    log_tail(&self.log_path())
                );
            }
            thread::sleep(Duration::from_millis(5));
        }
    }
}

/// Fills `<dir>/data`: a copy of the cached data directory when there is a usable one, else
/// `initdb` (whose result is then cached, when a cache was asked for, replacing an unusable
/// entry).
fn prepare_data_dir(
    dir: &PrivateDir,
    binaries: &PgBinaries,
    options: &ClusterOptions,
    run_as: Option<&RunAs>,
) -> Result<DataDirOrigin> {
    let data_dir = dir.path().join("data");
    let Some(cache_dir) = &options.cache_dir else {
        run_initdb(dir, binaries, run_as)?;
        return Ok(DataDirOrigin::Initdb);
    };
    datadir::reap(cache_dir);
    let cached = datadir::cache_path(cache_dir, binaries.version());
    let unusable = match datadir::check(&cached, binaries.bin_dir()) {
        CacheEntry::Usable => {
            datadir::copy_tree(&cached, &data_dir, run_as)?;
            return Ok(DataDirOrigin::Cache(cached));
        }
        CacheEntry::Missing => None,
        CacheEntry::Unusable(reason) => {
            datadir::discard(&cached)?;
            Some(reason)
        }
    };
    // initdb runs in the private directory (on tmpfs where possible) rather than in the
    // cache, which is usually on a slower disk; the copy into the cache is cheap.
    run_initdb(dir, binaries, run_as)?;
    datadir::store(&data_dir, &cached, binaries.bin_dir())?;
    Ok(match unusable {
        None => DataDirOrigin::InitdbStoredInCache(cached),
        Some(reason) => DataDirOrigin::InitdbRepairedCache {
            path: cached,
            reason,
        },
    })
}

/// Runs `initdb` into `<dir>/data`, with its output in `<dir>/initdb.log`.
fn run_initdb(dir: &PrivateDir, binaries: &PgBinaries, run_as: Option<&RunAs>) -> Result<()> {
    let log_path = dir.path().join("initdb.log");
    let log =
        File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
    let log_for_stdout = log
        .try_clone()
        .with_context(|| format!("duplicating the handle of {}", log_path.display()))?;
    let initdb = binaries.initdb();
    let mut command = postgres_command(&initdb, run_as);
    command
        .arg("-D")
        .arg(dir.path().join("data"))
        .args(["-A", "trust", "-U", SUPERUSER, "--no-sync"])
        .args(["--locale=C", "-E", "UTF8"])
        // A fixed zone makes the cached data directory the same on every machine, and spares
        // initdb its search of the zone database for the system's zone.
        .env("TZ", "UTC")
        .stdin(Stdio::null())
        .stdout(log_for_stdout)
        .stderr(log)
        .process_group(0);
    dir.spawn(command, libc::SIGTERM)
        .with_context(|| format!("starting {}", initdb.display()))?;
    let status = dir
        .wait_for_process(Instant::now() + INITDB_TIMEOUT)
        .with_context(|| format!("running {}", initdb.display()))?;
    if !status.success() {
        bail!(
            "{} failed ({status}); end of {}:\n{}",
            initdb.display(),
            log_path.display(),
            log_tail(&log_path)
        );
    }
    Ok(())
}

/// Who may connect, and how: the tool's superuser without a password over the private socket
/// (nothing else can reach it), every other role only with its password, which for the chains'
/// roles only the tool knows. So a migration cannot open a connection of its own back to the
/// server (`dblink`, `postgres_fdw`) as any role: PostgreSQL's own rule already refuses a
/// non-superuser a connection that asked for no password, and this refuses the chains' roles.
fn host_based_authentication(scram: bool) -> String {
    let method = if scram { "scram-sha-256" } else { "md5" };
    format!(
        "# Written by validate-migrations for this run's throwaway cluster.\n\
         local all {SUPERUSER} trust\n\
         local all all {method}\n"
    )
}

/// The major version of a `postgres --version` number: `15.14` is 15, `9.6.24` is 9.
fn major_version(version: &str) -> Option<u32> {
    version.split('.').next()?.parse().ok()
}

/// The first line of an error and its causes, for a one-line report.
fn first_line(error: &anyhow::Error) -> String {
    format!("{error:#}")
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The last lines of a log, for error messages.
fn log_tail(path: &Path) -> String {
    match fs::read_to_string(path) {
        Ok(content) => {
            let lines: Vec<&str> = content.lines().collect();
            lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n")
        }
        Err(error) => format!("(could not read {}: {error})", path.display()),
    }
}

/// `/dev/shm` when it exists and is writable (tmpfs makes initdb several times faster), else
/// the system's temporary directory. The restore drill's backups go there too.
pub(crate) fn temp_base() -> PathBuf {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() && is_writable(shm) {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

fn is_writable(path: &Path) -> bool {
    let Ok(c_path) = CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: c_path is a valid NUL-terminated string.
    unsafe { libc::access(c_path.as_ptr(), libc::W_OK | libc::X_OK) == 0 }
}

/// The socket folder inside the private folder, the server's only way in: mode 0700, owned by
/// the user the server runs as.
fn create_socket_dir(dir: &PrivateDir, run_as: Option<&RunAs>) -> Result<PathBuf> {
    let socket_dir = dir.path().join("socket");
    check_socket_path_length(&socket_dir)?;
    fs::create_dir(&socket_dir).with_context(|| format!("creating {}", socket_dir.display()))?;
    fs::set_permissions(&socket_dir, fs::Permissions::from_mode(0o700))
        .with_context(|| format!("setting the mode of {}", socket_dir.display()))?;
    if let Some(user) = run_as {
        user.chown(&socket_dir)?;
    }
    Ok(socket_dir)
}

/// Writes the cluster's `pg_hba.conf` into the private folder (`scram` where the server knows
/// SCRAM passwords) and returns its path.
fn write_hba(dir: &PrivateDir, scram: bool, run_as: Option<&RunAs>) -> Result<PathBuf> {
    let hba_path = dir.path().join("pg_hba.conf");
    fs::write(&hba_path, host_based_authentication(scram))
        .with_context(|| format!("writing {}", hba_path.display()))?;
    if let Some(user) = run_as {
        user.chown(&hba_path)?;
    }
    Ok(hba_path)
}

/// How `postgres` is started on a prepared private folder.
struct Launch<'a> {
    binaries: &'a PgBinaries,
    run_as: Option<&'a RunAs>,
    socket_dir: &'a Path,
    hba_path: &'a Path,
    /// Whether passwords are SCRAM (PostgreSQL 10 and later).
    scram: bool,
}

impl Launch<'_> {
    /// Starts `postgres` on `dir`'s data directory, listening only on the socket folder, its
    /// output in `postgres.log`, and returns its process id; the private folder kills it with
    /// `SIGQUIT` when it goes.
    fn spawn(&self, dir: &PrivateDir) -> Result<u32> {
        let log_path = dir.path().join("postgres.log");
        let log =
            File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
        let log_for_stdout = log
            .try_clone()
            .with_context(|| format!("duplicating the handle of {}", log_path.display()))?;
        let postgres = self.binaries.postgres();
        let mut command = postgres_command(&postgres, self.run_as);
        command
            .arg("-D")
            .arg(dir.path().join("data"))
            .arg("-k")
            .arg(self.socket_dir)
            .arg("-p")
            .arg(PORT.to_string())
            .args(["-c", "listen_addresses="])
            .arg("-c")
            .arg(format!("hba_file={}", self.hba_path.display()))
            .args([
                "-c",
                if self.scram {
                    "password_encryption=scram-sha-256"
                } else {
                    "password_encryption=on"
                },
            ])
            // The data is thrown away, so durability buys nothing.
            .args(["-c", "fsync=off"])
            .args(["-c", "full_page_writes=off"])
            .args(["-c", "synchronous_commit=off"])
            // Dynamic shared memory goes into files in the data directory rather than into
            // /dev/shm, so that even a killed server leaves nothing outside its directory.
            .args(["-c", "dynamic_shared_memory_type=mmap"])
            .stdin(Stdio::null())
            .stdout(log_for_stdout)
            .stderr(log)
            // A terminal's Ctrl-C then reaches only the tool, which stops the server itself.
            .process_group(0);
        dir.spawn(command, libc::SIGQUIT)
            .with_context(|| format!("starting {}", postgres.display()))
    }
}

/// A unix socket's path must fit in `sockaddr_un.sun_path`; a long temporary directory
/// (macOS's `/var/folders/...`) would otherwise make the server fail with a vaguer message.
fn check_socket_path_length(socket_dir: &Path) -> Result<()> {
    // SAFETY: sockaddr_un is plain old data; it is only measured.
    let capacity = unsafe { std::mem::zeroed::<libc::sockaddr_un>() }
        .sun_path
        .len();
    let socket = socket_dir.join(format!(".s.PGSQL.{PORT}"));
    if socket.as_os_str().len() >= capacity {
        bail!(
            "the socket path {} is longer than the {} bytes a unix socket path may have; set \
             TMPDIR to a shorter directory",
            socket.display(),
            capacity - 1
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_tail_keeps_the_last_lines() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let log = dir.path().join("log");
        let content: Vec<String> = (1..=30).map(|n| format!("line {n}")).collect();
        fs::write(&log, content.join("\n"))?;
        let tail = log_tail(&log);
        assert!(tail.starts_with("line 11\n"));
        assert!(tail.ends_with("line 30"));
        Ok(())
    }

    #[test]
    fn an_overlong_socket_path_is_refused() {
        let long = PathBuf::from(format!("/tmp/{}", "d".repeat(120)));
        assert!(check_socket_path_length(&long).is_err());
        assert!(check_socket_path_length(Path::new("/dev/shm/x/socket")).is_ok());
    }
}
