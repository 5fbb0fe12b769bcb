-- 0.10.3: archived webhooks are deleted, then the column goes. Its CHECK belongs
-- to the column itself, so SQLite allows the drop (and no index uses it).
DELETE FROM webhook WHERE row_status = 'ARCHIVED';

ALTER TABLE webhook DROP COLUMN row_status;
