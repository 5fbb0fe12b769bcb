-- 0.9.1: reactions target any content by name ('memos/<uid>') instead of a memo id.
-- Add the new column (appended, as in LATEST.sql), backfill it, then drop the old
-- unique index, the old foreign key (by its explicit name) and the old column.
ALTER TABLE reaction ADD COLUMN content_id TEXT NOT NULL DEFAULT '';

UPDATE reaction SET content_id = 'memos/' || (SELECT memo.uid FROM memo WHERE memo.id = reaction.memo_id);

DROP INDEX idx_reaction_memo_unique;

ALTER TABLE reaction DROP CONSTRAINT reaction_memo_id_fkey;

ALTER TABLE reaction DROP COLUMN memo_id;

CREATE UNIQUE INDEX idx_reaction_content_unique ON reaction (creator_id, content_id, reaction_type);
