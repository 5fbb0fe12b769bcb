//! SQL files cut into statements and parsed once; every check (and, later, the replay) reads the
//! result instead of splitting or parsing again.

mod gap;
mod parse;
pub mod split;
pub mod token;

use std::ops::Range;

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
#[derive(Debug)]
pub struct Statement {
    /// Bytes of the statement in `SqlFile::source.text`, from its first token to its terminating
    /// `;` (included when there is one).
    pub range: Range<usize>,
    /// Where the statement starts and ends.
    pub span: Span,
    /// The statement's tokens, white space and comments included, the terminating `;` excluded.
    pub tokens: Vec<TokenWithSpan>,
    pub parsed: Parsed,
}

impl Statement {
    /// The statement's tokens without white space and comments.
    pub fn significant(&self) -> impl Iterator<Item = &TokenWithSpan> + '_ {
        self.tokens
            .iter()
            .filter(|token| !token::is_trivia(&token.token))
    }
}

#[derive(Debug)]
pub enum Parsed {
    Ok(Box<sqlparser::ast::Statement>),
    /// Valid SQL of a kind no check of the file's role reads (see `Parsed::kept_for`): the tree
    /// was not kept.
    Valid,
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
    /// about 14 KB, so keeping every tree made a file of 100,000 statements hold 1.4 GB; only
    /// the kinds of statement a check reads keep theirs: in migrations, what the lint
    /// (`rules::lint`, its chain rules included) matches on, `UPDATE` and `DELETE` only without
    /// a `WHERE` (the only ones their rules report); in the fresh-install script, the
    /// `INSERT` that holds the stamp (`rules::stamp`). Seeds and the baseline are only checked to
    /// parse. A check that reads another kind adds it here.
    pub fn kept_for(self, role: &Role) -> Parsed {
        use sqlparser::ast::Statement as Ast;
        let Parsed::Ok(tree) = self else {
            return self;
        };
        let read = match role {
            Role::Migration(_) => {
                matches!(
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
                    || matches!(tree.as_ref(), Ast::Delete(delete) if delete.selection.is_none())
            }
            Role::Latest => matches!(tree.as_ref(), Ast::Insert(_)),
            Role::Baseline | Role::Seed => false,
        };
        if read {
            Parsed::Ok(tree)
        } else {
            Parsed::Valid
        }
    }
}
