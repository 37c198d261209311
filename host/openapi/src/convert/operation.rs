//! Paths, operations, responses and response headers.

use super::node::{Node, Obj};
use super::params::{Param, TYPE_KEYWORDS};
use super::schema::Fields;
use super::{Converter, array, error, media_types, object, or_default, string};
use crate::Result;

/// The operation keys of a Swagger 2.0 path item.
const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch"];

/// A `parameters` list split into what stays a parameter and what becomes the request body.
#[derive(Default)]
struct Split<'a> {
    /// Parameters that stay, with where each is in the input list.
    kept: Vec<(Param<'a>, String)>,
    /// `in: body` parameters, with where each is in the input list.
    body: Vec<(Param<'a>, String)>,
    /// `in: formData` parameters, with where each is in the input list.
    form: Vec<(Param<'a>, String)>,
}

impl<'a> Converter<'a> {
    /// Splits the `parameters` list at `from`.
    fn split_parameters(&self, value: &'a Node<'a>, from: &str) -> Result<Split<'a>> {
        let mut split = Split::default();
        for (index, entry) in array(value, from)?.iter().enumerate() {
            let entry_from = self.child(from, &index.to_string());
            let param = self.resolve_parameter(entry, &entry_from)?;
            match param.location() {
                Some("body") => split.body.push((param, entry_from)),
                Some("formData") => split.form.push((param, entry_from)),
                _ => split.kept.push((param, entry_from)),
            }
        }
        Ok(split)
    }

    /// Converts the kept parameters of a list, placed at `to`.
    fn kept_parameters(&mut self, kept: &[(Param<'a>, String)], to: &str) -> Result<Node<'a>> {
        let mut list = Vec::new();
        for (index, (param, from)) in kept.iter().enumerate() {
            list.push(self.kept_parameter(param, from, &self.child(to, &index.to_string()))?);
        }
        Ok(Node::Array(list))
    }

    /// Converts `paths` (at `/paths`).
    pub(super) fn paths(&mut self, value: &'a Node<'a>) -> Result<Node<'a>> {
        let paths = object(value, "/paths")?;
        let mut out = Obj::with_capacity(paths.len());
        for (path, item) in paths.iter() {
            let converted = if path.starts_with("x-") {
                Node::Same(item)
            } else {
                self.path_item(item, &self.child("/paths", path))?
            };
            out.push(path, converted);
        }
        Ok(Node::Object(out))
    }

    /// Converts one path item at `pointer` (the same pointer in input and output).
    fn path_item(&mut self, value: &'a Node<'a>, pointer: &str) -> Result<Node<'a>> {
        let map = object(value, pointer)?;
        let split = match map.get("parameters") {
            Some(parameters) => {
                self.split_parameters(parameters, &self.child(pointer, "parameters"))?
            }
            None => Split::default(),
        };
        let mut out = Obj::new();
        for (key, item) in map.iter() {
            match key {
                "parameters" => {
                    if !split.kept.is_empty() {
                        let kept = self.kept_parameters(&split.kept, &self.child(pointer, key))?;
                        out.push(key, kept);
                    }
                }
                "$ref" => {
                    let reference = string(item, &self.child(pointer, key))?;
                    out.push(key, self.rewrite_ref(reference));
                }
                method if METHODS.contains(&method) => {
                    let operation = self.operation(item, &self.child(pointer, key), &split)?;
                    out.push(key, operation);
                }
                _ => out.push(key, Node::Same(item)),
            }
        }
        Ok(Node::Object(out))
    }

    /// Converts one operation at `pointer`; `path_level` holds the path item's parameters.
    fn operation(
        &mut self,
        value: &'a Node<'a>,
        pointer: &str,
        path_level: &Split<'a>,
    ) -> Result<Node<'a>> {
        let map = object(value, pointer)?;
        let consumes = match map.get("consumes") {
            Some(v) => media_types(v, &self.child(pointer, "consumes"))?,
            None => self.consumes.clone(),
        };
        let produces = match map.get("produces") {
            Some(v) => media_types(v, &self.child(pointer, "produces"))?,
            None => self.produces.clone(),
        };
        let consumes = or_default(&consumes);
        let produces = or_default(&produces);
        let mut split = match map.get("parameters") {
            Some(parameters) => {
                self.split_parameters(parameters, &self.child(pointer, "parameters"))?
            }
            None => Split::default(),
        };
        // Path-level body and form parameters apply unless the operation overrides them.
        let own: Vec<_> = split
            .kept
            .iter()
            .chain(&split.body)
            .chain(&split.form)
            .filter_map(|(param, _)| param.key())
            .collect();
        let overridden = |param: &Param<'_>| param.key().is_some_and(|key| own.contains(&key));
        if split.body.is_empty() {
            let inherited: Vec<_> = path_level
                .body
                .iter()
                .filter(|(param, _)| !overridden(param))
                .cloned()
                .collect();
            split.body = inherited;
        }
        let mut form: Vec<_> = path_level
            .form
            .iter()
            .filter(|(param, _)| !overridden(param))
            .cloned()
            .collect();
        form.append(&mut split.form);
        let request_body = self.request_body(&split.body, &form, pointer, &consumes)?;

        let mut out = Obj::new();
        let mut request_body = request_body.map(|body| ("requestBody", body));
        for (key, item) in map.iter() {
            match key {
                "parameters" => {
                    if !split.kept.is_empty() {
                        let kept = self.kept_parameters(&split.kept, &self.child(pointer, key))?;
                        out.push(key, kept);
                    }
                    if let Some((key, body)) = request_body.take() {
                        out.insert(key, body);
                    }
                }
                "consumes" | "produces" => {}
                "schemes" => {
                    let item_pointer = self.child(pointer, key);
                    if let Some(servers) = self.operation_servers(item, &item_pointer)? {
                        self.record(&self.child(pointer, "servers"), &item_pointer);
                        out.insert("servers", servers);
                    }
                }
                "responses" => {
                    if let Some((key, body)) = request_body.take() {
                        out.insert(key, body);
                    }
                    let responses = self.responses(item, &self.child(pointer, key), &produces)?;
                    out.push(key, responses);
                }
                _ => out.put(key, Node::Same(item), &["requestBody", "servers"]),
            }
        }
        if let Some((key, body)) = request_body.take() {
            out.insert(key, body);
        }
        Ok(Node::Object(out))
    }

    /// The request body of an operation at `pointer`, from its body or form parameters.
    fn request_body(
        &mut self,
        body: &[(Param<'a>, String)],
        form: &[(Param<'a>, String)],
        pointer: &str,
        consumes: &[String],
    ) -> Result<Option<Node<'a>>> {
        let to = self.child(pointer, "requestBody");
        if let Some((_, second)) = body.get(1) {
            return Err(error(
                second,
                "an operation can have only one `in: body` parameter",
            ));
        }
        if let (Some(_), Some((_, first_form))) = (body.first(), form.first()) {
            return Err(error(
                first_form,
                "an operation cannot have both `in: body` and `in: formData` parameters",
            ));
        }
        if let Some((param, entry_from)) = body.first() {
            let Param::Object {
                map,
                from,
                reference,
                ..
            } = param
            else {
                return Ok(None);
            };
            // A shared body carries the document's `consumes`; an operation that declares its
            // own media types gets the body inlined with them.
            let own_media = consumes != or_default(&self.consumes).as_slice();
            return match reference {
                Some(reference) if !own_media => {
                    self.record(&to, entry_from);
                    let mut out = Obj::new();
                    out.push("$ref", reference.clone());
                    Ok(Some(Node::Object(out)))
                }
                Some(_) => {
                    // Inlined from the shared parameter; the body itself comes from this
                    // operation's `$ref` entry.
                    let body = self.body_request(map, from, &to, consumes)?;
                    self.record(&to, entry_from);
                    Ok(Some(body))
                }
                None => Ok(Some(self.body_request(map, from, &to, consumes)?)),
            };
        }
        if form.is_empty() {
            return Ok(None);
        }
        let params: Vec<_> = form
            .iter()
            .filter_map(|(param, _)| match param {
                Param::Object { map, from, .. } => Some((*map, from.clone())),
                Param::Opaque(_) => None,
            })
            .collect();
        Ok(Some(self.form_request(&params, &to, consumes)?))
    }

    /// Converts `responses` at `from`.
    pub(super) fn responses(
        &mut self,
        value: &'a Node<'a>,
        from: &str,
        produces: &[String],
    ) -> Result<Node<'a>> {
        let responses = object(value, from)?;
        let mut out = Obj::with_capacity(responses.len());
        for (code, response) in responses.iter() {
            let converted = if code.starts_with("x-") {
                Node::Same(response)
            } else {
                let pointer = self.child(from, code);
                self.response(response, &pointer, &pointer, produces)?
            };
            out.push(code, converted);
        }
        Ok(Node::Object(out))
    }

    /// Converts one response at `from`, placed at `to`: `schema` and `examples` become
    /// `content` (one entry per media type), headers get a `schema`.
    pub(super) fn response(
        &mut self,
        value: &'a Node<'a>,
        from: &str,
        to: &str,
        produces: &[String],
    ) -> Result<Node<'a>> {
        self.record(to, from);
        let map = object(value, from)?;
        if map.contains_key("$ref") {
            return self.opaque_ref(value, from);
        }
        let content_to = self.child(to, "content");
        let mut content = Obj::new();
        if let Some(schema) = map.get("schema") {
            for media_type in produces {
                let schema_to = self.child(&self.child(&content_to, media_type), "schema");
                let converted = self.schema(schema, &self.child(from, "schema"), &schema_to)?;
                let mut entry = Obj::new();
                entry.push("schema", converted);
                content.insert(media_type.clone(), Node::Object(entry));
            }
        }
        if let Some(examples) = map.get("examples") {
            let examples_from = self.child(from, "examples");
            for (media_type, example) in object(examples, &examples_from)?.iter() {
                let value_to = self.child(
                    &self.child(&self.child(&content_to, media_type), "examples"),
                    "response",
                );
                self.record(
                    &self.child(&value_to, "value"),
                    &self.child(&examples_from, media_type),
                );
                let mut named = Obj::new();
                named.push("value", Node::Same(example));
                let mut examples = Obj::new();
                examples.push("response", Node::Object(named));
                if let Some(entry) = content.object_entry(media_type) {
                    entry.insert("examples", Node::Object(examples));
                }
            }
        }
        let mut content = Some(content).filter(|c| !c.is_empty());
        let mut out = Obj::new();
        for (key, item) in map.iter() {
            match key {
                "schema" | "examples" => {
                    if let Some(content) = content.take() {
                        out.insert("content", Node::Object(content));
                    }
                }
                "headers" => {
                    let headers_from = self.child(from, key);
                    let members = object(item, &headers_from)?;
                    let mut headers = Obj::with_capacity(members.len());
                    for (name, header) in members.iter() {
                        let header_from = self.child(&headers_from, name);
                        let header_to = self.child(&self.child(to, "headers"), name);
                        headers.push(name, self.header(header, &header_from, &header_to)?);
                    }
                    out.insert(key, Node::Object(headers));
                }
                _ => out.insert(key, Node::Same(item)),
            }
        }
        Ok(Node::Object(out))
    }

    /// Converts a response header at `from`, placed at `to`.
    fn header(&mut self, value: &'a Node<'a>, from: &str, to: &str) -> Result<Node<'a>> {
        self.record(to, from);
        let map = object(value, from)?;
        if map.contains_key("$ref") {
            return self.opaque_ref(value, from);
        }
        let mut out = Obj::new();
        let mut raw: Fields<'a> = Vec::new();
        let mut collection_format = None;
        for (key, item) in map.iter() {
            match key {
                k if TYPE_KEYWORDS.contains(&k) => raw.push((key, item)),
                "collectionFormat" => collection_format = Some(item),
                _ => out.insert(key, Node::Same(item)),
            }
        }
        let kind = raw.iter().find(|(k, _)| *k == "type").map(|(_, v)| *v);
        if kind.and_then(Node::as_str) == Some("array") {
            let format_from = self.child(from, "collectionFormat");
            let format = match collection_format {
                Some(value) => string(value, &format_from)?,
                None => "csv",
            };
            match format {
                "csv" => {
                    self.record(&self.child(to, "style"), &format_from);
                    out.insert("style", Node::str("simple"));
                }
                "multi" => {
                    self.record(&self.child(to, "explode"), &format_from);
                    out.insert("explode", Node::Bool(true));
                }
                other => {
                    self.record(&self.child(to, "x-collectionFormat"), &format_from);
                    out.insert("x-collectionFormat", Node::str(other));
                }
            }
        }
        if !raw.is_empty() {
            let schema = self.items_schema(raw, from, &self.child(to, "schema"))?;
            out.insert("schema", schema);
        }
        Ok(Node::Object(out))
    }
}
