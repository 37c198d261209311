//! `plugboard definition new` and `plugboard definition set`, and the wizard-field flags they
//! share with `plugboard import`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use plugboard_definition::edit::{self, AuthKind, Settings};
use plugboard_definition::{ApiKeyLocation, Definition, LinkLocation, PaginationType, Scheme};

/// Arguments of `plugboard definition new`.
#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// Where to write the definition.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Integration name (letters, digits, spaces, `-` and `_`).
    #[arg(long)]
    pub name: String,
    /// What the integration does.
    #[arg(long)]
    pub description: String,
    /// An SVG icon file (scripts and event handlers are removed; other formats are refused).
    #[arg(long)]
    pub icon: Option<PathBuf>,
    /// Overwrite the output if it exists.
    #[arg(long)]
    pub force: bool,
    /// Auth, pagination and other fields.
    #[command(flatten)]
    pub settings: SettingsArgs,
}

/// Arguments of `plugboard definition set`.
#[derive(Debug, clap::Args)]
pub struct SetArgs {
    /// The definition (edited in place).
    pub definition: PathBuf,
    /// A new SVG icon file.
    #[arg(long)]
    pub icon: Option<PathBuf>,
    /// The fields to set.
    #[command(flatten)]
    pub settings: SettingsArgs,
}

/// URL scheme.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SchemeArg {
    /// HTTPS.
    Https,
    /// HTTP (local testing).
    Http,
}

/// Auth type.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AuthArg {
    /// No credentials.
    None,
    /// An API key or token (credential `api_key`).
    ApiKey,
    /// HTTP Basic (credentials `username`, `password`).
    Basic,
    /// OAuth 2.0 (credentials `client_id`, `client_secret`; see the OAuth flags).
    #[value(alias = "oauth")]
    Oauth2,
}

/// Where an API key goes.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KeyLocationArg {
    /// A header.
    Header,
    /// A query parameter.
    Query,
    /// A cookie.
    Cookie,
}

/// Pagination type.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PaginationArg {
    /// No pagination.
    None,
    /// Offset (Index Param).
    Index,
    /// Page numbers (Page Param).
    Page,
    /// A next link in a header or the body.
    Link,
    /// A cursor (Pointer JSONPath, After Param).
    Pointer,
}

/// Where the next link is.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LinkLocationArg {
    /// A response header.
    Header,
    /// The JSON body.
    Body,
}

/// The wizard's fields as flags (shared by `import`, `definition new` and `definition set`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SettingsArgs {
    /// API hostname without scheme, optionally with `:port`.
    #[arg(long)]
    pub hostname: Option<String>,
    /// Path prefix of every action (`/v2`).
    #[arg(long)]
    pub base_path: Option<String>,
    /// URL scheme.
    #[arg(long, value_enum)]
    pub scheme: Option<SchemeArg>,
    /// Auth type.
    #[arg(long, value_enum)]
    pub auth: Option<AuthArg>,
    /// API Key Header Name (api-key auth).
    #[arg(long)]
    pub api_key_header_name: Option<String>,
    /// API Key Preamble, such as `Bearer` (api-key auth).
    #[arg(long)]
    pub api_key_preamble: Option<String>,
    /// Where the API key goes (api-key auth).
    #[arg(long, value_enum)]
    pub api_key_location: Option<KeyLocationArg>,
    /// OAuth 2.0 fields (oauth2 auth).
    #[command(flatten)]
    pub oauth: crate::cmd::oauth_flags::OAuthArgs,
    /// An extra request header sent with every request (repeatable).
    #[arg(long = "extra-header", value_name = "NAME:VALUE")]
    pub extra_headers: Vec<String>,
    /// Pagination fields.
    #[command(flatten)]
    pub paging: PaginationArgs,
}

/// The pagination fields as flags (the integration's with `import` and `definition set`, an
/// action's own with `actions paginate`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct PaginationArgs {
    /// Pagination type (`--style` for an action's own).
    #[arg(long, value_enum, visible_alias = "style")]
    pub pagination: Option<PaginationArg>,
    /// Results Key: dotted path to the results array (empty: the body itself).
    #[arg(long)]
    pub results_key: Option<String>,
    /// Page Size Param: query parameter for the page size.
    #[arg(long)]
    pub page_size_param: Option<String>,
    /// Default Page Size (1..=1000).
    #[arg(long)]
    pub default_page_size: Option<u32>,
    /// Default Page Limit (1..=20).
    #[arg(long)]
    pub default_page_limit: Option<u32>,
    /// Index Param (pagination index).
    #[arg(long)]
    pub index_param: Option<String>,
    /// Page Param (pagination page).
    #[arg(long)]
    pub page_param: Option<String>,
    /// Next Link Location (pagination link).
    #[arg(long, value_enum)]
    pub link_location: Option<LinkLocationArg>,
    /// Response Header Rel (pagination link, header).
    #[arg(long)]
    pub response_header_rel: Option<String>,
    /// Response Header Name (pagination link, header).
    #[arg(long)]
    pub response_header_name: Option<String>,
    /// Next Page Key: dotted path of the next link (pagination link, body).
    #[arg(long)]
    pub next_page_key: Option<String>,
    /// After Param (pagination pointer).
    #[arg(long)]
    pub after_param: Option<String>,
    /// Pointer JSONPath (pagination pointer).
    #[arg(long)]
    pub pointer_jsonpath: Option<String>,
}

impl SettingsArgs {
    /// The pagination type flag as the definition's type.
    pub fn pagination_type(&self) -> Option<PaginationType> {
        self.paging.pagination_type()
    }

