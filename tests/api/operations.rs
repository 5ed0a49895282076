//! Operations: the service starts while its database is down, answers 503 meanwhile, and turns
//! ready once the database is reachable (migrations retried in the background).

use crate::helpers::*;

#[actix_web::test]
async fn the_service_starts_without_its_database_and_turns_ready_when_it_appears() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("not-yet");
    let url = format!("sqlite://{}", missing.join("rpl.db").display());
    let db = std::sync::Arc::new(TestDb::new());
    let app = spawn_on(db, |args| args.database.database_url = url).await;

    assert_eq!(
        app.send("GET", "/health/live", None, None, None, &[])
            .await
            .status,
        200
    );
    let ready = app
        .send("GET", "/health/ready", None, None, None, &[])
        .await;
    assert_eq!(ready.status, 503, "{}", ready.text());
    assert_problem(
        &app.get("/v1/patients", &app.clinician()).await,
        503,
        "service_unavailable",
    );

    std::fs::create_dir_all(&missing).unwrap();
    let mut status = 0;
    for _ in 0..50 {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(200)).await;
        status = app
            .send("GET", "/health/ready", None, None, None, &[])
            .await
            .status;
        if status == 200 {
            break;
        }
    }
    assert_eq!(
        status, 200,
        "ready once the database can be opened and migrated"
    );
    assert_eq!(app.get("/v1/patients", &app.clinician()).await.status, 200);
}

#[actix_web::test]
async fn an_unreachable_postgres_leaves_the_service_up_but_not_ready() {
    let db = std::sync::Arc::new(TestDb::new());
    let app = spawn_on(db, |args| {
        args.database.database_url =
            "postgres://postgres@127.0.0.1:1/nowhere?connect_timeout=1".into()
    })
    .await;
    assert_eq!(
        app.send("GET", "/health/live", None, None, None, &[])
            .await
            .status,
        200
    );
    assert_eq!(
        app.send("GET", "/health/ready", None, None, None, &[])
            .await
            .status,
        503
    );
}

#[test]
fn a_database_url_of_another_scheme_is_refused_not_guessed() {
    let mut args = serve_args("mysql://localhost/x");
    args.listen = "127.0.0.1:0".into();
    assert!(rpl_workup::startup::Application::build(&args).is_err());
}
