//! Reading specs: values, positions by JSON pointer, errors with line:col, budgets.
//!
//! The speed check is ignored by default; run it in release with
//! `cargo test -p plugboard-openapi --release --test source -- --ignored --nocapture`.

use std::time::{Duration, Instant};

use plugboard_openapi::Error;
use plugboard_openapi::source::{Budget, Document, Format, Position, escape_segment};
use serde_json::{Value, json};

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/source/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn pos(line: usize, column: usize) -> Option<Position> {
    Some(Position { line, column })
}

/// The `(line, column)` of a syntax error, with its message.
fn syntax_error(text: &str) -> (usize, usize, String) {
    match Document::parse(text) {
        Err(Error::Syntax {
            line,
            column,
            message,
            ..
        }) => (line, column, message),
        other => panic!("expected a syntax error for {text:?}, got {other:?}"),
    }
}

fn budget_error(result: Result<Document, Error>) -> (String, usize) {
    match result {
        Err(Error::Budget { what, limit }) => (what, limit),
        other => panic!("expected a budget error, got {other:?}"),
    }
}

// ---------------------------------------------------------------- positions

#[test]
fn yaml_positions_of_nested_pointers() {
    let doc = Document::parse(&fixture("petstore.yaml")).unwrap();
    assert_eq!(doc.format, Format::Yaml);
    assert_eq!(doc.position(""), pos(1, 1));
    assert_eq!(doc.position("/openapi"), pos(1, 1));
    assert_eq!(doc.value_position("/openapi"), pos(1, 10));
    assert_eq!(doc.position("/info/version"), pos(4, 3));
    assert_eq!(doc.value_position("/info/version"), pos(4, 12));
    let get = format!("/paths/{}/get", escape_segment("/pets/{id}"));
    assert_eq!(get, "/paths/~1pets~1{id}/get");
    assert_eq!(
        doc.position(&format!("/paths/{}", escape_segment("/pets/{id}"))),
        pos(6, 3)
    );
    assert_eq!(doc.position(&get), pos(7, 5));
    assert_eq!(doc.position(&format!("{get}/parameters")), pos(9, 7));
    // An array item: where the item (after `- `) starts.
    assert_eq!(doc.position(&format!("{get}/parameters/0")), pos(10, 11));
    assert_eq!(doc.position(&format!("{get}/parameters/0/in")), pos(11, 11));
    assert_eq!(
        doc.position(&format!("{get}/parameters/0/schema/type")),
        pos(14, 13)
    );
    assert_eq!(doc.position(&format!("{get}/responses/200")), pos(16, 9));
    assert_eq!(
        doc.position(&format!(
            "{get}/responses/200/content/application~1json/schema/$ref"
        )),
        pos(21, 17)
    );
    assert_eq!(
        doc.position("/components/schemas/Pet/properties/a~0b/type"),
        pos(30, 11)
    );
    // URI fragments work too.
    assert_eq!(
        doc.position("#/components/schemas/Pet/properties/a~0b"),
        pos(29, 9)
    );
    assert_eq!(doc.position("#/paths/~1pets~1%7Bid%7D/get"), pos(7, 5));
}

#[test]
fn json_positions_of_nested_pointers() {
    let doc = Document::parse(&fixture("petstore.json")).unwrap();
    assert_eq!(doc.format, Format::Json);
    assert_eq!(doc.position(""), pos(1, 1));
    assert_eq!(doc.position("/openapi"), pos(2, 3));
    assert_eq!(doc.value_position("/openapi"), pos(2, 14));
    assert_eq!(doc.position("/info/version"), pos(3, 33));
    let get = "/paths/~1pets~1{id}/get";
    assert_eq!(doc.position(get), pos(6, 7));
    assert_eq!(doc.value_position(get), pos(6, 14));
    assert_eq!(doc.position(&format!("{get}/parameters/0")), pos(9, 11));
    assert_eq!(
        doc.position(&format!("{get}/parameters/0/required")),
        pos(9, 40)
    );
    assert_eq!(
        doc.position(&format!("{get}/parameters/0/schema/type")),
        pos(10, 23)
    );
    assert_eq!(
        doc.position(&format!(
            "{get}/responses/200/content/application~1json/schema/$ref"
        )),
        pos(15, 57)
    );
    assert_eq!(
        doc.position("/components/schemas/Pet/properties/a~0b/type"),
        pos(21, 79)
    );
}

