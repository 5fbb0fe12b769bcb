//! Untrusted migrations on the real engines: statements that would run past every limit end
//! within the timeout and a few seconds, at their file:line, and the run ends with exit 1.
//! Every run here is bounded by `LIMIT`, so a regression fails the test instead of hanging it;
//! nothing asserts how long a run took beyond that it ended.

mod support;

use std::fs::File;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use xtask::engine::postgres::{BinariesOptions, Cluster, ClusterOptions, PgBinaries};

/// Far longer than any run here takes when the deadlines work (a few seconds each); only a
/// run that hangs reaches it.
const LIMIT: Duration = Duration::from_secs(90);

/// Runs `xtask` like `support::xtask`, killing it (and failing the test) if it runs past
/// `LIMIT`.
fn xtask_bounded(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().expect("temporary folder");
    let out_path = dir.path().join("stdout");
    let err_path = dir.path().join("stderr");
    let mut child = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null())
        .stdout(File::create(&out_path).expect("stdout file"))
        .stderr(File::create(&err_path).expect("stderr file"))
        .spawn()
        .expect("run xtask");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for xtask") {
            break status;
        }
        if started.elapsed() > LIMIT {
            // SIGTERM lets the tool stop its cluster before the test fails.
            // SAFETY: kill(2) on the pid of the child this test started.
            unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
            let _ = child.wait();
            panic!("xtask {args:?} did not end within {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    Output {
        status,
        stdout: std::fs::read(out_path).expect("read stdout"),
        stderr: std::fs::read(err_path).expect("read stderr"),
    }
}

