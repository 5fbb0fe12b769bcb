-- 0.10.3: archived webhooks are deleted, then the column (and its CHECK) goes.
DELETE FROM webhook WHERE row_status = 'ARCHIVED';

ALTER TABLE webhook DROP COLUMN row_status;
