//! The platform's records, as the API shows them.

use serde::Serialize;

/// What a user may do in their organization and its sub-organizations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads only.
    Viewer,
    /// Also authors integrations, installs and invokes.
    Editor,
    /// Also manages organizations, users and the custom-integrations switch.
    Admin,
}

impl Role {
    /// `admin`, `editor` or `viewer`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Viewer => "viewer",
        }
    }

    /// Reads a role name.
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "admin" => Some(Role::Admin),
            "editor" => Some(Role::Editor),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }
}

/// An organization (a tree: sub-organizations have a parent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Organization {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Parent organization.
    pub parent_id: Option<String>,
    /// Whether its users may author their own integrations (only an admin switches it).
    #[sqlx(try_from = "i64")]
    pub custom_integrations: Flag,
    /// Unix seconds.
    pub created_at: i64,
}

/// A boolean stored as 0/1 in both databases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Flag(pub bool);

impl From<i64> for Flag {
    fn from(value: i64) -> Flag {
        Flag(value != 0)
    }
}

/// A user of an organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// Id.
    pub id: String,
    /// Organization.
    pub organization_id: String,
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
}

/// An API token as listed (the token itself is shown once, when made, and never stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    /// Id (`tok_...`), for revoking and rotating.
    pub id: String,
    /// What it is for, as its maker named it.
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// Integration status: draft (editable, not installable), published (installable by the
/// owning organization and its sub-organizations) or hidden (not installable). Never back to
/// draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Editable, not installable.
    Draft,
    /// Installable.
    Published,
    /// Finalized, not installable.
    Hidden,
}

impl Status {
    /// `draft`, `published` or `hidden`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Published => "published",
            Status::Hidden => "hidden",
        }
    }

    /// Reads a status name.
    pub fn parse(text: &str) -> Option<Status> {
        match text {
            "draft" => Some(Status::Draft),
            "published" => Some(Status::Published),
            "hidden" => Some(Status::Hidden),
            _ => None,
        }
    }
}

/// An integration of an organization.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Integration {
    /// Id.
    pub id: String,
    /// Owning organization.
    pub organization_id: String,
    /// Name (from the definition).
    pub name: String,
    /// Status.
    pub status: Status,
    /// The definition (JSON); for a finalized integration, the latest version's. `null` when
    /// the stored text does not read back (see `definition_error`).
    pub definition: serde_json::Value,
    /// Why the stored definition could not be read, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub definition_error: Option<String>,
    /// The latest finalized version, if any.
    pub current_version: Option<i64>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// What a list shows of an integration: who it is and what it holds, without the definition
/// (`GET /v1/integrations/{id}` has that).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntegrationSummary {
    /// Id.
    pub id: String,
    /// Owning organization.
    pub organization_id: String,
    /// Name (from the definition).
    pub name: String,
    /// What the integration does (from the definition).
    pub description: String,
    /// Status.
    pub status: Status,
    /// The latest finalized version, if any.
    pub current_version: Option<i64>,
    /// How many actions the definition has.
    pub action_count: i64,
    /// The auth type (`none`, `api_key`, `basic`, `oauth2`, ...).
    pub auth_type: String,
    /// Whether the definition has an icon.
    pub has_icon: bool,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// One finalized version: an immutable bundle and what changed since the previous version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Version {
    /// Integration.
    pub integration_id: String,
    /// 1, 2, ...
    pub version: i64,
    /// SHA-256 of the component.
    pub bundle_hash: String,
    /// Digest of the manifest section reviewed at finalize or upload; `None` for versions made
    /// before manifests were pinned.
    pub manifest_digest: Option<String>,
    /// Actions added, removed and changed, with breaking changes flagged.
    pub change_report: serde_json::Value,
    /// Unix seconds.
    pub created_at: i64,
    /// When it was retired (it never runs again), if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retired_at: Option<i64>,
}

/// An installation of an integration version in an organization.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Installation {
    /// Id.
    pub id: String,
    /// Installing organization.
    pub organization_id: String,
    /// Integration.
    pub integration_id: String,
    /// Installed version.
    pub version: i64,
    /// Names of its configurations, the default first.
    pub configurations: Vec<String>,
    /// Unix seconds.
    pub created_at: i64,
}

/// A configuration of an installation, opened for a call.
#[derive(Clone, PartialEq)]
pub struct Configuration {
    /// Name.
    pub name: String,
    /// Whether it is the installation's default configuration.
    pub is_default: bool,
    /// Non-secret config values.
    pub config: serde_json::Map<String, serde_json::Value>,
    /// Overrides of the integration's auth settings (non-secret).
    pub auth: serde_json::Map<String, serde_json::Value>,
    /// The credentials (opened); never serialized, never in `Debug`.
    pub credentials: std::collections::BTreeMap<String, String>,
    /// Changes whenever the credentials are replaced (keys OAuth token state, so tokens of
    /// replaced credentials are never used again).
    pub revision: String,
}

impl std::fmt::Debug for Configuration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Configuration")
            .field("name", &self.name)
            .field("revision", &self.revision)
            .field("config", &self.config)
            .field("auth", &self.auth)
            .field("credentials", &self.credentials.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Which audit log entries to list (every field narrows; none lists all).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct AuditFilter {
    /// This action, or the actions below it (`invoke` also finds `invoke.dry_run`).
    pub action: Option<String>,
    /// Done by this user.
    pub user_id: Option<String>,
    /// Done to targets that start with this (an installation id finds its invocations).
    pub target: Option<String>,
    /// At or after this time (Unix seconds).
    pub since: Option<i64>,
    /// Before this time (Unix seconds).
    pub until: Option<i64>,
}

/// One audit log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AuditEntry {
    /// Sequence number.
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    /// Organization.
    pub organization_id: Option<String>,
    /// Acting user.
    pub user_id: Option<String>,
    /// What was done (`organization.create`, `integration.finalize`, `invoke`, ...).
    pub action: String,
    /// What it was done to.
    pub target: String,
    /// Details (never secrets).
    pub detail: String,
}
