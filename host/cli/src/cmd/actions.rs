//! `plugboard actions ...`: list and edit a definition's actions.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Subcommand, ValueEnum};
use plugboard_definition::edit::{self, NewAction, ReplaceField};

use super::definition::{load, save};
use super::format::Format;

/// Arguments of `plugboard actions`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// `actions` subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the actions.
    List {
        /// The definition.
        definition: PathBuf,
        /// Output format: `human` (one line per action; `text` is the same) or `json` (an
        /// array).
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Rename an action (its id stays).
    Rename {
        /// The definition.
        definition: PathBuf,
        /// The action id.
        id: String,
        /// The new name.
        name: String,
    },
    /// Delete actions.
    Delete {
        /// The definition.
        definition: PathBuf,
        /// Action ids.
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Regex replace in names and/or descriptions (`(.*?) Get` -> `Get $1`); prints every
    /// change as old -> new.
    Replace {
        /// The definition.
        definition: PathBuf,
        /// Regular expression (Rust `regex` syntax).
        pattern: String,
        /// Replacement; `$1`, `${name}` refer to groups.
        replacement: String,
        /// Which text to change.
        #[arg(long, value_enum, default_value = "name")]
        field: FieldArg,
        /// Show the changes without writing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Mark actions paginated (or not, with --off). With `--style` and pagination fields, the
    /// actions get their own pagination (for operations that page in another style than the
    /// integration); the fields start from the action's own pagination, else the integration's.
    Paginate {
        /// The definition.
        definition: PathBuf,
        /// Action ids.
        #[arg(required = true)]
        ids: Vec<String>,
        /// Unmark instead (and drop the actions' own pagination).
        #[arg(long, conflicts_with_all = ["pagination", "results_key", "page_size_param", "default_page_size", "default_page_limit", "index_param", "page_param", "link_location", "response_header_rel", "response_header_name", "next_page_key", "after_param", "pointer_jsonpath"])]
        off: bool,
        /// The actions' own pagination.
        #[command(flatten)]
        paging: super::definition::PaginationArgs,
    },
    /// Add an action by hand.
    Add(AddArgs),
    /// Edit an action's fields (its id stays); JSON values are inline or `@FILE`. The same
    /// edit as the platform's `PATCH /v1/integrations/{id}/actions/{action}`.
    Set(SetArgs),
}

/// Arguments of `actions set`.
#[derive(Debug, clap::Args)]
pub struct SetArgs {
    /// The definition.
    pub definition: PathBuf,
    /// The action id.
    pub id: String,
    /// Display name.
    #[arg(long)]
    pub name: Option<String>,
    /// Description.
    #[arg(long)]
    pub description: Option<String>,
    /// HTTP method.
    #[arg(long)]
    pub method: Option<String>,
    /// Path template below the base path.
    #[arg(long)]
    pub path: Option<String>,
    /// The parameters: a JSON array (as in the definition), inline or `@FILE`.
    #[arg(long, value_name = "JSON|@FILE")]
    pub parameters: Option<String>,
    /// The request body's JSON Schema, inline or `@FILE`; `null` removes the body.
    #[arg(long, value_name = "JSON|@FILE")]
    pub body_schema: Option<String>,
    /// The response's JSON Schema, inline or `@FILE`; `null` removes it.
    #[arg(long, value_name = "JSON|@FILE")]
    pub output_schema: Option<String>,
    /// The action's own pagination (as in the definition), inline or `@FILE`; `null` drops it.
    #[arg(long, value_name = "JSON|@FILE")]
    pub pagination: Option<String>,
    /// Any other fields: a JSON merge patch of the action, inline or `@FILE`.
    #[arg(long, value_name = "JSON|@FILE")]
    pub patch: Option<String>,
}

/// A JSON value given inline or as `@FILE`, named by its flag in errors.
fn json_arg(text: &str, flag: &str) -> Result<serde_json::Value> {
    let (source, content) = match text.strip_prefix('@') {
        Some(file) => (
            file.to_string(),
            std::fs::read_to_string(file).with_context(|| format!("{flag}: cannot read {file}"))?,
        ),
        None => ("the value".to_string(), text.to_string()),
    };
    serde_json::from_str(&content).with_context(|| format!("{flag}: {source} is not JSON"))
}

impl SetArgs {
    /// The flags as a merge patch of the action.
    fn patch(
        &self,
        definition: &plugboard_definition::Definition,
    ) -> Result<serde_json::Map<String, serde_json::Value>> {
        use serde_json::Value;
        let mut patch = match &self.patch {
            Some(text) => match json_arg(text, "--patch")? {
                Value::Object(map) => map,
                _ => anyhow::bail!("--patch: a JSON object of the action's fields"),
            },
            None => serde_json::Map::new(),
        };
        for (key, value) in [
            ("name", &self.name),
            ("description", &self.description),
            ("path", &self.path),
        ] {
            if let Some(value) = value {
                patch.insert(key.into(), Value::String(value.clone()));
            }
        }
        if let Some(method) = &self.method {
            let method = edit::parse_method(method).map_err(flag_error)?;
            patch.insert("method".into(), Value::String(method.as_str().into()));
        }
        for (key, flag, value) in [
            ("parameters", "--parameters", &self.parameters),
            ("output_schema", "--output-schema", &self.output_schema),
            ("pagination", "--pagination", &self.pagination),
        ] {
            if let Some(text) = value {
                patch.insert(key.into(), json_arg(text, flag)?);
            }
        }
        if let Some(text) = &self.body_schema {
            let schema = json_arg(text, "--body-schema")?;
            let body = if schema.is_null() {
                Value::Null
            } else {
                // The body keeps its other fields (required, media type); the schema changes.
                let required = definition
                    .actions
                    .iter()
                    .find(|a| a.id == self.id)
                    .and_then(|a| a.request_body.as_ref())
                    .is_none_or(|b| b.required);
                serde_json::json!({"required": required, "schema": schema})
            };
            patch.insert("request_body".into(), body);
        }
        if patch.is_empty() {
            anyhow::bail!(
                "nothing to set: give --name, --description, --method, --path, --parameters, --body-schema, --output-schema, --pagination or --patch"
            );
        }
        Ok(patch)
    }
}

/// Arguments of `actions add`.
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// The definition.
    pub definition: PathBuf,
    /// HTTP method.
    #[arg(long)]
    pub method: String,
    /// Path template below the base path (`/v1/things/{id}`); placeholders become path
    /// parameters.
    #[arg(long)]
    pub path: String,
    /// Action id (default: from method and path, such as `get_v1_things_by_id`).
    #[arg(long)]
    pub id: Option<String>,
    /// Display name (default: from the id).
    #[arg(long)]
    pub name: Option<String>,
    /// Description.
    #[arg(long)]
    pub description: Option<String>,
    /// A query parameter, `name` or `name:type` (string, integer, number, boolean, array).
    #[arg(long, value_name = "NAME:TYPE")]
    pub query: Vec<String>,
    /// A header parameter, `name` or `name:type`.
    #[arg(long, value_name = "NAME:TYPE")]
    pub header: Vec<String>,
    /// A JSON Schema file for the request body.
    #[arg(long)]
    pub body_schema: Option<PathBuf>,
    /// Follow pages with the integration's pagination.
    #[arg(long)]
    pub paginated: bool,
}

/// Field of `actions replace`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FieldArg {
    /// Names.
    Name,
    /// Descriptions.
    Description,
    /// Both.
    Both,
}

