//! The stamp (`[stamp]`): where the database records its schema version, who writes it and
//! how; the types, and their reading from the file.

use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;

use super::problems::Problems;
use super::raw::{RawStamp, StampFormat};
use super::{Config, VersionRule, IDENTIFIER};
use crate::diagnostic::Span;
use crate::dialect::Dialect;
use crate::source::SourceFile;

/// Where the database records its schema version, and who writes it.
#[derive(Clone, Debug)]
pub struct Stamp {
    pub table: String,
    pub name_column: String,
    pub value_column: String,
    /// The value of the name column of the row that holds the version.
    pub key: String,
    /// The JSON field of the value that holds the version; `None` for a plain value.
    pub field: Option<String>,
    pub written_by: StampWriter,
    /// Where the service reads its version back from, where that is a version-history table
    /// (`[stamp.history]`) rather than the settings row above.
    pub history: Option<History>,
    /// The service's own SQL that writes the stamp, per dialect (`[stamp.write]`); a dialect
    /// without one gets `Stamp::default_write`.
    pub writes: Vec<StampWrite>,
    /// Where the configuration file describes the stamp (the `[stamp]` table, else the file),
    /// for messages about the default write; `None` without a configuration file.
    pub configured_at: Option<Place>,
}

/// A version-history table: one row per applied version, the stored version being the highest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct History {
    pub table: String,
    pub column: String,
}

/// The SQL a service runs to write its stamp, as configured for one dialect.
#[derive(Clone, Debug)]
pub struct StampWrite {
    pub dialect: Dialect,
    /// The SQL with its placeholders (`{version}`, `{value}`); one or more statements.
    pub sql: String,
    /// The key in the configuration file.
    pub place: Place,
}

/// A place in the configuration file, for diagnostics.
#[derive(Clone, Debug)]
pub struct Place {
    pub file: String,
    pub span: Option<Span>,
}

/// The placeholders of a configured stamp write: `{name}` with a name of letters, digits, `_`
/// and `-`. Braces around anything else (a JSON literal's `{"schemaVersion": ...}`) are SQL.
static PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{([A-Za-z_][A-Za-z0-9_-]*)\}").expect("valid regex"));

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StampWriter {
    /// The fresh-install script ends by writing it; the service writes it after upgrades.
    Latest,
    /// The service writes it after a fresh install and after upgrades; scripts never do.
    Service,
}

impl Stamp {
    /// The version the service reads back from what the record holds (`values`, from
    /// `Database::stamp_record`): the settings row's version, or the highest version of the
    /// history table, compared as versions. Where no row of a history table holds a readable
    /// version, its first non-empty row is returned, for the message that it is not one.
    pub fn stored_version(
        &self,
        values: &[String],
        rule: VersionRule,
        two_part: bool,
    ) -> Option<String> {
        if self.history.is_none() {
            return values.first().and_then(|v| self.version_in(v));
        }
        let texts = values.iter().map(|v| v.trim()).filter(|v| !v.is_empty());
        texts
            .clone()
            .filter_map(|text| Some((rule.parse_with(text, two_part).ok()?, text)))
            .max()
            .map(|(_, text)| text)
            .or_else(|| texts.clone().next())
            .map(str::to_string)
    }

    /// The SQL the service runs to record `version` (as the tree writes it) in `dialect`: the
    /// configured write with its placeholders filled in, else the default write. The second
    /// value is the configured write, where there is one.
    pub fn write_sql(&self, dialect: Dialect, version: &str) -> (String, Option<&StampWrite>) {
        let configured = self.writes.iter().find(|w| w.dialect == dialect);
        let sql = match configured {
            Some(write) => PLACEHOLDER
                .replace_all(&write.sql, |captures: &regex::Captures<'_>| {
                    match &captures[1] {
                        "version" => quote(version),
                        // The configuration refused every other placeholder.
                        _ => quote(&self.value(version)),
                    }
                })
                .into_owned(),
            None => self.default_write(version),
        };
        (sql, configured)
    }

    /// What the tool writes where the configuration gives no write: the upsert of the settings
    /// row, or the INSERT of the version into the history table.
    pub fn default_write(&self, version: &str) -> String {
        if let Some(history) = &self.history {
            return format!(
                "INSERT INTO {} ({}) VALUES ({})",
                history.table,
                history.column,
                quote(version)
            );
        }
        let (name, column) = (&self.name_column, &self.value_column);
        format!(
            "INSERT INTO {} ({name}, {column}) VALUES ({}, {}) \
             ON CONFLICT ({name}) DO UPDATE SET {column} = excluded.{column}",
            self.table,
            quote(&self.key),
            quote(&self.value(version))
        )
    }

    /// The value the service writes for a version.
    pub fn value(&self, version: &str) -> String {
        match &self.field {
            Some(field) => serde_json::json!({ field.as_str(): version }).to_string(),
            None => version.to_string(),
        }
    }

    /// The version in a stored value; `None` where it is absent or empty.
    pub fn version_in(&self, value: &str) -> Option<String> {
        let version = match &self.field {
            Some(field) => {
                let json: serde_json::Value = serde_json::from_str(value).ok()?;
                json.get(field)?.as_str()?.to_string()
            }
            None => value.trim().to_string(),
        };
        (!version.is_empty()).then_some(version)
    }

    /// How a message names the stamp: `BASIC.schemaVersion`, or `BASIC` for a plain value, or
    /// `migration_history.version` for a history table.
    pub fn name(&self) -> String {
        if let Some(history) = &self.history {
            return format!("{}.{}", history.table, history.column);
        }
        match &self.field {
            Some(field) => format!("{}.{field}", self.key),
            None => self.key.clone(),
        }
    }
}

