//! Populated upgrade chains against `--no-data`: what the generated rows, the seeds at the tags,
//! the data tests and the comparison of every table's rows cost the whole validation.
//!
//! `store/` alone has no release tag, so no upgrade chain and nothing populated. The benchmark
//! copies it into a new git repository and tags its only commit twice (`v0.10.2` and `v0.10.3`),
//! so that each dialect has two upgrade chains, as docs/benchmarks.md describes. The validation
//! runs in process by default (`--rows 10`), with `--no-data`, and with `--rows` large; the
//! three take turns run by run, so that the machine's other work weighs on each alike. The cost
//! per 1,000 rows is the difference between the large run and the default one over the
//! difference in the rows the chains generated (the upgrade chains' measurements count them).

use std::fmt;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context as _};

use super::machine::Header;
use super::{Options, Stats};
use crate::replay;
use crate::replay::chain::data::{Settings, DEFAULT_ROWS};

/// The release tags of the test repository, both on its only commit.
const TAGS: [&str; 2] = ["v0.10.2", "v0.10.3"];

/// The bound: the default run at most this many times the `--no-data` run.
const RATIO_TARGET: f64 = 1.5;

/// `--populated-only`: the populated runs alone, with how they ran.
pub struct Report {
    pub header: Header,
    pub populated: Populated,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.header)?;
        write!(f, "{}", self.populated)
    }
}

/// The medians of the three runs and the rows each generated.
pub struct Populated {
    /// The default run: populated with `--rows 10`.
    pub default: Stats,
    /// The same with `--no-data`.
    pub no_data: Stats,
    /// Populated with `--rows` large (`Options::rows`).
    pub large: Stats,
    /// `--rows` of the large run.
    pub large_rows_per_table: usize,
    /// The rows the generator wrote in all upgrade chains of a default run, and of a large run.
    pub rows: usize,
    pub large_rows: usize,
}

impl Populated {
    /// The default run's median over the `--no-data` run's.
    pub fn ratio(&self) -> f64 {
        self.default.median.as_secs_f64() / self.no_data.median.as_secs_f64().max(f64::EPSILON)
    }

    /// What 1,000 more generated rows cost the run, in milliseconds; `None` where the large
    /// run generated no more rows than the default one.
    pub fn ms_per_thousand_rows(&self) -> Option<f64> {
        let more = self.large_rows.checked_sub(self.rows).filter(|n| *n > 0)?;
        let extra = self.large.median.as_secs_f64() - self.default.median.as_secs_f64();
        Some(extra * 1000.0 * 1000.0 / more as f64)
    }
}

/// Builds the test repository in a temporary folder and times the three runs.
pub fn measure(options: &Options, replay: &replay::Options) -> anyhow::Result<Populated> {
    let repository = tempfile::tempdir().context("cannot create a temporary folder")?;
    let root = released_store(repository.path())?;
    let with = |settings: Settings| replay::Options {
        data: settings,
        ..replay.clone()
    };
    let runs = [
        with(Settings::default()),
        with(Settings {
            enabled: false,
            ..Settings::default()
        }),
        with(Settings {
            enabled: true,
            rows: options.rows,
        }),
    ];
    let mut samples: [Vec<Duration>; 3] = Default::default();
    let mut rows = [0; 3];
    // Run 0 is the warm-up.
    for run in 0..=options.runs {
        for (index, replay) in runs.iter().enumerate() {
            let (elapsed, generated) = validate_populated(&root, replay)?;
            rows[index] = generated;
            if run > 0 {
                samples[index].push(elapsed);
            }
        }
    }
    let [default, no_data, large] = samples.map(Stats::of);
    Ok(Populated {
        default,
        no_data,
        large,
        large_rows_per_table: options.rows,
        rows: rows[0],
        large_rows: rows[2],
    })
}

/// `store/` of this repository copied into `dir/store`, committed in a new repository and
/// tagged with `TAGS`; returns the store's folder.
fn released_store(dir: &Path) -> anyhow::Result<std::path::PathBuf> {
    let from = crate::project_root()?.join("store");
    let to = dir.join("store");
    for entry in walkdir::WalkDir::new(&from).sort_by_file_name() {
        let entry = entry.with_context(|| format!("cannot walk {}", from.display()))?;
        let relative = entry.path().strip_prefix(&from)?;
        let target = to.join(relative);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target)
                .with_context(|| format!("cannot create {}", target.display()))?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("cannot copy {}", entry.path().display()))?;
        }
    }
    git(dir, &["init", "-q"])?;
    git(dir, &["add", "."])?;
    git(dir, &["commit", "-q", "-m", "store/ for the benchmark"])?;
    for tag in TAGS {
        git(dir, &["tag", tag])?;
    }
    Ok(to)
}

/// Runs git in `dir` with an identity of its own, whatever the user's configuration holds.
fn git(dir: &Path, args: &[&str]) -> anyhow::Result<()> {
    let output = Command::new("git")
        .args([
            "-c",
            "user.name=bench",
            "-c",
            "user.email=bench@example.invalid",
        ])
        .args(["-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .output()
        .context("cannot run git")?;
    if !output.status.success() {
        bail!(
            "git {} failed in {}: {}",
            args.join(" "),
            dir.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// Runs the whole validation of `root` and returns its wall time and the rows generated in its
/// upgrade chains; a run that has no upgrade chain is an error, since it would measure nothing
/// populated.
fn validate_populated(root: &Path, replay: &replay::Options) -> anyhow::Result<(Duration, usize)> {
    let (elapsed, outcome) = super::validate_timed(root, &[], Some(replay.clone()))?;
    let measured: Vec<_> = outcome
        .replay
        .iter()
        .flat_map(|summary| &summary.chains)
        .filter_map(|chain| chain.measured.as_ref())
        .collect();
    if measured.is_empty() {
        bail!(
            "{} has no upgrade chain: the tags {} were not taken as releases",
            root.display(),
            TAGS.join(" and ")
        );
    }
    Ok((elapsed, measured.iter().map(|m| m.rows).sum()))
}

fn ms(duration: Duration) -> String {
    format!("{:.0} ms", duration.as_secs_f64() * 1000.0)
}

impl fmt::Display for Populated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "populated upgrade chains (store/ with the release tags {}, in process, medians; \
             min in brackets):",
            TAGS.join(" and ")
        )?;
        let ratio = self.ratio();
        writeln!(
            f,
            "  default (--rows {DEFAULT_ROWS}, {} rows generated): {} ({}); --no-data: {} ({}); \
             ratio {ratio:.2}x (target at most {RATIO_TARGET}x: {})",
            self.rows,
            ms(self.default.median),
            ms(self.default.min),
            ms(self.no_data.median),
            ms(self.no_data.min),
            if ratio <= RATIO_TARGET {
                "met"
            } else {
                "NOT met"
            }
        )?;
        let cost = match self.ms_per_thousand_rows() {
            None => "not measured: the large run generated no more rows".to_string(),
            Some(ms) if ms <= 0.0 => {
                "lost in the noise: the large run was not slower (take more --runs, or more \
                 --rows)"
                    .to_string()
            }
            Some(ms) => format!("about {ms:.0} ms"),
        };
        writeln!(
            f,
            "  --rows {} ({} rows generated): {} ({}); cost per 1,000 rows generated, read \
             twice and compared: {cost}",
            self.large_rows_per_table,
            self.large_rows,
            ms(self.large.median),
            ms(self.large.min)
        )
    }
}
