//! Installations of integration versions in organizations, each with named configurations
//! (one default) whose credentials are sealed and bound to their row.

use std::collections::BTreeMap;

use sqlx::Row as _;

use crate::{Configuration, Error, Installation, Result, Sealer, Store, new_id, now};

/// The associated data binding a configuration's sealed credentials to its row.
fn seal_context(installation: &str, name: &str) -> String {
    format!("configuration/{installation}/{name}")
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

impl Store {
    /// Installs a version of an integration in an organization with a first (default)
    /// configuration, in one transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn install(
        &self,
        organization: &str,
        integration: &str,
        version: i64,
        configuration: &str,
        config: &serde_json::Map<String, serde_json::Value>,
        credentials: &BTreeMap<String, String>,
        sealer: &Sealer,
    ) -> Result<Installation> {
        check_name(configuration)?;
        let id = new_id("ins")?;
        let sealed = sealer.seal(
            &serde_json::to_vec(credentials).map_err(|e| Error::Invalid(e.to_string()))?,
            &seal_context(&id, configuration),
        )?;
        let at = now();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO installations (id, organization_id, integration_id, version, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(organization)
        .bind(integration)
        .bind(version)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO configurations (installation_id, name, is_default, config, credentials) \
             VALUES ($1, $2, 1, $3, $4)",
        )
        .bind(&id)
        .bind(configuration)
        .bind(serde_json::Value::Object(config.clone()).to_string())
        .bind(sealed)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.installation(&id).await
    }

    /// Adds or replaces a named configuration; `default` makes it the default one.
    pub async fn set_configuration(
        &self,
        installation: &str,
        name: &str,
        config: &serde_json::Map<String, serde_json::Value>,
        credentials: &BTreeMap<String, String>,
        default: bool,
        sealer: &Sealer,
    ) -> Result<Installation> {
        check_name(name)?;
        self.installation(installation).await?;
        let sealed = sealer.seal(
            &serde_json::to_vec(credentials).map_err(|e| Error::Invalid(e.to_string()))?,
            &seal_context(installation, name),
        )?;
        let mut tx = self.pool.begin().await?;
        if default {
            sqlx::query("UPDATE configurations SET is_default = 0 WHERE installation_id = $1")
                .bind(installation)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM configurations WHERE installation_id = $1 AND name = $2")
            .bind(installation)
            .bind(name)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO configurations (installation_id, name, is_default, config, credentials) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(installation)
        .bind(name)
        .bind(i64::from(default))
        .bind(serde_json::Value::Object(config.clone()).to_string())
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

    /// The installations of an organization.
    pub async fn installations(&self, organization: &str) -> Result<Vec<Installation>> {
        let ids = sqlx::query(
            "SELECT id FROM installations WHERE organization_id = $1 ORDER BY created_at, id",
        )
        .bind(organization)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(ids.len());
        for row in ids {
            let id: String = row.try_get("id")?;
            out.push(self.installation(&id).await?);
        }
        Ok(out)
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
                    "SELECT name, config, credentials FROM configurations \
                     WHERE installation_id = $1 AND name = $2",
                )
                .bind(installation)
                .bind(name)
                .fetch_optional(&self.pool)
                .await?
            }
            None => {
                sqlx::query(
                    "SELECT name, config, credentials FROM configurations \
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
        Ok(Configuration {
            config: serde_json::from_str(&config)
                .map_err(|e| Error::Invalid(format!("stored config: {e}")))?,
            credentials: serde_json::from_slice(&plain)
                .map_err(|e| Error::Seal(format!("stored credentials: {e}")))?,
            name,
        })
    }
}
