-- 0.5.3: memo tags as a JSON array in a TEXT column; moved into memo.payload in 0.8.
ALTER TABLE memo ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';

CREATE INDEX idx_memo_tags ON memo (tags);
