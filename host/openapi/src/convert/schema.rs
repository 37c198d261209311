//! Schemas and `$ref`s: `#/definitions/X` -> `#/components/schemas/X` and friends, `x-nullable`
//! -> `nullable`, a string `discriminator` -> `{propertyName}`, `type: file` -> binary string.

use super::node::{Node, Obj};
use super::{Converter, array, object, string};
use crate::Result;
use crate::source::unescape_segment;

/// Keywords whose value is one schema.
const SCHEMA_KEYWORDS: &[&str] = &["not", "additionalItems"];
/// Keywords whose value is a list of schemas.
const SCHEMA_LIST_KEYWORDS: &[&str] = &["allOf", "anyOf", "oneOf"];
/// Keywords whose value maps names to schemas.
const SCHEMA_MAP_KEYWORDS: &[&str] = &["properties", "patternProperties"];

/// The members of a schema being converted, each an input value.
pub(super) type Fields<'a> = Vec<(&'a str, &'a Node<'a>)>;

/// Sets a member of `fields`: an existing one keeps its place (as `serde_json::Map::insert`).
pub(super) fn set_field<'a>(fields: &mut Fields<'a>, key: &'a str, value: &'a Node<'a>) {
    match fields.iter_mut().find(|(k, _)| *k == key) {
        Some((_, slot)) => *slot = value,
        None => fields.push((key, value)),
    }
}

impl<'a> Converter<'a> {
    /// Rewrites a local Swagger 2.0 reference to its OpenAPI 3.0 location; other references
    /// (external files, other places) are kept as they are.
    pub(super) fn rewrite_ref(&self, reference: &'a str) -> Node<'a> {
        if let Some(rest) = reference.strip_prefix("#/definitions/") {
            return Node::string(format!("#/components/schemas/{rest}"));
        }
        if let Some(rest) = reference.strip_prefix("#/parameters/") {
            let name = unescape_segment(rest.split('/').next().unwrap_or(rest));
            let section = if self.global_parameter_in(&name) == Some("body") {
                "requestBodies"
            } else {
                "parameters"
            };
            return Node::string(format!("#/components/{section}/{rest}"));
        }
        if let Some(rest) = reference.strip_prefix("#/responses/") {
            return Node::string(format!("#/components/responses/{rest}"));
        }
        if let Some(rest) = reference.strip_prefix("#/securityDefinitions/") {
            return Node::string(format!("#/components/securitySchemes/{rest}"));
        }
        Node::str(reference)
    }

    /// The `in` of a parameter under the top-level `parameters`, if it is there.
    pub(super) fn global_parameter_in(&self, name: &str) -> Option<&'a str> {
        self.root.get("parameters")?.get(name)?.get("in")?.as_str()
    }

