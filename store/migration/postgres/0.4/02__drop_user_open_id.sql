-- 0.4.3: dropped column. Its index goes first (SQLite refuses to drop an indexed column;
-- the same order is kept here).
-- validate-migrations: allow(non-idempotent-ddl) because the service applies pending migrations in one transaction: a failed upgrade rolls back whole, never half-applied
DROP INDEX idx_user_open_id;

-- validate-migrations: allow(drop-column) because the service no longer reads or writes open_id, and its values are discarded on purpose
-- validate-migrations: allow(non-idempotent-ddl) because the service applies pending migrations in one transaction: a failed upgrade rolls back whole, never half-applied
ALTER TABLE "user" DROP COLUMN open_id;
