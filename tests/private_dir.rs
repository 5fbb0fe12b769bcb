//! What a run leaves on the machine, on a real PostgreSQL: the stale-folder reaper removes only
//! folders the tool made (its marker proves it) and no shared memory it is told about by a
//! planted `postmaster.pid`; the cache of data directories holds only complete entries, even
//! after an interrupted first run, and a broken entry is rebuilt rather than failing the run.

mod support;

use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use xtask::engine::postgres::{
    BinariesOptions, BinariesOrigin, Cluster, ClusterOptions, DataDirOrigin, PgBinaries,
};

/// Set for a child process: the bin directory whose binaries it starts a cluster with.
const CHILD_BIN_DIR: &str = "VALIDATE_MIGRATIONS_PRIVATE_DIR_TEST_BIN";
/// Set for a child process: the cache directory of its cluster.
const CHILD_CACHE_DIR: &str = "VALIDATE_MIGRATIONS_PRIVATE_DIR_TEST_CACHE";
/// The name of the test that runs in a child process.
const CHILD_TEST: &str = "child_starts_a_cluster_with_a_cache";
/// The marker the tool writes into every private folder it makes.
const MARKER: &str = ".validate-migrations-run";

fn binaries() -> Result<PgBinaries> {
    PgBinaries::find(&BinariesOptions::default())
}

fn cached_options(cache_dir: &Path) -> ClusterOptions {
    ClusterOptions {
        cache_dir: Some(cache_dir.to_path_buf()),
        ..ClusterOptions::default()
    }
}

/// The pid of a process that has exited and been reaped.
fn dead_pid() -> Result<u32> {
    let mut child = Command::new("true").stdin(Stdio::null()).spawn()?;
    let pid = child.id();
    child.wait()?;
    Ok(pid)
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn names_in(dir: &Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir)? {
        names.push(entry?.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

/// A System V segment made by this test, with a key of its own, removed on drop.
struct Segment {
    key: libc::key_t,
    id: libc::c_int,
}

impl Segment {
    fn create() -> Result<Segment> {
        for low in 0..64 {
            let key = 0x5700_0000 | ((std::process::id() as libc::key_t & 0xffff) << 6) | low;
            // SAFETY: shmget creates a new segment of 64 bytes or fails.
            let id = unsafe { libc::shmget(key, 64, libc::IPC_CREAT | libc::IPC_EXCL | 0o600) };
            if id != -1 {
                return Ok(Segment { key, id });
            }
        }
        bail!("shmget: {}", std::io::Error::last_os_error())
    }

    fn exists(&self) -> bool {
        // SAFETY: shmid_ds is plain old data that IPC_STAT fills in.
        let mut status: libc::shmid_ds = unsafe { std::mem::zeroed() };
        // SAFETY: IPC_STAT only reads the segment's status.
        unsafe { libc::shmctl(self.id, libc::IPC_STAT, &mut status) == 0 }
    }

    /// A `postmaster.pid` of a server `pid` whose segment is this one (its seventh line).
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

/// Folders planted next to the tool's private folders, removed on drop.
struct Planted(Vec<PathBuf>);

impl Drop for Planted {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = fs::remove_dir_all(path).or_else(|_| fs::remove_file(path));
        }
    }
}

/// Plants `<parent>/validate-migrations-pg-<dead pid>-<suffix>/data/postmaster.pid` naming
/// `segment`, as an attacker would (mode 0700, the tool's own user as owner).
fn plant(parent: &Path, suffix: &str, segment: &Segment, dead: u32) -> Result<PathBuf> {
    let dir = parent.join(format!("validate-migrations-pg-{dead}-{suffix}"));
    fs::create_dir_all(dir.join("data"))?;
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))?;
    fs::write(
        dir.join("data/postmaster.pid"),
        segment.postmaster_pid(dead),
    )?;
    Ok(dir)
}

