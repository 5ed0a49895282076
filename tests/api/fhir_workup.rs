//! The workup as FHIR R4 for EHR write-back: profiles as `PlanDefinition`s, `$apply` and
//! `$rpl-workup` as a `CarePlan` — every output validated against the official FHIR R4 JSON schema
//! (tests/fixtures/fhir-r4-schema), canonical URLs from the configured base.

use std::sync::LazyLock;

use serde_json::{json, Value};

use crate::helpers::*;
use crate::worklist::{days_ago, positive_acl, rpl_patient};

static FHIR_R4: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/fhir-r4-schema/fhir.schema.json"
    );
    let schema: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).expect("the FHIR R4 schema compiles")
});

fn assert_valid_fhir(resource: &Value) {
    let errors: Vec<String> = FHIR_R4
        .iter_errors(resource)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .take(5)
        .collect();
    assert!(
        errors.is_empty(),
        "not valid FHIR R4: {errors:?}\n{resource:#}"
    );
}

const PUBLIC: &str = "https://rpl.clinic-a.example";

async fn fhir_app() -> TestApp {
    spawn_app_with(|args| args.public_url = Some(PUBLIC.to_owned())).await
}

#[actix_web::test]
async fn profiles_are_plan_definitions_valid_against_fhir_r4_with_canonical_urls_from_the_public_url(
) {
    let app = fhir_app().await;
    let res = app.get("/fhir/r4/PlanDefinition", &app.clinician()).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(
        res.header("content-type").as_deref(),
        Some("application/fhir+json")
    );
    let bundle = res.json();
    assert_valid_fhir(&bundle);
    let eshre = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .find(|r| r["id"] == "eshre-2022")
        .expect("ESHRE 2022")
        .clone();
    assert_eq!(
        eshre["url"],
        format!("{PUBLIC}/fhir/r4/PlanDefinition/eshre-2022")
    );
    assert!(!bundle.to_string().contains("rpl-workup.example.org"));
    assert_eq!(
        eshre["action"][0]["code"][0]["coding"][0]["system"],
        format!("{PUBLIC}/fhir/r4/CodeSystem/item")
    );
    let thyroid = eshre["action"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "thyroid")
        .unwrap();
    let codes = &thyroid["input"][0]["codeFilter"][0]["code"];
    assert!(codes
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["system"] == "http://loinc.org" && c["code"] == "3016-3"));
    assert_eq!(thyroid["documentation"][0]["display"], "ESHRE 2022");

    let one = app
        .get("/fhir/r4/PlanDefinition/eshre-2022", &app.admin())
        .await;
    assert_eq!(one.status, 200);
    assert_valid_fhir(&one.json());
    assert_eq!(one.json(), eshre);
    assert_eq!(
        app.get("/fhir/r4/PlanDefinition/nope", &app.clinician())
            .await
            .status,
        404
    );
    assert_eq!(
        app.get("/fhir/r4/PlanDefinition", &app.lab()).await.status,
        403
    );
}

