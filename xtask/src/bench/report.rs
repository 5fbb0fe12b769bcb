//! What a benchmark found, printed as a plain-text report (`main` prints it).

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use super::generate::Generated;
use super::machine::Header;
use super::memory::megabytes;
use super::populated::Populated;
use super::profile::Profile;
use super::Stats;

/// The targets: `store/` in under 1.5 s warm, the large tree within 1.5x of the floor.
const STORE_TARGET: Duration = Duration::from_millis(1500);
const RATIO_TARGET: f64 = 1.5;

pub struct Report {
    pub header: Header,
    pub engines: Engines,
    /// `store/`, the whole validation, warm, in process.
    pub store: Stats,
    /// The same as a process of the built binary: process start and rendering included.
    pub store_process: Stats,
    /// `store/` on the PostgreSQL major found and on it and a second, where the machine has one.
    pub majors: Option<super::majors::Majors>,
    /// `store/` with release tags, populated against `--no-data` (unless `--no-populated`).
    pub populated: Option<Populated>,
    pub generated: Generated,
    /// Where the generated tree was kept, if it was.
    pub kept: Option<PathBuf>,
    /// The large tree, per scope (`postgres`, `sqlite`, `total`): the tool against the floor.
    pub large: Vec<Row>,
    pub profile: Profile,
    pub memory: Memory,
}

/// Peak resident memory, in bytes (see `memory`).
pub struct Memory {
    /// This process: the in-process validations of `store/` and of the large tree, the
    /// generator and the profile.
    pub own: u64,
    /// The largest of the `validate-migrations` processes run on `store/`.
    pub store_process: u64,
    /// The largest of every process this one waited for: those above, `psql`, `sqlite3` and
    /// the PostgreSQL servers (with their backends).
    pub children: u64,
}

pub struct Engines {
    /// The server's `server_version`.
    pub postgres: String,
    /// `psql --version`.
    pub psql: String,
    /// The SQLite library bundled into the tool.
    pub sqlite: String,
    /// `sqlite3 --version`.
    pub sqlite3: String,
}

pub struct Row {
    pub scope: &'static str,
    pub tool: Stats,
    /// psql and sqlite3.
    pub floor: Stats,
    /// psql and the SQLite bundled into the tool, where the scope has SQLite chains.
    pub bundled_floor: Option<Stats>,
}

impl Row {
    /// The tool's median over the floor's median.
    pub fn ratio(&self) -> f64 {
        ratio(self.tool, self.floor)
    }
}

fn ratio(tool: Stats, floor: Stats) -> f64 {
    tool.median.as_secs_f64() / floor.median.as_secs_f64().max(f64::EPSILON)
}

impl Report {
    pub fn store_target_met(&self) -> bool {
        self.store_process.median < STORE_TARGET
    }

    /// Whether the total is within the target ratio of the floor with psql and sqlite3, and of
    /// the floor with psql and the bundled SQLite.
    pub fn ratio_targets_met(&self) -> (bool, bool) {
        let total = self.large.iter().find(|row| row.scope == "total");
        (
            total.is_some_and(|row| row.ratio() <= RATIO_TARGET),
            total.is_some_and(|row| {
                row.bundled_floor
                    .is_some_and(|floor| ratio(row.tool, floor) <= RATIO_TARGET)
            }),
        )
    }
}

fn ms(duration: Duration) -> String {
    format!("{:.0} ms", duration.as_secs_f64() * 1000.0)
}

fn met(yes: bool) -> &'static str {
    if yes {
        "met"
    } else {
        "NOT met"
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let g = &self.generated;
        write!(f, "{}", self.header)?;
        writeln!(
            f,
            "engines: PostgreSQL {} (client: {}); SQLite {} bundled in the tool, sqlite3 {} for the floor",
            self.engines.postgres, self.engines.psql, self.engines.sqlite, self.engines.sqlite3
        )?;
        writeln!(f)?;
        writeln!(
            f,
            "store/ (both dialects, every chain), warm: in process min {}, median {}; as a \
             process min {}, median {} (target < {}: {})",
            ms(self.store.min),
            ms(self.store.median),
            ms(self.store_process.min),
            ms(self.store_process.median),
            ms(STORE_TARGET),
            met(self.store_target_met())
        )?;
        self.majors_line(f)?;
        writeln!(f)?;
        if let Some(populated) = &self.populated {
            writeln!(f, "{populated}")?;
        }
        writeln!(
            f,
            "generated tree: {} tables, {} migrations per dialect in {} folders (0.1 to 0.{}), \
             version {}; {} indexes, {} table renames, {} column renames, {} dropped columns, \
             {} backfills",
            g.tables,
            g.migrations,
            g.folders,
            g.version.minor,
            g.version,
            g.indexes,
            g.table_renames,
            g.column_renames,
            g.dropped_columns,
            g.backfills
        )?;
        self.large_tree_table(f)?;
        self.memory_line(f)?;
        self.where_the_time_goes(f)
    }
}

