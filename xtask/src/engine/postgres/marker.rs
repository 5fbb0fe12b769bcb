//! The marker of a private directory: which process of the tool made it, written first into
//! every directory the tool creates, and read back (trusting nothing of a directory it did not
//! make) before a leftover directory of a dead run is removed.

use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::{Context, Result};

use super::process::process_exists;

/// The file `PrivateDir::create` writes first into every directory it creates: the proof that
/// the tool made the directory, and the process that owns it.
pub(super) const MARKER: &str = ".validate-migrations-run";

/// A marker is a line of a few dozen bytes; anything longer is not one.
const MARKER_MAX_LEN: u64 = 256;

/// Who made a private directory: a process, named by its pid and its start time (so that a
/// later process with the same pid is not taken for it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct RunMarker {
    pub(super) pid: u32,
    /// Clock ticks after boot, from `/proc/<pid>/stat`; `None` where there is no `/proc`.
    pub(super) started: Option<u64>,
}

impl RunMarker {
    pub(super) fn of_this_process() -> RunMarker {
        let pid = std::process::id();
        RunMarker {
            pid,
            started: process_start_time(pid),
        }
    }

    pub(super) fn render(&self) -> String {
        match self.started {
            Some(started) => format!("pid {} started {started}\n", self.pid),
            None => format!("pid {} started -\n", self.pid),
        }
    }

    pub(super) fn parse(text: &str) -> Option<RunMarker> {
        let mut words = text.strip_suffix('\n')?.split(' ');
        let marker = match (words.next()?, words.next()?, words.next()?, words.next()?) {
            ("pid", pid, "started", "-") => RunMarker {
                pid: pid.parse().ok()?,
                started: None,
            },
            ("pid", pid, "started", started) => RunMarker {
                pid: pid.parse().ok()?,
                started: Some(started.parse().ok()?),
            },
            _ => return None,
        };
        words.next().is_none().then_some(marker)
    }

    /// Whether the process that made the directory still runs. When its start time cannot be
    /// read although the pid exists, it is taken to run: leaving a directory is harmless,
    /// removing a live one is not.
    pub(super) fn is_alive(&self) -> bool {
        if !process_exists(self.pid) {
            return false;
        }
        match (self.started, process_start_time(self.pid)) {
            (Some(recorded), Some(current)) => recorded == current,
            _ => true,
        }
    }
}

/// The start time of a process in clock ticks after boot: field 22 of `/proc/<pid>/stat`,
/// counted after the command name, which may itself hold spaces and parentheses.
fn process_start_time(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_command = &stat[stat.rfind(')')? + 1..];
    // The fields after the command start with the third, the state; the start time is the
    // twenty-second.
    after_command.split_whitespace().nth(19)?.parse().ok()
}

/// Writes the marker of this process into a directory just created. `create_new` fails on
/// anything already there, a link included.
pub(super) fn write_marker(dir: &Path) -> Result<()> {
    let path = dir.join(MARKER);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    // The mode passed to open is reduced by the umask; 0600 is what the reaper checks.
    file.set_permissions(fs::Permissions::from_mode(0o600))
        .with_context(|| format!("setting the mode of {}", path.display()))?;
    file.write_all(RunMarker::of_this_process().render().as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

/// Reads a regular file of at most `limit` bytes without following a link at its last
/// component and without blocking on a FIFO; `None` for anything else.
pub(super) fn read_small_regular_file(path: &Path, limit: u64) -> Option<String> {
    read_checked_file(path, limit, |_| true)
}

/// Opens `path` (not following a link, not blocking on a FIFO), checks what the open file is
/// with `accept`, and reads it if it is a regular file of at most `limit` bytes.
fn read_checked_file(
    path: &Path,
    limit: u64,
    accept: impl Fn(&fs::Metadata) -> bool,
) -> Option<String> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .ok()?;
    // The checks are on the open file, so that nothing can be swapped in between.
    let metadata = file.metadata().ok()?;
    if !metadata.file_type().is_file() || metadata.len() > limit || !accept(&metadata) {
        return None;
    }
    let mut content = String::new();
    file.take(limit).read_to_string(&mut content).ok()?;
    Some(content)
}

/// The marker of a directory, if the tool made it: the directory is a real directory (not a
/// link) with mode 0700, owned by the tool's user or by the user its servers run as (the
/// tool hands its directories to that user when it runs as root); the marker is a regular
/// file with one link, mode 0600 and the tool's own user as owner, which no other user can
/// forge, and it names a process.
pub(super) fn marker_of(dir: &Path, own_uid: u32, server_uid: u32) -> Option<RunMarker> {
    let metadata = fs::symlink_metadata(dir).ok()?;
    if !metadata.file_type().is_dir()
        || metadata.mode() & 0o7777 != 0o700
        || (metadata.uid() != own_uid && metadata.uid() != server_uid)
    {
        return None;
    }
    let content = read_checked_file(&dir.join(MARKER), MARKER_MAX_LEN, |marker| {
        marker.uid() == own_uid && marker.mode() & 0o7777 == 0o600 && marker.nlink() == 1
    })?;
    RunMarker::parse(&content)
}
