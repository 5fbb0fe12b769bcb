-- The whole schema at version 0.10.3, for a fresh install (run in one transaction).
-- It must build exactly what the migration chain builds: same columns in the same
-- order (columns added by ALTER TABLE ... ADD COLUMN come last), same constraint and
-- index names, defaults, CHECKs and triggers.

-- user
CREATE TABLE "user" (
  id SERIAL PRIMARY KEY,
  created_ts BIGINT NOT NULL DEFAULT EXTRACT(EPOCH FROM NOW()),
  updated_ts BIGINT NOT NULL DEFAULT EXTRACT(EPOCH FROM NOW()),
  row_status TEXT NOT NULL DEFAULT 'NORMAL' CONSTRAINT user_row_status_check CHECK (row_status IN ('NORMAL', 'ARCHIVED')),
  username TEXT NOT NULL,
  role TEXT NOT NULL DEFAULT 'USER' CONSTRAINT user_role_check CHECK (role IN ('HOST', 'ADMIN', 'USER')),
  email TEXT NOT NULL DEFAULT '',
  nickname TEXT NOT NULL DEFAULT '',
  password_hash TEXT NOT NULL,
  avatar_url TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT ''
);

CREATE UNIQUE INDEX idx_user_username_lower ON "user" (lower(username));