impl Report {
    /// What a second PostgreSQL major costs on `store/`, in process.
    fn majors_line(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(m) = &self.majors else {
            return writeln!(
                f,
                "a second PostgreSQL major: not measured, the machine has one major"
            );
        };
        let added = m.two.median.saturating_sub(m.one.median);
        writeln!(
            f,
            "a second PostgreSQL major: store/ on PostgreSQL {} median {}, on {} and {} median {} \
             (+{}; the clusters start side by side)",
            m.majors[0],
            ms(m.one.median),
            m.majors[0],
            m.majors[1],
            ms(m.two.median),
            ms(added)
        )
    }

    /// The large tree's scopes against their floors, one row each, and the ratio targets.
    fn large_tree_table(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(kept) = &self.kept {
            writeln!(f, "kept in {}", kept.display())?;
        }
        writeln!(
            f,
            "{:<9} {:>11} {:>12} {:>6}   {:>9} {:>9}   {:>21} {:>6}",
            "scope",
            "tool median",
            "floor median",
            "ratio",
            "tool min",
            "floor min",
            "bundled-SQLite floor",
            "ratio"
        )?;
        for row in &self.large {
            let (bundled, bundled_ratio) = row.bundled_floor.map_or_else(
                || ("-".to_string(), "-".to_string()),
                |floor| (ms(floor.median), format!("{:.2}x", ratio(row.tool, floor))),
            );
            writeln!(
                f,
                "{:<9} {:>11} {:>12} {:>5.2}x   {:>9} {:>9}   {:>21} {:>6}",
                row.scope,
                ms(row.tool.median),
                ms(row.floor.median),
                row.ratio(),
                ms(row.tool.min),
                ms(row.floor.min),
                bundled,
                bundled_ratio
            )?;
        }
        let (cli, bundled) = self.ratio_targets_met();
        writeln!(
            f,
            "(target: total within {RATIO_TARGET}x of the floor, the tool without the restore \
             drill, which the floor does not do: {} against psql and sqlite3, {} against psql and \
             the bundled SQLite)",
            met(cli),
            met(bundled)
        )?;
        Ok(())
    }

    fn memory_line(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f)?;

        writeln!(
            f,
            "peak memory: this process (the in-process validations, the generator, the profile) \
             {}; validate-migrations on store/ as a process {}; the largest process it waited \
             for (validate-migrations, psql, sqlite3, the PostgreSQL servers) {}",
            megabytes(self.memory.own),
            megabytes(self.memory.store_process),
            megabytes(self.memory.children)
        )?;
        writeln!(f)?;

        Ok(())
    }

    /// The profile of the large tree: each step of a run, and each chain, timed alone.
    fn where_the_time_goes(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let g = &self.generated;
        let p = &self.profile;
        writeln!(
            f,
            "where the time goes (large tree, medians; a chain's replay includes one \
             introspection, the column beside it times one more):"
        )?;
        writeln!(
            f,
            "  static checks (both dialects, {} files): {}",
            2 * (g.migrations + 1),
            ms(p.static_checks.median)
        )?;
        writeln!(
            f,
            "  PostgreSQL binaries lookup: {}; throwaway cluster: start {} (from the cached \
             data directory), stop {}",
            ms(p.binaries_lookup.median),
            ms(p.cluster_start.median),
            ms(p.cluster_stop.median)
        )?;
        writeln!(
            f,
            "  per PostgreSQL chain: CREATE DATABASE {} (in the replay times below), \
             DROP DATABASE {} (not in them)",
            ms(p.create_database.median),
            ms(p.drop_database.median)
        )?;
        writeln!(
            f,
            "  {:<16} {:>13} {:>14} {:>14}",
            "chain", "replay (tool)", "introspection", "floor (alone)"
        )?;
        for chain in &p.chains {
            writeln!(
                f,
                "  {:<16} {:>13} {:>14} {:>14}",
                format!("{} {}", chain.dialect, chain.name),
                ms(chain.replay.median),
                ms(chain.introspection.median),
                ms(chain.floor.median)
            )?;
        }
        for (dialect, stats) in &p.diffs {
            writeln!(
                f,
                "  schema diff {dialect}: {:.2} ms",
                stats.median.as_secs_f64() * 1000.0
            )?;
        }
        Ok(())
    }
}
