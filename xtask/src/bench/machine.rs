//! The machine a benchmark ran on, as far as Linux's `/proc` tells it (other systems get
//! "unknown" where `/proc` is missing, since a benchmark should not fail for a description),
//! and the header every report starts with.

use std::fmt;

#[derive(Clone, Debug)]
pub struct Machine {
    /// What `nproc` prints: the cores this process may use.
    pub cores: usize,
    pub cpu: String,
    /// `MemTotal` of `/proc/meminfo`, in kB.
    pub memory_kb: Option<u64>,
    pub kernel: String,
}

impl Machine {
    pub fn read() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        Machine {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu: field(&cpuinfo, "model name").unwrap_or_else(|| "unknown".into()),
            memory_kb: field(&meminfo, "MemTotal")
                .and_then(|v| v.trim_end_matches("kB").trim().parse().ok()),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map_or_else(|_| "unknown".into(), |v| v.trim().to_string()),
        }
    }
}

/// The 1, 5 and 15 minute load averages: on a machine that other work shares, the numbers of a
/// benchmark mean little, and this says how shared it was.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "unknown".into(),
        |text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        },
    )
}

/// The value of the first `name: value` line.
fn field(text: &str, name: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == name).then(|| value.trim().to_string())
    })
}

impl fmt::Display for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let memory = self.memory_kb.map_or_else(
            || "unknown memory".to_string(),
            |kb| format!("{:.1} GiB", kb as f64 / (1024.0 * 1024.0)),
        );
        write!(
            f,
            "{} cores (nproc), CPU {}, {memory}, Linux {}",
            self.cores, self.cpu, self.kernel
        )
    }
}

/// How a benchmark ran, on what, at which load: the first lines of every report.
pub struct Header {
    pub machine: Machine,
    /// The load averages (1, 5, 15 minutes) when the benchmark started and when it ended.
    pub load: [String; 2],
    /// The build profile of this binary: `dev` (what `cargo xtask` builds) or `release`.
    pub build: &'static str,
    pub runs: usize,
    pub jobs: usize,
}

impl Header {
    /// The header of a benchmark that started at the load `load_before` and ends now.
    pub(super) fn ended(load_before: String, runs: usize, jobs: usize) -> Header {
        Header {
            machine: Machine::read(),
            load: [load_before, load_average()],
            build: if cfg!(debug_assertions) {
                "dev"
            } else {
                "release"
            },
            runs,
            jobs,
        }
    }
}

impl fmt::Display for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Header {
            machine,
            load,
            build,
            runs,
            jobs,
        } = self;
        writeln!(
            f,
            "cargo xtask bench: {build} profile, {runs} timed runs after a warm-up, {jobs} chains \
             at once"
        )?;
        writeln!(f, "machine: {machine}")?;
        writeln!(
            f,
            "load average: {} at the start, {} at the end",
            load[0], load[1]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_from_proc_style_text() {
        let text = "processor\t: 0\nmodel name\t: AMD EPYC\nMemTotal:       24576000 kB\n";
        assert_eq!(field(text, "model name").as_deref(), Some("AMD EPYC"));
        assert_eq!(field(text, "MemTotal").as_deref(), Some("24576000 kB"));
        assert_eq!(field(text, "cpu MHz"), None);
    }
}
