//! `cargo xtask`: the command line lives in the library (`xtask::cli`), so that another
//! repository's xtask can run it too; the binary only hands it the arguments.

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(xtask::cli::run(std::env::args_os()))
}
