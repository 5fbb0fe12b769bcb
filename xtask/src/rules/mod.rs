//! The static checks, one module per rule. Each reads the store's layout model or its parsed
//! SQL files and appends diagnostics; none of them reads files or parses SQL itself.

pub mod data_tests;
pub mod dialect_leak;
pub mod input;
pub mod judgement;
pub mod layout;
pub mod lint;
pub mod naming;
pub mod parse;
pub mod sqlite_features;
pub mod stamp;
pub mod versions;
