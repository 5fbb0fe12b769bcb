//! Git, as the tool reads it: the release tags (`releases`) and objects at tags read in bulk.
//!
//! Objects of released history read in bulk. `git cat-file --batch` answers any number of
//! requests (`<tag>:<path>` or an object id) in one process, so reading the migration folders of
//! every release costs three processes however many tags there are, where `git ls-tree` per tag
//! and `git show` per file would cost a process per tag and per file.

pub mod releases;

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

/// A file git's rename detection found moved or renamed between a tag and the working tree.
pub struct Rename {
    /// The path at the tag, in the repository.
    pub old: String,
    /// The path in the working tree, in the repository.
    pub new: String,
    /// The blob id of the file at the tag, in hex.
    pub old_id: String,
}

/// The files below `pathspec` (a folder of the repository, or empty for all of it) that git
/// sees renamed between `tag` and the working tree, with identical or similar content
/// (`git diff --find-renames`): how a file that moved folders is followed.
pub fn renames(repository: &Path, tag: &str, pathspec: &str) -> anyhow::Result<Vec<Rename>> {
    let sh = Shell::new().context("cannot run git")?;
    sh.change_dir(repository);
    let pathspec = if pathspec.is_empty() { ":/" } else { pathspec };
    let output = cmd!(
        sh,
        "git diff --no-ext-diff --find-renames --diff-filter=R --raw -z --no-abbrev {tag} -- {pathspec}"
    )
    .quiet()
    .output()
    .with_context(|| format!("cannot compare {tag} with the working tree in {}", repository.display()))?;
    parse_renames(&output.stdout)
        .with_context(|| format!("cannot read the answer of `git diff --raw {tag}`"))
}

/// Reads `git diff --raw -z`: per entry `:<mode> <mode> <id> <id> <status>\0<path>\0`, and a
/// second path for renames and copies.
fn parse_renames(output: &[u8]) -> anyhow::Result<Vec<Rename>> {
    let mut fields = output
        .split(|&b| b == 0)
        .map(|f| String::from_utf8_lossy(f).into_owned());
    let mut renames = Vec::new();
    while let Some(header) = fields.next() {
        if header.is_empty() {
            continue;
        }
        let parts: Vec<&str> = header.trim_start_matches(':').split(' ').collect();
        let [_, _, old_id, _, status] = parts[..] else {
            bail!("unexpected entry `{header}`");
        };
        let old = fields.next().context("an entry without a path")?;
        if status.starts_with(['R', 'C']) {
            let new = fields.next().context("a rename without its new path")?;
            if status.starts_with('R') {
                renames.push(Rename {
                    old,
                    new,
                    old_id: old_id.to_string(),
                });
            }
        }
    }
    Ok(renames)
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
    fn reads_renames_of_a_raw_diff() {
        let id = "a".repeat(40);
        let zero = "0".repeat(40);
        let output = format!(
            ":100644 100644 {id} {zero} R100\0s/prod/0.1/00__a.sql\0s/0.1/00__a.sql\0:100644 100644 {id} {zero} M\0s/x.sql\0"
        );
        let renames = parse_renames(output.as_bytes()).expect("valid output");
        let found: Vec<(&str, &str, &str)> = renames
            .iter()
            .map(|r| (r.old.as_str(), r.new.as_str(), r.old_id.as_str()))
            .collect();
        assert_eq!(
            found,
            [("s/prod/0.1/00__a.sql", "s/0.1/00__a.sql", id.as_str())]
        );
        assert!(parse_renames(b":100644 R100\0a\0").is_err());
    }

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
