//! `$ref` resolution and cycles. Nodes are reusable components (`/components/<kind>/<name>`,
//! and Swagger 2.0's `/definitions/<name>`, `/parameters/<name>`, `/responses/<name>`); an
//! edge is a `$ref` inside one component to another. A depth-first search reports each edge
//! that closes a cycle (a back edge) once, at its first `$ref`: removing exactly those edges
//! leaves the graph acyclic, which is what `plugboard clean` does.

use std::collections::HashMap;

use percent_encoding::percent_decode_str;
use serde_json::Value;

use super::scan::RefSite;
use super::{Finding, Severity};
use crate::source::unescape_segment;

/// A schema (or other component) that reaches itself through `$ref`.
pub(crate) const CIRCULAR: &str = "circular-references";
/// A local `$ref` that points nowhere.
pub(crate) const UNRESOLVED: &str = "resolving-references";
/// A `$ref` to another document (not followed).
pub(crate) const EXTERNAL: &str = "external-references";

/// The JSON pointer of a local `$ref` (`#/a/b` -> `/a/b`, percent-decoded); `None` for
/// external references.
pub(crate) fn local_pointer(reference: &str) -> Option<String> {
    let fragment = reference.strip_prefix('#')?;
    Some(
        percent_decode_str(fragment)
            .decode_utf8_lossy()
            .into_owned(),
    )
}

/// The value a local `$ref` points at.
pub(crate) fn resolve_local<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = local_pointer(reference)?;
    root.pointer(&pointer)
}

/// The component a pointer lies in: its pointer prefix.
pub(crate) fn component_of(pointer: &str) -> Option<&str> {
    let depth = if pointer.starts_with("/components/") {
        3
    } else if pointer.starts_with("/definitions/")
        || pointer.starts_with("/parameters/")
        || pointer.starts_with("/responses/")
    {
        2
    } else {
        return None;
    };
    let end = pointer
        .match_indices('/')
        .nth(depth)
        .map_or(pointer.len(), |(i, _)| i);
    let prefix = &pointer[..end];
    (prefix.matches('/').count() == depth).then_some(prefix)
}

/// The component's name (last segment, unescaped).
fn name_of(component: &str) -> String {
    unescape_segment(component.rsplit('/').next().unwrap_or(component))
}

/// The `$ref` graph between components.
#[derive(Debug, Default)]
pub(crate) struct RefGraph {
    nodes: Vec<String>,
    /// Per node: (target node, pointers of the `$ref` objects making this edge).
    edges: Vec<Vec<(usize, Vec<String>)>>,
}

/// One cycle: the components in order, and the `$ref` objects of its closing edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cycle {
    /// Component pointers, first == last.
    pub path: Vec<String>,
    /// Pointers of the `$ref` objects that close the cycle (the first is reported).
    pub closing: Vec<String>,
}

impl Cycle {
    /// `A -> B -> A` with component names.
    pub(crate) fn describe(&self) -> String {
        self.path
            .iter()
            .map(|p| name_of(p))
            .collect::<Vec<_>>()
            .join(" -> ")
    }

    /// The finding, at the first closing `$ref`.
    pub(crate) fn finding(&self) -> Finding {
        let from = self
            .path
            .get(self.path.len().saturating_sub(2))
            .map(|p| name_of(p));
        let to = self.path.last().map(|p| name_of(p)).unwrap_or_default();
        Finding::new(
            CIRCULAR,
            Severity::Error,
            self.closing
                .first()
                .map(|site| format!("{site}/$ref"))
                .unwrap_or_default(),
            format!("circular reference: {}", self.describe()),
            format!(
                "break the cycle at this `$ref` from `{}` back to `{to}` (e.g. make it a plain \
                 `type: object`), or run `plugboard clean`",
                from.unwrap_or_default()
            ),
        )
    }
}

