//! Integrations: drafts, finalized versions (immutable bundles stored once by content hash,
//! with a change report), and the status (draft -> published | hidden, never back).

use sqlx::Row as _;
use sqlx::any::AnyRow;

use crate::{
    Error, Integration, IntegrationSummary, Page, PageRequest, Result, Status, Store, Version,
    new_id, now,
};

/// What a finalize stores.
#[derive(Debug, Clone, Copy)]
pub struct NewVersion<'a> {
    /// The integration's name.
    pub name: &'a str,
    /// The definition (JSON).
    pub definition: &'a serde_json::Value,
    /// The component.
    pub component: &'a [u8],
    /// SHA-256 of the component, hex.
    pub bundle_hash: &'a str,
    /// Digest of the component's manifest section as reviewed (it pins what the bundle may do).
    pub manifest_digest: &'a str,
    /// Published or hidden.
    pub status: Status,
    /// What changed since the previous version.
    pub change_report: &'a serde_json::Value,
}

/// The JSON text to store for `value`, once it is known to read back: what the store writes it
/// can always read (a value nested deeper than the reader takes is refused here, before the
/// write, not discovered by every later read).
fn storable(value: &serde_json::Value, what: &str) -> Result<String> {
    let text = value.to_string();
    serde_json::from_str::<serde_json::Value>(&text).map_err(|e| {
        Error::Invalid(format!(
            "the {what} cannot be stored: it would not read back ({e}); it is probably nested too deeply"
        ))
    })?;
    Ok(text)
}

