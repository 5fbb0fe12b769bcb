-- 0.5.2: idp.uid is a plain column with a default plus a separate unique index
-- (not an inline UNIQUE): LATEST.sql declares it the same way.
ALTER TABLE idp ADD COLUMN uid TEXT NOT NULL DEFAULT '';

UPDATE idp SET uid = 'idp-' || CAST(id AS TEXT) WHERE uid = '';

-- validate-migrations: allow(unique-index-on-existing-data) because every uid was backfilled from the primary key just above, so no two rows share one
CREATE UNIQUE INDEX idx_idp_uid ON idp (uid);
