-- Lists answer summaries, never definitions: what they show of a definition is kept in columns
-- (written with the definition), filled here for the integrations stored before. An uploaded
-- bundle's definition holds its manifest, whose header and actions say the same. Indexes serve
-- the lists' keyset pagination.
ALTER TABLE integrations ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE integrations ADD COLUMN action_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE integrations ADD COLUMN auth_type TEXT NOT NULL DEFAULT 'none';
ALTER TABLE integrations ADD COLUMN has_icon INTEGER NOT NULL DEFAULT 0;
UPDATE integrations SET
    description = COALESCE(json_extract(definition, CASE WHEN json_type(definition, '$.manifest') IS NULL
        THEN '$.description' ELSE '$.manifest.header.description' END), ''),
    action_count = COALESCE(json_array_length(definition, CASE WHEN json_type(definition, '$.manifest') IS NULL
        THEN '$.actions' ELSE '$.manifest.actions' END), 0),
    auth_type = COALESCE(json_extract(definition, CASE WHEN json_type(definition, '$.manifest') IS NULL
        THEN '$.auth.type' ELSE '$.manifest.header.auth.type' END), 'none'),
    has_icon = json_type(definition, CASE WHEN json_type(definition, '$.manifest') IS NULL
        THEN '$.icon' ELSE '$.manifest.header.icon' END) IS 'text'
WHERE json_valid(definition);
CREATE INDEX integrations_organization_created ON integrations (organization_id, created_at, id);
CREATE INDEX installations_organization_created ON installations (organization_id, created_at, id);
CREATE INDEX tenant_mappings_installation_name ON tenant_mappings (installation_id, tenant_name, organization_id);
