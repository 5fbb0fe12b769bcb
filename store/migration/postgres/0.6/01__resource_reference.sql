-- 0.6.2: column rename plus a new column backfilled from existing data.
ALTER TABLE resource RENAME COLUMN external_link TO reference;

ALTER TABLE resource ADD COLUMN storage_type TEXT NOT NULL DEFAULT '';

UPDATE resource
SET storage_type = CASE WHEN reference <> '' THEN 'EXTERNAL' ELSE 'DATABASE' END
WHERE storage_type = '';
