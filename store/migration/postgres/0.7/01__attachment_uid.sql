-- 0.7.2: attachment uid, backfilled from id, then made unique.
ALTER TABLE attachment ADD COLUMN uid TEXT NOT NULL DEFAULT '';

UPDATE attachment SET uid = 'attachment-' || CAST(id AS TEXT) WHERE uid = '';

CREATE UNIQUE INDEX idx_attachment_uid ON attachment (uid);
