-- 0.7.1: table rename resource -> attachment.
-- No table references resource by foreign key, so the rename rewrites nothing
-- else. SQLite has no ALTER INDEX ... RENAME: the indexes named after the old
-- table are dropped and created again under the new names (as in LATEST.sql).
ALTER TABLE resource RENAME TO attachment;

DROP INDEX idx_resource_creator_id;

DROP INDEX idx_resource_memo_id;

CREATE INDEX idx_attachment_creator_id ON attachment (creator_id);

CREATE INDEX idx_attachment_memo_id ON attachment (memo_id);
