-- 0.10.3: archived webhooks are deleted, then the column (and its CHECK) goes.
DELETE FROM webhook WHERE row_status = 'ARCHIVED';

-- validate-migrations: allow(drop-column) because the archived webhooks were deleted just above: every remaining one was NORMAL, so the column holds nothing
-- validate-migrations: allow(non-idempotent-ddl) because the service applies pending migrations in one transaction: a failed upgrade rolls back whole, never half-applied
ALTER TABLE webhook DROP COLUMN row_status;