/// The minimal tree with `sql` as the PostgreSQL migration 0.2, replayed on PostgreSQL with a
/// one-second statement timeout and `extra` arguments.
fn replay_postgres(sql: &str, extra: &[&str]) -> Output {
    let tree = support::Tree::new("minimal");
    tree.write("migration/postgres/0.2/00__memo_index.sql", sql.as_bytes());
    let store = tree.store();
    let store = store.to_str().expect("UTF-8 path");
    let mut args = vec![
        "validate-migrations",
        "--root",
        store,
        "--dialect",
        "postgres",
        "--statement-timeout",
        "1",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    xtask_bounded(&args)
}

/// The codes and locations (`file:line`) of a JSON report's diagnostics.
fn findings(output: &Output) -> Vec<(String, String)> {
    support::diagnostics(output)
        .iter()
        .map(|d| {
            let line = d["span"]["start"]["line"].as_u64().unwrap_or_default();
            let code = d["code"].as_str().unwrap_or_default().to_string();
            let file = d["file"].as_str().unwrap_or_default();
            (code, format!("{file}:{line}"))
        })
        .collect()
}

/// Asserts that the run ended with exit 1 and reported `code` at `location` (`file:line`).
fn assert_finding_at(output: &Output, expected: &str, location: &str) {
    let found = findings(output);
    assert_eq!(output.status.code(), Some(1), "{found:#?}");
    assert!(
        found
            .iter()
            .any(|(code, at)| code == expected && at == location),
        "expected {expected} at {location}: {found:#?}"
    );
}

fn assert_timeout_at(output: &Output, location: &str) {
    assert_finding_at(output, "statement-timeout", location);
    // The chain that does not run the migration goes on and passes.
    let chains = support::replay_chains(output);
    assert!(
        chains.contains(&("postgres/fresh".to_string(), true)),
        "{chains:?}"
    );
    assert!(
        chains.contains(&("postgres/full".to_string(), false)),
        "{chains:?}"
    );
}

const MIGRATION: &str = "store/migration/postgres/0.2/00__memo_index.sql";

#[test]
fn a_migration_that_turns_its_timeout_off_is_cancelled_from_outside() {
    let output = replay_postgres(
        "CREATE INDEX idx_memo_creator_id ON memo (creator_id);\n\
         SET statement_timeout = 0;\n\
         SELECT pg_sleep(100000);\n",
        &[],
    );
    assert_timeout_at(&output, &format!("{MIGRATION}:3"));
}

#[test]
fn a_loop_that_catches_the_cancellation_is_terminated() {
    let output = replay_postgres(
        "CREATE INDEX idx_memo_creator_id ON memo (creator_id);\n\
         DO $$\n\
         BEGIN\n\
           LOOP\n\
             BEGIN\n\
               PERFORM pg_sleep(0.1);\n\
             EXCEPTION WHEN query_canceled THEN\n\
               NULL;\n\
             END;\n\
           END LOOP;\n\
         END\n\
         $$;\n",
        &[],
    );
    assert_timeout_at(&output, &format!("{MIGRATION}:2"));
}

#[test]
fn a_loop_that_outlives_the_run_is_stopped_and_the_chains_left_fail() {
    // The PostgreSQL migration ignores its timeout, so it is stopped by the watchdog a moment
    // after the run's deadline; the SQLite chains (run after it, one job) then find no time
    // left.
    let tree = support::Tree::new("minimal");
    tree.write(
        "migration/postgres/0.2/00__memo_index.sql",
        b"CREATE INDEX idx_memo_creator_id ON memo (creator_id);\n\
          SET statement_timeout = 0;\n\
          SELECT pg_sleep(100000);\n",
    );
    let store = tree.store();
    let output = xtask_bounded(&[
        "validate-migrations",
        "--root",
        store.to_str().expect("UTF-8 path"),
        "--jobs",
        "1",
        "--statement-timeout",
        "600",
        "--timeout",
        "3",
        "--format",
        "json",
    ]);
    let found = findings(&output);
    assert_eq!(output.status.code(), Some(1), "{found:#?}");
    assert!(
        found
            .iter()
            .any(|(code, at)| code == "statement-timeout" && *at == format!("{MIGRATION}:3")),
        "{found:#?}"
    );
    assert!(
        found.iter().any(|(code, _)| code == "run-timeout"),
        "{found:#?}"
    );
}

#[test]
fn timeouts_out_of_range_are_refused() {
    for (option, value) in [
        ("--statement-timeout", "1e30"),
        ("--statement-timeout", "0.0004"),
        ("--statement-timeout", "1e7"),
        ("--statement-timeout", "-1"),
        ("--statement-timeout", "NaN"),
        ("--statement-timeout", "inf"),
        ("--statement-timeout", "soon"),
        ("--timeout", "1e30"),
        ("--timeout", "0"),
    ] {
        let argument = format!("{option}={value}");
        let output = xtask_bounded(&["validate-migrations", "--static-only", &argument]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{option} {value}: {stderr}");
        assert!(
            stderr.contains(option) && stderr.contains("from 0.01 to 86400"),
            "{option} {value}: {stderr}"
        );
    }
}

#[test]
fn a_server_that_accepts_and_never_answers_is_given_up() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let port = listener.local_addr().expect("local address").port();
    // Accepts every connection and keeps it open without a word.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let tree = support::Tree::new("minimal");
    let store = tree.store();
    let url = format!("postgres://nobody@127.0.0.1:{port}/app");
    let output = xtask_bounded(&[
        "validate-migrations",
        "--root",
        store.to_str().expect("UTF-8 path"),
        "--dialect",
        "postgres",
        "--postgres-url",
        &url,
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("did not complete the connection"),
        "{stderr}"
    );
}

/// A server that completes PostgreSQL's start-up (no authentication, then ready) and then never
/// answers a query: what a server that stops answering mid-run looks like to the tool.
fn server_that_falls_silent() -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let port = listener.local_addr().expect("local address").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for mut stream in listener.incoming().flatten() {
            // Start-up messages: a length, then a code; an SSL request (80877103) is declined
            // with `N` and followed by the real start-up message.
            loop {
                let mut head = [0u8; 8];
                if stream.read_exact(&mut head).is_err() {
                    break;
                }
                let length = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
                let code = u32::from_be_bytes([head[4], head[5], head[6], head[7]]);
                let mut rest = vec![0u8; length.saturating_sub(8)];
                if stream.read_exact(&mut rest).is_err() {
                    break;
                }
                if code == 80877103 {
                    let _ = stream.write_all(b"N");
                    continue;
                }
                // AuthenticationOk, then ReadyForQuery (idle); then silence.
                let _ = stream.write_all(&[b'R', 0, 0, 0, 8, 0, 0, 0, 0, b'Z', 0, 0, 0, 5, b'I']);
                break;
            }
            held.push(stream);
        }
    });
    port
}

