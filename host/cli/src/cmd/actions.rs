//! `plugboard actions ...`: list and edit a definition's actions.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Subcommand, ValueEnum};
use plugboard_definition::edit::{self, NewAction, ReplaceField};

use super::definition::{load, save};

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
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
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

/// Output format of `actions list`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// One line per action.
    Text,
    /// JSON array.
    Json,
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
                Format::Text => {
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
    }
    Ok(ExitCode::SUCCESS)
}

/// An edit error in the CLI's terms: `actions.ID.pagination.page_param` names `--page-param`.
fn flag_error(error: plugboard_definition::Error) -> anyhow::Error {
    match error {
        plugboard_definition::Error::Edit { field, message } => {
            let flag = field.rsplit('.').next().unwrap_or(&field).replace('_', "-");
            anyhow::anyhow!("--{flag}: {message} ({field})")
        }
        other => other.into(),
    }
}
