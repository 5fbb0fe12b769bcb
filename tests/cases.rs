//! Data-driven end-to-end cases: every `tests/cases/**/*.txt` describes a store (a base tree and
//! the files it changes), the diagnostics it must produce, and the exit code. The human output
//! of each case is snapshotted beside it.
//!
//! ```text
//! # What this case shows.
//! -- base: minimal                 (tests/fixtures/minimal; or `store`, or `none`)
//! -- args: --dialect sqlite        (extra arguments; optional)
//! -- replay                        (replay the chains on the engines; else --static-only)
//! -- expect: bad-file-name store/migration/sqlite/0.2/00_x.sql
//! -- exit: 1                       (optional: 1 when an error is expected, else 0)
//! -- file: migration/sqlite/0.2/00_x.sql [crlf] [bom] [no-final-newline]
//! CREATE TABLE x (id INTEGER);
//! -- delete: migration/sqlite/0.2/00__memo_index.sql
//! -- symlink: migration/sqlite/0.2/01__x.sql -> ../../../../outside.sql   (target as written)
//! -- fifo: migration/sqlite/0.2/01__x.sql
//! -- tag: v0.2.1                   (commit the tree so far, in a git repository, and tag it)
//! -- commit                        (commit the tree so far, without a tag)
//! -- update-sum                    (run `validate-migrations --update-sum` on the tree so far)
//! -- command: release-check 0.3.0  (run this subcommand instead of validate-migrations)
//! ```
//!
//! A `-- expect:` names a code and the start of a location (`path[:line[:col]]`); the case fails
//! if no diagnostic of that code is there. Lines up to the next directive are the file's content.
//! The edits (files, deletions, links, FIFOs, commits, tags, sums) apply in their order, so that
//! the files before a `-- tag:` are the release's and those after it the working tree's; paths
//! are relative to the store, which lies in the repository's top folder.

mod support;

use std::path::Path;

use xtask::codes::Code;
use xtask::diagnostic::Severity;

struct Case {
    base: String,
    replay: bool,
    args: Vec<String>,
    expects: Vec<(String, String)>,
    exit: Option<i32>,
    /// The subcommand and its arguments before `--root`; `validate-migrations` unless
    /// `-- command:` says otherwise.
    command: Vec<String>,
    edits: Vec<Edit>,
}

enum Edit {
    Write { path: String, bytes: Vec<u8> },
    Delete { path: String },
    Symlink { path: String, target: String },
    Fifo { path: String },
    Commit { tag: Option<String> },
    UpdateSum,
}

const DIRECTIVES: [&str; 10] = [
    "base:", "args:", "expect:", "exit:", "file:", "delete:", "symlink:", "fifo:", "tag:",
    "command:",
];

/// The directives without a value.
const FLAGS: [&str; 3] = ["replay", "commit", "update-sum"];

fn directive(line: &str) -> Option<(&str, &str)> {
    if let Some(flag) = FLAGS
        .iter()
        .find(|flag| line.strip_prefix("-- ") == Some(**flag))
    {
        return Some((flag, ""));
    }
    let rest = line.strip_prefix("-- ")?;
    DIRECTIVES.iter().find_map(|d| {
        rest.strip_prefix(d)
            .map(|value| (d.trim_end_matches(':'), value.trim()))
    })
}

fn parse_case(text: &str) -> Case {
    let mut case = Case {
        base: "minimal".into(),
        replay: false,
        args: Vec::new(),
        expects: Vec::new(),
        exit: None,
        command: vec!["validate-migrations".to_string()],
        edits: Vec::new(),
    };
    // The file being collected: its path, options and lines.
    let mut open: Option<(String, Vec<String>, Vec<&str>)> = None;
    let close = |open: &mut Option<(String, Vec<String>, Vec<&str>)>, edits: &mut Vec<Edit>| {
        if let Some((path, options, lines)) = open.take() {
            let newline = if options.iter().any(|o| o == "crlf") {
                "\r\n"
            } else {
                "\n"
            };
            let mut content = lines.join(newline);
            if !options.iter().any(|o| o == "no-final-newline") {
                content.push_str(newline);
            }
            let mut bytes = Vec::new();
            if options.iter().any(|o| o == "bom") {
                bytes.extend_from_slice("\u{feff}".as_bytes());
            }
            bytes.extend_from_slice(content.as_bytes());
            edits.push(Edit::Write { path, bytes });
        }
    };
    for line in text.lines() {
        match directive(line) {
            Some((name, value)) => {
                close(&mut open, &mut case.edits);
                match name {
                    "base" => case.base = value.to_string(),
                    "replay" => case.replay = true,
                    "args" => case.args = value.split_whitespace().map(String::from).collect(),
                    "expect" => {
                        let (code, location) = value.split_once(' ').unwrap_or((value, ""));
                        case.expects
                            .push((code.to_string(), location.trim().to_string()));
                    }
                    "exit" => case.exit = Some(value.parse().expect("-- exit: takes a number")),
                    "delete" => case.edits.push(Edit::Delete {
                        path: value.to_string(),
                    }),
                    "symlink" => {
                        let (path, target) = value
                            .split_once(" -> ")
                            .expect("-- symlink: takes `path -> target`");
                        case.edits.push(Edit::Symlink {
                            path: path.to_string(),
                            target: target.to_string(),
                        });
                    }
                    "fifo" => case.edits.push(Edit::Fifo {
                        path: value.to_string(),
                    }),
                    "commit" => case.edits.push(Edit::Commit { tag: None }),
                    "tag" => case.edits.push(Edit::Commit {
                        tag: Some(value.to_string()),
                    }),
                    "update-sum" => case.edits.push(Edit::UpdateSum),
                    "command" => {
                        case.command = value.split_whitespace().map(String::from).collect();
                    }
                    _ => {
                        let mut words = value.split_whitespace();
                        let path = words.next().expect("-- file: takes a path").to_string();
                        open = Some((path, words.map(String::from).collect(), Vec::new()));
                    }
                }
            }
            None => match &mut open {
                Some((_, _, lines)) => lines.push(line),
                None => assert!(
                    line.starts_with('#') || line.trim().is_empty(),
                    "text outside a file: {line}"
                ),
            },
        }
    }
    close(&mut open, &mut case.edits);
    case
}

