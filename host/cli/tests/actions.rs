//! `plugboard definition new|set` and `plugboard actions ...` end to end.

mod common;

use common::{path, plugboard};

#[test]
fn build_by_hand_and_edit() {
    let dir = tempfile::tempdir().unwrap();
    let def = dir.path().join("def.json");
    let icon = dir.path().join("logo.svg");
    std::fs::write(&icon, r#"<svg xmlns="http://www.w3.org/2000/svg" onload="x()"><script>y()</script><rect width="2"/></svg>"#).unwrap();
    let png = dir.path().join("logo.png");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\n\0\0").unwrap();
    let base = [
        "definition",
        "new",
        "-o",
        path(&def),
        "--name",
        "Things API",
        "--description",
        "Things",
        "--hostname",
        "api.things.example",
    ];
    let (ok, _, err) = plugboard(&[&base[..], &["--icon", path(&png)]].concat());
    assert!(!ok && err.contains("not an SVG"), "{err}");
    let (ok, _, err) = plugboard(&[
        "definition",
        "new",
        "-o",
        path(&def),
        "--name",
        "Bad/Name",
        "--description",
        "x",
        "--hostname",
        "h.example",
    ]);
    assert!(!ok && err.contains("letters, digits"), "{err}");
    let (ok, _, err) = plugboard(&[&base[..], &["--icon", path(&icon)]].concat());
    assert!(ok, "{err}");
    let text = std::fs::read_to_string(&def).unwrap();
    let written: serde_json::Value = serde_json::from_str(&text).unwrap();
    let icon = written["icon"].as_str().unwrap();
    assert!(
        !icon.contains("script") && !icon.contains("onload") && icon.contains("rect"),
        "{icon}"
    );

    let (ok, _, err) = plugboard(&[
        "actions",
        "add",
        path(&def),
        "--method",
        "GET",
        "--path",
        "/v1/things",
        "--query",
        "limit:integer",
        "--query",
        "page:integer",
        "--name",
        "Things List",
        "--paginated",
    ]);
    assert!(
        !ok && err.contains("set its type first")
            && err.contains("--pagination index|page|link|pointer"),
        "{err}"
    );
    let (ok, _, err) = plugboard(&[
        "definition",
        "set",
        path(&def),
        "--pagination",
        "page",
        "--page-param",
        "page",
        "--page-size-param",
        "limit",
        "--auth",
        "api-key",
        "--api-key-preamble",
        "Bearer",
    ]);
    assert!(ok, "{err}");
    let (ok, _, err) = plugboard(&["definition", "set", path(&def), "--default-page-size", "0"]);
    assert!(!ok && err.contains("1..=1000"), "{err}");
    let (ok, _, err) = plugboard(&[
        "actions",
        "add",
        path(&def),
        "--method",
        "GET",
        "--path",
        "/v1/things",
        "--query",
        "limit:integer",
        "--name",
        "Things List",
        "--paginated",
    ]);
    assert!(ok, "{err}");
    let (ok, _, err) = plugboard(&[
        "actions",
        "add",
        path(&def),
        "--method",
        "get",
        "--path",
        "/v1/things/{id}",
        "--name",
        "Thing Records Get",
    ]);
    assert!(ok && err.contains("get_v1_things_by_id"), "{err}");

    let (ok, out, err) = plugboard(&[
        "actions",
        "replace",
        path(&def),
        "(.*?) Get",
        "Get $1",
        "--dry-run",
    ]);
    assert!(
        ok && out.contains("\"Thing Records Get\" -> \"Get Thing Records\""),
        "{out}{err}"
    );
    assert!(
        std::fs::read_to_string(&def)
            .unwrap()
            .contains("Thing Records Get")
    );
    let (ok, _, err) = plugboard(&["actions", "replace", path(&def), "(.*?) Get", "Get $1"]);
    assert!(ok, "{err}");
    let (ok, _, err) = plugboard(&[
        "actions",
        "rename",
        path(&def),
        "get_v1_things",
        "List things",
    ]);
    assert!(ok, "{err}");
    let (ok, _, err) = plugboard(&["actions", "paginate", path(&def), "get_v1_things", "--off"]);
    assert!(ok, "{err}");
    let (ok, out, _) = plugboard(&["actions", "list", path(&def), "--format", "json"]);
    assert!(ok);
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list[0]["name"], "List things");
    assert_eq!(list[0]["paginated"], false);
    assert_eq!(list[1]["name"], "Get Thing Records");
    let (ok, _, err) = plugboard(&["actions", "delete", path(&def), "get_v1_things_by_id"]);
    assert!(ok, "{err}");
    let (ok, _, err) = plugboard(&["actions", "delete", path(&def), "get_v1_things"]);
    assert!(!ok && err.contains("at least one"), "{err}");
    let (ok, out, _) = plugboard(&["actions", "list", path(&def)]);
    assert!(
        ok && out.contains("get_v1_things  GET /v1/things  List things"),
        "{out}"
    );
    let (ok, _, err) = plugboard(&["definition", "validate", path(&def)]);
    assert!(ok, "{err}");
}