#[actix_web::test]
async fn apply_and_rpl_workup_return_a_valid_care_plan_with_proposed_orders_and_detected_issues() {
    let app = fhir_app().await;
    let id = rpl_patient(&app, "FHIR-1", None).await;
    positive_acl(&app, &id, 100).await;
    let res = app
        .post(
            &format!("/v1/patients/{id}/results"),
            &app.clinician(),
            &json!({"test": "uterine_imaging", "modality": "3d_tvus",
                    "value": {"finding": "septate"}, "collected_on": days_ago(5)}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());

    let res = app
        .send(
            "POST",
            "/fhir/r4/PlanDefinition/eshre-2022/$apply?subject=Patient/FHIR-1",
            Some(&app.clinician()),
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let plan = res.json();
    assert_valid_fhir(&plan);
    assert_eq!(plan["resourceType"], "CarePlan");
    assert_eq!(plan["intent"], "proposal");
    assert_eq!(
        plan["instantiatesCanonical"][0],
        format!("{PUBLIC}/fhir/r4/PlanDefinition/eshre-2022")
    );
    let contained = plan["contained"].as_array().unwrap();
    let of = |t: &str| -> Vec<&Value> {
        contained
            .iter()
            .filter(|r| r["resourceType"] == t)
            .collect()
    };
    assert_eq!(of("RequestGroup").len(), 1);
    let orders = of("ServiceRequest");
    assert!(orders
        .iter()
        .all(|o| o["intent"] == "proposal" && o["status"] == "draft"));
    assert!(
        orders
            .iter()
            .any(|o| o["code"]["coding"][0]["code"] == "3016-3"),
        "TSH is outstanding: {plan:#}"
    );
    assert!(
        orders.iter().any(|o| o["occurrenceDateTime"].is_string()),
        "the antiphospholipid repeat is due: {plan:#}"
    );
    let issues = of("DetectedIssue");
    assert!(
        issues
            .iter()
            .any(|i| i["code"]["coding"][0]["code"] == "uterine_anatomy"),
        "the septate uterus is abnormal: {plan:#}"
    );
    let actions = plan["contained"][0]["action"].as_array().unwrap();
    assert_eq!(actions.len(), orders.len() + issues.len());

    let workup = app
        .get("/fhir/r4/Patient/FHIR-1/$rpl-workup", &app.clinician())
        .await;
    assert_eq!(workup.status, 200, "{}", workup.text());
    assert_valid_fhir(&workup.json());
    assert_eq!(
        workup.json()["contained"].as_array().unwrap().len(),
        contained.len()
    );

    let other_clinic = app.token(rpl_workup::auth::Role::Clinician, CLINIC_B);
    assert_eq!(
        app.get("/fhir/r4/Patient/FHIR-1/$rpl-workup", &other_clinic)
            .await
            .status,
        404
    );
    assert_eq!(
        app.get("/fhir/r4/Patient/FHIR-1/$rpl-workup", &app.lab())
            .await
            .status,
        403
    );
    assert_eq!(app.audited_reads(&id, "care_plan").await, 2);
}

#[actix_web::test]
async fn rpl_fhir_base_wins_over_the_public_url_for_every_canonical_url() {
    let base = "https://terminology.clinic-a.example/rpl/fhir";
    let app = spawn_app_with(|args| {
        args.public_url = Some(PUBLIC.to_owned());
        args.fhir_base = Some(format!("{base}/"));
    })
    .await;
    let res = app
        .get("/fhir/r4/PlanDefinition/eshre-2022", &app.clinician())
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let plan = res.json();
    assert_eq!(plan["url"], format!("{base}/PlanDefinition/eshre-2022"));
    assert_eq!(
        plan["action"][0]["code"][0]["coding"][0]["system"],
        format!("{base}/CodeSystem/item")
    );
    assert!(!plan.to_string().contains(&format!("{PUBLIC}/fhir/r4")));
}

fn assert_outcome(res: &Resp, status: u16, code: &str) -> Value {
    assert_eq!(res.status, status, "{}", res.text());
    assert_eq!(
        res.header("content-type").as_deref(),
        Some("application/fhir+json")
    );
    let body = res.json();
    assert_eq!(body["resourceType"], "OperationOutcome", "{body}");
    assert_eq!(body["issue"][0]["code"], code, "{body}");
    assert_valid_fhir(&body);
    body
}

#[actix_web::test]
async fn fhir_workup_errors_are_operation_outcomes_never_problem_json() {
    let app = fhir_app().await;
    rpl_patient(&app, "FHIR-2", None).await;
    let apply = |subject: &str| format!("/fhir/r4/PlanDefinition/eshre-2022/$apply{subject}");
    let post = |path: String, token: Option<String>| {
        let app = &app;
        async move {
            app.send("POST", &path, token.as_deref(), None, None, &[])
                .await
        }
    };

    let res = app
        .send("GET", "/fhir/r4/PlanDefinition", None, None, None, &[])
        .await;
    assert_outcome(&res, 401, "login");
    assert!(res.header("www-authenticate").is_some());
    let res = app
        .send(
            "GET",
            "/fhir/r4/Patient/FHIR-2/$rpl-workup",
            Some("not-a-jwt"),
            None,
            None,
            &[],
        )
        .await;
    assert_outcome(&res, 401, "login");
    let res = post(apply("?subject=Patient/FHIR-2"), None).await;
    assert_outcome(&res, 401, "login");

    let lab = Some(app.lab());
    assert_outcome(
        &app.get("/fhir/r4/PlanDefinition/eshre-2022", &app.lab())
            .await,
        403,
        "forbidden",
    );
    assert_outcome(
        &post(apply("?subject=Patient/FHIR-2"), lab).await,
        403,
        "forbidden",
    );

    let clinician = Some(app.clinician());
    assert_outcome(
        &app.get("/fhir/r4/PlanDefinition/nope", &app.clinician())
            .await,
        404,
        "not-found",
    );
    assert_outcome(
        &app.get("/fhir/r4/Patient/NOBODY/$rpl-workup", &app.clinician())
            .await,
        404,
        "not-found",
    );
    assert_outcome(
        &post(
            "/fhir/r4/PlanDefinition/nope/$apply?subject=Patient/FHIR-2".to_owned(),
            clinician.clone(),
        )
        .await,
        404,
        "not-found",
    );
    for bad in [
        "",
        "?subject=Practitioner/7",
        "?subject=Patient/",
        "?subject=FHIR-2",
    ] {
        let body = assert_outcome(&post(apply(bad), clinician.clone()).await, 422, "invalid");
        assert_eq!(
            body["issue"][0]["expression"][0], "subject",
            "{bad}: {body}"
        );
    }
}
