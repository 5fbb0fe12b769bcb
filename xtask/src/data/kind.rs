//! What a column's type lets the generator write: the `Kind` read from the type as the engine
//! reports it, and the literal of a kind for a row number. A literal is a pure function of the
//! column's name, the row number and the flavour of the row, so that two runs write the same
//! rows and two rows never share a value of a kind that has enough of them.

use std::collections::BTreeMap;

use crate::dialect::Dialect;

/// The first day of the regular rows' dates and timestamps, as days since 1970-01-01
/// (2020-01-01): recent enough to look like a service's data.
const FIRST_DAY: i64 = 18_262;

/// The oldest timestamp real databases hold: Go's zero time, which a Go service writes for a
/// time it never set.
const OLDEST_DATE: &str = "0001-01-01";

/// The text the long edge row repeats: letters outside ASCII from several scripts and a
/// character outside the Basic Multilingual Plane, so that byte and character lengths differ.
const LONG_PIECE: &str = "Grüße aus Köln, 東京, Αθήνα, Москва 🦀 ";

/// How many characters the long edge row's text has where the type sets no limit.
const LONG_CHARS: usize = 2_000;

/// What a column's type lets the generator write.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Kind {
    /// An integer within the type's bounds.
    Integer {
        min: i128,
        max: i128,
    },
    /// `numeric(precision, scale)`.
    Decimal {
        precision: u32,
        scale: u32,
    },
    Float,
    /// Text of at most `max` characters where the type sets a limit.
    Text {
        max: Option<usize>,
    },
    /// A boolean; SQLite keeps it as `0`/`1`.
    Boolean {
        as_integer: bool,
    },
    Date,
    Time {
        zone: bool,
    },
    Timestamp {
        zone: bool,
    },
    Interval,
    Uuid,
    Json,
    Bytes {
        dialect: Dialect,
    },
    /// A PostgreSQL enum type, with its labels in order.
    Enum(Vec<String>),
    /// A PostgreSQL array of the element kind, cast to the column's type.
    Array {
        element: Box<Kind>,
        data_type: String,
    },
    Inet,
    Cidr,
    Macaddr,
    /// A type the generator does not know: the column gets NULL where it may, else its default.
    Unknown,
}

/// Which of a table's rows a literal is for: the regular rows, or one of the edge rows that real
/// databases hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Flavor {
    Regular,
    /// Every nullable column NULL.
    Nulls,
    /// Every column with a default left out, but the keyed ones.
    Defaults,
    /// Empty strings, empty JSON objects and arrays, the oldest date and timestamp.
    Empty,
    /// Long text outside ASCII.
    Long,
}

/// The kind of a column of type `data_type` (lower case, as the schema has it).
pub(super) fn kind_of(
    data_type: &str,
    dialect: Dialect,
    enums: &BTreeMap<String, Vec<String>>,
) -> Kind {
    match dialect {
        Dialect::Postgres => postgres_kind(data_type, enums),
        Dialect::Sqlite => sqlite_kind(data_type),
    }
}

/// PostgreSQL's types, as `format_type` prints them.
fn postgres_kind(data_type: &str, enums: &BTreeMap<String, Vec<String>>) -> Kind {
    if let Some(element) = data_type.strip_suffix("[]") {
        return Kind::Array {
            element: Box::new(postgres_kind(element, enums)),
            data_type: data_type.to_string(),
        };
    }
    let (name, modifier) = split_modifier(data_type);
    match name {
        "smallint" => integer(16),
        "integer" => integer(32),
        "bigint" => integer(64),
        "numeric" => decimal(modifier),
        "real" | "double precision" => Kind::Float,
        "text" | "citext" | "character varying" => Kind::Text {
            max: length(modifier),
        },
        "character" => Kind::Text {
            max: Some(length(modifier).unwrap_or(1)),
        },
        "boolean" => Kind::Boolean { as_integer: false },
        "date" => Kind::Date,
        "interval" => Kind::Interval,
        "uuid" => Kind::Uuid,
        "json" | "jsonb" => Kind::Json,
        "bytea" => Kind::Bytes {
            dialect: Dialect::Postgres,
        },
        "inet" => Kind::Inet,
        "cidr" => Kind::Cidr,
        "macaddr" => Kind::Macaddr,
        _ if name.starts_with("timestamp") => Kind::Timestamp {
            zone: name.ends_with("with time zone"),
        },
        _ if name.starts_with("time") => Kind::Time {
            zone: name.ends_with("with time zone"),
        },
        _ => match enums.get(&data_type.replace('"', "")) {
            Some(labels) if !labels.is_empty() => Kind::Enum(labels.clone()),
            _ => Kind::Unknown,
        },
    }
}

