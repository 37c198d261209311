//! Installations of integration versions in organizations, each with named configurations
//! (one default) whose credentials are sealed and bound to their row.

use std::collections::BTreeMap;

use sha2::Digest as _;
use sqlx::Row as _;

use crate::{
    Configuration, Error, Installation, Page, PageRequest, Result, Sealer, Store, new_id, now,
};

/// The associated data binding a configuration's sealed credentials to its row.
fn seal_context(installation: &str, name: &str) -> String {
    format!("configuration/{installation}/{name}")
}

/// Seals credentials for a configuration's row.
fn seal(
    sealer: &Sealer,
    credentials: &BTreeMap<String, String>,
    installation: &str,
    name: &str,
) -> Result<Vec<u8>> {
    let plain = serde_json::to_vec(credentials).map_err(|e| Error::Invalid(e.to_string()))?;
    sealer.seal(&plain, &seal_context(installation, name))
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
    {
        return Err(Error::Invalid(format!(
            "configuration name `{name}`: use 1 to 64 letters, digits, `-` or `_`"
        )));
    }
    Ok(())
}

/// What a configuration is set to.
#[derive(Debug, Clone, Copy)]
pub struct ConfigurationChange<'a> {
    /// Non-secret config values (the keys the integration declares).
    pub config: &'a serde_json::Map<String, serde_json::Value>,
    /// Overrides of the integration's auth settings; `None` keeps the stored ones (none for a
    /// new configuration).
    pub auth: Option<&'a serde_json::Map<String, serde_json::Value>>,
    /// Credentials, sealed before they are stored; `None` keeps the stored ones (none for a
    /// new configuration).
    pub credentials: Option<&'a BTreeMap<String, String>>,
    /// Make it the default configuration (a replaced default stays the default).
    pub default: bool,
}

