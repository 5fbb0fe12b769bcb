//! `cargo xtask`: the command line. The `match` in `run` is the table of contents; each
//! subcommand lives in a module of the library.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};

use xtask::codes::Code;
use xtask::dialect::Dialect;
use xtask::engine::postgres::{BinariesOptions, ReplayAs};
use xtask::{accept, release, render, replay, validate};

/// Exit codes, as documented in the README and in `--help`.
const EXIT_CLEAN: u8 = 0;
const EXIT_PROBLEMS: u8 = 1;
const EXIT_COULD_NOT_RUN: u8 = 2;

const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  no errors (warnings and notes allowed; under --fail-on warning, no warnings either);
     with --write-baseline, the baseline was written
  1  problems found: at least one error (under --fail-on warning: an error or a warning)
  2  could not run: bad arguments, an unreadable or missing store, an unknown code, a malformed
     configuration or baseline, an unknown --changed-since reference, a run that did not end
     within --timeout and 30 seconds more";

const RELEASE_EXIT_CODES_HELP: &str = "\
Exit codes:
  0  ready: every gate and every check passed (warnings and notes allowed)
  1  not ready: at least one problem (a gate or an error of the validation)
  2  could not run: a version that is not X.Y.Z, a store outside git or in a shallow clone,
     PostgreSQL could not be found or started";

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "Project tasks",
    version
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check the SQL migration trees of the store: layout, naming, versions, stamps, parsing and
    /// dialect leaks, then replay every migration chain on PostgreSQL and SQLite and compare the
    /// schemas with the fresh install's.
    #[command(after_help = EXIT_CODES_HELP)]
    ValidateMigrations(ValidateArgs),
    /// Time the validation: store/ warm, and a generated large tree (300+ migrations per
    /// dialect) against its floor, the same SQL run by psql and sqlite3 alone. Prints the
    /// machine, the engines, the times and the ratios (see docs/benchmarks.md).
    Bench(BenchArgs),
    /// Check that the store can be released as VERSION: VERSION and every LATEST.sql stamp say
    /// it, it is newer than every release tag, its tag vVERSION does not exist yet, nothing under
    /// the store is uncommitted, and the whole validation (with the replay) passes. Then print
    /// the schema changes since the previous release as release-note markdown.
    #[command(after_help = RELEASE_EXIT_CODES_HELP)]
    ReleaseCheck(ReleaseCheckArgs),
}

