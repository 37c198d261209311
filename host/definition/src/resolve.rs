//! A definition resolved into the manifest its component carries: the one place where the
//! definition's wizard-shaped settings become the host's typed ones.

use plugboard_manifest::{self as manifest, Manifest};

use crate::{
    Auth, Definition, InputSchema, OAuth2, OutputSchema, TokenRefreshStrategy, input_schema,
    output_schema,
};

impl Definition {
    /// The manifest of this definition (validate it first): hosts in lower case, auth with every
    /// default applied, one catalogue entry per action with its input and output schemas.
    pub fn resolve(&self) -> Manifest {
        let actions = self
            .actions
            .iter()
            .map(|action| manifest::Action {
                id: action.id.clone(),
                name: action.name.clone(),
                description: action.description.clone(),
                input_schema: input_schema(action),
                output_schema: output_schema(action, self.results_key(action), &self.schemas),
            })
            .collect();
        Manifest::new(self.resolve_header(), self.schemas.clone(), actions)
    }

    /// The results key an action's pages use: its own pagination's, else the integration's.
    pub fn results_key<'a>(&'a self, action: &'a crate::Action) -> &'a str {
        &action
            .pagination
            .as_ref()
            .unwrap_or(&self.pagination)
            .results_key
    }

    /// The manifest section of this definition (validate it first): [`Definition::resolve`]
    /// written straight into the section's bytes, without building the schemas.
    pub fn manifest_section(&self) -> Result<Vec<u8>, manifest::Error> {
        let actions = self.actions.iter().map(|action| {
            let body = manifest::section::ActionBody {
                name: &action.name,
                description: &action.description,
                input_schema: InputSchema(action),
                output_schema: OutputSchema {
                    action,
                    results_key: self.results_key(action),
                    schemas: &self.schemas,
                },
            };
            (action.id.as_str(), body)
        });
        manifest::section::encode_parts(&self.resolve_header(), &self.schemas, actions)
    }

    /// The manifest's header: identity, hosts in lower case, auth with every default applied.
    pub fn resolve_header(&self) -> manifest::Header {
        let hostname = plugboard_manifest::rules::lowercase_host(&self.hostname);
        let mut allowed_hosts: Vec<String> = Vec::new();
        for host in &self.extra_hosts {
            let host = host.to_ascii_lowercase();
            if host != hostname && !allowed_hosts.contains(&host) {
                allowed_hosts.push(host);
            }
        }
        manifest::Header {
            name: self.name.clone(),
            description: self.description.clone(),
            icon: self.icon.clone(),
            hostname,
            scheme: self.scheme,
            allowed_hosts,
            auth: resolve_auth(&self.auth),
            // Each hostname placeholder is a config value the installation sets.
            config: plugboard_manifest::rules::host_template(&self.hostname)
                .unwrap_or_default()
                .into_iter()
                .map(|name| manifest::ConfigDeclaration {
                    name: name.to_string(),
                    description: format!(
                        "the `{{{name}}}` part of the API's hostname `{}` (one DNS label)",
                        self.hostname
                    ),
                    default_value: None,
                })
                .collect(),
            secrets: Vec::new(),
            anonymous_actions: {
                let mut ids: Vec<String> = self
                    .actions
                    .iter()
                    .filter(|a| a.anonymous)
                    .map(|a| a.id.clone())
                    .collect();
                ids.sort();
                ids
            },
        }
    }
}

fn resolve_auth(auth: &Auth) -> manifest::Auth {
    match auth {
        Auth::None => manifest::Auth::None,
        Auth::Basic => manifest::Auth::Basic,
        Auth::ApiKey {
            api_key_header_name,
            api_key_preamble,
            location,
        } => manifest::Auth::ApiKey(manifest::ApiKey {
            header_name: api_key_header_name.clone(),
            preamble: api_key_preamble.clone(),
            location: *location,
        }),
        Auth::OAuth2(settings) => manifest::Auth::OAuth2(resolve_oauth2(settings).into()),
    }
}

fn resolve_oauth2(o: &OAuth2) -> manifest::OAuth2 {
    let refresh = match (o.token_refresh_strategy, o.refresh_interval_seconds) {
        (TokenRefreshStrategy::CustomInterval, Some(every_seconds)) => {
            manifest::Refresh::Interval { every_seconds }
        }
        // Validation requires the interval with its strategy; without one the buffer applies.
        (TokenRefreshStrategy::CustomInterval, None) | (TokenRefreshStrategy::Automatic, _) => {
            manifest::Refresh::Automatic {
                buffer_seconds: o.refresh_buffer_seconds,
            }
        }
    };
    let pairs = |map: &std::collections::BTreeMap<String, String>| {
        map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    };
    manifest::OAuth2 {
        grant: o.grant_type,
        token_scheme: o.access_token_scheme.clone(),
        authorization_url: o.authorization_code_url.clone(),
        token_url: o.access_token_url.clone(),
        token_key: o.token_key.clone(),
        expiration_key: o.token_expiration_key.clone(),
        refresh_token_key: o.refresh_token_key.clone(),
        request_format: o.token_request_content_type,
        request_method: o.token_request_method,
        scope: o.scope.clone(),
        basic_auth_token_exchange: o.token_exchange_basic_auth,
        client_config_on_refresh: o.include_client_config_on_refresh,
        redirect_uri_on_refresh: o.include_redirect_uri_on_refresh,
        refresh,
        authorization_params: pairs(&o.authorization_extra_params),
        token_request_headers: pairs(&o.extra_request_headers),
        refresh_on_status: o.refresh_on_status.clone(),
        expired_body_marker: o.expired_token_body_marker.clone(),
    }
}

#[cfg(test)]
mod tests {
    use crate::Definition;

    #[test]
    fn a_resolved_definition_passes_the_hosts_check() {
        let definition = Definition::from_json(
            r#"{"definition_version": 1, "name": "Demo", "description": "d",
                "hostname": "API.example.com", "extra_hosts": ["api.example.com", "CDN.example.com"],
                "auth": {"type": "oauth2", "grant_type": "client_credentials",
                         "access_token_url": "https://auth.example.com/token",
                         "token_refresh_strategy": "custom_interval",
                         "refresh_interval_seconds": 600},
                "actions": [{"id": "list", "name": "List", "method": "GET", "path": "/items"}]}"#,
        )
        .unwrap();
        let manifest = definition.resolve();
        manifest.check().unwrap();
        assert_eq!(manifest.header.hostname, "api.example.com");
        assert_eq!(manifest.header.allowed_hosts, ["cdn.example.com"]);
        let plugboard_manifest::Auth::OAuth2(oauth) = &manifest.header.auth else {
            panic!("oauth2 expected");
        };
        assert_eq!(
            oauth.refresh,
            plugboard_manifest::Refresh::Interval { every_seconds: 600 }
        );
        assert_eq!(oauth.token_key, "access_token");
        // The streamed section is the resolved manifest's section.
        assert_eq!(
            definition.manifest_section().unwrap(),
            plugboard_manifest::section::encode(&manifest).unwrap()
        );
    }
}
