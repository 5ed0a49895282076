//! Message keys belong to the lab that sent them: HL7 MSH-3|MSH-4|MSH-10 and `Idempotency-Key`
//! are scoped by the token's `sub`; the same key on other content is refused, never replayed.

use rpl_workup::auth::Role;
use serde_json::json;

use crate::helpers::*;
use crate::lab_support::*;

async fn post_hl7_as(app: &TestApp, sub: &str, body: Vec<u8>) -> Resp {
    let token = app.token_as(sub, Role::Lab, CLINIC_A);
    app.send("POST", "/hl7/v2", Some(&token), Some(HL7), Some(body), &[])
        .await
}

#[actix_web::test]
async fn another_message_under_a_used_control_id_is_ae_205_and_stores_nothing() {
    let app = spawn_app().await;
    let patient = patient_0042(&app).await;
    let first = post_hl7(&app, fixture("hl7v2/oru-acl-preliminary.hl7"), &[]).await;
    assert_eq!(msa(&first.text()).0, "AA");
    // Same MSH-3|MSH-4|MSH-10, another result (accession and value).
    let other = fixture_with(
        "hl7v2/oru-acl-preliminary.hl7",
        &[("F-20250304-18", "F-20250304-99"), ("|52|", "|61|")],
    );
    let res = post_hl7(&app, other, &[]).await;
    let ack = res.text();
    assert_eq!(res.status, 200);
    assert_eq!(msa(&ack), ("AE".to_owned(), "MSG00003".to_owned()));
    assert!(ack.contains("205"), "{ack}");
    assert!(ack.contains("control id"), "{ack}");
    assert_eq!(results_of(&app, &patient).await.len(), 1, "nothing stored");
    let log = messages(&app);
    assert_eq!(log.len(), 2, "the refused message is kept in the log");
    assert_eq!(log[0].outcome, "rejected");
}

#[actix_web::test]
async fn a_resend_with_a_new_message_time_still_replays_the_first_ack() {
    let app = spawn_app().await;
    patient_0042(&app).await;
    let first = post_hl7(&app, fixture("hl7v2/oru-acl-preliminary.hl7"), &[]).await;
    let resend = fixture_with(
        "hl7v2/oru-acl-preliminary.hl7",
        &[("20250305093000", "20250305101500")],
    );
    let second = post_hl7(&app, resend, &[]).await;
    assert_eq!(second.body, first.body, "the stored ACK");
}

#[actix_web::test]
async fn two_labs_may_use_the_same_control_id_and_both_messages_are_stored() {
    let app = spawn_app().await;
    let patient = patient_0042(&app).await;
    let a = post_hl7_as(&app, "lab-one", fixture("hl7v2/oru-acl-preliminary.hl7")).await;
    assert_eq!(msa(&a.text()).0, "AA");
    let b = post_hl7_as(&app, "lab-two", fixture("hl7v2/oru-acl-preliminary.hl7")).await;
    assert_eq!(msa(&b.text()).0, "AA");
    assert_ne!(a.body, b.body, "lab two got its own ACK, not lab one's");
    // Each lab's accession is its own result (results are keyed by source).
    assert_eq!(results_of(&app, &patient).await.len(), 2);
}

#[actix_web::test]
async fn two_labs_may_use_the_same_idempotency_key_and_both_results_are_stored() {
    let app = spawn_app().await;
    let patient = patient_0042(&app).await;
    let key = [("Idempotency-Key", "shared-key-1")];
    for (sub, accession) in [("lab-one", "A-1"), ("lab-two", "B-1")] {
        let body = json!({"mrn": "MRN-0042", "results": [
            lab_result(accession, "3181-5", "final", json!({"quantity": 52.0, "unit": "[GPL'U]/mL"}))]});
        let token = app.token_as(sub, Role::Lab, CLINIC_A);
        let res = app
            .send(
                "POST",
                "/v1/lab/results",
                Some(&token),
                Some("application/json"),
                Some(serde_json::to_vec(&body).unwrap()),
                &key,
            )
            .await;
        assert_eq!(res.status, 201, "{sub}: {}", res.text());
        assert!(res.header("Idempotent-Replayed").is_none());
    }
    assert_eq!(results_of(&app, &patient).await.len(), 2);
}
