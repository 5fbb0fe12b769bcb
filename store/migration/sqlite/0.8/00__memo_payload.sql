-- 0.8.1: memo.payload (JSON text); JSON data migration of the tags into payload.tags.
ALTER TABLE memo ADD COLUMN payload TEXT NOT NULL DEFAULT '{}';

UPDATE memo SET payload = json_set(payload, '$.tags', json(tags)) WHERE tags <> '[]';
