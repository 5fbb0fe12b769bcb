use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// validate-migrations and release-check.
    #[command(flatten)]
    Migrations(validate_migrations::cli::Commands),
    /// A task of your own.
    Hello,
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Migrations(command) => ExitCode::from(validate_migrations::cli::execute(command)),
        Command::Hello => {
            println!("hello");
            ExitCode::SUCCESS
        }
    }
}
