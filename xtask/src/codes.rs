//! The table of diagnostic codes. A code's name is stable: users grep for it, silence it and link
//! to it, so a code is never renamed or reused. `--explain CODE` prints the text of
//! `explain/CODE.md`.

use std::fmt;

use serde::{Serialize, Serializer};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Something that breaks the service or a user's database: the run exits 1.
    Error,
    /// Something a reviewer should look at; the run still exits 0.
    Warning,
    /// Information, such as SQL the parser cannot read but the engine accepts.
    Note,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

macro_rules! codes {
    ($($variant:ident = $name:literal, $severity:ident, $group:literal, $summary:literal;)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            /// Every code, in the order of the table (grouped by check).
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The stable kebab-case name.
            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// The severity a diagnostic of this code has unless the check says otherwise.
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity,)* }
            }

            /// The check the code belongs to.
            pub fn group(self) -> &'static str {
                match self { $(Code::$variant => $group,)* }
            }

            /// One line on what the code means.
            pub fn summary(self) -> &'static str {
                match self { $(Code::$variant => $summary,)* }
            }

            /// The long text of `--explain`.
            pub fn explanation(self) -> &'static str {
                match self { $(Code::$variant => include_str!(concat!("explain/", $name, ".md")),)* }
            }
        }
    };
}

