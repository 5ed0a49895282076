//! HL7 v2 ORU^R01 over HTTP: ACKs (AA / AE / AR) with MSA-2 = MSH-10, a retry replays the stored
//! ACK, and every failure is an ACK too.

use crate::helpers::*;
use crate::lab_support::*;

fn err_segments(ack: &str) -> Vec<Vec<String>> {
    segments(ack)
        .into_iter()
        .filter(|s| s[0] == "ERR")
        .collect()
}

#[actix_web::test]
async fn an_oru_is_acknowledged_aa_and_a_retry_gets_the_same_ack_and_no_second_result() {
    let app = spawn_app().await;
    let patient = patient_0042(&app).await;
    let res = post_hl7(&app, fixture("hl7v2/oru-tsh-tpo.hl7"), &[]).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type").as_deref(), Some(HL7));
    assert_eq!(msa(&res.text()), ("AA".to_owned(), "MSG00001".to_owned()));
    let retry = post_hl7(&app, fixture("hl7v2/oru-tsh-tpo.hl7"), &[]).await;
    assert_eq!(retry.body, res.body, "the stored ACK, byte for byte");
    let results = results_of(&app, &patient).await;
    assert_eq!(results.len(), 2);
    let tpo = results
        .iter()
        .find(|r| r["test"] == "tpo_antibodies")
        .unwrap();
    assert_eq!(tpo["interpretation"], "high");

    let corrected = post_hl7(&app, fixture("hl7v2/oru-tsh-corrected.hl7"), &[]).await;
    assert_eq!(msa(&corrected.text()).0, "AA");
    let results = results_of(&app, &patient).await;
    assert_eq!(results.len(), 2, "a correction is a version, not a result");
    let tsh = results.iter().find(|r| r["test"] == "tsh").unwrap();
    assert_eq!(tsh["status"], "corrected");
    assert_eq!(tsh["value"]["quantity"], 4.6);
}

#[actix_web::test]
async fn a_resend_under_a_new_control_id_is_still_one_result() {
    let app = spawn_app().await;
    let patient = patient_0042(&app).await;
    let first = post_hl7(&app, fixture("hl7v2/oru-acl-preliminary.hl7"), &[]).await;
    assert_eq!(msa(&first.text()).0, "AA");
    let resend = fixture_with(
        "hl7v2/oru-acl-preliminary.hl7",
        &[
            ("MSG00003", "MSG00003-R"),
            ("20250305093000", "20250305100000"),
        ],
    );
    let second = post_hl7(&app, resend, &[]).await;
    assert_eq!(
        msa(&second.text()),
        ("AA".to_owned(), "MSG00003-R".to_owned())
    );
    let results = results_of(&app, &patient).await;
    assert_eq!(results.len(), 1);
    let full = result_of(&app, &patient, results[0]["id"].as_str().unwrap()).await;
    assert_eq!(full["versions"].as_array().unwrap().len(), 1);
    assert_eq!(full["status"], "preliminary");
}

#[actix_web::test]
async fn an_unknown_mrn_is_ae_at_pid_3_and_nothing_is_stored() {
    let app = spawn_app().await;
    let patient = patient_0042(&app).await;
    let res = post_hl7(&app, fixture("hl7v2/oru-unknown-mrn.hl7"), &[]).await;
    assert_eq!(res.status, 200);
    let ack = res.text();
    assert_eq!(msa(&ack), ("AE".to_owned(), "MSG00006".to_owned()));
    let err = &err_segments(&ack)[0];
    assert_eq!(err[2], "PID^1^3");
    assert!(err[3].starts_with("204"), "{err:?}");
    assert!(results_of(&app, &patient).await.is_empty());
    let log = messages(&app);
    assert_eq!(log[0].outcome, "rejected");
    assert_eq!(log[0].message_key, None, "a fixed retry will be processed");
}

