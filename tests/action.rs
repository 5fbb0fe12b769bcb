//! The ways into the tool from another repository that GitHub and pre-commit run, as far as they
//! can be tested without them: the composite Action's inputs, flags and shell steps, and the
//! pre-commit hook's definition.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn action_dir() -> PathBuf {
    support::project_root().join(".github/actions/validate-migrations")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The names of the Action's inputs: the keys indented by two spaces under `inputs:`.
fn inputs() -> Vec<String> {
    let action = read(&action_dir().join("action.yml"));
    let section = action
        .split_once("\ninputs:\n")
        .expect("action.yml has inputs")
        .1;
    section
        .lines()
        .take_while(|line| line.is_empty() || line.starts_with(' '))
        .filter_map(|line| {
            let key = line.strip_prefix("  ")?.strip_suffix(':')?;
            (!key.starts_with(' ')).then(|| key.to_string())
        })
        .collect()
}

/// Every `--flag` a text names.
fn flags(text: &str) -> Vec<String> {
    let mut flags: Vec<String> = text
        .match_indices("--")
        .map(|(at, _)| {
            let name: String = text[at + 2..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '-')
                .collect();
            format!("--{name}")
        })
        .filter(|flag| flag.len() > 3)
        .collect();
    flags.sort();
    flags.dedup();
    flags
}

/// The flags `cargo xtask validate-migrations --help` lists.
fn validate_help() -> String {
    support::expect(&support::xtask(&["validate-migrations", "--help"]), 0)
}

#[test]
fn every_input_is_documented_and_passed() {
    let inputs = inputs();
    assert_eq!(
        inputs,
        [
            "root",
            "config",
            "postgres-versions",
            "format",
            "sarif",
            "shard",
            "fail-on",
            "command"
        ]
    );
    let readme = read(&support::project_root().join("README.md"));
    let action = read(&action_dir().join("action.yml"));
    for input in &inputs {
        assert!(
            readme.contains(&format!("| `{input}` |")),
            "README's table of the Action's inputs lacks `{input}`"
        );
        assert!(
            action.contains(&format!("${{{{ inputs.{input} }}}}")),
            "action.yml never passes the input {input} on"
        );
    }
}

#[test]
fn every_flag_the_action_passes_exists() {
    let help = validate_help();
    let script = read(&action_dir().join("run.sh"));
    let passed = flags(&script);
    assert!(passed.contains(&"--format".to_string()), "{passed:?}");
    for flag in passed {
        if flag == "--manifest-path" || flag == "--quiet" {
            continue; // cargo's own flags, for the build from the action's source
        }
        assert!(
            help.contains(&flag),
            "run.sh passes {flag}, which --help lacks"
        );
    }
}

/// Runs one of the Action's scripts as GitHub runs a composite step: bash, with GITHUB_ACTIONS.
fn script(name: &str, dir: &Path, env: &[(&str, &Path)]) -> Output {
    let mut command = Command::new("bash");
    command
        .arg(action_dir().join(name))
        .current_dir(dir)
        .env("GITHUB_ACTIONS", "true")
        .env("NO_COLOR", "1");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("run bash")
}

#[test]
fn a_shallow_checkout_fails_with_the_fix_and_a_full_one_passes() {
    let tree = support::Tree::new("minimal");
    support::git(tree.dir.path(), &["init", "-q"]);
    support::commit(&tree, "first");
    // A second commit, which a clone of depth 1 lacks.
    support::git(
        tree.dir.path(),
        &["commit", "-q", "--allow-empty", "-m", "second"],
    );
    let origin = format!("file://{}", tree.dir.path().display());
    let clones = tempfile::tempdir().expect("temporary folder");
    for (name, depth) in [("shallow", Some("1")), ("full", None)] {
        let mut args = vec!["clone", "-q"];
        args.extend(depth.iter().flat_map(|depth| ["--depth", *depth]));
        let target = clones.path().join(name);
        let target = target.to_str().expect("a UTF-8 temporary folder");
        args.extend([origin.as_str(), target]);
        support::git(clones.path(), &args);
    }
    let shallow = script("check-checkout.sh", &clones.path().join("shallow"), &[]);
    let stdout = support::expect(&shallow, 1);
    assert!(
        stdout.starts_with("::error title=validate-migrations::"),
        "{stdout}"
    );
    assert!(stdout.contains("fetch-depth: 0"), "{stdout}");
    let full = script("check-checkout.sh", &clones.path().join("full"), &[]);
    let stdout = support::expect(&full, 0);
    assert!(!stdout.contains("::error"), "{stdout}");
}