fn run_case(path: &Path) {
    let text = std::fs::read_to_string(path).expect("readable case");
    let case = parse_case(&text);
    let tree = support::Tree::new(&case.base);
    for edit in &case.edits {
        apply(&tree, edit);
    }
    let store = tree.store();
    let store = store.to_str().expect("UTF-8 temporary path");
    let mut args: Vec<&str> = case.command.iter().map(String::as_str).collect();
    args.extend(["--root", store]);
    let validation = args[0] == "validate-migrations";
    if validation && !case.replay {
        args.push("--static-only");
    }
    args.extend(case.args.iter().map(String::as_str));

    let json = support::xtask(&[args.as_slice(), &["--format", "json"]].concat());
    let document: serde_json::Value =
        serde_json::from_slice(&json.stdout).expect("the JSON format is JSON");
    // release-check's document holds the validation's, gates included.
    let document = if validation {
        &document
    } else {
        &document["validation"]
    };
    let found: Vec<(String, String)> = document["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            let mut location = d["file"].as_str().unwrap_or_default().to_string();
            if let Some(start) = d.get("span").and_then(|s| s.get("start")) {
                location = format!("{location}:{}:{}", start["line"], start["column"]);
            }
            (d["code"].as_str().unwrap_or_default().to_string(), location)
        })
        .collect();
    for (code, location) in &case.expects {
        assert!(
            Code::from_name(code).is_some(),
            "{}: unknown code {code}",
            path.display()
        );
        assert!(
            found
                .iter()
                .any(|(c, l)| c == code && l.starts_with(location.as_str())),
            "{}: expected {code} at {location}, found {found:#?}",
            path.display()
        );
    }

    let human = support::xtask(&args);
    let expected_exit = case.exit.unwrap_or_else(|| {
        let error = case.expects.iter().any(|(code, _)| {
            Code::from_name(code).is_some_and(|c| c.severity() == Severity::Error)
        });
        i32::from(error)
    });
    assert_eq!(
        human.status.code(),
        Some(expected_exit),
        "{}: exit code\n{}{}",
        path.display(),
        support::stdout(&human),
        String::from_utf8_lossy(&human.stderr)
    );
    assert_eq!(
        json.status.code(),
        human.status.code(),
        "{}",
        path.display()
    );
    insta::assert_snapshot!(support::stable(&support::stdout(&human)));
}

/// The store's `path`, with its folder created.
fn in_folder(tree: &support::Tree, path: &str) -> std::path::PathBuf {
    let path = tree.store().join(path);
    std::fs::create_dir_all(path.parent().expect("a path in a folder")).expect("create folder");
    path
}

/// Applies one edit of a case to its tree.
fn apply(tree: &support::Tree, edit: &Edit) {
    match edit {
        Edit::Write { path, bytes } => tree.write(path, bytes),
        Edit::Delete { path } => tree.delete(path),
        Edit::Symlink { path, target } => {
            support::symlink(Path::new(target), &in_folder(tree, path));
        }
        Edit::Fifo { path } => support::mkfifo(&in_folder(tree, path)),
        Edit::Commit { tag } => {
            let top = tree.dir.path();
            if !top.join(".git").exists() {
                support::git(top, &["init", "-q"]);
            }
            support::git(top, &["add", "."]);
            let message = tag.as_deref().unwrap_or("commit");
            support::git(top, &["commit", "-q", "--allow-empty", "-m", message]);
            if let Some(tag) = tag {
                support::git(top, &["tag", tag]);
            }
        }
        Edit::UpdateSum => {
            let store = tree.store();
            let store = store.to_str().expect("UTF-8 temporary path");
            let output = support::xtask(&["validate-migrations", "--root", store, "--update-sum"]);
            assert_eq!(
                output.status.code(),
                Some(0),
                "{}",
                support::stdout(&output)
            );
        }
    }
}

#[test]
fn cases() {
    insta::glob!("cases/**/*.txt", run_case);
}
