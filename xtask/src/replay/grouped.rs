//! One dialect's diagnostics of the chains, collected by everything but the chain so that each is
//! reported once, naming the chains it happened in; where the dialect ran on several engines
//! (PostgreSQL on several majors), also naming the engines it holds on when not all.

use std::collections::BTreeMap;

use super::chain::Chain;
use super::name_chains;
use super::Engine;
use crate::diagnostic::Diagnostic;
use crate::dialect::Dialect;

/// Collects one dialect's diagnostics by everything but the chain, so that each is reported
/// once.
pub(super) struct Grouped {
    dialect: Dialect,
    /// The dialect's chains in the order they were planned (each name once, whatever the number
    /// of engines), for naming runs of them as ranges.
    order: Vec<String>,
    /// The dialect's engines by their index in the run's engines, where it has several: each
    /// diagnostic then names the engines it holds on. Empty where it has one.
    engines: Vec<(usize, String)>,
    /// Whether the diagnostics are failures to apply, whose engines are worded as "fails on
    /// PostgreSQL 15.18; applies on 17.10".
    failing: bool,
    /// The chains (engine, name) that applied without any failure: only there is a statement
    /// known to have applied; another engine's chain may have stopped before reaching it.
    clean: Vec<(usize, String)>,
    entries: BTreeMap<String, Entry>,
}

/// An engine of the dialect: its index in the run's engines, and its name (`PostgreSQL 15.18`).
type Named<'a> = &'a (usize, String);

struct Entry {
    diagnostic: Diagnostic,
    chains: Vec<String>,
    /// The engines (indices) it happened on.
    engines: Vec<usize>,
    /// The code, file and place without the message, so that the same failure worded apart on
    /// two engines is known as one place.
    place: String,
}

impl Grouped {
    pub(super) fn new(dialect: Dialect, chains: &[Chain<'_>], engines: &[Engine]) -> Grouped {
        let of_dialect = chains.iter().filter(|c| c.dialect == dialect);
        let mut order: Vec<String> = Vec::new();
        let mut used: Vec<usize> = Vec::new();
        for chain in of_dialect {
            if !order.contains(&chain.name) {
                order.push(chain.name.clone());
            }
            if !used.contains(&chain.engine) {
                used.push(chain.engine);
            }
        }
        used.sort_unstable();
        let engines = if used.len() > 1 {
            used.iter()
                .map(|&index| {
                    let name = engines.get(index).map_or_else(
                        || format!("{} #{}", dialect.engine(), index + 1),
                        Engine::name,
                    );
                    (index, name)
                })
                .collect()
        } else {
            Vec::new()
        };
        Grouped {
            dialect,
            order,
            engines,
            failing: false,
            clean: Vec::new(),
            entries: BTreeMap::new(),
        }
    }

    /// The same, for failures to apply: a failure on some engines only says it applies on the
    /// others where their chains applied cleanly (`clean`: engine and chain name).
    pub(super) fn failing(mut self, clean: Vec<(usize, String)>) -> Grouped {
        self.failing = true;
        self.clean = clean;
        self
    }

    /// Whether the dialect ran on several engines, so that messages name the dialect's engine
    /// without its version (`PostgreSQL`), the same on each, and the engines are listed once.
    pub(super) fn several_engines(&self) -> bool {
        !self.engines.is_empty()
    }

    pub(super) fn add(&mut self, diagnostic: Diagnostic, chain: &Chain<'_>) {
        let diagnostic = match diagnostic.dialect {
            Some(_) => diagnostic,
            None => diagnostic.dialect(self.dialect),
        };
        let place = format!(
            "{:?}{:?}{:?}",
            diagnostic.code, diagnostic.file, diagnostic.span
        );
        let key = format!("{place}{}", diagnostic.message);
        let entry = self.entries.entry(key).or_insert_with(|| Entry {
            diagnostic,
            chains: Vec::new(),
            engines: Vec::new(),
            place,
        });
        if !entry.chains.contains(&chain.name) {
            entry.chains.push(chain.name.clone());
        }
        if !entry.engines.contains(&chain.engine) {
            entry.engines.push(chain.engine);
        }
    }

    /// The diagnostics, each headline (the message's first line) ending with the chains it
    /// happened in, and the engines where it holds on some only.
    pub(super) fn finish(self, out: &mut Vec<Diagnostic>) {
        let places: Vec<(String, Vec<usize>)> = self
            .entries
            .values()
            .map(|entry| (entry.place.clone(), entry.engines.clone()))
            .collect();
        for entry in self.entries.values() {
            let mut diagnostic = entry.diagnostic.clone();
            let (headline, body) = diagnostic
                .message
                .split_once('\n')
                .map_or((diagnostic.message.as_str(), None), |(h, b)| (h, Some(b)));
            let mut message = format!("{headline} [{}]", name_chains(&entry.chains, &self.order));
            if let Some(on) = self.holds_on(entry, &places) {
                message = format!("{message}: {on}");
            }
            if let Some(body) = body {
                message = format!("{message}\n{body}");
            }
            diagnostic.message = message;
            diagnostic.chains = entry.chains.clone();
            diagnostic.engines = self
                .engines
                .iter()
                .filter(|(index, _)| entry.engines.contains(index))
                .map(|(_, name)| name.clone())
                .collect();
            out.push(diagnostic);
        }
    }

    /// Where `entry` holds on some of the dialect's engines only, which: "fails on PostgreSQL
    /// 15.18; applies on 17.10" for a failure that no other engine had at the same place, where
    /// the same chains applied cleanly on those engines ("not on 17.10" where one of them
    /// failed elsewhere, perhaps before reaching the statement), "on PostgreSQL 15.18; not on
    /// 17.10" for another finding, and "on PostgreSQL 15.18" where the other engines failed
    /// there too, in their own words.
    fn holds_on(&self, entry: &Entry, places: &[(String, Vec<usize>)]) -> Option<String> {
        let (on, others): (Vec<Named<'_>>, Vec<Named<'_>>) = self
            .engines
            .iter()
            .partition(|(index, _)| entry.engines.contains(index));
        if others.is_empty() || on.is_empty() {
            return None;
        }
        let elsewhere = places.iter().any(|(place, engines)| {
            *place == entry.place && others.iter().any(|(index, _)| engines.contains(index))
        });
        let applied = others.iter().all(|(index, _)| {
            entry
                .chains
                .iter()
                .all(|chain| self.clean.contains(&(*index, chain.clone())))
        });
        let on = list(&on);
        Some(match (self.failing, elsewhere) {
            (_, true) => format!("on {on}"),
            (true, false) if applied => {
                format!("fails on {on}; applies on {}", versions(&others))
            }
            (true, false) => format!("fails on {on}; not on {}", versions(&others)),
            (false, false) => format!("on {on}; not on {}", versions(&others)),
        })
    }
}

/// `PostgreSQL 14.12, 15.18`: the first engine's name, then the other versions.
fn list(engines: &[Named<'_>]) -> String {
    match engines.split_first() {
        Some(((_, first), rest)) if !rest.is_empty() => format!("{first}, {}", versions(rest)),
        Some(((_, first), _)) => first.clone(),
        None => String::new(),
    }
}

/// `17.10, 18.1`: the engines' versions alone.
fn versions(engines: &[Named<'_>]) -> String {
    engines
        .iter()
        .map(|(_, name)| name.rsplit(' ').next().unwrap_or(name))
        .collect::<Vec<_>>()
        .join(", ")
}
