-- 0.4.3: dropped column. SQLite refuses to drop an indexed column, so its index goes first.
DROP INDEX idx_user_open_id;

ALTER TABLE user DROP COLUMN open_id;
