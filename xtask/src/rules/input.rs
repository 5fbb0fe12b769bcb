//! The tree as input: entries the store walk refused to read (a symbolic link out of the store or
//! to nowhere, a FIFO, a socket or a device) are reported at the entry itself. Nothing of what
//! they lead to was read, so nothing of it can appear here.

use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::input::Refusal;
use crate::store::Store;

pub fn check(store: &Store, out: &mut Vec<Diagnostic>) {
    for refused in &store.refused {
        let name = store.relative(&refused.path);
        let (code, help) = match &refused.refusal {
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
        out.push(
            Diagnostic::new(
                code,
                format!(
                    "`{}` {}: it was not read",
                    crate::input::quote(&name, crate::input::QUOTE_LIMIT),
                    refused.refusal.describe()
                ),
            )
            .file(store.display(&refused.path))
            .help(help),
        );
    }
}
