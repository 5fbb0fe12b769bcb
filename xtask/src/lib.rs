//! `cargo xtask`: the validate-migrations tool. `main.rs` parses the command line; everything
//! else lives here so that tests can call it.

pub mod accept;
pub mod allowlist;
pub mod bench;
pub mod codes;
pub mod config;
pub mod diagnostic;
pub mod dialect;
pub mod engine;
pub mod history;
pub mod release;
pub mod render;
pub mod replay;
pub mod rules;
pub mod schema;
pub mod source;
pub mod sql;
pub mod store;
pub mod validate;

use std::path::PathBuf;

/// The repository's root folder: the default store is `store/` below it.
pub fn project_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map_or(manifest.clone(), PathBuf::from)
}
