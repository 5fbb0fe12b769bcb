//! The machine formats as their consumers read them: SARIF against the OASIS schema with its
//! format checks and GitHub code scanning's rules, JUnit XML against the common `junit-10.xsd`
//! (both vendored in tests/schemas/, validated by its `validate.py`), on file names with a
//! space, a comma, a `%` and a control character.

mod support;

use std::path::Path;
use std::process::Command;

use support::{validate_static as validate, Tree};

/// A tree whose files have names a URI or XML must encode: a space, a comma, a `%` and a
/// control character, with a parse error (a finding with a region) in each dialect and a
/// misnamed file.
fn awkward_names() -> Tree {
    let tree = Tree::new("minimal");
    tree.write("migration/postgres/0.2/01__a b,c%d.sql", b"SELEC 1;\n");
    tree.write("migration/sqlite/0.2/01__e\x01f.sql", b"SELEC 1;\n");
    tree.write("migration/sqlite/0.2/7 odd, name%.sql", b"SELECT 1;\n");
    tree.write("migration/VERSION", b"0.2.2\n");
    tree
}

/// Validates a document with tests/schemas/validate.py; a missing Python or module fails the
/// test, as an invalid document does.
fn assert_valid(kind: &str, document: &Path) {
    let script = support::project_root().join("tests/schemas/validate.py");
    let output = Command::new("python3")
        .arg(script)
        .arg(kind)
        .arg(document)
        .output()
        .expect("python3 runs (.ci/run installs what validate.py needs)");
    assert!(
        output.status.success(),
        "{kind} does not pass its schema:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs the static checks with `--format FORMAT=FILE` and extra arguments; returns the file's
/// path and its text.
fn render_to_file(tree: &Tree, format: &str, extra: &[&str]) -> (std::path::PathBuf, String) {
    let path = tree.dir.path().join(format!("out.{format}"));
    let target = format!("{format}={}", path.to_str().expect("UTF-8 temporary path"));
    let output = validate(tree, &[&["--format", target.as_str()], extra].concat());
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let text = std::fs::read_to_string(&path).expect("the report file");
    (path, text)
}

#[test]
fn sarif_passes_the_oasis_schema_and_code_scannings_rules() {
    let tree = awkward_names();
    let (path, text) = render_to_file(&tree, "sarif", &["--shard", "2/3"]);
    assert_valid("sarif", &path);
    let document: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let run = &document["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    assert_eq!(
        run["automationDetails"]["id"],
        "validate-migrations/store/shard-2-of-3/"
    );
    let srcroot = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .expect("a %SRCROOT%");
    assert!(
        srcroot.starts_with("file:///") && srcroot.ends_with('/'),
        "{srcroot}"
    );
    for rule in run["tool"]["driver"]["rules"].as_array().expect("rules") {
        for kind in ["text", "markdown"] {
            let help = rule["help"][kind].as_str().unwrap_or_default();
            assert!(help.len() > 40, "{}: help.{kind}: {help:?}", rule["id"]);
        }
    }
    let results = run["results"].as_array().expect("results");
    let uris: Vec<&str> = results
        .iter()
        .map(|r| {
            let artifact = &r["locations"][0]["physicalLocation"]["artifactLocation"];
            assert_eq!(artifact["uriBaseId"], "%SRCROOT%", "{r:#}");
            assert!(r["partialFingerprints"]["validateMigrations/v1"].is_string());
            artifact["uri"].as_str().expect("a URI")
        })
        .collect();
    for expected in [
        "store/migration/postgres/0.2/01__a%20b%2Cc%25d.sql",
        "store/migration/sqlite/0.2/01__e%01f.sql",
        "store/migration/sqlite/0.2/7%20odd%2C%20name%25.sql",
    ] {
        assert!(uris.contains(&expected), "{expected} not in {uris:#?}");
    }
}

/// A finding keeps its fingerprint when lines above it are added, and changes it when its own
/// line does.
#[test]
fn sarif_fingerprints_follow_the_line_not_its_number() {
    let tree = awkward_names();
    let file = "migration/postgres/0.2/01__a b,c%d.sql";
    let parse_error = |tree: &Tree| {
        let (_, text) = render_to_file(tree, "sarif", &[]);
        let document: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        let result = document["runs"][0]["results"]
            .as_array()
            .expect("results")
            .iter()
            .find(|r| {
                r["ruleId"] == "parse-error"
                    && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                        .as_str()
                        .is_some_and(|uri| uri.contains("01__a%20b"))
            })
            .cloned()
            .expect("the parse error");
        (
            result["partialFingerprints"]["validateMigrations/v1"].clone(),
            result["locations"][0]["physicalLocation"]["region"]["startLine"].clone(),
        )
    };
    let (before, line_before) = parse_error(&tree);
    tree.write(file, b"-- a comment above\n\nSELEC 1;\n");
    let (moved, line_moved) = parse_error(&tree);
    assert_eq!((line_before, line_moved), (1.into(), 3.into()));
    assert_eq!(before, moved);
    tree.write(file, b"-- a comment above\n\nSELEC 2;\n");
    let (changed, _) = parse_error(&tree);
    assert_ne!(before, changed);
}

#[test]
fn junit_passes_the_common_schema() {
    let tree = awkward_names();
    let (path, xml) = render_to_file(&tree, "junit", &[]);
    assert_valid("junit", &path);
    assert!(
        xml.contains("<testsuites name=\"validate-migrations\" tests=\"")
            && xml.contains(" errors=\"0\" time=\""),
        "{xml}"
    );
    assert!(xml.contains("time=\"0.000\""), "{xml}");
    assert!(!xml.contains('\u{1}'), "{xml:?}");
    assert!(xml.contains("01__e\\x01f.sql"), "{xml}");
}
