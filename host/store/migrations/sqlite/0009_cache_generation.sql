-- A counter that every change to the rows the hot path caches moves, in the same transaction as
-- the change, whoever makes it (this server, another node, the CLI): the server compares it at
-- the start of each request and drops its cached reads when it moved (plugboard_store::cache).
CREATE TABLE cache_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);
INSERT INTO cache_generation (id, value) VALUES (1, 0);
CREATE TRIGGER organizations_insert_moves_cache_generation AFTER INSERT ON organizations
BEGIN UPDATE cache_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER organizations_update_moves_cache_generation AFTER UPDATE ON organizations
BEGIN UPDATE cache_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER organizations_delete_moves_cache_generation AFTER DELETE ON organizations
BEGIN UPDATE cache_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER users_insert_moves_cache_generation AFTER INSERT ON users
BEGIN UPDATE cache_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER users_update_moves_cache_generation AFTER UPDATE ON users
BEGIN UPDATE cache_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER users_delete_moves_cache_generation AFTER DELETE ON users
BEGIN UPDATE cache_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER api_tokens_insert_moves_cache_generation AFTER INSERT ON api_tokens
BEGIN UPDATE cache_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER api_tokens_update_moves_cache_generation AFTER UPDATE ON api_tokens
BEGIN UPDATE cache_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER api_tokens_delete_moves_cache_generation AFTER DELETE ON api_tokens
BEGIN UPDATE cache_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER installations_insert_moves_cache_generation AFTER INSERT ON installations
BEGIN UPDATE cache_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER installations_update_moves_cache_generation AFTER UPDATE ON installations
BEGIN UPDATE cache_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER installations_delete_moves_cache_generation AFTER DELETE ON installations
BEGIN UPDATE cache_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER configurations_insert_moves_cache_generation AFTER INSERT ON configurations
BEGIN UPDATE cache_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER configurations_update_moves_cache_generation AFTER UPDATE ON configurations
BEGIN UPDATE cache_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER configurations_delete_moves_cache_generation AFTER DELETE ON configurations
BEGIN UPDATE cache_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER integration_versions_insert_moves_cache_generation AFTER INSERT ON integration_versions
BEGIN UPDATE cache_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER integration_versions_update_moves_cache_generation AFTER UPDATE ON integration_versions
BEGIN UPDATE cache_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER integration_versions_delete_moves_cache_generation AFTER DELETE ON integration_versions
BEGIN UPDATE cache_generation SET value = value + 1 WHERE id = 1; END;
