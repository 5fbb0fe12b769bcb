//! SQL files cut into statements and parsed once; every check (and, later, the replay) reads the
//! result instead of splitting or parsing again.

pub(crate) mod depth;
mod gap;
mod parse;
pub mod split;
pub mod token;

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use sqlparser::tokenizer::TokenWithSpan;

use crate::diagnostic::{Position, Span};
use crate::dialect::Dialect;
use crate::source::SourceFile;

/// What a SQL file is for; the checks differ between them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// The fresh-install script of a dialect.
    Latest,
    /// The script the full chain starts from, where the configuration names one.
    Baseline,
    /// An incremental migration, with the version the layout gives it.
    Migration(semver::Version),
    /// Demo data applied on top of a migrated database.
    Seed,
}

/// A SQL file of the tree, split and parsed.
#[derive(Debug)]
pub struct SqlFile {
    pub source: SourceFile,
    pub dialect: Dialect,
    pub role: Role,
    pub statements: Vec<Statement>,
    /// Set when the tokenizer gave up (an unterminated string or comment, say); `statements`
    /// then holds what came before the error.
    pub tokenize_error: Option<(String, Position)>,
    /// Every `--` comment of the file, in file order. The lint's silences are such comments,
    /// and most of them (those above a statement, or after its `;`) lie in no statement's tokens.
    pub line_comments: Vec<LineComment>,
}

/// A `--` comment: its text after the `--`, without the line break, and where it is.
#[derive(Debug)]
pub struct LineComment {
    pub text: String,
    pub span: Span,
}

/// One statement of a file.
pub struct Statement {
    /// Bytes of the statement in `SqlFile::source.text`, from its first token to its terminating
    /// `;` (included when there is one).
    pub range: Range<usize>,
    /// Where the statement starts and ends.
    pub span: Span,
    /// The tokens of the whole file, shared by its statements: a token takes 88 bytes, and a
    /// copy per statement doubled what a file of many short statements held.
    file_tokens: Arc<Vec<TokenWithSpan>>,
    /// Which of `file_tokens` are the statement's.
    token_range: Range<usize>,
    pub parsed: Parsed,
}

impl std::fmt::Debug for Statement {
    /// The statement's own tokens, not the whole file's.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Statement")
            .field("range", &self.range)
            .field("span", &self.span)
            .field("tokens", &self.tokens())
            .field("parsed", &self.parsed)
            .finish()
    }
}

impl Statement {
    /// The statement's tokens, white space and comments included, the terminating `;` excluded.
    pub fn tokens(&self) -> &[TokenWithSpan] {
        self.file_tokens
            .get(self.token_range.clone())
            .unwrap_or_default()
    }

    /// The statement's tokens without white space and comments.
    pub fn significant(&self) -> impl Iterator<Item = &TokenWithSpan> + '_ {
        self.tokens()
            .iter()
            .filter(|token| !token::is_trivia(&token.token))
    }

    /// The statement's tree, where a check reads it: the kept tree, or for `Parsed::Deferred`
    /// the same tree parsed again from the same tokens. The caller drops it when its rules are
    /// done, so that no more than one such tree is alive at a time.
    pub fn tree(&self, dialect: Dialect) -> Option<Cow<'_, sqlparser::ast::Statement>> {
        match &self.parsed {
            Parsed::Ok(tree) => Some(Cow::Borrowed(tree.as_ref())),
            Parsed::Deferred => parse::reparse(self.tokens(), dialect).map(Cow::Owned),
            Parsed::Valid | Parsed::Gap { .. } | Parsed::Error { .. } => None,
        }
    }

    /// Whether the statement is a query (`SELECT`, `WITH ... SELECT`, `VALUES`), read from its
    /// tree (parsed again where it was not kept); `None` where it has no tree (it did not parse,
    /// or the parser cannot read it).
    pub fn is_query(&self, dialect: Dialect) -> Option<bool> {
        let tree = match &self.parsed {
            Parsed::Valid => parse::reparse(self.tokens(), dialect).map(Cow::Owned),
            _ => self.tree(dialect),
        }?;
        Some(matches!(tree.as_ref(), sqlparser::ast::Statement::Query(_)))
    }
}

#[derive(Debug)]
pub enum Parsed {
    Ok(Box<sqlparser::ast::Statement>),
    /// Valid SQL of a kind no check of the file's role reads (see `Parsed::kept_for`): the tree
    /// was not kept.
    Valid,
    /// Valid SQL of a kind a check reads (the lint, the stamp rule). The tree was not kept:
    /// `Statement::tree` parses it again when the check comes to the statement (see
    /// `Parsed::kept_for`).
    Deferred,
    /// SQL that the engine accepts but sqlparser does not; `construct` names it for the note.
    Gap {
        construct: &'static str,
    },
    Error {
        message: String,
        position: Position,
    },
}

impl SqlFile {
    /// Splits and parses a file.
    pub fn load(source: SourceFile, dialect: Dialect, role: Role) -> SqlFile {
        split::load(source, dialect, role)
    }

    pub fn text_of(&self, statement: &Statement) -> &str {
        &self.source.text[statement.range.clone()]
    }
}

impl Parsed {
    /// The parse result as a file of `role` keeps it. sqlparser's tree of even `SELECT 1` takes
    /// about 14 KB (an `ALTER TABLE ... ADD COLUMN` about 7 KB), so keeping every tree made a
    /// file of 100,000 statements hold 1.4 GB, whatever their kind. No tree is kept: the kinds
    /// of statement a check reads are `Parsed::Deferred`, parsed again from their tokens one at
    /// a time when the check comes to them, and the others are `Parsed::Valid`. In migrations,
    /// the check is the lint (`rules::lint`, its chain rules included), which reads `UPDATE` and
    /// `DELETE` only without a `WHERE` (the only ones their rules report); in the fresh-install
    /// script, the stamp rule (`rules::stamp`), which reads the `INSERT`s. Seeds and the
    /// baseline are only checked to parse. A check that reads another kind adds it here.
    pub fn kept_for(self, role: &Role) -> Parsed {
        use sqlparser::ast::Statement as Ast;
        let Parsed::Ok(tree) = self else {
            return self;
        };
        match role {
            Role::Migration(_) => {
                let linted = matches!(
                    tree.as_ref(),
                    Ast::AlterIndex { .. }
                        | Ast::AlterTable(_)
                        | Ast::CreateIndex(_)
                        | Ast::CreateTable(_)
                        | Ast::CreateVirtualTable { .. }
                        | Ast::Drop { .. }
                        | Ast::DropTrigger(_)
                        | Ast::Truncate(_)
                ) || matches!(tree.as_ref(), Ast::Update(update) if update.selection.is_none())
                    || matches!(tree.as_ref(), Ast::Delete(delete) if delete.selection.is_none());
                if linted {
                    Parsed::Deferred
                } else {
                    Parsed::Valid
                }
            }
            Role::Latest if matches!(tree.as_ref(), Ast::Insert(_)) => Parsed::Deferred,
            Role::Latest | Role::Baseline | Role::Seed => Parsed::Valid,
        }
    }
}