#[test]
fn the_backstop_ends_a_run_stuck_outside_the_replay() {
    // The server answers the connection and then nothing: the first query of the run, before
    // any chain and its watchdog, waits forever; only the backstop of --timeout ends it.
    let port = server_that_falls_silent();
    let tree = support::Tree::new("minimal");
    let store = tree.store();
    let url = format!("postgres://nobody@127.0.0.1:{port}/app");
    let output = xtask_bounded(&[
        "validate-migrations",
        "--root",
        store.to_str().expect("UTF-8 path"),
        "--dialect",
        "postgres",
        "--postgres-url",
        &url,
        "--timeout",
        "1",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("did not end within --timeout"), "{stderr}");
}

#[test]
fn a_deferred_trigger_that_spins_at_commit_is_terminated() {
    // The commit runs the tree's SQL too: a deferred trigger that catches its cancellation.
    let output = replay_postgres(
        "CREATE INDEX idx_memo_creator_id ON memo (creator_id);\n\
         CREATE TABLE spin_target (a INTEGER);\n\
         CREATE FUNCTION spin() RETURNS trigger LANGUAGE plpgsql AS $$\n\
         BEGIN\n\
           LOOP\n\
             BEGIN\n\
               PERFORM pg_sleep(0.1);\n\
             EXCEPTION WHEN query_canceled THEN\n\
               NULL;\n\
             END;\n\
           END LOOP;\n\
         END\n\
         $$;\n\
         CREATE CONSTRAINT TRIGGER spin_at_commit AFTER INSERT ON spin_target\n\
           DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION spin();\n\
         INSERT INTO spin_target VALUES (1);\n",
        &[],
    );
    let found = findings(&output);
    assert_eq!(output.status.code(), Some(1), "{found:#?}");
    assert!(
        found.iter().any(|(code, _)| code == "commit-failed"),
        "{found:#?}"
    );
}

/// A folder every user may write in, so that a statement that reached the host as the server's
/// user would leave its mark there (the tests below check it does not).
fn open_folder() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777))
        .expect("open the folder to every user");
    dir
}

fn assert_needs_privilege(output: &Output, location: &str) {
    assert_finding_at(output, "needs-privilege", location);
}

#[test]
fn statements_that_reach_the_host_are_refused_as_the_services_role_would_be() {
    let folder = open_folder();
    let mark = folder.path().join("mark");
    let mark = mark.to_str().expect("UTF-8 path");
    let hostile = [
        format!("COPY (SELECT 1) TO PROGRAM 'touch {mark}';"),
        format!("COPY (SELECT 1) TO '{mark}';"),
        format!("CREATE TABLE sink (a text);\nCOPY sink FROM PROGRAM 'touch {mark}';"),
        format!("SELECT lo_export(lo_from_bytea(0, 'x'), '{mark}');"),
        "SELECT lo_import('/etc/hostname');".to_string(),
        "SELECT pg_read_file('/etc/hostname');".to_string(),
        "SELECT pg_ls_dir('/');".to_string(),
        "CREATE EXTENSION adminpack;".to_string(),
        "CREATE EXTENSION file_fdw;".to_string(),
        "CREATE EXTENSION dblink;".to_string(),
        "CREATE ROLE intruder SUPERUSER LOGIN;".to_string(),
        "SELECT pg_reload_conf();".to_string(),
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid();"
            .to_string(),
    ];
    for sql in &hostile {
        let output = replay_postgres(sql, &[]);
        let line = sql.lines().count();
        assert_needs_privilege(&output, &format!("{MIGRATION}:{line}"));
        assert!(
            !folder.path().join("mark").exists(),
            "{sql} reached the host"
        );
    }
    // ALTER SYSTEM is refused before its privilege is checked: the service applies migrations
    // in a transaction, where it cannot run at all.
    let output = replay_postgres("ALTER SYSTEM SET work_mem = '1GB';", &[]);
    assert_finding_at(&output, "statement-failed", &format!("{MIGRATION}:1"));
}

