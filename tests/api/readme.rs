//! The README's walkthrough and lab example, run as printed against the real binary in development
//! mode: the token banner on stderr (stdout carries only JSON logs), the walkthrough's patient, and
//! the printed `lab` token posting the README's HL7 and FHIR fixtures.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::json;

use crate::helpers::*;
use crate::lab_support::*;

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[actix_web::test]
async fn the_readme_lab_example_works_with_the_dev_lab_token_printed_on_stderr() {
    let db = TestDb::new();
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_rpl-workup"))
            .env_remove("RPL_JWT_SECRET")
            .env_remove("RPL_JWT_PUBLIC_KEY_FILE")
            .env_remove("RPL_PUBLIC_URL")
            .env("DATABASE_URL", &db.url)
            .env("RPL_LISTEN", "127.0.0.1:0")
            .env("RPL_WORKERS", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts"),
    );
    let stderr = child.0.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let (mut tokens, mut base) = (std::collections::HashMap::new(), None);
    while base.is_none() {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the banner on stderr");
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            [role, token] if token.starts_with("eyJ") => {
                tokens.insert(role.to_string(), token.to_string());
            }
            ["Serving", "on", url, ..] => base = Some(url.to_string()),
            _ => {}
        }
    }
    let base = base.unwrap();
    let client = awc::Client::default();
    let post = |path: &str, token: &str, content_type: &str, body: Vec<u8>| {
        let req = client
            .post(format!("{base}{path}"))
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("Content-Type", content_type.to_owned()));
        async move {
            let mut res = req.send_body(body).await.expect("sent");
            let body = res.body().await.expect("body").to_vec();
            (
                res.status().as_u16(),
                String::from_utf8_lossy(&body).into_owned(),
            )
        }
    };
    let walkthrough = json!({"mrn": "MRN-0042", "birth_date": "1991-05-14",
    "partner": {"mrn": "MRN-0043"},
    "pregnancies": [
        {"outcome": "miscarriage", "ended_on": "2025-11-02", "gestational_age_weeks": 8, "gestational_age_days": 3},
        {"outcome": "miscarriage", "ended_on": "2026-06-20", "gestational_age_weeks": 10}
    ]});
    let (status, text) = post(
        "/v1/patients",
        &tokens["clinician"],
        "application/json",
        serde_json::to_vec(&walkthrough).unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{text}");

    let lab = &tokens["lab"];
    let (status, ack) = post("/hl7/v2", lab, HL7, fixture("hl7v2/oru-tsh-tpo.hl7")).await;
    assert_eq!(status, 200);
    assert_eq!(msa(&ack).0, "AA", "{ack}");
    let observation = fixture("fhir/observation-acl-igg-positive.json");
    let (status, text) = post("/fhir/r4/Observation", lab, FHIR, observation).await;
    assert_eq!(status, 201, "{text}");

    let _ = child.0.kill();
    let mut stdout = String::new();
    child
        .0
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    assert!(!stdout.contains("eyJ"), "no token on stdout");
    for line in stdout.lines().filter(|l| !l.trim().is_empty()) {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "stdout is JSON logs only: {line}"
        );
    }
}