impl Store {
    /// Installs the current version of a published integration in an organization with a
    /// first (default) configuration, in one transaction. The status is checked in the same
    /// statement that inserts, so an integration hidden meanwhile is not installed.
    pub async fn install(
        &self,
        organization: &str,
        integration: &str,
        configuration: &str,
        settings: &ConfigurationChange<'_>,
        sealer: &Sealer,
    ) -> Result<Installation> {
        check_name(configuration)?;
        let id = new_id("ins")?;
        let none = BTreeMap::new();
        let sealed = seal(
            sealer,
            settings.credentials.unwrap_or(&none),
            &id,
            configuration,
        )?;
        let empty = serde_json::Map::new();
        let (config, auth) = (settings.config, settings.auth.unwrap_or(&empty));
        let at = now();
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "INSERT INTO installations (id, organization_id, integration_id, version, created_at) \
             SELECT $1, $2, id, current_version, $3 FROM integrations \
             WHERE id = $4 AND status = 'published' AND current_version IS NOT NULL",
        )
        .bind(&id)
        .bind(organization)
        .bind(at)
        .bind(integration)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(Error::Conflict(format!(
                "integration `{integration}` is not published: only published integrations are installable"
            )));
        }
        sqlx::query(
            "INSERT INTO configurations (installation_id, name, is_default, config, auth, \
             credentials) VALUES ($1, $2, 1, $3, $4, $5)",
        )
        .bind(&id)
        .bind(configuration)
        .bind(serde_json::Value::Object(config.clone()).to_string())
        .bind(serde_json::Value::Object(auth.clone()).to_string())
        .bind(sealed)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.installation(&id).await
    }

    /// Adds or replaces a named configuration. `auth` (overrides of the integration's auth
    /// settings) and `credentials`: `None` keeps the stored ones;
    /// `default` makes it the default (a replaced default stays the default). The installation
    /// row is locked first, so concurrent changes serialize and there is always exactly one
    /// default.
    pub async fn set_configuration(
        &self,
        installation: &str,
        name: &str,
        settings: &ConfigurationChange<'_>,
        sealer: &Sealer,
    ) -> Result<Installation> {
        check_name(name)?;
        let ConfigurationChange {
            config,
            auth,
            credentials,
            default,
        } = *settings;
        let mut tx = self.pool.begin().await?;
        let locked = sqlx::query("UPDATE installations SET version = version WHERE id = $1")
            .bind(installation)
            .execute(&mut *tx)
            .await?;
        if locked.rows_affected() == 0 {
            return Err(Error::NotFound(format!("installation `{installation}`")));
        }
        let existing = sqlx::query(
            "SELECT is_default, auth, credentials FROM configurations \
             WHERE installation_id = $1 AND name = $2",
        )
        .bind(installation)
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?;
        let was_default = match &existing {
            Some(row) => row.try_get::<i64, _>("is_default")? != 0,
            None => false,
        };
        let sealed = match (credentials, &existing) {
            (Some(credentials), _) => seal(sealer, credentials, installation, name)?,
            (None, Some(row)) => row.try_get::<Vec<u8>, _>("credentials")?,
            (None, None) => seal(sealer, &BTreeMap::new(), installation, name)?,
        };
        let auth = match (auth, &existing) {
            (Some(auth), _) => serde_json::Value::Object(auth.clone()).to_string(),
            (None, Some(row)) => row.try_get::<String, _>("auth")?,
            (None, None) => "{}".to_string(),
        };
        let is_default = default || was_default;
        if is_default && !was_default {
            sqlx::query("UPDATE configurations SET is_default = 0 WHERE installation_id = $1")
                .bind(installation)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO configurations (installation_id, name, is_default, config, auth, \
             credentials) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (installation_id, name) \
             DO UPDATE SET is_default = excluded.is_default, config = excluded.config, \
             auth = excluded.auth, credentials = excluded.credentials",
        )
        .bind(installation)
        .bind(name)
        .bind(i64::from(is_default))
        .bind(serde_json::Value::Object(config.clone()).to_string())
        .bind(auth)
        .bind(sealed)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.installation(installation).await
    }

    /// One installation.
    pub async fn installation(&self, id: &str) -> Result<Installation> {
        let row = sqlx::query(
            "SELECT id, organization_id, integration_id, version, created_at FROM installations \
             WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| Error::NotFound(format!("installation `{id}`")))?;
        let names = sqlx::query(
            "SELECT name FROM configurations WHERE installation_id = $1 \
             ORDER BY is_default DESC, name",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(Installation {
            id: row.try_get("id")?,
            organization_id: row.try_get("organization_id")?,
            integration_id: row.try_get("integration_id")?,
            version: row.try_get("version")?,
            configurations: names
                .iter()
                .map(|r| r.try_get("name"))
                .collect::<std::result::Result<_, _>>()?,
            created_at: row.try_get("created_at")?,
        })
    }

    /// A page of the installations of an organization, oldest first (keyset: created_at, id).
    pub async fn installations(
        &self,
        organization: &str,
        page: &PageRequest,
    ) -> Result<Page<Installation>> {
        let after: Option<(i64, String)> = page.after("installations")?;
        let keyset = if after.is_some() {
            "AND (created_at, id) > ($3, $4)"
        } else {
            ""
        };
        // One statement for the page and its configuration names (the default first).
        let sql = format!(
            "SELECT i.id, i.organization_id, i.integration_id, i.version, i.created_at, \
             c.name FROM (SELECT id, organization_id, integration_id, version, created_at \
             FROM installations WHERE organization_id = $1 {keyset} \
             ORDER BY created_at, id LIMIT $2) AS i \
             LEFT JOIN configurations c ON c.installation_id = i.id \
             ORDER BY i.created_at, i.id, c.is_default DESC, c.name"
        );
        let mut query = sqlx::query(&sql).bind(organization).bind(page.fetch());
        if let Some((at, id)) = after {
            query = query.bind(at).bind(id);
        }
        let rows = query.fetch_all(&self.pool).await?;
        let mut out: Vec<Installation> = Vec::new();
        for row in rows {
            let id: String = row.try_get("id")?;
            let name: Option<String> = row.try_get("name")?;
            if out.last().is_none_or(|last| last.id != id) {
                out.push(Installation {
                    id,
                    organization_id: row.try_get("organization_id")?,
                    integration_id: row.try_get("integration_id")?,
                    version: row.try_get("version")?,
                    configurations: Vec::new(),
                    created_at: row.try_get("created_at")?,
                });
            }
            if let (Some(name), Some(last)) = (name, out.last_mut()) {
                last.configurations.push(name);
            }
        }
        page.page(out, "installations", |i: &Installation| {
            (i.created_at, i.id.clone())
        })
    }

    /// How many installations use an integration.
    pub async fn installation_count(&self, integration: &str) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM installations WHERE integration_id = $1")
            .bind(integration)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    /// A configuration (the default one when `name` is `None`), with its credentials opened.
    pub async fn configuration(
        &self,
        installation: &str,
        name: Option<&str>,
        sealer: &Sealer,
    ) -> Result<Configuration> {
        let row = match name {
            Some(name) => {
                sqlx::query(
                    "SELECT name, is_default, config, auth, credentials FROM configurations \
                     WHERE installation_id = $1 AND name = $2",
                )
                .bind(installation)
                .bind(name)
                .fetch_optional(&self.pool)
                .await?
            }
            None => {
                sqlx::query(
                    "SELECT name, is_default, config, auth, credentials FROM configurations \
                     WHERE installation_id = $1 AND is_default = 1",
                )
                .bind(installation)
                .fetch_optional(&self.pool)
                .await?
            }
        }
        .ok_or_else(|| {
            Error::NotFound(format!(
                "configuration `{}` of installation `{installation}`",
                name.unwrap_or("default")
            ))
        })?;
        let name: String = row.try_get("name")?;
        let config: String = row.try_get("config")?;
        let sealed: Vec<u8> = row.try_get("credentials")?;
        let plain = sealer.open(&sealed, &seal_context(installation, &name))?;
        // Each seal has a fresh nonce, so new credentials give a new revision.
        let revision = hex::encode(&sha2::Sha256::digest(&sealed)[..6]);
        let auth: String = row.try_get("auth")?;
        Ok(Configuration {
            revision,
            is_default: row.try_get::<i64, _>("is_default")? != 0,
            config: serde_json::from_str(&config)
                .map_err(|e| Error::Invalid(format!("stored config: {e}")))?,
            auth: serde_json::from_str(&auth)
                .map_err(|e| Error::Invalid(format!("stored auth overrides: {e}")))?,
            credentials: serde_json::from_slice(&plain)
                .map_err(|e| Error::Seal(format!("stored credentials: {e}")))?,
            name,
        })
    }
}

/// What an uninstall removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Uninstalled {
    /// Configurations (with their sealed credentials).
    pub configurations: u64,
    /// OAuth 2.0 token states.
    pub token_states: u64,
    /// Tenant mappings.
    pub tenant_mappings: u64,
}