-- user_setting
CREATE TABLE user_setting (
  user_id INTEGER NOT NULL CONSTRAINT user_setting_user_id_fkey REFERENCES "user" (id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL
);

CREATE UNIQUE INDEX idx_user_setting_user_id_key ON user_setting (user_id, key);

-- instance_setting
CREATE TABLE instance_setting (
  name TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT ''
);

-- memo
CREATE TABLE memo (
  id SERIAL PRIMARY KEY,
  creator_id INTEGER NOT NULL CONSTRAINT memo_creator_id_fkey REFERENCES "user" (id) ON DELETE CASCADE,
  created_ts BIGINT NOT NULL DEFAULT EXTRACT(EPOCH FROM NOW()),
  updated_ts BIGINT NOT NULL DEFAULT EXTRACT(EPOCH FROM NOW()),
  row_status TEXT NOT NULL DEFAULT 'NORMAL' CONSTRAINT memo_row_status_check CHECK (row_status IN ('NORMAL', 'ARCHIVED')),
  content TEXT NOT NULL DEFAULT '',
  visibility TEXT NOT NULL DEFAULT 'PRIVATE' CONSTRAINT memo_visibility_check CHECK (visibility IN ('PUBLIC', 'PROTECTED', 'PRIVATE')),
  uid TEXT NOT NULL DEFAULT '',
  pinned BOOLEAN NOT NULL DEFAULT false,
  payload JSONB NOT NULL DEFAULT '{}'
);

CREATE INDEX idx_memo_creator_id ON memo (creator_id);

CREATE UNIQUE INDEX idx_memo_uid ON memo (uid);

CREATE INDEX idx_memo_pinned ON memo (creator_id) WHERE pinned = true;

CREATE FUNCTION memo_bump_updated_ts() RETURNS TRIGGER AS $$
BEGIN
  IF NEW.updated_ts = OLD.updated_ts THEN
    NEW.updated_ts := EXTRACT(EPOCH FROM NOW());
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER trg_memo_updated_ts BEFORE UPDATE ON memo FOR EACH ROW EXECUTE FUNCTION memo_bump_updated_ts();

-- memo_relation
CREATE TABLE memo_relation (
  memo_id INTEGER NOT NULL CONSTRAINT memo_relation_memo_id_fkey REFERENCES memo (id) ON DELETE CASCADE,
  related_memo_id INTEGER NOT NULL CONSTRAINT memo_relation_related_memo_id_fkey REFERENCES memo (id) ON DELETE CASCADE,
  type TEXT NOT NULL CONSTRAINT memo_relation_type_check CHECK (type IN ('REFERENCE', 'COMMENT')),
  CONSTRAINT memo_relation_not_self_check CHECK (memo_id <> related_memo_id)
);

CREATE UNIQUE INDEX idx_memo_relation_unique ON memo_relation (memo_id, related_memo_id, type);

-- attachment
CREATE TABLE attachment (
  id SERIAL PRIMARY KEY,
  creator_id INTEGER NOT NULL CONSTRAINT attachment_creator_id_fkey REFERENCES "user" (id) ON DELETE CASCADE,
  created_ts BIGINT NOT NULL DEFAULT EXTRACT(EPOCH FROM NOW()),
  updated_ts BIGINT NOT NULL DEFAULT EXTRACT(EPOCH FROM NOW()),
  filename TEXT NOT NULL DEFAULT '',
  blob BYTEA,
  reference TEXT NOT NULL DEFAULT '',
  type TEXT NOT NULL DEFAULT '',
  size INTEGER NOT NULL DEFAULT 0,
  memo_id INTEGER CONSTRAINT attachment_memo_id_fkey REFERENCES memo (id) ON DELETE SET NULL,
  storage_type TEXT NOT NULL DEFAULT '',
  uid TEXT NOT NULL DEFAULT ''
);

CREATE INDEX idx_attachment_creator_id ON attachment (creator_id);

CREATE INDEX idx_attachment_memo_id ON attachment (memo_id);

CREATE UNIQUE INDEX idx_attachment_uid ON attachment (uid);

-- reaction
CREATE TABLE reaction (
  id SERIAL PRIMARY KEY,
  created_ts BIGINT NOT NULL DEFAULT EXTRACT(EPOCH FROM NOW()),
  creator_id INTEGER NOT NULL CONSTRAINT reaction_creator_id_fkey REFERENCES "user" (id) ON DELETE CASCADE,
  reaction_type TEXT NOT NULL,
  content_id TEXT NOT NULL DEFAULT ''
);

CREATE UNIQUE INDEX idx_reaction_content_unique ON reaction (creator_id, content_id, reaction_type);

-- webhook
CREATE TABLE webhook (
  id SERIAL PRIMARY KEY,
  created_ts BIGINT NOT NULL DEFAULT EXTRACT(EPOCH FROM NOW()),
  updated_ts BIGINT NOT NULL DEFAULT EXTRACT(EPOCH FROM NOW()),
  creator_id INTEGER NOT NULL CONSTRAINT webhook_creator_id_fkey REFERENCES "user" (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  url TEXT NOT NULL
);

CREATE INDEX idx_webhook_creator_id ON webhook (creator_id);

-- idp
CREATE TABLE idp (
  id SERIAL PRIMARY KEY,
  name TEXT NOT NULL,
  type TEXT NOT NULL CONSTRAINT idp_type_check CHECK (type IN ('OAUTH2')),
  identifier_filter TEXT NOT NULL DEFAULT '',
  config TEXT NOT NULL DEFAULT '{}',
  uid TEXT NOT NULL DEFAULT ''
);

CREATE UNIQUE INDEX idx_idp_uid ON idp (uid);

-- inbox
CREATE TABLE inbox (
  id SERIAL PRIMARY KEY,
  created_ts BIGINT NOT NULL DEFAULT EXTRACT(EPOCH FROM NOW()),
  sender_id INTEGER NOT NULL CONSTRAINT inbox_sender_id_fkey REFERENCES "user" (id) ON DELETE CASCADE,
  receiver_id INTEGER NOT NULL CONSTRAINT inbox_receiver_id_fkey REFERENCES "user" (id) ON DELETE CASCADE,
  status TEXT NOT NULL DEFAULT 'UNREAD' CONSTRAINT inbox_status_check CHECK (status IN ('UNREAD', 'ARCHIVED')),
  message TEXT NOT NULL DEFAULT '{}'
);

CREATE INDEX idx_inbox_receiver_id_unread ON inbox (receiver_id) WHERE status = 'UNREAD';

-- The schema version, as the last statement.
INSERT INTO instance_setting (name, value, description) VALUES ('BASIC', '{"schemaVersion":"0.10.3"}', 'Basic instance settings: the schema version.');
