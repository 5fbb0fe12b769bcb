//! Populated upgrade chains: the data an installation of a release holds (the seeds as they were
//! at the release's tag), and what the upgrade does to it.

/// Whether upgrade chains run on populated databases, and how many rows the generator writes per
/// table (`--no-data`, `--rows`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Populate upgrade chains: on by default, off with `--no-data`.
    pub enabled: bool,
    /// Rows the generator writes per table of the release's schema.
    pub rows: usize,
}

/// The default `--rows`: enough rows to meet a constraint's exceptions, few enough to keep the
/// run fast.
pub const DEFAULT_ROWS: usize = 10;

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            enabled: true,
            rows: DEFAULT_ROWS,
        }
    }
}
