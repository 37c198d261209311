-- A counter that every change to the rows the hot path caches moves, in the same transaction as
-- the change, whoever makes it (this server, another node, the CLI): the server compares it at
-- the start of each request and drops its cached reads when it moved (plugboard_store::cache).
CREATE TABLE cache_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    value BIGINT NOT NULL
);
INSERT INTO cache_generation (id, value) VALUES (1, 0);
CREATE FUNCTION plugboard_move_cache_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cache_generation SET value = value + 1 WHERE id = 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER organizations_moves_cache_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON organizations
    FOR EACH STATEMENT EXECUTE FUNCTION plugboard_move_cache_generation();
CREATE TRIGGER users_moves_cache_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION plugboard_move_cache_generation();
CREATE TRIGGER api_tokens_moves_cache_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON api_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION plugboard_move_cache_generation();
CREATE TRIGGER installations_moves_cache_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON installations
    FOR EACH STATEMENT EXECUTE FUNCTION plugboard_move_cache_generation();
CREATE TRIGGER configurations_moves_cache_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON configurations
    FOR EACH STATEMENT EXECUTE FUNCTION plugboard_move_cache_generation();
CREATE TRIGGER integration_versions_moves_cache_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON integration_versions
    FOR EACH STATEMENT EXECUTE FUNCTION plugboard_move_cache_generation();