#[derive(clap::Args)]
struct ReleaseCheckArgs {
    /// The version to release, X.Y.Z (vX.Y.Z is read as X.Y.Z); its tag will be vX.Y.Z.
    version: String,
    /// The store to release: the folder that holds migration/. Default: store/ of this
    /// repository.
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// The configuration file that describes the tree's layout (docs/config.md). Default:
    /// validate-migrations.toml in the store's folder if it exists, else the store convention.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// How many chains to replay at once. Default: the number of cores.
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Take the PostgreSQL server binaries (initdb, postgres) from this folder.
    #[arg(long, value_name = "DIR", env = "PG_BIN")]
    pg_bin: Option<PathBuf>,
    /// Replay on this existing PostgreSQL server instead of a throwaway cluster.
    #[arg(long, value_name = "URL", conflicts_with = "pg_bin")]
    postgres_url: Option<String>,
    /// Who PostgreSQL chains run as. `owner`: a fresh role per chain that owns its database and
    /// has only the rights replay.role-attributes grants, as a service's user. `superuser`: for
    /// a tree that truly needs it; unsafe on untrusted migrations (a pull request's), which can
    /// then run programs and read and write files on this machine.
    #[arg(long, value_name = "WHO", default_value = "owner")]
    replay_as: ReplayAs,
    /// Output format: the report, the verdict and the notes as text, or as one JSON document.
    #[arg(long, value_name = "FORMAT", default_value = "human")]
    format: ReleaseFormat,
    /// When to colour human output. `auto`: only on a terminal; NO_COLOR always turns it off.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    color: ColorChoice,
    /// Also write the release notes (markdown) to this file, only when the release is ready.
    #[arg(long, value_name = "FILE")]
    notes: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum ReleaseFormat {
    Human,
    Json,
}

#[derive(clap::Args)]
struct BenchArgs {
    /// Tables in the generated tree.
    #[arg(long, value_name = "N", default_value_t = xtask::bench::generate::Shape::LARGE.tables)]
    tables: usize,
    /// Migration files per dialect in the generated tree.
    #[arg(long, value_name = "N", default_value_t = xtask::bench::generate::Shape::LARGE.migrations)]
    migrations: usize,
    /// Timed runs of each measurement, after one warm-up run.
    #[arg(long, value_name = "N", default_value_t = 5)]
    runs: usize,
    /// How many chains to replay at once. Default: the number of cores.
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Write the generated tree into this new folder and keep it, for inspection.
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
    /// Take the PostgreSQL binaries (initdb, postgres, psql) from this folder.
    #[arg(long, value_name = "DIR", env = "PG_BIN")]
    pg_bin: Option<PathBuf>,
}

#[derive(clap::Args)]
struct ValidateArgs {
    /// The store to check: the folder that holds migration/ (and seed/). Default: store/ of this
    /// repository.
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// The configuration file that describes the tree's layout (docs/config.md). Default:
    /// validate-migrations.toml in the store's folder if it exists, else the store convention.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Check only this dialect (repeat for several). Default: every dialect folder of the store.
    #[arg(long, value_name = "DIALECT")]
    dialect: Vec<Dialect>,
    /// Run the static checks only, without replaying the chains on database engines.
    #[arg(long)]
    static_only: bool,
    /// How many chains to replay at once. Default: the number of cores.
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Stop a statement that runs longer than this many seconds (0.01 to 86400), whatever the
    /// statement does to its own session's settings.
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = seconds)]
    statement_timeout: Duration,
    /// End the whole run within this many seconds (0.01 to 86400): statements still running
    /// then are stopped, chains not replayed by then fail with run-timeout.
    #[arg(long, value_name = "SECONDS", value_parser = seconds)]
    timeout: Option<Duration>,
    /// Take the PostgreSQL server binaries (initdb, postgres) from this folder.
    #[arg(long, value_name = "DIR", env = "PG_BIN")]
    pg_bin: Option<PathBuf>,
    /// Replay on this existing PostgreSQL server instead of a throwaway cluster; scratch
    /// databases are created and dropped on it.
    #[arg(long, value_name = "URL", conflicts_with = "pg_bin")]
    postgres_url: Option<String>,
    /// Who PostgreSQL chains run as. `owner`: a fresh role per chain that owns its database and
    /// has only the rights replay.role-attributes grants, as a service's user. `superuser`: for
    /// a tree that truly needs it; unsafe on untrusted migrations (a pull request's), which can
    /// then run programs and read and write files on this machine.
    #[arg(long, value_name = "WHO", default_value = "owner")]
    replay_as: ReplayAs,
    /// Replay only this share of the chains, for a CI matrix: shard K of N (e.g. 2/4).
    #[arg(long, value_name = "K/N")]
    shard: Option<replay::Shard>,
    /// Output format. Default: github under GITHUB_ACTIONS=true, human otherwise. Under GitHub
    /// Actions a Markdown summary is also appended to $GITHUB_STEP_SUMMARY.
    #[arg(long, value_name = "FORMAT")]
    format: Option<Format>,
    /// When to colour human output. `auto`: only on a terminal; NO_COLOR always turns it off.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    color: ColorChoice,
    /// Print the explanation of a diagnostic code and exit.
    #[arg(long, value_name = "CODE")]
    explain: Option<String>,
    /// Write migration/<dialect>/migrations.sum, the record of the migrations that is checked
    /// where there are no release tags, and exit without checking.
    #[arg(long)]
    update_sum: bool,
    /// Run the checks and record every error and warning in the baseline
    /// (validate-migrations.baseline.toml beside the configuration, or --baseline FILE), then
    /// exit 0. Later runs report a recorded finding as a note: the first step of adopting the
    /// tool on a tree with history.
    #[arg(long, conflicts_with_all = ["changed_since", "shard"])]
    write_baseline: bool,
    /// The baseline to read (or, with --write-baseline, to write). Default:
    /// validate-migrations.baseline.toml beside the configuration file (or in the store's
    /// folder), read when it exists.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Report static and lint findings only for files added or changed since REF (git diff
    /// REF, plus uncommitted and untracked files under the store). The replay still runs every
    /// chain and its findings are all reported.
    #[arg(long, value_name = "REF")]
    changed_since: Option<String>,
    /// The lowest severity that makes the run exit 1.
    #[arg(long, value_name = "SEVERITY", default_value = "error")]
    fail_on: FailOn,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    /// Exit 1 when an error remains.
    Error,
    /// Exit 1 when an error or a warning remains (a DROP COLUMN blocks the merge).
    Warning,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
    Github,
    Junit,
    Sarif,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(EXIT_COULD_NOT_RUN)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::ValidateMigrations(args) => validate_migrations(args),
        Command::Bench(args) => bench(args),
        Command::ReleaseCheck(args) => release_check(args),
    }
}

