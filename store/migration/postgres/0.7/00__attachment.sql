-- 0.7.1: table rename resource -> attachment.
-- PostgreSQL keeps the names it derived from the old table name (primary key
-- index, SERIAL sequence), and our named constraints and indexes keep theirs:
-- rename all of them so upgraded databases match a fresh LATEST.sql exactly.
-- validate-migrations: allow(rename-table) because the service runs as one instance that migrates its own database at start-up: no older release is running when it changes
ALTER TABLE resource RENAME TO attachment;

ALTER INDEX resource_pkey RENAME TO attachment_pkey;

-- ALTER TABLE on a sequence is PostgreSQL's documented equivalent of
-- ALTER SEQUENCE ... RENAME TO (which the sqlparser crate cannot parse).
-- validate-migrations: allow(rename-table) because resource_id_seq is the table's SERIAL sequence, not a table, renamed so that upgraded and fresh installs share its name
ALTER TABLE resource_id_seq RENAME TO attachment_id_seq;

ALTER TABLE attachment RENAME CONSTRAINT resource_creator_id_fkey TO attachment_creator_id_fkey;

ALTER TABLE attachment RENAME CONSTRAINT resource_memo_id_fkey TO attachment_memo_id_fkey;

ALTER INDEX idx_resource_creator_id RENAME TO idx_attachment_creator_id;

ALTER INDEX idx_resource_memo_id RENAME TO idx_attachment_memo_id;
