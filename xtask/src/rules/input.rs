//! The tree as input: entries the store walk refused to read (a symbolic link out of the store or
//! to nowhere, a FIFO, a socket or a device) are reported at the entry itself. Nothing of what
//! they lead to was read, so nothing of it can appear here.

use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::input::Refusal;
use crate::store::Store;

/// An entry the store walk refused to read, as data: `From<RefusedEntry> for Diagnostic` words
/// it by the refusal.
pub struct RefusedEntry<'a> {
    /// The entry as diagnostics show it.
    pub file: String,
    /// The entry relative to the store.
    pub name: String,
    pub refusal: &'a Refusal,
}

impl From<RefusedEntry<'_>> for Diagnostic {
    fn from(entry: RefusedEntry<'_>) -> Diagnostic {
        let (code, help) = match entry.refusal {
            Refusal::OutsideStore { .. } => (
                Code::SymlinkOutsideStore,
                "put the file itself in the store, or link to a file inside it: the tool reads nothing outside the store it checks",
            ),
            Refusal::NotRegular { .. } => (
                Code::NotARegularFile,
                "replace it with a regular file: migrations, seeds and scripts are text files",
            ),
            Refusal::Broken { .. } => (
                Code::BrokenSymlink,
                "point the link at a file inside the store, or put the file itself in its place",
            ),
        };
        Diagnostic::new(
            code,
            format!(
                "`{}` {}: it was not read",
                crate::input::quote(&entry.name, crate::input::QUOTE_LIMIT),
                entry.refusal.describe()
            ),
        )
        .file(entry.file)
        .help(help)
    }
}

pub fn check(store: &Store, out: &mut Vec<Diagnostic>) {
    for refused in &store.refused {
        out.push(
            RefusedEntry {
                file: store.display(&refused.path),
                name: store.relative(&refused.path),
                refusal: &refused.refusal,
            }
            .into(),
        );
    }
}
