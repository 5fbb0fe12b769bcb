//! The replay's options from the engine flags, and the backstop that enforces `--timeout`.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use super::flags::{EngineArgs, PgBin, ValidateArgs};
use super::output::in_github_actions;
use super::EXIT_COULD_NOT_RUN;
use crate::engine::postgres::BinariesOptions;
use crate::replay;

/// Ends the process if the run has not ended `BACKSTOP_GRACE` after its `--timeout`: the
/// replay stops its statements at the deadline, so only something that ignores every deadline
/// (an engine that stopped answering) gets here. The throwaway cluster and the scratch
/// databases are removed first.
pub(super) fn start_backstop(deadline: Instant) -> anyhow::Result<()> {
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
            crate::engine::postgres::abandon_run();
            std::process::exit(i32::from(EXIT_COULD_NOT_RUN));
        })
        .context("cannot start the thread that enforces --timeout")?;
    Ok(())
}

pub(super) fn replay_options(
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
pub(super) fn engine_options(engines: &EngineArgs) -> anyhow::Result<replay::Options> {
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
pub(super) fn binaries_options(pg_bin: &[PgBin]) -> anyhow::Result<BinariesOptions> {
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
pub(super) fn draw_progress(progress: &replay::Progress) {
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
