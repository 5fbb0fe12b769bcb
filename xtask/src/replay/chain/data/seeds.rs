//! The seed files as they were at each release tag: the data an installation of that release
//! was given, applied on the release's own schema (not today's) in its upgrade chain.

use std::collections::BTreeMap;

use anyhow::Context as _;

use super::super::{Chain, Failure, Plan, Start};
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::dialect::Dialect;
use crate::engine::{Database, StatementError};
use crate::git::releases::History;
use crate::git::{EntryKind, Object};
use crate::source::SourceFile;
use crate::sql::{Role, SqlFile, Statement};
use crate::store::Store;

/// Per release tag of the upgrade `chains`, the dialect's seed files at that tag in name order:
/// the `.sql` files of the seed folder (`layout.seeds`, `{dir}` being the dialect's folder at
/// the tag). A tag whose seed folder did not exist yet has none.
pub(in crate::replay) fn at_tags(
    store: &Store,
    history: &History,
    dialect: Dialect,
    chains: &[Chain<'_>],
) -> anyhow::Result<BTreeMap<String, Vec<SqlFile>>> {
    let History::Tags {
        repository,
        releases,
        ..
    } = history
    else {
        return Ok(BTreeMap::new());
    };
    let prefix = crate::history::store_prefix(&store.root, repository)?;
    let layout = &store.config.layout;
    let folders: Vec<(String, String)> = chains
        .iter()
        .filter_map(|chain| match &chain.start {
            Start::Release { tag, .. } => releases.iter().find(|r| &r.tag == tag),
            _ => None,
        })
        .map(|release| {
            let dir = layout.dir_at(dialect, &release.version);
            let folder = layout.seeds.replace("{dir}", dir);
            let folder = folder.replace("{dialect}", dialect.folder());
            (release.tag.clone(), format!("{prefix}{folder}"))
        })
        .collect();
    let requests: Vec<String> = folders
        .iter()
        .map(|(tag, folder)| format!("{tag}:{folder}"))
        .collect();
    let trees = crate::git::read(repository, &requests)?;
    let mut paths: Vec<(String, String)> = Vec::new();
    for ((tag, folder), tree) in folders.iter().zip(trees) {
        let Object::Tree(mut entries) = tree else {
            continue;
        };
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        paths.extend(
            entries
                .into_iter()
                .filter(|e| e.kind == EntryKind::Blob && e.name.ends_with(".sql"))
                .map(|e| (tag.clone(), format!("{folder}/{}", e.name))),
        );
    }
    let requests: Vec<String> = paths.iter().map(|(t, p)| format!("{t}:{p}")).collect();
    let blobs = crate::git::read(repository, &requests)?;
    let mut seeds: BTreeMap<String, Vec<SqlFile>> = BTreeMap::new();
    for ((tag, path), blob) in paths.into_iter().zip(blobs) {
        let Object::Blob(bytes) = blob else {
            continue;
        };
        let display = format!("{tag}:{path}");
        let text =
            String::from_utf8(bytes).with_context(|| format!("{display} is not UTF-8 text"))?;
        let source = SourceFile::new(repository.join(&path), display, text);
        seeds
            .entry(tag)
            .or_default()
            .push(SqlFile::load(source, dialect, Role::Seed));
    }
    Ok(seeds)
}

/// A seed of a release that does not apply on the schema of that release.
pub struct SeedFailedAtTag<'a> {
    pub tag: &'a str,
    pub file: &'a SqlFile,
    /// The statement the engine refused; `None` where the commit failed.
    pub statement: Option<&'a Statement>,
    pub error: StatementError,
}

impl From<SeedFailedAtTag<'_>> for Diagnostic {
    fn from(failed: SeedFailedAtTag<'_>) -> Diagnostic {
        let what = if failed.statement.is_some() {
            "this statement of the seed"
        } else {
            "the commit of the seed"
        };
        let diagnostic = Diagnostic::new(
            Code::SeedFailedAtTag,
            format!(
                "{what} as it was at {tag} failed on the schema of {tag} (applied right after \
                 the release's fresh install, in its upgrade chain): {error}",
                tag = failed.tag,
                error = failed.error
            ),
        )
        .file(failed.file.source.display.clone())
        .help(format!(
            "the seed shipped with {} never applied on that release's own schema, so the \
             upgrade from it runs without that data: released history cannot change, so nothing \
             to fix at the tag, but fix today's seed before the next release",
            failed.tag
        ));
        match failed.statement {
            Some(statement) => diagnostic.span(crate::replay::failure::error_span(
                failed.file,
                statement,
                &failed.error,
            )),
            None => diagnostic,
        }
    }
}

/// Applies the seeds of `tag`, each file in its own transaction as the service's demo mode does.
/// A seed that fails is rolled back and reported; the next ones still run.
pub(in crate::replay) fn apply<'f>(
    plan: &Plan<'_>,
    tag: &str,
    db: &mut dyn Database,
    findings: &mut Vec<Diagnostic>,
) -> Result<(), Failure<'f>> {
    let Some(seeds) = plan.data.seeds_at_tags.get(tag) else {
        return Ok(());
    };
    for file in seeds {
        if let Some((statement, error)) = super::apply_file(plan, file, db)? {
            findings.push(
                SeedFailedAtTag {
                    tag,
                    file,
                    statement,
                    error,
                }
                .into(),
            );
        }
    }
    Ok(())
}
