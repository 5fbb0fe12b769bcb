//! Tests of the throwaway PostgreSQL cluster and of the existing-server API, on a real
//! PostgreSQL (the machine's; CI installs Debian's `postgresql`).
//!
//! Every test starts its own clusters and checks that, whatever happens to the tool (a stop, a
//! panic, SIGTERM, SIGKILL), no server process and no directory remains.

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use xtask::engine::postgres::{
    BinariesOptions, Cluster, ClusterOptions, DataDirOrigin, ExistingServer, PgBinaries, PgServer,
    PostgresDatabase,
};
use xtask::engine::Database as _;

/// Set for a child process: what it should do (see `child_starts_a_cluster_and_waits`).
const CHILD_ROLE: &str = "VALIDATE_MIGRATIONS_PG_TEST_CHILD";
/// Set for a child process: the URL of an existing server to make a scratch database on.
const CHILD_EXISTING_URL: &str = "VALIDATE_MIGRATIONS_PG_TEST_EXISTING_URL";
/// The name of the test that the signal tests run in a child process.
const CHILD_TEST: &str = "child_starts_a_cluster_and_waits";

fn binaries() -> Result<PgBinaries> {
    let binaries = PgBinaries::find(&BinariesOptions::default())?;
    println!("binaries: {binaries}");
    Ok(binaries)
}

/// What a test needs to know to check afterwards that a cluster left nothing behind.
#[derive(Clone, Debug)]
struct Footprint {
    dir: PathBuf,
    /// The postmaster and its children (checkpointer, walwriter, ...).
    pids: Vec<u32>,
}

impl Footprint {
    fn of(cluster: &Cluster) -> Footprint {
        let mut pids = vec![cluster.pid()];
        pids.extend(children_of(cluster.pid()));
        Footprint {
            dir: cluster.dir().to_path_buf(),
            pids,
        }
    }

    /// Waits (bounded) until no process of the cluster runs, then checks the directory.
    fn assert_gone(&self, dir_too: bool) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.pids.iter().any(|&pid| is_running_postgres(pid)) {
            ensure!(
                Instant::now() < deadline,
                "postgres processes still running: {:?}",
                self.pids
                    .iter()
                    .filter(|&&pid| is_running_postgres(pid))
                    .collect::<Vec<_>>()
            );
            thread::sleep(Duration::from_millis(20));
        }
        if dir_too {
            ensure!(!self.dir.exists(), "{} was left behind", self.dir.display());
        }
        Ok(())
    }
}

/// The fields of `/proc/<pid>/stat` after the command name: state first, then the parent.
fn proc_stat(pid: u32) -> Option<(String, Vec<String>)> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let command = stat[open + 1..close].to_string();
    let rest = stat[close + 1..]
        .split_whitespace()
        .map(str::to_string)
        .collect();
    Some((command, rest))
}

/// A live (not zombie) process running the `postgres` program.
fn is_running_postgres(pid: u32) -> bool {
    proc_stat(pid).is_some_and(|(command, fields)| {
        command.starts_with("postgres") && fields.first().is_some_and(|state| state != "Z")
    })
}

fn children_of(parent: u32) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| {
            proc_stat(pid).is_some_and(|(_, fields)| {
                fields.get(1).and_then(|ppid| ppid.parse::<u32>().ok()) == Some(parent)
            })
        })
        .collect()
}

fn table_names(cluster: &Cluster, database: &str) -> Result<BTreeSet<String>> {
    let mut client = cluster.connect(database)?;
    let rows = client.query(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
        &[],
    )?;
    rows.iter()
        .map(|row| row.try_get::<_, String>(0).map_err(Into::into))
        .collect()
}

fn database_exists(cluster: &Cluster, name: &str) -> Result<bool> {
    let mut client = cluster.connect("postgres")?;
    let row = client.query_one(
        "SELECT count(*) FROM pg_database WHERE datname = $1",
        &[&name],
    )?;
    Ok(row.try_get::<_, i64>(0)? == 1)
}

