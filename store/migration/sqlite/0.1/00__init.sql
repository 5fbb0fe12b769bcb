-- 0.1.1: the initial schema, created from an empty database.
-- CHECK constraints carry the same names as in PostgreSQL; foreign keys are left
-- unnamed (SQLite never shows their names, and a table rename would keep stale ones).

CREATE TABLE user (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  created_ts BIGINT NOT NULL DEFAULT (strftime('%s', 'now')),
  updated_ts BIGINT NOT NULL DEFAULT (strftime('%s', 'now')),
  row_status TEXT NOT NULL DEFAULT 'NORMAL' CONSTRAINT user_row_status_check CHECK (row_status IN ('NORMAL', 'ARCHIVED')),
  username TEXT NOT NULL,
  role TEXT NOT NULL DEFAULT 'USER' CONSTRAINT user_role_check CHECK (role IN ('HOST', 'ADMIN', 'USER')),
  email TEXT NOT NULL DEFAULT '',
  display_name TEXT NOT NULL DEFAULT '',
  password_hash TEXT NOT NULL,
  open_id TEXT,
  avatar_url TEXT NOT NULL DEFAULT ''
);

CREATE UNIQUE INDEX idx_user_username ON user (username);

CREATE UNIQUE INDEX idx_user_open_id ON user (open_id);

CREATE TABLE user_setting (
  user_id INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL
);

CREATE UNIQUE INDEX idx_user_setting_user_id_key ON user_setting (user_id, key);

CREATE TABLE instance_setting (
  name TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT ''
);

CREATE TABLE memo (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  creator_id INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
  created_ts BIGINT NOT NULL DEFAULT (strftime('%s', 'now')),
  updated_ts BIGINT NOT NULL DEFAULT (strftime('%s', 'now')),
  row_status TEXT NOT NULL DEFAULT 'NORMAL' CONSTRAINT memo_row_status_check CHECK (row_status IN ('NORMAL', 'ARCHIVED')),
  content TEXT NOT NULL DEFAULT ''
);

CREATE INDEX idx_memo_creator_id ON memo (creator_id);

-- Per-user pin flags; replaced by memo.pinned in 0.4/01.
CREATE TABLE memo_organizer (
  memo_id INTEGER NOT NULL REFERENCES memo (id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
  pinned INTEGER NOT NULL DEFAULT 0 CONSTRAINT memo_organizer_pinned_check CHECK (pinned IN (0, 1))
);

CREATE UNIQUE INDEX idx_memo_organizer_memo_id_user_id ON memo_organizer (memo_id, user_id);
