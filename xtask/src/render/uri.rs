//! File names as URIs, for the formats whose consumers resolve them (SARIF's
//! `artifactLocation.uri`): percent-encoded, relative to the repository's top where the path
//! is, and an absolute `file://` URI where it is not.

use std::path::Path;

/// A displayed path (`Diagnostic::file`) as a URI reference: `relative` is true where it is
/// relative to the folder paths are shown from (the repository's top), false for an absolute
/// `file://` URI (a configuration outside the repository).
pub struct FileUri {
    pub uri: String,
    pub relative: bool,
}

/// The URI of a displayed path. Every byte but the unreserved characters of RFC 3986 and `/`
/// is percent-encoded, so that a space, a `,`, a `%`, a `#` or a control character in a name
/// reaches the consumer as the same name.
pub fn file_uri(display: &str) -> FileUri {
    let raw = unescape(display);
    let trimmed = raw.trim_start_matches('/');
    if trimmed.len() < raw.len() {
        FileUri {
            uri: format!("file:///{}", encode(trimmed)),
            relative: false,
        }
    } else {
        FileUri {
            uri: encode(&raw),
            relative: true,
        }
    }
}

/// An absolute folder as a `file://` URI ending with `/`, as SARIF's `originalUriBaseIds` need.
pub fn folder_uri(folder: &Path) -> String {
    let text = folder.to_string_lossy();
    let trimmed = text.trim_matches('/');
    if trimmed.is_empty() {
        "file:///".to_string()
    } else {
        format!("file:///{}/", encode(trimmed))
    }
}

fn encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// The name a displayed path stands for: the escapes of `input::display_path` (`\n`, `\r`,
/// `\t`, `\x1b`, `\u{9b}`) turned back into their characters, since a URI must name the file
/// itself. A name that holds a backslash followed by such an escape's text reads as the
/// character; names with backslashes are rare enough in migration trees to accept that.
fn unescape(display: &str) -> String {
    let mut raw = String::with_capacity(display.len());
    let mut rest = display;
    while let Some(at) = rest.find('\\') {
        raw.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        match escaped(after) {
            Some((c, used)) => {
                raw.push(c);
                rest = &after[used..];
            }
            None => {
                raw.push('\\');
                rest = after;
            }
        }
    }
    raw.push_str(rest);
    raw
}

/// The character an escape (the text after its backslash) stands for, and the escape's length.
fn escaped(after: &str) -> Option<(char, usize)> {
    let hex = |digits: &str| {
        u32::from_str_radix(digits, 16)
            .ok()
            .and_then(char::from_u32)
    };
    match after.as_bytes().first()? {
        b'n' => Some(('\n', 1)),
        b'r' => Some(('\r', 1)),
        b't' => Some(('\t', 1)),
        b'x' => Some((hex(after.get(1..3)?)?, 3)),
        b'u' => {
            let body = after.strip_prefix("u{")?;
            let end = body.find('}')?;
            Some((hex(&body[..end])?, end + 3))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_percent_encoded_and_escapes_undone() {
        let uri = file_uri("store/migration/0.2/01__a b,c%d\\x01e\\u{9b}f\\nä.sql");
        assert!(uri.relative);
        assert_eq!(
            uri.uri,
            "store/migration/0.2/01__a%20b%2Cc%25d%01e%C2%9Bf%0A%C3%A4.sql"
        );
        assert_eq!(file_uri("a\\qb").uri, "a%5Cqb");
    }

    #[test]
    fn absolute_paths_are_file_uris() {
        let uri = file_uri("//tmp/x y.toml");
        assert!(!uri.relative);
        assert_eq!(uri.uri, "file:///tmp/x%20y.toml");
        assert_eq!(folder_uri(Path::new("/work/repo")), "file:///work/repo/");
    }
}