fn validate_migrations(args: ValidateArgs) -> anyhow::Result<u8> {
    if let Some(name) = &args.explain {
        let code = Code::from_name(name).with_context(|| {
            let known: Vec<&str> = Code::ALL.iter().map(|c| c.name()).collect();
            format!("unknown code `{name}`; the codes are: {}", known.join(", "))
        })?;
        print!("{}", code.explanation());
        return Ok(EXIT_CLEAN);
    }
    if args.update_sum {
        let root = store_root(args.root)?;
        for (path, count) in
            xtask::history::sum::update(&root, args.config.as_deref(), &args.dialect)?
        {
            println!("wrote {} ({count} migrations)", path.display());
        }
        return Ok(EXIT_CLEAN);
    }
    let deadline = args.timeout.map(|timeout| Instant::now() + timeout);
    if let Some(deadline) = deadline {
        start_backstop(deadline)?;
    }
    let replay = (!args.static_only)
        .then(|| replay_options(&args, deadline))
        .transpose()?;
    let baseline = match (args.write_baseline, args.baseline) {
        (true, path) => accept::BaselineMode::Write(path),
        (false, Some(path)) => accept::BaselineMode::ReadFile(path),
        (false, None) => accept::BaselineMode::Read,
    };
    let options = validate::Options {
        root: store_root(args.root)?,
        config: args.config,
        dialects: args.dialect,
        replay,
        accept: accept::Options {
            baseline,
            changed_since: args.changed_since,
        },
    };
    let outcome = validate::run(&options)?;
    if let Some((path, records)) = &outcome.acceptance.to_write {
        let count = accept::baseline::write(path, records)?;
        println!(
            "wrote {} ({count} finding{}): later runs report them as notes",
            path.display(),
            if count == 1 { "" } else { "s" }
        );
        return Ok(EXIT_CLEAN);
    }
    let format = args.format.unwrap_or(if in_github_actions() {
        Format::Github
    } else {
        Format::Human
    });
    let text = match format {
        Format::Human => render::human::render(&outcome, use_color(args.color)),
        Format::Json => render::json::render(&outcome),
        Format::Github => render::github::render(&outcome),
        Format::Junit => render::junit::render(&outcome),
        Format::Sarif => render::sarif::render(&outcome),
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .context("cannot write the report")?;
    if in_github_actions() {
        if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") {
            append_step_summary(Path::new(&path), &render::markdown::render(&outcome))?;
        }
    }
    let counts = outcome.counts();
    let failing = match args.fail_on {
        FailOn::Error => counts.errors,
        FailOn::Warning => counts.errors + counts.warnings,
    };
    Ok(if failing > 0 {
        EXIT_PROBLEMS
    } else {
        EXIT_CLEAN
    })
}

fn append_step_summary(path: &Path, markdown: &str) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open the job summary {}", path.display()))?;
    file.write_all(markdown.as_bytes())
        .with_context(|| format!("cannot write the job summary {}", path.display()))
}

/// The longest timeout the tool accepts: one day. Longer ones are a mistake (PostgreSQL
/// refuses a `statement_timeout` of more than about 24 days, at the first statement).
const MAX_SECONDS: f64 = 86_400.0;

/// The shortest: below it, a timeout rounds to no time at all (PostgreSQL reads 0 ms as no
/// timeout).
const MIN_SECONDS: f64 = 0.01;

/// A number of seconds for `--statement-timeout` and `--timeout`, within the accepted range.
fn seconds(text: &str) -> Result<Duration, String> {
    let range = format!("a number of seconds from {MIN_SECONDS} to {MAX_SECONDS} (one day)");
    match text.trim().parse::<f64>() {
        Ok(value) if (MIN_SECONDS..=MAX_SECONDS).contains(&value) => {
            Ok(Duration::from_secs_f64(value))
        }
        Ok(_) => Err(format!("{text} is out of range: give {range}")),
        Err(_) => Err(format!("{text} is not a number: give {range}")),
    }
}

