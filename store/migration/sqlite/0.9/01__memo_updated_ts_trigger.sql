-- 0.9.2: bump memo.updated_ts on every update that does not set it itself.
-- (recursive_triggers is off by default, and the WHEN clause stops a second round anyway.)
CREATE TRIGGER trg_memo_updated_ts AFTER UPDATE ON memo FOR EACH ROW
WHEN NEW.updated_ts = OLD.updated_ts
BEGIN
  UPDATE memo SET updated_ts = CAST(strftime('%s', 'now') AS INTEGER) WHERE id = NEW.id;
END;