#[test]
fn a_cluster_runs_sql_and_leaves_nothing_when_stopped() -> Result<()> {
    let binaries = binaries()?;
    let cluster = Cluster::start(&binaries, &ClusterOptions::default())?;
    let footprint = Footprint::of(&cluster);
    println!(
        "{cluster}: server_version {}, startup {:?}",
        cluster.server_version()?,
        cluster.startup()
    );
    assert_eq!(cluster.startup().data_dir_origin, DataDirOrigin::Initdb);
    assert!(cluster
        .dir()
        .file_name()
        .and_then(|name| name.to_str())
        .is_some_and(
            |name| name.starts_with(&format!("validate-migrations-pg-{}-", std::process::id()))
        ));
    let socket_mode = fs::metadata(cluster.socket_dir())?.permissions().mode();
    assert_eq!(socket_mode & 0o777, 0o700);

    // Under root the server runs as an unprivileged user, with no supplementary groups.
    if let Some(user) = cluster.run_as() {
        let status = fs::read_to_string(format!("/proc/{}/status", cluster.pid()))?;
        let uid_line = status
            .lines()
            .find(|line| line.starts_with("Uid:"))
            .context("no Uid line")?;
        assert!(uid_line.contains(&user.uid.to_string()), "{uid_line}");
        let groups_line = status
            .lines()
            .find(|line| line.starts_with("Groups:"))
            .context("no Groups line")?;
        assert_eq!(groups_line.trim(), "Groups:");
    }

    cluster.create_database("chain_a", None)?;
    let mut client = cluster.connect("chain_a")?;
    client.batch_execute(
        "CREATE TABLE memo (id integer PRIMARY KEY, content text NOT NULL);
         INSERT INTO memo VALUES (1, 'hello');",
    )?;
    let content: String = client
        .query_one("SELECT content FROM memo WHERE id = 1", &[])?
        .try_get(0)?;
    assert_eq!(content, "hello");
    // The replay reads rows through `Database::query`, every value as PostgreSQL's text.
    let mut db = PostgresDatabase::new(client);
    let rows = db
        .query(
            "SELECT id, content, NULL::int, '{\"a\": 1}'::jsonb FROM memo",
            Duration::from_secs(10),
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let expected: Vec<Option<String>> = vec![
        Some("1".into()),
        Some("hello".into()),
        None,
        Some("{\"a\": 1}".into()),
    ];
    assert_eq!(rows, vec![expected]);
    let error = db
        .query("SELECT * FROM missing", Duration::from_secs(10))
        .expect_err("a missing table is an error");
    assert_eq!(error.sqlstate.as_deref(), Some("42P01"));
    drop(db);

    // A template copy is how the replay forks a chain.
    cluster.create_database("chain_b", Some("chain_a"))?;
    assert_eq!(
        table_names(&cluster, "chain_b")?,
        BTreeSet::from(["memo".to_string()])
    );
    let _open_session = cluster.connect("chain_b")?;
    cluster.drop_database("chain_b")?;
    assert!(!database_exists(&cluster, "chain_b")?);

    cluster.stop()?;
    footprint.assert_gone(true)
}

#[test]
fn two_clusters_run_at_once_without_colliding() -> Result<()> {
    let binaries = binaries()?;
    let (first, second) = thread::scope(|scope| {
        let first = scope.spawn(|| Cluster::start(&binaries, &ClusterOptions::default()));
        let second = Cluster::start(&binaries, &ClusterOptions::default());
        (first.join(), second)
    });
    let first = first.map_err(|_| anyhow::anyhow!("the first start panicked"))??;
    let second = second?;
    let footprints = [Footprint::of(&first), Footprint::of(&second)];
    assert_ne!(first.dir(), second.dir());
    assert_ne!(first.socket_dir(), second.socket_dir());

    first
        .connect("postgres")?
        .batch_execute("CREATE TABLE only_in_first (id integer)")?;
    assert!(table_names(&first, "postgres")?.contains("only_in_first"));
    assert!(table_names(&second, "postgres")?.is_empty());

    first.stop()?;
    second.stop()?;
    for footprint in footprints {
        footprint.assert_gone(true)?;
    }
    Ok(())
}

#[test]
fn a_panic_while_a_cluster_lives_leaves_nothing_behind() -> Result<()> {
    let binaries = binaries()?;
    let footprint: Mutex<Option<Footprint>> = Mutex::new(None);
    let outcome = std::panic::catch_unwind(|| {
        let cluster =
            Cluster::start(&binaries, &ClusterOptions::default()).expect("the cluster starts");
        *footprint.lock().unwrap_or_else(|e| e.into_inner()) = Some(Footprint::of(&cluster));
        panic!("a deliberate panic while the cluster runs");
    });
    assert!(outcome.is_err());
    let footprint = footprint
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .context("the cluster never started")?;
    footprint.assert_gone(true)
}

/// Not a test of its own: the signal tests run it in a child process (it is ignored, so a
/// normal run skips it). It starts a cluster, makes a scratch database on the existing server
/// it is given (if any), reports, and waits for its signal.
#[test]
#[ignore = "run in a child process by the signal tests"]
fn child_starts_a_cluster_and_waits() -> Result<()> {
    ensure!(
        std::env::var_os(CHILD_ROLE).is_some(),
        "this test is run by the signal tests, in a child process"
    );
    let cluster = Cluster::start(&binaries()?, &ClusterOptions::default())?;
    let footprint = Footprint::of(&cluster);
    let mut scratch = String::new();
    let _existing = match std::env::var(CHILD_EXISTING_URL) {
        Ok(url) => {
            let server = ExistingServer::open(&url)?;
            server.create_database("scratch", None)?;
            scratch = server.database_name("scratch")?;
            Some(server)
        }
        Err(_) => None,
    };
    let pids: Vec<String> = footprint.pids.iter().map(u32::to_string).collect();
    println!(
        "READY pids={} dir={} scratch={scratch}",
        pids.join(","),
        footprint.dir.display()
    );
    // The parent signals within seconds; the bound keeps a lost child from living on.
    thread::sleep(Duration::from_secs(60));
    bail!("no signal came")
}

/// What a child reported once its cluster ran.
struct ChildReport {
    footprint: Footprint,
    scratch: String,
}

/// Starts `child_starts_a_cluster_and_waits` in a child process and waits for its report.
fn start_child(existing_url: Option<&str>) -> Result<(Child, ChildReport)> {
    let mut command = Command::new(std::env::current_exe()?);
    command
        .args(["--ignored", "--exact", CHILD_TEST, "--nocapture"])
        .env(CHILD_ROLE, "wait")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(url) = existing_url {
        command.env(CHILD_EXISTING_URL, url);
    }
    let mut child = command.spawn().context("starting the child test process")?;
    let stdout = child.stdout.take().context("no stdout")?;
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(report) = line.strip_prefix("READY ") {
                let _ = sender.send(report.to_string());
            }
        }
    });
    let report = match receiver.recv_timeout(Duration::from_secs(30)) {
        Ok(report) => report,
        Err(error) => {
            let _ = child.kill();
            let _ = child.wait();
            bail!("the child never reported its cluster: {error}");
        }
    };
    let field = |name: &str| -> Result<String> {
        report
            .split_whitespace()
            .find_map(|part| part.strip_prefix(&format!("{name}=")))
            .map(str::to_string)
            .with_context(|| format!("no {name} in the child's report {report:?}"))
    };
    let pids = field("pids")?
        .split(',')
        .map(|pid| pid.parse::<u32>().context("a pid"))
        .collect::<Result<Vec<_>>>()?;
    let report = ChildReport {
        footprint: Footprint {
            dir: PathBuf::from(field("dir")?),
            pids,
        },
        scratch: field("scratch")?,
    };
    Ok((child, report))
}

