//! Recorded calls of integration versions: what a call sent and got (credentials already
//! redacted by the runtime) and its output, for the next version's regression check.

use sqlx::Row as _;

use crate::{Error, Result, Store, new_id, now};

/// Most recordings kept per version (the oldest go first).
pub const MAX_PER_VERSION: i64 = 20;

/// One recorded call.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Recording {
    /// Id (`rec_...`).
    pub id: String,
    /// The integration.
    pub integration_id: String,
    /// The version that made it.
    pub version: i64,
    /// The action.
    pub action: String,
    /// The call's input.
    pub input: serde_json::Value,
    /// The call's output.
    pub output: serde_json::Value,
    /// The exchanges (`plugboard_runtime::Exchange` as JSON), credentials redacted.
    pub exchanges: serde_json::Value,
    /// Unix seconds.
    pub created_at: i64,
}

fn parse(row: &sqlx::any::AnyRow, column: &str) -> Result<serde_json::Value> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text)
        .map_err(|e| Error::Invalid(format!("stored recording {column}: {e}")))
}

impl Store {
    /// Keeps a recorded call of a version (dropping the oldest past [`MAX_PER_VERSION`]).
    pub async fn add_recording(
        &self,
        integration: &str,
        version: i64,
        action: &str,
        input: &serde_json::Value,
        output: &serde_json::Value,
        exchanges: &serde_json::Value,
    ) -> Result<String> {
        let id = new_id("rec")?;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO recordings (id, integration_id, version, action, input, output, \
             exchanges, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(integration)
        .bind(version)
        .bind(action)
        .bind(input.to_string())
        .bind(output.to_string())
        .bind(exchanges.to_string())
        .bind(now())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM recordings WHERE integration_id = $1 AND version = $2 AND id NOT IN \
             (SELECT id FROM recordings WHERE integration_id = $1 AND version = $2 \
             ORDER BY created_at DESC, id DESC LIMIT $3)",
        )
        .bind(integration)
        .bind(version)
        .bind(MAX_PER_VERSION)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The recorded calls of a version, oldest first.
    pub async fn recordings(&self, integration: &str, version: i64) -> Result<Vec<Recording>> {
        let rows = sqlx::query(
            "SELECT id, integration_id, version, action, input, output, exchanges, created_at \
             FROM recordings WHERE integration_id = $1 AND version = $2 ORDER BY created_at, id",
        )
        .bind(integration)
        .bind(version)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Recording {
                    id: row.try_get("id")?,
                    integration_id: row.try_get("integration_id")?,
                    version: row.try_get("version")?,
                    action: row.try_get("action")?,
                    input: parse(row, "input")?,
                    output: parse(row, "output")?,
                    exchanges: parse(row, "exchanges")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }
}
