-- 0.9.1: reactions target any content by name ('memos/<uid>') instead of a memo id.
--
-- Table rebuild: SQLite cannot drop memo_id, a column with a foreign key, so the
-- table is created anew, the rows copied (with content_id computed from the
-- memo), the old table dropped and the new one renamed.
-- The service runs migrations in one transaction with foreign keys ON, where
-- PRAGMA foreign_keys=off would do nothing, so this file does not try it. The
-- rebuild is safe anyway because no table references reaction by foreign key:
-- dropping it deletes no child rows and breaks no reference, and the rename
-- has no references to rewrite. (reaction itself references user, which is fine.)
-- The columns keep PostgreSQL's order: content_id, added there, comes last.
CREATE TABLE reaction_new (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  created_ts BIGINT NOT NULL DEFAULT (strftime('%s', 'now')),
  creator_id INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
  reaction_type TEXT NOT NULL,
  content_id TEXT NOT NULL DEFAULT ''
);

INSERT INTO reaction_new (id, created_ts, creator_id, reaction_type, content_id)
SELECT reaction.id, reaction.created_ts, reaction.creator_id, reaction.reaction_type, 'memos/' || memo.uid
FROM reaction
JOIN memo ON memo.id = reaction.memo_id;

-- validate-migrations: allow(drop-table) because its rows were copied into reaction_new just above, which takes its name below
-- validate-migrations: allow(non-idempotent-ddl) because the service applies pending migrations in one transaction: a failed upgrade rolls back whole, never half-applied
DROP TABLE reaction;

ALTER TABLE reaction_new RENAME TO reaction;

CREATE UNIQUE INDEX idx_reaction_content_unique ON reaction (creator_id, content_id, reaction_type);
