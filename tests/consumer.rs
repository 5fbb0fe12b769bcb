//! Another repository's own xtask that embeds the tool (tests/consumer/, the example of README's
//! "Use it in your repository"): built with cargo as that repository would build it, it runs our
//! subcommands on a store of its own, beside a task of its own.
//!
//! It builds in the tool's own target folder, with the tool's profiles, so that the library and
//! the dependencies the tool's build compiled are reused: under `cargo test`, which has built the
//! library already, the three tests take about four seconds, the consumer's binary linked once.
//! Alone on a fresh target folder they would first compile the library (about a minute and a half
//! on two cores).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The consumer's workspace.
fn consumer() -> PathBuf {
    support::project_root().join("tests/consumer")
}

/// The tool's target folder, where the test binary's own `xtask` was built.
fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_xtask"))
        .ancestors()
        .nth(2)
        .expect("the binary is in target/<profile>/")
        .to_path_buf()
}

/// `cargo xtask` in the consumer's workspace, by the alias of its `.cargo/config.toml`, with
/// `args` after it. Offline and locked: its lock file holds only crates the tool's lock file
/// holds.
fn cargo_xtask(args: &[&str]) -> Output {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    Command::new(cargo)
        .args(["--quiet", "--offline", "--locked", "xtask"])
        .args(args)
        .current_dir(consumer())
        .env("CARGO_TARGET_DIR", target_dir())
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("run cargo")
}

#[test]
fn the_consumer_validates_its_own_store() {
    let output = cargo_xtask(&["validate-migrations"]);
    let stdout = support::expect(&output, 0);
    assert!(
        stdout.contains("validated tests/consumer/store (postgres, sqlite)"),
        "{stdout}"
    );
    assert!(stdout.contains("all applied"), "{stdout}");
}

#[test]
fn the_consumer_fails_on_a_broken_store() {
    let tree = support::Tree::new("none");
    support::copy_tree(&consumer().join("store"), &tree.store());
    tree.write("migration/VERSION", b"0.1.3\n");
    let store = tree.store();
    let output = cargo_xtask(&[
        "validate-migrations",
        "--static-only",
        "--root",
        store.to_str().expect("a UTF-8 temporary folder"),
    ]);
    let stdout = support::expect(&output, 1);
    assert!(stdout.contains("error["), "{stdout}");
}

#[test]
fn the_consumer_keeps_its_own_tasks_beside_ours() {
    let help = support::expect(&cargo_xtask(&["--help"]), 0);
    for command in ["validate-migrations", "release-check", "hello"] {
        assert!(help.contains(command), "{command} missing from\n{help}");
    }
    assert_eq!(support::expect(&cargo_xtask(&["hello"]), 0), "hello\n");
    // A usage error is clap's, with its exit code, as in the tool's own command line.
    assert_eq!(
        cargo_xtask(&["validate-migrations", "--jobs", "0"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn the_readme_shows_the_consumers_main_rs() {
    let root = support::project_root();
    let main = std::fs::read_to_string(consumer().join("xtask/src/main.rs")).expect("read main.rs");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("read README.md");
    assert!(
        readme.contains(&format!("```rust\n{main}```")),
        "README's \"Use it in your repository\" should show tests/consumer/xtask/src/main.rs as it is"
    );
}