fn signal(child: &Child, signal: libc::c_int) -> Result<()> {
    // SAFETY: the child has not been reaped, so its pid is still its own.
    let result = unsafe { libc::kill(child.id() as libc::pid_t, signal) };
    ensure!(result == 0, "kill: {}", std::io::Error::last_os_error());
    Ok(())
}

#[test]
fn sigterm_stops_the_cluster_and_drops_the_scratch_databases() -> Result<()> {
    let binaries = binaries()?;
    // The child's "existing server" is a cluster of this test.
    let existing = Cluster::start(&binaries, &ClusterOptions::default())?;
    let url = format!(
        "host={} port={} user=postgres password=not-needed dbname=postgres",
        existing.socket_dir().display(),
        existing.port()
    );
    let (mut child, report) = start_child(Some(&url))?;
    assert!(report.footprint.dir.exists());
    assert!(database_exists(&existing, &report.scratch)?);

    signal(&child, libc::SIGTERM)?;
    let status = support::wait_with_deadline(&mut child, Duration::from_secs(20))?;
    assert_eq!(status.code(), Some(143), "{status}");
    report.footprint.assert_gone(true)?;
    assert!(!database_exists(&existing, &report.scratch)?);
    existing.stop()
}

#[test]
fn sigint_exits_with_130_and_leaves_nothing_behind() -> Result<()> {
    let (mut child, report) = start_child(None)?;
    signal(&child, libc::SIGINT)?;
    let status = support::wait_with_deadline(&mut child, Duration::from_secs(20))?;
    assert_eq!(status.code(), Some(130), "{status}");
    report.footprint.assert_gone(true)
}

