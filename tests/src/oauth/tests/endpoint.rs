//! The token endpoint and the bearer check on its tokens.

use std::time::{Duration, Instant};

use super::*;

#[tokio::test]
async fn oauth_bearer_check_with_the_token_endpoint() {
    let endpoint = TokenEndpoint::start(TokenEndpointConfig::default());
    let client = client();
    let (status, body) = post_form(
        &client,
        &endpoint.token_url(),
        &with_client(&[("grant_type", "client_credentials")]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().expect("token").to_owned();

    // Default: 401 for expired tokens, with a challenge that says so.
    let check = BearerCheck::new(endpoint.validator());
    let api = TestApi::start(AuthCheck::Bearer(check.clone()))
        .await
        .expect("start");
    let url = format!("{}/echo/x", api.base_url());
    let response = client
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .expect("send");
    let (status, body) = json_of(response).await;
    assert_eq!(status, 200);
    assert!(body["headers"].get("authorization").is_none());
    assert_eq!(check.accepted_tokens(), vec![token.clone()]);
    endpoint.expire_all();
    assert_eq!(endpoint.status(&token), TokenStatus::Expired);
    let response = client
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer error=\"invalid_token\", error_description=\"the access token expired\""
    );

    // 200 with a marker body, scheme `Token`.
    let marker = json!({"error": "token_expired"});
    let quirky = BearerCheck::new(endpoint.validator())
        .with_scheme("Token")
        .with_on_expired(ExpiredAnswer::OkWithBody(marker.clone()));
    let api = TestApi::start(AuthCheck::Bearer(quirky))
        .await
        .expect("start");
    let url = format!("{}/page/items", api.base_url());
    let response = client
        .get(&url)
        .header("authorization", format!("Token {token}"))
        .send()
        .await
        .expect("send");
    assert_eq!(json_of(response).await, (200, marker));
    let (_, body) = post_form(
        &client,
        &endpoint.token_url(),
        &with_client(&[("grant_type", "client_credentials")]),
    )
    .await;
    let fresh = body["access_token"].as_str().expect("token").to_owned();
    let response = client
        .get(&url)
        .bearer_auth(&fresh)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 401, "wrong scheme");
    let response = client
        .get(&url)
        .header("authorization", format!("token {fresh}"))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);

    endpoint.revoke(&fresh);
    assert!(!endpoint.is_valid(&fresh));
    assert_eq!(endpoint.status(&fresh), TokenStatus::Invalid);
}

