-- Lists answer summaries, never definitions: what they show of a definition is kept in columns
-- (written with the definition), filled here for the integrations stored before. An uploaded
-- bundle's definition holds its manifest, whose header and actions say the same. Indexes serve
-- the lists' keyset pagination.
ALTER TABLE integrations ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE integrations ADD COLUMN action_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE integrations ADD COLUMN auth_type TEXT NOT NULL DEFAULT 'none';
ALTER TABLE integrations ADD COLUMN has_icon BIGINT NOT NULL DEFAULT 0;
UPDATE integrations i SET
    description = COALESCE(f.header ->> 'description', ''),
    action_count = CASE WHEN jsonb_typeof(f.actions) = 'array' THEN jsonb_array_length(f.actions) ELSE 0 END,
    auth_type = COALESCE(f.header -> 'auth' ->> 'type', 'none'),
    has_icon = CASE WHEN jsonb_typeof(f.header -> 'icon') = 'string' THEN 1 ELSE 0 END
FROM (
    SELECT id,
        CASE WHEN d ? 'manifest' THEN d -> 'manifest' -> 'header' ELSE d END AS header,
        CASE WHEN d ? 'manifest' THEN d -> 'manifest' -> 'actions' ELSE d -> 'actions' END AS actions
    FROM (SELECT id, definition::jsonb AS d FROM integrations) AS parsed
    WHERE jsonb_typeof(d) = 'object'
) AS f
WHERE f.id = i.id;
CREATE INDEX integrations_organization_created ON integrations (organization_id, created_at, id);
CREATE INDEX installations_organization_created ON installations (organization_id, created_at, id);
CREATE INDEX tenant_mappings_installation_name ON tenant_mappings (installation_id, tenant_name, organization_id);
