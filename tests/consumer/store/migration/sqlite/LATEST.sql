CREATE TABLE instance_setting (
  name TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT ''
);

CREATE TABLE bookmark (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  url TEXT NOT NULL,
  title TEXT NOT NULL DEFAULT ''
);

INSERT INTO instance_setting (name, value, description) VALUES ('BASIC', '{"schemaVersion":"0.1.2"}', 'Basic instance setting');