#[tokio::test]
async fn oauth_token_endpoint_nested_keys_basic_auth_and_records() {
    let endpoint = TokenEndpoint::start(TokenEndpointConfig {
        token_key: "data.auth.token".to_owned(),
        expiry_key: "data.auth.ttl".to_owned(),
        expiry: Expiry::SecondsString(60),
        token_type: None,
        ..TokenEndpointConfig::default()
    });
    let client = client();
    let response = client
        .post(endpoint.token_url())
        .basic_auth("client-1", Some("secret-1"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&scope=a+b")
        .send()
        .await
        .expect("send");
    let (status, body) = json_of(response).await;
    assert_eq!(status, 200, "{body}");
    let token = body["data"]["auth"]["token"]
        .as_str()
        .expect("nested token");
    assert_eq!(body["data"]["auth"]["ttl"], "60");
    assert_eq!(body["scope"], "a b");
    assert!(body.get("token_type").is_none() && body.get("refresh_token").is_none());
    assert!(endpoint.is_valid(token));
    assert_eq!(endpoint.access_tokens(), vec![token.to_owned()]);

    let response = client
        .post(endpoint.token_url())
        .basic_auth("client-1", Some("wrong"))
        .form_body(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("send");
    assert!(response.headers().contains_key("www-authenticate"));
    let (status, body) = json_of(response).await;
    assert_eq!((status, &body["error"]), (401, &json!("invalid_client")));

    let requests = endpoint.requests();
    assert_eq!(requests.len(), 2);
    let first = &requests[0];
    assert_eq!(first.method, "POST");
    assert_eq!(first.grant_type.as_deref(), Some("client_credentials"));
    assert!(first.used_basic_auth);
    assert_eq!(first.basic_client_id.as_deref(), Some("client-1"));
    assert_eq!(first.param("scope"), Some("a b"));
    assert!(!first.has_redirect_uri);
    assert_eq!(
        first.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert!(first.headers["authorization"].starts_with("Basic "));
    assert_eq!((first.status, requests[1].status), (200, 401));
    assert_eq!(endpoint.count("client_credentials"), 2);
    assert_eq!(endpoint.count("refresh_token"), 0);
}

#[tokio::test]
async fn oauth_token_endpoint_content_type_method_and_client_auth_modes() {
    let client = client();
    // Form configured: JSON is refused with 415 (and recorded with its parameters).
    let form = TokenEndpoint::start(TokenEndpointConfig::default());
    let response = client
        .post(form.token_url())
        .json_body(&json!({"grant_type": "client_credentials", "client_id": "client-1", "client_secret": "secret-1"}))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 415);
    assert_eq!(form.requests()[0].param("client_id"), Some("client-1"));

    // JSON configured: JSON accepted, form refused.
    let json_endpoint = TokenEndpoint::start(TokenEndpointConfig {
        content_type: ContentType::Json,
        ..TokenEndpointConfig::default()
    });
    let response = client
        .post(json_endpoint.token_url())
        .json_body(&json!({"grant_type": "client_credentials", "client_id": "client-1", "client_secret": "secret-1"}))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);
    let (status, _) = post_form(
        &client,
        &json_endpoint.token_url(),
        &with_client(&[("grant_type", "client_credentials")]),
    )
    .await;
    assert_eq!(status, 415);

    // GET configured: parameters in the query; POST refused with 405.
    let get = TokenEndpoint::start(TokenEndpointConfig {
        method: TokenMethod::Get,
        ..TokenEndpointConfig::default()
    });
    let response = client
        .get(with_query(
            &get.token_url(),
            &with_client(&[("grant_type", "client_credentials")]),
        ))
        .send()
        .await
        .expect("send");
    let (status, body) = json_of(response).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(get.requests()[0].method, "GET");
    assert!(get.requests()[0].query.is_some());
    let (status, _) = post_form(
        &client,
        &get.token_url(),
        &with_client(&[("grant_type", "client_credentials")]),
    )
    .await;
    assert_eq!(status, 405);
    // POST configured: GET refused.
    let response = client.get(form.token_url()).send().await.expect("send");
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");

    // Basic required: credentials in the body are refused.
    let basic = TokenEndpoint::start(TokenEndpointConfig {
        require_basic_auth: true,
        ..TokenEndpointConfig::default()
    });
    let (status, body) = post_form(
        &client,
        &basic.token_url(),
        &with_client(&[("grant_type", "client_credentials")]),
    )
    .await;
    assert_eq!((status, &body["error"]), (401, &json!("invalid_client")));
    let response = client
        .post(basic.token_url())
        .basic_auth("client-1", Some("secret-1"))
        .form_body(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);
    let (status, body) =
        post_form(&client, &basic.token_url(), &[("grant_type", "password")]).await;
    assert_eq!((status, &body["error"]), (401, &json!("invalid_client")));

    // Unknown grant, missing grant.
    let (status, body) = post_form(
        &client,
        &form.token_url(),
        &with_client(&[("grant_type", "password")]),
    )
    .await;
    assert_eq!(
        (status, &body["error"]),
        (400, &json!("unsupported_grant_type"))
    );
    let (status, body) = post_form(&client, &form.token_url(), &with_client(&[])).await;
    assert_eq!((status, &body["error"]), (400, &json!("invalid_request")));
}

#[tokio::test]
async fn oauth_token_endpoint_expiry_formats_and_lifetime() {
    let client = client();
    let date = TokenEndpoint::start(TokenEndpointConfig {
        expiry: Expiry::Date,
        expiry_key: "expires_at".to_owned(),
        lifetime: Duration::from_millis(300),
        ..TokenEndpointConfig::default()
    });
    let before = unix_now();
    let (status, body) = post_form(
        &client,
        &date.token_url(),
        &with_client(&[("grant_type", "client_credentials")]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let expires_at = body["expires_at"].as_str().expect("date");
    assert!(
        expires_at == rfc3339(before) || expires_at == rfc3339(before + 1),
        "{expires_at}"
    );
    let token = body["access_token"].as_str().expect("token");
    assert!(date.is_valid(token));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(date.status(token), TokenStatus::Expired);

    let absent = TokenEndpoint::start(TokenEndpointConfig {
        expiry: Expiry::Absent,
        ..TokenEndpointConfig::default()
    });
    let (_, body) = post_form(
        &client,
        &absent.token_url(),
        &with_client(&[("grant_type", "client_credentials")]),
    )
    .await;
    assert_eq!(body.as_object().map(|o| o.len()), Some(2), "{body}");
    assert_eq!(body["token_type"], "Bearer");
}

/// Runs `/authorize` with a PKCE S256 challenge of [`VERIFIER`]; the code.
async fn authorize_code(
    client: &reqwest::Client,
    endpoint: &TokenEndpoint,
    redirect: &str,
) -> String {
    let response = client
        .get(with_query(
            &endpoint.authorize_url(),
            &[
                ("response_type", "code"),
                ("client_id", "client-1"),
                ("redirect_uri", redirect),
                ("state", "xyz"),
                ("scope", "items:read"),
                ("audience", "api"),
                ("code_challenge", &s256(VERIFIER)),
                ("code_challenge_method", "S256"),
            ],
        ))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 302);
    let params = location_params(&response);
    assert_eq!(params["state"], "xyz");
    params["code"].clone()
}

#[tokio::test]
async fn oauth_token_endpoint_authorization_code_pkce_and_rotation() {
    let endpoint = TokenEndpoint::start(TokenEndpointConfig {
        rotate_refresh_tokens: true,
        ..TokenEndpointConfig::default()
    });
    let client = client();
    let redirect = "http://127.0.0.1:9/cb?keep=1";
    let code = authorize_code(&client, &endpoint, redirect).await;
    let recorded = endpoint.authorize_requests();
    assert_eq!(recorded[0].param("audience"), Some("api"));
    assert_eq!(recorded[0].param("scope"), Some("items:read"));

    // Wrong verifier: refused, and the code is spent.
    let wrong = "w".repeat(43);
    let exchange = |code: &str, verifier: &str| {
        with_client(&[
            ("grant_type", "authorization_code"),
            ("redirect_uri", redirect),
        ])
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .chain([
            ("code".to_owned(), code.to_owned()),
            ("code_verifier".to_owned(), verifier.to_owned()),
        ])
        .collect::<Vec<_>>()
    };
    let post = |params: Vec<(String, String)>| {
        let client = client.clone();
        let url = endpoint.token_url();
        async move {
            let pairs: Vec<(&str, &str)> = params
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            post_form(&client, &url, &pairs).await
        }
    };
    let (status, body) = post(exchange(&code, &wrong)).await;
    assert_eq!(
        (status, &body["error"]),
        (400, &json!("invalid_grant")),
        "{body}"
    );
    let (status, _) = post(exchange(&code, VERIFIER)).await;
    assert_eq!(status, 400, "a code is single-use");

    let code = authorize_code(&client, &endpoint, redirect).await;
    let (status, body) = post(exchange(&code, VERIFIER)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "items:read");
    let first_refresh = body["refresh_token"].as_str().expect("refresh").to_owned();
    assert!(
        endpoint
            .requests()
            .last()
            .expect("recorded")
            .has_redirect_uri
    );

    // Rotation: a new refresh token each time, the old one refused.
    let refresh = |token: String| {
        post(
            with_client(&[("grant_type", "refresh_token")])
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .chain([("refresh_token".to_owned(), token)])
                .collect(),
        )
    };
    let (status, body) = refresh(first_refresh.clone()).await;
    assert_eq!(status, 200, "{body}");
    let second_refresh = body["refresh_token"].as_str().expect("rotated").to_owned();
    assert_ne!(second_refresh, first_refresh);
    let (status, body) = refresh(first_refresh).await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"error": "invalid_grant", "error_description": "refresh token already used"})
        )
    );

    // The failing switch.
    endpoint.set_failing(true);
    let (status, body) = refresh(second_refresh.clone()).await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"error": "invalid_grant", "error_description": "the refresh token was revoked"})
        )
    );
    endpoint.set_failing(false);
    let (status, _) = refresh(second_refresh.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(endpoint.count("refresh_token"), 4);
    assert_eq!(endpoint.count("authorization_code"), 3);
    assert_eq!(endpoint.refresh_tokens().len(), 3);
}

