-- 0.2.1: links between memos (references and comments).
CREATE TABLE memo_relation (
  memo_id INTEGER NOT NULL REFERENCES memo (id) ON DELETE CASCADE,
  related_memo_id INTEGER NOT NULL REFERENCES memo (id) ON DELETE CASCADE,
  type TEXT NOT NULL CONSTRAINT memo_relation_type_check CHECK (type IN ('REFERENCE', 'COMMENT')),
  CONSTRAINT memo_relation_not_self_check CHECK (memo_id <> related_memo_id)
);

CREATE UNIQUE INDEX idx_memo_relation_unique ON memo_relation (memo_id, related_memo_id, type);