/// `text` as an SQL string literal, in either dialect.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The `[stamp]` table, checked; a wrong key is recorded and its default used.
pub(super) fn read(raw: RawStamp, source: &SourceFile, problems: &mut Problems) -> Stamp {
    let defaults = Config::default().stamp;
    let format = raw.format.unwrap_or(StampFormat::Json);
    if format == StampFormat::Plain && raw.field.is_some() {
        problems.at_key(
            "stamp.field",
            "stamp.field names a JSON field, but stamp.format is \"plain\"",
        );
    }
    let history = raw.history.map(|history| History {
        table: identifier(
            problems,
            "history.table",
            Some(history.table),
            String::new(),
        ),
        column: identifier(
            problems,
            "history.version-column",
            history.version_column,
            "version".into(),
        ),
    });
    Stamp {
        table: identifier(problems, "table", raw.table, defaults.table),
        name_column: identifier(
            problems,
            "name-column",
            raw.name_column,
            defaults.name_column,
        ),
        value_column: identifier(
            problems,
            "value-column",
            raw.value_column,
            defaults.value_column,
        ),
        key: raw.key.unwrap_or(defaults.key),
        field: match format {
            StampFormat::Json => raw.field.or(defaults.field),
            StampFormat::Plain => None,
        },
        written_by: raw.written_by.unwrap_or(defaults.written_by),
        history,
        writes: raw
            .write
            .into_iter()
            .filter_map(|(dialect, sql)| {
                let key = format!("stamp.write.{}", dialect.folder());
                let write = stamp_write(dialect, sql, source, &key);
                problems.ok(&key, write)
            })
            .collect(),
        configured_at: Some(Place {
            file: source.display.clone(),
            span: stamp_table_line(source),
        }),
    }
}

/// A key of `[stamp]` that names an SQL object: a plain identifier, since it is written into
/// SQL unquoted.
fn identifier(
    problems: &mut Problems,
    key: &str,
    value: Option<String>,
    default: String,
) -> String {
    let value = value.unwrap_or(default);
    if IDENTIFIER.is_match(&value) {
        return value;
    }
    problems.at_key(
        &format!("stamp.{key}"),
        format!("stamp.{key} `{value}` is not a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]*)"),
    );
    value
}

/// A `[stamp.write]` entry, its placeholders checked: a typo in one would write the literal text
/// `{verison}` as the stamp.
fn stamp_write(
    dialect: Dialect,
    sql: toml::Spanned<String>,
    source: &SourceFile,
    key: &str,
) -> Result<StampWrite, String> {
    let start = source.position(sql.span().start);
    let sql = sql.into_inner();
    if sql.trim().is_empty() {
        return Err(format!("{key} is empty: give the SQL the service runs to record its schema version, or remove the key to keep the default write"));
    }
    if let Some(unknown) = PLACEHOLDER
        .captures_iter(&sql)
        .map(|c| c[1].to_string())
        .find(|name| name != "version" && name != "value")
    {
        return Err(format!("{key} uses the placeholder `{{{unknown}}}`; the placeholders are `{{version}}` and `{{value}}`"));
    }
    // The whole line of the key: a multi-line value starts on it, and the key is what to fix.
    let line = start.line;
    let width = source.line(line).unwrap_or_default().chars().count() as u32;
    Ok(StampWrite {
        dialect,
        sql,
        place: Place {
            file: source.display.clone(),
            span: Some(Span::on_line(line, 1, width)),
        },
    })
}

/// The line of the `[stamp]` table (or of its first sub-table) in the configuration file.
fn stamp_table_line(source: &SourceFile) -> Option<Span> {
    (1..=source.line_count()).find_map(|line| {
        let text = source.line(line)?;
        let trimmed = text.trim_start();
        (trimmed.starts_with("[stamp]") || trimmed.starts_with("[stamp."))
            .then(|| Span::on_line(line, 1, text.chars().count() as u32))
    })
}