#[test]
fn a_planted_stale_folder_and_the_segment_it_names_survive_the_next_run() -> Result<()> {
    let binaries = binaries()?;
    // Where this machine's private folders go (/dev/shm where it can), and so the reaper.
    let probe = Cluster::start(&binaries, &ClusterOptions::default())?;
    let parent = probe
        .dir()
        .parent()
        .context("a private folder has a parent")?
        .to_path_buf();
    probe.stop()?;

    let segment = Segment::create()?;
    let dead = dead_pid()?;
    let mut planted = Planted(Vec::new());
    // The case: a folder named like a dead run's, with no marker.
    planted.0.push(plant(&parent, "x", &segment, dead)?);
    // A marker of the wrong mode, or a link in the marker's place.
    let open_marker = plant(&parent, "mode", &segment, dead)?;
    fs::write(open_marker.join(MARKER), format!("pid {dead} started 1\n"))?;
    fs::set_permissions(open_marker.join(MARKER), fs::Permissions::from_mode(0o644))?;
    planted.0.push(open_marker);
    let linked_marker = plant(&parent, "link", &segment, dead)?;
    symlink("/etc/hostname", linked_marker.join(MARKER))?;
    planted.0.push(linked_marker);
    // A link named like a private folder, to a folder that looks like a dead run's.
    let target = tempfile::tempdir()?;
    let looks_dead = plant(target.path(), "target", &segment, dead)?;
    fs::write(looks_dead.join(MARKER), format!("pid {dead} started 1\n"))?;
    fs::set_permissions(looks_dead.join(MARKER), fs::Permissions::from_mode(0o600))?;
    let link = parent.join(format!("validate-migrations-pg-{dead}-symlink"));
    symlink(&looks_dead, &link)?;
    planted.0.push(link.clone());
    // A folder with a good marker, but of another user.
    if is_root() {
        let foreign = plant(&parent, "foreign", &segment, dead)?;
        fs::write(foreign.join(MARKER), format!("pid {dead} started 1\n"))?;
        fs::set_permissions(foreign.join(MARKER), fs::Permissions::from_mode(0o600))?;
        std::os::unix::fs::lchown(&foreign, Some(64_999), Some(64_999))?;
        std::os::unix::fs::lchown(foreign.join(MARKER), Some(64_999), Some(64_999))?;
        planted.0.push(foreign);
    }

    let cluster = Cluster::start(&binaries, &ClusterOptions::default())?;
    cluster.stop()?;

    for path in &planted.0 {
        ensure!(
            fs::symlink_metadata(path).is_ok(),
            "{} was removed",
            path.display()
        );
    }
    ensure!(fs::symlink_metadata(&link)?.file_type().is_symlink());
    ensure!(looks_dead.join("data/postmaster.pid").is_file());
    ensure!(
        segment.exists(),
        "the segment a planted postmaster.pid names was removed"
    );
    Ok(())
}

/// Not a test of its own: the interrupt tests run it in a child process (it is ignored, so a
/// normal run skips it). It starts a cluster with the binaries and the cache it is given,
/// reports, and waits for its signal.
#[test]
#[ignore = "run in a child process by the interrupt tests"]
fn child_starts_a_cluster_with_a_cache() -> Result<()> {
    let bin_dir = std::env::var_os(CHILD_BIN_DIR)
        .context("this test is run by the interrupt tests, in a child process")?;
    let cache_dir = std::env::var_os(CHILD_CACHE_DIR).context("no cache directory given")?;
    let binaries = PgBinaries::from_dir(Path::new(&bin_dir), BinariesOrigin::Explicit)?;
    let cluster = Cluster::start(&binaries, &cached_options(Path::new(&cache_dir)))?;
    println!("READY dir={}", cluster.dir().display());
    // The parent signals within seconds; the bound keeps a lost child from living on.
    thread::sleep(Duration::from_secs(60));
    bail!("no signal came")
}

/// Starts `child_starts_a_cluster_with_a_cache` in a child process; its `READY` lines arrive
/// on the receiver.
fn start_child(bin_dir: &Path, cache_dir: &Path) -> Result<(Child, mpsc::Receiver<String>)> {
    let mut child = Command::new(std::env::current_exe()?)
        .args(["--ignored", "--exact", CHILD_TEST, "--nocapture"])
        .env(CHILD_BIN_DIR, bin_dir)
        .env(CHILD_CACHE_DIR, cache_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting the child test process")?;
    let stdout = child.stdout.take().context("no stdout")?;
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(report) = line.strip_prefix("READY ") {
                let _ = sender.send(report.to_string());
            }
        }
    });
    Ok((child, receiver))
}

