-- 0.4.1: a public, stable memo identifier; backfilled from id, then made unique.
ALTER TABLE memo ADD COLUMN uid TEXT NOT NULL DEFAULT '';

UPDATE memo SET uid = 'memo-' || CAST(id AS TEXT) WHERE uid = '';

CREATE UNIQUE INDEX idx_memo_uid ON memo (uid);