#[test]
fn after_sigkill_the_server_dies_and_the_next_start_reaps_the_directory() -> Result<()> {
    let (mut child, report) = start_child(None)?;
    signal(&child, libc::SIGKILL)?;
    support::wait_with_deadline(&mut child, Duration::from_secs(20))?;
    // The kernel sends the postmaster SIGQUIT (its parent-death signal): immediate shutdown.
    report.footprint.assert_gone(false)?;
    assert!(
        report.footprint.dir.exists(),
        "a SIGKILLed tool cannot remove its directory"
    );

    let cluster = Cluster::start(&binaries()?, &ClusterOptions::default())?;
    let after_start = report.footprint.dir.exists();
    cluster.stop()?;
    assert!(
        !after_start,
        "{} was not reaped by the next start",
        report.footprint.dir.display()
    );
    Ok(())
}

#[test]
fn a_server_that_was_killed_leaves_no_shared_memory_segment() -> Result<()> {
    let cluster = Cluster::start(&binaries()?, &ClusterOptions::default())?;
    let footprint = Footprint::of(&cluster);
    // The seventh line of postmaster.pid holds the key and id of the server's segment.
    let pid_file = fs::read_to_string(cluster.data_dir().join("postmaster.pid"))?;
    let segment_id: libc::c_int = pid_file
        .lines()
        .nth(6)
        .and_then(|line| line.split_whitespace().nth(1))
        .context("no shared memory line in postmaster.pid")?
        .parse()?;
    // SAFETY: the server is a child of this process that has not been reaped.
    ensure!(unsafe { libc::kill(cluster.pid() as libc::pid_t, libc::SIGKILL) } == 0);

    cluster.stop()?;
    footprint.assert_gone(true)?;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        // SAFETY: shmid_ds is plain old data that IPC_STAT fills in.
        let mut status: libc::shmid_ds = unsafe { std::mem::zeroed() };
        // SAFETY: IPC_STAT only reads the segment's status.
        if unsafe { libc::shmctl(segment_id, libc::IPC_STAT, &mut status) } == -1 {
            return Ok(());
        }
        ensure!(
            Instant::now() < deadline,
            "shared memory segment {segment_id} is still there"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_warm_start_copies_the_cached_data_directory() -> Result<()> {
    let binaries = binaries()?;
    let cache = tempfile::tempdir()?;
    let options = ClusterOptions {
        cache_dir: Some(cache.path().to_path_buf()),
        ..ClusterOptions::default()
    };
    let cached = cache
        .path()
        .join(format!("pg-{}-initdb", binaries.version()));

    let cold = Cluster::start(&binaries, &options)?;
    let cold_startup = cold.startup().clone();
    let footprint = Footprint::of(&cold);
    cold.stop()?;
    footprint.assert_gone(true)?;
    assert_eq!(
        cold_startup.data_dir_origin,
        DataDirOrigin::InitdbStoredInCache(cached.clone())
    );
    // Only the finished entry is in the cache: no staging directory is left.
    let entries: Vec<PathBuf> = fs::read_dir(cache.path())?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<_, _>>()?;
    assert_eq!(entries, vec![cached.clone()]);

    let warm = Cluster::start(&binaries, &options)?;
    let footprint = Footprint::of(&warm);
    assert_eq!(warm.startup().data_dir_origin, DataDirOrigin::Cache(cached));
    warm.connect("postgres")?
        .batch_execute("CREATE TABLE after_warm_start (id integer)")?;
    println!(
        "cold start: data directory after {:?}, accepting connections after {:?}",
        cold_startup.data_dir_ready_after, cold_startup.accepting_connections_after
    );
    println!(
        "warm start: data directory after {:?}, accepting connections after {:?}",
        warm.startup().data_dir_ready_after,
        warm.startup().accepting_connections_after
    );
    warm.stop()?;
    footprint.assert_gone(true)
}

#[test]
fn an_existing_server_gets_prefixed_scratch_databases_that_are_dropped_at_the_end() -> Result<()> {
    let cluster = Cluster::start(&binaries()?, &ClusterOptions::default())?;
    let url = format!(
        "postgresql://postgres:hunter2-secret@/postgres?host={}&port={}",
        cluster.socket_dir().display(),
        cluster.port()
    );
    let server = PgServer::Existing(ExistingServer::open(&url)?);
    let base = server.database_name("base")?;
    assert!(base.starts_with(&format!("vm_{}_", std::process::id())));
    assert_eq!(server.database_name("postgres")?, "postgres");

    server.create_database("base", None)?;
    server
        .connect("base")?
        .batch_execute("CREATE TABLE t (id integer)")?;
    server.create_database("fork", Some("base"))?;
    let fork = server.database_name("fork")?;
    assert_eq!(table_names(&cluster, &fork)?, BTreeSet::from(["t".into()]));
    assert!(server.drop_database("postgres").is_err());
    server.drop_database("fork")?;
    assert!(!database_exists(&cluster, &fork)?);
    println!("{server}: server_version {}", server.server_version()?);

    server.close()?;
    assert!(!database_exists(&cluster, &base)?);
    cluster.stop()
}

#[test]
fn the_password_of_a_url_never_shows() -> Result<()> {
    let password = "hunter2-secret";
    let cluster = Cluster::start(&binaries()?, &ClusterOptions::default())?;
    let socket_dir = cluster.socket_dir();
    let urls = [
        format!(
            "postgres://postgres:{password}@/postgres?host={}",
            socket_dir.display()
        ),
        format!(
            "host={} user=postgres password={password} dbname=postgres",
            socket_dir.display()
        ),
    ];
    for url in &urls {
        let server = ExistingServer::open(url)?;
        let mut texts = vec![format!("{server}"), format!("{server:?}")];
        texts.push(server.redacted_url().to_string());
        let wrapped = PgServer::Existing(server);
        texts.push(format!("{wrapped}"));
        texts.push(format!("{wrapped:?}"));
        // A database that does not exist: the error names the server.
        let error = wrapped
            .connect("missing")
            .err()
            .context("the database does not exist, yet the connection worked")?;
        texts.push(format!("{error:#}"));
        texts.push(format!("{error:?}"));
        for text in texts {
            assert!(text.contains("***"), "no redaction mark in {text}");
            assert!(!text.contains(password), "the password shows in {text}");
        }
    }
    cluster.stop()?;

    // Unreachable and malformed URLs fail with errors that hide it too.
    for url in [
        format!("postgres://postgres:{password}@/postgres?host=/nonexistent/socket/dir"),
        format!("postgres://postgres:{password}@localhost:notaport/postgres"),
        format!("host=/nonexistent password={password} port=x"),
    ] {
        let error = ExistingServer::open(&url).expect_err("the URL cannot work");
        for text in [format!("{error:#}"), format!("{error:?}")] {
            assert!(!text.contains(password), "the password shows in {text}");
        }
    }
    Ok(())
}

#[cfg(feature = "fetch-postgres")]
mod pg_embed_fetch {
    use std::io::{Cursor, Read, Write};
    use std::net::TcpListener;
    use std::path::Path;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use xtask::engine::postgres::{BinariesOrigin, FetchSource};

    use super::*;

    /// A package in the format pg-embed downloads: a zip (a `.jar`) holding one xz-compressed
    /// tarball of the binaries. It is made from this machine's Debian PostgreSQL, in Debian's
    /// layout (`lib/postgresql/<major>/{bin,lib}` and `share/postgresql/<major>`), because
    /// Debian's binaries find their share and lib directories relative to themselves only in
    /// that layout.
    fn package_from_system_binaries(system: &PgBinaries) -> Result<Vec<u8>> {
        let bin_dir = system.bin_dir();
        let major_dir = bin_dir.parent().context("the bin dir has no parent")?;
        let major = major_dir
            .file_name()
            .and_then(|name| name.to_str())
            .context("no major version directory")?;
        let usr = major_dir
            .parent()
            .and_then(Path::parent)
            .and_then(Path::parent)
            .context("the bin dir is not in Debian's layout")?;
        ensure!(
            bin_dir == usr.join(format!("lib/postgresql/{major}/bin")),
            "this test builds its package from Debian's layout, not from {}",
            bin_dir.display()
        );

        let mut tarball = Vec::new();
        {
            let mut builder = tar::Builder::new(&mut tarball);
            for program in ["initdb", "postgres"] {
                builder.append_path_with_name(
                    bin_dir.join(program),
                    format!("lib/postgresql/{major}/bin/{program}"),
                )?;
            }
            // The server loads plpgsql, the snowball dictionaries and the encoding
            // conversions from here; the bitcode and pgxs subdirectories are not needed.
            let lib_dir = major_dir.join("lib");
            for entry in fs::read_dir(&lib_dir)? {
                let entry = entry?;
                if entry.file_type()?.is_file() {
                    builder.append_path_with_name(
                        entry.path(),
                        format!(
                            "lib/postgresql/{major}/lib/{}",
                            entry.file_name().to_string_lossy()
                        ),
                    )?;
                }
            }
            builder.append_dir_all(
                format!("share/postgresql/{major}"),
                usr.join(format!("share/postgresql/{major}")),
            )?;
            builder.finish()?;
        }
        let mut xz = Vec::new();
        lzma_rs::xz_compress(&mut Cursor::new(&tarball), &mut xz)?;
        let mut jar = zip::ZipWriter::new(Cursor::new(Vec::new()));
        jar.start_file(
            "postgres-linux-x86_64.txz",
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored),
        )?;
        jar.write_all(&xz)?;
        Ok(jar.finish()?.into_inner())
    }

    /// A one-file HTTP server on the loopback interface: it answers `path` with `body` and
    /// anything else with 404, and records every request path. It stops when told to or after
    /// a minute, whichever comes first.
    struct LoopbackServer {
        address: String,
        stop: Arc<AtomicBool>,
        handle: thread::JoinHandle<Vec<String>>,
    }

    impl LoopbackServer {
        fn serve(path: String, body: Vec<u8>) -> Result<LoopbackServer> {
            let listener = TcpListener::bind("127.0.0.1:0")?;
            listener.set_nonblocking(true)?;
            let address = listener.local_addr()?.to_string();
            let stop = Arc::new(AtomicBool::new(false));
            let stop_flag = Arc::clone(&stop);
            let handle = thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(60);
                let mut requests = Vec::new();
                while !stop_flag.load(Ordering::Relaxed) && Instant::now() < deadline {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            if let Some(requested) = answer(stream, &path, &body) {
                                requests.push(requested);
                            }
                        }
                        Err(_) => thread::sleep(Duration::from_millis(10)),
                    }
                }
                requests
            });
            Ok(LoopbackServer {
                address,
                stop,
                handle,
            })
        }

        fn finish(self) -> Result<Vec<String>> {
            self.stop.store(true, Ordering::Relaxed);
            self.handle
                .join()
                .map_err(|_| anyhow::anyhow!("the loopback server panicked"))
        }
    }

    /// Answers one request; returns its path.
    fn answer(mut stream: std::net::TcpStream, path: &str, body: &[u8]) -> Option<String> {
        stream.set_nonblocking(false).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .ok()?;
        let mut request = Vec::new();
        let mut buffer = [0u8; 4096];
        while !request.windows(4).any(|window| window == b"\r\n\r\n") && request.len() < 65536 {
            let read = stream.read(&mut buffer).ok()?;
            if read == 0 {
                break;
            }
            request.extend_from_slice(&buffer[..read]);
        }
        let request = String::from_utf8_lossy(&request);
        let requested = request.split_whitespace().nth(1)?.to_string();
        let (status, content): (&str, &[u8]) = if requested == path {
            ("200 OK", body)
        } else {
            ("404 Not Found", b"not found")
        };
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/java-archive\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            content.len()
        );
        stream.write_all(head.as_bytes()).ok()?;
        stream.write_all(content).ok()?;
        Some(requested)
    }

    #[test]
    fn binaries_fetched_with_pg_embed_from_a_loopback_server_start_a_cluster() -> Result<()> {
        let system = binaries()?;
        let package = package_from_system_binaries(&system)?;
        let placeholder = FetchSource {
            host: "http://127.0.0.1".to_string(),
            ..FetchSource::default()
        };
        let path = placeholder
            .url()
            .strip_prefix(&placeholder.host)
            .context("the URL starts with the host")?
            .to_string();
        let server = LoopbackServer::serve(path.clone(), package)?;
        let source = FetchSource {
            host: format!("http://{}", server.address),
            ..FetchSource::default()
        };

        let cache = tempfile::tempdir()?;
        // Under root the server runs as another user, who must be able to reach the binaries.
        fs::set_permissions(cache.path(), fs::Permissions::from_mode(0o755))?;
        let fetched = PgBinaries::fetch(cache.path(), &source)?;
        // A second run finds the unpacked binaries in the cache and downloads nothing.
        let again = PgBinaries::fetch(cache.path(), &source)?;
        let requests = server.finish()?;
        assert_eq!(requests, vec![path]);
        assert_eq!(again, fetched);
        println!("fetched: {fetched}");
        assert_eq!(
            fetched.origin(),
            &BinariesOrigin::Fetched { url: source.url() }
        );
        assert!(fetched.bin_dir().starts_with(cache.path()));
        assert_eq!(fetched.version(), system.version());

        let cluster = Cluster::start(&fetched, &ClusterOptions::default())?;
        let footprint = Footprint::of(&cluster);
        let executable = fs::read_link(format!("/proc/{}/exe", cluster.pid()))?;
        assert!(
            executable.starts_with(cache.path()),
            "the server runs {}",
            executable.display()
        );
        let answer: i32 = cluster
            .connect("postgres")?
            .query_one("SELECT 41 + 1", &[])?
            .try_get(0)?;
        assert_eq!(answer, 42);
        println!("{cluster}: server_version {}", cluster.server_version()?);
        cluster.stop()?;
        footprint.assert_gone(true)
    }
}

