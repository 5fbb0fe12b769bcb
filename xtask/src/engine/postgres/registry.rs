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
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use super::admin;
use super::marker::{marker_of, read_small_regular_file, write_marker};
use super::process::{process_exists, spawn_from_lasting_thread, stop_child, RunAs};

/// The name prefix of every directory this module creates for a run; the owning pid follows,
/// for people reading a listing. The reaper trusts the marker inside, not the name.
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

/// Where the problems of a cleanup that has no caller to return them to (a drop, the signal
/// handler) go: the command line installs a function that prints them; without one they are
/// not shown, since the library prints nothing.
static CLEANUP_PROBLEMS: OnceLock<fn(&str)> = OnceLock::new();

/// Sets where the problems of cleanups without a caller are reported; the first call of a
/// process wins.
pub fn report_cleanup_problems_to(report: fn(&str)) {
    // A second call changes nothing: the first reporter stays, as documented.
    let _ = CLEANUP_PROBLEMS.set(report);
}

/// Reports a cleanup problem where `report_cleanup_problems_to` said.
fn warn(error: &anyhow::Error) {
    if let Some(report) = CLEANUP_PROBLEMS.get() {
        report(&format!("{error:#}"));
    }
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
            warn(&error);
        }
    }
    for entry in std::mem::take(&mut registry.scratch).into_values() {
        if let Err(error) = entry.drop_everything() {
            warn(&error);
        }
    }
    registry
}

/// Stops the entry's process (if any) and removes its directory.
fn retire_dir(mut entry: DirEntry) -> Result<()> {
    let mut creator = None;
    if let Some((child, signal)) = &mut entry.process {
        creator = Some(child.id());
        stop_child(child, *signal)
            .with_context(|| format!("stopping the process in {}", entry.path.display()))?;
    }
    remove_orphaned_shared_memory(&entry.path.join("data"), creator);
    remove_tree(&entry.path)
}

/// Removes a directory of the tool. `fs::remove_dir_all` never follows a symbolic link: a
/// link is removed, not what it points to, and a link planted at `path` itself is removed as a
/// link. A process of PostgreSQL's that is still exiting (a child of initdb) may create a file
/// while the tree is removed, so removal is tried a few times.
fn remove_tree(path: &Path) -> Result<()> {
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

/// A server that stopped normally removes its `postmaster.pid` and its System V segment; one
/// that was killed leaves both, and nobody would ever remove the segment. Its key and id are
/// on the seventh line of `postmaster.pid`.
///
/// The segment is only the server's interlock. PostgreSQL's main shared memory is already an
/// anonymous mapping, which goes with the last process (since 9.3; `shared_memory_type =
/// mmap`, the default on Linux since the setting appeared in 12), but a server still creates
/// a System V segment of 56 bytes (measured with `ipcs -m` on PostgreSQL 15, which reports
/// `shared_memory_type` `mmap`) so that a second postmaster cannot start on the same data
/// directory. Setting `shared_memory_type = mmap` would therefore change nothing, and this
/// removal stays, guarded.
///
/// `postmaster.pid` lies in a directory the server's user may write, and a stale directory may
/// have been planted whole, so its numbers are trusted only as far as the kernel confirms
/// them: the key must still lead to that id, the segment must have been created by and belong
/// to the user the server runs as (`shmctl(IPC_STAT)`), and either its creator is `server`
/// (the process this run started, when the directory is this run's) or no process is attached
/// to it and its creator is gone (a dead run's, whose directory proves nothing). The kernel
/// frees a removed segment once its last process (a child of the server, which exits when it
/// notices the server is gone) detaches.
fn remove_orphaned_shared_memory(data_dir: &Path, server: Option<u32>) {
    let Some((key, id)) = read_segment(data_dir) else {
        return;
    };
    // SAFETY: shmget with size 0 and no flags only looks the key up.
    if unsafe { libc::shmget(key, 0, 0) } != id {
        return;
    }
    // SAFETY: shmid_ds is plain old data that IPC_STAT fills in.
    let mut status: libc::shmid_ds = unsafe { std::mem::zeroed() };
    // SAFETY: IPC_STAT only reads the segment's status into `status`.
    if unsafe { libc::shmctl(id, libc::IPC_STAT, &mut status) } == -1 {
        return;
    }
    if !may_remove_segment(&status, server_uid(), server) {
        return;
    }
    // SAFETY: IPC_RMID only marks that one segment for removal.
    unsafe { libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut()) };
}

