-- API tokens get an id (derived from the hash, so existing tokens get one too) and a name, to
-- be listed, revoked and rotated; a version can be retired (kept for its history, never run);
-- a configuration can override the integration's auth settings (non-secret JSON).
ALTER TABLE api_tokens ADD COLUMN id TEXT;
ALTER TABLE api_tokens ADD COLUMN name TEXT NOT NULL DEFAULT '';
UPDATE api_tokens SET id = 'tok_' || substr(token_hash, 1, 16);
CREATE UNIQUE INDEX api_tokens_id ON api_tokens (id);
ALTER TABLE integration_versions ADD COLUMN retired_at INTEGER;
ALTER TABLE configurations ADD COLUMN auth TEXT NOT NULL DEFAULT '{}';
