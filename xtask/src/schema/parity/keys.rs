//! Index keys as both dialects can write them: names folded, and the `::type` casts that
//! PostgreSQL's deparser adds removed.

use sqlparser::tokenizer::{Token, Tokenizer};

use crate::dialect::Dialect;
use crate::schema::compare::lower as fold;
use crate::schema::Index;

/// An index's keys as both dialects can write them: names folded, and PostgreSQL's `::type`
/// casts removed.
pub(super) fn keys(index: &Index, dialect: Dialect) -> Vec<String> {
    index
        .columns
        .iter()
        .map(|key| {
            if dialect.spec().index_keys_have_casts() {
                without_casts(&fold(key))
            } else {
                fold(key)
            }
        })
        .collect()
}

/// Words that continue a type name after its first word: `character varying`, `double
/// precision`, `timestamp with time zone`.
const TYPE_CONTINUATIONS: [&str; 6] = ["varying", "precision", "with", "without", "time", "zone"];

/// A normalized PostgreSQL index key without the `::type` casts its deparser adds (a `varchar`
/// column inside `lower()` comes out as `lower((username)::text)`), and without the parentheses
/// that only enclosed the cast: `lower(username)`. Text that cannot be tokenized is kept.
pub(super) fn without_casts(key: &str) -> String {
    let Ok(tokens) = Tokenizer::new(Dialect::Postgres.parser_dialect(), key)
        .with_unescape(false)
        .tokenize()
    else {
        return key.to_string();
    };
    let mut kept = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i] == Token::DoubleColon {
            i = after_type(&tokens, i + 1);
        } else {
            kept.push(tokens[i].clone());
            i += 1;
        }
    }
    while let Some((open, close)) = redundant_parentheses(&kept) {
        kept.remove(close);
        kept.remove(open);
    }
    kept.iter().map(ToString::to_string).collect()
}

/// The index just past the type name that starts at `start`: its words, its modifiers in
/// parentheses and its array brackets.
fn after_type(tokens: &[Token], start: usize) -> usize {
    let mut i = start;
    if matches!(tokens.get(i), Some(Token::Word(_))) {
        i += 1;
    }
    loop {
        match (tokens.get(i), tokens.get(i + 1)) {
            (Some(Token::Whitespace(_)), Some(Token::Word(word)))
                if TYPE_CONTINUATIONS.contains(&word.value.to_ascii_lowercase().as_str()) =>
            {
                i += 2;
            }
            (Some(Token::LParen), _) => match closing(tokens, i) {
                Some(close) => i = close + 1,
                None => return tokens.len(),
            },
            (Some(Token::LBracket), Some(Token::RBracket)) => i += 2,
            _ => return i,
        }
    }
}

/// The index of the `)` that closes the `(` at `open`.
fn closing(tokens: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, token) in tokens.iter().enumerate().skip(open) {
        match token {
            Token::LParen => depth += 1,
            Token::RParen => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// A pair of parentheses that changes nothing: around a single token that is no function's
/// argument list (`(username)`, but not `f(x)` or `IN (1)`), or directly inside another pair
/// with no comma of its own (`f((a || b))`; with a comma it would be a row).
fn redundant_parentheses(tokens: &[Token]) -> Option<(usize, usize)> {
    for open in 0..tokens.len() {
        if tokens[open] != Token::LParen {
            continue;
        }
        let close = closing(tokens, open)?;
        let before = open.checked_sub(1).map(|i| &tokens[i]);
        let word_before = tokens[..open]
            .iter()
            .rfind(|t| !matches!(t, Token::Whitespace(_)))
            .is_some_and(|t| matches!(t, Token::Word(_)));
        let single = close == open + 2 && !word_before;
        let doubled = before == Some(&Token::LParen)
            && tokens.get(close + 1) == Some(&Token::RParen)
            && !has_top_level_comma(&tokens[open + 1..close]);
        if single || doubled {
            return Some((open, close));
        }
    }
    None
}

fn has_top_level_comma(tokens: &[Token]) -> bool {
    let mut depth = 0usize;
    tokens.iter().any(|token| {
        match token {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            _ => {}
        }
        depth == 0 && *token == Token::Comma
    })
}
