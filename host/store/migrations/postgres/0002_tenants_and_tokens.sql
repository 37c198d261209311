-- Organization mapping (an action that lists the API's tenants, and which platform
-- organization each tenant belongs to) and OAuth 2.0 token state (sealed).
CREATE TABLE tenant_sources (
    installation_id TEXT PRIMARY KEY REFERENCES installations(id),
    action_id TEXT NOT NULL,
    id_path TEXT NOT NULL,
    name_path TEXT NOT NULL,
    input_key TEXT NOT NULL
);
CREATE TABLE tenant_mappings (
    installation_id TEXT NOT NULL REFERENCES installations(id),
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    tenant_id TEXT NOT NULL,
    tenant_name TEXT NOT NULL,
    PRIMARY KEY (installation_id, organization_id)
);
CREATE TABLE oauth_tokens (
    credential_key TEXT PRIMARY KEY,
    record BYTEA NOT NULL,
    updated_at BIGINT NOT NULL
);
