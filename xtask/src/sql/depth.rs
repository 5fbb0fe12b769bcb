//! How deeply the tree of a statement would nest, estimated from its tokens before sqlparser
//! builds it. sqlparser limits its own recursion (`Parser::with_recursion_limit`), but it reads a
//! chain of operators (`1+1+1...`, `a OR b OR c...`, `SELECT 1 UNION SELECT 2 ...`) in a loop
//! and builds a tree as deep as the chain is long; dropping, walking or printing that tree
//! recurses once per level, and a million levels overflow any thread's stack. A statement whose
//! estimate exceeds [`LIMIT`] is therefore not given to the parser at all.

use sqlparser::tokenizer::Token;

/// The most levels a statement may nest for the parser. A tree this deep is built, printed and
/// dropped within the 2 MB stack of any thread of the tool (see the test below). The engines
/// refuse less: SQLite expressions deeper than 1,000 levels, PostgreSQL (with its default
/// `max_stack_depth`) a chain of about 5,000 operators.
pub const LIMIT: usize = 10_000;

/// Whether the meaningful tokens of a statement may nest deeper than [`LIMIT`].
///
/// The estimate counts, on the path from the statement down to each token, one level per open
/// parenthesis or bracket and one per token since the last `,` (or `;`, in a trigger body) of
/// each enclosing level: items of a list are siblings, while every operator, keyword and operand
/// of a chain may add a level. No node of sqlparser's tree is without a token of its own, so
/// the estimate is never below the tree's depth; it overstates only statements with tens of
/// thousands of tokens between two commas.
pub fn too_deep<'a>(tokens: impl IntoIterator<Item = &'a Token>) -> bool {
    // Tokens counted at each open level, the statement's own level first.
    let mut levels: Vec<usize> = vec![0];
    // The estimate on the current path: the counts of every open level plus one per opening.
    let mut depth = 0usize;
    for token in tokens {
        match token {
            Token::LParen | Token::LBracket => {
                levels.push(0);
                depth += 1;
            }
            Token::RParen | Token::RBracket => {
                if levels.len() > 1 {
                    let count = levels.pop().unwrap_or_default();
                    depth = depth.saturating_sub(count + 1);
                }
            }
            Token::Comma | Token::SemiColon => {
                if let Some(count) = levels.last_mut() {
                    depth = depth.saturating_sub(*count);
                    *count = 0;
                }
            }
            _ => {
                if let Some(count) = levels.last_mut() {
                    *count += 1;
                    depth += 1;
                }
            }
        }
        if depth > LIMIT {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::tokenizer::Tokenizer;

    use super::*;
    use crate::sql::token::is_trivia;

    fn deep(sql: &str) -> bool {
        let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql)
            .tokenize()
            .unwrap_or_default();
        too_deep(tokens.iter().filter(|token| !is_trivia(token)))
    }

    #[test]
    fn chains_and_nesting_count_but_lists_do_not() {
        let chain = |n: usize| format!("SELECT 1{}", "+1".repeat(n));
        assert!(!deep(&chain(4_000)));
        assert!(deep(&chain(6_000)));
        let parens = |n: usize| format!("SELECT {}1{}", "(".repeat(n), ")".repeat(n));
        assert!(!deep(&parens(4_000)));
        assert!(deep(&parens(11_000)));
        // A long list is wide, not deep.
        let values = format!("INSERT INTO t VALUES {}(1, 2)", "(1, 2), ".repeat(100_000));
        assert!(!deep(&values));
        let list = format!("SELECT x IN ({}0)", "1, ".repeat(100_000));
        assert!(!deep(&list));
        // Unbalanced parentheses neither panic nor go below the statement's level.
        assert!(!deep(&format!("SELECT {}", ")".repeat(100))));
    }

    /// The deepest tree the limit lets through is built, printed and dropped on a thread with
    /// Rust's default stack of 2 MB, as the replay's threads have.
    #[test]
    fn a_tree_at_the_limit_fits_a_small_stack() -> anyhow::Result<()> {
        let sql = format!("SELECT 1{}", "+1".repeat((LIMIT - 2) / 2));
        assert!(!deep(&sql));
        let printed = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || -> anyhow::Result<usize> {
                let tree = sqlparser::parser::Parser::new(&PostgreSqlDialect {})
                    .try_with_sql(&sql)?
                    .parse_statement()?;
                let printed = tree.to_string().len();
                drop(tree);
                Ok(printed)
            })?
            .join()
            .map_err(|_| anyhow::anyhow!("the thread panicked"))??;
        assert!(printed > LIMIT);
        Ok(())
    }
}
