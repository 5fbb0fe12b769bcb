//! Peak memory, as the kernel counts it (`getrusage`, `wait4`): the largest resident set a
//! process reached. The target is about memory against the size of the tree (under
//! 50 × N MB + 100 MB for a tree of N MB), so the benchmark reports the peaks next to its times.

use std::io;
use std::os::unix::process::ExitStatusExt as _;
use std::process::{Child, Command, ExitStatus, Stdio};

/// What a process run to the end left behind, with its peak memory.
pub struct Measured {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// The process's peak resident memory, in bytes.
    pub peak: u64,
}

/// Runs `command` to its end with its output collected, and reads its peak resident memory
/// from `wait4`, which reports the usage of exactly the process it reaps.
pub fn run(command: &mut Command) -> io::Result<Measured> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    // Both pipes are drained on threads of their own, so that a large report cannot fill one
    // while the process is waited for.
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let waited = wait(&child);
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    let (status, peak) = waited?;
    Ok(Measured {
        status,
        stdout,
        stderr,
        peak,
    })
}

fn drain(pipe: Option<impl io::Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            // A read error leaves what was read; the exit status tells whether the run failed.
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}

/// Reaps `child` with `wait4`: its exit status and peak resident memory in bytes.
fn wait(child: &Child) -> io::Result<(ExitStatus, u64)> {
    let pid = libc::pid_t::try_from(child.id()).map_err(io::Error::other)?;
    let mut status = 0;
    // SAFETY: an all-zero `rusage` is a valid value of the plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our child, not yet reaped (`Child::wait` is never called on it), and
        // both pointers are to live locals.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            return Ok((ExitStatus::from_raw(status), max_rss_bytes(&usage)));
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// The peak resident memory of this process so far, in bytes.
pub fn own_peak() -> u64 {
    usage(libc::RUSAGE_SELF)
}

/// The largest peak resident memory of the descendants this process has waited for (and that
/// waited for theirs), in bytes: Linux reports the maximum, not the sum.
pub fn children_peak() -> u64 {
    usage(libc::RUSAGE_CHILDREN)
}

fn usage(who: libc::c_int) -> u64 {
    // SAFETY: an all-zero `rusage` is a valid value of the plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: the pointer is to a live local; `who` is one of the two constants above.
    if unsafe { libc::getrusage(who, &mut usage) } != 0 {
        return 0;
    }
    max_rss_bytes(&usage)
}

/// `ru_maxrss` is in kilobytes on Linux.
fn max_rss_bytes(usage: &libc::rusage) -> u64 {
    u64::try_from(usage.ru_maxrss).unwrap_or_default() * 1024
}

/// Bytes as megabytes (10^6), as the report and docs/benchmarks.md print them.
pub fn megabytes(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / 1_000_000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_s_peak_is_its_own() -> anyhow::Result<()> {
        // A shell holding 30 MB in a variable peaks well above one that does nothing.
        let small = run(Command::new("sh").args(["-c", "true"]))?;
        assert!(small.status.success());
        assert!(small.peak > 0);
        let large = run(Command::new("sh").args([
            "-c",
            "x=$(head -c 30000000 /dev/zero | tr '\\0' a); echo ${#x}",
        ]))?;
        assert_eq!(String::from_utf8_lossy(&large.stdout).trim(), "30000000");
        assert!(large.peak > small.peak + 20_000_000, "{}", large.peak);
        assert!(own_peak() > 0);
        Ok(())
    }
}
