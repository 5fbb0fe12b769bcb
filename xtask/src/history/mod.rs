//! Released history is immutable. Every installation of a release has run the migrations that
//! release shipped, and the service knows a migration by its version only: it never runs a
//! changed migration again, and it skips a new one whose version is not above the installation's
//! schema version. So:
//!
//! - `released/`: with release tags, every migration a tag shipped must be in the working tree
//!   under the same name with the same text (CRLF and LF count as equal), and a migration that
//!   no tag shipped must be newer than the latest release's schema version;
//! - `sum.rs`: without tags (a shallow clone, a copy outside git), `migrations.sum` in each
//!   dialect folder records the migrations as a chain of hashes, and is the record checked
//!   instead. With tags it is checked too, but only for being current.
//!
//! With neither tags nor a sum file there is nothing to check against: inside a git repository
//! (no release yet, or a shallow clone) that is a note; outside git nothing is said, since such
//! a copy carries no claim about releases at all.

pub mod released;
pub mod sum;

use std::borrow::Cow;

use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::dialect::Dialect;
use crate::git::releases::History;
use crate::store::{Driver, Store};

pub fn check(
    store: &Store,
    history: &History,
    dialects: &[Dialect],
    out: &mut Vec<Diagnostic>,
) -> anyhow::Result<()> {
    let drivers: Vec<&Driver> = dialects.iter().filter_map(|&d| store.driver(d)).collect();
    let why_no_tags = match history {
        History::Tags {
            repository,
            releases,
            ..
        } if !releases.is_empty() => {
            released::check(store, &drivers, repository, releases, out)?;
            for driver in &drivers {
                sum::verify(store, driver, sum::Authority::Tags, out)?;
            }
            return Ok(());
        }
        History::Tags { shallow: true, .. } => Some(
            "this is a shallow clone without tags (in GitHub Actions, check out with `fetch-depth: 0`)"
                .to_string(),
        ),
        History::Tags { .. } => Some(format!(
            "the repository has no release tags {} yet",
            store.config.releases.tag_pattern.describe()
        )),
        History::Unavailable(_) => None,
    };
    let mut unrecorded = Vec::new();
    for driver in &drivers {
        if driver.sum.is_some() {
            sum::verify(store, driver, sum::Authority::Sum, out)?;
        } else {
            unrecorded.push(format!("{}/", store.relative(&driver.dir)));
        }
    }
    if let (Some(why), false) = (why_no_tags, unrecorded.is_empty()) {
        out.push(HistoryUnchecked { why, unrecorded }.into());
    }
    Ok(())
}

/// The store's path inside the repository, as git names it: `store/`, or nothing when the
/// store is the repository's root.
pub fn store_prefix(
    root: &std::path::Path,
    repository: &std::path::Path,
) -> anyhow::Result<String> {
    let inside = root.strip_prefix(repository).map_err(|_| {
        anyhow::anyhow!(
            "the store {} is not inside its git repository {}",
            root.display(),
            repository.display()
        )
    })?;
    Ok(inside
        .components()
        .map(|c| format!("{}/", c.as_os_str().to_string_lossy()))
        .collect())
}

/// The text as compared and hashed: CRLF line endings read as LF, so that a checkout with
/// `core.autocrlf` does not count as a change.
fn normalize(bytes: &[u8]) -> Cow<'_, [u8]> {
    if !bytes.windows(2).any(|w| w == b"\r\n") {
        return Cow::Borrowed(bytes);
    }
    let mut normalized = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some((&byte, tail)) = rest.split_first() {
        if !(byte == b'\r' && tail.first() == Some(&b'\n')) {
            normalized.push(byte);
        }
        rest = tail;
    }
    Cow::Owned(normalized)
}

/// Released history left unchecked, as data: there are no release tags (`why`), and the dialect
/// folders in `unrecorded` have no sum file to check instead.
struct HistoryUnchecked {
    why: String,
    unrecorded: Vec<String>,
}

impl From<HistoryUnchecked> for Diagnostic {
    fn from(unchecked: HistoryUnchecked) -> Diagnostic {
        let HistoryUnchecked { why, unrecorded } = unchecked;
        Diagnostic::new(
            Code::HistoryUnchecked,
            format!(
                "released history was not checked: {why}, and {} {} no {}",
                unrecorded.join(" and "),
                if unrecorded.len() == 1 { "has" } else { "have" },
                sum::FILE_NAME
            ),
        )
        .help(format!(
            "nothing to do before the first release; after it, fetch the tags where the check runs, or record the migrations with `cargo xtask validate-migrations --update-sum` and commit the {} files",
            sum::FILE_NAME
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_reads_as_lf_and_lone_carriage_returns_stay() {
        assert_eq!(&*normalize(b"a\r\nb\r\n"), b"a\nb\n");
        assert_eq!(&*normalize(b"a\rb\n"), b"a\rb\n");
        assert!(matches!(normalize(b"a\nb"), Cow::Borrowed(_)));
    }
}