codes! {
    UnexpectedEntry = "unexpected-entry", Error, "layout", "a file or folder that has no place in the layout";
    MissingDialect = "missing-dialect", Error, "layout", "a dialect's driver folder is missing";
    MissingLatest = "missing-latest", Error, "layout", "a driver folder has no LATEST.sql";
    MissingBaseline = "missing-baseline", Error, "layout", "the configured baseline script the full chain starts from is missing";
    EmptyVersionFolder = "empty-version-folder", Error, "layout", "a version folder holds no migration";
    MissingVersionFile = "missing-version-file", Error, "layout", "migration/VERSION is missing";
    InvalidVersionFile = "invalid-version-file", Error, "layout", "migration/VERSION is unreadable or not a version";
    SymlinkOutsideStore = "symlink-outside-store", Error, "layout", "a symbolic link in the store leads outside it, and is not followed";
    NotARegularFile = "not-a-regular-file", Error, "layout", "a FIFO, socket or device where a file is expected, which is not read";
    BrokenSymlink = "broken-symlink", Error, "layout", "a symbolic link in the store leads to nothing, into a loop, or to a folder that contains it";
    BadFileName = "bad-file-name", Error, "naming", "a migration file is not named NN__description.sql";
    BadFolderName = "bad-folder-name", Error, "naming", "a version folder is not named MAJOR.MINOR";
    DuplicateVersion = "duplicate-version", Error, "versions", "two migration files have the same version";
    SequenceGap = "sequence-gap", Error, "versions", "a folder's sequence numbers do not run 00, 01, 02, ...";
    VersionSetMismatch = "version-set-mismatch", Error, "versions", "a version exists in one dialect but not in another";
    VersionFileMismatch = "version-file-mismatch", Error, "versions", "VERSION differs from a dialect's highest migration version";
    MissingStamp = "missing-stamp", Error, "versions", "LATEST.sql does not stamp BASIC.schemaVersion";
    InvalidStamp = "invalid-stamp", Error, "versions", "the stamp in LATEST.sql is not JSON with a semver schemaVersion";
    StampMismatch = "stamp-mismatch", Error, "versions", "the schemaVersion stamped in LATEST.sql differs from VERSION";
    StampNotLast = "stamp-not-last", Warning, "versions", "the stamp is not the last statement of LATEST.sql";
    ParseError = "parse-error", Error, "parse", "a statement is not valid SQL of its dialect";
    ParserGap = "parser-gap", Note, "parse", "valid SQL that the parser cannot read; the replay judges it";
    EmptyFile = "empty-file", Warning, "parse", "a SQL file holds no statement";
    DialectLeak = "dialect-leak", Error, "dialect", "a construct of another SQL dialect";
    SqliteTooOld = "sqlite-too-old", Error, "dialect", "a SQLite feature newer than the oldest SQLite the service ships";
    DropTable = "drop-table", Warning, "lint", "a migration drops a table and the rows in it";
    DropColumn = "drop-column", Warning, "lint", "a migration drops a column and the data in it";
    Truncate = "truncate", Warning, "lint", "a migration empties a table with TRUNCATE";
    DeleteWithoutWhere = "delete-without-where", Warning, "lint", "a migration deletes every row of a table";
    UpdateWithoutWhere = "update-without-where", Warning, "lint", "a migration updates every row of a table";
    RenameTable = "rename-table", Warning, "lint", "a table rename breaks the older service still running during an upgrade";
    RenameColumn = "rename-column", Warning, "lint", "a column rename breaks the older service still running during an upgrade";
    ChangeColumnType = "change-column-type", Warning, "lint", "a column type change breaks the older service and rewrites the table";
    AddNotNullWithoutDefault = "add-not-null-without-default", Error, "lint", "ADD COLUMN ... NOT NULL without DEFAULT fails on a table that has rows";
    UniqueIndexOnExistingData = "unique-index-on-existing-data", Warning, "lint", "a new unique index on an existing table fails where its rows hold duplicates";
    DropGeneratedConstraintName = "drop-generated-constraint-name", Error, "lint", "DROP CONSTRAINT of a name the engine generated, which differs between databases";
    PragmaInTransaction = "pragma-in-transaction", Error, "lint", "PRAGMA foreign_keys in a migration, a no-op in the service's transaction";
    DropIndexedColumn = "drop-indexed-column", Error, "lint", "a column is dropped while an index still uses it";
    NonIdempotentDdl = "non-idempotent-ddl", Note, "lint", "a DROP without IF EXISTS fails when a partly applied version runs again";
    SilenceWithoutReason = "silence-without-reason", Error, "lint", "a silence comment gives no reason";
    UnusedSilence = "unused-silence", Warning, "lint", "a silence comment silences nothing";
    StatementFailed = "statement-failed", Error, "replay", "the engine refused a statement while replaying a chain";
    StatementTimeout = "statement-timeout", Error, "replay", "a statement ran past the per-statement timeout";
    StatementDenied = "statement-denied", Error, "replay", "the replay refused a statement that reaches outside its database (a file, the process)";
    NeedsPrivilege = "needs-privilege", Error, "replay", "PostgreSQL refused a statement for a right the service's database user does not have (superuser, a role attribute)";
    RunTimeout = "run-timeout", Error, "replay", "the run's time limit (--timeout) ran out before a chain was replayed to its end";
    CommitFailed = "commit-failed", Error, "replay", "the engine refused to commit a chain's transaction";
    DowngradeRefused = "downgrade-refused", Error, "replay", "a release's schema version is above the target: the service refuses to start";
    StoredVersionMissing = "stored-version-missing", Error, "replay", "after a chain, the database has no BASIC.schemaVersion";
    StoredVersionMismatch = "stored-version-mismatch", Error, "replay", "after a chain, BASIC.schemaVersion differs from VERSION";
    StampWriteFailed = "stamp-write-failed", Error, "replay", "the service's write of its schema version (configured or default) failed after a chain";
    SeedFailed = "seed-failed", Error, "replay", "a seed file does not apply on top of a migrated database";
    RestoreFailed = "restore-failed", Error, "replay", "a backup of a chain's database does not restore (pg_dump and pg_restore, SQLite's backup)";
    RestoreDiffers = "restore-differs", Error, "replay", "a backup of a chain's database restores another schema or other rows";
    StatementFailedOnData = "statement-failed-on-data", Error, "data", "a pending statement applies on empty tables but fails on the rows of a release's installation";
    DataLost = "data-lost", Error, "data", "rows or values present before an upgrade are gone after it, though no statement meant to change them";
    DataTestFailed = "data-test-failed", Error, "data", "a data test's check is not true after a chain, or its setup failed at its version";
    DataTestMisplaced = "data-test-misplaced", Error, "data", "a data test file is misnamed, or its version folder names no migration's version";
    DataTestInvalidCheck = "data-test-invalid-check", Error, "data", "a data test's `-- check:` is not followed by one SELECT, so it is not run";
    RowsNotGenerated = "rows-not-generated", Note, "data", "the row generator could not write every row of a release's table, so the upgrade ran on fewer";
    SeedFailedAtTag = "seed-failed-at-tag", Error, "data", "a seed file as it was at a release tag does not apply on that release's schema";
    SchemaDrift = "schema-drift", Error, "diff", "a chain builds a schema that differs from the fresh install";
    EquivalentDrift = "equivalent-drift", Warning, "diff", "a chain builds the same meaning under another name";
    ColumnOrder = "column-order", Warning, "diff", "a chain builds a table's columns in another order";
    DialectParity = "dialect-parity", Error, "diff", "the fresh PostgreSQL and SQLite schemas differ in meaning";
    PostgresMajorsDiffer = "postgres-majors-differ", Error, "diff", "two PostgreSQL majors build different fresh schemas";
    UnusedAllow = "unused-allow", Warning, "diff", "an allowlist entry matches no drift any more";
    ExtensionNotInstalled = "extension-not-installed", Error, "replay", "the replay's PostgreSQL lacks an extension that a script creates";
    ExtensionSkipped = "extension-skipped", Note, "replay", "a chain stopped unchecked at an extension listed in replay.skip-extensions";
    SchemaTextUnread = "schema-text-unread", Note, "replay", "part of a SQLite table's CREATE text is unreadable; the engine's pragmas gave the rest";
    TableRewrite = "table-rewrite", Note, "replay", "an upgrade statement rewrote a table, as PostgreSQL measured it";
    AccessExclusiveLock = "access-exclusive-lock", Note, "replay", "an upgrade statement took an ACCESS EXCLUSIVE lock on a table, as PostgreSQL measured it";
    UpgradeChainsSkipped = "upgrade-chains-skipped", Note, "replay", "no release tags: upgrade chains were not replayed";
    ReleasedMigrationChanged = "released-migration-changed", Error, "history", "a migration a release shipped has changed since";
    ReleasedMigrationRenamed = "released-migration-renamed", Error, "history", "a migration a release shipped is there under another name";
    ReleasedMigrationDeleted = "released-migration-deleted", Error, "history", "a migration a release shipped is gone";
    ReleasedNameFixed = "released-name-fixed", Note, "history", "a file a release shipped under a name the service cannot read now has a name it reads";
    MigrationInThePast = "migration-in-the-past", Error, "history", "a new migration is not newer than the latest release's schema version";
    SumMismatch = "sum-mismatch", Error, "history", "without release tags, a migration differs from what migrations.sum records";
    SumOutdated = "sum-outdated", Warning, "history", "migrations.sum does not record the migrations as they are";
    HistoryUnchecked = "history-unchecked", Note, "history", "no release tags and no migrations.sum: released history was not checked";
    ReleaseVersionMismatch = "release-version-mismatch", Error, "release", "the store does not ship the version being released";
    ReleaseNotNewer = "release-not-newer", Error, "release", "a release is not newer than the latest release tag";
    ReleaseTagExists = "release-tag-exists", Error, "release", "the release's tag vX.Y.Z already exists";
    ReleaseUncommittedChanges = "release-uncommitted-changes", Error, "release", "files under the store are not committed";
    UnusedSeverity = "unused-severity", Warning, "accept", "a [[severity]] setting of the configuration matches no finding";
    UnusedBaseline = "unused-baseline", Warning, "accept", "a baseline entry matches no finding any more";
    InvalidConfig = "invalid-config", Error, "layout", "validate-migrations.toml has a key the run cannot follow";
}

