//! The command line: `cargo xtask` parsed and run, in the library so that another repository's
//! own xtask can run it too (README, "Use it in your repository"). `run` takes a whole command
//! line; `execute` runs one of the two subcommands another xtask embeds (`Commands`). The
//! `match` in `dispatch` is the table of contents; each subcommand lives in a module of the
//! library. This module is the only one that prints, and it never ends the process but where
//! `--timeout` is overrun: it returns the exit code for `main` to exit with.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use clap::Parser;

use crate::codes::Code;
use crate::{accept, release, render, replay, scaffold, validate};
use flags::{
    BenchArgs, Cli, Command, FailOn, NewLintArgs, ReleaseCheckArgs, ReleaseFormat, ValidateArgs,
};
use output::{
    format_targets, in_github_actions, invalid_config, report, step_summary, use_color,
    write_output,
};
use run::{engine_options, replay_options, start_backstop};

pub use flags::Commands;

mod flags;
mod output;
mod run;

/// Exit codes, as documented in the README and in `--help`.
pub const EXIT_CLEAN: u8 = 0;
pub const EXIT_PROBLEMS: u8 = 1;
pub const EXIT_COULD_NOT_RUN: u8 = 2;

/// Runs a whole `cargo xtask` command line (`std::env::args_os()`, the program's name first)
/// and returns its exit code: the usage errors and `--help` of clap, printed, with clap's code.
pub fn run<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            // A closed stream cannot show the usage error either; the exit code still tells it.
            let _ = error.print();
            return u8::try_from(error.exit_code()).unwrap_or(EXIT_COULD_NOT_RUN);
        }
    };
    report_cleanup_problems();
    finish(match cli.command {
        Command::Migrations(command) => dispatch(*command),
        Command::Bench(args) => bench(args),
        Command::NewLint(args) => new_lint(args),
    })
}

/// Runs one of the subcommands another repository's xtask embeds, parsed by its own clap
/// command line, and returns its exit code.
pub fn execute(command: Commands) -> u8 {
    report_cleanup_problems();
    finish(dispatch(command))
}

/// A throwaway cluster that cannot be cleaned up on a drop or a signal is worth a line on stderr,
/// whichever subcommand started it.
fn report_cleanup_problems() {
    crate::engine::postgres::report_cleanup_problems_to(|problem| {
        eprintln!("warning: {problem}");
    });
}

fn dispatch(command: Commands) -> anyhow::Result<u8> {
    match command {
        Commands::ValidateMigrations(args) => validate_migrations(args),
        Commands::ReleaseCheck(args) => release_check(args),
    }
}

/// The exit code of a subcommand's result, with the reason it could not run on stderr.
fn finish(result: anyhow::Result<u8>) -> u8 {
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            EXIT_COULD_NOT_RUN
        }
    }
}

fn validate_migrations(args: ValidateArgs) -> anyhow::Result<u8> {
    if let Some(name) = &args.explain {
        let code = Code::from_name(name).with_context(|| {
            if let Some(code) = crate::codes::did_you_mean(name) {
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
            crate::history::sum::update(&root, args.store.config.as_deref(), &args.dialect)?
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
    let options = crate::bench::Options {
        shape: crate::bench::generate::Shape {
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
        print!("{}", crate::bench::run_populated(&options)?);
    } else {
        print!("{}", crate::bench::run(&options)?);
    }
    Ok(EXIT_CLEAN)
}

fn new_lint(args: NewLintArgs) -> anyhow::Result<u8> {
    let root = match args.root {
        Some(root) => root,
        None => crate::project_root()?,
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

/// The store to check: `--root`, else `store/` of the repository the tool runs in.
fn store_root(root: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    match root {
        Some(root) if root.is_file() => anyhow::bail!(
            "--root {} is a file, not a folder: give the store, the folder that holds migration/",
            root.display()
        ),
        Some(root) => Ok(root),
        None => Ok(crate::project_root()?.join("store")),
    }
}
