-- 0.4.2: pinning moves from memo_organizer to memo.pinned.
-- Backfill from the old table (only the creator's own pin counts), then drop
-- it so upgraded installs do not keep a table fresh installs never had.
ALTER TABLE memo ADD COLUMN pinned BOOLEAN NOT NULL DEFAULT false;

UPDATE memo SET pinned = true
WHERE EXISTS (
  SELECT 1 FROM memo_organizer
  WHERE memo_organizer.memo_id = memo.id
    AND memo_organizer.user_id = memo.creator_id
    AND memo_organizer.pinned = true
);

-- validate-migrations: allow(drop-table) because its pins were copied into memo.pinned just above
-- validate-migrations: allow(non-idempotent-ddl) because the service applies pending migrations in one transaction: a failed upgrade rolls back whole, never half-applied
DROP TABLE memo_organizer;

CREATE INDEX idx_memo_pinned ON memo (creator_id) WHERE pinned = true;
