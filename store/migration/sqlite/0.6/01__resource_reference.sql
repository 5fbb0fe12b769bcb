-- 0.6.2: column rename plus a new column backfilled from existing data.
-- validate-migrations: allow(rename-column) because the service runs as one instance that migrates its own database at start-up: no older release is running when it changes
ALTER TABLE resource RENAME COLUMN external_link TO reference;

ALTER TABLE resource ADD COLUMN storage_type TEXT NOT NULL DEFAULT '';

UPDATE resource
SET storage_type = CASE WHEN reference <> '' THEN 'EXTERNAL' ELSE 'DATABASE' END
WHERE storage_type = '';
