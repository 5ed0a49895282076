//! CDS Hooks 2.0: discovery, patient-view cards for allow-listed EHRs (RS384, ES384, RS256 from a
//! JWKS), every refused token, patient matching, 412s, feedback recorded as reviews.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::worklist::{days_ago, positive_acl, rpl_patient};

const RSA_ISS: &str = "https://ehr-rsa.example";
const EC_ISS: &str = "https://ehr-ec.example";
const JWKS_ISS: &str = "https://ehr-jwks.example";
const B_ISS: &str = "https://ehr-clinic-b.example";
const SERVICE: &str = "/cds-services/rpl-workup";
/// `RPL_PUBLIC_URL` of the CDS test service: token audiences name it, never the Host.
const PUBLIC_URL: &str = "https://cds.test.example";

fn key_file(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/keys")
        .join(name)
}

/// The clients file, in its own directory with the keys beside it (paths relative to the file).
fn clients_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (from, to) in [
        ("rsa-public.pem", "rsa.pem"),
        ("ec384-public.pem", "ec384.pem"),
        ("rsa-public.jwks.json", "keys.jwks"),
    ] {
        std::fs::copy(key_file(from), dir.path().join(to)).unwrap();
    }
    let clients = json!([
        {"iss": RSA_ISS, "org": CLINIC_A, "public_key_file": "rsa.pem"},
        {"iss": EC_ISS, "org": CLINIC_A, "public_key_file": "ec384.pem"},
        {"iss": JWKS_ISS, "org": CLINIC_A, "jwks_file": "keys.jwks"},
        {"iss": B_ISS, "org": CLINIC_B, "public_key_file": "rsa.pem"},
    ]);
    std::fs::write(dir.path().join("clients.json"), clients.to_string()).unwrap();
    dir
}

struct Cds {
    app: TestApp,
    _dir: tempfile::TempDir,
}

async fn spawn_cds() -> Cds {
    let dir = clients_dir();
    let file = dir.path().join("clients.json");
    let app = spawn_app_with(|args| {
        args.cds_clients_file = Some(file);
        args.public_url = Some(PUBLIC_URL.to_owned());
    })
    .await;
    Cds { app, _dir: dir }
}

fn claims(iss: &str, aud: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({"iss": iss, "sub": "ehr-client", "aud": aud, "exp": now + 300, "iat": now,
           "jti": uuid::Uuid::new_v4().to_string()})
}

