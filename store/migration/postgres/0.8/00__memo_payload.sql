-- 0.8.1: memo.payload (JSONB); JSON data migration of the tags into payload.tags.
ALTER TABLE memo ADD COLUMN payload JSONB NOT NULL DEFAULT '{}';

UPDATE memo SET payload = jsonb_set(payload, '{tags}', CAST(tags AS JSONB)) WHERE tags <> '[]';
