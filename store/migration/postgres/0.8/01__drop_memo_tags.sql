-- 0.8.2: drop memo.tags, now in payload. The index on the column goes first:
-- SQLite fails with "error in index idx_memo_tags after drop column" otherwise.
DROP INDEX idx_memo_tags;

ALTER TABLE memo DROP COLUMN tags;
