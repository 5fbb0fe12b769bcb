-- 0.9.1: reactions target any content by name ('memos/<uid>') instead of a memo id.
-- Add the new column (appended, as in LATEST.sql), backfill it, then drop the old
-- unique index, the old foreign key (by its explicit name) and the old column.
ALTER TABLE reaction ADD COLUMN content_id TEXT NOT NULL DEFAULT '';

-- validate-migrations: allow(update-without-where) because it backfills content_id, added just above, for every reaction
UPDATE reaction SET content_id = 'memos/' || (SELECT memo.uid FROM memo WHERE memo.id = reaction.memo_id);

-- validate-migrations: allow(non-idempotent-ddl) because the service applies pending migrations in one transaction: a failed upgrade rolls back whole, never half-applied
DROP INDEX idx_reaction_memo_unique;

-- validate-migrations: allow(non-idempotent-ddl) because the service applies pending migrations in one transaction: a failed upgrade rolls back whole, never half-applied
ALTER TABLE reaction DROP CONSTRAINT reaction_memo_id_fkey;

-- validate-migrations: allow(drop-column) because content_id, backfilled from it above, replaces it
-- validate-migrations: allow(non-idempotent-ddl) because the service applies pending migrations in one transaction: a failed upgrade rolls back whole, never half-applied
ALTER TABLE reaction DROP COLUMN memo_id;

-- validate-migrations: allow(unique-index-on-existing-data) because content_id follows memo_id one to one (memo.uid is unique), so these keys are as unique as those of idx_reaction_memo_unique were
CREATE UNIQUE INDEX idx_reaction_content_unique ON reaction (creator_id, content_id, reaction_type);
