-- 0.3.1: emoji reactions on memos. memo_id is replaced by content_id in 0.9/00.
CREATE TABLE reaction (
  id SERIAL PRIMARY KEY,
  created_ts BIGINT NOT NULL DEFAULT EXTRACT(EPOCH FROM NOW()),
  creator_id INTEGER NOT NULL CONSTRAINT reaction_creator_id_fkey REFERENCES "user" (id) ON DELETE CASCADE,
  memo_id INTEGER NOT NULL CONSTRAINT reaction_memo_id_fkey REFERENCES memo (id) ON DELETE CASCADE,
  reaction_type TEXT NOT NULL
);

CREATE UNIQUE INDEX idx_reaction_memo_unique ON reaction (creator_id, memo_id, reaction_type);
