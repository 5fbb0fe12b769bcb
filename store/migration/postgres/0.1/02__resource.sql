-- 0.1.3: uploaded files. The table is renamed to attachment in 0.7/00, so its
-- foreign keys are named explicitly here and renamed there.
CREATE TABLE resource (
  id SERIAL PRIMARY KEY,
  creator_id INTEGER NOT NULL CONSTRAINT resource_creator_id_fkey REFERENCES "user" (id) ON DELETE CASCADE,
  created_ts BIGINT NOT NULL DEFAULT EXTRACT(EPOCH FROM NOW()),
  updated_ts BIGINT NOT NULL DEFAULT EXTRACT(EPOCH FROM NOW()),
  filename TEXT NOT NULL DEFAULT '',
  blob BYTEA,
  external_link TEXT NOT NULL DEFAULT '',
  type TEXT NOT NULL DEFAULT '',
  size INTEGER NOT NULL DEFAULT 0,
  memo_id INTEGER CONSTRAINT resource_memo_id_fkey REFERENCES memo (id) ON DELETE SET NULL
);

CREATE INDEX idx_resource_creator_id ON resource (creator_id);

CREATE INDEX idx_resource_memo_id ON resource (memo_id);
