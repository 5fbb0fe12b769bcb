//! How messages name the chains a problem occurred in.

/// Names the chains a problem occurred in. A tree with dozens of release tags has dozens of
/// upgrade chains; three or more of them in a row (in the planned order, so with no chain left
/// out in between) are named as a range with their count, `upgrade-from-v0.22.0 … v0.25.3`.
pub fn name_chains(chains: &[String], order: &[String]) -> String {
    const UPGRADE: &str = "upgrade-from-";
    let mut parts: Vec<String> = Vec::new();
    let mut run: Vec<&str> = Vec::new();
    let flush = |run: &mut Vec<&str>, parts: &mut Vec<String>| {
        if run.len() >= 3 {
            let last = run[run.len() - 1].trim_start_matches(UPGRADE);
            parts.push(format!("{} … {last}", run[0]));
        } else {
            parts.extend(run.iter().map(|name| name.to_string()));
        }
        run.clear();
    };
    for name in order {
        let selected = chains.contains(name);
        if selected && name.starts_with(UPGRADE) {
            run.push(name);
            continue;
        }
        flush(&mut run, &mut parts);
        if selected {
            parts.push(name.clone());
        }
    }
    flush(&mut run, &mut parts);
    // Chains outside the plan's order cannot be placed in a range; they are named as they are.
    parts.extend(chains.iter().filter(|c| !order.contains(c)).cloned());
    match chains.len() {
        1 => format!("chain {}", parts.join(", ")),
        n if parts.len() == n => format!("chains {}", parts.join(", ")),
        n => format!("{n} chains: {}", parts.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::name_chains;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn runs_of_upgrade_chains_are_named_as_ranges() {
        let order = names(&[
            "fresh",
            "full",
            "upgrade-from-v0.22.0",
            "upgrade-from-v0.23.0",
            "upgrade-from-v0.24.0",
            "upgrade-from-v0.25.3",
            "upgrade-from-v0.26.0",
        ]);
        let all_upgrades = names(&[
            "upgrade-from-v0.22.0",
            "upgrade-from-v0.23.0",
            "upgrade-from-v0.24.0",
            "upgrade-from-v0.25.3",
        ]);
        assert_eq!(
            name_chains(&all_upgrades, &order),
            "4 chains: upgrade-from-v0.22.0 … v0.25.3"
        );
        // A chain left out breaks the range: what is named is exactly what failed.
        let with_hole = names(&[
            "full",
            "upgrade-from-v0.22.0",
            "upgrade-from-v0.24.0",
            "upgrade-from-v0.25.3",
        ]);
        assert_eq!(
            name_chains(&with_hole, &order),
            "chains full, upgrade-from-v0.22.0, upgrade-from-v0.24.0, upgrade-from-v0.25.3"
        );
        assert_eq!(name_chains(&names(&["fresh"]), &order), "chain fresh");
    }
}
