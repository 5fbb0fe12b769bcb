//! The configuration's reading, key by key, and its refusals.

use super::*;

#[test]
fn versions_as_each_rule_reads_names() {
    let v = semver::Version::new;
    let flat = VersionRule::FlatSemver;
    assert_eq!(flat.flat_version("V1.2.3__x.sql"), Some(v(1, 2, 3)));
    assert_eq!(flat.flat_version("V1_2__x.sql"), Some(v(1, 2, 0)));
    assert_eq!(flat.flat_version("V3__x.sql"), Some(v(3, 0, 0)));
    assert_eq!(flat.flat_version("V1.2.3_x.sql"), None);
    assert_eq!(flat.flat_version("1.2.3__x.sql"), None);
    let integer = VersionRule::Integer;
    assert_eq!(integer.flat_version("0042_x.sql"), Some(v(42, 0, 0)));
    assert_eq!(integer.flat_version("42x.sql"), None);
    assert_eq!(integer.show(&v(42, 0, 0)), "42");
    assert_eq!(integer.parse("42"), Ok(v(42, 0, 0)));
    let timestamp = VersionRule::Timestamp;
    assert_eq!(
        timestamp.flat_version("20240101120000_x.sql"),
        Some(v(20240101120000, 0, 0))
    );
    assert_eq!(VersionRule::Store.flat_version("00__x.sql"), None);
}