    pub fn to_settings(&self) -> Result<Settings> {
        let mut extra_headers = Vec::new();
        for header in &self.extra_headers {
            let Some((name, value)) = header.split_once(':') else {
                bail!("--extra-header takes NAME:VALUE; `{header}` has no `:`");
            };
            if name.trim().is_empty() {
                bail!("--extra-header takes NAME:VALUE; `{header}` has an empty NAME");
            }
            extra_headers.push((name.to_string(), value.to_string()));
        }
        Ok(Settings {
            hostname: self.hostname.clone(),
            base_path: self.base_path.clone(),
            scheme: self.scheme.map(|s| match s {
                SchemeArg::Https => Scheme::Https,
                SchemeArg::Http => Scheme::Http,
            }),
            auth: self.auth.map(|a| match a {
                AuthArg::None => AuthKind::None,
                AuthArg::ApiKey => AuthKind::ApiKey,
                AuthArg::Basic => AuthKind::Basic,
                AuthArg::Oauth2 => AuthKind::OAuth2,
            }),
            oauth: self.oauth.to_settings()?,
            api_key_header_name: self.api_key_header_name.clone(),
            api_key_preamble: self.api_key_preamble.clone(),
            api_key_location: self.api_key_location.map(|l| match l {
                KeyLocationArg::Header => ApiKeyLocation::Header,
                KeyLocationArg::Query => ApiKeyLocation::Query,
                KeyLocationArg::Cookie => ApiKeyLocation::Cookie,
            }),
            extra_headers,
            ..self.paging.to_settings()
        })
    }
}

impl PaginationArgs {
    /// The pagination type flag as the definition's type.
    pub fn pagination_type(&self) -> Option<PaginationType> {
        self.pagination.map(|p| match p {
            PaginationArg::None => PaginationType::None,
            PaginationArg::Index => PaginationType::Index,
            PaginationArg::Page => PaginationType::Page,
            PaginationArg::Link => PaginationType::Link,
            PaginationArg::Pointer => PaginationType::Pointer,
        })
    }

    /// The flags as [`Settings`].
    /// The pagination fields as settings (everything else unset).
    pub fn to_settings(&self) -> Settings {
        Settings {
            pagination: self.pagination_type(),
            results_key: self.results_key.clone(),
            page_size_param: self.page_size_param.clone(),
            default_page_size: self.default_page_size,
            default_page_limit: self.default_page_limit,
            index_param: self.index_param.clone(),
            page_param: self.page_param.clone(),
            link_location: self.link_location.map(|l| match l {
                LinkLocationArg::Header => LinkLocation::Header,
                LinkLocationArg::Body => LinkLocation::Body,
            }),
            response_header_rel: self.response_header_rel.clone(),
            response_header_name: self.response_header_name.clone(),
            next_page_key: self.next_page_key.clone(),
            after_param: self.after_param.clone(),
            pointer_jsonpath: self.pointer_jsonpath.clone(),
            ..Settings::default()
        }
    }
}

/// Reads a definition for editing: it must parse and follow every rule except "at least one
/// action" (a definition started by hand has none yet).
pub fn load(path: &Path) -> Result<Definition> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let definition = Definition::parse_unchecked(&text)
        .with_context(|| format!("{} is not a definition", path.display()))?;
    edit::check_draft(&definition)
        .with_context(|| format!("{} is not a valid definition", path.display()))?;
    Ok(definition)
}

/// Checks the definition and writes it as pretty JSON through a temporary file and a rename.
pub fn save(path: &Path, definition: &Definition) -> Result<()> {
    edit::check_draft(definition).context("the edited definition is not valid; nothing written")?;
    // Written as it is serialized (the same text as `to_json_pretty`), not built in memory first.
    crate::files::write_atomically_with(path, |out| {
        serde_json::to_writer_pretty(&mut *out, definition)?;
        out.write_all(b"\n")
    })
}

fn read_icon(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    String::from_utf8(bytes).map_err(|_| {
        anyhow::anyhow!(
            "{} is not an SVG file (not UTF-8 text; PNG, JPEG and other formats are refused)",
            path.display()
        )
    })
}

/// Runs `definition new`.
pub fn run_new(args: NewArgs) -> Result<ExitCode> {
    if args.output.exists() && !args.force {
        bail!(
            "{} exists; use --force to overwrite it",
            args.output.display()
        );
    }
    let hostname = args.settings.hostname.clone().context(
        "--hostname is required (the API's host without scheme, such as api.example.com)",
    )?;
    let mut definition = edit::new_definition(&args.name, &args.description, &hostname)?;
    if let Some(icon) = &args.icon {
        edit::set_icon(&mut definition, &read_icon(icon)?)
            .with_context(|| format!("icon {}", icon.display()))?;
    }
    for note in edit::apply_settings(&mut definition, &args.settings.to_settings()?)? {
        eprintln!("note: {note}");
    }
    save(&args.output, &definition)?;
    eprintln!(
        "wrote {}: add actions with `plugboard actions add {} --method GET --path /...`",
        args.output.display(),
        args.output.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Runs `definition set`.
pub fn run_set(args: SetArgs) -> Result<ExitCode> {
    let mut definition = load(&args.definition)?;
    if let Some(icon) = &args.icon {
        edit::set_icon(&mut definition, &read_icon(icon)?)
            .with_context(|| format!("icon {}", icon.display()))?;
    }
    for note in edit::apply_settings(&mut definition, &args.settings.to_settings()?)? {
        eprintln!("note: {note}");
    }
    save(&args.definition, &definition)?;
    eprintln!("updated {}", args.definition.display());
    Ok(ExitCode::SUCCESS)
}
