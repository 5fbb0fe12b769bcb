//! Path globs of the configuration (`migration/sqlite/0.1*/**`): `*` and `?` within one path
//! segment, `**` for any number of segments. A glob matches a file, or any folder that holds it,
//! so that a plain folder path (`migration/sqlite/0.1`) means everything below it.

/// Whether `glob` matches `path` (both relative to the store, with `/`) or a folder above it.
pub fn matches(glob: &str, path: &str) -> bool {
    let pattern: Vec<&str> = glob.split('/').collect();
    let segments: Vec<&str> = path.split('/').collect();
    (1..=segments.len()).any(|n| segments_match(&pattern, &segments[..n]))
}

/// How many characters of a glob are literal: the measure of how specific it is.
pub fn literal_len(glob: &str) -> usize {
    glob.chars().filter(|c| !matches!(c, '*' | '?')).count()
}

fn segments_match(pattern: &[&str], segments: &[&str]) -> bool {
    match pattern.split_first() {
        None => segments.is_empty(),
        Some((&"**", rest)) => {
            (0..=segments.len()).any(|skip| segments_match(rest, &segments[skip..]))
        }
        Some((first, rest)) => match segments.split_first() {
            Some((segment, others)) => {
                segment_matches(first.as_bytes(), segment.as_bytes())
                    && segments_match(rest, others)
            }
            None => false,
        },
    }
}

/// `*` and `?` within one segment, by bytes: the paths and globs of a tree are ASCII in
/// practice, and a multi-byte character under `?` only fails to match.
fn segment_matches(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|skip| segment_matches(rest, &text[skip..])),
        Some((b'?', rest)) => !text.is_empty() && segment_matches(rest, &text[1..]),
        Some((c, rest)) => text.first() == Some(c) && segment_matches(rest, &text[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_files_and_the_folders_that_hold_them() {
        let file = "migration/sqlite/0.1/02__x.sql";
        assert!(matches("migration/sqlite/0.1*/**", file));
        assert!(matches("migration/sqlite/0.1", file));
        assert!(matches("migration/*/0.?/*.sql", file));
        assert!(matches("**/02__*.sql", file));
        assert!(matches("**", file));
        assert!(!matches("migration/postgres/**", file));
        assert!(!matches("migration/sqlite/0.2/**", file));
        assert!(!matches("migration/sqlite/0.1/03__*.sql", file));
        assert!(!matches("migration/sqlite/0.1/02", file));
        assert!(literal_len("migration/sqlite/0.1*/**") > literal_len("migration/**"));
    }
}
