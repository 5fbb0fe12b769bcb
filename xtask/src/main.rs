//! `cargo xtask`: the command line. The `match` in `run` is the table of contents; each
//! subcommand lives in a module of the library.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Parser;

use flags::{
    BenchArgs, Cli, ColorChoice, Command, EngineArgs, FailOn, Format, FormatTarget, NewLintArgs,
    PgBin, ReleaseCheckArgs, ReleaseFormat, ValidateArgs,
};
use xtask::codes::Code;
use xtask::engine::postgres::BinariesOptions;
use xtask::{accept, release, render, replay, scaffold, validate};

mod flags;

/// Exit codes, as documented in the README and in `--help`.
const EXIT_CLEAN: u8 = 0;
const EXIT_PROBLEMS: u8 = 1;
const EXIT_COULD_NOT_RUN: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A throwaway cluster that cannot be cleaned up on a drop or a signal is worth a line.
    xtask::engine::postgres::report_cleanup_problems_to(|problem| {
        eprintln!("warning: {problem}");
    });
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
        Command::NewLint(args) => new_lint(args),
    }
}

fn validate_migrations(args: ValidateArgs) -> anyhow::Result<u8> {
    if let Some(name) = &args.explain {
        let code = Code::from_name(name).with_context(|| {
            if let Some(code) = xtask::codes::did_you_mean(name) {
                return format!("unknown code `{name}`; did you mean `{code}`? (--explain {code})");
            }
            let known: Vec<&str> = Code::ALL.iter().map(|c| c.name()).collect();
            format!("unknown code `{name}`; the codes are: {}", known.join(", "))
        })?;
        print!("{}", code.explanation());
        return Ok(EXIT_CLEAN);
    }
    if args.update_sum {
        let root = store_root(args.store.root)?;
        for (path, count) in
            xtask::history::sum::update(&root, args.store.config.as_deref(), &args.dialect)?
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
    let targets = format_targets(&args.format)?;
    let options = validate::Options {
        root: store_root(args.store.root)?,
        config: args.store.config,
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
    let context = render::sarif::Context::for_store(&options.root, args.shard);
    report(&outcome, &targets, args.color, &context)?;
    if invalid_config(&outcome) {
        return Ok(EXIT_COULD_NOT_RUN);
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

/// Where each format goes: those of `--format`, or the default one to standard output. At
/// most one goes to standard output, where two would be mixed into one stream.
fn format_targets(given: &[FormatTarget]) -> anyhow::Result<Vec<FormatTarget>> {
    let to_stdout = given.iter().filter(|t| t.path.is_none()).count();
    if to_stdout > 1 {
        anyhow::bail!(
            "--format names {to_stdout} formats without a file: give each but one a file, as \
             --format sarif=out.sarif"
        );
    }
    if !given.is_empty() {
        return Ok(given.to_vec());
    }
    let format = if in_github_actions() {
        Format::Github
    } else {
        Format::Human
    };
    Ok(vec![FormatTarget { format, path: None }])
}

/// Writes the report in each of its formats, to its file or to stdout, and in GitHub Actions
/// the job summary too.
fn report(
    outcome: &validate::Outcome,
    targets: &[FormatTarget],
    color: ColorChoice,
    context: &render::sarif::Context,
) -> anyhow::Result<()> {
    for target in targets {
        let text = match target.format {
            Format::Human => {
                render::human::render(outcome, use_color(color, target.path.is_none()))
            }
            Format::Json => render::json::render(outcome),
            Format::Github => render::github::render(outcome),
            Format::Junit => render::junit::render(outcome),
            Format::Sarif => render::sarif::render(outcome, context),
        };
        write_output(target.path.as_deref(), &text)?;
    }
    if in_github_actions() {
        step_summary(&render::markdown::render(outcome));
    }
    Ok(())
}

/// Writes a report to its file, or to stdout where it names none.
fn write_output(path: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match path {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write the report to {}", path.display())),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
                .context("cannot write the report")
        }
    }
}

/// Whether a configuration the run cannot follow stopped it before the tree was read: exit 2,
/// as for every other reason the run could not look at the tree, with the problems on stderr
/// too, where every such reason is told.
fn invalid_config(outcome: &validate::Outcome) -> bool {
    let invalid: Vec<String> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::InvalidConfig)
        .map(|d| match (&d.file, d.span) {
            (Some(file), Some(span)) => format!(
                "{file}:{}:{}: {}",
                span.start.line, span.start.column, d.message
            ),
            _ => d.message.clone(),
        })
        .collect();
    if !invalid.is_empty() {
        eprintln!(
            "error: the configuration is not valid:\n  {}",
            invalid.join("\n  ")
        );
    }
    !invalid.is_empty()
}

/// Appends to the job summary of GitHub Actions, where `$GITHUB_STEP_SUMMARY` names it. The
/// summary is a courtesy beside the report: one that cannot be written is a warning, never a
/// failed run.
fn step_summary(markdown: &str) {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") else {
        return;
    };
    let path = Path::new(&path);
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut file| file.write_all(markdown.as_bytes()));
    if let Err(error) = written {
        eprintln!(
            "warning: cannot write the job summary to {} ($GITHUB_STEP_SUMMARY): {error}",
            path.display()
        );
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
    Ok(replay::Options {
        statement_timeout: args.statement_timeout,
        deadline,
        shard: args.shard,
        data: args.data.settings(),
        ..engine_options(&args.engines)?
    })
}

/// The replay's options that the engine flags set, shared by every subcommand that replays.
fn engine_options(engines: &EngineArgs) -> anyhow::Result<replay::Options> {
    let defaults = replay::Options::default();
    let postgres = match &engines.postgres_url {
        Some(url) => replay::PostgresSource::Existing(url.to_string()),
        None => replay::PostgresSource::Throwaway(BinariesOptions {
            download: engines.download_postgres,
            ..binaries_options(&engines.pg_bin)?
        }),
    };
    Ok(replay::Options {
        jobs: engines.jobs.unwrap_or(defaults.jobs).max(1),
        postgres,
        progress: (std::io::stderr().is_terminal() && !in_github_actions())
            .then(|| replay::ProgressSink::new(draw_progress)),
        replay_as: engines.replay_as,
        restore_drill: !engines.no_restore_drill,
        postgres_versions: engines.postgres_version.clone(),
        download_postgres: engines.download_postgres,
        ..defaults
    })
}

/// Where `--pg-bin` says the binaries are: one folder for the one major, and one per major
/// given as `MAJOR=DIR`.
fn binaries_options(pg_bin: &[PgBin]) -> anyhow::Result<BinariesOptions> {
    let mut options = BinariesOptions::default();
    for PgBin { major, dir } in pg_bin {
        match major {
            Some(major) => {
                if options.per_major.insert(*major, dir.clone()).is_some() {
                    anyhow::bail!("--pg-bin names two folders for PostgreSQL {major}: give one");
                }
            }
            None if options.explicit_dir.is_some() => anyhow::bail!(
                "--pg-bin names two folders without a major: give one, or write MAJOR=DIR for each"
            ),
            None => options.explicit_dir = Some(dir.clone()),
        }
    }
    Ok(options)
}

/// Draws the replay's progress as one line on standard error, redrawn after each chain, and
/// clears it when the chains are done so that the report starts on a clean line.
fn draw_progress(progress: &replay::Progress) {
    if progress.finished {
        eprint!("\r\x1b[2K");
        return;
    }
    let parts: Vec<String> = progress
        .dialects
        .iter()
        .map(|(dialect, done, total)| format!("{dialect} {done}/{total}"))
        .collect();
    eprint!("\r\x1b[2Kreplaying chains: {}", parts.join(", "));
}

fn release_check(args: ReleaseCheckArgs) -> anyhow::Result<u8> {
    let outcome = release::check(&release::Options {
        replay: replay::Options {
            data: args.data.settings(),
            ..engine_options(&args.engines)?
        },
        root: store_root(args.store.root)?,
        config: args.store.config,
        version: args.version,
    })?;
    let format = args.format.unwrap_or(if in_github_actions() {
        ReleaseFormat::Github
    } else {
        ReleaseFormat::Human
    });
    let text = match format {
        ReleaseFormat::Human => release::render::human(&outcome, use_color(args.color, true)),
        ReleaseFormat::Json => release::render::json(&outcome),
        ReleaseFormat::Github => release::render::github(&outcome),
    };
    write_output(None, &text)?;
    if in_github_actions() {
        step_summary(&release::render::markdown(&outcome));
    }
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
    let options = xtask::bench::Options {
        shape: xtask::bench::generate::Shape {
            tables: args.tables,
            migrations: args.migrations,
        },
        runs: args.runs,
        jobs: args.jobs.unwrap_or(defaults.jobs).max(1),
        keep: args.keep,
        cache_dir: defaults.cache_dir,
        pg_bin: args.pg_bin,
        populated: !args.no_populated,
        rows: args.rows,
    };
    if args.populated_only {
        print!("{}", xtask::bench::run_populated(&options)?);
    } else {
        print!("{}", xtask::bench::run(&options)?);
    }
    Ok(EXIT_CLEAN)
}

/// The store to check: `--root`, else `store/` of the repository the tool runs in.
fn store_root(root: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    match root {
        Some(root) if root.is_file() => anyhow::bail!(
            "--root {} is a file, not a folder: give the store, the folder that holds migration/",
            root.display()
        ),
        Some(root) => Ok(root),
        None => Ok(xtask::project_root()?.join("store")),
    }
}

fn in_github_actions() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// Whether human output is coloured; `auto` colours only standard output on a terminal, never
/// a file.
fn use_color(choice: ColorChoice, to_stdout: bool) -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    match choice {
        _ if no_color => false,
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => to_stdout && std::io::stdout().is_terminal(),
    }
}

fn new_lint(args: NewLintArgs) -> anyhow::Result<u8> {
    let root = match args.root {
        Some(root) => root,
        None => xtask::project_root()?,
    };
    let summary = args
        .summary
        .unwrap_or_else(|| format!("a statement the {} rule reports", args.name));
    let written = scaffold::new_lint(&scaffold::Options {
        root,
        name: args.name.clone(),
        summary,
    })?;
    let mut stdout = std::io::stdout().lock();
    for path in &written {
        writeln!(stdout, "wrote {}", path.display())?;
    }
    writeln!(
        stdout,
        "next: write the check and its test in the rule's file, then its explanation and its \
         case, until `cargo test -p xtask --lib rules::lint::{}` and `cargo test --test cases` \
         pass",
        args.name.replace('-', "_"),
    )?;
    Ok(EXIT_CLEAN)
}