/// A major the runner's apt sources lack is not asked of apt (which would fail the job) but left
/// to the tool's download, with a notice; `sudo` is a stand-in that only says what it was asked.
#[test]
fn a_major_apt_lacks_is_left_to_the_download() {
    let stub = tempfile::tempdir().expect("temporary folder");
    let sudo = stub.path().join("sudo");
    std::fs::write(&sudo, "#!/bin/sh\necho \"sudo $*\"\n").expect("write the stand-in");
    std::fs::set_permissions(&sudo, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("make the stand-in executable");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![stub.path().to_path_buf()];
    dirs.extend(std::env::split_paths(&path));
    let path = std::env::join_paths(dirs).expect("a PATH");
    let output = script(
        "install-postgres.sh",
        stub.path(),
        &[
            ("PATH", Path::new(&path)),
            ("POSTGRES_VERSIONS", Path::new("99")),
        ],
    );
    let stdout = support::expect(&output, 0);
    assert!(
        stdout.contains("::notice title=validate-migrations::postgresql-99 is not in"),
        "{stdout}"
    );
    assert!(!stdout.contains("apt-get install"), "{stdout}");
    let run = read(&action_dir().join("run.sh"));
    assert!(
        run.contains("--download-postgres"),
        "run.sh allows the download"
    );
}

#[test]
fn the_run_step_writes_annotations_sarif_and_the_summary() {
    let tree = support::Tree::new("minimal");
    let out = tempfile::tempdir().expect("temporary folder");
    let sarif = out.path().join("out.sarif");
    let summary = out.path().join("summary.md");
    let output = script(
        "run.sh",
        tree.dir.path(),
        &[
            ("COMMAND", Path::new(env!("CARGO_BIN_EXE_xtask"))),
            ("ROOT", &tree.store()),
            ("FORMAT", Path::new("github")),
            ("SARIF", &sarif),
            ("FAIL_ON", Path::new("error")),
            ("GITHUB_STEP_SUMMARY", &summary),
        ],
    );
    let stdout = support::expect(&output, 0);
    assert!(stdout.contains("::notice"), "{stdout}");
    let document: serde_json::Value = serde_json::from_str(&read(&sarif)).expect("SARIF is JSON");
    assert_eq!(document["version"], "2.1.0");
    assert!(read(&summary).contains("validate-migrations"));
}

#[test]
fn the_pre_commit_hook_runs_the_static_checks_on_sql() {
    let hooks = read(&support::project_root().join(".pre-commit-hooks.yaml"));
    let fields: Vec<(&str, &str)> = hooks
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .filter_map(|line| line.trim_start_matches(['-', ' ']).split_once(": "))
        .collect();
    let field = |key: &str| {
        fields
            .iter()
            .find(|(k, _)| *k == key)
            .unwrap_or_else(|| panic!("the hook has no {key}"))
            .1
    };
    assert_eq!(field("id"), "validate-migrations");
    assert_eq!(field("language"), "system");
    assert_eq!(field("pass_filenames"), "false");
    assert_eq!(field("files"), r"\.sql$");
    let entry = field("entry");
    assert_eq!(entry, "cargo xtask validate-migrations --static-only");
    let help = validate_help();
    for flag in flags(entry) {
        assert!(
            help.contains(&flag),
            "the hook passes {flag}, which --help lacks"
        );
    }
    let readme = read(&support::project_root().join("README.md"));
    assert!(
        readme.contains("id: validate-migrations"),
        "README shows the hook"
    );
}
