//! The document level: `servers` from host/basePath/schemes, `components` from definitions,
//! parameters, responses and securityDefinitions.

use super::node::{Node, Obj};
use super::{Converter, TARGET_VERSION, array, child, error, object, or_default, string};
use crate::Result;

impl<'a> Converter<'a> {
    /// Converts the whole document.
    pub(super) fn document(&mut self) -> Result<Obj<'a>> {
        let root = self.root;
        let mut out = Obj::with_capacity(root.len() + 2);
        out.insert("openapi", Node::str(TARGET_VERSION));
        self.record("/openapi", "/swagger");
        let mut servers = Some(self.servers()?);
        for (key, value) in root.iter() {
            match key {
                "swagger" | "consumes" | "produces" => {}
                "host" | "basePath" | "schemes" => {
                    if let Some(servers) = servers.take().filter(|s| !s.is_empty()) {
                        let origin = ["host", "basePath", "schemes"]
                            .into_iter()
                            .find(|k| root.contains_key(k))
                            .unwrap_or("host");
                        let origin = self.child("", origin);
                        self.record("/servers", &origin);
                        for index in 0..servers.len() {
                            let server = self.child("/servers", &index.to_string());
                            self.record(&server, &origin);
                            self.record(&self.child(&server, "url"), &origin);
                        }
                        out.insert("servers", Node::Array(servers));
                    }
                }
                "definitions" | "parameters" | "responses" | "securityDefinitions" => {}
                "paths" => {
                    let paths = self.paths(value)?;
                    out.insert(key, paths);
                }
                _ => out.insert(key, Node::Same(value)),
            }
        }
        if let Some(servers) = self.parameterized_servers()? {
            self.record("/servers", "/x-ms-parameterized-host");
            out.insert("servers", Node::Array(servers));
        }
        let components = self.components()?;
        if !components.is_empty() {
            out.insert("components", Node::Object(components));
        }
        Ok(out)
    }

    /// AutoRest's `x-ms-parameterized-host` (`{accountName}.blob.core.windows.net`) as an
    /// OpenAPI 3 server with variables: each host parameter a variable, with its default (or
    /// `""` when it has none: the installation must give it), description and enum.
    fn parameterized_servers(&self) -> Result<Option<Vec<Node<'a>>>> {
        const AT: &str = "/x-ms-parameterized-host";
        let Some(extension) = self.root.get("x-ms-parameterized-host") else {
            return Ok(None);
        };
        let extension = object(extension, AT)?;
        let Some(template) = extension.get("hostTemplate") else {
            return Err(error(AT, "`x-ms-parameterized-host` needs `hostTemplate`"));
        };
        let template = string(template, &self.child(AT, "hostTemplate"))?;
        let use_scheme = extension
            .get("useSchemePrefix")
            .and_then(Node::as_bool)
            .unwrap_or(true);
        let (_, base_path, schemes) = self.location_fields()?;
        let mut variables = Obj::new();
        let parameters = extension.get("parameters").and_then(Node::as_array);
        for (index, parameter) in parameters.into_iter().flatten().enumerate() {
            let at = self.child(&self.child(AT, "parameters"), &index.to_string());
            let parameter = match parameter.get("$ref").and_then(Node::as_str) {
                Some(reference) => crate::lint::refs::local_pointer(reference)
                    .and_then(|pointer| {
                        let rest = pointer.strip_prefix('/')?;
                        let (first, rest) = rest.split_once('/').unwrap_or((rest, ""));
                        let value = self.root.get(&crate::source::unescape_segment(first))?;
                        if rest.is_empty() {
                            Some(value)
                        } else {
                            value.pointer(&format!("/{rest}"))
                        }
                    })
                    .ok_or_else(|| error(&at, format!("`$ref` `{reference}` points to nothing")))?,
                None => parameter,
            };
            let Some(name) = parameter.get("name").and_then(Node::as_str) else {
                return Err(error(&at, "a host parameter needs `name`"));
            };
            let mut variable = Obj::new();
            let default = parameter
                .get("default")
                .or_else(|| parameter.pointer("/enum/0"))
                .map(|v| match v.resolved() {
                    Node::String(text) => text.to_string(),
                    other => other.to_json(),
                })
                .unwrap_or_default();
            variable.push("default", Node::string(default));
            for key in ["description", "enum"] {
                if let Some(value) = parameter.get(key) {
                    variable.insert(key, Node::Same(value));
                }
            }
            variables.insert(name, Node::Object(variable));
        }
        let url = if use_scheme {
            let scheme = schemes.first().map_or("https", String::as_str);
            format!("{scheme}://{template}{base_path}")
        } else {
            format!("{template}{base_path}")
        };
        let mut server = Obj::new();
        server.push("url", Node::string(url));
        if !variables.is_empty() {
            server.push("variables", Node::Object(variables));
        }
        Ok(Some(vec![Node::Object(server)]))
    }

    /// `host`, `basePath` and the document's `schemes`, checked.
    fn location_fields(&self) -> Result<(Option<&'a str>, &'a str, Vec<String>)> {
        let host = match self.root.get("host") {
            Some(host) => Some(string(host, "/host")?),
            None => None,
        };
        let base_path = match self.root.get("basePath") {
            Some(base_path) => string(base_path, "/basePath")?,
            None => "",
        };
        let schemes = match self.root.get("schemes") {
            Some(schemes) => scheme_list(schemes, "/schemes")?,
            None => Vec::new(),
        };
        Ok((host, base_path, schemes))
    }

    /// The document's servers: one per scheme (`//host/basePath` without schemes), or the
    /// relative `basePath` without a host; none when neither is given.
    fn servers(&self) -> Result<Vec<Node<'a>>> {
        let (host, base_path, schemes) = self.location_fields()?;
        Ok(server_list(host, base_path, &schemes))
    }

    /// Operation-level `servers` for an operation's own `schemes`, when they differ from the
    /// document's and there is a host to combine them with.
    pub(super) fn operation_servers(
        &self,
        value: &'a Node<'a>,
        pointer: &str,
    ) -> Result<Option<Node<'a>>> {
        let schemes = scheme_list(value, pointer)?;
        let (host, base_path, global) = self.location_fields()?;
        let same = schemes.len() == global.len() && schemes.iter().all(|s| global.contains(s));
        if host.is_none() || schemes.is_empty() || same {
            return Ok(None);
        }
        Ok(Some(Node::Array(server_list(host, base_path, &schemes))))
    }

    /// `components`: schemas, responses, parameters, requestBodies, securitySchemes.
    fn components(&mut self) -> Result<Obj<'a>> {
        let root = self.root;
        let mut components = Obj::new();
        if let Some(definitions) = root.get("definitions") {
            self.record("/components/schemas", "/definitions");
            let definitions = object(definitions, "/definitions")?;
            let mut schemas = Obj::with_capacity(definitions.len());
            for (name, schema) in definitions.iter() {
                let from = self.child("/definitions", name);
                let to = self.child("/components/schemas", name);
                schemas.push(name, self.schema(schema, &from, &to)?);
            }
            components.push("schemas", Node::Object(schemas));
        }
        if let Some(responses) = root.get("responses") {
            self.record("/components/responses", "/responses");
            let produces = or_default(&self.produces);
            let mut converted = Obj::new();
            for (name, response) in object(responses, "/responses")?.iter() {
                let from = self.child("/responses", name);
                let to = self.child("/components/responses", name);
                converted.push(name, self.response(response, &from, &to, &produces)?);
            }
            components.push("responses", Node::Object(converted));
        }
        if let Some(parameters) = root.get("parameters") {
            let (parameters, bodies) = self.global_parameters(parameters)?;
            if !parameters.is_empty() {
                components.push("parameters", Node::Object(parameters));
            }
            if !bodies.is_empty() {
                components.push("requestBodies", Node::Object(bodies));
            }
        }
        if let Some(schemes) = root.get("securityDefinitions") {
            self.record("/components/securitySchemes", "/securityDefinitions");
            let mut converted = Obj::new();
            for (name, scheme) in object(schemes, "/securityDefinitions")?.iter() {
                let from = self.child("/securityDefinitions", name);
                let to = self.child("/components/securitySchemes", name);
                converted.push(name, self.security_scheme(scheme, &from, &to)?);
            }
            components.push("securitySchemes", Node::Object(converted));
        }
        Ok(components)
    }

    /// The top-level `parameters`: body parameters become request bodies; form parameters are
    /// inlined where they are used (an OpenAPI 3 form field is not a parameter).
    fn global_parameters(&mut self, value: &'a Node<'a>) -> Result<(Obj<'a>, Obj<'a>)> {
        let consumes = or_default(&self.consumes);
        let mut parameters = Obj::new();
        let mut bodies = Obj::new();
        for (name, param) in object(value, "/parameters")?.iter() {
            let from = self.child("/parameters", name);
            let map = object(param, &from)?;
            if map.contains_key("$ref") {
                let to = self.child("/components/parameters", name);
                self.record(&to, &from);
                parameters.push(name, self.opaque_ref(param, &from)?);
                continue;
            }
            let location = super::params::checked_location(map, &from)?;
            match location {
                "body" => {
                    let to = self.child("/components/requestBodies", name);
                    bodies.push(name, self.body_request(map, &from, &to, &consumes)?);
                }
                "formData" => {}
                _ => {
                    let to = self.child("/components/parameters", name);
                    parameters.push(name, self.parameter(map, &from, &to, location)?);
                }
            }
        }
        Ok((parameters, bodies))
    }

    /// Converts a security definition: basic -> http basic, apiKey as it is, oauth2 -> one flow.
    fn security_scheme(&mut self, value: &'a Node<'a>, from: &str, to: &str) -> Result<Node<'a>> {
        self.record(to, from);
        let map = object(value, from)?;
        let kind = map.get("type").ok_or_else(|| {
            error(
                from,
                "a security definition needs `type` (basic, apiKey or oauth2)",
            )
        })?;
        let kind = string(kind, &self.child(from, "type"))?;
        let mut out = Obj::new();
        match kind {
            "basic" => {
                self.record(&self.child(to, "scheme"), &self.child(from, "type"));
                for (key, item) in map.iter() {
                    if key == "type" {
                        out.insert("type", Node::str("http"));
                        out.insert("scheme", Node::str("basic"));
                    } else {
                        out.insert(key, Node::Same(item));
                    }
                }
            }
            "apiKey" => out = Obj::same_members(map, |_| true),
            "oauth2" => {
                let flow_from = self.child(from, "flow");
                let flow = map
                    .get("flow")
                    .ok_or_else(|| error(from, "an oauth2 security definition needs `flow`"))?;
                let flow = match string(flow, &flow_from)? {
                    "implicit" => "implicit",
                    "password" => "password",
                    "application" => "clientCredentials",
                    "accessCode" => "authorizationCode",
                    other => {
                        return Err(error(
                            &flow_from,
                            format!(
                                "unknown oauth2 flow `{other}` (expected implicit, password, application or accessCode)"
                            ),
                        ));
                    }
                };
                let flows_to = self.child(to, "flows");
                self.record(&flows_to, &flow_from);
                self.record(&self.child(&flows_to, flow), from);
                let mut details = Obj::new();
                for key in ["authorizationUrl", "tokenUrl"] {
                    if let Some(url) = map.get(key) {
                        details.push(key, Node::Same(url));
                    }
                }
                let scopes = map
                    .get("scopes")
                    .map_or_else(|| Node::Object(Obj::new()), Node::Same);
                details.push("scopes", scopes);
                let mut flows = Obj::new();
                flows.push(flow, Node::Object(details));
                for (key, item) in map.iter() {
                    match key {
                        "flow" => out.insert("flows", Node::Object(flows.clone())),
                        "authorizationUrl" | "tokenUrl" | "scopes" | "name" => {}
                        _ => out.insert(key, Node::Same(item)),
                    }
                }
            }
            other => {
                return Err(error(
                    &self.child(from, "type"),
                    format!(
                        "unknown security definition type `{other}` (expected basic, apiKey or oauth2)"
                    ),
                ));
            }
        }
        Ok(Node::Object(out))
    }
}

