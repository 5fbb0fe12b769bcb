//! The cost of a second PostgreSQL major (README "PostgreSQL versions"): `store/` validated with
//! its PostgreSQL chains on the one major found, then on it and a second major, whose cluster
//! starts on a thread of its own beside the first's. The difference is what a second major adds
//! to a run; the clusters' starts overlap, so it is less than a second run.

use std::path::Path;

use anyhow::Context as _;

use super::{binaries_options, sample, validate_clean, Options, Stats};
use crate::engine::postgres::PgBinaries;
use crate::replay;

/// `store/` on one major and on two.
pub struct Majors {
    /// The major found (`PgBinaries::find`) and the second one taken.
    pub majors: [u32; 2],
    pub one: Stats,
    pub two: Stats,
}

/// Times `store/` on the major found and on it and the newest other major the machine has
/// (`PgBinaries::find_major`); `None` where it has no other major.
pub(super) fn measure(
    options: &Options,
    replay: &replay::Options,
    store: &Path,
) -> anyhow::Result<Option<Majors>> {
    let binaries = &binaries_options(options);
    let Some(first) = PgBinaries::find(binaries)?.major() else {
        return Ok(None);
    };
    // The newest other major found, from PostgreSQL 10 to a few majors past today's.
    let Some(second) = (10..=30)
        .rev()
        .filter(|&major| major != first)
        .find(|&major| PgBinaries::find_major(major, binaries).is_ok())
    else {
        return Ok(None);
    };
    let on = |majors: Vec<u32>| replay::Options {
        postgres_versions: majors,
        ..replay.clone()
    };
    let runs = options.runs;
    let one = sample(runs, || validate_clean(store, &[], Some(on(vec![first]))))
        .context("timing store/ on one PostgreSQL major")?;
    let two = sample(runs, || {
        validate_clean(store, &[], Some(on(vec![first, second])))
    })
    .context("timing store/ on a second PostgreSQL major")?;
    Ok(Some(Majors {
        majors: [first, second],
        one,
        two,
    }))
}
