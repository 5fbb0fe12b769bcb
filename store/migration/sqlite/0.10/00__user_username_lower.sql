-- 0.10.1: usernames become case-insensitive: the plain unique index is replaced
-- by a unique expression index on lower(username).
DROP INDEX idx_user_username;

CREATE UNIQUE INDEX idx_user_username_lower ON user (lower(username));
