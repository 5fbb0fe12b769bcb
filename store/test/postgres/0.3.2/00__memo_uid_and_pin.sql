-- Installations of 0.3 hold memos without a uid, pinned through memo_organizer: the 0.4
-- migrations backfill memo.uid from the id and move the creator's own pin into memo.pinned.
INSERT INTO "user" (username, password_hash) VALUES ('data_test_pinner', 'x');

INSERT INTO memo (creator_id, content)
SELECT id, 'data test: pinned memo' FROM "user" WHERE username = 'data_test_pinner';

INSERT INTO memo_organizer (memo_id, user_id, pinned)
SELECT id, creator_id, true FROM memo WHERE content = 'data test: pinned memo';

-- check: the uid is backfilled from the id
SELECT uid = 'memo-' || CAST(id AS TEXT) FROM memo WHERE content = 'data test: pinned memo';

-- check: the creator's own pin moved into memo.pinned
SELECT pinned = true FROM memo WHERE content = 'data test: pinned memo';
