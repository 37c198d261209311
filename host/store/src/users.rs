//! Managing users and their API tokens: list, change a role, remove; list, make, revoke and
//! rotate tokens. The root organization always keeps an admin.

use sqlx::Row as _;

use crate::organizations::issue_token;
use crate::{ApiToken, Error, Page, PageRequest, Result, Role, Store, User};

/// The condition that keeps the root organization's last admin: true for a user whose removal
/// or demotion would leave the root organization without an admin.
const LAST_ROOT_ADMIN: &str = "role = 'admin' \
    AND organization_id IN (SELECT id FROM organizations WHERE parent_id IS NULL) \
    AND (SELECT COUNT(*) FROM users a WHERE a.role = 'admin' \
         AND a.organization_id = users.organization_id) <= 1";

fn user_from(row: &sqlx::any::AnyRow) -> Result<User> {
    let role: String = row.try_get("role")?;
    Ok(User {
        id: row.try_get("id")?,
        organization_id: row.try_get("organization_id")?,
        name: row.try_get("name")?,
        role: Role::parse(&role)
            .ok_or_else(|| Error::Invalid(format!("stored role `{role}` is unknown")))?,
    })
}

impl Store {
    /// One user.
    pub async fn user(&self, id: &str) -> Result<User> {
        let row = sqlx::query("SELECT id, organization_id, name, role FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| Error::NotFound(format!("user `{id}`")))?;
        user_from(&row)
    }

    /// A page of the users of an organization (not of those below it), oldest first.
    pub async fn users(&self, organization: &str, page: &PageRequest) -> Result<Page<User>> {
        let after: Option<(i64, String)> = page.after("users")?;
        let keyset = if after.is_some() {
            "AND (created_at, id) > ($3, $4)"
        } else {
            ""
        };
        let sql = format!(
            "SELECT id, organization_id, name, role, created_at FROM users \
             WHERE organization_id = $1 {keyset} ORDER BY created_at, id LIMIT $2"
        );
        let mut query = sqlx::query(&sql).bind(organization).bind(page.fetch());
        if let Some((at, id)) = after {
            query = query.bind(at).bind(id);
        }
        let rows = query.fetch_all(&self.pool).await?;
        let mut items = Vec::with_capacity(rows.len());
        for row in &rows {
            items.push((row.try_get::<i64, _>("created_at")?, user_from(row)?));
        }
        let page = page.page(items, "users", |(at, u)| (*at, u.id.clone()))?;
        Ok(Page {
            items: page.items.into_iter().map(|(_, u)| u).collect(),
            next: page.next,
        })
    }

    /// Changes a user's role; refused when it would leave the root organization without an
    /// admin (checked in the statement that changes it).
    pub async fn set_role(&self, id: &str, role: Role) -> Result<User> {
        let done = sqlx::query(&format!(
            "UPDATE users SET role = $1 WHERE id = $2 AND ($1 = 'admin' OR NOT ({LAST_ROOT_ADMIN}))"
        ))
        .bind(role.as_str())
        .bind(id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            self.user(id).await?;
            return Err(Error::Conflict(format!(
                "user `{id}` is the root organization's last admin: make another admin first"
            )));
        }
        self.user(id).await
    }

    /// Removes a user and their API tokens (their audit entries stay); refused for the root
    /// organization's last admin.
    pub async fn remove_user(&self, id: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let exists = sqlx::query("SELECT 1 AS one FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(Error::NotFound(format!("user `{id}`")));
        }
        sqlx::query("DELETE FROM api_tokens WHERE user_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query(&format!(
            "DELETE FROM users WHERE id = $1 AND NOT ({LAST_ROOT_ADMIN})"
        ))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(Error::Conflict(format!(
                "user `{id}` is the root organization's last admin: make another admin first"
            )));
        }
        tx.commit().await?;
        Ok(())
    }

    /// A page of a user's API tokens (never the tokens themselves), oldest first.
    pub async fn api_tokens(&self, user: &str, page: &PageRequest) -> Result<Page<ApiToken>> {
        let after: Option<(i64, String)> = page.after("tokens")?;
        let keyset = if after.is_some() {
            "AND (created_at, id) > ($3, $4)"
        } else {
            ""
        };
        let sql = format!(
            "SELECT id, name, created_at FROM api_tokens WHERE user_id = $1 {keyset} \
             ORDER BY created_at, id LIMIT $2"
        );
        let mut query = sqlx::query(&sql).bind(user).bind(page.fetch());
        if let Some((at, id)) = after {
            query = query.bind(at).bind(id);
        }
        let items = query
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                Ok(ApiToken {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        page.page(items, "tokens", |t| (t.created_at, t.id.clone()))
    }

    /// Makes an API token for a user; the token is returned once.
    pub async fn create_api_token(&self, user: &str, name: &str) -> Result<(ApiToken, String)> {
        let name = check_token_name(name)?;
        self.user(user).await?;
        let mut tx = self.pool.begin().await?;
        let made = issue_token(&mut tx, user, name).await?;
        tx.commit().await?;
        Ok(made)
    }

    /// Revokes one of a user's API tokens.
    pub async fn revoke_api_token(&self, user: &str, id: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM api_tokens WHERE user_id = $1 AND id = $2")
            .bind(user)
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound(format!("API token `{id}`")));
        }
        Ok(())
    }

    /// Replaces one of a user's API tokens by a new one with the same name, in one
    /// transaction (the old one stops working as the new one starts).
    pub async fn rotate_api_token(&self, user: &str, id: &str) -> Result<(ApiToken, String)> {
        let mut tx = self.pool.begin().await?;
        let row =
            sqlx::query("DELETE FROM api_tokens WHERE user_id = $1 AND id = $2 RETURNING name")
                .bind(user)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| Error::NotFound(format!("API token `{id}`")))?;
        let name: String = row.try_get("name")?;
        let made = issue_token(&mut tx, user, &name).await?;
        tx.commit().await?;
        Ok(made)
    }
}

/// A token name: 1 to 100 characters after trimming.
fn check_token_name(name: &str) -> Result<&str> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::Invalid(
            "a token name has 1 to 100 characters (what it is for, such as `ci` or `zapier`)"
                .into(),
        ));
    }
    Ok(name)
}
