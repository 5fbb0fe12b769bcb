-- 0.2.2: column rename.
-- validate-migrations: allow(rename-column) because the service runs as one instance that migrates its own database at start-up: no older release is running when it changes
ALTER TABLE "user" RENAME COLUMN display_name TO nickname;