/// The key and id of the seventh line of `<data_dir>/postmaster.pid`.
fn read_segment(data_dir: &Path) -> Option<(libc::key_t, libc::c_int)> {
    let content = read_small_regular_file(&data_dir.join("postmaster.pid"), 4096)?;
    let line = content.lines().nth(6)?;
    let mut numbers = line.split_whitespace().map(|number| number.parse::<i64>());
    let (Some(Ok(key)), Some(Ok(id))) = (numbers.next(), numbers.next()) else {
        return None;
    };
    Some((
        libc::key_t::try_from(key).ok()?,
        libc::c_int::try_from(id).ok()?,
    ))
}

/// Whether the kernel's record of a segment shows it is the orphan of a server of the tool.
fn may_remove_segment(status: &libc::shmid_ds, server_uid: u32, server: Option<u32>) -> bool {
    if status.shm_perm.uid != server_uid || status.shm_perm.cuid != server_uid {
        return false;
    }
    let creator = u32::try_from(status.shm_cpid).ok();
    (server.is_some() && creator == server)
        || (status.shm_nattch == 0 && !creator.is_some_and(process_exists))
}

/// The uid the tool's PostgreSQL servers run as: the unprivileged user when the tool is root,
/// else the tool's own.
fn server_uid() -> u32 {
    match RunAs::for_this_process() {
        Ok(Some(user)) => user.uid,
        _ => own_uid(),
    }
}

fn own_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// A directory of this run, registered so that it is removed on drop, on `release` and by the
/// signal handler, together with the process working in it.
#[derive(Debug)]
pub struct PrivateDir {
    id: u64,
    path: PathBuf,
}

