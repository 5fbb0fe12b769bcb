-- 0.9.2: bump memo.updated_ts on every update that does not set it itself.
CREATE FUNCTION memo_bump_updated_ts() RETURNS TRIGGER AS $$
BEGIN
  IF NEW.updated_ts = OLD.updated_ts THEN
    NEW.updated_ts := EXTRACT(EPOCH FROM NOW());
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER trg_memo_updated_ts BEFORE UPDATE ON memo FOR EACH ROW EXECUTE FUNCTION memo_bump_updated_ts();