#[tokio::test]
async fn oauth_token_endpoint_without_rotation_and_public_client() {
    let endpoint = TokenEndpoint::start(TokenEndpointConfig {
        client_secret: None,
        echo_refresh_token: true,
        ..TokenEndpointConfig::default()
    });
    let client = client();
    let redirect = "http://127.0.0.1:9/cb";
    let code = authorize_code(&client, &endpoint, redirect).await;
    let (status, body) = post_form(
        &client,
        &endpoint.token_url(),
        &[
            ("grant_type", "authorization_code"),
            ("client_id", "client-1"),
            ("code", &code),
            ("redirect_uri", redirect),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let refresh = body["refresh_token"].as_str().expect("refresh").to_owned();
    for _ in 0..2 {
        let (status, body) = post_form(
            &client,
            &endpoint.token_url(),
            &[
                ("grant_type", "refresh_token"),
                ("client_id", "client-1"),
                ("refresh_token", &refresh),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["refresh_token"], refresh.as_str());
    }
    endpoint.revoke(&refresh);
    let (status, body) = post_form(
        &client,
        &endpoint.token_url(),
        &[
            ("grant_type", "refresh_token"),
            ("client_id", "client-1"),
            ("refresh_token", &refresh),
        ],
    )
    .await;
    assert_eq!((status, &body["error"]), (400, &json!("invalid_grant")));
}

#[tokio::test]
async fn oauth_token_endpoint_delay_lets_callers_pile_up() {
    let endpoint = TokenEndpoint::start(TokenEndpointConfig {
        delay: Duration::from_millis(300),
        ..TokenEndpointConfig::default()
    });
    let client = client();
    let started = Instant::now();
    let calls = (0..4).map(|_| {
        let (client, url) = (client.clone(), endpoint.token_url());
        tokio::spawn(async move {
            post_form(
                &client,
                &url,
                &with_client(&[("grant_type", "client_credentials")]),
            )
            .await
        })
    });
    for call in calls.collect::<Vec<_>>() {
        assert_eq!(call.await.expect("join").0, 200);
    }
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(
        elapsed < Duration::from_millis(1100),
        "requests were serialised: {elapsed:?}"
    );
    assert_eq!(endpoint.count("client_credentials"), 4);
}
