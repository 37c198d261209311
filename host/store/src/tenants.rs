//! Organization mapping: which action lists the API's tenants (and the JSONPaths of their id
//! and name), and which platform organization each tenant is.

use sqlx::Row as _;

use crate::{Error, Page, PageRequest, Result, Store};

/// Where an installation's tenants come from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TenantSource {
    /// The action that lists the tenants.
    pub action_id: String,
    /// JSONPath (RFC 9535) of the tenant ids in its output.
    pub id_path: String,
    /// JSONPath of the tenant names, in the same order.
    pub name_path: String,
    /// The input key that carries the tenant id when invoking for an organization.
    pub input_key: String,
}

/// A tenant mapped to a platform organization.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TenantMapping {
    /// The platform organization.
    pub organization_id: String,
    /// The API's tenant id.
    pub tenant_id: String,
    /// The API's tenant name.
    pub tenant_name: String,
}

fn mapping_from(row: &sqlx::any::AnyRow) -> Result<TenantMapping> {
    Ok(TenantMapping {
        organization_id: row.try_get("organization_id")?,
        tenant_id: row.try_get("tenant_id")?,
        tenant_name: row.try_get("tenant_name")?,
    })
}

impl Store {
    /// Sets where an installation's tenants come from.
    pub async fn set_tenant_source(&self, installation: &str, source: &TenantSource) -> Result<()> {
        self.installation(installation).await?;
        sqlx::query(
            "INSERT INTO tenant_sources (installation_id, action_id, id_path, name_path, input_key) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (installation_id) DO UPDATE SET \
             action_id = excluded.action_id, id_path = excluded.id_path, \
             name_path = excluded.name_path, input_key = excluded.input_key",
        )
        .bind(installation)
        .bind(&source.action_id)
        .bind(&source.id_path)
        .bind(&source.name_path)
        .bind(&source.input_key)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Where an installation's tenants come from.
    pub async fn tenant_source(&self, installation: &str) -> Result<TenantSource> {
        let row = sqlx::query(
            "SELECT action_id, id_path, name_path, input_key FROM tenant_sources \
             WHERE installation_id = $1",
        )
        .bind(installation)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| {
            Error::NotFound(format!("tenant source of installation `{installation}`"))
        })?;
        Ok(TenantSource {
            action_id: row.try_get("action_id")?,
            id_path: row.try_get("id_path")?,
            name_path: row.try_get("name_path")?,
            input_key: row.try_get("input_key")?,
        })
    }

    /// Maps a tenant to an organization (replacing that organization's earlier mapping).
    pub async fn map_tenant(&self, installation: &str, mapping: &TenantMapping) -> Result<()> {
        self.organization(&mapping.organization_id).await?;
        sqlx::query(
            "INSERT INTO tenant_mappings (installation_id, organization_id, tenant_id, tenant_name) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (installation_id, organization_id) DO UPDATE \
             SET tenant_id = excluded.tenant_id, tenant_name = excluded.tenant_name",
        )
        .bind(installation)
        .bind(&mapping.organization_id)
        .bind(&mapping.tenant_id)
        .bind(&mapping.tenant_name)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The mappings of an installation.
    pub async fn tenant_mappings(&self, installation: &str) -> Result<Vec<TenantMapping>> {
        let rows = sqlx::query(
            "SELECT organization_id, tenant_id, tenant_name FROM tenant_mappings \
             WHERE installation_id = $1 ORDER BY tenant_name, organization_id",
        )
        .bind(installation)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(mapping_from).collect()
    }

    /// A page of [`Store::tenant_mappings`] (keyset: tenant name, organization).
    pub async fn tenant_mappings_page(
        &self,
        installation: &str,
        page: &PageRequest,
    ) -> Result<Page<TenantMapping>> {
        let after: Option<(String, String)> = page.after("tenants")?;
        let keyset = if after.is_some() {
            "AND (tenant_name, organization_id) > ($3, $4)"
        } else {
            ""
        };
        let sql = format!(
            "SELECT organization_id, tenant_id, tenant_name FROM tenant_mappings \
             WHERE installation_id = $1 {keyset} ORDER BY tenant_name, organization_id LIMIT $2"
        );
        let mut query = sqlx::query(&sql).bind(installation).bind(page.fetch());
        if let Some((name, organization)) = after {
            query = query.bind(name).bind(organization);
        }
        let rows = query.fetch_all(&self.pool).await?;
        let items = rows.iter().map(mapping_from).collect::<Result<_>>()?;
        page.page(items, "tenants", |m: &TenantMapping| {
            (m.tenant_name.clone(), m.organization_id.clone())
        })
    }

    /// The tenant an organization is mapped to in an installation.
    pub async fn tenant_of(
        &self,
        installation: &str,
        organization: &str,
    ) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT tenant_id FROM tenant_mappings WHERE installation_id = $1 AND organization_id = $2",
        )
        .bind(installation)
        .bind(organization)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(row) => Some(row.try_get("tenant_id")?),
            None => None,
        })
    }
}
