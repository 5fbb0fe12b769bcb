-- 0.10.2: JSON data migration: the GENERAL user setting's "theme" key becomes "appearance".
UPDATE user_setting
SET value = json_remove(json_set(value, '$.appearance', json_extract(value, '$.theme')), '$.theme')
WHERE key = 'GENERAL' AND json_extract(value, '$.theme') IS NOT NULL;
