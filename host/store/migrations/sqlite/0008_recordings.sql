-- Recorded calls of an integration version (input, output and every exchange, credentials
-- redacted): the next version replays them and reports output differences (regression check).
CREATE TABLE recordings (
    id TEXT PRIMARY KEY,
    integration_id TEXT NOT NULL REFERENCES integrations(id),
    version INTEGER NOT NULL,
    action TEXT NOT NULL,
    input TEXT NOT NULL,
    output TEXT NOT NULL,
    exchanges TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX recordings_version ON recordings (integration_id, version);
