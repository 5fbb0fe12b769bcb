//! Source files as read from disk, with what is needed to turn tokenizer positions into byte
//! offsets and to show a line in a snippet.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::diagnostic::Position;

#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Where the file is on disk.
    pub path: PathBuf,
    /// The path shown to users and written into annotations.
    pub display: String,
    /// The text with any UTF-8 byte-order mark removed. Line endings are kept as they are: the
    /// tokenizer treats `\r` as white space, so CRLF files report the same positions as LF files.
    pub text: String,
    /// Whether the file started with a byte-order mark.
    pub had_bom: bool,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn read(path: &Path, display: String) -> anyhow::Result<SourceFile> {
        let bytes = crate::input::read(path).with_context(|| format!("cannot read {display}"))?;
        let text = String::from_utf8(bytes)
            .map_err(|e| anyhow::anyhow!("{display} is not UTF-8 text ({e})"))?;
        Ok(SourceFile::new(path.to_path_buf(), display, text))
    }

    pub fn new(path: PathBuf, display: String, text: String) -> SourceFile {
        let (text, had_bom) = match text.strip_prefix('\u{feff}') {
            Some(rest) => (rest.to_string(), true),
            None => (text, false),
        };
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile {
            path,
            display,
            text,
            had_bom,
            line_starts,
        }
    }

    pub fn line_count(&self) -> u32 {
        self.line_starts.len() as u32
    }

    /// The text of a line (1-based), without its line ending.
    pub fn line(&self, line: u32) -> Option<&str> {
        let index = usize::try_from(line).ok()?.checked_sub(1)?;
        let start = *self.line_starts.get(index)?;
        let end = self
            .line_starts
            .get(index + 1)
            .copied()
            .unwrap_or(self.text.len());
        Some(self.text[start..end].trim_end_matches(['\n', '\r']))
    }

    /// The byte offset of a position; positions past the end of a line or file clamp to it.
    pub fn offset(&self, position: Position) -> usize {
        let Some(index) = (position.line as usize).checked_sub(1) else {
            return 0;
        };
        let Some(&start) = self.line_starts.get(index) else {
            return self.text.len();
        };
        let line_end = self
            .line_starts
            .get(index + 1)
            .copied()
            .unwrap_or(self.text.len());
        let column = (position.column as usize).saturating_sub(1);
        self.text[start..line_end]
            .char_indices()
            .nth(column)
            .map_or(line_end, |(i, _)| start + i)
    }

    /// The position of a byte offset.
    /// Reads the file as TOML. A mistake is named with its line and column, followed by
    /// `hint` (where the format is documented), so that a user finds it at once.
    pub fn toml<T: serde::de::DeserializeOwned>(&self, hint: &str) -> anyhow::Result<T> {
        toml::from_str(&self.text).map_err(|e| {
            let at = e
                .span()
                .map(|span| {
                    let position = self.position(span.start);
                    format!(":{}:{}", position.line, position.column)
                })
                .unwrap_or_default();
            anyhow::anyhow!("{}{at}: {} ({hint})", self.display, e.message())
        })
    }

    pub fn position(&self, offset: usize) -> Position {
        let index = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[index];
        let column = self.text[start..offset.min(self.text.len())]
            .chars()
            .count();
        Position::new(index as u32 + 1, column as u32 + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_positions_round_trip_with_crlf_and_bom() {
        let file = SourceFile::new(
            PathBuf::from("x.sql"),
            "x.sql".into(),
            "\u{feff}SELECT 1;\r\nSELECT 'é';\r\n".into(),
        );
        assert!(file.had_bom);
        assert_eq!(file.line(1), Some("SELECT 1;"));
        assert_eq!(file.line(2), Some("SELECT 'é';"));
        let offset = file.offset(Position::new(2, 11));
        assert_eq!(&file.text[offset..offset + 1], ";");
        assert_eq!(file.position(offset), Position::new(2, 11));
        assert_eq!(file.line(4), None);
    }
}