/// Runs the command.
pub fn run(args: Args) -> Result<ExitCode> {
    match args.command {
        Command::List { definition, format } => {
            let definition = load(&definition)?;
            match format {
                Format::Json => {
                    let list: Vec<serde_json::Value> = definition
                        .actions
                        .iter()
                        .map(|a| {
                            serde_json::json!({
                                "id": a.id, "name": a.name, "method": a.method.as_str(),
                                "path": a.path, "paginated": a.paginated,
                                "description": a.description,
                            })
                        })
                        .collect();
                    println!("{}", serde_json::to_string_pretty(&list)?);
                }
                Format::Human => {
                    for a in &definition.actions {
                        let paginated = if a.paginated { "  [paginated]" } else { "" };
                        println!(
                            "{}  {} {}  {}{paginated}",
                            a.id,
                            a.method.as_str(),
                            a.path,
                            a.name
                        );
                    }
                }
            }
        }
        Command::Rename {
            definition: path,
            id,
            name,
        } => {
            let mut definition = load(&path)?;
            edit::rename(&mut definition, &id, &name)?;
            save(&path, &definition)?;
            eprintln!("renamed `{id}` to \"{}\"", name.trim());
        }
        Command::Delete {
            definition: path,
            ids,
        } => {
            let mut definition = load(&path)?;
            let removed = edit::delete(&mut definition, &ids)?;
            save(&path, &definition)?;
            eprintln!(
                "deleted {} action(s); {} left",
                removed.len(),
                definition.actions.len()
            );
        }
        Command::Replace {
            definition: path,
            pattern,
            replacement,
            field,
            dry_run,
        } => {
            let mut definition = load(&path)?;
            let field = match field {
                FieldArg::Name => ReplaceField::Name,
                FieldArg::Description => ReplaceField::Description,
                FieldArg::Both => ReplaceField::Both,
            };
            let changes = edit::replace(&mut definition, &pattern, &replacement, field)?;
            for change in &changes {
                println!(
                    "{} {}: {:?} -> {:?}",
                    change.id, change.field, change.old, change.new
                );
            }
            if dry_run {
                eprintln!(
                    "{} change(s) previewed; nothing written (--dry-run)",
                    changes.len()
                );
            } else if changes.is_empty() {
                eprintln!("no action matches; nothing written");
            } else {
                save(&path, &definition)?;
                eprintln!("{} change(s) written", changes.len());
            }
        }
        Command::Paginate {
            definition: path,
            ids,
            off,
            paging,
        } => {
            let mut definition = load(&path)?;
            let settings = paging.to_settings();
            if settings != edit::Settings::default() {
                let changed = edit::set_action_pagination(&mut definition, &ids, &settings)
                    .map_err(flag_error)?;
                save(&path, &definition)?;
                eprintln!("{changed} action(s) changed");
                for id in &ids {
                    if let Some(action) = definition.actions.iter().find(|a| &a.id == id) {
                        let style = match (&action.pagination, action.paginated) {
                            (_, false) => "not paginated".to_string(),
                            (Some(own), true) => {
                                format!("its own pagination: {}", own.kind.as_str())
                            }
                            (None, true) => format!(
                                "the integration's pagination: {}",
                                definition.pagination.kind.as_str()
                            ),
                        };
                        eprintln!("{id}: {style}");
                    }
                }
            } else {
                let changed = edit::set_paginated(&mut definition, &ids, !off)?;
                save(&path, &definition)?;
                let state = if off { "not paginated" } else { "paginated" };
                eprintln!("{changed} action(s) now {state}");
            }
        }
        Command::Add(add) => {
            let mut definition = load(&add.definition)?;
            let body_schema = match &add.body_schema {
                Some(file) => {
                    let text = std::fs::read_to_string(file)
                        .with_context(|| format!("cannot read {}", file.display()))?;
                    Some(serde_json::from_str(&text).with_context(|| {
                        format!("{} is not JSON (a JSON Schema)", file.display())
                    })?)
                }
                None => None,
            };
            let id = edit::add_action(
                &mut definition,
                NewAction {
                    id: add.id,
                    method: edit::parse_method(&add.method)?,
                    path: add.path,
                    name: add.name,
                    description: add.description,
                    query: add.query,
                    headers: add.header,
                    body_schema,
                    paginated: add.paginated,
                },
            )?;
            save(&add.definition, &definition)?;
            eprintln!("added action `{id}`");
        }
        Command::Set(set) => {
            let mut definition = load(&set.definition)?;
            let patch = set.patch(&definition)?;
            let action =
                edit::patch_action(&mut definition, &set.id, &patch).map_err(flag_error)?;
            save(&set.definition, &definition)?;
            let mut fields: Vec<&String> = patch.keys().collect();
            fields.sort();
            eprintln!(
                "set {} of `{}` ({} {})",
                fields
                    .iter()
                    .map(|f| f.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                action.id,
                action.method.as_str(),
                action.path
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// An edit error in the CLI's terms: `actions.ID.pagination.page_param` names `--page-param`,
/// `actions.ID.request_body.schema` names `--body-schema`.
fn flag_error(error: plugboard_definition::Error) -> anyhow::Error {
    match error {
        plugboard_definition::Error::Edit { field, message } => {
            let mut parts = field.split('.');
            let flag = match (parts.next(), parts.next(), parts.next()) {
                (Some("actions"), Some(_), Some("request_body")) => "body-schema".to_string(),
                (Some("actions"), Some(_), Some("pagination")) => {
                    field.rsplit('.').next().unwrap_or(&field).replace('_', "-")
                }
                (
                    Some("actions"),
                    Some(_),
                    Some(
                        first @ ("name" | "description" | "method" | "path" | "parameters"
                        | "output_schema"),
                    ),
                ) => first.replace('_', "-"),
                (Some("actions"), Some(_), Some(_)) => "patch".to_string(),
                (Some("actions"), Some(_), None) => "patch".to_string(),
                _ => field.rsplit('.').next().unwrap_or(&field).replace('_', "-"),
            };
            anyhow::anyhow!("--{flag}: {message} ({field})")
        }
        other => other.into(),
    }
}
