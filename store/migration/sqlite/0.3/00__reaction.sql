-- 0.3.1: emoji reactions on memos. memo_id is replaced by content_id in 0.9/00.
CREATE TABLE reaction (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  created_ts BIGINT NOT NULL DEFAULT (strftime('%s', 'now')),
  creator_id INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
  memo_id INTEGER NOT NULL REFERENCES memo (id) ON DELETE CASCADE,
  reaction_type TEXT NOT NULL
);

CREATE UNIQUE INDEX idx_reaction_memo_unique ON reaction (creator_id, memo_id, reaction_type);
