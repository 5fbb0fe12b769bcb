//! The benchmark's generated trees: a small one validates clean with the replay (so its
//! LATEST.sql builds exactly what its chain builds), and the large one has the size the issue
//! asks for. No timing is asserted.

mod support;

use std::path::Path;

use xtask::bench::generate::{self, Shape};
use xtask::dialect::Dialect;

/// Migration files of a dialect: every `.sql` file below its folder but LATEST.sql.
fn migration_files(root: &Path, dialect: Dialect) -> usize {
    walkdir::WalkDir::new(root.join("migration").join(dialect.folder()))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.file_name() != "LATEST.sql")
        .count()
}

/// `CREATE TABLE` statements of a dialect's LATEST.sql.
fn latest_tables(root: &Path, dialect: Dialect) -> usize {
    let latest = root
        .join("migration")
        .join(dialect.folder())
        .join("LATEST.sql");
    std::fs::read_to_string(latest)
        .expect("LATEST.sql")
        .matches("CREATE TABLE ")
        .count()
}

#[test]
fn a_small_generated_tree_validates_clean_with_the_replay() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let shape = Shape {
        tables: 12,
        migrations: 30,
    };
    let generated = generate::write(dir.path(), shape).expect("generate");
    assert_eq!(generated.migrations, 30);
    assert_eq!(generated.tables, 13, "12 tables and instance_setting");

    let root = dir.path().to_str().expect("UTF-8 path");
    let output = support::xtask(&["validate-migrations", "--root", root]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("all applied"), "{stdout}");
}

#[test]
fn the_large_generated_tree_has_the_size_the_issue_asks_for() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let generated = generate::write(dir.path(), Shape::LARGE).expect("generate");
    for dialect in Dialect::ALL {
        assert!(migration_files(dir.path(), dialect) >= 300, "{dialect}");
        assert!(latest_tables(dir.path(), dialect) >= 100, "{dialect}");
    }
    // Folders past 0.100, so that semver order (0.9 < 0.10 < 0.100) matters; and a few of
    // each kind of change.
    assert!(generated.folders >= 100, "{generated:?}");
    assert!(dir.path().join("migration/postgres/0.100").is_dir());
    assert!(generated.table_renames >= 3, "{generated:?}");
    assert!(generated.column_renames >= 3, "{generated:?}");
    assert!(generated.backfills >= 3, "{generated:?}");

    let root = dir.path().to_str().expect("UTF-8 path");
    let output = support::xtask(&["validate-migrations", "--root", root, "--static-only"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

/// `bench --populated-only` builds `store/` with two release tags, times it populated, with
/// `--no-data` and with more rows, and reports the ratio and the cost per 1,000 rows. Only the
/// lines are checked, never the times.
#[test]
fn the_bench_reports_populated_chains_against_no_data_and_the_cost_per_thousand_rows() {
    let output = support::xtask(&["bench", "--populated-only", "--runs", "1", "--rows", "20"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for line in [
        "populated upgrade chains (store/ with the release tags v0.10.2 and v0.10.3",
        "  default (--rows 10, ",
        "; --no-data: ",
        "(target at most 1.5x: ",
        "  --rows 20 (",
        "cost per 1,000 rows generated, read twice and compared: ",
    ] {
        assert!(stdout.contains(line), "{line:?} missing from:\n{stdout}");
    }
    // The large run generates more rows than the default one, so that the cost per row
    // follows from the difference.
    let rows = |after: &str| -> usize {
        let start = stdout.find(after).expect("the run's line") + after.len();
        stdout[start..]
            .split(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .expect("a row count")
    };
    assert!(
        rows("  --rows 20 (") > rows("  default (--rows 10, "),
        "{stdout}"
    );
}
