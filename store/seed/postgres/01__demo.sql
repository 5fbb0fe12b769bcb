-- Demo data, applied on top of a freshly installed or fully migrated database
-- (schema 0.10.3). The BASIC instance setting exists already and is not touched.
-- Rows refer to each other through unique keys (username, memo uid), never
-- through hard-coded ids, so the SERIAL sequences stay in step.
-- The password hashes are placeholders: sign-in is disabled for these accounts.

INSERT INTO "user" (username, role, email, nickname, password_hash, description) VALUES
  ('demo', 'HOST', 'demo@example.com', 'Demo', '!disabled', 'The demo host account.'),
  ('alice', 'USER', 'alice@example.com', 'Alice', '!disabled', 'Writes about plants.');

INSERT INTO user_setting (user_id, key, value)
SELECT id, 'GENERAL', '{"locale":"en","appearance":"system"}' FROM "user" WHERE username = 'demo';

INSERT INTO instance_setting (name, value, description)
VALUES ('GENERAL', '{"disallowUserRegistration":false}', 'General instance settings.');

INSERT INTO memo (uid, creator_id, content, visibility, pinned, payload)
SELECT 'demo-welcome', id, 'Welcome to the notes service! #welcome', 'PUBLIC', true, CAST('{"tags":["welcome"]}' AS JSONB)
FROM "user" WHERE username = 'demo';

INSERT INTO memo (uid, creator_id, content, visibility, pinned, payload)
SELECT 'demo-todo', id, '- [ ] water the plants', 'PRIVATE', false, CAST('{}' AS JSONB)
FROM "user" WHERE username = 'demo';

INSERT INTO memo (uid, creator_id, content, visibility, pinned, payload)
SELECT 'alice-comment', id, 'Thanks, glad to be here.', 'PROTECTED', false, CAST('{}' AS JSONB)
FROM "user" WHERE username = 'alice';

INSERT INTO memo_relation (memo_id, related_memo_id, type)
SELECT c.id, w.id, 'COMMENT'
FROM memo c, memo w
WHERE c.uid = 'alice-comment' AND w.uid = 'demo-welcome';

INSERT INTO reaction (creator_id, content_id, reaction_type)
SELECT id, 'memos/demo-welcome', 'THUMBS_UP' FROM "user" WHERE username = 'alice';

INSERT INTO attachment (uid, creator_id, filename, blob, reference, type, size, memo_id, storage_type)
SELECT 'demo-hello-txt', m.creator_id, 'hello.txt', decode('68656c6c6f20776f726c64', 'hex'), '', 'text/plain', 11, m.id, 'DATABASE'
FROM memo m WHERE m.uid = 'demo-welcome';

INSERT INTO webhook (creator_id, name, url)
SELECT id, 'Demo hook', 'https://example.com/hooks/demo' FROM "user" WHERE username = 'demo';

INSERT INTO idp (uid, name, type, identifier_filter, config)
VALUES ('demo-oauth', 'Demo OAuth', 'OAUTH2', '', '{"clientId":"demo","authUrl":"https://example.com/oauth/authorize"}');

INSERT INTO inbox (sender_id, receiver_id, status, message)
SELECT a.id, d.id, 'UNREAD', '{"type":"MEMO_COMMENT","memo":"memos/alice-comment"}'
FROM "user" a, "user" d
WHERE a.username = 'alice' AND d.username = 'demo';