fn integration_from(row: &AnyRow) -> Result<Integration> {
    let status: String = row.try_get("status")?;
    let definition: String = row.try_get("definition")?;
    let id: String = row.try_get("id")?;
    // One unreadable row (stored before writes were checked) must not fail a whole list.
    let (definition, definition_error) = match serde_json::from_str(&definition) {
        Ok(value) => (value, None),
        Err(e) => {
            tracing::error!(integration = %id, "stored definition does not read back: {e}");
            (
                serde_json::Value::Null,
                Some(format!("the stored definition does not read back: {e}")),
            )
        }
    };
    Ok(Integration {
        id,
        organization_id: row.try_get("organization_id")?,
        name: row.try_get("name")?,
        status: Status::parse(&status)
            .ok_or_else(|| Error::Invalid(format!("stored status `{status}` is unknown")))?,
        definition,
        definition_error,
        current_version: row.try_get("current_version")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

const INTEGRATION_COLUMNS: &str =
    "id, organization_id, name, status, definition, current_version, created_at, updated_at";

const SUMMARY_COLUMNS: &str = "id, organization_id, name, description, status, current_version, \
     action_count, auth_type, has_icon, created_at, updated_at";

fn summary_from(row: &AnyRow) -> Result<IntegrationSummary> {
    let status: String = row.try_get("status")?;
    Ok(IntegrationSummary {
        id: row.try_get("id")?,
        organization_id: row.try_get("organization_id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        status: Status::parse(&status)
            .ok_or_else(|| Error::Invalid(format!("stored status `{status}` is unknown")))?,
        current_version: row.try_get("current_version")?,
        action_count: row.try_get("action_count")?,
        auth_type: row.try_get("auth_type")?,
        has_icon: row.try_get::<i64, _>("has_icon")? != 0,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// What a list shows of a definition, kept in columns so that lists never read definitions.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Facts {
    description: String,
    action_count: i64,
    auth_type: String,
    has_icon: bool,
}

/// The facts of a definition; an uploaded bundle's definition holds its manifest, whose header
/// and actions say the same.
fn facts(definition: &serde_json::Value) -> Facts {
    let (header, actions) = match definition.get("manifest") {
        Some(manifest) => (&manifest["header"], &manifest["actions"]),
        None => (definition, &definition["actions"]),
    };
    Facts {
        description: header["description"].as_str().unwrap_or("").to_string(),
        action_count: actions
            .as_array()
            .map_or(0, |a| i64::try_from(a.len()).unwrap_or(i64::MAX)),
        auth_type: header["auth"]["type"]
            .as_str()
            .unwrap_or("none")
            .to_string(),
        has_icon: header["icon"].is_string(),
    }
}

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
        let facts = facts(definition);
        sqlx::query(
            "INSERT INTO integrations (id, organization_id, name, status, definition, \
             current_version, created_at, updated_at, description, action_count, auth_type, \
             has_icon) VALUES ($1, $2, $3, 'draft', $4, NULL, $5, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(organization)
        .bind(name)
        .bind(storable(definition, "definition")?)
        .bind(at)
        .bind(facts.description)
        .bind(facts.action_count)
        .bind(facts.auth_type)
        .bind(i64::from(facts.has_icon))
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

    /// A page of the integrations an organization owns, oldest first (keyset: created_at, id).
    pub async fn integrations(
        &self,
        organization: &str,
        page: &PageRequest,
    ) -> Result<Page<IntegrationSummary>> {
        let after: Option<(i64, String)> = page.after("integrations")?;
        let keyset = if after.is_some() {
            "AND (created_at, id) > ($3, $4)"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM integrations WHERE organization_id = $1 {keyset} \
             ORDER BY created_at, id LIMIT $2"
        );
        let mut query = sqlx::query(&sql).bind(organization).bind(page.fetch());
        if let Some((at, id)) = after {
            query = query.bind(at).bind(id);
        }
        let rows = query.fetch_all(&self.pool).await?;
        let items = rows.iter().map(summary_from).collect::<Result<_>>()?;
        page.page(items, "integrations", |i: &IntegrationSummary| {
            (i.created_at, i.id.clone())
        })
    }

    /// A page of the published integrations an organization may install: its own and those of
    /// every organization above it, by name (keyset: name, id).
    pub async fn installable(
        &self,
        organization: &str,
        page: &PageRequest,
    ) -> Result<Page<IntegrationSummary>> {
        let after: Option<(String, String)> = page.after("installable")?;
        let keyset = if after.is_some() {
            "AND (name, id) > ($3, $4)"
        } else {
            ""
        };
        let sql = format!(
            "WITH RECURSIVE up(id, parent_id) AS (SELECT id, parent_id FROM organizations \
             WHERE id = $1 UNION ALL SELECT o.id, o.parent_id FROM organizations o \
             JOIN up u ON o.id = u.parent_id) \
             SELECT {SUMMARY_COLUMNS} FROM integrations \
             WHERE status = 'published' AND organization_id IN (SELECT id FROM up) {keyset} \
             ORDER BY name, id LIMIT $2"
        );
        let mut query = sqlx::query(&sql).bind(organization).bind(page.fetch());
        if let Some((name, id)) = after {
            query = query.bind(name).bind(id);
        }
        let rows = query.fetch_all(&self.pool).await?;
        let items = rows.iter().map(summary_from).collect::<Result<_>>()?;
        page.page(items, "installable", |i: &IntegrationSummary| {
            (i.name.clone(), i.id.clone())
        })
    }

    /// Replaces a draft's definition; a finalized integration is refused.
    pub async fn update_draft(
        &self,
        id: &str,
        name: &str,
        definition: &serde_json::Value,
    ) -> Result<Integration> {
        let facts = facts(definition);
        let done = sqlx::query(
            "UPDATE integrations SET name = $1, definition = $2, updated_at = $3, \
             description = $5, action_count = $6, auth_type = $7, has_icon = $8 \
             WHERE id = $4 AND status = 'draft'",
        )
        .bind(name)
        .bind(storable(definition, "definition")?)
        .bind(now())
        .bind(id)
        .bind(facts.description)
        .bind(facts.action_count)
        .bind(facts.auth_type)
        .bind(i64::from(facts.has_icon))
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

    /// Deletes a draft (an integration never finalized: nothing installs or references it). A
    /// finalized integration is a [`Error::Conflict`]: hide it instead.
    pub async fn delete_draft(&self, id: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM integrations WHERE id = $1 AND status = 'draft'")
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            let current = self.integration(id).await?;
            return Err(Error::Conflict(format!(
                "integration `{id}` is {}: only a draft is deleted; a finalized integration keeps its versions (installations run them): set its status to hidden instead",
                current.status.as_str()
            )));
        }
        Ok(())
    }

    /// Finalizes: stores the bundle (once per content hash), adds the next immutable version
    /// with its change report, and sets the status (published or hidden), in one transaction.
    /// `expected_version` is the version the change report was made against (0 for none): if
    /// another finalize landed meanwhile, this one is a [`Error::Conflict`].
    pub async fn finalize(
        &self,
        id: &str,
        expected_version: i64,
        new: &NewVersion<'_>,
    ) -> Result<Version> {
        if new.status == Status::Draft {
            return Err(Error::Invalid(
                "finalize publishes or hides; it never makes a draft".into(),
            ));
        }
        let definition_text = storable(new.definition, "definition")?;
        let facts = facts(new.definition);
        let at = now();
        let version = expected_version + 1;
        let mut tx = self.pool.begin().await?;
        // The guarded update first: it takes the row's write lock (and SQLite's write lock)
        // before anything is read, so concurrent finalizes serialize and the loser sees 0 rows.
        let done = sqlx::query(
            "UPDATE integrations SET status = $1, name = $2, definition = $3, \
             current_version = $4, updated_at = $5, description = $8, action_count = $9, \
             auth_type = $10, has_icon = $11 \
             WHERE id = $6 AND COALESCE(current_version, 0) = $7",
        )
        .bind(new.status.as_str())
        .bind(new.name)
        .bind(definition_text.clone())
        .bind(version)
        .bind(at)
        .bind(id)
        .bind(expected_version)
        .bind(facts.description)
        .bind(facts.action_count)
        .bind(facts.auth_type)
        .bind(i64::from(facts.has_icon))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            drop(tx);
            self.integration(id).await?;
            return Err(Error::Conflict(format!(
                "integration `{id}` was finalized by someone else meanwhile (it is past version {expected_version}); try again"
            )));
        }
        sqlx::query(
            "INSERT INTO bundles (hash, component, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (hash) DO NOTHING",
        )
        .bind(new.bundle_hash)
        .bind(new.component)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO integration_versions (integration_id, version, definition, bundle_hash, \
             manifest_digest, change_report, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(version)
        .bind(definition_text.clone())
        .bind(new.bundle_hash)
        .bind(new.manifest_digest)
        .bind(storable(new.change_report, "change report")?)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Version {
            integration_id: id.to_string(),
            version,
            bundle_hash: new.bundle_hash.to_string(),
            manifest_digest: Some(new.manifest_digest.to_string()),
            change_report: new.change_report.clone(),
            created_at: at,
            retired_at: None,
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
        .execute(&self.pool)
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
        let row = self.version_row(id, version, ", definition").await?;
        Ok((version_from(&row, id)?, stored_json(&row, "definition")?))
    }

    /// A version without its definition: what a call needs (the bundle, whether it is
    /// retired), without reading and parsing the whole definition.
    pub async fn version_info(&self, id: &str, version: i64) -> Result<Version> {
        version_from(&self.version_row(id, version, "").await?, id)
    }

    /// The row of a version with its summary columns and `extra` ones (`, definition`).
    async fn version_row(&self, id: &str, version: i64, extra: &str) -> Result<AnyRow> {
        sqlx::query(&format!(
            "SELECT version, bundle_hash, manifest_digest, change_report, created_at, retired_at\
             {extra} FROM integration_versions WHERE integration_id = $1 AND version = $2"
        ))
        .bind(id)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| Error::NotFound(format!("version {version} of integration `{id}`")))
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

    /// A page of the versions of an integration, newest first, with how many installations
    /// use each.
    pub async fn versions(&self, id: &str, page: &PageRequest) -> Result<Page<(Version, i64)>> {
        self.integration(id).await?;
        let after: Option<i64> = page.after("versions")?;
        let keyset = if after.is_some() {
            "AND v.version < $3"
        } else {
            ""
        };
        let sql = format!(
            "SELECT v.version, v.bundle_hash, v.manifest_digest, v.change_report, v.created_at, \
             v.retired_at, (SELECT COUNT(*) FROM installations i WHERE i.integration_id = \
             v.integration_id AND i.version = v.version) AS installations \
             FROM integration_versions v WHERE v.integration_id = $1 {keyset} \
             ORDER BY v.version DESC LIMIT $2"
        );
        let mut query = sqlx::query(&sql).bind(id).bind(page.fetch());
        if let Some(version) = after {
            query = query.bind(version);
        }
        let items = query
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| Ok((version_from(row, id)?, row.try_get("installations")?)))
            .collect::<Result<Vec<_>>>()?;
        page.page(items, "versions", |(v, _)| v.version)
    }

    /// Retires a version: it is never installed or run again (its definition, component and
    /// change report stay, for its history). Refused for the current version and for a version
    /// that installations use.
    pub async fn retire_version(&self, id: &str, version: i64) -> Result<Version> {
        let mut tx = self.pool.begin().await?;
        let current: Option<i64> = sqlx::query(
            "UPDATE integrations SET updated_at = updated_at WHERE id = $1 RETURNING current_version",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| Error::NotFound(format!("integration `{id}`")))?
        .try_get("current_version")?;
        if current == Some(version) {
            return Err(Error::Conflict(format!(
                "version {version} is the current version of `{id}`: finalize a newer one first, \
                 or hide the integration"
            )));
        }
        let installed: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM installations WHERE integration_id = $1 AND version = $2",
        )
        .bind(id)
        .bind(version)
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
        if installed > 0 {
            return Err(Error::Conflict(format!(
                "{installed} installation(s) use version {version} of `{id}`: uninstall them first"
            )));
        }
        sqlx::query(
            "UPDATE integration_versions SET retired_at = COALESCE(retired_at, $1) \
             WHERE integration_id = $2 AND version = $3 RETURNING version",
        )
        .bind(now())
        .bind(id)
        .bind(version)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| Error::NotFound(format!("version {version} of integration `{id}`")))?;
        tx.commit().await?;
        Ok(self.version(id, version).await?.0)
    }
}

/// A version from its row's summary columns.
fn version_from(row: &AnyRow, integration: &str) -> Result<Version> {
    Ok(Version {
        integration_id: integration.to_string(),
        version: row.try_get("version")?,
        bundle_hash: row.try_get("bundle_hash")?,
        manifest_digest: row.try_get("manifest_digest")?,
        change_report: stored_json(row, "change_report")?,
        created_at: row.try_get("created_at")?,
        retired_at: row.try_get("retired_at")?,
    })
}

/// A JSON column of a row, parsed.
fn stored_json(row: &AnyRow, column: &str) -> Result<serde_json::Value> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|e| Error::Invalid(format!("stored {column}: {e}")))
}