fn sign(alg: Algorithm, claims: &Value) -> String {
    let key = match alg {
        Algorithm::RS256 | Algorithm::RS384 => {
            EncodingKey::from_rsa_pem(&std::fs::read(key_file("rsa-private.pem")).unwrap())
        }
        Algorithm::ES384 => {
            EncodingKey::from_ec_pem(&std::fs::read(key_file("ec384-private.pk8.pem")).unwrap())
        }
        _ => unreachable!(),
    }
    .unwrap();
    let mut header = Header::new(alg);
    if alg == Algorithm::RS256 {
        header.kid = Some("ehr-rsa-1".to_owned());
    }
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

impl Cds {
    fn aud(&self, path: &str) -> String {
        format!("{PUBLIC_URL}{path}")
    }
    fn token(&self, alg: Algorithm, iss: &str, path: &str) -> String {
        sign(alg, &claims(iss, &self.aud(path)))
    }
    async fn call(&self, path: &str, token: Option<&str>, body: &Value) -> Resp {
        self.app
            .send(
                "POST",
                path,
                token,
                Some("application/json"),
                Some(serde_json::to_vec(body).unwrap()),
                &[],
            )
            .await
    }
    async fn view(&self, alg: Algorithm, iss: &str, body: &Value) -> Resp {
        let token = self.token(alg, iss, SERVICE);
        self.call(SERVICE, Some(&token), body).await
    }
}

fn hook(patient_id: Option<&str>, prefetch: Option<Value>) -> Value {
    let mut body = json!({
        "hook": "patient-view",
        "hookInstance": uuid::Uuid::new_v4().to_string(),
        "fhirServer": "https://ehr.example/fhir",
        "context": {"userId": "Practitioner/77"},
    });
    if let Some(p) = patient_id {
        body["context"]["patientId"] = json!(p);
    }
    if let Some(p) = prefetch {
        body["prefetch"] = json!({"patient": p});
    }
    body
}

/// CDS Hooks forbids null and empty fields: walk the whole response.
fn assert_no_null_or_empty(v: &Value, path: &str) {
    match v {
        Value::Null => panic!("null at {path}"),
        Value::String(s) => assert!(!s.is_empty(), "empty string at {path}"),
        Value::Array(a) => {
            assert!(!a.is_empty() || path == "$.cards", "empty array at {path}");
            for (i, x) in a.iter().enumerate() {
                assert_no_null_or_empty(x, &format!("{path}[{i}]"));
            }
        }
        Value::Object(o) => {
            assert!(!o.is_empty(), "empty object at {path}");
            for (k, x) in o {
                assert_no_null_or_empty(x, &format!("{path}.{k}"));
            }
        }
        _ => {}
    }
}

/// A patient with an EHR id, an overdue antiphospholipid repeat and an abnormal uterus.
async fn charted_patient(app: &TestApp, mrn: &str, ehr_id: Option<&str>) -> String {
    let id = rpl_patient(app, mrn, None).await;
    if let Some(ehr) = ehr_id {
        let res = app
            .patch(
                &format!("/v1/patients/{id}"),
                &app.clinician(),
                &json!({"ehr_patient_id": ehr}),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
    }
    positive_acl(app, &id, 100).await;
    app.post(
        &format!("/v1/patients/{id}/results"),
        &app.clinician(),
        &json!({"test": "uterine_imaging", "modality": "3d_tvus", "value": {"finding": "septate"}, "collected_on": days_ago(5)}),
    )
    .await;
    id
}

fn card<'a>(cards: &'a Value, topic: &str) -> &'a Value {
    cards["cards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["source"]["topic"]["code"] == topic)
        .unwrap_or_else(|| panic!("no card about {topic}: {cards}"))
}

#[actix_web::test]
async fn discovery_offers_the_patient_view_service_with_a_patient_prefetch() {
    let cds = spawn_cds().await;
    let res = cds
        .app
        .send("GET", "/cds-services", None, None, None, &[])
        .await;
    assert_eq!(res.status, 200);
    let doc = res.json();
    let service = &doc["services"][0];
    assert_eq!(service["hook"], "patient-view");
    assert_eq!(service["id"], "rpl-workup");
    assert_eq!(
        service["prefetch"]["patient"],
        "Patient/{{context.patientId}}"
    );
    assert_no_null_or_empty(&doc, "$");
}

#[actix_web::test]
async fn rs384_es384_and_jwks_clients_get_cards_with_sources_details_and_loinc_orders() {
    let cds = spawn_cds().await;
    charted_patient(&cds.app, "CDS-1", Some("ehr-123")).await;
    let started = std::time::Instant::now();
    let res = cds
        .view(Algorithm::RS384, RSA_ISS, &hook(Some("ehr-123"), None))
        .await;
    assert!(
        started.elapsed().as_millis() < 500,
        "well inside CDS Hooks' budget"
    );
    assert_eq!(res.status, 200, "{}", res.text());
    let cards = res.json();
    assert_no_null_or_empty(&cards, "$");
    let all = cards["cards"].as_array().unwrap();
    assert_eq!(
        all.len(),
        3,
        "summary, overdue repeat, abnormal uterus: {cards}"
    );
    for c in all {
        assert!(c["summary"].as_str().unwrap().chars().count() < 140);
        assert!(["info", "warning", "critical"].contains(&c["indicator"].as_str().unwrap()));
        assert!(!c["source"]["label"].as_str().unwrap().is_empty());
        uuid::Uuid::parse_str(c["uuid"].as_str().unwrap()).unwrap();
    }
    let summary = &all[0];
    assert!(summary["summary"]
        .as_str()
        .unwrap()
        .starts_with("RPL workup (eshre-2022)"));
    assert_eq!(summary["selectionBehavior"], "any");
    let orders: Vec<&Value> = summary["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["actions"].as_array().unwrap())
        .map(|a| &a["resource"])
        .collect();
    assert!(orders.iter().all(|r| r["resourceType"] == "ServiceRequest"
        && r["status"] == "draft"
        && r["code"]["coding"][0]["system"] == "http://loinc.org"
        && r["subject"]["reference"] == "Patient/ehr-123"));
    assert!(
        orders
            .iter()
            .any(|r| r["code"]["coding"][0]["code"] == "3016-3"),
        "TSH (LOINC 3016-3) to order: {orders:?}"
    );
    let apl = card(&cards, "antiphospholipid");
    assert!(apl["summary"].as_str().unwrap().contains("overdue"));
    assert!(apl["detail"].as_str().unwrap().contains("**Why:**"));
    assert!(!apl["overrideReasons"].as_array().unwrap().is_empty());
    let uterus = card(&cards, "uterine_anatomy");
    assert_eq!(uterus["indicator"], "critical");

    // The same patient through the ES384 client, matched by MRN in the prefetched Patient.
    let patient = json!({"resourceType": "Patient", "id": "other-ehr-id",
        "identifier": [{"system": "urn:ehr:local", "value": "X-9"}, {"system": "urn:mrn", "value": "CDS-1"}]});
    let res = cds
        .view(
            Algorithm::ES384,
            EC_ISS,
            &hook(Some("other-ehr-id"), Some(patient)),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["cards"].as_array().unwrap().len(), 3);

    // RS256 from a JWKS (key chosen by kid).
    let res = cds
        .view(Algorithm::RS256, JWKS_ISS, &hook(Some("ehr-123"), None))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
}

#[actix_web::test]
async fn hmac_unknown_issuers_wrong_audiences_replays_expired_and_missing_tokens_are_refused() {
    let cds = spawn_cds().await;
    charted_patient(&cds.app, "CDS-2", Some("ehr-2")).await;
    let body = hook(Some("ehr-2"), None);
    let aud = cds.aud(SERVICE);

    let hs256 = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims(RSA_ISS, &aud),
        &EncodingKey::from_secret(&std::fs::read(key_file("rsa-public.pem")).unwrap()),
    )
    .unwrap();
    let unknown_issuer = sign(Algorithm::RS384, &claims("https://rogue.example", &aud));
    let wrong_aud = sign(
        Algorithm::RS384,
        &claims(RSA_ISS, "https://elsewhere.example/cds-services/rpl-workup"),
    );
    let mut expired_claims = claims(RSA_ISS, &aud);
    expired_claims["exp"] = json!(chrono::Utc::now().timestamp() - 3600);
    let expired = sign(Algorithm::RS384, &expired_claims);
    let mut no_jti_claims = claims(RSA_ISS, &aud);
    no_jti_claims.as_object_mut().unwrap().remove("jti");
    let no_jti = sign(Algorithm::RS384, &no_jti_claims);
    let mut no_exp_claims = claims(RSA_ISS, &aud);
    no_exp_claims.as_object_mut().unwrap().remove("exp");
    let no_exp = sign(Algorithm::RS384, &no_exp_claims);
    // The EC key's issuer signing with the RSA key: not its key.
    let wrong_key = sign(Algorithm::RS384, &claims(EC_ISS, &aud));
    let clinician = cds.app.clinician();

    for token in [
        None,
        Some(hs256.as_str()),
        Some(unknown_issuer.as_str()),
        Some(wrong_aud.as_str()),
        Some(expired.as_str()),
        Some(no_jti.as_str()),
        Some(no_exp.as_str()),
        Some(wrong_key.as_str()),
        Some(clinician.as_str()),
    ] {
        let res = cds.call(SERVICE, token, &body).await;
        assert_problem(&res, 401, "unauthorized");
    }

    let once = cds.token(Algorithm::RS384, RSA_ISS, SERVICE);
    assert_eq!(cds.call(SERVICE, Some(&once), &body).await.status, 200);
    let replay = cds.call(SERVICE, Some(&once), &body).await;
    assert_problem(&replay, 401, "unauthorized");
}

#[actix_web::test]
async fn without_a_clients_file_every_cds_caller_is_refused() {
    let app = spawn_app().await;
    let token = sign(
        Algorithm::RS384,
        &claims(RSA_ISS, &format!("{}{SERVICE}", app.base)),
    );
    let res = app
        .send(
            "POST",
            SERVICE,
            Some(&token),
            Some("application/json"),
            Some(serde_json::to_vec(&hook(Some("x"), None)).unwrap()),
            &[],
        )
        .await;
    assert_problem(&res, 401, "unauthorized");
}

#[actix_web::test]
async fn behind_a_proxy_the_audience_is_the_public_url() {
    let dir = clients_dir();
    let file = dir.path().join("clients.json");
    let app = spawn_app_with(|args| {
        args.cds_clients_file = Some(file);
        args.public_url = Some("https://cds.clinic-a.example/".to_owned());
    })
    .await;
    let body = serde_json::to_vec(&hook(
        Some("nobody"),
        Some(json!({"resourceType": "Patient"})),
    ))
    .unwrap();
    let send = |token: String| {
        let body = body.clone();
        let app = &app;
        async move {
            app.send(
                "POST",
                SERVICE,
                Some(&token),
                Some("application/json"),
                Some(body),
                &[],
            )
            .await
        }
    };
    let public = sign(
        Algorithm::RS384,
        &claims(
            RSA_ISS,
            "https://cds.clinic-a.example/cds-services/rpl-workup",
        ),
    );
    assert_eq!(send(public).await.status, 200);
    let host_built = sign(
        Algorithm::RS384,
        &claims(RSA_ISS, &format!("{}{SERVICE}", app.base)),
    );
    assert_problem(&send(host_built).await, 401, "unauthorized");
}

#[actix_web::test]
async fn an_unknown_patient_gets_no_cards_and_missing_context_is_412() {
    let cds = spawn_cds().await;
    charted_patient(&cds.app, "CDS-3", Some("ehr-3")).await;
    let stranger = json!({"resourceType": "Patient", "identifier": [{"value": "NOT-HERE"}]});
    let res = cds
        .view(
            Algorithm::RS384,
            RSA_ISS,
            &hook(Some("ehr-999"), Some(stranger)),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json(), json!({"cards": []}));

    // Clinic B's EHR cannot see clinic A's patient, whatever ids it sends.
    let res = cds
        .view(
            Algorithm::RS384,
            B_ISS,
            &hook(
                Some("ehr-3"),
                Some(json!({"resourceType": "Patient", "identifier": [{"value": "CDS-3"}]})),
            ),
        )
        .await;
    assert_eq!(res.json(), json!({"cards": []}));

    let res = cds.view(Algorithm::RS384, RSA_ISS, &hook(None, None)).await;
    assert_problem(&res, 412, "precondition_failed");
    let res = cds
        .view(Algorithm::RS384, RSA_ISS, &hook(Some("ehr-999"), None))
        .await;
    assert_problem(&res, 412, "precondition_failed");
    let mut other_hook = hook(Some("ehr-3"), None);
    other_hook["hook"] = json!("order-sign");
    let res = cds.view(Algorithm::RS384, RSA_ISS, &other_hook).await;
    assert_problem(&res, 400, "bad_request");
}

#[actix_web::test]
async fn feedback_records_accepted_orders_and_overrides_as_reviews_in_the_checklist() {
    let cds = spawn_cds().await;
    let id = charted_patient(&cds.app, "CDS-4", Some("ehr-4")).await;
    let cards = cds
        .view(Algorithm::RS384, RSA_ISS, &hook(Some("ehr-4"), None))
        .await
        .json();
    let summary = &cards["cards"][0];
    let thyroid = summary["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["label"].as_str().unwrap().contains("thyroid"))
        .unwrap_or_else(|| panic!("a thyroid order: {summary}"));
    let apl = card(&cards, "antiphospholipid");
    let declined = apl["overrideReasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "patient_declined")
        .unwrap()
        .clone();
    let feedback = json!({"feedback": [
        {"card": summary["uuid"], "outcome": "accepted",
         "acceptedSuggestions": [{"id": thyroid["uuid"]}], "outcomeTimestamp": "2026-11-23T10:00:00Z"},
        {"card": apl["uuid"], "outcome": "overridden",
         "overrideReason": {"reason": declined, "userComment": "will reconsider after counselling"},
         "outcomeTimestamp": "2026-11-23T10:00:05Z"}
    ]});
    let path = format!("{SERVICE}/feedback");
    let token = cds.token(Algorithm::RS384, RSA_ISS, &path);
    let res = cds.call(&path, Some(&token), &feedback).await;
    assert_eq!(res.status, 200, "{}", res.text());

    let checklist = cds
        .app
        .get(
            &format!("/v1/patients/{id}/checklist"),
            &cds.app.clinician(),
        )
        .await
        .json();
    let item = |name: &str| {
        checklist["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(item("thyroid")["reviews"][0]["action"], "ordered");
    assert_eq!(item("thyroid")["status"], "pending");
    assert_eq!(item("antiphospholipid")["status"], "declined");
    assert_eq!(
        item("antiphospholipid")["reviews"][0]["note"],
        "will reconsider after counselling"
    );

    // Another clinic's EHR cannot give feedback on these cards; an unknown card, or one that is
    // not a uuid, is 404.
    let path_token = sign(Algorithm::RS384, &claims(B_ISS, &cds.aud(&path)));
    assert_problem(
        &cds.call(&path, Some(&path_token), &feedback).await,
        404,
        "not_found",
    );
    let unknown =
        json!({"feedback": [{"card": uuid::Uuid::new_v4().to_string(), "outcome": "accepted"}]});
    let token = cds.token(Algorithm::RS384, RSA_ISS, &path);
    assert_problem(
        &cds.call(&path, Some(&token), &unknown).await,
        404,
        "not_found",
    );
    let malformed = json!({"feedback": [{"card": "not-a-card", "outcome": "accepted"}]});
    let token = cds.token(Algorithm::RS384, RSA_ISS, &path);
    assert_problem(
        &cds.call(&path, Some(&token), &malformed).await,
        404,
        "not_found",
    );
}

#[actix_web::test]
async fn every_patient_read_through_cds_hooks_is_audited_with_the_ehr_user() {
    let cds = spawn_cds().await;
    let id = charted_patient(&cds.app, "CDS-5", Some("ehr-5")).await;
    cds.view(Algorithm::RS384, RSA_ISS, &hook(Some("ehr-5"), None))
        .await;
    let audit = cds
        .app
        .get(
            &format!("/v1/audit?patient_id={id}&action=read"),
            &cds.app.admin(),
        )
        .await
        .json();
    let row = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource_type"] == "cds_cards")
        .unwrap_or_else(|| panic!("{audit}"));
    assert_eq!(row["actor"], "cds:ehr-client/Practitioner/77");
}

#[actix_web::test]
async fn without_a_public_url_cds_calls_are_refused_whatever_host_the_token_names() {
    let dir = clients_dir();
    let file = dir.path().join("clients.json");
    let app = spawn_app_with(|args| args.cds_clients_file = Some(file)).await;
    let host_built = sign(
        Algorithm::RS384,
        &claims(RSA_ISS, &format!("{}{SERVICE}", app.base)),
    );
    let res = app
        .send(
            "POST",
            SERVICE,
            Some(&host_built),
            Some("application/json"),
            Some(serde_json::to_vec(&hook(Some("x"), None)).unwrap()),
            &[("Host", "evil.example")],
        )
        .await;
    let problem = assert_problem(&res, 401, "unauthorized");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("RPL_PUBLIC_URL"),
        "{problem}"
    );
}

#[actix_web::test]
async fn a_cds_token_living_longer_than_five_minutes_is_refused() {
    let cds = spawn_cds().await;
    charted_patient(&cds.app, "CDS-9", Some("ehr-9")).await;
    let body = hook(Some("ehr-9"), None);
    let now = chrono::Utc::now().timestamp();
    let mut long = claims(RSA_ISS, &cds.aud(SERVICE));
    long["exp"] = json!(now + 301);
    long["iat"] = json!(now);
    let res = cds
        .call(SERVICE, Some(&sign(Algorithm::RS384, &long)), &body)
        .await;
    assert_problem(&res, 401, "unauthorized");
    let mut no_iat = claims(RSA_ISS, &cds.aud(SERVICE));
    no_iat.as_object_mut().unwrap().remove("iat");
    let res = cds
        .call(SERVICE, Some(&sign(Algorithm::RS384, &no_iat)), &body)
        .await;
    assert_problem(&res, 401, "unauthorized");
    let short = claims(RSA_ISS, &cds.aud(SERVICE));
    let res = cds
        .call(SERVICE, Some(&sign(Algorithm::RS384, &short)), &body)
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
}

const ORDER_SELECT: &str = "/cds-services/rpl-workup-order-select";
const RPL_TEST_SYSTEM: &str = "https://rpl-workup.example.org/fhir/CodeSystem/test";

fn order_select(patient_id: &str, orders: &[(&str, &str, &str)]) -> Value {
    let entries: Vec<Value> = orders
        .iter()
        .map(|(id, system, code)| {
            json!({"resource": {"resourceType": "ServiceRequest", "id": id, "status": "draft",
                "intent": "proposal", "subject": {"reference": format!("Patient/{patient_id}")},
                "code": {"coding": [{"system": system, "code": code}]}}})
        })
        .collect();
    json!({
        "hook": "order-select",
        "hookInstance": uuid::Uuid::new_v4().to_string(),
        "context": {"userId": "Practitioner/77", "patientId": patient_id,
            "selections": orders.iter().map(|(id, _, _)| format!("ServiceRequest/{id}")).collect::<Vec<_>>(),
            "draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": entries}},
    })
}

#[actix_web::test]
async fn order_select_warns_on_nk_cells_quoting_eshre_and_stays_silent_on_a_recommended_test() {
    let cds = spawn_cds().await;
    let id = charted_patient(&cds.app, "CDS-OS", Some("ehr-os")).await;
    let discovery = cds
        .app
        .send("GET", "/cds-services", None, None, None, &[])
        .await
        .json();
    assert!(discovery["services"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["hook"] == "order-select" && s["id"] == "rpl-workup-order-select"));

    let token = cds.token(Algorithm::RS384, RSA_ISS, ORDER_SELECT);
    let body = order_select("ehr-os", &[("nk", RPL_TEST_SYSTEM, "nk_cells")]);
    let res = cds.call(ORDER_SELECT, Some(&token), &body).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let cards = res.json();
    assert_no_null_or_empty(&cards, "$");
    let all = cards["cards"].as_array().unwrap();
    assert_eq!(all.len(), 1, "{cards}");
    let warning = &all[0];
    assert_eq!(warning["indicator"], "warning");
    assert_eq!(warning["source"]["label"], "ESHRE 2022");
    let detail = warning["detail"].as_str().unwrap();
    assert!(
        detail.contains("natural killer cell testing are not recommended"),
        "{detail}"
    );
    assert!(detail.contains("strong"), "{detail}");
    assert!(!warning["overrideReasons"].as_array().unwrap().is_empty());

    // TSH (LOINC) is recommended and outstanding: no card. Progesterone (LOINC) is advised against.
    let token = cds.token(Algorithm::RS384, RSA_ISS, ORDER_SELECT);
    let body = order_select("ehr-os", &[("tsh", "http://loinc.org", "3016-3")]);
    let res = cds.call(ORDER_SELECT, Some(&token), &body).await;
    assert_eq!(res.json()["cards"], json!([]), "no noise");
    let token = cds.token(Algorithm::RS384, RSA_ISS, ORDER_SELECT);
    let body = order_select("ehr-os", &[("p4", "http://loinc.org", "2839-9")]);
    let luteal = cds.call(ORDER_SELECT, Some(&token), &body).await.json();
    assert_eq!(
        luteal["cards"][0]["source"]["topic"]["code"],
        "luteal_progesterone"
    );

    // Overrides, with and without a reason, land in the audit.
    let path = format!("{ORDER_SELECT}/feedback");
    let feedback = json!({"feedback": [
        {"card": warning["uuid"], "outcome": "overridden",
         "overrideReason": {"reason": warning["overrideReasons"][0]}},
        {"card": luteal["cards"][0]["uuid"], "outcome": "overridden"}
    ]});
    let token = cds.token(Algorithm::RS384, RSA_ISS, &path);
    let res = cds.call(&path, Some(&token), &feedback).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let audit = cds
        .app
        .get(
            &format!("/v1/audit?patient_id={id}&action=override"),
            &cds.app.admin(),
        )
        .await
        .json();
    let mut ids: Vec<String> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["resource_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort_by_key(|i| i.ends_with("none"));
    assert_eq!(
        ids,
        [
            format!("{};reason=research", warning["uuid"].as_str().unwrap()),
            format!(
                "{};reason=none",
                luteal["cards"][0]["uuid"].as_str().unwrap()
            ),
        ]
    );
}

#[actix_web::test]
async fn an_es256_ehr_token_is_accepted_and_cards_link_to_the_patient_page_under_the_public_url() {
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap(); // ECDSA P-256
    std::fs::write(dir.path().join("ec256.pem"), key.public_key_pem()).unwrap();
    let iss = "https://ehr-es256.example";
    std::fs::write(
        dir.path().join("clients.json"),
        json!([{"iss": iss, "org": CLINIC_A, "public_key_file": "ec256.pem"}]).to_string(),
    )
    .unwrap();
    let file = dir.path().join("clients.json");
    let public = "https://rpl.clinic-a.example";
    let app = spawn_app_with(|args| {
        args.cds_clients_file = Some(file);
        args.public_url = Some(public.to_owned());
    })
    .await;
    let id = charted_patient(&app, "CDS-ES", Some("ehr-es")).await;
    let signing = EncodingKey::from_ec_pem(key.serialize_pem().as_bytes()).unwrap();
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::ES256),
        &claims(iss, &format!("{public}{SERVICE}")),
        &signing,
    )
    .unwrap();
    let res = app
        .send(
            "POST",
            SERVICE,
            Some(&token),
            Some("application/json"),
            Some(serde_json::to_vec(&hook(Some("ehr-es"), None)).unwrap()),
            &[],
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let cards = res.json();
    let all = cards["cards"].as_array().unwrap();
    assert!(!all.is_empty());
    for card in all {
        assert_eq!(
            card["links"][0]["url"],
            format!("{public}/app/patients/{id}")
        );
        assert_eq!(card["links"][0]["type"], "absolute");
    }
    let action = &all[0]["suggestions"][0]["actions"][0];
    assert_eq!(action["type"], "create");
    assert_eq!(action["resource"]["resourceType"], "ServiceRequest");
    assert_eq!(action["resource"]["intent"], "proposal");
    assert_eq!(action["resource"]["status"], "draft");
    assert_eq!(
        action["resource"]["code"]["coding"][0]["system"],
        "http://loinc.org"
    );
}
