//! Objects of released history read in bulk. `git cat-file --batch` answers any number of
//! requests (`<tag>:<path>` or an object id) in one process, so reading the migration folders of
//! every release costs three processes however many tags there are, where `git ls-tree` per tag
//! and `git show` per file would cost a process per tag and per file.

use std::path::Path;

use anyhow::{bail, Context as _};
use xshell::{cmd, Shell};

/// What git answered to one request.
pub enum Object {
    Tree(Vec<TreeEntry>),
    Blob(Vec<u8>),
    /// No such object: the path did not exist at that tag.
    Missing,
}

pub struct TreeEntry {
    pub name: String,
    pub kind: EntryKind,
    /// The object id, in hex.
    pub id: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Tree,
    Blob,
    /// A symbolic link or a submodule: never a migration.
    Other,
}

/// Answers every request with one `git cat-file --batch`, in the order asked.
pub fn read(repository: &Path, requests: &[String]) -> anyhow::Result<Vec<Object>> {
    if requests.is_empty() {
        return Ok(Vec::new());
    }
    let mut input = requests.join("\n");
    input.push('\n');
    let sh = Shell::new().context("cannot run git")?;
    sh.change_dir(repository);
    let output = cmd!(sh, "git cat-file --batch")
        .quiet()
        .stdin(input)
        .output()
        .with_context(|| format!("cannot read released files in {}", repository.display()))?;
    parse_batch(&output.stdout, requests.len()).with_context(|| {
        format!(
            "cannot read the answer of `git cat-file --batch` in {}",
            repository.display()
        )
    })
}

/// Splits the output of `git cat-file --batch`: per request a header line, `<id> <type> <size>`
/// followed by the content and a newline, or `<request> missing`.
fn parse_batch(mut output: &[u8], count: usize) -> anyhow::Result<Vec<Object>> {
    let mut objects = Vec::with_capacity(count);
    for _ in 0..count {
        let end = output
            .iter()
            .position(|&b| b == b'\n')
            .context("the answer ends early")?;
        let header = String::from_utf8_lossy(&output[..end]).into_owned();
        output = &output[end + 1..];
        if header.ends_with(" missing") || header.ends_with(" ambiguous") {
            objects.push(Object::Missing);
            continue;
        }
        let mut fields = header.split(' ');
        let (Some(id), Some(kind), Some(size), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            bail!("unexpected header `{header}`");
        };
        let size: usize = size
            .parse()
            .with_context(|| format!("unexpected size in `{header}`"))?;
        let content = output
            .get(..size)
            .with_context(|| format!("the content of {id} ends early"))?;
        output = output.get(size + 1..).unwrap_or_default();
        objects.push(match kind {
            "tree" => Object::Tree(parse_tree(content, id.len() / 2)?),
            "blob" => Object::Blob(content.to_vec()),
            other => bail!("{id} is a {other}, not a file or a folder"),
        });
    }
    Ok(objects)
}

/// Reads a tree object: entries of `<mode> <name>\0<raw id>`, where the raw id is as long as the
/// hash of the repository (20 bytes for SHA-1, 32 for SHA-256).
fn parse_tree(mut content: &[u8], id_len: usize) -> anyhow::Result<Vec<TreeEntry>> {
    let mut entries = Vec::new();
    while !content.is_empty() {
        let space = content
            .iter()
            .position(|&b| b == b' ')
            .context("a tree entry without a mode")?;
        let nul = content
            .iter()
            .position(|&b| b == 0)
            .context("a tree entry without a name")?;
        let id = content
            .get(nul + 1..nul + 1 + id_len)
            .context("a tree entry without an id")?;
        let kind = match &content[..space] {
            b"40000" => EntryKind::Tree,
            mode if mode.starts_with(b"100") => EntryKind::Blob,
            _ => EntryKind::Other,
        };
        entries.push(TreeEntry {
            name: String::from_utf8_lossy(&content[space + 1..nul]).into_owned(),
            kind,
            id: id.iter().map(|b| format!("{b:02x}")).collect(),
        });
        content = &content[nul + 1 + id_len..];
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_trees_blobs_and_missing_objects() {
        let mut tree = b"40000 0.1\0".to_vec();
        tree.extend([0xab; 20]);
        tree.extend(b"100644 LATEST.sql\0");
        tree.extend([0x01; 20]);
        tree.extend(b"120000 link\0");
        tree.extend([0x02; 20]);
        let id = "f".repeat(40);
        let mut output = format!("{id} tree {}\n", tree.len()).into_bytes();
        output.extend(&tree);
        output.extend(format!("\nv1:x missing\n{id} blob 3\nabc\n").as_bytes());

        let objects = parse_batch(&output, 3).expect("valid output");
        let Object::Tree(entries) = &objects[0] else {
            panic!("a tree first");
        };
        let summary: Vec<(&str, bool, bool)> = entries
            .iter()
            .map(|e| {
                (
                    e.name.as_str(),
                    e.kind == EntryKind::Tree,
                    e.kind == EntryKind::Blob,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("0.1", true, false),
                ("LATEST.sql", false, true),
                ("link", false, false)
            ]
        );
        assert_eq!(entries[0].id, "ab".repeat(20));
        assert!(matches!(objects[1], Object::Missing));
        assert!(matches!(&objects[2], Object::Blob(bytes) if bytes == b"abc"));
        assert!(parse_batch(&output, 4).is_err());
    }
}
