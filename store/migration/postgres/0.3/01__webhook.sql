-- 0.3.2: outgoing webhooks of a user.
CREATE TABLE webhook (
  id SERIAL PRIMARY KEY,
  created_ts BIGINT NOT NULL DEFAULT EXTRACT(EPOCH FROM NOW()),
  updated_ts BIGINT NOT NULL DEFAULT EXTRACT(EPOCH FROM NOW()),
  row_status TEXT NOT NULL DEFAULT 'NORMAL' CONSTRAINT webhook_row_status_check CHECK (row_status IN ('NORMAL', 'ARCHIVED')),
  creator_id INTEGER NOT NULL CONSTRAINT webhook_creator_id_fkey REFERENCES "user" (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  url TEXT NOT NULL
);

CREATE INDEX idx_webhook_creator_id ON webhook (creator_id);
