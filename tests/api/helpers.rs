//! The test harness: the real application on a real socket, each test on a fresh database (a new
//! SQLite file, or a new PostgreSQL database when `TEST_DATABASE_URL` is set), tokens per role.
#![allow(dead_code)] // shared by every test module; not each one uses every helper

use std::sync::Arc;

use rpl_workup::auth::{Authenticator, KeyConfig, Role};
use rpl_workup::config::{DatabaseArgs, JwtArgs, ServeArgs};
use rpl_workup::startup::Application;
use serde_json::Value;

pub const SECRET: &str = "test-secret-that-is-long-enough-for-hs256-0123456789";
pub const CLINIC_A: &str = "clinic-a";
pub const CLINIC_B: &str = "clinic-b";

/// A test database that is dropped with the test.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub fn new() -> Self {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => Self::postgres(admin_url),
            _ => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                Self {
                    url,
                    _dir: Some(dir),
                    pg: None,
                }
            }
        }
    }

    fn postgres(admin_url: String) -> Self {
        use diesel::connection::SimpleConnection;
        use diesel::Connection;
        // Local test connections go without TLS: libpq's OpenSSL state is torn down when the test
        // process exits, while the servers' background threads (audit writer, re-evaluation
        // worker) may still be inside a query, and the process would crash after every test passed.
        let (admin_url, query) = match admin_url.split_once('?') {
            Some((url, query)) if query.contains("sslmode=") => (url.to_owned(), query.to_owned()),
            Some((url, query)) => (url.to_owned(), format!("{query}&sslmode=disable")),
            None => (admin_url, "sslmode=disable".to_owned()),
        };
        let admin_url = format!("{admin_url}?{query}");
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let mut admin =
            diesel::PgConnection::establish(&admin_url).expect("TEST_DATABASE_URL reachable");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create test database");
        let (base, _) = admin_url
            .split_once('?')
            .map_or(admin_url.as_str(), |(url, _)| url)
            .rsplit_once('/')
            .expect("a database URL with a path");
        Self {
            url: format!("{base}/{name}?{query}"),
            _dir: None,
            pg: Some((admin_url, name)),
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.pg {
            use diesel::connection::SimpleConnection;
            use diesel::Connection;
            if let Ok(mut admin) = diesel::PgConnection::establish(admin_url) {
                let _ =
                    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

pub fn serve_args(database_url: &str) -> ServeArgs {
    ServeArgs {
        listen: "127.0.0.1:0".to_owned(),
        database: DatabaseArgs {
            database_url: database_url.to_owned(),
        },
        jwt: JwtArgs {
            jwt_secret: Some(SECRET.to_owned()),
            jwt_public_key_file: None,
            jwt_algorithm: None,
            jwt_audience: "rpl-workup".to_owned(),
            jwt_issuer: None,
        },
        cds_clients_file: None,
        public_url: None,
        body_limit: 1024 * 1024,
        bulk_body_limit: 10 * 1024 * 1024,
        pool_size: 8,
        workers: Some(2),
        fhir_base: None,
        mllp: Default::default(),
        reevaluation_chunk: 500,
        reevaluation_pause_ms: 0,
        deferred_settle_ms: 250,
    }
}

/// A running app and what a test needs to talk to it.
pub struct TestApp {
    pub base: String,
    pub db: Arc<TestDb>,
    pub client: awc::Client,
    auth: Authenticator,
    /// The MLLP listener's address, when the test configured one.
    pub mllp_addr: Option<std::net::SocketAddr>,
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: awc::http::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| {
            panic!(
                "not JSON ({}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Spawns the app with settings adjusted by `tweak`.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut ServeArgs)) -> TestApp {
    let db = Arc::new(TestDb::new());
    spawn_on(db, tweak).await
}

/// Spawns another instance on an existing database (for two-instance tests).
pub async fn spawn_on(db: Arc<TestDb>, tweak: impl FnOnce(&mut ServeArgs)) -> TestApp {
    let mut args = serve_args(&db.url);
    tweak(&mut args);
    let app = Application::build(&args).expect("app builds");
    let base = format!("http://{}", app.addr);
    let mllp_addr = app.mllp.as_ref().map(|m| m.local_addr());
    if let Some(mllp) = app.mllp {
        actix_web::rt::spawn(mllp.run());
    }
    actix_web::rt::spawn(app.server);
    let auth = Authenticator::new(
        KeyConfig::Secret(SECRET.as_bytes().to_vec()),
        "rpl-workup",
        None,
    )
    .expect("authenticator");
    let client = awc::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .finish();
    TestApp {
        base,
        db,
        client,
        auth,
        mllp_addr,
    }
}

impl TestApp {
    /// A token of `clinic` with one role.
    pub fn token(&self, role: Role, clinic: &str) -> String {
        self.auth
            .mint(
                &format!("{}-user", role.as_str()),
                clinic,
                &[role],
                chrono::Duration::hours(1),
            )
            .expect("mint")
    }
    /// A token of `clinic` with one role, for the client `sub`.
    pub fn token_as(&self, sub: &str, role: Role, clinic: &str) -> String {
        self.auth
            .mint(sub, clinic, &[role], chrono::Duration::hours(1))
            .expect("mint")
    }
    pub fn clinician(&self) -> String {
        self.token(Role::Clinician, CLINIC_A)
    }
    pub fn admin(&self) -> String {
        self.token(Role::Admin, CLINIC_A)
    }
    pub fn lab(&self) -> String {
        self.token(Role::Lab, CLINIC_A)
    }

    /// Any request; `body` is sent as-is with `content_type` when given.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Option<Vec<u8>>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let method = awc::http::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self
            .client
            .request(method, format!("{}{}", self.base, path));
        if let Some(token) = token {
            req = req.insert_header(("Authorization", format!("Bearer {token}")));
        }
        if let Some(ct) = content_type {
            req = req.insert_header(("Content-Type", ct));
        }
        for (k, v) in headers {
            req = req.insert_header((*k, *v));
        }
        let mut res = match body {
            Some(body) => req.send_body(body).await,
            None => req.send().await,
        }
        .expect("request sent");
        let body = res
            .body()
            .limit(64 * 1024 * 1024)
            .await
            .expect("body read")
            .to_vec();
        Resp {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.send("GET", path, Some(token), None, None, &[]).await
    }
    pub async fn delete(&self, path: &str, token: &str) -> Resp {
        self.send("DELETE", path, Some(token), None, None, &[])
            .await
    }
    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Resp {
        self.send_json("POST", path, token, body).await
    }
    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> Resp {
        self.send_json("PATCH", path, token, body).await
    }
    pub async fn send_json(&self, method: &str, path: &str, token: &str, body: &Value) -> Resp {
        self.send(
            method,
            path,
            Some(token),
            Some("application/json"),
            Some(serde_json::to_vec(body).unwrap()),
            &[],
        )
        .await
    }

    /// Creates a patient of clinic A and returns her id.
    /// How many of the patient's audit rows record a read of `resource_type`.
    pub async fn audited_reads(&self, patient: &str, resource_type: &str) -> usize {
        let audit = self
            .get(
                &format!("/v1/audit?patient_id={patient}&action=read&limit=200"),
                &self.admin(),
            )
            .await
            .json();
        audit["items"]
            .as_array()
            .unwrap_or_else(|| panic!("an audit page: {audit}"))
            .iter()
            .filter(|row| row["resource_type"] == resource_type)
            .count()
    }

    /// The patient's checklist as a clinician reads it (asserting it is served).
    pub async fn checklist(&self, patient: &str) -> Value {
        let res = self
            .get(
                &format!("/v1/patients/{patient}/checklist"),
                &self.clinician(),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        res.json()
    }

    pub async fn create_patient(&self, body: &Value) -> String {
        let res = self.post("/v1/patients", &self.clinician(), body).await;
        assert_eq!(res.status, 201, "create patient: {}", res.text());
        res.json()["id"].as_str().unwrap().to_owned()
    }
}

/// Asserts a problem+json error with this status and code.
pub fn assert_problem(res: &Resp, status: u16, code: &str) -> Value {
    assert_eq!(res.status, status, "body: {}", res.text());
    assert_eq!(
        res.header("content-type").as_deref(),
        Some("application/problem+json"),
        "problem content type"
    );
    let body = res.json();
    assert_eq!(body["code"], code, "body: {body}");
    assert_eq!(body["status"], status);
    body
}