    /// The rewritten `$ref` of an object that has one (`Ok(None)` when it has none); an error
    /// when the `$ref` is not a string.
    pub(super) fn reference(&self, map: &'a Obj<'a>, from: &str) -> Result<Option<Node<'a>>> {
        match map.get("$ref") {
            None => Ok(None),
            Some(value) => {
                let reference = string(value, &self.child(from, "$ref"))?;
                Ok(Some(self.rewrite_ref(reference)))
            }
        }
    }

    /// Converts a Swagger 2.0 schema at `from` (input) placed at `to` (output).
    pub(super) fn schema(&mut self, value: &'a Node<'a>, from: &str, to: &str) -> Result<Node<'a>> {
        self.record(to, from);
        self.schema_at(value, from, to)
    }

    /// [`Converter::schema`] for a place whose origin the pointer map already implies (a child
    /// of a converted schema under the same key): nothing is recorded, and pointers are built
    /// only where a subschema or an error needs them.
    fn schema_at(&mut self, value: &'a Node<'a>, from: &str, to: &str) -> Result<Node<'a>> {
        let map = object(value, from)?;
        self.schema_fields(map.iter(), false, from, to)
    }

    /// Converts a schema given as its members. With `strip`, `collectionFormat` is left out at
    /// this level and in nested `items` objects (an `Items` object's nested styles).
    fn schema_fields(
        &mut self,
        fields: impl ExactSizeIterator<Item = (&'a str, &'a Node<'a>)>,
        strip: bool,
        from: &str,
        to: &str,
    ) -> Result<Node<'a>> {
        let mut out = Obj::with_capacity(fields.len());
        let mut file = false;
        for (key, value) in fields {
            match key {
                "collectionFormat" if strip => {}
                "$ref" => {
                    let reference = string(value, &self.child(from, key))?;
                    out.push(key, self.rewrite_ref(reference));
                }
                "x-nullable" if value.as_bool().is_some() => {
                    self.record(&self.child(to, "nullable"), &self.child(from, key));
                    out.insert("nullable", Node::Same(value));
                }
                "discriminator" if value.as_str().is_some() => {
                    self.record(
                        &self.child(&self.child(to, key), "propertyName"),
                        &self.child(from, key),
                    );
                    let mut discriminator = Obj::new();
                    discriminator.push("propertyName", Node::Same(value));
                    out.push(key, Node::Object(discriminator));
                }
                "type" if value.as_str() == Some("file") => {
                    file = true;
                    out.push(key, Node::str("string"));
                }
                "items" => {
                    let items =
                        self.items(value, strip, &self.child(from, key), &self.child(to, key))?;
                    out.push(key, items);
                }
                "additionalProperties" if value.as_bool().is_some() => {
                    out.push(key, Node::Same(value));
                }
                k if k == "additionalProperties" || SCHEMA_KEYWORDS.contains(&k) => {
                    let converted =
                        self.schema_at(value, &self.child(from, key), &self.child(to, key))?;
                    out.push(key, converted);
                }
                k if SCHEMA_LIST_KEYWORDS.contains(&k) => {
                    let (key_from, key_to) = (self.child(from, key), self.child(to, key));
                    let items = array(value, &key_from)?;
                    let mut list = Vec::with_capacity(items.len());
                    for (index, item) in items.iter().enumerate() {
                        let i = index.to_string();
                        list.push(self.schema_at(
                            item,
                            &self.child(&key_from, &i),
                            &self.child(&key_to, &i),
                        )?);
                    }
                    out.push(key, Node::Array(list));
                }
                k if SCHEMA_MAP_KEYWORDS.contains(&k) => {
                    let (key_from, key_to) = (self.child(from, key), self.child(to, key));
                    let members = object(value, &key_from)?;
                    let mut properties = Obj::with_capacity(members.len());
                    for (name, item) in members.iter() {
                        let converted = self.schema_at(
                            item,
                            &self.child(&key_from, name),
                            &self.child(&key_to, name),
                        )?;
                        properties.push(name, converted);
                    }
                    out.push(key, Node::Object(properties));
                }
                _ => {
                    out.put(key, Node::Same(value), &["nullable"]);
                }
            }
        }
        if file {
            out.insert("format", Node::str("binary"));
        }
        Ok(Node::Object(out))
    }

    /// Converts `items`: one schema, or a tuple (one item becomes that item, several become
    /// `anyOf`, none becomes `{}`), as `swagger2openapi` does. `strip` applies to one schema.
    fn items(
        &mut self,
        value: &'a Node<'a>,
        strip: bool,
        from: &str,
        to: &str,
    ) -> Result<Node<'a>> {
        let Some(list) = value.as_array() else {
            let map = object(value, from)?;
            return self.schema_fields(map.iter(), strip, from, to);
        };
        match list {
            [] => Ok(Node::Object(Obj::new())),
            [one] => self.schema(one, &self.child(from, "0"), to),
            many => {
                let any_to = self.child(to, "anyOf");
                self.record(&any_to, from);
                let mut converted = Vec::new();
                for (index, item) in many.iter().enumerate() {
                    let i = index.to_string();
                    converted.push(self.schema_at(
                        item,
                        &self.child(from, &i),
                        &self.child(&any_to, &i),
                    )?);
                }
                let mut out = Obj::new();
                out.push("anyOf", Node::Array(converted));
                Ok(Node::Object(out))
            }
        }
    }

    /// Converts a Swagger 2.0 `Items` object (of a non-body parameter or header), given as its
    /// members, to a schema: nested `collectionFormat`s are dropped (OpenAPI 3 has no nested
    /// styles).
    pub(super) fn items_schema(
        &mut self,
        fields: Fields<'a>,
        from: &str,
        to: &str,
    ) -> Result<Node<'a>> {
        self.record(to, from);
        self.schema_fields(fields.into_iter(), true, from, to)
    }
}
