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
//! ```
//!
//! A `-- expect:` names a code and the start of a location (`path[:line[:col]]`); the case fails
//! if no diagnostic of that code is there. Lines up to the next directive are the file's content.

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
    edits: Vec<Edit>,
}

enum Edit {
    Write { path: String, bytes: Vec<u8> },
    Delete { path: String },
}

const DIRECTIVES: [&str; 6] = ["base:", "args:", "expect:", "exit:", "file:", "delete:"];

fn directive(line: &str) -> Option<(&str, &str)> {
    if line == "-- replay" {
        return Some(("replay", ""));
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
        match edit {
            Edit::Write { path, bytes } => tree.write(path, bytes),
            Edit::Delete { path } => tree.delete(path),
        }
    }
    let store = tree.store();
    let store = store.to_str().expect("UTF-8 temporary path");
    let mut args = vec!["validate-migrations", "--root", store];
    if !case.replay {
        args.push("--static-only");
    }
    args.extend(case.args.iter().map(String::as_str));

    let json = support::xtask(&[args.as_slice(), &["--format", "json"]].concat());
    let document: serde_json::Value =
        serde_json::from_slice(&json.stdout).expect("the JSON format is JSON");
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

#[test]
fn cases() {
    insta::glob!("cases/**/*.txt", run_case);
}
