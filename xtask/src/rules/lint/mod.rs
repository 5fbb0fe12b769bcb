//! Migration lint: statements that are valid SQL, apply cleanly on the replay's empty databases,
//! and still hurt a real installation on upgrade: they destroy data, break the older service that
//! is still running, fail only where tables hold rows, or rely on something the service's runner
//! does not do. One module per rule; they read the statements the loader already parsed (the
//! AST where sqlparser read the statement, the tokens where it did not) and never parse again.
//!
//! Only migration files are linted: `LATEST.sql` builds a new, empty database, and seeds are
//! demo data, so none of these hazards applies to them.
//!
//! Most rules look at one file ([`check`]). Two need every migration of a dialect in the order
//! the service applies them ([`check_chain`]): which indexes exist when a column is dropped, and
//! which constraint names an earlier migration gave explicitly. Each rule's file declares its
//! [`Rule`] (its code and which of the two it is), and [`RULES`] lists them; `cargo xtask
//! new-lint NAME` writes a new rule's file and its line there.
//!
//! A finding can be silenced where it occurs, with a reason, by a comment on the statement (see
//! [`silence`]).

mod add_not_null_without_default;
mod change_column_type;
mod delete_without_where;
mod drop_column;
pub(crate) mod drop_generated_constraint_name;
mod drop_indexed_column;
mod drop_table;
mod non_idempotent_ddl;
mod pragma_in_transaction;
mod rename_column;
mod rename_table;
mod silence;
mod truncate;
mod unique_index_on_existing_data;
mod update_without_where;

use std::collections::HashSet;

use sqlparser::ast::{self, AlterTableOperation, Ident, ObjectName, RenameTableNameKind};
use sqlparser::tokenizer::TokenWithSpan;

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Label, Severity, Span};
use crate::dialect::Dialect;
use crate::sql::token::{is_keyword, position, span};
use crate::sql::{Role, SqlFile, Statement};

pub use silence::is_silenceable;
use silence::Scope;

/// A lint rule: its code and how it runs. Each rule's file declares one as `RULE`, and [`RULES`]
/// lists them, so that adding a rule is its file and one line there (`cargo xtask new-lint`
/// writes both).
struct Rule {
    /// The code of the rule's findings.
    code: Code,
    check: Check,
}

/// How a rule looks at the migrations.
enum Check {
    /// One statement of a migration file at a time.
    Statement(fn(&Context, &mut Vec<Finding>)),
    /// Every migration of a dialect in the order the service applies them. The function starts
    /// one chain's check, with the state it keeps from statement to statement (the indexes that
    /// exist, say).
    Chain(fn() -> ChainCheck),
}

/// One chain's check of a chain rule, called on every statement of the chain in order.
type ChainCheck = Box<dyn FnMut(&Context, &mut Vec<Finding>)>;

/// Every lint rule, in the order they run.
const RULES: &[Rule] = &[
    drop_table::RULE,
    drop_column::RULE,
    truncate::RULE,
    delete_without_where::RULE,
    update_without_where::RULE,
    rename_table::RULE,
    rename_column::RULE,
    change_column_type::RULE,
    add_not_null_without_default::RULE,
    unique_index_on_existing_data::RULE,
    pragma_in_transaction::RULE,
    non_idempotent_ddl::RULE,
    drop_indexed_column::RULE,
    drop_generated_constraint_name::RULE,
];

/// Whether the code is a chain rule's, whose silences the chain check judges.
fn is_chain_code(code: Code) -> bool {
    RULES
        .iter()
        .any(|rule| rule.code == code && matches!(rule.check, Check::Chain(_)))
}

/// Lints one migration file with the rules that need only that file. Other files are left
/// alone.
pub fn check(file: &SqlFile, out: &mut Vec<Diagnostic>) {
    if !matches!(file.role, Role::Migration(_)) {
        return;
    }
    let findings = statement_findings(file, RULES);
    silence::apply(file, findings, Scope::File, out);
}