/// SQLite's declared types, by the names services use and otherwise by SQLite's rules of type
/// affinity (a declared type holding `INT` has integer affinity, and so on).
fn sqlite_kind(data_type: &str) -> Kind {
    let (name, modifier) = split_modifier(data_type);
    match name {
        "boolean" | "bool" => return Kind::Boolean { as_integer: true },
        "date" => return Kind::Date,
        "json" | "jsonb" => return Kind::Json,
        "uuid" => return Kind::Uuid,
        "blob" => {
            return Kind::Bytes {
                dialect: Dialect::Sqlite,
            }
        }
        "numeric" | "decimal" if modifier.is_some() => return decimal(modifier),
        _ => {}
    }
    if name.contains("int") {
        integer(64)
    } else if name.contains("char")
        || name.contains("clob")
        || name.contains("text")
        || name.is_empty()
    {
        Kind::Text {
            max: length(modifier),
        }
    } else if name.contains("time") || name.contains("date") {
        Kind::Timestamp { zone: false }
    } else if name.contains("real") || name.contains("floa") || name.contains("doub") {
        Kind::Float
    } else {
        integer(64)
    }
}

/// A type's name and its modifier: `character varying(20)` as (`character varying`,
/// `Some("20")`). Time types keep their precision inside their name (`time(3) with time zone`),
/// since only how their name starts and ends is read.
fn split_modifier(data_type: &str) -> (&str, Option<&str>) {
    match data_type.split_once('(') {
        Some((name, rest)) if !name.starts_with("time") => (
            name.trim(),
            rest.split_once(')').map(|(inside, _)| inside.trim()),
        ),
        _ => (data_type.trim(), None),
    }
}

fn integer(bits: u32) -> Kind {
    let max = (1i128 << (bits - 1)) - 1;
    Kind::Integer { min: -max - 1, max }
}

fn length(modifier: Option<&str>) -> Option<usize> {
    modifier.and_then(|text| text.parse().ok())
}

fn decimal(modifier: Option<&str>) -> Kind {
    let mut parts = modifier
        .unwrap_or("")
        .split(',')
        .map(|part| part.trim().parse::<u32>().ok());
    let precision = parts.next().flatten().unwrap_or(18);
    let scale = parts.next().flatten().unwrap_or(0);
    Kind::Decimal {
        precision,
        scale: scale.min(precision),
    }
}

/// The SQL literal of `kind` for row `row` of column `column`, or `None` where the generator has
/// no value (an unknown type). Integers count from `start`.
pub(super) fn literal(
    kind: &Kind,
    column: &str,
    row: usize,
    flavor: Flavor,
    start: i128,
) -> Option<String> {
    let empty = flavor == Flavor::Empty;
    Some(match kind {
        Kind::Integer { min, max } => integer_value(*min, *max, start, row).to_string(),
        Kind::Decimal { precision, scale } => decimal_value(*precision, *scale, row),
        Kind::Float => format!("{row}.25"),
        Kind::Text { max } => quote_literal(&text_value(column, row, flavor, *max)),
        Kind::Boolean { as_integer } => {
            boolean_value(row.is_multiple_of(2), *as_integer).to_string()
        }
        Kind::Date if empty => quote_literal(OLDEST_DATE),
        Kind::Date => quote_literal(&date(FIRST_DAY + row as i64)),
        Kind::Time { zone } => quote_literal(&format!(
            "{}{}",
            time_of_day(row as i64 * 61 + 3_600),
            zone_suffix(*zone)
        )),
        Kind::Timestamp { zone } => quote_literal(&timestamp(row, empty, *zone)),
        Kind::Interval => quote_literal(&format!("{row} minutes")),
        Kind::Uuid => quote_literal(&format!(
            "{:08x}-0000-4000-8000-{row:012x}",
            name_hash(column)
        )),
        Kind::Json => quote_literal(&json_value(column, row, flavor)),
        Kind::Bytes { dialect } => bytes_value(row, empty, *dialect),
        Kind::Enum(labels) => quote_literal(&labels[row % labels.len()]),
        Kind::Array { element, data_type } => {
            array_value(element, data_type, column, row, flavor, start)?
        }
        Kind::Inet => quote_literal(&format!(
            "10.{}.{}.{}",
            row >> 16 & 255,
            row >> 8 & 255,
            row & 255
        )),
        Kind::Cidr => quote_literal(&format!("10.{}.{}.0/24", row >> 8 & 255, row & 255)),
        Kind::Macaddr => quote_literal(&format!(
            "08:00:2b:{:02x}:{:02x}:{:02x}",
            row >> 16 & 255,
            row >> 8 & 255,
            row & 255
        )),
        Kind::Unknown => return None,
    })
}

/// `start + row` where it fits between `min` and `max`, else counted from `min` around the range.
pub(super) fn integer_value(min: i128, max: i128, start: i128, row: usize) -> i128 {
    let row = row as i128;
    let start = if (min..=max).contains(&start) {
        start
    } else {
        min
    };
    if start + row <= max {
        start + row
    } else {
        min + row % (max - min + 1)
    }
}

/// A number with `scale` decimals that fits `precision` digits, distinct per row while the
/// integer digits last.
fn decimal_value(precision: u32, scale: u32, row: usize) -> String {
    let integer_digits = precision - scale;
    let whole = if integer_digits == 0 {
        0
    } else {
        row as u128 % 10u128.pow(integer_digits.min(30))
    };
    if scale == 0 {
        whole.to_string()
    } else {
        format!("{whole}.{}", "5".repeat(scale.min(6) as usize))
    }
}