/// A `schemes` list, checked.
fn scheme_list(value: &Node<'_>, pointer: &str) -> Result<Vec<String>> {
    let mut schemes = Vec::new();
    for (index, scheme) in array(value, pointer)?.iter().enumerate() {
        let scheme = string(scheme, &child(pointer, &index.to_string()))?;
        if !schemes.iter().any(|s| s == scheme) {
            schemes.push(scheme.to_string());
        }
    }
    Ok(schemes)
}

/// Server objects for a host, base path and schemes, as `swagger2openapi` builds them.
fn server_list<'a>(host: Option<&str>, base_path: &str, schemes: &[String]) -> Vec<Node<'a>> {
    let urls: Vec<String> = match host {
        Some(host) => {
            let base_path = base_path.strip_suffix('/').unwrap_or(base_path);
            if schemes.is_empty() {
                vec![format!("//{host}{base_path}")]
            } else {
                schemes
                    .iter()
                    .map(|scheme| format!("{scheme}://{host}{base_path}"))
                    .collect()
            }
        }
        None if !base_path.is_empty() => vec![base_path.to_string()],
        None => Vec::new(),
    };
    urls.into_iter().map(server).collect()
}

/// A server object; `{name}` templates in the URL become variables (default `unknown`).
fn server<'a>(url: String) -> Node<'a> {
    let url = url.replace("{{", "{").replace("}}", "}");
    let mut variables = Obj::new();
    let mut rest = url.as_str();
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        if close > 0 {
            let mut variable = Obj::new();
            variable.push("default", Node::str("unknown"));
            variables.insert(after[..close].to_string(), Node::Object(variable));
        }
        rest = &after[close + 1..];
    }
    let mut out = Obj::new();
    out.push("url", Node::string(url.clone()));
    if !variables.is_empty() {
        out.push("variables", Node::Object(variables));
    }
    Node::Object(out)
}
