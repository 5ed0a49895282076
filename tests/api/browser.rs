//! The dashboard in a real headless Chromium driven over WebDriver (chromedriver), against the
//! real server on a real database: sign in with a fragment token, the worklist, a patient with her
//! plot, a review, profiles side by side, a past day; axe-core finds nothing serious or critical.
//! One browser session for everything, to stay fast. Without chromedriver the test says it was
//! skipped and passes — except under CI (`CI` set), where a missing browser fails it.

use fantoccini::Client;
use serde_json::json;

use crate::browser_support::*;
use crate::checklists::backdate;
use crate::helpers::*;

fn days_ago(n: i64) -> String {
    (chrono::Utc::now().date_naive() - chrono::Duration::days(n)).to_string()
}

async fn seed(app: &TestApp) -> String {
    let id = app
        .create_patient(
            &json!({"mrn": "MRN-BROWSER-1", "birth_date": "1990-04-02", "pregnancies": [
                {"outcome": "miscarriage", "ended_on": days_ago(700), "gestational_age_weeks": 7},
                {"outcome": "live_birth", "ended_on": days_ago(500), "gestational_age_weeks": 39},
                {"outcome": "miscarriage", "ended_on": days_ago(200), "gestational_age_weeks": 9},
                {"outcome": "biochemical", "ended_on": days_ago(120), "gestational_age_weeks": 4}
            ]}),
        )
        .await;
    for body in [
        json!({"test": "anticardiolipin_igg", "value": {"quantity": 52.0, "unit": "[GPL'U]/mL"},
               "interpretation": "positive", "collected_on": days_ago(30)}),
        json!({"test": "tsh", "value": {"quantity": 3.1, "unit": "m[IU]/L"},
               "reference_range": {"low": 0.4, "high": 4.0, "unit": "m[IU]/L"},
               "interpretation": "normal", "collected_on": days_ago(60)}),
    ] {
        let res = app
            .post(
                &format!("/v1/patients/{id}/results"),
                &app.clinician(),
                &body,
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
    }
    id
}

#[actix_web::test]
async fn a_clinician_works_through_the_dashboard_in_a_real_browser() {
    let Some((_driver, client)) = browser().await else {
        return;
    };
    let app = spawn_app().await;
    let id = seed(&app).await;
    backdate(&app, &id, 10);
    let outcome = journey(&app, &client, &id).await;
    client.close().await.expect("browser closes");
    outcome.unwrap_or_else(|e| panic!("{e}"));
}

async fn journey(app: &TestApp, client: &Client, id: &str) -> Result<(), String> {
    // Sign in with a fragment token: stored, then gone from the address bar.
    client
        .goto(&format!("{}/app/#token={}", app.base, app.clinician()))
        .await
        .map_err(|e| e.to_string())?;
    wait_for(client, "#worklist").await;
    let url = client.current_url().await.map_err(|e| e.to_string())?;
    assert!(url.fragment().is_none(), "the token left the URL: {url}");
    let row = wait_for(client, "#worklist a[href*='/app/patients/']").await;
    assert_eq!(
        row.text().await.map_err(|e| e.to_string())?,
        "MRN-BROWSER-1"
    );
    figures(client, "worklist (cold: first page of the session)").await;
    let violations = axe(client).await;
    assert!(violations.is_empty(), "worklist: {violations:#?}");

    // The patient page: first render timed in the browser, the plot, page weight.
    row.click().await.map_err(|e| e.to_string())?;
    wait_for(client, "svg.plot .pregnancy-mark").await;
    assert_eq!(
        count(client, "svg.plot .pregnancy-mark").await,
        4,
        "one mark per pregnancy"
    );
    assert_eq!(
        count(client, ".pregnancy-mark[data-counted='true']").await,
        3,
        "ESHRE counts the biochemical loss"
    );
    figures(client, "patient page (assets cached by the worklist)").await;
    client
        .goto(&format!("{}/app/patients/{id}", app.base))
        .await
        .map_err(|e| e.to_string())?;
    wait_for(client, "#checklist").await;
    let violations = axe(client).await;
    assert!(violations.is_empty(), "patient page: {violations:#?}");
    if std::env::var_os("RPL_SCREENSHOT").is_some() {
        let png = client.screenshot().await.map_err(|e| e.to_string())?;
        std::fs::write(
            concat!(env!("CARGO_MANIFEST_DIR"), "/docs/dashboard-patient.png"),
            png,
        )
        .map_err(|e| e.to_string())?;
    }

    // A review changes the item's status once the page refreshes.
    let thyroid = wait_for(client, "#item-thyroid").await;
    assert_eq!(
        thyroid.attr("data-status").await.ok().flatten().as_deref(),
        Some("outstanding")
    );
    let select = wait_for(client, "#action-thyroid").await;
    select
        .select_by_value("declined")
        .await
        .map_err(|e| e.to_string())?;
    wait_for(client, "#item-thyroid form button[type='submit']")
        .await
        .click()
        .await
        .map_err(|e| e.to_string())?;
    wait_for(client, "#item-thyroid[data-status='declined']").await;
    let pdf = client
        .print(fantoccini::wd::PrintConfiguration::default())
        .await
        .map_err(|e| e.to_string())?;
    assert_eq!(pdf_pages(&pdf), 1, "the patient page prints on one page");

    // Profiles side by side, with the disagreements marked.
    wait_for(client, "nav.tabs a[href*='view=side']")
        .await
        .click()
        .await
        .map_err(|e| e.to_string())?;
    wait_for(client, "#side-by-side").await;
    assert!(count(client, "#side-by-side tbody tr").await >= 10);
    assert!(count(client, "#side-by-side tr.disagree").await >= 1);
    if std::env::var_os("RPL_SCREENSHOT").is_some() {
        let png = client.screenshot().await.map_err(|e| e.to_string())?;
        std::fs::write(
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/target/dashboard-side-by-side.png"
            ),
            png,
        )
        .map_err(|e| e.to_string())?;
    }
    let violations = axe(client).await;
    assert!(violations.is_empty(), "side by side: {violations:#?}");

    // A past day (the record was back-dated 10 days at seeding): before the review, the item
    // was outstanding.
    client
        .goto(&format!("{}/app/patients/{id}", app.base))
        .await
        .map_err(|e| e.to_string())?;
    let day = days_ago(3);
    let picker = wait_for(client, "#as-of").await;
    client
        .execute(
            "arguments[0].value = arguments[1];",
            vec![
                serde_json::to_value(&picker).map_err(|e| e.to_string())?,
                json!(day),
            ],
        )
        .await
        .map_err(|e| e.to_string())?;
    wait_for(client, "form.controls button[type='submit']")
        .await
        .click()
        .await
        .map_err(|e| e.to_string())?;
    wait_for(client, "#item-thyroid[data-status='outstanding']").await;
    let shown = wait_for(client, "#evaluated-on")
        .await
        .text()
        .await
        .map_err(|e| e.to_string())?;
    assert_eq!(shown, day);
    Ok(())
}

#[actix_web::test]
async fn dashboard_pages_carry_a_strict_content_security_policy() {
    let app = spawn_app().await;
    for path in [
        "/app/",
        "/app/patients/0190b6a2-7c1e-7000-8000-000000000000",
        "/app/assets/app.js",
    ] {
        let res = app.send("GET", path, None, None, None, &[]).await;
        assert_eq!(res.status, 200, "{path}");
        let csp = res.header("content-security-policy").expect("CSP");
        assert!(
            csp.contains("default-src 'self'") && csp.contains("script-src 'self'"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe"), "{csp}");
        assert_eq!(
            res.header("x-content-type-options").as_deref(),
            Some("nosniff")
        );
        assert_eq!(
            res.header("referrer-policy").as_deref(),
            Some("no-referrer")
        );
    }
    let html = app.send("GET", "/app/", None, None, None, &[]).await.text();
    assert!(
        !html.contains("<script>") && !html.contains(" onclick="),
        "no inline script"
    );
    let missing = app
        .send("GET", "/app/nothing-here", None, None, None, &[])
        .await;
    assert_eq!(missing.status, 404);
}
