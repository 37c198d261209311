//! Action editing and hand-built definitions.

use plugboard_definition::edit::{
    self, AuthKind, NewAction, ReplaceField, Settings, generated_id, readable_name, sanitize_id,
    sanitize_name, unique_id,
};
use plugboard_definition::{Auth, Definition, LinkLocation, Method, PaginationType};
use serde_json::json;

#[allow(clippy::unwrap_used)]
fn sample() -> Definition {
    Definition::from_json(
        &json!({"definition_version": 1, "name": "Photos", "description": "Photo API",
        "hostname": "api.example.com", "actions": [
          {"id": "photos_get", "name": "Photo Records Get", "description": "Get photo records", "method": "GET", "path": "/photos"},
          {"id": "albums_get", "name": "Album Records Get", "method": "GET", "path": "/albums"},
          {"id": "ping", "name": "Ping", "method": "GET", "path": "/ping"}]})
        .to_string(),
    )
    .unwrap()
}

#[test]
fn ids_and_names() {
    assert_eq!(
        generated_id(Method::Get, "/users/{id}/posts"),
        "get_users_by_id_posts"
    );
    assert_eq!(generated_id(Method::Delete, "/"), "delete_root");
    assert_eq!(sanitize_id("repos/list for user"), "repos_list_for_user");
    let taken = ["a".to_string(), "a_2".to_string()].into_iter().collect();
    assert_eq!(unique_id("a", &taken), "a_3");
    assert_eq!(unique_id("b", &taken), "b");
    assert_eq!(readable_name("listUserRepos"), "List user repos");
    assert_eq!(readable_name("get_user_by_ID"), "Get user by ID");
    assert_eq!(sanitize_name("Petstore (v2.0)!"), "Petstore v2 0");
}

#[test]
fn rename_delete_and_paginate() {
    let mut d = sample();
    edit::rename(&mut d, "ping", "Health check").unwrap();
    assert_eq!(d.actions[2].name, "Health check");
    let error = edit::rename(&mut d, "nope", "x").unwrap_err().to_string();
    assert!(
        error.contains("nope") && error.contains("photos_get"),
        "{error}"
    );
    assert!(edit::rename(&mut d, "ping", "  ").is_err());

    let removed = edit::delete(&mut d, &["ping".into()]).unwrap();
    assert_eq!(removed[0].id, "ping");
    assert_eq!(d.actions.len(), 2);
    let error = edit::delete(&mut d, &["photos_get".into(), "albums_get".into()])
        .unwrap_err()
        .to_string();
    assert!(error.contains("at least one"), "{error}");
    assert!(edit::delete(&mut d, &["ghost".into()]).is_err());

    let error = edit::set_paginated(&mut d, &["photos_get".into()], true)
        .unwrap_err()
        .to_string();
    assert!(error.contains("set its type first"), "{error}");
    edit::apply_settings(
        &mut d,
        &Settings {
            pagination: Some(PaginationType::Page),
            page_param: Some("page".into()),
            ..Settings::default()
        },
    )
    .unwrap();
    assert_eq!(
        edit::set_paginated(&mut d, &["photos_get".into()], true).unwrap(),
        1
    );
    d.validate().unwrap();
    assert_eq!(
        edit::set_paginated(&mut d, &["photos_get".into()], false).unwrap(),
        1
    );
    assert!(!d.actions[0].paginated);
}

#[test]
fn regex_replace_with_preview() {
    let d = sample();
    let mut preview = d.clone();
    let changes = edit::replace(&mut preview, "(.*?) Get", "Get $1", ReplaceField::Name).unwrap();
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[0].old, "Photo Records Get");
    assert_eq!(changes[0].new, "Get Photo Records");
    assert_eq!(preview.actions[1].name, "Get Album Records");
    assert_eq!(d.actions[0].name, "Photo Records Get");

    let mut both = d.clone();
    let changes = edit::replace(&mut both, "(?i)photo", "Image", ReplaceField::Both).unwrap();
    assert_eq!(changes.len(), 2);
    assert_eq!(both.actions[0].description, "Get Image records");
    assert!(edit::replace(&mut both, "(", "", ReplaceField::Name).is_err());
    let error = edit::replace(&mut both, ".*", "", ReplaceField::Name)
        .unwrap_err()
        .to_string();
    assert!(error.contains("empty"), "{error}");
}

