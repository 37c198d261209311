//! The regression check of a new version: the previous version's recorded calls are replayed on
//! the new component (same input, the recorded API answers, no network), and every output that
//! differs is reported next to the change report. A difference other than an added field is
//! breaking, like a breaking schema change.

use plugboard_runtime::{Exchange, InvokeOptions, Replay, Runtime, Tap};
use serde_json::{Value, json};

/// Most differences listed per recording.
const MAX_DIFFERENCES: usize = 10;

/// What replaying one recording on the new version gave.
pub(crate) struct Replayed {
    /// The recording.
    pub recording: plugboard_store::Recording,
    /// The new output, when the replay succeeded.
    pub output: Option<Value>,
    /// Its line in the report.
    pub report: Value,
    /// Whether it breaks what the recorded call returned.
    pub breaking: bool,
}

/// Replays each recording on `bundle`.
pub(crate) async fn replay_all(
    runtime: &Runtime,
    bundle: &plugboard_runtime::Bundle,
    recordings: Vec<plugboard_store::Recording>,
) -> Vec<Replayed> {
    let mut out = Vec::with_capacity(recordings.len());
    for recording in recordings {
        let exchanges: Vec<Exchange> =
            serde_json::from_value(recording.exchanges.clone()).unwrap_or_default();
        // No credentials: a replay needs none (the runtime applies placeholders).
        let options = InvokeOptions::default();
        let (result, _) = runtime
            .invoke_tapped(
                bundle,
                &recording.action,
                &recording.input.to_string(),
                &options,
                Tap::Replay(Replay::new(exchanges)),
            )
            .await;
        let replayed = match result {
            Ok(output) => {
                let differences = differences(&recording.output, &output);
                let breaking = differences.iter().any(|d| d["breaking"] == true);
                let outcome = if differences.is_empty() {
                    "same"
                } else {
                    "changed"
                };
                Replayed {
                    report: json!({
                        "recording": recording.id, "action": recording.action,
                        "outcome": outcome, "breaking": breaking,
                        "differences": differences,
                    }),
                    output: Some(output),
                    breaking,
                    recording,
                }
            }
            Err(error) => Replayed {
                report: json!({
                    "recording": recording.id, "action": recording.action,
                    "outcome": "failed", "breaking": true, "error": error.to_string(),
                }),
                output: None,
                breaking: true,
                recording,
            },
        };
        out.push(replayed);
    }
    out
}

/// Where two outputs differ: removed fields, changed types and values are breaking; added
/// fields are not.
pub(crate) fn differences(before: &Value, after: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    walk(before, after, "$", &mut out);
    out.truncate(MAX_DIFFERENCES);
    out
}

fn walk(before: &Value, after: &Value, path: &str, out: &mut Vec<Value>) {
    if out.len() >= MAX_DIFFERENCES {
        return;
    }
    match (before, after) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                let child = format!("{path}.{key}");
                match b.get(key) {
                    Some(other) => walk(value, other, &child, out),
                    None => out.push(json!({"path": child, "change": "removed", "breaking": true})),
                }
            }
            for key in b.keys().filter(|k| !a.contains_key(*k)) {
                out.push(
                    json!({"path": format!("{path}.{key}"), "change": "added", "breaking": false}),
                );
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                out.push(json!({"path": path, "change": format!("{} item(s), was {}", b.len(), a.len()), "breaking": true}));
            }
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                walk(x, y, &format!("{path}[{i}]"), out);
            }
        }
        (a, b) if std::mem::discriminant(a) != std::mem::discriminant(b) => {
            out.push(json!({"path": path, "change": "type changed", "breaking": true}));
        }
        (a, b) if a != b => {
            out.push(json!({"path": path, "change": "value changed", "breaking": true}));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_fields_are_not_breaking_the_rest_is() {
        let before = json!({"items": [{"id": 1, "name": "a"}], "count": 1});
        let same = differences(&before, &before);
        assert!(same.is_empty());
        let added = differences(
            &before,
            &json!({"items": [{"id": 1, "name": "a", "x": 2}], "count": 1}),
        );
        assert_eq!(added.len(), 1);
        assert_eq!(added[0]["breaking"], false);
        let broken = differences(&before, &json!({"items": [{"id": "1"}], "count": 1}));
        let changes: Vec<&str> = broken.iter().filter_map(|d| d["change"].as_str()).collect();
        assert_eq!(changes, ["type changed", "removed"]);
    }
}
