-- Installations of 0.7 hold memo tags as a JSON array in memo.tags: 0.8.1 moves them into
-- payload.tags, and 0.8.2 drops the column.
INSERT INTO "user" (username, password_hash) VALUES ('data_test_tagger', 'x');

INSERT INTO memo (creator_id, uid, content, tags)
SELECT id, 'data-test-tagged', 'data test: tagged memo', '["travel", "food"]'
FROM "user" WHERE username = 'data_test_tagger';

-- check: the tags moved into payload.tags
SELECT json_extract(payload, '$.tags') = '["travel","food"]' FROM memo WHERE uid = 'data-test-tagged';
