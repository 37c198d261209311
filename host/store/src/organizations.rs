//! Organizations (a tree), users with roles, and API tokens (stored as SHA-256 hashes).

use sha2::{Digest, Sha256};
use sqlx::{FromRow as _, Row as _};

use crate::{
    ApiToken, Error, Organization, Page, PageRequest, Result, Role, Store, User, new_id, now,
    random_bytes,
};

/// The hash under which an API token is stored.
pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The id of a token: derived from its hash (so tokens made before ids existed have one).
fn token_id(hash: &str) -> String {
    format!("tok_{}", &hash[..16])
}

/// The id (`tok_...`) of an API token, as lists show it: what logs name instead of the token.
pub fn api_token_id(token: &str) -> String {
    token_id(&token_hash(token))
}

/// A new API token named `name` for `user`, stored (as its hash) in the transaction; returns
/// its listing and the token.
pub(crate) async fn issue_token(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user: &str,
    name: &str,
) -> Result<(ApiToken, String)> {
    let token = format!("pbt_{}", hex::encode(random_bytes::<24>()?));
    let hash = token_hash(&token);
    let listed = ApiToken {
        id: token_id(&hash),
        name: name.to_string(),
        created_at: now(),
    };
    sqlx::query(
        "INSERT INTO api_tokens (token_hash, id, name, user_id, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&hash)
    .bind(&listed.id)
    .bind(&listed.name)
    .bind(user)
    .bind(listed.created_at)
    .execute(&mut **tx)
    .await?;
    Ok((listed, token))
}

impl Store {
    /// Creates an organization, under `parent` when given.
    pub async fn create_organization(
        &self,
        name: &str,
        parent: Option<&str>,
        custom_integrations: bool,
    ) -> Result<Organization> {
        let name = name.trim();
        if name.is_empty() || name.len() > 200 {
            return Err(Error::Invalid(
                "an organization name must have 1 to 200 characters".into(),
            ));
        }
        if let Some(parent) = parent {
            self.organization(parent).await?;
        }
        let org = Organization {
            id: new_id("org")?,
            name: name.to_string(),
            parent_id: parent.map(str::to_string),
            custom_integrations: crate::Flag(custom_integrations),
            created_at: now(),
        };
        sqlx::query(
            "INSERT INTO organizations (id, name, parent_id, custom_integrations, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&org.id)
        .bind(&org.name)
        .bind(&org.parent_id)
        .bind(i64::from(custom_integrations))
        .bind(org.created_at)
        .execute(&self.pool)
        .await?;
        Ok(org)
    }

    /// One organization.
    pub async fn organization(&self, id: &str) -> Result<Organization> {
        sqlx::query_as::<_, Organization>(
            "SELECT id, name, parent_id, custom_integrations, created_at FROM organizations \
             WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| Error::NotFound(format!("organization `{id}`")))
    }

    /// The organization and every organization below it (by depth, then name).
    pub async fn subtree(&self, id: &str) -> Result<Vec<Organization>> {
        Ok(sqlx::query_as::<_, Organization>(
            "WITH RECURSIVE tree(id, depth) AS (SELECT id, 0 FROM organizations WHERE id = $1 \
             UNION ALL SELECT o.id, t.depth + 1 FROM organizations o JOIN tree t \
             ON o.parent_id = t.id) \
             SELECT o.id, o.name, o.parent_id, o.custom_integrations, o.created_at \
             FROM organizations o JOIN tree t ON o.id = t.id ORDER BY t.depth, o.name, o.id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// A page of [`Store::subtree`] (keyset: depth, name, id).
    pub async fn subtree_page(&self, id: &str, page: &PageRequest) -> Result<Page<Organization>> {
        let after: Option<(i64, String, String)> = page.after("organizations")?;
        let keyset = if after.is_some() {
            "WHERE (t.depth, o.name, o.id) > ($3, $4, $5)"
        } else {
            ""
        };
        let sql = format!(
            "WITH RECURSIVE tree(id, depth) AS (SELECT id, 0 FROM organizations WHERE id = $1 \
             UNION ALL SELECT o.id, t.depth + 1 FROM organizations o JOIN tree t \
             ON o.parent_id = t.id) \
             SELECT o.id, o.name, o.parent_id, o.custom_integrations, o.created_at, \
             CAST(t.depth AS BIGINT) AS depth \
             FROM organizations o JOIN tree t ON o.id = t.id {keyset} \
             ORDER BY t.depth, o.name, o.id LIMIT $2"
        );
        let mut query = sqlx::query(&sql).bind(id).bind(page.fetch());
        if let Some((depth, name, id)) = after {
            query = query.bind(depth).bind(name).bind(id);
        }
        let rows = query.fetch_all(&self.pool).await?;
        let mut items = Vec::with_capacity(rows.len());
        for row in &rows {
            let depth: i64 = row.try_get("depth")?;
            items.push((depth, Organization::from_row(row)?));
        }
        let page = page.page(items, "organizations", |(depth, o)| {
            (*depth, o.name.clone(), o.id.clone())
        })?;
        Ok(Page {
            items: page.items.into_iter().map(|(_, o)| o).collect(),
            next: page.next,
        })
    }

    /// Whether `id` is `ancestor` or below it.
    pub async fn is_within(&self, id: &str, ancestor: &str) -> Result<bool> {
        let row = sqlx::query(
            "WITH RECURSIVE up(id, parent_id) AS (SELECT id, parent_id FROM organizations \
             WHERE id = $1 UNION ALL SELECT o.id, o.parent_id FROM organizations o \
             JOIN up u ON o.id = u.parent_id) SELECT COUNT(*) AS n FROM up WHERE id = $2",
        )
        .bind(id)
        .bind(ancestor)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<i64, _>("n")? > 0)
    }

    /// Switches custom integrations on or off for an organization.
    pub async fn set_custom_integrations(&self, id: &str, enabled: bool) -> Result<Organization> {
        let done = sqlx::query("UPDATE organizations SET custom_integrations = $1 WHERE id = $2")
            .bind(i64::from(enabled))
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound(format!("organization `{id}`")));
        }
        self.organization(id).await
    }

    /// Creates a user and their first API token (returned once, stored only as a hash).
    pub async fn create_user(
        &self,
        organization: &str,
        name: &str,
        role: Role,
    ) -> Result<(User, String)> {
        self.organization(organization).await?;
        let user = User {
            id: new_id("usr")?,
            organization_id: organization.to_string(),
            name: name.trim().to_string(),
            role,
        };
        if user.name.is_empty() {
            return Err(Error::Invalid("a user needs a name".into()));
        }
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO users (id, organization_id, name, role, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&user.id)
        .bind(&user.organization_id)
        .bind(&user.name)
        .bind(role.as_str())
        .bind(now())
        .execute(&mut *tx)
        .await?;
        let (_, token) = issue_token(&mut tx, &user.id, "first").await?;
        tx.commit().await?;
        Ok((user, token))
    }

    /// The user an API token belongs to.
    pub async fn user_by_token(&self, token: &str) -> Result<Option<User>> {
        let row = sqlx::query(
            "SELECT u.id, u.organization_id, u.name, u.role FROM api_tokens t \
             JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1",
        )
        .bind(token_hash(token))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let role: String = row.try_get("role")?;
        Ok(Some(User {
            id: row.try_get("id")?,
            organization_id: row.try_get("organization_id")?,
            name: row.try_get("name")?,
            role: Role::parse(&role)
                .ok_or_else(|| Error::Invalid(format!("stored role `{role}` is unknown")))?,
        }))
    }

    /// On a new database, once (however many hosts start at the same time): the root
    /// organization with custom integrations on, and its first admin, in one transaction.
    /// Returns them and the admin's API token; `None` when the database was bootstrapped before.
    pub async fn bootstrap(&self) -> Result<Option<(Organization, User, String)>> {
        let mut tx = self.pool.begin().await?;
        // The single allowed row: a second bootstrap (another host) fails here or finds it.
        let claimed = sqlx::query(
            "INSERT INTO bootstrap (id, at) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
        )
        .bind(now())
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() == 0 {
            return Ok(None);
        }
        let org = Organization {
            id: new_id("org")?,
            name: "root".into(),
            parent_id: None,
            custom_integrations: crate::Flag(true),
            created_at: now(),
        };
        sqlx::query(
            "INSERT INTO organizations (id, name, parent_id, custom_integrations, created_at) \
             VALUES ($1, $2, NULL, 1, $3)",
        )
        .bind(&org.id)
        .bind(&org.name)
        .bind(org.created_at)
        .execute(&mut *tx)
        .await?;
        let user = User {
            id: new_id("usr")?,
            organization_id: org.id.clone(),
            name: "admin".into(),
            role: Role::Admin,
        };
        sqlx::query(
            "INSERT INTO users (id, organization_id, name, role, created_at) \
             VALUES ($1, $2, $3, 'admin', $4)",
        )
        .bind(&user.id)
        .bind(&org.id)
        .bind(&user.name)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        let (_, token) = issue_token(&mut tx, &user.id, "bootstrap").await?;
        sqlx::query(
            "INSERT INTO audit_log (at, organization_id, user_id, action, target, detail) \
             VALUES ($1, $2, NULL, 'bootstrap', $2, 'root organization and admin')",
        )
        .bind(now())
        .bind(&org.id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some((org, user, token)))
    }

    /// A new API token for the root organization's first admin, for an operator who lost the
    /// only one (run on the server host: whoever can open the database can do this anyway).
    /// Audited as `admin.token_recovered`. Refused on a database that was never bootstrapped.
    pub async fn recover_admin_token(&self) -> Result<(User, String)> {
        let row = sqlx::query(
            "SELECT u.id, u.organization_id, u.name FROM users u              JOIN organizations o ON o.id = u.organization_id              WHERE o.parent_id IS NULL AND u.role = 'admin'              ORDER BY o.created_at, u.created_at LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Err(Error::Invalid(
                "the database has no root admin yet: start `plugboard serve` once, which creates it and prints its token".into(),
            ));
        };
        let user = User {
            id: row.try_get("id")?,
            organization_id: row.try_get("organization_id")?,
            name: row.try_get("name")?,
            role: Role::Admin,
        };
        let mut tx = self.pool.begin().await?;
        let (_, token) = issue_token(&mut tx, &user.id, "recovered").await?;
        sqlx::query(
            "INSERT INTO audit_log (at, organization_id, user_id, action, target, detail)              VALUES ($1, $2, NULL, 'admin.token_recovered', $3, 'new API token minted on the server host')",
        )
        .bind(now())
        .bind(&user.organization_id)
        .bind(&user.id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((user, token))
    }

    /// Whether any organization exists (a new database has none).
    pub async fn is_empty(&self) -> Result<bool> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM organizations")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>("n")? == 0)
    }
}
