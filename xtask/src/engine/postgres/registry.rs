//! Everything of this process that must not outlive it: private directories (with the process
//! working in each) and scratch databases on existing servers. A signal handler, installed
//! once, cleans all of them up on Ctrl-C or SIGTERM; owners clean up their own on drop.
//!
//! All bookkeeping and every stop happen under one lock. The signal handler takes the lock
//! and never gives it back (it ends the process), so a cleanup that has started always
//! finishes, and nothing is cleaned up twice.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use super::admin;
use super::process::{process_exists, spawn_from_lasting_thread, stop_child};

/// The name prefix of every directory this module creates for a run; the owning pid follows,
/// so that a later run can tell a stale directory from a live one.
const DIR_PREFIX: &str = "validate-migrations-pg-";

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    next_id: 0,
    dirs: BTreeMap::new(),
    scratch: BTreeMap::new(),
});

struct Registry {
    next_id: u64,
    dirs: BTreeMap<u64, DirEntry>,
    scratch: BTreeMap<u64, ScratchEntry>,
}

impl Registry {
    fn allocate_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

struct DirEntry {
    path: PathBuf,
    /// The process working in the directory, with the signal that stops it.
    process: Option<(Child, libc::c_int)>,
}

struct ScratchEntry {
    config: postgres::Config,
    databases: Vec<String>,
    /// Roles of this run: dropped after the databases, which they may own.
    roles: Vec<String>,
}

impl ScratchEntry {
    /// Drops every database, then every role, going on past failures; returns the first.
    fn drop_everything(&self) -> Result<()> {
        let mut first_error = None;
        for database in &self.databases {
            if let Err(error) = admin::drop_database_with(&self.config, database) {
                first_error.get_or_insert(error);
            }
        }
        for role in &self.roles {
            if let Err(error) = admin::drop_role_with(&self.config, role) {
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

fn lock() -> MutexGuard<'static, Registry> {
    // A panic while the lock was held must not stop the cleanup of everything else.
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Installs the handler for SIGINT, SIGTERM and SIGHUP, once per process. On a signal it stops
/// every registered process, removes every registered directory, drops every scratch database,
/// and exits with 128 + the signal number (130 for SIGINT, 143 for SIGTERM).
pub fn install_signal_handler() -> Result<()> {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            let mut signals = Signals::new([SIGINT, SIGTERM, SIGHUP])
                .map_err(|error| format!("installing the signal handler: {error}"))?;
            // The handler runs on a thread of its own, not in signal context, so it may take
            // locks, wait for processes and talk to servers.
            thread::Builder::new()
                .name("postgres-cleanup-on-signal".to_string())
                .spawn(move || {
                    if let Some(signal) = signals.forever().next() {
                        let _never_released = clean_up_everything();
                        std::process::exit(128 + signal);
                    }
                })
                .map(drop)
                .map_err(|error| format!("starting the signal handler thread: {error}"))
        })
        .clone()
        .map_err(|message| anyhow!(message))
}

/// Cleans up everything registered, for a process about to exit from elsewhere than the
/// signal handler: nothing registered can start again, since the lock is never released.
pub fn abandon_run() {
    std::mem::forget(clean_up_everything());
}

/// Cleans up everything registered and returns the lock, which the caller keeps until the
/// process ends so that no owner starts anything new.
fn clean_up_everything() -> MutexGuard<'static, Registry> {
    let mut registry = lock();
    for entry in std::mem::take(&mut registry.dirs).into_values() {
        if let Err(error) = retire_dir(entry) {
            eprintln!("warning: {error:#}");
        }
    }
    for entry in std::mem::take(&mut registry.scratch).into_values() {
        if let Err(error) = entry.drop_everything() {
            eprintln!("warning: {error:#}");
        }
    }
    registry
}

/// Stops the entry's process (if any) and removes its directory.
fn retire_dir(mut entry: DirEntry) -> Result<()> {
    if let Some((child, signal)) = &mut entry.process {
        stop_child(child, *signal)
            .with_context(|| format!("stopping the process in {}", entry.path.display()))?;
    }
    remove_tree(&entry.path)
}

/// Removes a private directory. A server that was killed leaves its shared memory segment
/// behind, so that goes first. A process of PostgreSQL's that is still exiting (a child of
/// initdb) may create a file while the tree is removed, so removal is tried a few times.
fn remove_tree(path: &Path) -> Result<()> {
    remove_orphaned_shared_memory(&path.join("data"));
    let mut attempts = 0;
    loop {
        match fs::remove_dir_all(path) {
            Ok(()) => return Ok(()),
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(_) if attempts < 5 => {
                attempts += 1;
                thread::sleep(Duration::from_millis(20));
            }
            Err(error) => {
                return Err(error).with_context(|| format!("removing {}", path.display()));
            }
        }
    }
}

/// A server that stopped normally removes its `postmaster.pid`; one that was killed leaves it,
/// and with it a System V shared memory segment that nobody would ever remove. Its key and id
/// are on the seventh line of `postmaster.pid`. The segment is removed only if the key still
/// leads to that id (so it is the server's and not a later one's); the kernel frees it once
/// the server's last child, which exits when it notices the server is gone, detaches.
fn remove_orphaned_shared_memory(data_dir: &Path) {
    let Ok(pid_file) = fs::read_to_string(data_dir.join("postmaster.pid")) else {
        return;
    };
    let Some(line) = pid_file.lines().nth(6) else {
        return;
    };
    let mut numbers = line.split_whitespace().map(|number| number.parse::<i64>());
    let (Some(Ok(key)), Some(Ok(id))) = (numbers.next(), numbers.next()) else {
        return;
    };
    let (Ok(key), Ok(id)) = (libc::key_t::try_from(key), libc::c_int::try_from(id)) else {
        return;
    };
    // SAFETY: shmget with size 0 and no flags only looks the key up, and IPC_RMID only marks
    // that one segment for removal.
    unsafe {
        if libc::shmget(key, 0, 0) == id {
            libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut());
        }
    }
}

/// A directory of this run, registered so that it is removed on drop, on `release` and by the
/// signal handler, together with the process working in it.
#[derive(Debug)]
pub struct PrivateDir {
    id: u64,
    path: PathBuf,
}

impl PrivateDir {
    /// Creates `<parent>/validate-migrations-pg-<pid>-<random>` (mode 0700). Stale directories
    /// of dead runs in `parent` are removed first.
    pub fn create(parent: &Path) -> Result<PrivateDir> {
        reap_stale_dirs(parent);
        let mut registry = lock();
        let path = tempfile::Builder::new()
            .prefix(&format!("{DIR_PREFIX}{}-", std::process::id()))
            .tempdir_in(parent)
            .with_context(|| format!("creating a private directory in {}", parent.display()))?
            .keep();
        let id = registry.allocate_id();
        registry.dirs.insert(
            id,
            DirEntry {
                path: path.clone(),
                process: None,
            },
        );
        Ok(PrivateDir { id, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Starts the process that works in this directory. It is stopped with `stop_signal`
    /// (then killed after a deadline) when the directory is released. Spawning under the lock
    /// means the signal handler cannot miss a process that was just started.
    pub fn spawn(&self, command: Command, stop_signal: libc::c_int) -> io::Result<u32> {
        let mut registry = lock();
        let entry = registry
            .dirs
            .get_mut(&self.id)
            .ok_or_else(|| io::Error::other("the directory was already cleaned up"))?;
        let child = spawn_from_lasting_thread(command)?;
        let pid = child.id();
        entry.process = Some((child, stop_signal));
        Ok(pid)
    }

    /// The exit status of the directory's process, if it has exited (without forgetting it).
    pub fn process_exit(&self) -> Result<Option<ExitStatus>> {
        let mut registry = lock();
        match registry
            .dirs
            .get_mut(&self.id)
            .and_then(|entry| entry.process.as_mut())
        {
            Some((child, _)) => child.try_wait().context("checking on a PostgreSQL process"),
            None => Ok(None),
        }
    }

    /// Waits for the directory's process to exit on its own (`initdb`) and forgets it. The
    /// wait polls so that the lock is free for the signal handler in between. At the deadline
    /// it gives up; the process is then stopped when the directory is released.
    pub fn wait_for_process(&self, deadline: Instant) -> Result<ExitStatus> {
        loop {
            {
                let mut registry = lock();
                let entry = registry
                    .dirs
                    .get_mut(&self.id)
                    .context("the directory was cleaned up while its process ran")?;
                let Some((child, _)) = entry.process.as_mut() else {
                    anyhow::bail!("no process was started in {}", self.path.display());
                };
                if let Some(status) = child.try_wait().context("waiting for a process")? {
                    entry.process = None;
                    return Ok(status);
                }
            }
            if Instant::now() >= deadline {
                anyhow::bail!(
                    "the process in {} did not finish in time",
                    self.path.display()
                );
            }
            thread::sleep(Duration::from_millis(2));
        }
    }

    /// Stops the directory's process and removes the directory.
    pub fn release(self) -> Result<()> {
        // The drop that follows finds the entry gone and does nothing.
        release_entry(self.id)
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        if let Err(error) = release_entry(self.id) {
            eprintln!("warning: {error:#}");
        }
    }
}

fn release_entry(id: u64) -> Result<()> {
    let mut registry = lock();
    // Without an entry the signal handler has already cleaned up (and is ending the process).
    match registry.dirs.remove(&id) {
        Some(entry) => retire_dir(entry),
        None => Ok(()),
    }
}

/// Removes the directories in `parent` that runs which no longer exist left behind (a SIGKILL
/// gives no chance to clean up). A directory whose server is still running is left alone.
/// Failures are ignored: another run may be removing the same directory, or it may belong to
/// another user; either way it is not this run's to worry about.
fn reap_stale_dirs(parent: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(owner) = name
            .to_str()
            .and_then(|name| name.strip_prefix(DIR_PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if owner == std::process::id() || process_exists(owner) {
            continue;
        }
        let path = entry.path();
        if server_still_running(&path.join("data")) {
            continue;
        }
        let _ = remove_tree(&path);
    }
}

/// Whether the `postmaster.pid` of a data directory names a live process.
fn server_still_running(data_dir: &Path) -> bool {
    fs::read_to_string(data_dir.join("postmaster.pid"))
        .ok()
        .and_then(|content| content.lines().next()?.trim().parse::<u32>().ok())
        .is_some_and(process_exists)
}

/// The scratch databases and roles of one existing server, registered so that the signal handler
/// drops them too.
#[derive(Debug)]
pub struct ScratchDatabases {
    id: u64,
}

impl ScratchDatabases {
    /// Registers a server; `config` must connect to its maintenance database.
    pub fn register(config: postgres::Config) -> ScratchDatabases {
        let mut registry = lock();
        let id = registry.allocate_id();
        registry.scratch.insert(
            id,
            ScratchEntry {
                config,
                databases: Vec::new(),
                roles: Vec::new(),
            },
        );
        ScratchDatabases { id }
    }

    /// Records a database before it is created, so that no moment exists in which it exists
    /// and the signal handler does not know it.
    pub fn add(&self, database: &str) {
        if let Some(entry) = lock().scratch.get_mut(&self.id) {
            entry.databases.push(database.to_string());
        }
    }

    /// Forgets a database that was dropped (or never created).
    pub fn remove(&self, database: &str) {
        if let Some(entry) = lock().scratch.get_mut(&self.id) {
            entry.databases.retain(|known| known != database);
        }
    }

    /// Records a role before it is created, like `add`.
    pub fn add_role(&self, role: &str) {
        if let Some(entry) = lock().scratch.get_mut(&self.id) {
            entry.roles.push(role.to_string());
        }
    }

    /// Forgets a role that was dropped (or never created).
    pub fn remove_role(&self, role: &str) {
        if let Some(entry) = lock().scratch.get_mut(&self.id) {
            entry.roles.retain(|known| known != role);
        }
    }

    /// Drops every database and role still recorded, and unregisters the server.
    pub fn drop_all(&self) -> Result<()> {
        let mut registry = lock();
        match registry.scratch.remove(&self.id) {
            Some(entry) => entry.drop_everything(),
            None => Ok(()),
        }
    }
}

impl Drop for ScratchDatabases {
    fn drop(&mut self) {
        if let Err(error) = self.drop_all() {
            eprintln!("warning: {error:#}");
        }
    }
}