fn signal(child: &Child, signal: libc::c_int) -> Result<()> {
    // SAFETY: the child has not been reaped, so its pid is still its own.
    let result = unsafe { libc::kill(child.id() as libc::pid_t, signal) };
    ensure!(result == 0, "kill: {}", std::io::Error::last_os_error());
    Ok(())
}

fn wait_for_file(path: &Path, child: &mut Child) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !path.exists() {
        if Instant::now() >= deadline || child.try_wait()?.is_some() {
            let _ = child.kill();
            let _ = child.wait();
            bail!("{} never appeared", path.display());
        }
        thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

/// A bin directory with the real `postgres` and an `initdb` that stops half-way: it writes
/// `PG_VERSION` into its data directory, creates `<root>/signals/initdb-started`, and sleeps.
/// Returns the bin directory and that file.
fn stalling_binaries(root: &Path, real: &PgBinaries) -> Result<(PathBuf, PathBuf)> {
    // Under root, initdb runs as another user, who must reach the script and the signal.
    fs::set_permissions(root, fs::Permissions::from_mode(0o755))?;
    let bin_dir = root.join("bin");
    let signals = root.join("signals");
    fs::create_dir(&bin_dir)?;
    fs::create_dir(&signals)?;
    fs::set_permissions(&signals, fs::Permissions::from_mode(0o777))?;
    for program in ["postgres", "pg_controldata"] {
        symlink(real.bin_dir().join(program), bin_dir.join(program))?;
    }
    let started = signals.join("initdb-started");
    let initdb = bin_dir.join("initdb");
    fs::write(
        &initdb,
        format!(
            "#!/bin/sh\n\
             # What an initdb interrupted half-way leaves: PG_VERSION and nothing else.\n\
             mkdir -p \"$2\" && echo 15 > \"$2/PG_VERSION\" && touch {}\n\
             exec sleep 60\n",
            started.display()
        ),
    )?;
    fs::set_permissions(&initdb, fs::Permissions::from_mode(0o755))?;
    Ok((bin_dir, started))
}

#[test]
fn an_interrupted_first_run_leaves_nothing_in_the_cache_and_the_next_run_works() -> Result<()> {
    let real = binaries()?;
    for (stop, expected_code) in [(libc::SIGINT, Some(130)), (libc::SIGKILL, None)] {
        let root = tempfile::tempdir()?;
        let (bin_dir, started) = stalling_binaries(root.path(), &real)?;
        let cache_dir = root.path().join("cache");
        let (mut child, _ready) = start_child(&bin_dir, &cache_dir)?;
        wait_for_file(&started, &mut child)?;

        signal(&child, stop)?;
        let status = support::wait_with_deadline(&mut child, Duration::from_secs(20))?;
        if let Some(code) = expected_code {
            assert_eq!(status.code(), Some(code), "{status}");
        }
        let left = if cache_dir.exists() {
            names_in(&cache_dir)?
        } else {
            Vec::new()
        };
        assert_eq!(left, Vec::<String>::new(), "after signal {stop}");

        let cluster = Cluster::start(&real, &cached_options(&cache_dir))?;
        let origin = cluster.startup().data_dir_origin.clone();
        cluster.connect("postgres")?.batch_execute("SELECT 1")?;
        cluster.stop()?;
        assert!(
            matches!(origin, DataDirOrigin::InitdbStoredInCache(_)),
            "{origin:?}"
        );
    }
    Ok(())
}

#[test]
fn a_killed_run_leaves_a_marked_folder_that_the_next_run_reaps() -> Result<()> {
    let real = binaries()?;
    let cache = tempfile::tempdir()?;
    let (mut child, ready) = start_child(real.bin_dir(), cache.path())?;
    let report = match ready.recv_timeout(Duration::from_secs(30)) {
        Ok(report) => report,
        Err(error) => {
            let _ = child.kill();
            let _ = child.wait();
            bail!("the child never reported its cluster: {error}");
        }
    };
    let dir = PathBuf::from(
        report
            .strip_prefix("dir=")
            .with_context(|| format!("no dir in {report:?}"))?,
    );
    signal(&child, libc::SIGKILL)?;
    support::wait_with_deadline(&mut child, Duration::from_secs(20))?;
    let marker = fs::symlink_metadata(dir.join(MARKER))?;
    assert!(marker.file_type().is_file());
    assert_eq!(marker.permissions().mode() & 0o7777, 0o600);
    assert!(fs::read_to_string(dir.join(MARKER))?.starts_with(&format!("pid {} ", child.id())));

    // The killed run's server dies with it (its parent-death signal); the next run then
    // reaps the folder. The wait is bounded: the server's exit is the kernel's to deliver.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let cluster = Cluster::start(&real, &cached_options(cache.path()))?;
        cluster.stop()?;
        if !dir.exists() {
            return Ok(());
        }
        ensure!(
            Instant::now() < deadline,
            "{} was not reaped by the next run",
            dir.display()
        );
        thread::sleep(Duration::from_millis(100));
    }
}

