-- 0.7.2: attachment uid, backfilled from id, then made unique.
ALTER TABLE attachment ADD COLUMN uid TEXT NOT NULL DEFAULT '';

UPDATE attachment SET uid = 'attachment-' || CAST(id AS TEXT) WHERE uid = '';

-- validate-migrations: allow(unique-index-on-existing-data) because every uid was backfilled from the primary key just above, so no two rows share one
CREATE UNIQUE INDEX idx_attachment_uid ON attachment (uid);
