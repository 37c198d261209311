-- One default configuration per installation, a once-only bootstrap, and lookup indexes.
CREATE UNIQUE INDEX configurations_one_default ON configurations (installation_id)
    WHERE is_default = 1;
CREATE TABLE bootstrap (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at INTEGER NOT NULL
);
CREATE INDEX installations_integration ON installations (integration_id);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
