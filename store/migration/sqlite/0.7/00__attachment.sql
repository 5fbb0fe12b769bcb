-- 0.7.1: table rename resource -> attachment.
-- No table references resource by foreign key, so the rename rewrites nothing
-- else. SQLite has no ALTER INDEX ... RENAME: the indexes named after the old
-- table are dropped and created again under the new names (as in LATEST.sql).
-- validate-migrations: allow(rename-table) because the service runs as one instance that migrates its own database at start-up: no older release is running when it changes
ALTER TABLE resource RENAME TO attachment;

-- validate-migrations: allow(non-idempotent-ddl) because the service applies pending migrations in one transaction: a failed upgrade rolls back whole, never half-applied
DROP INDEX idx_resource_creator_id;

-- validate-migrations: allow(non-idempotent-ddl) because the service applies pending migrations in one transaction: a failed upgrade rolls back whole, never half-applied
DROP INDEX idx_resource_memo_id;

CREATE INDEX idx_attachment_creator_id ON attachment (creator_id);

CREATE INDEX idx_attachment_memo_id ON attachment (memo_id);
