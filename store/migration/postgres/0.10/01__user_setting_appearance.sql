-- 0.10.2: JSON data migration: the GENERAL user setting's "theme" key becomes "appearance".
UPDATE user_setting
SET value = CAST(jsonb_set(CAST(value AS JSONB), '{appearance}', CAST(value AS JSONB) -> 'theme') - 'theme' AS TEXT)
WHERE key = 'GENERAL' AND CAST(value AS JSONB) -> 'theme' IS NOT NULL;
