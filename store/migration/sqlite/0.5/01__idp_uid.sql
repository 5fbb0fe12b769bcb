-- 0.5.2: idp.uid is a plain column with a default plus a separate unique index
-- (not an inline UNIQUE): LATEST.sql declares it the same way.
ALTER TABLE idp ADD COLUMN uid TEXT NOT NULL DEFAULT '';

UPDATE idp SET uid = 'idp-' || CAST(id AS TEXT) WHERE uid = '';

CREATE UNIQUE INDEX idx_idp_uid ON idp (uid);