#[test]
fn hand_built_definition() {
    let mut d = edit::new_definition("My API", "Things", "api.things.example").unwrap();
    assert!(edit::new_definition("Bad/name", "x", "h.example").is_err());
    edit::check_draft(&d).unwrap();
    let id = edit::add_action(
        &mut d,
        NewAction {
            id: None,
            method: edit::parse_method("get").unwrap(),
            path: "/v1/things/{id}".into(),
            name: None,
            description: Some("One thing".into()),
            query: vec!["expand:boolean".into(), "q".into()],
            headers: vec!["X-Trace:string".into()],
            body_schema: None,
            paginated: false,
        },
    )
    .unwrap();
    assert_eq!(id, "get_v1_things_by_id");
    let action = &d.actions[0];
    assert_eq!(action.name, "Get v1 things by id");
    assert_eq!(action.parameters.len(), 4);
    assert_eq!(
        action.parameters[1].schema,
        Some(json!({"type": "boolean"}))
    );
    d.validate().unwrap();
    let bad = NewAction {
        id: None,
        method: Method::Post,
        path: "/v1/things".into(),
        name: None,
        description: None,
        query: vec!["n:date".into()],
        headers: vec![],
        body_schema: Some(json!({"type": "object"})),
        paginated: false,
    };
    let error = edit::add_action(&mut d, bad.clone())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("date") && error.contains("integer"),
        "{error}"
    );
    let paginated = NewAction {
        query: vec![],
        paginated: true,
        ..bad.clone()
    };
    assert!(edit::add_action(&mut d, paginated).is_err());
    let ok = NewAction {
        query: vec![],
        ..bad
    };
    assert_eq!(edit::add_action(&mut d, ok).unwrap(), "post_v1_things");
    assert!(edit::parse_method("FETCH").is_err());
    assert_eq!(d.actions.len(), 2);
}

#[test]
fn settings_with_range_checks() {
    let mut d = sample();
    let error = edit::apply_settings(
        &mut d,
        &Settings {
            pagination: Some(PaginationType::Index),
            index_param: Some("offset".into()),
            default_page_size: Some(5000),
            ..Settings::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("1..=1000") && error.contains("5000"),
        "{error}"
    );
    assert_eq!(
        d.pagination.kind,
        PaginationType::None,
        "nothing changed on error"
    );
    let error = edit::apply_settings(
        &mut d,
        &Settings {
            pagination: Some(PaginationType::Page),
            ..Settings::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("page_param") && error.contains("--page-param"),
        "{error}"
    );
    let error = edit::apply_settings(
        &mut d,
        &Settings {
            pagination: Some(PaginationType::Page),
            page_param: Some("p".into()),
            index_param: Some("offset".into()),
            ..Settings::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("index_param") && error.contains("page"),
        "{error}"
    );

    edit::apply_settings(
        &mut d,
        &Settings {
            pagination: Some(PaginationType::Link),
            link_location: Some(LinkLocation::Body),
            next_page_key: Some("links.next".into()),
            results_key: Some("data".into()),
            auth: Some(AuthKind::ApiKey),
            api_key_preamble: Some("Bearer".into()),
            ..Settings::default()
        },
    )
    .unwrap();
    d.validate().unwrap();
    assert_eq!(d.pagination.next_page_key.as_deref(), Some("links.next"));
    assert!(
        matches!(&d.auth, Auth::ApiKey { api_key_header_name, api_key_preamble, .. }
        if api_key_header_name == "Authorization" && api_key_preamble == "Bearer")
    );
    edit::set_paginated(&mut d, &["ping".into()], true).unwrap();
    let notes = edit::apply_settings(
        &mut d,
        &Settings {
            pagination: Some(PaginationType::None),
            auth: Some(AuthKind::Basic),
            ..Settings::default()
        },
    )
    .unwrap();
    assert!(notes[0].contains("ping"), "{notes:?}");
    d.validate().unwrap();
    let error = edit::apply_settings(
        &mut d,
        &Settings {
            api_key_header_name: Some("X-Key".into()),
            ..Settings::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains("api_key auth only"), "{error}");
}

#[test]
fn icons_are_sanitized() {
    let mut d = sample();
    edit::set_icon(
        &mut d,
        r#"<svg xmlns="http://www.w3.org/2000/svg" onload="steal()"><script>x()</script><a href="javascript:alert(1)"><path d="M0 0"/></a></svg>"#,
    )
    .unwrap();
    let icon = d.icon.clone().unwrap();
    assert!(
        !icon.contains("script") && !icon.contains("onload"),
        "{icon}"
    );
    assert!(icon.contains(r#"<path d="M0 0"/>"#), "{icon}");
    d.validate().unwrap();
    let error = edit::set_icon(&mut d, "<html/>").unwrap_err().to_string();
    assert!(error.contains("svg"), "{error}");
    assert!(edit::set_icon(&mut d, "\u{89}PNG").is_err());
}
