-- 0.4.3: dropped column. Its index goes first (SQLite refuses to drop an indexed column;
-- the same order is kept here).
DROP INDEX idx_user_open_id;

ALTER TABLE "user" DROP COLUMN open_id;
