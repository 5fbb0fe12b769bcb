-- 0.2.2: column rename.
ALTER TABLE "user" RENAME COLUMN display_name TO nickname;
