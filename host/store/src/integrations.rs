//! Integrations: drafts, finalized versions (immutable bundles stored once by content hash,
//! with a change report), and the status (draft -> published | hidden, never back).

use sqlx::Row as _;
use sqlx::any::AnyRow;

use crate::{Error, Integration, Result, Status, Store, Version, new_id, now};

fn integration_from(row: &AnyRow) -> Result<Integration> {
    let status: String = row.try_get("status")?;
    let definition: String = row.try_get("definition")?;
    Ok(Integration {
        id: row.try_get("id")?,
        organization_id: row.try_get("organization_id")?,
        name: row.try_get("name")?,
        status: Status::parse(&status)
            .ok_or_else(|| Error::Invalid(format!("stored status `{status}` is unknown")))?,
        definition: serde_json::from_str(&definition)
            .map_err(|e| Error::Invalid(format!("stored definition: {e}")))?,
        current_version: row.try_get("current_version")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

const INTEGRATION_COLUMNS: &str =
    "id, organization_id, name, status, definition, current_version, created_at, updated_at";

impl Store {
    /// Creates a draft integration.
    pub async fn create_integration(
        &self,
        organization: &str,
        name: &str,
        definition: &serde_json::Value,
    ) -> Result<Integration> {
        self.organization(organization).await?;
        let id = new_id("int")?;
        let at = now();
        sqlx::query(
            "INSERT INTO integrations (id, organization_id, name, status, definition, \
             current_version, created_at, updated_at) VALUES ($1, $2, $3, 'draft', $4, NULL, $5, $5)",
        )
        .bind(&id)
        .bind(organization)
        .bind(name)
        .bind(definition.to_string())
        .bind(at)
        .execute(&self.pool)
        .await?;
        self.integration(&id).await
    }

    /// One integration.
    pub async fn integration(&self, id: &str) -> Result<Integration> {
        let row = sqlx::query(&format!(
            "SELECT {INTEGRATION_COLUMNS} FROM integrations WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| Error::NotFound(format!("integration `{id}`")))?;
        integration_from(&row)
    }

    /// The integrations an organization owns.
    pub async fn integrations(&self, organization: &str) -> Result<Vec<Integration>> {
        let rows = sqlx::query(&format!(
            "SELECT {INTEGRATION_COLUMNS} FROM integrations WHERE organization_id = $1 \
             ORDER BY created_at, id"
        ))
        .bind(organization)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(integration_from).collect()
    }

    /// Replaces a draft's definition; a finalized integration is refused.
    pub async fn update_draft(
        &self,
        id: &str,
        name: &str,
        definition: &serde_json::Value,
    ) -> Result<Integration> {
        let done = sqlx::query(
            "UPDATE integrations SET name = $1, definition = $2, updated_at = $3 \
             WHERE id = $4 AND status = 'draft'",
        )
        .bind(name)
        .bind(definition.to_string())
        .bind(now())
        .bind(id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            let current = self.integration(id).await?;
            return Err(Error::Conflict(format!(
                "integration `{id}` is {}: a finalized integration is not edited; finalize a new version instead",
                current.status.as_str()
            )));
        }
        self.integration(id).await
    }

    /// Finalizes: stores the bundle (once per content hash), adds the next immutable version
    /// with its change report, and sets the status (published or hidden), in one transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn finalize(
        &self,
        id: &str,
        name: &str,
        definition: &serde_json::Value,
        component: &[u8],
        bundle_hash: &str,
        status: Status,
        change_report: &serde_json::Value,
    ) -> Result<Version> {
        if status == Status::Draft {
            return Err(Error::Invalid(
                "finalize publishes or hides; it never makes a draft".into(),
            ));
        }
        let at = now();
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query("SELECT current_version FROM integrations WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| Error::NotFound(format!("integration `{id}`")))?;
        let current: Option<i64> = row.try_get("current_version")?;
        let version = current.unwrap_or(0) + 1;
        sqlx::query(
            "INSERT INTO bundles (hash, component, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (hash) DO NOTHING",
        )
        .bind(bundle_hash)
        .bind(component)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO integration_versions (integration_id, version, definition, bundle_hash, \
             change_report, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(version)
        .bind(definition.to_string())
        .bind(bundle_hash)
        .bind(change_report.to_string())
        .bind(at)
        .execute(&mut *tx)
        .await?;
        // The version check makes two concurrent finalizes conflict instead of both winning.
        let done = sqlx::query(
            "UPDATE integrations SET status = $1, name = $2, definition = $3, \
             current_version = $4, updated_at = $5 WHERE id = $6 AND \
             (current_version = $7 OR (current_version IS NULL AND $7 = 0))",
        )
        .bind(status.as_str())
        .bind(name)
        .bind(definition.to_string())
        .bind(version)
        .bind(at)
        .bind(id)
        .bind(current.unwrap_or(0))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(Error::Conflict(format!(
                "integration `{id}` was finalized by someone else meanwhile; try again"
            )));
        }
        tx.commit().await?;
        Ok(Version {
            integration_id: id.to_string(),
            version,
            bundle_hash: bundle_hash.to_string(),
            change_report: change_report.clone(),
            created_at: at,
        })
    }

    /// Publishes or hides a finalized integration (never back to draft).
    pub async fn set_status(&self, id: &str, status: Status) -> Result<Integration> {
        if status == Status::Draft {
            return Err(Error::Invalid(
                "an integration never goes back to draft".into(),
            ));
        }
        let done = sqlx::query(
            "UPDATE integrations SET status = $1, updated_at = $2 WHERE id = $3 AND status <> 'draft'",
        )
        .bind(status.as_str())
        .bind(now())
        .bind(id)
        .execute(&mut *self.pool.acquire().await?)
        .await?;
        if done.rows_affected() == 0 {
            self.integration(id).await?;
            return Err(Error::Conflict(format!(
                "integration `{id}` is a draft: finalize it first"
            )));
        }
        self.integration(id).await
    }

    /// A finalized version with its definition.
    pub async fn version(&self, id: &str, version: i64) -> Result<(Version, serde_json::Value)> {
        let row = sqlx::query(
            "SELECT version, definition, bundle_hash, change_report, created_at \
             FROM integration_versions WHERE integration_id = $1 AND version = $2",
        )
        .bind(id)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| Error::NotFound(format!("version {version} of integration `{id}`")))?;
        let parse = |column: &str| -> Result<serde_json::Value> {
            let text: String = row.try_get(column)?;
            serde_json::from_str(&text).map_err(|e| Error::Invalid(format!("stored {column}: {e}")))
        };
        Ok((
            Version {
                integration_id: id.to_string(),
                version: row.try_get("version")?,
                bundle_hash: row.try_get("bundle_hash")?,
                change_report: parse("change_report")?,
                created_at: row.try_get("created_at")?,
            },
            parse("definition")?,
        ))
    }

    /// A stored component by its hash.
    pub async fn bundle(&self, hash: &str) -> Result<Vec<u8>> {
        let row = sqlx::query("SELECT component FROM bundles WHERE hash = $1")
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| Error::NotFound(format!("bundle `{hash}`")))?;
        Ok(row.try_get("component")?)
    }
}
