//! The vocabulary of the engine's judgement of a static finding (the `judge` module): what the
//! chains did with a statement, and the engine that ran them. It lives with the rules, which word
//! their own judgements, so that the rules need nothing of the replay that observes it.

/// What the chains did with one statement.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// The chains in which the engine executed the statement successfully.
    pub executed: Vec<String>,
    /// The chains in which the engine refused it.
    pub failed: Vec<String>,
}

/// What the replay observed of one statement, for a rule's judgement: the engine that ran its
/// dialect (`PostgreSQL 15.18`) and the chains that executed or refused it.
pub struct Judgement {
    pub engine: String,
    pub verdict: Verdict,
}

/// The chains of a verdict as a phrase: `chain full`, `chains full, upgrade-from-v0.1.0`, and
/// past three names, how many more.
pub fn chains_phrase(chains: &[String]) -> String {
    let noun = if chains.len() == 1 { "chain" } else { "chains" };
    let shown = chains.len().min(3);
    let mut phrase = format!("{noun} {}", chains[..shown].join(", "));
    if chains.len() > shown {
        phrase.push_str(&format!(" and {} more", chains.len() - shown));
    }
    phrase
}
