-- The first migration starts from an empty database.
CREATE TABLE instance_setting (
  name TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT ''
);

CREATE TABLE bookmark (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  url TEXT NOT NULL
);