#[test]
fn missing_pointers_give_the_nearest_ancestor() {
    let doc = Document::parse(&fixture("petstore.yaml")).unwrap();
    assert_eq!(doc.position("/info/nope/deeper"), doc.position("/info"));
    assert_eq!(doc.position("/info/title/0"), doc.position("/info/title"));
    assert_eq!(doc.position("/nope"), pos(1, 1));
    assert_eq!(doc.position("not a pointer"), None);
    // Values added after parsing have no position of their own.
    let mut doc = doc;
    doc.value["info"]["x-added"] = json!(1);
    assert_eq!(doc.position("/info/x-added"), doc.position("/info"));
    // Built in memory: nothing is known.
    let doc = Document::from_value(json!({"a": 1}));
    assert_eq!(doc.position("/a"), None);
    assert_eq!(doc.position(""), None);
    assert_eq!(doc.line_text(1), None);
}

#[test]
fn keys_with_slash_and_tilde() {
    let yaml = "paths:\n  /a/b~c:\n    x~/y: 1\n  \"\": {}\n";
    let doc = Document::parse(yaml).unwrap();
    assert_eq!(doc.value["paths"]["/a/b~c"]["x~/y"], json!(1));
    assert_eq!(doc.position("/paths/~1a~1b~0c/x~0~1y"), pos(3, 5));
    assert_eq!(doc.position("/paths/"), pos(4, 3));
    let json = r#"{"paths": {"/a/b~c": {"x~/y": 1}, "": {}}}"#;
    let doc = Document::parse(json).unwrap();
    assert_eq!(doc.position("/paths/~1a~1b~0c/x~0~1y"), pos(1, 23));
    assert_eq!(doc.position("/paths/"), pos(1, 35));
    // A segment that only looks like an escaped one is not confused with it.
    let doc = Document::parse(r#"{"a/b": 1, "a~1b": 2}"#).unwrap();
    assert_eq!(doc.position("/a~1b"), pos(1, 2));
    assert_eq!(doc.position("/a~01b"), pos(1, 12));
}

#[test]
fn minified_json_column_far_right() {
    // One line, ~2 MB: the last member's column is its character count from the line start.
    let mut text = String::from("{\"openapi\":\"3.0.3\",\"paths\":{");
    for i in 0..40_000 {
        text.push_str(&format!(
            "\"/p{i}\":{{\"get\":{{\"operationId\":\"op{i}\"}}}},"
        ));
    }
    text.push_str("\"/last\":{\"get\":{\"operationId\":\"é\"}}}}");
    let doc = Document::parse(&text).unwrap();
    let key = text.find("\"/last\"").unwrap();
    assert_eq!(doc.position("/paths/~1last"), pos(1, key + 1));
    let op = text.find("\"operationId\":\"é\"").unwrap();
    assert_eq!(
        doc.position("/paths/~1last/get/operationId"),
        pos(1, op + 1)
    );
    assert_eq!(
        doc.value_position("/paths/~1last/get/operationId"),
        pos(1, op + 15)
    );
    assert_eq!(doc.position("/paths/~1p39999/get"), {
        let at = text.find("\"/p39999\":{\"get\"").unwrap() + 11;
        pos(1, at + 1)
    });
    // Positions stay fast on one very long line: 10,000 look-ups near its end.
    let started = Instant::now();
    for i in 39_000..40_000 {
        for _ in 0..10 {
            assert!(
                doc.position(&format!("/paths/~1p{i}/get/operationId"))
                    .is_some()
            );
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn columns_count_characters_not_bytes() {
    // Non-ASCII text before the value, also past the 4 KiB blocks the column index uses.
    let pad = "é".repeat(5000);
    let json = format!("{{\"a\": \"{pad}\", \"b\": \"日本\", \"c\": 1}}");
    let doc = Document::parse(&json).unwrap();
    assert_eq!(doc.position("/b"), pos(1, 5000 + 11));
    assert_eq!(doc.position("/c"), pos(1, 5000 + 22));
    let yaml = format!("title: ü\nx: {pad}\ny: 2\nz: {{é: [1, ü, 3]}}\n");
    let doc = Document::parse(&yaml).unwrap();
    assert_eq!(doc.position("/y"), pos(3, 1));
    assert_eq!(doc.value_position("/x"), pos(2, 4));
    assert_eq!(doc.position("/z/é/2"), pos(4, 15));
    assert_eq!(doc.line_text(4), Some("z: {é: [1, ü, 3]}"));
}

#[test]
fn byte_order_mark_is_skipped() {
    let doc = Document::parse("\u{feff}openapi: 3.1.0\ninfo: {}\n").unwrap();
    assert_eq!(doc.value["openapi"], json!("3.1.0"));
    assert_eq!(doc.position("/info"), pos(2, 1));
    let doc = Document::parse("\u{feff}{\"openapi\": \"3.1.0\"}").unwrap();
    assert_eq!(doc.format, Format::Json);
    assert_eq!(doc.position("/openapi"), pos(1, 2));
    assert_eq!(doc.line_text(1), Some("{\"openapi\": \"3.1.0\"}"));
}

#[test]
fn crlf_line_endings() {
    let yaml = "openapi: 3.0.0\r\ninfo:\r\n  title: T\r\n  version: |\r\n    one\r\n    two\r\n";
    let doc = Document::parse(yaml).unwrap();
    assert_eq!(doc.value["info"]["version"], json!("one\ntwo\n"));
    assert_eq!(doc.position("/info/title"), pos(3, 3));
    assert_eq!(doc.position("/info/version"), pos(4, 3));
    assert_eq!(doc.line_text(3), Some("  title: T"));
    let json = "{\r\n  \"a\": {\r\n    \"b\": 1\r\n  }\r\n}\r\n";
    let doc = Document::parse(json).unwrap();
    assert_eq!(doc.position("/a/b"), pos(3, 5));
    assert_eq!(doc.line_text(3), Some("    \"b\": 1"));
    let (line, column, _) = syntax_error("{\r\n  \"a\": 1,\r\n  \"a\": 2\r\n}");
    assert_eq!((line, column), (3, 3));
}

// ---------------------------------------------------------------- YAML specifics

#[test]
fn yaml_anchors_and_aliases_are_resolved() {
    let yaml = "\
components:
  schemas:
    Error: &error
      type: object
      properties:
        code: {type: integer}
    Other: *error
    List:
      - &name {type: string}
      - *name
base: &base
  a: 1
  b: 2
merged:
  <<: *base
  b: 3
  c: 4
many:
  <<: [{x: 1}, *base]
";
    let doc = Document::parse(yaml).unwrap();
    let error = &doc.value["components"]["schemas"]["Error"];
    assert_eq!(error["properties"]["code"]["type"], json!("integer"));
    assert_eq!(&doc.value["components"]["schemas"]["Other"], error);
    assert_eq!(
        doc.value["components"]["schemas"]["List"],
        json!([{"type": "string"}, {"type": "string"}])
    );
    assert_eq!(doc.value["merged"], json!({"b": 3, "c": 4, "a": 1}));
    assert_eq!(doc.value["many"], json!({"x": 1, "a": 1, "b": 2}));
    // The alias itself is where it is used; what is under it is where the anchor's text is.
    assert_eq!(doc.position("/components/schemas/Other"), pos(7, 5));
    assert_eq!(doc.value_position("/components/schemas/Other"), pos(7, 12));
    assert_eq!(
        doc.position("/components/schemas/Other/properties/code/type"),
        pos(6, 16)
    );
    assert_eq!(doc.position("/components/schemas/List/1/type"), pos(9, 16));
    // Merged members: where the merged mapping has them.
    assert_eq!(doc.position("/merged/a"), pos(12, 3));
    assert_eq!(doc.position("/merged/b"), pos(16, 3));
    assert_eq!(doc.position("/many/x"), pos(19, 9));
    assert_eq!(doc.position("/many/b"), pos(13, 3));
}

#[test]
fn merges_of_merges_point_at_the_original_text() {
    let yaml =
        "base: &base {a: 1, b: 2}\next: &ext\n  <<: *base\n  c: 3\nfinal:\n  <<: *ext\n  d: 4\n";
    let doc = Document::parse(yaml).unwrap();
    assert_eq!(doc.value["final"], json!({"d": 4, "c": 3, "a": 1, "b": 2}));
    assert_eq!(doc.position("/final/d"), pos(7, 3));
    assert_eq!(doc.position("/final/c"), pos(4, 3));
    assert_eq!(doc.position("/final/b"), pos(1, 20));
    assert_eq!(doc.position("/ext/a"), pos(1, 14));
    let (line, column, message) = syntax_error("a: 1\nb:\n  <<: 5\n");
    assert_eq!((line, column), (3, 3), "{message}");
}

#[test]
fn alias_bomb_is_refused_quickly() {
    let mut yaml = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let prev = format!("*a{}", i - 1);
        let refs = [prev.as_str(); 10].join(", ");
        yaml.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    let started = Instant::now();
    let (what, limit) = budget_error(Document::parse(&yaml));
    assert_eq!(what, "alias expansions");
    assert_eq!(limit, Budget::default().max_alias_expansions);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    // Anchors nested in anchors are copies too (each anchored node is kept once): 400 levels
    // over 5,000 values would be 2,000,000 copies without a single alias.
    let levels = 400;
    let mut yaml = String::from("a: ");
    for i in 0..levels {
        yaml.push_str(&format!("&a{i} {{x: "));
    }
    yaml.push('[');
    yaml.push_str(&["1"; 5_000].join(", "));
    yaml.push(']');
    yaml.push_str(&"}".repeat(levels));
    let started = Instant::now();
    assert_eq!(budget_error(Document::parse(&yaml)).0, "alias expansions");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // A small budget catches even a small expansion.
    let budget = Budget {
        max_alias_expansions: 5,
        ..Budget::default()
    };
    let small = "a: &a [1, 2, 3]\nb: *a\nc: *a\n";
    assert!(Document::parse_with(small, &Budget::default()).is_ok());
    assert_eq!(
        budget_error(Document::parse_with(small, &budget)).0,
        "alias expansions"
    );
}

#[test]
fn deep_nesting_is_refused() {
    let depth = 100_000;
    let json = "[".repeat(depth) + &"]".repeat(depth);
    assert_eq!(
        budget_error(Document::parse(&json)),
        ("nesting depth".into(), 512)
    );
    let json = "{\"a\":".repeat(depth) + "1" + &"}".repeat(depth);
    assert_eq!(budget_error(Document::parse(&json)).0, "nesting depth");
    // Unclosed: still the depth, not the end of input.
    let json = "{\"a\":".repeat(depth);
    assert_eq!(budget_error(Document::parse(&json)).0, "nesting depth");
    let yaml = "a: ".to_string() + &"[".repeat(depth) + &"]".repeat(depth);
    assert_eq!(budget_error(Document::parse(&yaml)).0, "nesting depth");
    let mut yaml = String::new();
    for i in 0..2_000 {
        yaml.push_str(&" ".repeat(i));
        yaml.push_str("a:\n");
    }
    assert_eq!(budget_error(Document::parse(&yaml)).0, "nesting depth");
    let mut yaml = String::new();
    for i in 0..2_000 {
        yaml.push_str(&" ".repeat(i * 2));
        yaml.push_str("- \n");
    }
    let yaml = format!("a:\n{yaml}");
    assert_eq!(budget_error(Document::parse(&yaml)).0, "nesting depth");
    // Exactly at the limit is fine, one more is not.
    let budget = Budget {
        max_depth: 10,
        ..Budget::default()
    };
    let ok = "{\"a\":".to_string() + &"[".repeat(9) + &"]".repeat(9) + "}";
    assert!(Document::parse_with(&ok, &budget).is_ok());
    let too_deep = "{\"a\":".to_string() + &"[".repeat(10) + &"]".repeat(10) + "}";
    assert!(Document::parse_with(&too_deep, &budget).is_err());
    let ok = "a: ".to_string() + &"[".repeat(9) + &"]".repeat(9);
    assert!(Document::parse_with(&ok, &budget).is_ok());
    let too_deep = "a: ".to_string() + &"[".repeat(10) + &"]".repeat(10);
    assert_eq!(
        budget_error(Document::parse_with(&too_deep, &budget)).0,
        "nesting depth"
    );
    // An alias cannot nest deeper than the budget either.
    let nested = "a: &a [[[[[[1]]]]]]\nb: [[[[[*a]]]]]\n";
    assert_eq!(
        budget_error(Document::parse_with(nested, &budget)).0,
        "nesting depth"
    );
}

#[test]
fn too_large_input_is_refused() {
    let budget = Budget {
        max_bytes: 100,
        ..Budget::default()
    };
    let text = format!("openapi: 3.0.0\ndescription: {}\n", "x".repeat(100));
    assert_eq!(
        budget_error(Document::parse_with(&text, &budget)),
        ("size in bytes".into(), 100)
    );
}

#[test]
fn non_compliant_yaml_is_reported_at_its_place() {
    // A tab used for indentation: at the tab.
    let (line, column, message) = syntax_error("openapi: 3.0.0\ninfo:\n\ttitle: T\n");
    assert_eq!((line, column), (3, 1), "{message}");
    assert!(message.contains("tab"), "{message}");
    // An unclosed quote: at the opening quote.
    let (line, column, message) =
        syntax_error("openapi: 3.0.0\ninfo:\n  title: \"T\n  version: 1\n");
    assert_eq!((line, column), (3, 10), "{message}");
    // Duplicate keys: at the second one.
    let (line, column, message) =
        syntax_error("openapi: 3.0.0\npaths:\n  /a:\n    get: {}\n  /a:\n    put: {}\n");
    assert_eq!((line, column), (5, 3));
    assert!(message.contains("duplicate key `/a`"), "{message}");
    // Other structural errors.
    let (line, column, _) = syntax_error("openapi: 3.0.0\ninfo: title: T\n");
    assert_eq!((line, column), (2, 12));
    let (line, _, message) = syntax_error("a: [1, 2\nb: 3\n");
    assert_eq!(line, 2, "{message}");
    let (line, column, message) = syntax_error("a: *missing\n");
    assert_eq!((line, column), (1, 4), "{message}");
    let (line, column, message) = syntax_error("a: 1\n---\nb: 2\n");
    assert_eq!((line, column), (2, 1), "{message}");
    let (line, column, message) = syntax_error("a: 1\n[x]: 2\n");
    assert_eq!((line, column), (2, 1), "{message}");
    let (line, column, message) = syntax_error("a: 1\nb: !!int ten\n");
    assert_eq!((line, column), (2, 4), "{message}");
    // The error's text names the format and the place.
    let error = Document::parse("a: 1\na: 2\n").unwrap_err();
    assert_eq!(
        error.to_string(),
        "YAML syntax error at line 2, column 1: duplicate key `a`"
    );
}

#[test]
fn json_errors_are_reported_at_their_place() {
    let (line, column, message) = syntax_error("{\n  \"a\": 1,\n  \"a\": 2\n}");
    assert_eq!((line, column), (3, 3));
    assert_eq!(message, "duplicate key `a`");
    let (line, column, _) = syntax_error("{\"a\": 1,}");
    assert_eq!((line, column), (1, 9));
    let (line, column, _) = syntax_error("{\n\"a\": [1, 2,]}");
    assert_eq!((line, column), (2, 12));
    let (line, column, message) = syntax_error("{\"a\": \"x\n\"}");
    assert_eq!((line, column), (1, 9), "{message}");
    let (line, column, message) = syntax_error("{\"a\": \"unclosed}");
    assert_eq!((line, column), (1, 7), "{message}");
    let (line, column, _) = syntax_error("{\"a\": tru}");
    assert_eq!((line, column), (1, 7));
    let (line, column, _) = syntax_error("{\"a\": 01}");
    assert_eq!((line, column), (1, 8));
    let (line, column, _) = syntax_error("{\"a\": 1} x");
    assert_eq!((line, column), (1, 10));
    let (line, column, _) = syntax_error("{\"a\": \"\\x\"}");
    assert_eq!((line, column), (1, 8));
    let (line, column, _) = syntax_error("{\"a\": \"\\ud800\"}");
    assert_eq!((line, column), (1, 8));
    let (line, column, _) = syntax_error("{\"é\": 1e999}");
    assert_eq!((line, column), (1, 7));
    let (line, column, message) = syntax_error("{\"a\": [1, 2}");
    assert_eq!((line, column), (1, 12), "{message}");
    let (line, _, message) = syntax_error("{\"a\": 1\n");
    assert_eq!(line, 2, "{message}");
    let error = Document::parse("{\"a\" 1}").unwrap_err();
    assert_eq!(
        error.to_string(),
        "JSON syntax error at line 1, column 6: unexpected `1`, expected `:` after an object key"
    );
}

#[test]
fn top_level_must_be_a_mapping() {
    for (text, found) in [
        ("[1, 2]", "an array"),
        ("- a\n- b\n", "an array"),
        ("just text", "a string"),
        ("42", "a number"),
        ("true", "a boolean"),
        ("", "nothing"),
        ("# a comment\n", "nothing"),
        ("~", "nothing"),
    ] {
        match Document::parse(text) {
            Err(Error::NotAMapping { found: f }) => assert_eq!(f, found, "{text:?}"),
            other => panic!("{text:?}: {other:?}"),
        }
    }
}

#[test]
fn yaml_core_schema() {
    let yaml = "\
responses:
  200: {description: OK}
  404: {description: Missing}
  default: {description: Error}
flags: [yes, no, on, off, y, n, true, False, TRUE]
numbers: [0o17, 0x1F, 017, -42, +7, 1.5, -.5, 1e3, 2., 18446744073709551615, 18446744073709551616]
specials: [.inf, -.Inf, .NaN, ~, null, Null, '', \"42\", '0o17', !!str 12, !!float 3, !!int '5']
empty:
strings: [1.2.3, 0o18, 12:30, 0x, .5.5, 3.0.0, -1-2]
1.0: float key
true: bool key
~: null key
";
    let doc = Document::parse(yaml).unwrap();
    let v = &doc.value;
    assert_eq!(
        v["responses"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["200", "404", "default"]
    );
    assert_eq!(doc.position("/responses/404"), pos(3, 3));
    assert_eq!(
        v["flags"],
        json!(["yes", "no", "on", "off", "y", "n", true, false, true])
    );
    assert_eq!(
        v["numbers"],
        json!([
            15,
            31,
            17,
            -42,
            7,
            1.5,
            -0.5,
            1000.0,
            2.0,
            18446744073709551615u64,
            18446744073709551616.0
        ])
    );
    assert!(v["numbers"][0].is_u64());
    assert!(v["numbers"][7].is_f64());
    assert_eq!(
        v["specials"],
        json!([
            ".inf", "-.Inf", ".NaN", null, null, null, "", "42", "0o17", "12", 3.0, 5
        ])
    );
    assert_eq!(v["empty"], Value::Null);
    assert_eq!(
        v["strings"],
        json!(["1.2.3", "0o18", "12:30", "0x", ".5.5", "3.0.0", "-1-2"])
    );
    assert_eq!(v["1.0"], json!("float key"));
    assert_eq!(v["true"], json!("bool key"));
    assert_eq!(v["~"], json!("null key"));
}

#[test]
fn json_integers_stay_integers() {
    let doc = Document::parse(
        r#"{"a": 1, "b": -2, "c": 1.0, "d": 18446744073709551615, "e": -9223372036854775808,
            "f": 18446744073709551616, "g": -0, "h": 1E2, "i": 0.1e-2}"#,
    )
    .unwrap();
    let v = &doc.value;
    assert!(v["a"].is_u64() && v["b"].is_i64() && v["c"].is_f64());
    assert_eq!(v["d"], json!(u64::MAX));
    assert_eq!(v["e"], json!(i64::MIN));
    assert!(v["f"].is_f64());
    assert!(v["g"].is_f64());
    assert_eq!(v["h"], json!(100.0));
}

/// The JSON reader agrees with serde_json on what is valid and on the values.
#[test]
fn json_reader_agrees_with_serde_json() {
    let cases = [
        r#"{}"#,
        r#"{"a":[]}"#,
        r#" { "a" : [ 1 , 2 , { } , [ ] ] } "#,
        r#"{"s":"\"\\\/\b\f\n\r\t\u0041\u00e9\ud83d\ude00x"}"#,
        r#"{"s":"plain é 日本 😀"}"#,
        r#"{"n":[0,-0,1.5,-1.5e10,1E+2,1e-2,123456789012345678901234567890]}"#,
        r#"{"t":true,"f":false,"z":null}"#,
        r#"{"a":1,}"#,
        r#"{"a":1 "b":2}"#,
        r#"{"a":[1,]}"#,
        r#"{"a":01}"#,
        r#"{"a":1.}"#,
        r#"{"a":.5}"#,
        r#"{"a":+1}"#,
        r#"{"a":-}"#,
        r#"{"a":1e}"#,
        r#"{"a":"\u12"}"#,
        r#"{"a":"\udc00"}"#,
        r#"{"a":"\ud800\u0041"}"#,
        r#"{"a":'x'}"#,
        r#"{a:1}"#,
        r#"{"a":nul}"#,
        r#"{"a":NaN}"#,
        r#"{"a":1}}"#,
        r#"{"a":1}]"#,
        "{\"a\":\"tab\there\"}",
        "{\"a\":1}\n\n",
        "{\"a\"\n:\n1\n}",
        "{\"a\":1}\u{0c}",
    ];
    for case in cases {
        let ours = Document::parse(case);
        let theirs = serde_json::from_str::<Value>(case);
        match (&ours, &theirs) {
            (Ok(doc), Ok(value)) => assert_eq!(&doc.value, value, "{case}"),
            (Err(Error::Syntax { .. }), Err(_)) => {}
            _ => panic!("{case}: ours {ours:?}, serde_json {theirs:?}"),
        }
    }
}

// ---------------------------------------------------------------- speed (ignored by default)

/// A generated spec with `paths` operations (about 2.2 KB of JSON each).
fn generated_spec(paths: usize) -> Value {
    let mut p = serde_json::Map::new();
    for i in 0..paths {
        p.insert(
            format!("/resources{i}/{{id}}/items"),
            json!({
                "get": {
                    "operationId": format!("listItems{i}"),
                    "summary": "List the items of a resource, with paging ~ and filters / sorting",
                    "tags": ["items", "resources"],
                    "parameters": [
                        {"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}},
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}},
                        {"name": "cursor", "in": "query", "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": {"description": "OK", "content": {"application/json": {"schema": {
                            "type": "object",
                            "properties": {
                                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
                                "next": {"type": "string", "nullable": true},
                                "total": {"type": "integer", "format": "int64"}
                            }
                        }}}},
                        "404": {"description": "Not found"},
                        "default": {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
                    }
                },
                "post": {
                    "operationId": format!("createItem{i}"),
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}},
                    "responses": {"201": {"description": "Created"}, "400": {"description": "Bad request"}}
                }
            }),
        );
    }
    json!({"openapi": "3.0.3", "info": {"title": "Big", "version": "1.0"}, "paths": p})
}

fn to_yaml(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                out.push_str(&pad);
                out.push_str(&serde_json::to_string(k).expect("a string"));
                out.push(':');
                match v {
                    Value::Object(m) if !m.is_empty() => {
                        out.push('\n');
                        to_yaml(v, indent + 2, out);
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push('\n');
                        to_yaml(v, indent, out);
                    }
                    _ => {
                        out.push(' ');
                        out.push_str(&v.to_string());
                        out.push('\n');
                    }
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                out.push_str(&pad);
                out.push_str("- ");
                match item {
                    Value::Object(m) if !m.is_empty() => {
                        // First member on the dash line, the rest indented under it.
                        let mut inner = String::new();
                        to_yaml(item, indent + 2, &mut inner);
                        out.push_str(inner.trim_start());
                    }
                    _ => {
                        out.push_str(&item.to_string());
                        out.push('\n');
                    }
                }
            }
        }
        other => {
            out.push_str(&pad);
            out.push_str(&other.to_string());
            out.push('\n');
        }
    }
}

fn time<T>(label: &str, f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = f();
    println!(
        "{label}: {:.1} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    out
}

#[test]
#[ignore = "speed check: cargo test -p plugboard-openapi --release --test source -- --ignored --nocapture"]
fn speed_on_20_mb_specs() {
    // About 20 MB of text each.
    for (name, paths) in [
        ("pretty JSON", 8_000),
        ("minified JSON", 18_500),
        ("YAML", 11_500),
    ] {
        let spec = generated_spec(paths);
        let text = match name {
            "pretty JSON" => serde_json::to_string_pretty(&spec).unwrap(),
            "minified JSON" => serde_json::to_string(&spec).unwrap(),
            _ => {
                let mut yaml = String::new();
                to_yaml(&spec, 0, &mut yaml);
                yaml
            }
        };
        let text = &text;
        println!(
            "== {name}: {:.1} MB, {} lines",
            text.len() as f64 / 1e6,
            text.lines().count()
        );
        let doc = time("  parse + positions", || Document::parse(text).unwrap());
        assert_eq!(doc.value, spec);
        let last = format!(
            "/paths/~1resources{}~1{{id}}~1items/get/responses/default/content/application~1json/schema/$ref",
            paths - 1
        );
        if name != "YAML" {
            time(
                "  serde_json::from_str (no positions), for comparison",
                || serde_json::from_str::<Value>(text).unwrap(),
            );
        }
        println!(
            "  {} values, positions use {:.1} MB ({:.1} bytes per value)",
            doc.positions_len(),
            doc.positions_heap_bytes() as f64 / 1e6,
            doc.positions_heap_bytes() as f64 / doc.positions_len() as f64
        );
        let p = doc.position(&last).unwrap();
        println!("  last $ref at {}:{}", p.line, p.column);
        let pointers: Vec<String> = (0..10_000)
            .map(|i| {
                format!(
                    "/paths/~1resources{}~1{{id}}~1items/get/parameters/1/schema/maximum",
                    i % paths
                )
            })
            .collect();
        time("  10,000 position look-ups", || {
            for p in &pointers {
                assert!(doc.position(p).is_some());
            }
        });
    }
}