impl RefGraph {
    /// Builds the graph from the scanned `$ref`s, reporting unresolvable and external ones.
    pub(crate) fn build(root: &Value, refs: &[RefSite<'_>], findings: &mut Vec<Finding>) -> Self {
        let mut graph = RefGraph::default();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut resolved: HashMap<&str, Option<String>> = HashMap::new();
        for site in refs {
            let target = resolved.entry(site.target).or_insert_with(|| {
                local_pointer(site.target).filter(|p| root.pointer(p).is_some())
            });
            let Some(target) = target else {
                findings.push(unresolved_finding(site));
                continue;
            };
            let (Some(from), Some(to)) = (component_of(&site.pointer), component_of(target)) else {
                continue;
            };
            // A `$ref` to a part of its own component loops only if it lies inside that part.
            if from == to && target.as_str() != to && !site.pointer.starts_with(target.as_str()) {
                continue;
            }
            let mut node = |name: &str| -> usize {
                if let Some(i) = index.get(name) {
                    return *i;
                }
                graph.nodes.push(name.to_string());
                graph.edges.push(Vec::new());
                index.insert(name.to_string(), graph.nodes.len() - 1);
                graph.nodes.len() - 1
            };
            let (u, v) = (node(from), node(to));
            match graph.edges[u].iter_mut().find(|(t, _)| *t == v) {
                Some((_, sites)) => sites.push(site.pointer.clone()),
                None => graph.edges[u].push((v, vec![site.pointer.clone()])),
            }
        }
        graph
    }

    /// The components of a cycle (the stack from its first node, then that node again); a
    /// long cycle keeps its first and last few, with `...` between.
    fn cycle_path(&self, on_stack: &[(usize, usize)], first: usize) -> Vec<String> {
        const KEEP: usize = 4;
        let name = |n: usize| self.nodes[n].clone();
        let mut path: Vec<String> = if on_stack.len() <= 2 * KEEP + 1 {
            on_stack.iter().map(|(n, _)| name(*n)).collect()
        } else {
            let mut path: Vec<String> = on_stack[..KEEP].iter().map(|(n, _)| name(*n)).collect();
            path.push(format!("... ({} more)", on_stack.len() - 2 * KEEP));
            path.extend(
                on_stack[on_stack.len() - KEEP..]
                    .iter()
                    .map(|(n, _)| name(*n)),
            );
            path
        };
        path.push(name(first));
        path
    }

    /// Every cycle closed by a back edge of a depth-first search in document order.
    pub(crate) fn cycles(&self) -> Vec<Cycle> {
        #[derive(Clone, Copy, PartialEq)]
        enum Color {
            White,
            Gray,
            Black,
        }
        let mut color = vec![Color::White; self.nodes.len()];
        // Where each gray node sits on the stack (so a back edge finds its cycle in O(1)).
        let mut depth = vec![0usize; self.nodes.len()];
        let mut cycles = Vec::new();
        for start in 0..self.nodes.len() {
            if color[start] != Color::White {
                continue;
            }
            // (node, next edge index); the stack doubles as the current path.
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            color[start] = Color::Gray;
            while let Some(top) = stack.last_mut() {
                let (u, next) = *top;
                top.1 += 1;
                if let Some((v, sites)) = self.edges[u].get(next) {
                    match color[*v] {
                        Color::White => {
                            color[*v] = Color::Gray;
                            depth[*v] = stack.len();
                            stack.push((*v, 0));
                        }
                        Color::Gray => {
                            let on_stack = &stack[depth[*v]..];
                            cycles.push(Cycle {
                                path: self.cycle_path(on_stack, *v),
                                closing: sites.clone(),
                            });
                        }
                        Color::Black => {}
                    }
                } else {
                    color[u] = Color::Black;
                    stack.pop();
                }
            }
        }
        cycles
    }
}

fn unresolved_finding(site: &RefSite<'_>) -> Finding {
    let pointer = format!("{}/$ref", site.pointer);
    if site.target.starts_with('#') {
        Finding::new(
            UNRESOLVED,
            Severity::Error,
            pointer,
            format!(
                "`$ref` `{}` points to nothing in this document",
                site.target
            ),
            "fix the reference or add the component it names (names are case-sensitive; \
             `~1` stands for `/` and `~0` for `~`)",
        )
    } else {
        Finding::new(
            EXTERNAL,
            Severity::Warning,
            pointer,
            format!(
                "`$ref` `{}` refers to another document, which is not followed",
                site.target
            ),
            "bundle the spec into one document first (e.g. `redocly bundle`)",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn components() {
        assert_eq!(
            component_of("/components/schemas/A/properties/b"),
            Some("/components/schemas/A")
        );
        assert_eq!(
            component_of("/components/schemas/A"),
            Some("/components/schemas/A")
        );
        assert_eq!(component_of("/components/schemas"), None);
        assert_eq!(
            component_of("/definitions/A~1B/items"),
            Some("/definitions/A~1B")
        );
        assert_eq!(component_of("/paths/~1a/get"), None);
    }

    #[test]
    fn cycles_are_named_and_reported_once() {
        let value = json!({"components": {"schemas": {
            "Node": {"properties": {"children": {"$ref": "#/components/schemas/Children"}}},
            "Children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
            "Self": {"properties": {"me": {"$ref": "#/components/schemas/Self"},
                                    "again": {"$ref": "#/components/schemas/Self"}}},
            "Part": {"properties": {"a": {"type": "string"}, "b": {"$ref": "#/components/schemas/Part/properties/a"}}},
            "Leaf": {"type": "string"},
            "UsesLeaf": {"$ref": "#/components/schemas/Leaf"}
        }}});
        let scanned = crate::lint::scan::scan(&value);
        let mut findings = Vec::new();
        let graph = RefGraph::build(&value, &scanned.refs, &mut findings);
        assert!(findings.is_empty(), "{findings:?}");
        let cycles = graph.cycles();
        let names: Vec<_> = cycles.iter().map(Cycle::describe).collect();
        assert_eq!(names, vec!["Node -> Children -> Node", "Self -> Self"]);
        assert_eq!(
            cycles[0].closing,
            vec!["/components/schemas/Children/items"]
        );
        assert_eq!(cycles[1].closing.len(), 2);
    }

    #[test]
    fn unresolved_and_external() {
        let value = json!({"components": {"schemas": {
            "A": {"$ref": "#/components/schemas/Gone"},
            "B": {"$ref": "https://example.com/s.json#/B"},
            "C": {"$ref": "#/components/schemas/With%20Space"},
            "With Space": {}
        }}});
        let scanned = crate::lint::scan::scan(&value);
        let mut findings = Vec::new();
        RefGraph::build(&value, &scanned.refs, &mut findings);
        let got: Vec<_> = findings
            .iter()
            .map(|f| (f.rule, f.pointer.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (UNRESOLVED, "/components/schemas/A/$ref"),
                (EXTERNAL, "/components/schemas/B/$ref")
            ]
        );
    }
}