/// Lints the migrations of one dialect as a chain, with the rules that need to know what earlier
/// migrations did. `files` are that dialect's migrations in semver order, as the service applies
/// them; files of other roles are skipped.
pub fn check_chain(files: &[&SqlFile], out: &mut Vec<Diagnostic>) {
    chain_findings(files, RULES, |file, findings| {
        silence::apply(file, findings, Scope::Chain, out);
    });
}

/// The findings of the statement rules among `rules` in one file.
fn statement_findings(file: &SqlFile, rules: &[Rule]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut created_here = CreatedTables::default();
    for (index, statement) in file.statements.iter().enumerate() {
        // The tree lives while this statement's rules run, and no longer.
        let tree = statement.tree(file.dialect);
        let cx = Context {
            file,
            statement,
            index,
            tree: tree.as_deref(),
            created_here: &created_here,
        };
        for rule in rules {
            if let Check::Statement(check) = rule.check {
                check(&cx, &mut findings);
            }
        }
        created_here.observe(file.dialect, tree.as_deref());
    }
    findings
}

/// Runs the chain rules among `rules` over the migrations of `files` in order, and hands each
/// file's findings to `found`.
fn chain_findings<'f>(
    files: &[&'f SqlFile],
    rules: &[Rule],
    mut found: impl FnMut(&'f SqlFile, Vec<Finding>),
) {
    let mut checks: Vec<ChainCheck> = rules
        .iter()
        .filter_map(|rule| match rule.check {
            Check::Chain(start) => Some(start()),
            Check::Statement(_) => None,
        })
        .collect();
    let no_tables = CreatedTables::default();
    for file in files
        .iter()
        .copied()
        .filter(|file| matches!(file.role, Role::Migration(_)))
    {
        let mut findings = Vec::new();
        for (index, statement) in file.statements.iter().enumerate() {
            let tree = statement.tree(file.dialect);
            let cx = Context {
                file,
                statement,
                index,
                tree: tree.as_deref(),
                created_here: &no_tables,
            };
            for check in &mut checks {
                check(&cx, &mut findings);
            }
        }
        found(file, findings);
    }
}

/// A problem a rule found in one statement, before silences are applied.
#[derive(Debug)]
struct Finding {
    /// The index of the statement in its file.
    statement: usize,
    code: Code,
    severity: Severity,
    span: Span,
    message: String,
    help: String,
    /// Other places the reader needs, such as where a dropped index was created.
    labels: Vec<Label>,
}

/// What a rule sees of the statement it looks at.
struct Context<'a> {
    file: &'a SqlFile,
    statement: &'a Statement,
    /// The statement's index in the file.
    index: usize,
    /// The statement as sqlparser read it (`Statement::tree`), unless it is a parser gap or an
    /// error.
    tree: Option<&'a ast::Statement>,
    /// The tables created by earlier statements of the same file (empty for the chain rules).
    created_here: &'a CreatedTables,
}