/// The `pg_control` of a server that runs: its state is `in production`.
fn pg_control_of_a_running_server(binaries: &PgBinaries) -> Result<Vec<u8>> {
    let cluster = Cluster::start(binaries, &ClusterOptions::default())?;
    let control = fs::read(cluster.data_dir().join("global/pg_control"))?;
    cluster.stop()?;
    Ok(control)
}

#[test]
fn a_broken_cache_entry_is_rebuilt_and_the_run_works() -> Result<()> {
    let binaries = binaries()?;
    let cache = tempfile::tempdir()?;
    let options = cached_options(cache.path());
    let cached = cache
        .path()
        .join(format!("pg-{}-initdb", binaries.version()));
    let in_production = pg_control_of_a_running_server(&binaries)?;

    // Each way to break the entry, and what the rebuild says about it.
    type Breakage = Box<dyn Fn(&Path) -> Result<()>>;
    let breakages: Vec<(&str, Breakage, &str)> = vec![
        (
            "an entry of PG_VERSION alone",
            Box::new(|cached: &Path| {
                fs::remove_dir_all(cached)?;
                fs::create_dir_all(cached)?;
                fs::write(cached.join("PG_VERSION"), "15\n")?;
                Ok(())
            }),
            "was not completed",
        ),
        (
            "an entry without global/pg_control",
            Box::new(|cached: &Path| Ok(fs::remove_file(cached.join("global/pg_control"))?)),
            "global/pg_control is missing",
        ),
        (
            "an entry whose pg_control is a running server's",
            Box::new(move |cached: &Path| {
                Ok(fs::write(cached.join("global/pg_control"), &in_production)?)
            }),
            "in production",
        ),
        (
            "an entry whose configuration the server refuses",
            Box::new(|cached: &Path| {
                let path = cached.join("postgresql.conf");
                let size = usize::try_from(fs::metadata(&path)?.len())?;
                let line = "this is not a setting\n";
                let padding = "#".repeat(size - line.len() - 1);
                Ok(fs::write(&path, format!("{line}{padding}\n"))?)
            }),
            "a server started from a copy of it failed",
        ),
    ];
    for (what, break_entry, why) in &breakages {
        if !cached.exists() {
            Cluster::start(&binaries, &options)?.stop()?;
        }
        break_entry(&cached)?;

        let cluster = Cluster::start(&binaries, &options)?;
        let origin = cluster.startup().data_dir_origin.clone();
        cluster.connect("postgres")?.batch_execute("SELECT 1")?;
        cluster.stop()?;
        match origin {
            DataDirOrigin::InitdbRepairedCache { path, reason } => {
                assert_eq!(path, cached);
                assert!(reason.contains(why), "{what}: {reason}");
            }
            other => panic!("{what}: the data directory came from {other:?}"),
        }
        // The rebuilt entry serves the next run, and the cache holds it alone.
        let warm = Cluster::start(&binaries, &options)?;
        let origin = warm.startup().data_dir_origin.clone();
        warm.stop()?;
        assert_eq!(origin, DataDirOrigin::Cache(cached.clone()), "{what}");
        assert_eq!(
            names_in(cache.path())?,
            vec![format!("pg-{}-initdb", binaries.version())],
            "{what}"
        );
    }
    Ok(())
}
