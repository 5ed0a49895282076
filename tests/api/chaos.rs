//! Kill -9 during concurrent lab posts: the built server binary is started on the test database
//! (SQLite, or PostgreSQL under `TEST_DATABASE_URL`), JSON, FHIR and HL7 posters hammer it, it is
//! killed with SIGKILL mid-way and started again. Every result acknowledged before the kill (2xx,
//! or an `AA` ACK) is then stored exactly once, and nothing is stored twice.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::lab_support::*;

const POSTERS: usize = 6;
const PATIENTS: usize = 5;

/// The real binary, serving `db` on `port`.
fn start_server(db: &TestDb, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_rpl-workup"))
        .arg("serve")
        .env("DATABASE_URL", &db.url)
        .env("RPL_JWT_SECRET", SECRET)
        .env("RPL_LISTEN", format!("127.0.0.1:{port}"))
        .env("RPL_WORKERS", "2")
        .env("RPL_POOL_SIZE", "8")
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the built server starts")
}

async fn wait_ready(client: &awc::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(res) = client.get(format!("{base}/health/ready")).send().await {
            if res.status().is_success() {
                return;
            }
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server at {base} did not become ready");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// One lab post of `kind` numbered `n`: its accessions, and whether it was acknowledged.
async fn post(
    client: &awc::Client,
    base: &str,
    token: &str,
    kind: usize,
    n: usize,
) -> (Vec<String>, bool) {
    let mrn = format!("K-{}", n % PATIENTS);
    let tag = format!("k{kind}-{n}");
    let (path, content_type, body, accessions) = match kind {
        0 => {
            let body = json!({"mrn": mrn, "results": [
                lab_result(&tag, "3181-5", "final", json!({"quantity": 52.0, "unit": "[GPL'U]/mL"}))]});
            let body = serde_json::to_vec(&body).unwrap();
            ("/v1/lab/results", "application/json", body, vec![tag])
        }
        1 => {
            let mut obs: Value =
                serde_json::from_slice(&fixture("fhir/observation-acl-igg-positive.json")).unwrap();
            obs["identifier"][0]["value"] = json!(tag);
            obs["subject"]["identifier"]["value"] = json!(mrn);
            let accession = format!("urn:oid:2.16.840.1.113883.19.4.6|{tag}");
            let body = serde_json::to_vec(&obs).unwrap();
            ("/fhir/r4/Observation", FHIR, body, vec![accession])
        }
        _ => {
            let body = fixture_with(
                "hl7v2/oru-tsh-tpo.hl7",
                &[
                    ("MRN-0042", &mrn),
                    ("MSG00001", &tag),
                    ("F-20250304-17", &tag),
                ],
            );
            let accessions = vec![
                format!("{tag}^CITYLAB|3016-3|1"),
                format!("{tag}^CITYLAB|8099-4|1"),
            ];
            ("/hl7/v2", HL7, body, accessions)
        }
    };
    let sent = client
        .post(format!("{base}{path}"))
        .insert_header(("Authorization", format!("Bearer {token}")))
        .insert_header(("Content-Type", content_type))
        .timeout(Duration::from_secs(10))
        .send_body(body)
        .await;
    let acked = match sent {
        Ok(mut res) if res.status().is_success() => match res.body().await {
            Ok(bytes) if kind == 2 => msa(&String::from_utf8_lossy(&bytes)).0 == "AA",
            Ok(_) => true,
            Err(_) => false,
        },
        _ => false,
    };
    (accessions, acked)
}

#[actix_web::test]
async fn results_acknowledged_before_a_kill_9_are_stored_exactly_once_after_the_restart() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for k in 0..PATIENTS {
        ids.push(app.create_patient(&json!({"mrn": format!("K-{k}")})).await);
    }
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = start_server(&app.db, port);
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(10))
        .finish();
    wait_ready(&client, &base).await;

    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let token = app.lab();
    let stop_at = Instant::now() + Duration::from_millis(1500);
    let posters = (0..POSTERS).map(|p| {
        let (client, base, token, acked) = (&client, &base, &token, Arc::clone(&acked));
        async move {
            let mut n = p;
            // Keep posting past the kill: posts in flight then must not count as acknowledged.
            while Instant::now() < stop_at + Duration::from_millis(500) {
                let (accessions, ok) = post(client, base, token, p % 3, n).await;
                if ok {
                    acked.lock().unwrap().extend(accessions);
                }
                n += POSTERS;
            }
        }
    });
    let killer = async {
        actix_web::rt::time::sleep_until(actix_web::rt::time::Instant::from_std(stop_at)).await;
        server.kill().expect("SIGKILL");
        server.wait().expect("reaped");
    };
    futures_util::future::join(join_all(posters), killer).await;

    let mut server = start_server(&app.db, port);
    wait_ready(&client, &base).await;
    let mut stored: BTreeMap<String, usize> = BTreeMap::new();
    for id in &ids {
        for r in results_of_all(&app, id).await {
            *stored
                .entry(r["accession"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
    }
    server.kill().ok();
    server.wait().ok();

    let acked = acked.lock().unwrap().clone();
    assert!(
        !acked.is_empty(),
        "some posts were acknowledged before the kill"
    );
    for a in &acked {
        assert_eq!(stored.get(a), Some(&1), "acknowledged {a} stored once");
    }
    let twice: Vec<_> = stored.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "stored twice: {twice:?}");
}

async fn results_of_all(app: &TestApp, patient: &str) -> Vec<Value> {
    let res = app
        .get(
            &format!("/v1/patients/{patient}/results?limit=500"),
            &app.clinician(),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["items"].as_array().unwrap().clone()
}