/// Ends the process if the run has not ended `BACKSTOP_GRACE` after its `--timeout`: the
/// replay stops its statements at the deadline, so only something that ignores every deadline
/// (an engine that stopped answering) gets here. The throwaway cluster and the scratch
/// databases are removed first.
fn start_backstop(deadline: Instant) -> anyhow::Result<()> {
    const BACKSTOP_GRACE: Duration = Duration::from_secs(30);
    std::thread::Builder::new()
        .name("run-timeout".into())
        .spawn(move || {
            std::thread::sleep(
                (deadline + BACKSTOP_GRACE).saturating_duration_since(Instant::now()),
            );
            eprintln!(
                "error: the run did not end within --timeout and {} seconds more; stopping it",
                BACKSTOP_GRACE.as_secs()
            );
            xtask::engine::postgres::abandon_run();
            std::process::exit(i32::from(EXIT_COULD_NOT_RUN));
        })
        .context("cannot start the thread that enforces --timeout")?;
    Ok(())
}

fn replay_options(
    args: &ValidateArgs,
    deadline: Option<Instant>,
) -> anyhow::Result<replay::Options> {
    let postgres = postgres_source(args.postgres_url.as_deref(), args.pg_bin.as_deref());
    let defaults = replay::Options::default();
    Ok(replay::Options {
        jobs: args.jobs.unwrap_or(defaults.jobs).max(1),
        statement_timeout: args.statement_timeout,
        deadline,
        postgres,
        shard: args.shard,
        progress: std::io::stderr().is_terminal() && !in_github_actions(),
        replay_as: args.replay_as,
        ..defaults
    })
}

/// The server to replay on: an existing one by URL, else a throwaway cluster from `pg_bin` (or
/// the binaries the tool finds).
fn postgres_source(url: Option<&str>, pg_bin: Option<&Path>) -> replay::PostgresSource {
    match url {
        Some(url) => replay::PostgresSource::Existing(url.to_string()),
        None => replay::PostgresSource::Throwaway(BinariesOptions {
            explicit_dir: pg_bin.map(Path::to_path_buf),
            ..BinariesOptions::default()
        }),
    }
}

fn release_check(args: ReleaseCheckArgs) -> anyhow::Result<u8> {
    let postgres = postgres_source(args.postgres_url.as_deref(), args.pg_bin.as_deref());
    let defaults = replay::Options::default();
    let outcome = release::check(&release::Options {
        root: store_root(args.root)?,
        config: args.config,
        version: args.version,
        replay: replay::Options {
            jobs: args.jobs.unwrap_or(defaults.jobs).max(1),
            postgres,
            progress: std::io::stderr().is_terminal() && !in_github_actions(),
            replay_as: args.replay_as,
            ..defaults
        },
    })?;
    let text = match args.format {
        ReleaseFormat::Human => release::render::human(&outcome, use_color(args.color)),
        ReleaseFormat::Json => release::render::json(&outcome),
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .context("cannot write the report")?;
    if !outcome.is_ready() {
        return Ok(EXIT_PROBLEMS);
    }
    // Notes are written only for a release that is ready, so that a release job never picks up
    // notes of a tree that failed its check.
    if let Some(path) = &args.notes {
        std::fs::write(path, &outcome.notes)
            .with_context(|| format!("cannot write the notes to {}", path.display()))?;
    }
    Ok(EXIT_CLEAN)
}

fn bench(args: BenchArgs) -> anyhow::Result<u8> {
    let defaults = replay::Options::default();
    let report = xtask::bench::run(&xtask::bench::Options {
        shape: xtask::bench::generate::Shape {
            tables: args.tables,
            migrations: args.migrations,
        },
        runs: args.runs,
        jobs: args.jobs.unwrap_or(defaults.jobs).max(1),
        keep: args.keep,
        cache_dir: defaults.cache_dir,
        pg_bin: args.pg_bin,
    })?;
    print!("{report}");
    Ok(EXIT_CLEAN)
}

/// The store to check: `--root`, else `store/` of the repository the tool runs in.
fn store_root(root: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    match root {
        Some(root) => Ok(root),
        None => Ok(xtask::project_root()?.join("store")),
    }
}

fn in_github_actions() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

fn use_color(choice: ColorChoice) -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    match choice {
        _ if no_color => false,
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::io::stdout().is_terminal(),
    }
}
