-- 0.10.1: usernames become case-insensitive: the plain unique index is replaced
-- by a unique expression index on lower(username).
-- validate-migrations: allow(non-idempotent-ddl) because the service applies pending migrations in one transaction: a failed upgrade rolls back whole, never half-applied
DROP INDEX idx_user_username;

-- validate-migrations: allow(unique-index-on-existing-data) because accepted: where two usernames differ only in case the upgrade fails and rolls back whole, naming the duplicate key; the administrator renames one account and restarts
CREATE UNIQUE INDEX idx_user_username_lower ON user (lower(username));
