//! The mock server, its JWTs, and the install lock.

use std::time::{Duration, Instant};

use super::*;

#[tokio::test]
async fn oauth_mock_server_client_credentials_jwt_verifies() {
    let server = OAuthMockServer::start();
    assert!(server.base_url().starts_with("http://127.0.0.1:"));
    assert_eq!(
        server.issuer(),
        format!("http://localhost:{}", server.port())
    );
    let client = client();

    let (status, body) = post_form(
        &client,
        &server.token_url(),
        &[
            ("grant_type", "client_credentials"),
            ("scope", "read write"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "read write");
    assert!(body.get("refresh_token").is_none());
    let token = body["access_token"].as_str().expect("access token");

    let verifier = server.verifier().await;
    let claims = verifier.verify(token).expect("valid JWT");
    assert_eq!(claims["iss"], server.issuer());
    assert_eq!(claims["scope"], "read write");
    assert_eq!(verifier.status(token), TokenStatus::Valid);

    // A JSON body works too.
    let response = client
        .post(server.token_url())
        .json_body(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .expect("send");
    let (status, body) = json_of(response).await;
    assert_eq!(status, 200, "{body}");

    // Tampering with any part is refused.
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims_forged = claims.clone();
    claims_forged["scope"] = json!("admin");
    let forged_payload = URL_SAFE_NO_PAD.encode(claims_forged.to_string());
    let forged = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
    assert_eq!(verifier.verify(&forged), Err("bad signature".to_owned()));
    let mut signature = URL_SAFE_NO_PAD.decode(parts[2]).expect("signature");
    signature[10] ^= 1;
    let flipped = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        URL_SAFE_NO_PAD.encode(&signature)
    );
    assert_eq!(verifier.verify(&flipped), Err("bad signature".to_owned()));
    let none_alg = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
        parts[1]
    );
    assert!(verifier.verify(&none_alg).is_err());
    assert!(verifier.verify("garbage").is_err());
    assert_eq!(verifier.status("a.b.c"), TokenStatus::Invalid);

    // Another issuer's verifier refuses it.
    let response = client.get(server.jwks_url()).send().await.expect("send");
    let (_, jwks) = json_of(response).await;
    let other = JwtVerifier::from_jwks(&jwks, "http://elsewhere.invalid").expect("jwks");
    assert!(
        other
            .verify(token)
            .expect_err("wrong iss")
            .starts_with("iss must be")
    );

    // Marked expired.
    verifier.expire_seen();
    assert_eq!(verifier.status(token), TokenStatus::Expired);
}

#[tokio::test]
async fn oauth_mock_server_authorize_redirect_pkce_and_refresh() {
    let server = OAuthMockServer::start();
    let client = client();
    let redirect_uri = "http://127.0.0.1:9/callback";
    let mut authorize = url::Url::parse(&server.authorize_url()).expect("url");
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", "anything")
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", "st-1")
        .append_pair("scope", "openid items")
        .append_pair("code_challenge", &s256(VERIFIER))
        .append_pair("code_challenge_method", "S256");
    let response = client.get(authorize.as_str()).send().await.expect("send");
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"].to_str().expect("ascii");
    assert!(location.starts_with(redirect_uri), "{location}");
    let params = location_params(&response);
    assert_eq!(params["state"], "st-1");
    let code = params["code"].clone();

    // A wrong verifier is refused (and consumes the challenge).
    let (status, body) = post_form(
        &client,
        &server.token_url(),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", &"x".repeat(43)),
        ],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_request");

    // A fresh code with the right verifier.
    let response = client.get(authorize.as_str()).send().await.expect("send");
    let code = location_params(&response)["code"].clone();
    let (status, body) = post_form(
        &client,
        &server.token_url(),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", VERIFIER),
            ("client_id", "anything"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let refresh = body["refresh_token"].as_str().expect("refresh token");
    assert!(body["id_token"].is_string());
    let verifier = JwtVerifier::fetch(&server.jwks_url(), &server.issuer())
        .await
        .expect("jwks");
    let access = body["access_token"].as_str().expect("access token");
    assert_eq!(verifier.verify(access).expect("valid")["sub"], "johndoe");

    let (status, body) = post_form(
        &client,
        &server.token_url(),
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        verifier
            .verify(body["access_token"].as_str().expect("token"))
            .is_ok()
    );
}

#[test]
fn oauth_mock_server_blocking_verifier_and_drop_kills_it() {
    let server = OAuthMockServer::start();
    let verifier = server.verifier_blocking();
    assert_eq!(verifier.key_ids().len(), 1);
    assert_eq!(verifier.issuer(), server.issuer());
    let port = server.port();
    drop(server);
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[tokio::test]
async fn oauth_bearer_check_with_the_mock_servers_jwts() {
    let server = OAuthMockServer::start();
    let verifier = server.verifier().await;
    let check = BearerCheck::new(verifier.clone()).with_on_expired(ExpiredAnswer::Status(403));
    let api = TestApi::start(AuthCheck::Bearer(check.clone()))
        .await
        .expect("start");
    let client = client();
    let (_, body) = post_form(
        &client,
        &server.token_url(),
        &[("grant_type", "client_credentials")],
    )
    .await;
    let token = body["access_token"].as_str().expect("token");
    let url = format!("{}/page/items", api.base_url());

    let response = client
        .get(&url)
        .bearer_auth(token)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);
    assert_eq!(check.accepted_tokens(), vec![token.to_owned()]);

    let response = client
        .get(&url)
        .bearer_auth("nope")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer error=\"invalid_token\""
    );
    let response = client.get(&url).send().await.expect("send");
    assert_eq!(response.status(), 401);

    verifier.expire(token);
    let response = client
        .get(&url)
        .bearer_auth(token)
        .send()
        .await
        .expect("send");
    let (status, body) = json_of(response).await;
    assert_eq!((status, body), (403, json!({"error": "token_expired"})));
    assert_eq!(check.accepted_tokens().len(), 1);
}

#[test]
fn oauth_install_lock_is_exclusive() {
    let dir = std::env::temp_dir().join(format!("plugboard-lock-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("install.lock");
    let first = crate::oauth::mock_server::InstallLock::acquire(&path);
    let waiter = {
        let path = path.clone();
        std::thread::spawn(move || {
            let started = Instant::now();
            let _second = crate::oauth::mock_server::InstallLock::acquire(&path);
            started.elapsed()
        })
    };
    std::thread::sleep(Duration::from_millis(500));
    drop(first);
    let waited = waiter.join().expect("join");
    assert!(waited >= Duration::from_millis(400), "{waited:?}");
    assert!(!path.exists());
    let _ = std::fs::remove_dir_all(&dir);
}