/// The restore drill on a chain's database of the throwaway cluster: `pg_dump` piped into
/// `pg_restore` into a new database with the same rows, and afterwards no folder is left. The
/// restored database is left to go with the cluster, as the chains' own databases are (a `DROP
/// DATABASE` costs a checkpoint); the cluster's removal is what leaves nothing.
#[test]
fn the_restore_drill_restores_a_chain_database_and_leaves_no_folder() -> Result<()> {
    use xtask::config::Privileges;
    use xtask::engine::postgres::{PostgresServer, PostgresSettings, PostgresSource, ReplayAs};
    use xtask::engine::{Drill, Server as _};

    let cache = tempfile::tempdir()?;
    let server = PostgresServer::start(
        &PostgresSettings {
            source: &PostgresSource::Throwaway(BinariesOptions::default()),
            cache_dir: cache.path(),
            replay_as: ReplayAs::Owner,
            privileges: &Privileges::default(),
        },
        &[],
    )?;
    let timeout = Duration::from_secs(30);
    let text = |rows: xtask::engine::Rows| rows[0][0].clone().unwrap_or_default();
    let mut seen = Vec::new();
    server.with_database("fresh", &mut |db| {
        let setup = "CREATE TABLE drill (id serial PRIMARY KEY, note text); \
                     INSERT INTO drill (note) VALUES ('a'), ('b'), (NULL)";
        db.execute(setup, timeout).expect("the setup runs");
        let before = support::private_dirs();
        let drill = db.restore_drill(timeout, &mut |copy| {
            let rows = copy.query("SELECT count(*) FROM drill", timeout);
            seen.push(format!("restored rows: {}", text(rows.expect("count"))));
            seen.push(format!(
                "folders during: +{}",
                support::private_dirs().len() - before.len()
            ));
        });
        seen.push(format!("{:?}", drill.map_err(|e| format!("{e:#}"))));
        let left = db.query(
            "SELECT count(*) FROM pg_database WHERE datname LIKE 'drill%'",
            timeout,
        );
        seen.push(format!(
            "drill databases after: {}",
            text(left.expect("count"))
        ));
        seen.push(format!(
            "folders after: {}",
            support::private_dirs() == before
        ));
    })?;
    Box::new(server).close()?;
    assert_eq!(
        seen,
        [
            "restored rows: 3".to_string(),
            "folders during: +1".to_string(),
            format!("{:?}", Ok::<Drill, String>(Drill::Restored)),
            "drill databases after: 1".to_string(),
            "folders after: true".to_string(),
        ]
    );
    Ok(())
}
