//! The tree is input from whoever wrote the pull request, so reading it must not hand them the
//! machine: only regular files are read (a FIFO would block the run forever, `/dev/zero` would
//! be read until memory runs out), and a symbolic link is followed only where its target lies
//! inside the store (a link to `/proc/self/environ` would otherwise print the tool's environment
//! into the log). The store walk uses `refusal` to keep such entries out of the layout model;
//! `read` is the one way a file of the tree is read, and checks again on the open handle.

use std::fs::{File, FileType};
use std::io::{self, Read as _};
use std::os::unix::fs::{FileTypeExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

/// Why an entry of the tree is not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A symbolic link whose target (all links resolved) lies outside the store. `link` is what
    /// the link itself says, which the tree's author wrote; nothing of the target is read.
    OutsideStore { link: PathBuf },
    /// Not a regular file nor a folder: a FIFO, a socket or a device (`kind` names it).
    NotRegular { kind: &'static str },
    /// A symbolic link that leads nowhere: to a missing target, into a loop of links, or to a
    /// folder that contains it (which a walk would follow forever). `why` says which.
    Broken { link: PathBuf, why: &'static str },
}

impl Refusal {
    /// The reason as a predicate for messages: "is a FIFO, not a regular file".
    pub fn describe(&self) -> String {
        match self {
            Refusal::OutsideStore { link } => format!(
                "is a symbolic link to `{}`, outside the store",
                quote(&link.to_string_lossy(), QUOTE_LIMIT)
            ),
            Refusal::NotRegular { kind } => format!("is {kind}, not a regular file"),
            Refusal::Broken { link, why } => format!(
                "is a symbolic link to `{}`, {why}",
                quote(&link.to_string_lossy(), QUOTE_LIMIT)
            ),
        }
    }
}

/// How many characters of text from the tree a message quotes: a screen line's worth.
pub const QUOTE_LIMIT: usize = 80;

/// Text from the tree as a message quotes it: its first `limit` characters, with control
/// characters shown as `?` (so that a quote cannot move the cursor or colour a CI log), and `…`
/// where it was cut.
pub fn quote(text: &str, limit: usize) -> String {
    let mut quoted: String = text
        .chars()
        .take(limit)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if text.chars().nth(limit).is_some() {
        quoted.push('…');
    }
    quoted
}

/// How many characters of a diagnostic's message or help are kept: twice the longest the tool
/// writes itself, so that only text quoted from the tree (a token, an engine's error) is cut.
pub const MESSAGE_LIMIT: usize = 1000;

/// A message as every format shows it: at most `MESSAGE_LIMIT` characters, with control
/// characters other than line breaks and tabs shown as `?`.
pub fn bound_message(text: &str) -> String {
    let mut bounded: String = text
        .chars()
        .take(MESSAGE_LIMIT)
        .map(|c| match c {
            '\n' | '\t' => c,
            c if c.is_control() => '?',
            c => c,
        })
        .collect();
    let rest = text.chars().skip(MESSAGE_LIMIT).count();
    if rest > 0 {
        bounded.push_str(&format!("… ({rest} more characters)"));
    }
    bounded
}

/// A path of the tree as every format shows it: its components joined with `/`, and control
/// characters in a name escaped (`\n`, `\t`, `\r`, else `\x1b` or `\u{9b}`), so that a file
/// named `V1__a\x1b[31m.sql` or with a line break in its name can neither colour a terminal nor
/// break a line of the log, a GitHub annotation or the job summary. Every path a diagnostic or
/// a report names is made here (`Store::display`, `Store::relative`, the configuration's file).
pub fn display_path(path: &Path) -> String {
    let mut shown = String::new();
    for component in path.components() {
        // The root is `/` itself: a separator after it would show `//tmp/x.toml`.
        if !shown.is_empty() && !shown.ends_with('/') {
            shown.push('/');
        }
        escape_name_into(&component.as_os_str().to_string_lossy(), &mut shown);
    }
    shown
}

/// A file or folder name with its control characters escaped as in [`display_path`].
pub fn escape_name(name: &str) -> String {
    let mut shown = String::with_capacity(name.len());
    escape_name_into(name, &mut shown);
    shown
}

/// A file name as one word of a shell command the help suggests (`git mv OLD NEW`): as it is
/// where every character is safe, in single quotes where it has spaces, quotes or other shell
/// syntax, and in bash's `$'...'` where it has control characters, which single quotes could
/// only hold literally (and a log would then show).
pub fn shell_word(name: &str) -> String {
    let safe = |c: char| c.is_alphanumeric() || "-_./+=:,@%".contains(c);
    if !name.is_empty() && name.chars().all(safe) {
        return name.to_string();
    }
    if !name.chars().any(char::is_control) {
        return format!("'{}'", name.replace('\'', "'\\''"));
    }
    let mut word = String::from("$'");
    for c in name.chars() {
        match c {
            '\'' => word.push_str("\\'"),
            '\\' => word.push_str("\\\\"),
            '\n' => word.push_str("\\n"),
            '\r' => word.push_str("\\r"),
            '\t' => word.push_str("\\t"),
            c if c.is_control() && u32::from(c) < 0x80 => {
                word.push_str(&format!("\\x{:02x}", u32::from(c)));
            }
            c if c.is_control() => word.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => word.push(c),
        }
    }
    word.push('\'');
    word
}

fn escape_name_into(name: &str, out: &mut String) {
    for c in name.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() && u32::from(c) < 0x80 => {
                out.push_str(&format!("\\x{:02x}", u32::from(c)));
            }
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
}

/// What kind of entry a file type is, for messages; `None` for a regular file or a folder.
pub fn irregular_kind(file_type: &FileType) -> Option<&'static str> {
    if file_type.is_file() || file_type.is_dir() {
        None
    } else if file_type.is_fifo() {
        Some("a FIFO")
    } else if file_type.is_socket() {
        Some("a socket")
    } else if file_type.is_char_device() {
        Some("a character device")
    } else if file_type.is_block_device() {
        Some("a block device")
    } else {
        Some("neither a file nor a folder")
    }
}

/// What `Refusal::Broken` says of a link into a loop of links.
const LINK_LOOP: &str = "which leads into a loop of links";
/// What `Refusal::Broken` says of a link to a folder that contains it.
const FOLDER_LOOP: &str = "a folder that contains it, so that a walk would never end";

/// Whether the entry at `path` may be read as part of the store at `root` (a canonical path):
/// `None` where it may, else why not. Only `stat` and `readlink` are used, which never block and
/// never read a file's content. An entry that does not exist is no concern of this check.
pub fn refusal(root: &Path, path: &Path) -> Option<Refusal> {
    let own = std::fs::symlink_metadata(path).ok()?;
    if own.file_type().is_symlink() {
        let link = || std::fs::read_link(path).unwrap_or_default();
        let target = match path.canonicalize() {
            Ok(target) => target,
            Err(error) => {
                let why = if error.raw_os_error() == Some(libc::ELOOP) {
                    LINK_LOOP
                } else {
                    "which does not exist"
                };
                return Some(Refusal::Broken { link: link(), why });
            }
        };
        if !target.starts_with(root) {
            return Some(Refusal::OutsideStore { link: link() });
        }
        // A folder that holds the link: a walk that follows links would go round forever.
        let holder = path.parent().and_then(|parent| parent.canonicalize().ok());
        if target.is_dir() && holder.is_some_and(|holder| holder.starts_with(&target)) {
            return Some(Refusal::Broken {
                link: link(),
                why: FOLDER_LOOP,
            });
        }
    }
    let followed = std::fs::metadata(path).ok()?;
    irregular_kind(&followed.file_type()).map(|kind| Refusal::NotRegular { kind })
}

/// Reads a file of the tree whole, refusing anything but a regular file. The file is opened
/// without blocking (opening a FIFO for reading waits for a writer otherwise) and its type is
/// checked on the open handle, so an entry swapped for a FIFO or a device after the walk is still
/// refused.
pub fn read(path: &Path) -> io::Result<Vec<u8>> {
    let mut file = open_regular(path)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Reads at most `limit` bytes of a regular file, for files that hold one short value (the
/// version file): a large file is not read past what a message can use.
pub fn read_prefix(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let file = open_regular(path)?;
    let mut bytes = Vec::new();
    file.take(limit).read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn open_regular(path: &Path) -> io::Result<File> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    let file_type = file.metadata()?.file_type();
    match irregular_kind(&file_type) {
        None if file_type.is_file() => Ok(file),
        None => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "it is a folder, not a regular file",
        )),
        Some(kind) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("it is {kind}, not a regular file"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_cut_and_cannot_drive_a_terminal() {
        assert_eq!(quote("0.1.0", 80), "0.1.0");
        assert_eq!(quote("abcdef", 3), "abc…");
        assert_eq!(quote("a\x1b[31mb", 80), "a?[31mb");
    }

    #[test]
    fn names_are_quoted_for_a_shell() {
        assert_eq!(shell_word("01__memo.sql"), "01__memo.sql");
        assert_eq!(shell_word("01__a b.sql"), "'01__a b.sql'");
        assert_eq!(shell_word("01__it's.sql"), "'01__it'\\''s.sql'");
        assert_eq!(shell_word("01__a\x1b[31m'.sql"), "$'01__a\\x1b[31m\\'.sql'");
        assert_eq!(shell_word("a\nb\u{9b}"), "$'a\\nb\\u009b'");
    }

    #[test]
    fn paths_are_shown_with_control_characters_escaped() {
        assert_eq!(
            display_path(Path::new("store/migration/0.2/01__a\x1b[31m.sql")),
            "store/migration/0.2/01__a\\x1b[31m.sql"
        );
        assert_eq!(
            display_path(Path::new("a\nb/c\td\re\u{9b}f")),
            "a\\nb/c\\td\\re\\u{9b}f"
        );
        assert_eq!(display_path(Path::new("plain/é.sql")), "plain/é.sql");
        assert_eq!(display_path(Path::new("/tmp/x.toml")), "/tmp/x.toml");
        assert_eq!(escape_name("x\x07"), "x\\x07");
    }

    #[test]
    fn messages_are_bounded() {
        let long = format!("near \"{}\": syntax error", "x".repeat(5000));
        let bounded = bound_message(&long);
        assert!(bounded.ends_with("… (4021 more characters)"));
        assert_eq!(bound_message("a\nb\x1b"), "a\nb?");
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let fifo = dir.path().join("00__x.sql");
        let c_path = std::ffi::CString::new(fifo.to_string_lossy().as_bytes())?;
        // SAFETY: `c_path` is a valid NUL-terminated path that outlives the call.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let error = read(&fifo).err().map(|e| e.to_string());
        assert_eq!(error.as_deref(), Some("it is a FIFO, not a regular file"));
        let root = dir.path().canonicalize()?;
        assert_eq!(
            refusal(&root, &fifo),
            Some(Refusal::NotRegular { kind: "a FIFO" })
        );
        Ok(())
    }

    #[test]
    fn links_are_followed_only_inside_the_store() -> anyhow::Result<()> {
        let outside = tempfile::tempdir()?;
        let store = tempfile::tempdir()?;
        let root = store.path().canonicalize()?;
        std::fs::write(outside.path().join("secret"), "TOKEN=x")?;
        std::fs::write(root.join("inside.sql"), "SELECT 1;")?;
        std::os::unix::fs::symlink(outside.path().join("secret"), root.join("out.sql"))?;
        std::os::unix::fs::symlink("inside.sql", root.join("in.sql"))?;
        std::os::unix::fs::symlink("/dev/zero", root.join("zero.sql"))?;
        assert!(matches!(
            refusal(&root, &root.join("out.sql")),
            Some(Refusal::OutsideStore { .. })
        ));
        assert_eq!(refusal(&root, &root.join("in.sql")), None);
        assert!(matches!(
            refusal(&root, &root.join("zero.sql")),
            Some(Refusal::OutsideStore { .. })
        ));
        assert_eq!(read(&root.join("in.sql"))?, b"SELECT 1;");
        std::fs::create_dir_all(root.join("a/b"))?;
        std::os::unix::fs::symlink("..", root.join("a/b/up"))?;
        std::os::unix::fs::symlink("loop", root.join("loop"))?;
        std::os::unix::fs::symlink("gone", root.join("gone.sql"))?;
        let why = |name: &str| match refusal(&root, &root.join(name)) {
            Some(Refusal::Broken { why, .. }) => why,
            _ => "not broken",
        };
        assert_eq!(why("a/b/up"), FOLDER_LOOP);
        assert_eq!(why("loop"), LINK_LOOP);
        assert_eq!(why("gone.sql"), "which does not exist");
        assert!(read(Path::new("/dev/zero")).is_err());
        Ok(())
    }
}
