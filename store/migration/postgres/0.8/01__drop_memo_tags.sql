-- 0.8.2: drop memo.tags, now in payload. The index on the column goes first:
-- SQLite fails with "error in index idx_memo_tags after drop column" otherwise.
-- validate-migrations: allow(non-idempotent-ddl) because the service applies pending migrations in one transaction: a failed upgrade rolls back whole, never half-applied
DROP INDEX idx_memo_tags;

-- validate-migrations: allow(drop-column) because the tags were copied into memo.payload by 0.8/00
-- validate-migrations: allow(non-idempotent-ddl) because the service applies pending migrations in one transaction: a failed upgrade rolls back whole, never half-applied
ALTER TABLE memo DROP COLUMN tags;
