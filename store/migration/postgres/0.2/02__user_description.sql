-- 0.2.3: added column (appended: LATEST.sql lists it last).
ALTER TABLE "user" ADD COLUMN description TEXT NOT NULL DEFAULT '';
