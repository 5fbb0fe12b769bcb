//! Small questions about sqlparser tokens that the splitter, the parser-gap table and the rules
//! all ask: is this white space, is it this keyword, where is it in our coordinates.

use sqlparser::tokenizer::{Location, Token, TokenWithSpan};

use crate::diagnostic::{Position, Span};

/// White space and comments: tokens that carry no meaning for the SQL around them.
pub fn is_trivia(token: &Token) -> bool {
    matches!(token, Token::Whitespace(_))
}

/// The text of an unquoted word (a keyword or a bare identifier). Quoted identifiers are not
/// keywords, so `"PRAGMA"` or `` `select` `` never answer here.
pub fn bare_word(token: &Token) -> Option<&str> {
    match token {
        Token::Word(word) if word.quote_style.is_none() => Some(&word.value),
        _ => None,
    }
}

/// Whether the token is the unquoted word `keyword`, in any letter case.
pub fn is_keyword(token: &Token, keyword: &str) -> bool {
    bare_word(token).is_some_and(|word| word.eq_ignore_ascii_case(keyword))
}

/// A tokenizer location as a diagnostic position. Both count lines and characters from 1.
pub fn position(location: Location) -> Position {
    Position::new(
        u32::try_from(location.line).unwrap_or(u32::MAX),
        u32::try_from(location.column).unwrap_or(u32::MAX),
    )
}

/// A token's extent as a diagnostic span.
pub fn span(token: &TokenWithSpan) -> Span {
    Span::new(position(token.span.start), position(token.span.end))
}

/// Tracks the `$$`-quoted bodies of PostgreSQL as the SQLite tokenizer sees them.
///
/// The PostgreSQL tokenizer reads `$$ ... $$` (and `$tag$ ... $tag$`) as one string token, so
/// nothing inside it can end a statement. The SQLite tokenizer has no such strings: it reads `$$`
/// and `$tag$` as parameter placeholders (glued to the word that follows, as in `$$BEGIN`) and
/// tokenizes the body as ordinary SQL, `;` included. A leaked PostgreSQL function in a SQLite
/// file would then fall apart into fragments, each with its own confusing parse error. Feeding
/// every token to this tracker tells whether it lies inside such a body, so the splitter can keep
/// the body whole and the dialect-leak rule can point at its opening delimiter once.
#[derive(Debug, Default)]
pub struct DollarQuotes {
    /// The delimiter that will close the body being read, if inside one.
    closing: Option<String>,
}

/// What a token meant for the dollar-quoted body around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DollarEvent {
    /// The token opened a body.
    Opened,
    /// The token is inside a body or closed one.
    Inside,
    /// The token is ordinary SQL.
    Outside,
}

impl DollarQuotes {
    pub fn observe(&mut self, token: &Token) -> DollarEvent {
        match self.closing.take() {
            None => {
                let Token::Placeholder(text) = token else {
                    return DollarEvent::Outside;
                };
                if text.starts_with("$$") {
                    // `$$x$$` opens and closes a body within one token.
                    if text.matches("$$").count() % 2 == 1 {
                        self.closing = Some("$$".to_string());
                    }
                    DollarEvent::Opened
                } else if is_dollar_tag(text) {
                    self.closing = Some(text.clone());
                    DollarEvent::Opened
                } else {
                    DollarEvent::Outside
                }
            }
            Some(closing) => {
                // The closing delimiter may be glued to a word before it (`END$$` is one word
                // to SQLite) as well as stand alone as a placeholder.
                let text = match token {
                    Token::Placeholder(text) => Some(text.as_str()),
                    other => bare_word(other),
                };
                let closes = text.is_some_and(|text| {
                    if closing == "$$" {
                        text.matches("$$").count() % 2 == 1
                    } else {
                        text.ends_with(&closing)
                    }
                });
                if !closes {
                    self.closing = Some(closing);
                }
                DollarEvent::Inside
            }
        }
    }

    /// Whether the last token observed left a body open.
    pub fn is_open(&self) -> bool {
        self.closing.is_some()
    }
}

/// `$tag$`: a dollar-quote delimiter with a tag made of identifier characters.
fn is_dollar_tag(text: &str) -> bool {
    text.len() >= 3
        && text.starts_with('$')
        && text.ends_with('$')
        && text[1..text.len() - 1]
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use sqlparser::dialect::SQLiteDialect;
    use sqlparser::tokenizer::Tokenizer;

    use super::*;

    /// The events of the non-trivia tokens of `sql` tokenized as SQLite, as `token:event` words.
    fn events(sql: &str) -> String {
        let tokens = Tokenizer::new(&SQLiteDialect {}, sql)
            .tokenize()
            .unwrap_or_default();
        let mut quotes = DollarQuotes::default();
        tokens
            .iter()
            .filter(|token| !is_trivia(token))
            .map(|token| {
                let event = match quotes.observe(token) {
                    DollarEvent::Opened => "open",
                    DollarEvent::Inside => "in",
                    DollarEvent::Outside => "out",
                };
                format!("{token}:{event}")
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn dollar_bodies_are_tracked_through_sqlite_tokens() {
        assert_eq!(
            events("AS $$ SELECT 1; $$ LANGUAGE"),
            "AS:out $$:open SELECT:in 1:in ;:in $$:in LANGUAGE:out"
        );
        assert_eq!(
            events("AS $$BEGIN x; END$$;"),
            "AS:out $$BEGIN:open x:in ;:in END$$:in ;:out"
        );
        assert_eq!(
            events("AS $body$ x; $body$ y"),
            "AS:out $body$:open x:in ;:in $body$:in y:out"
        );
        assert_eq!(events("$$a$$b ;"), "$$a$$b:open ;:out");
        // Ordinary SQLite parameters are not bodies.
        assert_eq!(events("$1 $name ?2"), "$1:out $name:out ?2:out");
    }

    #[test]
    fn keywords_are_bare_words_in_any_case() {
        let tokens = Tokenizer::new(&SQLiteDialect {}, "pragma \"PRAGMA\"")
            .tokenize()
            .unwrap_or_default();
        let words: Vec<bool> = tokens
            .iter()
            .filter(|token| !is_trivia(token))
            .map(|token| is_keyword(token, "PRAGMA"))
            .collect();
        assert_eq!(words, [true, false]);
    }
}