impl PrivateDir {
    /// Creates `<parent>/validate-migrations-pg-<pid>-<random>` (mode 0700) with the marker
    /// that lets a later run reap it. Stale directories of dead runs in `parent` are removed
    /// first.
    pub fn create(parent: &Path) -> Result<PrivateDir> {
        reap_stale_dirs(parent);
        let mut registry = lock();
        let temporary = tempfile::Builder::new()
            .prefix(&format!("{DIR_PREFIX}{}-", std::process::id()))
            .tempdir_in(parent)
            .with_context(|| format!("creating a private directory in {}", parent.display()))?;
        // The directory is removed by its guard if it cannot be marked, and kept once it is.
        fs::set_permissions(temporary.path(), fs::Permissions::from_mode(0o700))
            .with_context(|| format!("setting the mode of {}", temporary.path().display()))?;
        write_marker(temporary.path())?;
        let path = temporary.keep();
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
            warn(&error);
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
/// gives no chance to clean up). Only a directory the tool made is touched, which its marker
/// proves (see `marker_of`); a directory whose marker names a live process, or whose server
/// still runs, is left alone, and so is anything else. Failures are ignored: another run may
/// be removing the same directory; either way it is not this run's to worry about.
pub(super) fn reap_stale_dirs(parent: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let own_uid = own_uid();
    let server_uid = server_uid();
    for entry in entries.flatten() {
        if !entry
            .file_name()
            .to_str()
            .is_some_and(|name| name.starts_with(DIR_PREFIX))
        {
            continue;
        }
        let path = entry.path();
        let Some(marker) = marker_of(&path, own_uid, server_uid) else {
            continue;
        };
        if marker.is_alive() || server_still_running(&path.join("data")) {
            continue;
        }
        remove_orphaned_shared_memory(&path.join("data"), None);
        let _ = remove_tree(&path);
    }
}

/// Whether the `postmaster.pid` of a data directory names a live process. The file may have
/// been written by anyone who could write the directory, so it can only make the reaper leave
/// a directory alone, never remove one.
fn server_still_running(data_dir: &Path) -> bool {
    read_small_regular_file(&data_dir.join("postmaster.pid"), 4096)
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
            warn(&error);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;
    use std::process::Stdio;

    use super::*;
    use std::os::unix::fs::MetadataExt;

    use crate::engine::postgres::marker::{RunMarker, MARKER};

    /// The pid of a process that has exited and been reaped.
    fn dead_pid() -> Result<u32> {
        let mut child = Command::new("true").stdin(Stdio::null()).spawn()?;
        let pid = child.id();
        child.wait()?;
        Ok(pid)
    }

    /// A directory as `PrivateDir::create` makes it, with a marker naming `marker`.
    fn plant(parent: &Path, name: &str, marker: &RunMarker) -> Result<PathBuf> {
        let dir = parent.join(name);
        fs::create_dir(&dir)?;
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))?;
        let path = dir.join(MARKER);
        fs::write(&path, marker.render())?;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600))?;
        fs::create_dir(dir.join("data"))?;
        fs::write(dir.join("data/PG_VERSION"), "15\n")?;
        Ok(dir)
    }

    fn dead_marker() -> Result<RunMarker> {
        Ok(RunMarker {
            pid: dead_pid()?,
            started: Some(1),
        })
    }

    #[test]
    fn a_marker_reads_back_and_garbage_is_no_marker() {
        for marker in [
            RunMarker {
                pid: 42,
                started: Some(123_456),
            },
            RunMarker {
                pid: 7,
                started: None,
            },
        ] {
            assert_eq!(RunMarker::parse(&marker.render()), Some(marker));
        }
        for garbage in [
            "",
            "pid 42 started 1",
            "pid x started 1\n",
            "pid 42 started 1 extra\n",
            "pid 42\n",
            "started 1 pid 42\n",
        ] {
            assert_eq!(RunMarker::parse(garbage), None, "{garbage:?}");
        }
    }

    #[test]
    fn this_process_is_alive_and_a_reused_pid_is_not_its_owner() -> Result<()> {
        let this = RunMarker::of_this_process();
        assert!(this.started.is_some(), "no start time in /proc");
        assert!(this.is_alive());
        let reused = RunMarker {
            started: this.started.map(|started| started + 1),
            ..this
        };
        assert!(!reused.is_alive());
        assert!(!dead_marker()?.is_alive());
        Ok(())
    }

    #[test]
    fn a_private_dir_is_marked_and_removed_on_release() -> Result<()> {
        let parent = tempfile::tempdir()?;
        let dir = PrivateDir::create(parent.path())?;
        let path = dir.path().to_path_buf();
        assert_eq!(
            marker_of(&path, own_uid(), server_uid()),
            Some(RunMarker::of_this_process())
        );
        let marker = fs::symlink_metadata(path.join(MARKER))?;
        assert_eq!(marker.mode() & 0o7777, 0o600);
        // A live run's directory is not reaped by another start.
        reap_stale_dirs(parent.path());
        assert!(path.is_dir());
        dir.release()?;
        assert!(!path.exists());
        Ok(())
    }

    #[test]
    fn only_a_marked_directory_of_a_dead_run_is_reaped() -> Result<()> {
        let parent = tempfile::tempdir()?;
        let outside = tempfile::tempdir()?;
        let dead = dead_marker()?;

        let genuine = plant(parent.path(), &format!("{DIR_PREFIX}1-genuine"), &dead)?;
        // A link inside a reaped directory is removed, not followed.
        fs::write(outside.path().join("precious"), "keep me")?;
        symlink(outside.path(), genuine.join("link"))?;
        let reused = plant(
            parent.path(),
            &format!("{DIR_PREFIX}2-reused"),
            &RunMarker {
                started: RunMarker::of_this_process().started.map(|t| t + 1),
                ..RunMarker::of_this_process()
            },
        )?;

        let mut kept = Vec::new();
        let unmarked = parent.path().join(format!("{DIR_PREFIX}3-unmarked"));
        fs::create_dir(&unmarked)?;
        fs::set_permissions(&unmarked, fs::Permissions::from_mode(0o700))?;
        kept.push(unmarked);
        kept.push(plant(
            parent.path(),
            &format!("{DIR_PREFIX}4-live"),
            &RunMarker::of_this_process(),
        )?);
        let open_dir = plant(parent.path(), &format!("{DIR_PREFIX}5-open"), &dead)?;
        fs::set_permissions(&open_dir, fs::Permissions::from_mode(0o755))?;
        kept.push(open_dir);
        let readable_marker = plant(parent.path(), &format!("{DIR_PREFIX}6-marker"), &dead)?;
        fs::set_permissions(
            readable_marker.join(MARKER),
            fs::Permissions::from_mode(0o644),
        )?;
        kept.push(readable_marker);
        // A marker that is a link, even to a good marker, or a second link to one, is not one.
        let source = plant(outside.path(), "source", &dead)?;
        let linked_marker = parent.path().join(format!("{DIR_PREFIX}7-linked"));
        fs::create_dir(&linked_marker)?;
        fs::set_permissions(&linked_marker, fs::Permissions::from_mode(0o700))?;
        symlink(source.join(MARKER), linked_marker.join(MARKER))?;
        kept.push(linked_marker);
        let hard_linked = parent.path().join(format!("{DIR_PREFIX}8-hard"));
        fs::create_dir(&hard_linked)?;
        fs::set_permissions(&hard_linked, fs::Permissions::from_mode(0o700))?;
        fs::hard_link(source.join(MARKER), hard_linked.join(MARKER))?;
        kept.push(hard_linked);
        // A link to a good directory is neither removed nor followed.
        let link = parent.path().join(format!("{DIR_PREFIX}9-link"));
        symlink(&source, &link)?;
        kept.push(link);
        let garbage = plant(parent.path(), &format!("{DIR_PREFIX}10-garbage"), &dead)?;
        fs::write(garbage.join(MARKER), "rm -rf /\n")?;
        kept.push(garbage);
        kept.push(plant(parent.path(), "another-tool-1", &dead)?);

        reap_stale_dirs(parent.path());

        assert!(!genuine.exists(), "the dead run's directory was not reaped");
        assert!(!reused.exists(), "a reused pid kept a dead run's directory");
        assert_eq!(
            fs::read_to_string(outside.path().join("precious"))?,
            "keep me"
        );
        assert!(source.join(MARKER).is_file());
        for path in kept {
            assert!(
                fs::symlink_metadata(&path).is_ok(),
                "{} was removed",
                path.display()
            );
        }
        Ok(())
    }

    #[test]
    fn a_directory_or_marker_of_another_user_is_left_alone() -> Result<()> {
        if own_uid() != 0 {
            println!("skipped: only root can give a file to another user");
            return Ok(());
        }
        // A uid that is neither root nor the user servers run as.
        let foreign = (60_000..65_000)
            .find(|uid| *uid != server_uid())
            .context("no foreign uid")?;
        let parent = tempfile::tempdir()?;
        let dead = dead_marker()?;
        let foreign_dir = plant(parent.path(), &format!("{DIR_PREFIX}1-dir"), &dead)?;
        std::os::unix::fs::lchown(&foreign_dir, Some(foreign), None)?;
        let foreign_marker = plant(parent.path(), &format!("{DIR_PREFIX}2-marker"), &dead)?;
        std::os::unix::fs::lchown(foreign_marker.join(MARKER), Some(foreign), None)?;

        reap_stale_dirs(parent.path());

        assert!(foreign_dir.join(MARKER).is_file());
        assert!(foreign_marker.join(MARKER).is_file());

        // The same directory handed to the user servers run as, as the tool does under root,
        // is the tool's.
        std::os::unix::fs::lchown(&foreign_dir, Some(server_uid()), None)?;
        reap_stale_dirs(parent.path());
        assert!(!foreign_dir.exists());
        Ok(())
    }

    /// A System V segment of this test, with a key of its own, removed on drop.
    struct Segment {
        key: libc::key_t,
        id: libc::c_int,
    }

    impl Segment {
        fn create() -> Result<Segment> {
            // The key is this process's own, so parallel tests and runs do not collide.
            for low in 0..64 {
                let key = 0x5600_0000 | ((std::process::id() as libc::key_t & 0xffff) << 6) | low;
                // SAFETY: shmget creates a new segment of 64 bytes or fails.
                let id = unsafe { libc::shmget(key, 64, libc::IPC_CREAT | libc::IPC_EXCL | 0o600) };
                if id != -1 {
                    return Ok(Segment { key, id });
                }
            }
            anyhow::bail!("shmget: {}", io::Error::last_os_error())
        }

        fn exists(&self) -> bool {
            // SAFETY: shmid_ds is plain old data that IPC_STAT fills in.
            let mut status: libc::shmid_ds = unsafe { std::mem::zeroed() };
            // SAFETY: IPC_STAT only reads the segment's status.
            unsafe { libc::shmctl(self.id, libc::IPC_STAT, &mut status) == 0 }
        }

        /// The lines of a `postmaster.pid` that names this segment.
        fn postmaster_pid(&self, pid: u32) -> String {
            format!(
                "{pid}\n/data\n1700000000\n5432\n/socket\n\n{:>9} {:>9}\nready\n",
                self.key, self.id
            )
        }
    }

    impl Drop for Segment {
        fn drop(&mut self) {
            // SAFETY: IPC_RMID only marks this test's own segment for removal.
            unsafe { libc::shmctl(self.id, libc::IPC_RMID, std::ptr::null_mut()) };
        }
    }

    #[test]
    fn a_segment_named_by_a_planted_postmaster_pid_survives_the_reaping() -> Result<()> {
        let segment = Segment::create()?;
        let parent = tempfile::tempdir()?;
        let dead = dead_marker()?;
        // The strongest forgery: a directory the reaper accepts, whose postmaster.pid names a
        // segment that is not a dead server's of the tool.
        let forged = plant(parent.path(), &format!("{DIR_PREFIX}1-forged"), &dead)?;
        fs::write(
            forged.join("data/postmaster.pid"),
            segment.postmaster_pid(dead.pid),
        )?;
        let unmarked = parent.path().join(format!("{DIR_PREFIX}{}-x", dead.pid));
        fs::create_dir_all(unmarked.join("data"))?;
        fs::set_permissions(&unmarked, fs::Permissions::from_mode(0o700))?;
        fs::write(
            unmarked.join("data/postmaster.pid"),
            segment.postmaster_pid(dead.pid),
        )?;

        reap_stale_dirs(parent.path());

        assert!(!forged.exists());
        assert!(unmarked.join("data/postmaster.pid").is_file());
        assert!(
            segment.exists(),
            "the planted postmaster.pid removed a segment"
        );
        Ok(())
    }

    #[test]
    fn only_an_orphaned_segment_of_the_server_user_may_be_removed() -> Result<()> {
        let server = 1_000;
        let dead = dead_pid()?;
        let alive = std::process::id();
        let status = |uid: u32, cuid: u32, attached: u64, creator: u32| {
            // SAFETY: shmid_ds is plain old data.
            let mut status: libc::shmid_ds = unsafe { std::mem::zeroed() };
            status.shm_perm.uid = uid;
            status.shm_perm.cuid = cuid;
            status.shm_nattch = attached as _;
            status.shm_cpid = creator as libc::pid_t;
            status
        };
        // A dead run's: no process attached and its creator gone.
        assert!(may_remove_segment(
            &status(server, server, 0, dead),
            server,
            None
        ));
        assert!(!may_remove_segment(
            &status(0, server, 0, dead),
            server,
            None
        ));
        assert!(!may_remove_segment(
            &status(server, 0, 0, dead),
            server,
            None
        ));
        assert!(!may_remove_segment(
            &status(server, server, 1, dead),
            server,
            None
        ));
        assert!(!may_remove_segment(
            &status(server, server, 0, alive),
            server,
            None
        ));
        // This run's server, killed, whose children may still be attached.
        assert!(may_remove_segment(
            &status(server, server, 3, alive),
            server,
            Some(alive)
        ));
        assert!(!may_remove_segment(
            &status(server, server, 3, alive),
            server,
            Some(dead)
        ));
        assert!(!may_remove_segment(
            &status(0, 0, 3, alive),
            server,
            Some(alive)
        ));
        Ok(())
    }
}
