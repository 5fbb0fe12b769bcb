-- 0.4.1: a public, stable memo identifier; backfilled from id, then made unique.
ALTER TABLE memo ADD COLUMN uid TEXT NOT NULL DEFAULT '';

UPDATE memo SET uid = 'memo-' || CAST(id AS TEXT) WHERE uid = '';

-- validate-migrations: allow(unique-index-on-existing-data) because every uid was backfilled from the primary key just above, so no two rows share one
CREATE UNIQUE INDEX idx_memo_uid ON memo (uid);