/// `actions paginate --style ...` gives actions their own pagination, with the same rules as the
/// integration's; errors name the flag.
#[test]
fn actions_get_their_own_pagination() {
    let dir = tempfile::tempdir().unwrap();
    let def = dir.path().join("def.json");
    let (ok, _, err) = plugboard(&[
        "definition",
        "new",
        "-o",
        path(&def),
        "--name",
        "Things",
        "--description",
        "Things",
        "--hostname",
        "api.things.example",
        "--pagination",
        "index",
        "--index-param",
        "offset",
    ]);
    assert!(ok, "{err}");
    for p in ["/things", "/events"] {
        let (ok, _, err) =
            plugboard(&["actions", "add", path(&def), "--method", "GET", "--path", p]);
        assert!(ok, "{err}");
    }
    let (ok, _, err) = plugboard(&[
        "actions",
        "paginate",
        path(&def),
        "get_events",
        "--style",
        "page",
    ]);
    assert!(!ok && err.contains("--page-param"), "{err}");
    let (ok, _, err) = plugboard(&[
        "actions",
        "paginate",
        path(&def),
        "get_events",
        "--style",
        "page",
        "--page-param",
        "p",
        "--default-page-size",
        "50",
    ]);
    assert!(
        ok && err.contains("get_events: its own pagination: page"),
        "{err}"
    );
    let (ok, _, err) = plugboard(&["actions", "paginate", path(&def), "get_things"]);
    assert!(ok, "{err}");
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&def).unwrap()).unwrap();
    let events = &written["actions"][1];
    assert_eq!(events["paginated"], true);
    assert_eq!(events["pagination"]["type"], "page");
    assert_eq!(events["pagination"]["page_param"], "p");
    assert_eq!(events["pagination"]["default_page_size"], 50);
    assert!(written["actions"][0].get("pagination").is_none());
    let (ok, _, err) = plugboard(&[
        "actions",
        "paginate",
        path(&def),
        "get_events",
        "--style",
        "page",
        "--default-page-limit",
        "21",
    ]);
    assert!(
        !ok && err.contains("--default-page-limit") && err.contains("1..=20"),
        "{err}"
    );
    let (ok, _, err) = plugboard(&["actions", "paginate", path(&def), "get_events", "--off"]);
    assert!(ok, "{err}");
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&def).unwrap()).unwrap();
    assert!(written["actions"][1].get("pagination").is_none());
    assert_eq!(written["actions"][1]["paginated"], false);
}

#[test]
fn actions_set_edits_one_action_like_the_platform_s_patch() {
    let dir = tempfile::tempdir().unwrap();
    let def = dir.path().join("def.json");
    let (ok, _, err) = plugboard(&[
        "definition",
        "new",
        "-o",
        path(&def),
        "--name",
        "Things",
        "--description",
        "Things",
        "--hostname",
        "api.things.example",
    ]);
    assert!(ok, "{err}");
    let (ok, _, err) = plugboard(&[
        "actions",
        "add",
        path(&def),
        "--method",
        "GET",
        "--path",
        "/things",
        "--id",
        "list",
    ]);
    assert!(ok, "{err}");
    let schema = dir.path().join("out.json");
    std::fs::write(&schema, r#"{"type": "array", "items": {"type": "object"}}"#).unwrap();
    let out_arg = format!("@{}", path(&schema));
    let (ok, _, err) = plugboard(&[
        "actions",
        "set",
        path(&def),
        "list",
        "--name",
        "Search things",
        "--method",
        "post",
        "--path",
        "/things/search",
        "--body-schema",
        r#"{"type": "object", "properties": {"q": {"type": "string"}}}"#,
        "--output-schema",
        &out_arg,
    ]);
    assert!(ok, "{err}");
    assert!(err.contains("set "), "{err}");
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&def).unwrap()).unwrap();
    let action = &written["actions"][0];
    assert_eq!(action["id"], "list");
    assert_eq!(action["name"], "Search things");
    assert_eq!(action["method"], "POST");
    assert_eq!(action["path"], "/things/search");
    assert_eq!(
        action["request_body"]["schema"]["properties"]["q"]["type"],
        "string"
    );
    assert_eq!(action["output_schema"]["type"], "array");

    // Refusals name the flag, and the file is left as it was.
    let before = std::fs::read_to_string(&def).unwrap();
    for (args, flag) in [
        (vec!["--method", "FETCH"], "--method"),
        (vec!["--path", "things"], "path"),
        (vec!["--patch", r#"{"colour": "red"}"#], "--patch"),
        (
            vec!["--output-schema", "@/nonexistent.json"],
            "--output-schema",
        ),
        (vec!["--body-schema", "{not json"], "--body-schema"),
        (vec![], "nothing to set"),
    ] {
        let (ok, _, err) =
            plugboard(&[&["actions", "set", path(&def), "list"][..], &args].concat());
        assert!(!ok, "{args:?} succeeded");
        assert!(err.contains(flag), "{args:?}: {err}");
    }
    assert_eq!(std::fs::read_to_string(&def).unwrap(), before);
    // `null` removes the body.
    let (ok, _, err) = plugboard(&[
        "actions",
        "set",
        path(&def),
        "list",
        "--body-schema",
        "null",
    ]);
    assert!(ok, "{err}");
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&def).unwrap()).unwrap();
    assert!(written["actions"][0].get("request_body").is_none());
}
