//! The replay against real engines where a case file cannot say it: upgrade chains from release
//! tags of a real git repository, and a run killed halfway.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use support::{git, stable, stdout, Tree};

/// The minimal tree released as `v<version>` before its 0.2 migration, with `extra` in place of
/// the 0.2 index in its LATEST.sql; the working tree is back at 0.2.1, unreleased.
fn released_tree(extra: &str, version: &str) -> Tree {
    support::released_before_0_2(
        version,
        |latest| {
            latest.replace(
                "CREATE INDEX idx_memo_creator_id ON memo (creator_id);\n",
                extra,
            )
        },
        |_| {},
    )
}

fn validate(tree: &Tree, extra: &[&str]) -> std::process::Output {
    let store = tree.store();
    let store = store.to_str().expect("UTF-8 temporary path");
    support::xtask(&[&["validate-migrations", "--root", store], extra].concat())
}

fn chains(output: &std::process::Output) -> Vec<String> {
    support::replay_chains(output)
        .into_iter()
        .map(|(name, passed)| format!("{name} {}", if passed { "passed" } else { "failed" }))
        .collect()
}

#[test]
fn an_upgrade_from_each_release_tag_is_replayed() {
    let tree = released_tree("", "0.1.2");
    let output = validate(&tree, &["--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let chains = chains(&output);
    assert!(
        chains.contains(&"postgres/upgrade-from-v0.1.2 passed".to_string()),
        "{chains:?}"
    );
    assert!(
        chains.contains(&"sqlite/upgrade-from-v0.1.2 passed".to_string()),
        "{chains:?}"
    );
}

#[test]
fn a_table_no_migration_dropped_drifts_on_the_upgrade_path_only() {
    // The release shipped a table in LATEST.sql that the working tree's LATEST.sql no longer
    // has and that no migration drops: upgraded installs keep it (the `storage` case).
    let tree = released_tree(
        "CREATE TABLE storage (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n",
        "0.1.2",
    );
    let output = validate(&tree, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    insta::assert_snapshot!(stable(&stdout(&output)));
}

#[test]
fn a_release_above_the_target_is_a_refused_downgrade() {
    // A release stamped 0.3.1 while the working tree's newest migration is 0.2.1: migrations
    // that were released are missing, and the service refuses to start ("cannot downgrade").
    let tree = released_tree("", "0.3.1");
    let output = validate(&tree, &["--dialect", "postgres"]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let text = stdout(&output);
    assert!(text.contains("error[downgrade-refused]"), "{text}");
    assert!(text.contains("cannot downgrade"), "{text}");
    assert!(text.contains("upgrade-from-v0.3.1"), "{text}");
}

#[test]
fn a_shallow_clone_says_how_to_fetch_tags() {
    let origin = released_tree("", "0.1.2");
    git(origin.dir.path(), &["add", "."]);
    git(origin.dir.path(), &["commit", "-q", "-m", "0.2.1"]);
    let clone = tempfile::tempdir().expect("temporary folder");
    let url = format!("file://{}", origin.dir.path().display());
    git(clone.path(), &["clone", "-q", "--depth", "1", &url, "repo"]);
    let output = support::xtask(&[
        "validate-migrations",
        "--root",
        clone.path().join("repo/store").to_str().expect("UTF-8"),
        "--dialect",
        "sqlite",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(
        stdout(&output).contains("fetch-depth: 0"),
        "{}",
        stdout(&output)
    );
}

/// The cluster folders of a process, wherever the cluster manager puts them
/// (`validate-migrations-pg-<pid>-<random>`, under /dev/shm or the temporary folder).
fn cluster_dirs(pid: u32) -> Vec<std::path::PathBuf> {
    let prefix = format!("validate-migrations-pg-{pid}-");
    [Path::new("/dev/shm").to_path_buf(), std::env::temp_dir()]
        .iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flatten()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .collect()
}

/// Whether any process runs with `needle` in its command line.
fn process_mentions(needle: &str) -> bool {
    std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(Result::ok)
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .any(|cmdline| String::from_utf8_lossy(&cmdline).contains(needle))
}

#[test]
fn a_killed_run_leaves_no_server_and_no_folder() {
    let tree = Tree::new("minimal");
    tree.write(
        "migration/postgres/0.2/00__memo_index.sql",
        b"CREATE INDEX idx_memo_creator_id ON memo (creator_id);\nSELECT pg_sleep(60);\n",
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args([
            "validate-migrations",
            "--dialect",
            "postgres",
            "--statement-timeout",
            "120",
            "--root",
        ])
        .arg(tree.store())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start xtask");
    let deadline = Instant::now() + Duration::from_secs(60);
    let dir = loop {
        if let Some(dir) = cluster_dirs(child.id()).pop() {
            break dir;
        }
        assert!(Instant::now() < deadline, "no cluster appeared");
        std::thread::sleep(Duration::from_millis(50));
    };
    // Wait until the chain's backend runs (its process title names the database), so that the
    // run is killed in the middle of a chain.
    while !process_mentions("chain_full") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    // SAFETY: kill() with a pid we spawned and a valid signal number has no memory effects.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let status = child.wait().expect("wait for xtask");
    assert_eq!(
        status.code(),
        Some(143),
        "terminated by SIGTERM: {status:?}"
    );
    assert!(!dir.exists(), "{} was left behind", dir.display());
    let dir_name = dir.to_string_lossy().into_owned();
    let gone_by = Instant::now() + Duration::from_secs(10);
    while process_mentions(&dir_name) && Instant::now() < gone_by {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !process_mentions(&dir_name),
        "a postgres process of {dir_name} outlived the run"
    );
}

#[test]
fn an_existing_server_by_url_gets_scratch_databases_and_the_password_never_shows() {
    use xtask::engine::postgres::{BinariesOptions, Cluster, ClusterOptions, PgBinaries};

    let binaries = PgBinaries::find(&BinariesOptions::default()).expect("PostgreSQL binaries");
    let cluster = Cluster::start(&binaries, &ClusterOptions::default()).expect("a cluster");
    // The cluster trusts local connections, so the password is accepted and ignored: what
    // matters is that the tool never prints it.
    let url = format!(
        "postgresql://postgres:s3cret-pw@localhost/postgres?host={}&port={}",
        cluster.socket_dir().display(),
        cluster.port()
    );
    let tree = Tree::new("minimal");
    let output = validate(&tree, &["--dialect", "postgres", "--postgres-url", &url]);
    let text = format!(
        "{}{}",
        stdout(&output),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(!text.contains("s3cret-pw"), "{text}");
    assert!(text.contains("engine: PostgreSQL"), "{text}");

    let mut client = cluster.connect("postgres").expect("connect");
    let left: Vec<String> = client
        .query(
            "SELECT datname FROM pg_database WHERE datname LIKE 'vm\\_%'",
            &[],
        )
        .expect("list databases")
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert!(left.is_empty(), "scratch databases left behind: {left:?}");
    cluster.stop().expect("stop the cluster");
}

/// The minimal PostgreSQL tree whose 0.1 gives `memo.content` a unique constraint under the name
/// PostgreSQL generates (`memo_content_key`), released as v0.1.2 with `content_clause` in its
/// LATEST.sql; the unreleased 0.2 migration drops the constraint by the generated name.
fn dropped_generated_name(content_clause: &str) -> Tree {
    let tree = support::released_before_0_2(
        "0.1.2",
        |latest| {
            latest
                .replace(
                    "CREATE INDEX idx_memo_creator_id ON memo (creator_id);\n",
                    "",
                )
                .replace(
                    "content TEXT NOT NULL DEFAULT '',\n  visibility",
                    &format!("content TEXT NOT NULL DEFAULT '' {content_clause},\n  visibility"),
                )
        },
        |tree| {
            tree.write(
                "migration/postgres/0.1/01__memo_visibility.sql",
                b"ALTER TABLE memo ADD COLUMN visibility TEXT NOT NULL DEFAULT 'PRIVATE';\n\
                  ALTER TABLE memo ADD UNIQUE (content);\n",
            );
        },
    );
    tree.write(
        "migration/postgres/0.2/00__memo_index.sql",
        b"CREATE INDEX idx_memo_creator_id ON memo (creator_id);\n\
          ALTER TABLE memo DROP CONSTRAINT memo_content_key;\n",
    );
    tree
}

/// The severity and message of each `drop-generated-constraint-name` of a JSON report.
fn generated_name_findings(output: &std::process::Output) -> Vec<(String, String)> {
    support::diagnostics(output)
        .iter()
        .filter(|d| d["code"] == "drop-generated-constraint-name")
        .map(|d| {
            (
                d["severity"].as_str().unwrap_or_default().to_string(),
                d["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_generated_name_every_chain_built_the_same_is_a_note() {
    // The release's LATEST.sql generates the same name as the migrations.
    let tree = dropped_generated_name("UNIQUE");
    let output = validate(&tree, &["--dialect", "postgres", "--format", "json"]);
    let findings = generated_name_findings(&output);
    assert_eq!(findings.len(), 1, "{}", stdout(&output));
    let (severity, message) = &findings[0];
    assert_eq!(severity, "note", "{message}");
    assert!(
        message.contains("every chain that ran it (chains full, upgrade-from-v0.1.2)"),
        "{message}"
    );
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));

    // Without the replay the finding keeps its severity and says that the replay would judge it.
    let output = validate(
        &tree,
        &["--dialect", "postgres", "--format", "json", "--static-only"],
    );
    let findings = generated_name_findings(&output);
    assert_eq!(findings[0].0, "error");
    assert!(
        findings[0].1.contains("the replay would judge it"),
        "{}",
        findings[0].1
    );
}

#[test]
fn a_generated_name_that_differs_between_chains_stays_an_error() {
    // The release's LATEST.sql names the constraint itself, so installations of v0.1.2 have no
    // `memo_content_key`, and their upgrade fails at the DROP.
    let tree = dropped_generated_name("CONSTRAINT memo_content_unique UNIQUE");
    let output = validate(&tree, &["--dialect", "postgres", "--format", "json"]);
    let findings = generated_name_findings(&output);
    assert_eq!(findings.len(), 1, "{}", stdout(&output));
    let (severity, message) = &findings[0];
    assert_eq!(severity, "error", "{message}");
    assert!(
        message.contains("the replay shows that the name differs")
            && message.contains("refused the DROP in chain upgrade-from-v0.1.2"),
        "{message}"
    );
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
}

/// `replay.skip-extensions`: the PostgreSQL chains that create the listed extension stop there,
/// not checked (in the JSON document and the job summary), and the SQLite chains still run.
#[test]
fn a_skipped_extension_leaves_its_chains_not_checked() {
    let tree = Tree::new("minimal");
    tree.write(
        "migration/postgres/0.2/00__memo_index.sql",
        b"CREATE EXTENSION IF NOT EXISTS vector;\n\
          CREATE INDEX idx_memo_creator_id ON memo (creator_id);\n",
    );
    let latest = tree.store().join("migration/postgres/LATEST.sql");
    let text = std::fs::read_to_string(&latest).expect("LATEST.sql");
    tree.write(
        "migration/postgres/LATEST.sql",
        format!("CREATE EXTENSION IF NOT EXISTS vector;\n{text}").as_bytes(),
    );
    tree.write(
        "validate-migrations.toml",
        b"[replay]\nskip-extensions = [\"vector\"]\n",
    );
    let summary = tree.dir.path().join("summary.md");
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["validate-migrations", "--format", "json", "--root"])
        .arg(tree.store())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("run xtask");
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let chains: Vec<String> = document["replay"]["chains"]
        .as_array()
        .expect("chains")
        .iter()
        .map(|c| {
            format!(
                "{}/{} {} {}",
                c["dialect"].as_str().unwrap_or_default(),
                c["name"].as_str().unwrap_or_default(),
                c["passed"],
                c["not_checked"].as_str().unwrap_or("-")
            )
        })
        .collect();
    assert_eq!(
        chains,
        [
            "postgres/fresh false replay.skip-extensions: vector",
            "postgres/full false replay.skip-extensions: vector",
            "sqlite/fresh true -",
            "sqlite/full true -",
        ]
    );

    // In GitHub Actions the job summary says so too.
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["validate-migrations", "--root"])
        .arg(tree.store())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .expect("run xtask");
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let markdown = std::fs::read_to_string(&summary).expect("summary");
    assert!(
        markdown.contains("| postgres | fresh | not checked (replay.skip-extensions: vector) |"),
        "{markdown}"
    );
    assert!(markdown.contains("| sqlite | full | yes |"), "{markdown}");
}

/// The search_path case of `tests/cases/replay/restore-failed-search-path.txt`: a CHECK calls a
/// function that calls another without its schema, so a backup does not restore.
const SEARCH_PATH_FUNCTIONS: &str = "\
CREATE FUNCTION is_positive(x integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT x > 0';
CREATE FUNCTION valid_creator(x integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT is_positive(x)';
";
const SEARCH_PATH_CHECK: &str =
    "ALTER TABLE memo ADD CONSTRAINT memo_creator_valid CHECK (valid_creator(creator_id));\n";

/// The minimal tree released as v0.1.2, whose unreleased 0.2 migration adds the search_path
/// case (and LATEST.sql with it).
fn search_path_tree() -> Tree {
    let tree = released_tree("", "0.1.2");
    tree.write(
        "migration/postgres/0.2/00__memo_index.sql",
        format!(
            "CREATE INDEX idx_memo_creator_id ON memo (creator_id);\n\
             {SEARCH_PATH_FUNCTIONS}{SEARCH_PATH_CHECK}"
        )
        .as_bytes(),
    );
    let latest = tree.store().join("migration/postgres/LATEST.sql");
    let text = std::fs::read_to_string(&latest).expect("LATEST.sql");
    let text = text.replace(
        "CREATE INDEX idx_memo_creator_id ON memo (creator_id);\n",
        &format!(
            "CREATE INDEX idx_memo_creator_id ON memo (creator_id);\n\
             {SEARCH_PATH_FUNCTIONS}{SEARCH_PATH_CHECK}"
        ),
    );
    tree.write("migration/postgres/LATEST.sql", text.as_bytes());
    tree
}

/// The restore drill runs at the end of `fresh` and of every upgrade chain, not of the full
/// chain (an upgrade of an empty database).
#[test]
fn the_restore_drill_runs_on_fresh_and_every_upgrade_chain() {
    let tree = search_path_tree();
    let output = validate(&tree, &["--dialect", "postgres", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let drilled: Vec<String> = support::diagnostics(&output)
        .iter()
        .filter(|d| d["code"] == "restore-failed")
        .flat_map(|d| d["chains"].as_array().cloned().unwrap_or_default())
        .map(|chain| chain.as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        drilled,
        ["fresh", "upgrade-from-v0.1.2"],
        "{}",
        stdout(&output)
    );
}

/// Binaries without `pg_dump` (as the npm registry's server packages ship them): the chains run,
/// the drill does not, and the summary says which PostgreSQL was not drilled and what to
/// install, while the backup that would not restore goes unnoticed.
#[test]
fn a_server_without_pg_dump_is_not_drilled_and_the_summary_says_what_to_install() {
    let tree = search_path_tree();
    let installed = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .ok()
        .filter(|dir| Path::new(dir).join("postgres").exists())
        .unwrap_or_else(|| "/usr/lib/postgresql/15/bin".to_string());
    let server_only = tree.dir.path().join("server-only");
    std::fs::create_dir(&server_only).expect("create the folder");
    for program in ["initdb", "pg_ctl", "postgres"] {
        support::symlink(
            &Path::new(&installed).join(program),
            &server_only.join(program),
        );
    }
    let pg_bin = server_only.to_str().expect("UTF-8 temporary path");
    let output = validate(&tree, &["--dialect", "postgres", "--pg-bin", pg_bin]);
    let text = stable(&stdout(&output));
    assert_eq!(output.status.code(), Some(0), "{text}");
    let line = text
        .lines()
        .find(|line| line.starts_with("not checked: the restore drill on PostgreSQL"))
        .unwrap_or_else(|| panic!("no not-checked line for the drill:\n{text}"));
    assert!(
        line.contains(&format!("no pg_dump and pg_restore in {pg_bin}"))
            && line.contains("apt-get install postgresql-client-"),
        "{line}"
    );
}
#[test]
fn a_run_that_stops_before_the_replay_stops_the_cluster_started_beside_the_static_checks() {
    // The cluster starts while the static checks run; a baseline that does not exist stops the
    // run (exit 2) before the replay takes the cluster, which must be stopped all the same.
    let tree = Tree::new("minimal");
    let missing = tree.dir.path().join("no-such-baseline.toml");
    let child = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["validate-migrations", "--dialect", "postgres", "--root"])
        .arg(tree.store())
        .arg("--baseline")
        .arg(&missing)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start xtask");
    let pid = child.id();
    let output = child.wait_with_output().expect("wait for xtask");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert!(
        cluster_dirs(pid).is_empty(),
        "left behind: {:?}",
        cluster_dirs(pid)
    );
    let name = format!("validate-migrations-pg-{pid}-");
    let gone_by = Instant::now() + Duration::from_secs(10);
    while process_mentions(&name) && Instant::now() < gone_by {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !process_mentions(&name),
        "a postgres process of the run outlived it"
    );
}

#[test]
fn the_summary_keeps_what_the_upgrade_measured_per_statement() {
    // Released before the 0.2 index: the upgrade from v0.1.2 runs its CREATE INDEX, which
    // PostgreSQL does under a SHARE lock on memo, without rewriting it.
    let tree = support::released_before_0_2(
        "0.1.2",
        |latest| {
            latest.replace(
                "CREATE INDEX idx_memo_creator_id ON memo (creator_id);\n",
                "",
            )
        },
        |_| {},
    );
    let output = validate(&tree, &["--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let chains = document["replay"]["chains"].as_array().expect("chains");
    let measured = |dialect: &str, name: &str| {
        chains
            .iter()
            .find(|c| c["dialect"] == dialect && c["name"] == name)
            .map(|c| c["measured"].clone())
            .expect("the chain")
    };
    let postgres = measured("postgres", "upgrade-from-v0.1.2");
    assert!(postgres["elapsed_ms"].is_f64(), "{postgres:#}");
    let statements = postgres["statements"].as_array().expect("statements");
    assert_eq!(statements.len(), 1, "{postgres:#}");
    assert_eq!(
        statements[0]["file"],
        "store/migration/postgres/0.2/00__memo_index.sql"
    );
    assert_eq!(statements[0]["line"], 1);
    assert!(statements[0].get("rewrote").is_none(), "{postgres:#}");
    assert_eq!(
        statements[0]["locks"],
        serde_json::json!([{ "table": "memo", "mode": "ShareLock" }])
    );
    // SQLite's statements are timed, not probed; chains that are not upgrades are not measured.
    let sqlite = measured("sqlite", "upgrade-from-v0.1.2");
    assert_eq!(sqlite["statements"][0]["line"], 1, "{sqlite:#}");
    assert!(sqlite["statements"][0].get("locks").is_none(), "{sqlite:#}");
    assert!(measured("postgres", "full").is_null());
}