#[test]
fn stamps_in_json_and_plain() {
    let json = Config::default().stamp;
    assert_eq!(json.value("0.3.1"), r#"{"schemaVersion":"0.3.1"}"#);
    assert_eq!(
        json.version_in(r#"{"schemaVersion":"0.3.1"}"#).as_deref(),
        Some("0.3.1")
    );
    assert_eq!(json.version_in(r#"{"schemaVersion":""}"#), None);
    let plain = Stamp {
        field: None,
        ..json
    };
    assert_eq!(plain.value("7"), "7");
    assert_eq!(plain.version_in(" 7\n").as_deref(), Some("7"));
}

fn load(text: &str) -> anyhow::Result<Config> {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join(FILE_NAME), text)?;
    Config::load(dir.path(), None, |_| FILE_NAME.to_string())
}

#[test]
fn skipped_extensions_are_read_as_postgresql_folds_them() {
    let config = load("[replay]\nskip-extensions = [\"Vector\", \"pg_trgm\"]\n").unwrap();
    assert_eq!(config.skip_extensions, ["vector", "pg_trgm"]);
    assert!(load("").unwrap().skip_extensions.is_empty());
}

#[test]
fn the_chains_privileges_are_read_and_superuser_is_refused() {
    let config = load(
        "[replay]\nsuperuser-extensions = [\"Vector\"]\nrole-attributes = [\"createrole\", \"CREATEROLE\", \"BypassRLS\"]\n",
    )
    .unwrap();
    assert_eq!(config.privileges.superuser_extensions, ["vector"]);
    assert_eq!(
        config.privileges.role_attributes,
        [RoleAttribute::CreateRole, RoleAttribute::BypassRls]
    );
    let refused = |text: &str| format!("{:#}", load(text).expect_err("refused"));
    assert!(
        refused("[replay]\nrole-attributes = [\"superuser\"]\n").contains("--replay-as superuser")
    );
    assert!(refused("[replay]\nrole-attributes = [\"login\"]\n")
        .contains("one of CREATEROLE, CREATEDB, BYPASSRLS, REPLICATION"));
}

#[test]
fn mistakes_in_the_file_are_named_with_their_place() {
    let error = |text: &str| load(text).err().map(|e| format!("{e:#}"));
    let unknown = error("[layout]\nversion = \"store\"\n");
    assert!(
        unknown
            .as_deref()
            .is_some_and(|e| e.contains(":2:1") && e.contains("unknown field `version`")),
        "{unknown:?}"
    );
    let outside = error("[layout]\nlatest = \"../LATEST.sql\"\n");
    assert!(
        outside
            .as_deref()
            .is_some_and(|e| e.contains("layout.latest")),
        "{outside:?}"
    );
    let baseline = error("[replay]\nfull-chain = \"baseline\"\n");
    assert!(
        baseline
            .as_deref()
            .is_some_and(|e| e.contains("needs replay.baseline")),
        "{baseline:?}"
    );
    let table = error("[stamp]\ntable = \"x; drop\"\n");
    assert!(
        table.as_deref().is_some_and(|e| e.contains("identifier")),
        "{table:?}"
    );
    let silence = error("[[silence]]\ncode = \"drop-column\"\nfile = \"a.sql\"\nreason = \" \"\n");
    assert!(
        silence
            .as_deref()
            .is_some_and(|e| e.contains("needs a reason")),
        "{silence:?}"
    );
    let misspelt =
        error("[[silence]]\ncode = \"stamp-mismatsh\"\nfile = \"a.sql\"\nreason = \"r\"\n");
    assert!(
        misspelt
            .as_deref()
            .is_some_and(|e| e.contains(":1:1") && e.contains("did you mean `stamp-mismatch`")),
        "{misspelt:?}"
    );
    let circular =
        error("[[silence]]\ncode = \"unused-allow\"\nfile = \"a.sql\"\nreason = \"r\"\n");
    assert!(
        circular
            .as_deref()
            .is_some_and(|e| e.contains("remove that entry")),
        "{circular:?}"
    );
    assert!(
        load("[[silence]]\ncode = \"stamp-mismatch\"\nfile = \"a.sql\"\nreason = \"r\"\n").is_ok()
    );
}

#[test]
fn two_part_versions_only_where_configured() -> anyhow::Result<()> {
    let store = VersionRule::Store;
    assert_eq!(
        store.parse_with("0.52", true),
        Ok(semver::Version::new(0, 52, 0))
    );
    assert_eq!(
        store.parse_with("0.52.1", true),
        Ok(semver::Version::new(0, 52, 1))
    );
    assert!(store.parse("0.52").is_err());
    assert!(store.parse_with("0.052", true).is_err());
    assert!(store.parse_with("0.x", true).is_err());
    let config = load("[version]\ntwo-part = true\nminimum-upgrade = \"0.22\"\n")?;
    assert!(config.layout.two_part);
    assert_eq!(config.minimum_upgrade, semver::Version::new(0, 22, 0));
    assert!(!Config::default().layout.two_part);
    let numeric = load("[layout]\nversions = \"integer\"\n[version]\ntwo-part = true\n")
        .err()
        .map(|e| format!("{e:#}"));
    assert!(
        numeric
            .as_deref()
            .is_some_and(|e| e.contains("version.two-part")),
        "{numeric:?}"
    );
    Ok(())
}

#[test]
fn stamp_writes_fill_in_quoted_placeholders() -> anyhow::Result<()> {
    let config = load(concat!(
        "[stamp]\n",
        "table = \"system_setting\"\n",
        "\n",
        "[stamp.write]\n",
        "postgres = \"INSERT INTO system_setting VALUES ('BASIC', {value}, {version}); SELECT '{}'\"\n",
    ))?;
    let stamp = &config.stamp;
    let (sql, configured) = stamp.write_sql(Dialect::Postgres, "0.3.1");
    assert_eq!(
        sql,
        r#"INSERT INTO system_setting VALUES ('BASIC', '{"schemaVersion":"0.3.1"}', '0.3.1'); SELECT '{}'"#
    );
    let place = &configured.context("the configured write")?.place;
    assert_eq!(place.span.map(|s| s.start.line), Some(5));
    assert_eq!(place.file, FILE_NAME);
    assert_eq!(
        stamp
            .configured_at
            .as_ref()
            .and_then(|p| p.span)
            .map(|s| s.start.line),
        Some(1)
    );
    // A dialect without a configured write keeps today's upsert.
    let (sql, configured) = stamp.write_sql(Dialect::Sqlite, "0.3.1");
    assert!(configured.is_none());
    assert_eq!(
        sql,
        "INSERT INTO system_setting (name, value) VALUES ('BASIC', '{\"schemaVersion\":\"0.3.1\"}') \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value"
    );
    // A quote in the value cannot end the literal.
    let plain = Stamp {
        field: None,
        ..stamp.clone()
    };
    assert_eq!(
        plain
            .write_sql(Dialect::Postgres, "it's")
            .0
            .matches("'it''s'")
            .count(),
        2
    );
    Ok(())
}

#[test]
fn stamp_write_mistakes_are_refused() {
    let error = |text: &str| load(text).err().map(|e| format!("{e:#}"));
    let unknown = error("[stamp.write]\nsqlite = \"INSERT INTO t VALUES ({verison})\"\n");
    assert!(
        unknown.as_deref().is_some_and(|e| e.contains(":2:")
            && e.contains("stamp.write.sqlite")
            && e.contains("`{verison}`")),
        "{unknown:?}"
    );
    let empty = error("[stamp.write]\npostgres = \"  \"\n");
    assert!(
        empty
            .as_deref()
            .is_some_and(|e| e.contains("stamp.write.postgres is empty")),
        "{empty:?}"
    );
    let dialect = error("[stamp.write]\nmysql = \"SELECT 1\"\n");
    assert!(
        dialect.as_deref().is_some_and(|e| e.contains(":2:1")),
        "{dialect:?}"
    );
    let history = error("[stamp.history]\nversion-column = \"version\"\n");
    assert!(
        history
            .as_deref()
            .is_some_and(|e| e.contains("missing field `table`")),
        "{history:?}"
    );
}

#[test]
fn a_history_table_is_read_back_as_its_highest_version() -> anyhow::Result<()> {
    let config = load("[stamp.history]\ntable = \"migration_history\"\n")?;
    let stamp = &config.stamp;
    assert_eq!(
        stamp.history,
        Some(History {
            table: "migration_history".into(),
            column: "version".into()
        })
    );
    assert_eq!(stamp.name(), "migration_history.version");
    assert_eq!(
        stamp.write_sql(Dialect::Sqlite, "0.10.0").0,
        "INSERT INTO migration_history (version) VALUES ('0.10.0')"
    );
    let rows = |rows: &[&str]| rows.iter().map(|r| r.to_string()).collect::<Vec<_>>();
    let rule = VersionRule::Store;
    // As strings, 0.9.0 would be the highest.
    assert_eq!(
        stamp
            .stored_version(&rows(&["0.10.0", "0.9.0", "0.2.1"]), rule, false)
            .as_deref(),
        Some("0.10.0")
    );
    assert_eq!(
        stamp
            .stored_version(&rows(&["0.52", "0.9.0"]), rule, true)
            .as_deref(),
        Some("0.52")
    );
    assert_eq!(
        stamp
            .stored_version(&rows(&["", "x"]), rule, false)
            .as_deref(),
        Some("x")
    );
    assert_eq!(stamp.stored_version(&[], rule, false), None);
    // The settings row is still read as before.
    assert_eq!(
        Config::default()
            .stamp
            .stored_version(&rows(&[r#"{"schemaVersion":"0.3.1"}"#]), rule, false)
            .as_deref(),
        Some("0.3.1")
    );
    Ok(())
}

#[test]
fn no_file_is_the_store_convention() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let config = Config::load(dir.path(), None, |_| String::new())?;
    assert!(config.source.is_none());
    assert_eq!(
        config.layout.expand("{dir}/LATEST.sql", Dialect::Sqlite),
        "migration/sqlite/LATEST.sql"
    );
    assert_eq!(config.target, Target::VersionFile);
    assert_eq!(config.full_chain, FullChain::Empty);
    Ok(())
}