/// Deletes the OAuth token states whose credential key starts with `prefix`.
async fn delete_token_states(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    prefix: &str,
) -> Result<u64> {
    // No LIKE: ids and names may hold `_`, a LIKE wildcard.
    let done = sqlx::query(
        "DELETE FROM oauth_tokens WHERE substr(credential_key, 1, CAST($1 AS INTEGER)) = $2",
    )
    .bind(i64::try_from(prefix.len()).unwrap_or(i64::MAX))
    .bind(prefix)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

impl Store {
    /// Uninstalls: removes the installation, its configurations (sealed credentials), OAuth
    /// token states, consents in progress, tenant source and mappings, in one transaction.
    /// Refused while organizations are mapped to its tenants (calls on their behalf would
    /// break) unless `force`.
    pub async fn uninstall(&self, id: &str, force: bool) -> Result<Uninstalled> {
        let mut tx = self.pool.begin().await?;
        let locked = sqlx::query("UPDATE installations SET version = version WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if locked.rows_affected() == 0 {
            return Err(Error::NotFound(format!("installation `{id}`")));
        }
        let mapped: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM tenant_mappings WHERE installation_id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?
                .try_get("n")?;
        if mapped > 0 && !force {
            return Err(Error::Conflict(format!(
                "installation `{id}` maps {mapped} organization(s) to its tenants; calls on their \
                 behalf would stop working: unmap them first, or force the uninstall"
            )));
        }
        let token_states = delete_token_states(&mut tx, &format!("{id}/")).await?;
        let tenant_mappings = sqlx::query("DELETE FROM tenant_mappings WHERE installation_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        for table in ["tenant_sources", "oauth_consents"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE installation_id = $1"))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let configurations = sqlx::query("DELETE FROM configurations WHERE installation_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM installations WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Uninstalled {
            configurations,
            token_states,
            tenant_mappings,
        })
    }

    /// Deletes a configuration with its sealed credentials, OAuth token states and consents in
    /// progress. The default configuration cannot be deleted while others exist, nor the only
    /// one (uninstall instead).
    pub async fn delete_configuration(&self, installation: &str, name: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let locked = sqlx::query("UPDATE installations SET version = version WHERE id = $1")
            .bind(installation)
            .execute(&mut *tx)
            .await?;
        if locked.rows_affected() == 0 {
            return Err(Error::NotFound(format!("installation `{installation}`")));
        }
        let rows =
            sqlx::query("SELECT name, is_default FROM configurations WHERE installation_id = $1")
                .bind(installation)
                .fetch_all(&mut *tx)
                .await?;
        let mut found = None;
        for row in &rows {
            if row.try_get::<String, _>("name")? == name {
                found = Some(row.try_get::<i64, _>("is_default")? != 0);
            }
        }
        let Some(is_default) = found else {
            return Err(Error::NotFound(format!(
                "configuration `{name}` of installation `{installation}`"
            )));
        };
        if rows.len() == 1 {
            return Err(Error::Conflict(format!(
                "`{name}` is the installation's only configuration: uninstall the installation instead"
            )));
        }
        if is_default {
            return Err(Error::Conflict(format!(
                "`{name}` is the default configuration: make another one the default first \
                 (`\"default\": true` when you set it), then delete this one"
            )));
        }
        delete_token_states(&mut tx, &format!("{installation}/{name}/")).await?;
        sqlx::query("DELETE FROM oauth_consents WHERE installation_id = $1 AND configuration = $2")
            .bind(installation)
            .bind(name)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM configurations WHERE installation_id = $1 AND name = $2")
            .bind(installation)
            .bind(name)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
