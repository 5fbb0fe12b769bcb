-- 0.10.3: archived webhooks are deleted, then the column goes. Its CHECK belongs
-- to the column itself, so SQLite allows the drop (and no index uses it).
DELETE FROM webhook WHERE row_status = 'ARCHIVED';

-- validate-migrations: allow(drop-column) because the archived webhooks were deleted just above: every remaining one was NORMAL, so the column holds nothing
ALTER TABLE webhook DROP COLUMN row_status;
