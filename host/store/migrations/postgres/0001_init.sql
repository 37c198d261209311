-- Plugboard platform schema, version 1 (PostgreSQL).
CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    parent_id TEXT REFERENCES organizations(id),
    custom_integrations BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    created_at BIGINT NOT NULL
);
CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE TABLE integrations (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'published', 'hidden')),
    definition TEXT NOT NULL,
    current_version BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE bundles (
    hash TEXT PRIMARY KEY,
    component BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE integration_versions (
    integration_id TEXT NOT NULL REFERENCES integrations(id),
    version BIGINT NOT NULL,
    definition TEXT NOT NULL,
    bundle_hash TEXT NOT NULL REFERENCES bundles(hash),
    change_report TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (integration_id, version)
);
CREATE TABLE installations (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    integration_id TEXT NOT NULL REFERENCES integrations(id),
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE configurations (
    installation_id TEXT NOT NULL REFERENCES installations(id),
    name TEXT NOT NULL,
    is_default BIGINT NOT NULL,
    config TEXT NOT NULL,
    credentials BYTEA NOT NULL,
    PRIMARY KEY (installation_id, name)
);
CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    organization_id TEXT,
    user_id TEXT,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX users_organization ON users (organization_id);
CREATE INDEX integrations_organization ON integrations (organization_id);
CREATE INDEX installations_organization ON installations (organization_id);
CREATE INDEX audit_log_organization ON audit_log (organization_id, id);