fn boolean_value(value: bool, as_integer: bool) -> &'static str {
    match (value, as_integer) {
        (true, true) => "1",
        (false, true) => "0",
        (true, false) => "true",
        (false, false) => "false",
    }
}

/// Text of at most `max` characters: the column's name and the row number where they fit, the
/// row number alone where only it fits.
fn text_value(column: &str, row: usize, flavor: Flavor, max: Option<usize>) -> String {
    let text = match flavor {
        Flavor::Empty => return String::new(),
        Flavor::Long => {
            let long: String = LONG_PIECE.chars().cycle().take(LONG_CHARS).collect();
            format!("{row} {long}")
        }
        _ => format!("{column}-{row}"),
    };
    match max {
        Some(max) if text.chars().count() > max => {
            let number = row.to_string();
            if number.len() <= max && flavor != Flavor::Long {
                number
            } else {
                text.chars().take(max).collect()
            }
        }
        _ => text,
    }
}

fn json_value(column: &str, row: usize, flavor: Flavor) -> String {
    match flavor {
        Flavor::Empty => "{}".to_string(),
        Flavor::Long => {
            let long: String = LONG_PIECE.chars().cycle().take(LONG_CHARS).collect();
            format!("{{\"row\": {row}, \"text\": \"{long}\"}}")
        }
        _ => format!(
            "{{\"column\": \"{}\", \"row\": {row}, \"tags\": [\"a\", \"b\"]}}",
            column.replace(['"', '\\'], "")
        ),
    }
}

fn bytes_value(row: usize, empty: bool, dialect: Dialect) -> String {
    let hex = if empty {
        String::new()
    } else {
        format!("{:016x}", row as u64)
    };
    match dialect {
        Dialect::Postgres => format!("'\\x{hex}'"),
        Dialect::Sqlite => format!("x'{hex}'"),
    }
}

/// Two elements (this row's and the next's), or an empty array in the empty edge row.
fn array_value(
    element: &Kind,
    data_type: &str,
    column: &str,
    row: usize,
    flavor: Flavor,
    start: i128,
) -> Option<String> {
    if flavor == Flavor::Empty {
        return Some(format!("'{{}}'::{data_type}"));
    }
    let first = literal(element, column, row, flavor, start)?;
    let second = literal(element, column, row + 1, flavor, start)?;
    Some(format!("ARRAY[{first}, {second}]::{data_type}"))
}

/// A timestamp a little over an hour after the previous row's, or the oldest one.
fn timestamp(row: usize, empty: bool, zone: bool) -> String {
    let suffix = zone_suffix(zone);
    if empty {
        return format!("{OLDEST_DATE} 00:00:00{suffix}");
    }
    let seconds = row as i64 * 3_661;
    format!(
        "{} {}{suffix}",
        date(FIRST_DAY + seconds / 86_400),
        time_of_day(seconds)
    )
}

fn zone_suffix(zone: bool) -> &'static str {
    if zone {
        "+00"
    } else {
        ""
    }
}

fn time_of_day(seconds: i64) -> String {
    let seconds = seconds.rem_euclid(86_400);
    format!(
        "{:02}:{:02}:{:02}",
        seconds / 3_600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// The civil date of a day counted from 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// FNV-1a of a column's name, so that two uuid columns of a row differ.
fn name_hash(name: &str) -> u32 {
    name.bytes().fold(0x811c_9dc5u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}

/// A string literal (standard strings: only the quote is doubled).
pub(super) fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(FIRST_DAY), "2020-01-01");
        assert_eq!(date(FIRST_DAY + 60), "2020-03-01");
    }

    #[test]
    fn text_respects_the_length_of_its_type() {
        assert_eq!(text_value("name", 3, Flavor::Regular, Some(5)), "3");
        assert_eq!(text_value("name", 3, Flavor::Regular, None), "name-3");
        assert_eq!(
            text_value("name", 3, Flavor::Long, Some(5)).chars().count(),
            5
        );
    }

    #[test]
    fn types_are_read_with_their_modifiers() {
        let enums = BTreeMap::new();
        assert_eq!(
            postgres_kind("character varying(5)", &enums),
            Kind::Text { max: Some(5) }
        );
        assert_eq!(
            postgres_kind("numeric(6,2)", &enums),
            Kind::Decimal {
                precision: 6,
                scale: 2
            }
        );
        assert_eq!(
            postgres_kind("timestamp(3) with time zone", &enums),
            Kind::Timestamp { zone: true }
        );
        assert_eq!(sqlite_kind("varchar(20)"), Kind::Text { max: Some(20) });
        assert_eq!(sqlite_kind("boolean"), Kind::Boolean { as_integer: true });
    }

    #[test]
    fn integers_wrap_inside_their_range() {
        assert_eq!(integer_value(1, 5, 1000, 0), 1);
        assert_eq!(integer_value(1, 5, 1000, 7), 3);
        assert_eq!(
            integer_value(i128::from(i16::MIN), i128::from(i16::MAX), 1000, 7),
            1007
        );
    }
}