impl Context<'_> {
    fn dialect(&self) -> Dialect {
        self.file.dialect
    }

    /// The statement as sqlparser read it, unless it is a parser gap or an error.
    fn ast(&self) -> Option<&ast::Statement> {
        self.tree
    }

    /// The statement's tokens without white space and comments.
    fn significant(&self) -> Vec<&TokenWithSpan> {
        self.statement.significant().collect()
    }

    /// The `ALTER TABLE` statement's table and operations.
    fn alter_table(&self) -> Option<(&ObjectName, &[AlterTableOperation])> {
        match self.ast()? {
            ast::Statement::AlterTable(alter) => Some((&alter.name, &alter.operations)),
            _ => None,
        }
    }

    /// The operations of an `ALTER TABLE` statement, each with the table's name, unless an
    /// earlier statement of this file created the table: such a table holds only what this file
    /// put in it and no older service knows it, so the rules on altering a table leave it alone.
    fn alterations_of_older_table(
        &self,
    ) -> impl Iterator<Item = (&ObjectName, &AlterTableOperation)> {
        self.alter_table()
            .filter(|(table, _)| !self.created_here(table))
            .into_iter()
            .flat_map(|(table, operations)| operations.iter().map(move |op| (table, op)))
    }

    /// Whether an earlier statement of this file created the table, so that it holds only what
    /// this file put in it and no older service knows it.
    fn created_here(&self, table: &ObjectName) -> bool {
        self.created_here
            .0
            .contains(&object_key(self.dialect(), table))
    }

    /// A finding at the code's default severity.
    fn finding(
        &self,
        code: Code,
        span: Span,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Finding {
        Finding {
            statement: self.index,
            code,
            severity: code.severity(),
            span,
            message: message.into(),
            help: help.into(),
            labels: Vec::new(),
        }
    }

    /// The finding for a statement that changes every row of the table `name` (where the
    /// statement names one): `what` says what it does to each row ("deletes", "rewrites"),
    /// `help` what to do. Nothing where the table was created earlier in the same file, and so
    /// holds no rows of an installation yet.
    fn every_row(
        &self,
        code: Code,
        name: Option<&ObjectName>,
        what: &str,
        help: &str,
    ) -> Option<Finding> {
        if name.is_some_and(|name| self.created_here(name)) {
            return None;
        }
        let span = self.head_span(name.and_then(object_span));
        let table = name.map_or_else(|| "its table".to_string(), |name| format!("table {name}"));
        Some(self.finding(
            code,
            span,
            format!(
                "`{}` has no WHERE: it {what} every row of {table} on every installation that \
                 upgrades",
                self.text(span)
            ),
            format!("{help}: {}", silence_hint(code)),
        ))
    }

    /// The span from the statement's first token to `end`, or the first token alone.
    fn head_span(&self, end: Option<Span>) -> Span {
        let first = self.statement.span.start;
        match end {
            Some(end) if end.end > first => Span::new(first, end.end),
            _ => self.first_token_span(),
        }
    }

    fn first_token_span(&self) -> Span {
        self.statement
            .significant()
            .next()
            .map_or(self.statement.span, span)
    }

    /// The span from the last `keyword` at or before `end` to the end of `end`: the clause an
    /// identifier belongs to, such as `DROP COLUMN tags` for the identifier `tags`. Without such
    /// a keyword (or without `end`), the statement's first token.
    fn clause_span(&self, keyword: &str, end: Option<Span>) -> Span {
        let Some(end) = end else {
            return self.first_token_span();
        };
        self.statement
            .significant()
            .filter(|token| position(token.span.start) <= end.start)
            .filter(|token| is_keyword(&token.token, keyword))
            .last()
            .map_or(end, |token| Span::new(position(token.span.start), end.end))
    }

    /// The source text a span covers, for messages that quote the statement.
    fn text(&self, span: Span) -> String {
        let source = &self.file.source;
        let text = source
            .text
            .get(source.offset(span.start)..source.offset(span.end))
            .unwrap_or_default();
        // A clause that runs over several lines is quoted on one.
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

/// Where an identifier is in the file; `None` where sqlparser did not record it.
fn ident_span(ident: &Ident) -> Option<Span> {
    let start = position(ident.span.start);
    let end = position(ident.span.end);
    (start.line > 0 && end > start).then(|| Span::new(start, end))
}

/// Where an object name is in the file: from its first part to its last.
fn object_span(name: &ObjectName) -> Option<Span> {
    let mut idents = name.0.iter().filter_map(|part| part.as_ident());
    let first = ident_span(idents.next()?)?;
    let last = idents.next_back().and_then(ident_span).unwrap_or(first);
    Some(Span::new(first.start, last.end))
}

/// An identifier as the engine compares it: SQLite ignores the case of every name, PostgreSQL
/// that of unquoted names only.
fn ident_key(dialect: Dialect, ident: &Ident) -> String {
    name_key(dialect, &ident.value, ident.quote_style.is_some())
}

/// A name, quoted or not, as the engine compares it (see [`ident_key`]).
fn name_key(dialect: Dialect, value: &str, quoted: bool) -> String {
    if quoted && !dialect.spec().quoted_names_fold_case() {
        value.to_string()
    } else {
        value.to_lowercase()
    }
}

/// An object name as the engine compares it, without its schema: the migrations of one store
/// work in one schema.
fn object_key(dialect: Dialect, name: &ObjectName) -> String {
    name.0
        .iter()
        .rev()
        .find_map(|part| part.as_ident())
        .map(|ident| ident_key(dialect, ident))
        .unwrap_or_default()
}

/// The tables created by the statements of one file so far, under their current names.
#[derive(Debug, Default)]
struct CreatedTables(HashSet<String>);

impl CreatedTables {
    fn observe(&mut self, dialect: Dialect, tree: Option<&ast::Statement>) {
        let Some(tree) = tree else {
            return;
        };
        match tree {
            ast::Statement::CreateTable(create) => {
                self.0.insert(object_key(dialect, &create.name));
            }
            ast::Statement::Drop {
                object_type: ast::ObjectType::Table,
                names,
                ..
            } => {
                for name in names {
                    self.0.remove(&object_key(dialect, name));
                }
            }
            ast::Statement::AlterTable(alter) => {
                for operation in &alter.operations {
                    if let AlterTableOperation::RenameTable { table_name } = operation {
                        // A table of this file keeps being one under its new name.
                        if self.0.remove(&object_key(dialect, &alter.name)) {
                            self.0.insert(object_key(dialect, renamed_to(table_name)));
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// The new name of `RENAME TO new` (or MySQL's `RENAME AS new`).
fn renamed_to(kind: &RenameTableNameKind) -> &ObjectName {
    match kind {
        RenameTableNameKind::As(name) | RenameTableNameKind::To(name) => name,
    }
}

/// The silence to suggest in a help text.
fn silence_hint(code: Code) -> String {
    format!("`-- validate-migrations: allow({code}) because <reason>` on the line above")
}

/// A migration file of `dialect` with `text`, at version 0.2.1, for tests.
#[cfg(test)]
fn migration(dialect: Dialect, name: &str, text: &str) -> SqlFile {
    let source = crate::source::SourceFile::new(name.into(), name.into(), text.into());
    SqlFile::load(
        source,
        dialect,
        Role::Migration(semver::Version::new(0, 2, 1)),
    )
}

/// Diagnostics as a test shows them, one line each, sorted: `code severity line:col-line:col
/// message`.
#[cfg(test)]
fn render(diagnostics: &[Diagnostic]) -> String {
    let mut diagnostics = diagnostics.to_vec();
    crate::diagnostic::sort(&mut diagnostics);
    diagnostics
        .iter()
        .map(|d| {
            let span = d.span.unwrap_or(Span::on_line(0, 0, 0));
            format!(
                "{} {} {}:{}-{}:{} {}\n",
                d.code,
                d.severity.as_str(),
                span.start.line,
                span.start.column,
                span.end.line,
                span.end.column,
                d.message
            )
        })
        .collect()
}

/// The findings of one rule alone in migration files of `dialect` with `texts`, applied as one
/// chain in order, without silences: what a rule's own tests show (see [`render`]).
#[cfg(test)]
fn lint_rule(rule: &Rule, dialect: Dialect, texts: &[&str]) -> String {
    let files: Vec<SqlFile> = texts
        .iter()
        .enumerate()
        .map(|(index, text)| migration(dialect, &format!("{index}.sql"), text))
        .collect();
    let rules = std::slice::from_ref(rule);
    let mut out = Vec::new();
    let mut found = |file: &SqlFile, findings: Vec<Finding>| {
        out.extend(findings.into_iter().map(|finding| {
            Diagnostic::new(finding.code, finding.message)
                .severity(finding.severity)
                .file(&file.source.display)
                .span(finding.span)
                .help(finding.help)
        }));
    };
    for file in &files {
        found(file, statement_findings(file, rules));
    }
    chain_findings(&files.iter().collect::<Vec<_>>(), rules, found);
    render(&out)
}

#[cfg(test)]
mod tests;
