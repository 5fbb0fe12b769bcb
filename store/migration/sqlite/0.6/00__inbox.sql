-- 0.6.1: per-user notifications, with a partial index on the unread ones.
CREATE TABLE inbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  created_ts BIGINT NOT NULL DEFAULT (strftime('%s', 'now')),
  sender_id INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
  receiver_id INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
  status TEXT NOT NULL DEFAULT 'UNREAD' CONSTRAINT inbox_status_check CHECK (status IN ('UNREAD', 'ARCHIVED')),
  message TEXT NOT NULL DEFAULT '{}'
);

CREATE INDEX idx_inbox_receiver_id_unread ON inbox (receiver_id) WHERE status = 'UNREAD';