#[actix_web::test]
async fn an_unknown_code_is_aa_with_a_warning_and_kept_unmapped() {
    let app = spawn_app().await;
    let patient = patient_0042(&app).await;
    let res = post_hl7(&app, fixture("hl7v2/oru-unknown-code.hl7"), &[]).await;
    let ack = res.text();
    assert_eq!(msa(&ack).0, "AA");
    let err = &err_segments(&ack)[0];
    assert_eq!(err[4], "W");
    assert!(results_of(&app, &patient).await.is_empty());
    let detail: serde_json::Value =
        serde_json::from_str(messages(&app)[0].detail.as_deref().unwrap()).unwrap();
    assert_eq!(detail["counts"]["unmapped"], 1);
}

#[actix_web::test]
async fn a_cancelled_lupus_anticoagulant_and_a_partner_karyotype_are_stored_as_sent() {
    let app = spawn_app().await;
    let patient = patient_0042(&app).await;
    for f in ["oru-la-cancelled.hl7", "oru-partner-karyotype.hl7"] {
        let res = post_hl7(&app, fixture(&format!("hl7v2/{f}")), &[]).await;
        assert_eq!(msa(&res.text()).0, "AA", "{f}: {}", res.text());
    }
    let results = results_of(&app, &patient).await;
    let la = results
        .iter()
        .find(|r| r["test"] == "lupus_anticoagulant")
        .unwrap();
    assert_eq!(la["status"], "cancelled");
    assert_eq!(la["on_anticoagulation"], true);
    let k = results.iter().find(|r| r["test"] == "karyotype").unwrap();
    assert_eq!(k["subject"], "partner");
    assert_eq!(k["value"]["finding"], "balanced_rearrangement");
}

#[actix_web::test]
async fn garbage_and_other_message_types_are_ar_never_a_server_error() {
    let app = spawn_app().await;
    patient_0042(&app).await;
    let res = post_hl7(&app, fixture("hl7v2/garbage.hl7"), &[]).await;
    assert_eq!(res.status, 200);
    assert_eq!(msa(&res.text()), ("AR".to_owned(), String::new()));
    let res = post_hl7(&app, fixture("hl7v2/adt-a01.hl7"), &[]).await;
    assert_eq!(msa(&res.text()), ("AR".to_owned(), "ADT0001".to_owned()));
    let res = post_hl7(&app, vec![0xff, 0x00, 0x0b, 0x1c], &[]).await;
    assert_eq!(msa(&res.text()).0, "AR");
    let res = post_hl7(&app, Vec::new(), &[]).await;
    assert_eq!(msa(&res.text()).0, "AR");
    assert!(messages(&app).iter().all(|m| m.outcome == "rejected"));
}

#[actix_web::test]
async fn auth_media_type_and_size_failures_are_ar_acks_under_their_http_status() {
    let app = spawn_app().await;
    let body = fixture("hl7v2/oru-tsh-tpo.hl7");
    let res = app
        .send("POST", "/hl7/v2", None, Some(HL7), Some(body.clone()), &[])
        .await;
    assert_eq!(res.status, 401);
    assert_eq!(msa(&res.text()).0, "AR");
    let res = app
        .send(
            "POST",
            "/hl7/v2",
            Some(&app.admin()),
            Some(HL7),
            Some(body.clone()),
            &[],
        )
        .await;
    assert_eq!(res.status, 403);
    assert_eq!(msa(&res.text()).0, "AR");
    let res = app
        .send(
            "POST",
            "/hl7/v2",
            Some(&app.lab()),
            Some("application/json"),
            Some(body),
            &[],
        )
        .await;
    assert_eq!(res.status, 415);
    assert_eq!(msa(&res.text()).0, "AR");
    let res = app
        .send(
            "POST",
            "/hl7/v2",
            Some(&app.lab()),
            Some("text/plain"),
            Some(vec![b'X'; 10 * 1024 * 1024 + 1]),
            &[],
        )
        .await;
    assert_eq!(res.status, 413);
    assert_eq!(msa(&res.text()).0, "AR");
}
