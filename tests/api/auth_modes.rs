//! Key configurations: a clinic identity provider's RS256/ES256 public key (algorithm pinned),
//! and development mode (generated secret, tokens per role, loopback only).

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::helpers::*;

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/keys")
        .join(name)
}

fn claims() -> serde_json::Value {
    json!({"sub": "idp-user", "exp": 4_000_000_000i64, "aud": "rpl-workup", "org": CLINIC_A, "roles": ["clinician"], "iss": "https://idp.clinic-a.example"})
}

#[actix_web::test]
async fn an_rs256_token_from_the_clinics_identity_provider_is_accepted_and_an_hs256_one_refused() {
    let app = spawn_app_with(|args| {
        args.jwt.jwt_secret = None;
        args.jwt.jwt_public_key_file = Some(fixture("rsa-public.pem"));
        args.jwt.jwt_issuer = Some("https://idp.clinic-a.example".to_owned());
    })
    .await;
    let private = std::fs::read(fixture("rsa-private.pem")).unwrap();
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::RS256),
        &claims(),
        &EncodingKey::from_rsa_pem(&private).unwrap(),
    )
    .unwrap();
    assert_eq!(app.get("/v1/patients", &token).await.status, 200);

    // The public key used as an HMAC secret must not verify (algorithm confusion).
    let public = std::fs::read(fixture("rsa-public.pem")).unwrap();
    let confused = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims(),
        &EncodingKey::from_secret(&public),
    )
    .unwrap();
    assert_problem(
        &app.get("/v1/patients", &confused).await,
        401,
        "unauthorized",
    );

    let mut wrong_issuer = claims();
    wrong_issuer["iss"] = json!("https://elsewhere.example");
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::RS256),
        &wrong_issuer,
        &EncodingKey::from_rsa_pem(&private).unwrap(),
    )
    .unwrap();
    assert_problem(&app.get("/v1/patients", &token).await, 401, "unauthorized");
}

#[actix_web::test]
async fn an_es256_token_is_accepted_with_an_ec_public_key() {
    let app = spawn_app_with(|args| {
        args.jwt.jwt_secret = None;
        args.jwt.jwt_public_key_file = Some(fixture("ec-public.pem"));
    })
    .await;
    let private = std::fs::read(fixture("ec-private.pk8.pem")).unwrap();
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::ES256),
        &claims(),
        &EncodingKey::from_ec_pem(&private).unwrap(),
    )
    .unwrap();
    assert_eq!(app.get("/v1/patients", &token).await.status, 200);
}

#[actix_web::test]
async fn development_mode_mints_a_token_per_role_and_listens_only_on_loopback() {
    let db = TestDb::new();
    let mut args = serve_args(&db.url);
    args.jwt.jwt_secret = None;
    let app = rpl_workup::startup::Application::build(&args).expect("builds on loopback");
    let roles: Vec<_> = app.dev_tokens.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(roles, ["clinician", "lab", "admin"]);
    let caller = app
        .authenticator
        .verify(&app.dev_tokens[0].1)
        .expect("printed token verifies");
    assert_eq!(caller.clinic.as_str(), "dev-clinic");

    args.listen = "0.0.0.0:0".to_owned();
    let refused = rpl_workup::startup::Application::build(&args);
    assert!(
        refused.is_err(),
        "development mode must refuse a public address"
    );
}
