//! How the PostgreSQL programs are launched: as which user, and tied to the tool's life.

use std::ffi::CString;
use std::io;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus};
use std::sync::mpsc;
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// How long a process gets to exit after its stop signal before it is killed.
const STOP_DEADLINE: Duration = Duration::from_secs(5);

/// The unprivileged user that `initdb` and `postgres` run as when the tool runs as root: both
/// refuse to run as root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunAs {
    /// The user's login name (`postgres` or `nobody`).
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

impl RunAs {
    /// The user to run PostgreSQL as: `None` when the tool is not root (PostgreSQL then runs as
    /// the tool's own user), else `postgres` if that user exists, else `nobody`.
    pub fn for_this_process() -> Result<Option<RunAs>> {
        // SAFETY: geteuid has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            return Ok(None);
        }
        for name in ["postgres", "nobody"] {
            if let Some(user) = lookup_user(name)? {
                return Ok(Some(user));
            }
        }
        bail!(
            "running as root, and neither user `postgres` nor user `nobody` exists to run \
             PostgreSQL as (initdb refuses to run as root)"
        )
    }

    /// Hands `path` over to this user, so that PostgreSQL may write into it.
    pub fn chown(&self, path: &Path) -> Result<()> {
        std::os::unix::fs::lchown(path, Some(self.uid), Some(self.gid))
            .with_context(|| format!("changing the owner of {} to {}", path.display(), self.name))
    }
}

/// Looks a user up in the password database.
fn lookup_user(name: &str) -> Result<Option<RunAs>> {
    let c_name = CString::new(name).with_context(|| format!("user name {name:?}"))?;
    let mut buffer = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: passwd is plain old data; getpwnam_r fills it and points its strings into buffer.
    let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the length given, and the reentrant variant keeps its
    // results in our own memory, so concurrent look-ups cannot overwrite them.
    let code = unsafe {
        libc::getpwnam_r(
            c_name.as_ptr(),
            &mut entry,
            buffer.as_mut_ptr(),
            buffer.len(),
            &mut found,
        )
    };
    if code != 0 {
        return Err(io::Error::from_raw_os_error(code))
            .with_context(|| format!("looking up user `{name}`"));
    }
    if found.is_null() {
        return Ok(None);
    }
    Ok(Some(RunAs {
        name: name.to_string(),
        uid: entry.pw_uid,
        gid: entry.pw_gid,
    }))
}

/// A command for one of PostgreSQL's programs: run as `run_as` when given, and made to die
/// with the tool.
pub fn postgres_command(program: &Path, run_as: Option<&RunAs>) -> Command {
    let mut command = Command::new(program);
    if let Some(user) = run_as {
        // When the parent is root and no explicit groups are set, std also clears the
        // supplementary groups (setgroups(0, NULL)) before setuid, so root's groups do not leak
        // into the server. A setgroups call of our own could not do it: pre_exec hooks run
        // after setuid, when it is no longer permitted.
        command.uid(user.uid).gid(user.gid);
    }
    die_with_parent(&mut command);
    command
}

/// Makes the child receive SIGQUIT (PostgreSQL's immediate shutdown) when the thread that
/// spawned it dies, so a SIGKILLed tool leaves no server running.
#[cfg(target_os = "linux")]
fn die_with_parent(command: &mut Command) {
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the hook only makes async-signal-safe system calls and does not allocate.
    unsafe {
        command.pre_exec(move || {
            // Hooks run after std's setuid; a credential change clears the death signal, so it
            // must be set here, after the change and not before.
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGQUIT) == -1 {
                return Err(io::Error::last_os_error());
            }
            // If the tool died before prctl took effect, no signal will ever come.
            if libc::getppid() != parent {
                return Err(io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
}

/// Other systems have no parent-death signal; there the stale-directory reaping of the next
/// run is the only cleanup after a SIGKILL.
#[cfg(not(target_os = "linux"))]
fn die_with_parent(_command: &mut Command) {}

/// A request to the spawner thread: the command, and where to send the result.
type SpawnRequest = (Command, mpsc::Sender<io::Result<Child>>);

/// Spawns `command` from a thread that lives as long as the process. The parent-death signal
/// fires when the *thread* that spawned the child ends, not the process: a cluster started on
/// a worker thread would otherwise be shut down as soon as that thread finished.
pub fn spawn_from_lasting_thread(command: Command) -> io::Result<Child> {
    static SPAWNER: OnceLock<Result<mpsc::Sender<SpawnRequest>, String>> = OnceLock::new();
    let spawner = SPAWNER
        .get_or_init(|| {
            let (sender, receiver) = mpsc::channel::<SpawnRequest>();
            thread::Builder::new()
                .name("postgres-spawner".to_string())
                .spawn(move || {
                    for (mut command, reply) in receiver {
                        // The requester blocks on the answer, so the send cannot fail.
                        let _ = reply.send(command.spawn());
                    }
                })
                .map(|_| sender)
                .map_err(|error| error.to_string())
        })
        .as_ref()
        .map_err(|message| io::Error::other(format!("starting the spawner thread: {message}")))?;
    let (reply, answer) = mpsc::channel();
    spawner
        .send((command, reply))
        .map_err(|_| io::Error::other("the spawner thread has ended"))?;
    answer
        .recv()
        .map_err(|_| io::Error::other("the spawner thread did not answer"))?
}

/// Sends `signal` to `child`, waits for it to exit (polling, so the caller keeps control), and
/// kills it when it has not exited by the deadline. The child is reaped.
pub fn stop_child(child: &mut Child, signal: libc::c_int) -> Result<ExitStatus> {
    let pid = child.id();
    if let Some(status) = child
        .try_wait()
        .with_context(|| format!("checking process {pid}"))?
    {
        return Ok(status);
    }
    // SAFETY: the child has not been reaped (try_wait said so), so the pid is still ours.
    unsafe { libc::kill(pid as libc::pid_t, signal) };
    let deadline = Instant::now() + STOP_DEADLINE;
    while Instant::now() < deadline {
        if let Some(status) = child
            .try_wait()
            .with_context(|| format!("waiting for process {pid} to exit"))?
        {
            return Ok(status);
        }
        thread::sleep(Duration::from_millis(2));
    }
    child
        .kill()
        .with_context(|| format!("killing process {pid}"))?;
    child
        .wait()
        .with_context(|| format!("waiting for killed process {pid}"))
}

/// Whether a process with this pid exists (a zombie counts as existing).
pub fn process_exists(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks for existence and permission.
    if unsafe { libc::kill(pid, 0) } == 0 {
        return true;
    }
    // EPERM means the process exists but belongs to another user.
    io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}