#[test]
fn a_migration_cannot_take_the_superusers_identity() {
    for sql in ["SET SESSION AUTHORIZATION postgres;", "SET ROLE postgres;"] {
        let output = replay_postgres(sql, &[]);
        assert_needs_privilege(&output, &format!("{MIGRATION}:1"));
    }
}

#[test]
fn replayed_as_superuser_the_same_statement_reaches_the_host() {
    // What the default prevents, shown on the same machine: the reason --replay-as superuser is
    // documented as unsafe for untrusted migrations (and proof that the test above can fail).
    let folder = open_folder();
    let mark = folder.path().join("mark");
    let sql = format!(
        "COPY (SELECT 1) TO PROGRAM 'touch {}';",
        mark.to_str().expect("UTF-8 path")
    );
    let output = replay_postgres(&sql, &["--replay-as", "superuser"]);
    let text = support::stdout(&output);
    assert!(mark.exists(), "{text}");
    assert!(
        text.contains("--replay-as superuser"),
        "the summary says privileges were not checked: {text}"
    );
}

/// The minimal tree with `config` as its configuration and `sql` as migration 0.2, replayed on
/// PostgreSQL (with `extra` arguments).
fn replay_configured(config: &str, sql: &str, latest_extra: &str, extra: &[&str]) -> Output {
    let tree = support::Tree::new("minimal");
    tree.write("validate-migrations.toml", config.as_bytes());
    tree.write("migration/postgres/0.2/00__memo_index.sql", sql.as_bytes());
    let latest = tree.store().join("migration/postgres/LATEST.sql");
    let text = std::fs::read_to_string(&latest).expect("read LATEST.sql");
    std::fs::write(&latest, format!("{latest_extra}{text}")).expect("write LATEST.sql");
    let store = tree.store();
    let mut args = vec![
        "validate-migrations",
        "--root",
        store.to_str().expect("UTF-8 path"),
        "--dialect",
        "postgres",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    xtask_bounded(&args)
}

#[test]
fn a_trusted_extension_and_a_configured_untrusted_one_pass() {
    let extensions =
        "CREATE EXTENSION IF NOT EXISTS pgcrypto;\nCREATE EXTENSION IF NOT EXISTS dblink;\n";
    let output = replay_configured(
        "[replay]\nsuperuser-extensions = [\"dblink\"]\n",
        &format!("{extensions}CREATE INDEX idx_memo_creator_id ON memo (creator_id);\n"),
        extensions,
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{:#?}", findings(&output));
    // Without the configuration, the untrusted one needs superuser.
    let output = replay_configured(
        "",
        &format!("{extensions}CREATE INDEX idx_memo_creator_id ON memo (creator_id);\n"),
        "",
        &[],
    );
    assert_needs_privilege(&output, &format!("{MIGRATION}:2"));
}

#[test]
fn a_connection_back_to_the_server_is_refused() {
    // dblink is configured, as an administrator would create it; what it connects to is not.
    // The chain cannot read where the server's socket is, so the test hands it over: the
    // replay runs on a cluster the test started, whose socket it knows.
    let binaries = PgBinaries::find(&BinariesOptions::default()).expect("PostgreSQL binaries");
    let cluster = Cluster::start(&binaries, &ClusterOptions::default()).expect("a cluster");
    let socket = cluster.socket_dir();
    let url = format!(
        "postgresql://postgres@localhost/postgres?host={}&port={}",
        socket.display(),
        cluster.port()
    );
    for user in ["postgres", "' || current_user || '"] {
        let sql = format!(
            "CREATE EXTENSION IF NOT EXISTS dblink;\n\
             SELECT dblink_connect('host={} port={} dbname=' || current_database() || ' user={user}');\n",
            socket.display(),
            cluster.port()
        );
        let output = replay_configured(
            "[replay]\nsuperuser-extensions = [\"dblink\"]\n",
            &sql,
            "",
            &["--postgres-url", &url],
        );
        let found = findings(&output);
        assert_eq!(output.status.code(), Some(1), "{found:#?}");
        let refused = support::diagnostics(&output).into_iter().any(|d| {
            d["span"]["start"]["line"] == 2
                && d["message"].as_str().is_some_and(|m| {
                    m.contains("password is required") || m.contains("no password supplied")
                })
        });
        assert!(
            refused,
            "the connection as {user} was refused for want of a password: {:#?}",
            support::diagnostics(&output)
        );
    }
    cluster.stop().expect("stop the cluster");
}

const CREATE_ROLE: &str = "CREATE ROLE app_reader NOLOGIN;\n";

#[test]
fn roles_a_chain_creates_are_its_own() {
    // Both chains create the role: fresh in LATEST.sql, full in the migration. Roles are
    // cluster-wide, so without isolation the second chain would find it already there.
    let migration =
        format!("{CREATE_ROLE}CREATE INDEX idx_memo_creator_id ON memo (creator_id);\n");
    let output = replay_configured(
        "[replay]\nrole-attributes = [\"CREATEROLE\"]\n",
        &migration,
        CREATE_ROLE,
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{:#?}", findings(&output));
    // Without the attribute, the service's role could not create it.
    let output = replay_configured("", &migration, "", &[]);
    assert_needs_privilege(&output, &format!("{MIGRATION}:1"));
}

#[test]
fn an_existing_server_keeps_no_role_of_the_run() {
    let binaries = PgBinaries::find(&BinariesOptions::default()).expect("PostgreSQL binaries");
    let cluster = Cluster::start(&binaries, &ClusterOptions::default()).expect("a cluster");
    let roles = || -> Vec<String> {
        let mut client = cluster.connect("postgres").expect("connect");
        client
            .query("SELECT rolname::text FROM pg_roles ORDER BY 1", &[])
            .expect("list roles")
            .iter()
            .map(|row| row.get(0))
            .collect()
    };
    let before = roles();
    let url = format!(
        "postgresql://postgres@localhost/postgres?host={}&port={}",
        cluster.socket_dir().display(),
        cluster.port()
    );
    let migration =
        format!("{CREATE_ROLE}CREATE INDEX idx_memo_creator_id ON memo (creator_id);\n");
    let output = replay_configured(
        "[replay]\nrole-attributes = [\"CREATEROLE\"]\n",
        &migration,
        CREATE_ROLE,
        &["--postgres-url", &url],
    );
    assert_eq!(output.status.code(), Some(0), "{:#?}", findings(&output));
    assert_eq!(roles(), before, "roles were left on the server");
    cluster.stop().expect("stop the cluster");
}

#[test]
fn the_throwaway_cluster_asks_every_role_but_its_superuser_for_a_password() {
    let binaries = PgBinaries::find(&BinariesOptions::default()).expect("PostgreSQL binaries");
    let cluster = Cluster::start(&binaries, &ClusterOptions::default()).expect("a cluster");
    cluster
        .connect("postgres")
        .expect("the superuser connects without a password")
        .batch_execute("CREATE ROLE chain_like LOGIN PASSWORD 'known-to-the-tool'")
        .expect("create a role");
    let as_role = |password: Option<&str>| {
        let mut config = cluster.connection_config("postgres");
        config.user("chain_like");
        if let Some(password) = password {
            config.password(password);
        }
        config.connect(postgres::NoTls)
    };
    assert!(
        as_role(None).is_err(),
        "a role connected without its password"
    );
    assert!(
        as_role(Some("guess")).is_err(),
        "a role connected with a wrong password"
    );
    as_role(Some("known-to-the-tool")).expect("the role connects with its password");
    cluster.stop().expect("stop the cluster");
}