impl Code {
    pub fn from_name(name: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|code| code.name() == name)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// Why a code cannot be accepted (silenced, given a level, baselined), if it cannot: a report
/// of an entry that matched nothing is answered by removing the entry, and a release gate by
/// fixing what it says (a release is ready or not).
pub fn refusal(code: Code) -> Option<&'static str> {
    if matches!(
        code,
        Code::UnusedSilence | Code::UnusedAllow | Code::UnusedSeverity | Code::UnusedBaseline
    ) {
        Some("reports an entry of a list of accepted findings that matches nothing: remove that entry instead")
    } else if code == Code::InvalidConfig {
        Some("is a mistake in the configuration itself, which stops the run: fix the key instead")
    } else if code.group() == "release" {
        Some("is a gate of `release-check`: a release is ready or not; fix what it says instead")
    } else {
        None
    }
}

/// The code a misspelt name was probably meant to be: the nearest by edit distance, if it is
/// near enough to be a typo.
pub fn did_you_mean(name: &str) -> Option<&'static str> {
    Code::ALL
        .iter()
        .map(|code| (distance(name, code.name()), code.name()))
        .filter(|(d, candidate)| *d <= 3.max(candidate.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, candidate)| candidate)
}

/// The error text for a name that is not a code, with the nearest code where there is one.
pub fn unknown_code(name: &str) -> String {
    match did_you_mean(name) {
        Some(code) => format!("`{name}` is not a diagnostic code; did you mean `{code}`?"),
        None => format!(
            "`{name}` is not a diagnostic code (README \"Diagnostic codes\" lists them; \
             `--explain CODE` explains one)"
        ),
    }
}

/// The Levenshtein distance of two short strings.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The list of codes is a public interface: a change to it must be deliberate.
    #[test]
    fn code_list_is_stable() {
        let list: String = Code::ALL
            .iter()
            .map(|c| {
                format!(
                    "{} {} {}: {}\n",
                    c.group(),
                    c.severity().as_str(),
                    c.name(),
                    c.summary()
                )
            })
            .collect();
        insta::assert_snapshot!(list);
    }

    #[test]
    fn every_explanation_starts_with_its_code() {
        for code in Code::ALL {
            let first = code.explanation().lines().next().unwrap_or_default();
            assert_eq!(
                first,
                format!("# {}", code.name()),
                "explain/{}.md",
                code.name()
            );
        }
    }

    #[test]
    fn misspelt_codes_find_their_code() {
        assert_eq!(did_you_mean("sequence-gaps"), Some("sequence-gap"));
        assert_eq!(did_you_mean("drop-colum"), Some("drop-column"));
        assert_eq!(
            did_you_mean("version-set-mismatsh"),
            Some("version-set-mismatch")
        );
        assert_eq!(did_you_mean("something-else-entirely"), None);
        assert!(unknown_code("sequence_gap").contains("did you mean `sequence-gap`"));
    }
}
