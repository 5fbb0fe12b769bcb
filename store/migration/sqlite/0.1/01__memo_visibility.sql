-- 0.1.2: memo visibility, with a CHECK on the allowed values.
ALTER TABLE memo ADD COLUMN visibility TEXT NOT NULL DEFAULT 'PRIVATE' CONSTRAINT memo_visibility_check CHECK (visibility IN ('PUBLIC', 'PROTECTED', 'PRIVATE'));
