//! The restore drill on SQLite: the chain's in-memory database copied with the online backup
//! API (what `sqlite3 .backup` and the service's own backups use) into a file in a private
//! folder of the run, the file reopened as a database of its own, and the folder removed.

use anyhow::Context as _;
use rusqlite::{Connection, OpenFlags, MAIN_DB};

use super::postgres::{temp_base, PrivateDir};
use super::{Database, Drill};

/// How the engine opens a connection to a file as one of its databases.
pub(super) type Reopen<'a> = &'a dyn Fn(Connection) -> anyhow::Result<Box<dyn Database>>;

/// Backs `connection`'s main database up into a file, reopens the file with `reopen` and runs
/// `work` on it.
pub(super) fn drill(
    connection: &Connection,
    reopen: Reopen<'_>,
    work: &mut dyn FnMut(&mut dyn Database),
) -> anyhow::Result<Drill> {
    let dir = PrivateDir::create(&temp_base())?;
    let path = dir.path().join("backup.sqlite");
    let drill = match connection.backup(MAIN_DB, &path, None::<fn(_)>) {
        Err(error) => Ok(Drill::BackupFailed(error.to_string())),
        Ok(()) => restore(&path, reopen, work),
    };
    dir.release()?;
    drill
}

/// Opens the backup at `path` as a database of its own and runs `work` on it.
fn restore(
    path: &std::path::Path,
    reopen: Reopen<'_>,
    work: &mut dyn FnMut(&mut dyn Database),
) -> anyhow::Result<Drill> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection = match Connection::open_with_flags(path, flags) {
        Ok(connection) => connection,
        Err(error) => return Ok(Drill::Failed(format!("the backup does not open: {error}"))),
    };
    let mut restored =
        reopen(connection).with_context(|| format!("opening the backup {}", path.display()))?;
    work(restored.as_mut());
    Ok(Drill::Restored)
}
