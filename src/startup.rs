//! Builds the application from settings: database pool and migrations, authentication, routes,
//! OpenAPI and Swagger UI. Tests build the very same app on port 0.

use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpResponse, HttpServer};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::api::error::ApiError;
use crate::api::extract::BodyLimits;
use crate::api::fallback::{not_routed, KnownRoutes};
use crate::api::state::AppState;
use crate::auth::{Authenticator, KeyConfig, Role};
use crate::config::{PublicKeyAlgorithm, ServeArgs};
use crate::ingest::Canon;
use crate::storage::{self, Backend};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "rpl-workup",
        description = "Diagnostic workup of recurrent pregnancy loss: obstetric history, investigation \
results and a guideline checklist for the OB-GYN. Decision support, never a diagnosis: every \
checklist item says why and cites its guideline.",
        license(name = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "patients", description = "The patient record"),
        (name = "pregnancies", description = "The obstetric history"),
        (name = "results", description = "Investigation results, every version kept"),
        (name = "checklist", description = "The workup checklist and clinician reviews"),
        (name = "profiles", description = "Guideline profiles"),
        (name = "lab", description = "Lab feeds: JSON, FHIR R4, HL7 v2"),
        (name = "audit", description = "The audit trail (admins)"),
        (name = "cds-hooks", description = "CDS Hooks 2.0 for EHRs (asymmetric JWT of an allow-listed EHR)"),
        (name = "operations", description = "Health, metrics")
    )
)]
struct BaseDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document, generated from the registered handlers.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let (_app, mut doc) = App::new()
        .into_utoipa_app()
        .openapi(BaseDoc::openapi())
        .configure(crate::api::routes)
        .split_for_parts();
    document_errors(&mut doc);
    document_text(doc)
}

/// What every text field and query value accepts: no control characters but tab, CR and LF
/// (refused with a 422 before any handler runs), as a `pattern` on every free-text string schema.
const TEXT_PATTERN: &str = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$";

fn document_text(doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let mut value = serde_json::to_value(&doc).expect("the document serialises");
    let parameters = value["paths"]
        .as_object_mut()
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(|item| item.as_object_mut())
        .flat_map(|ops| ops.values_mut())
        .filter_map(|op| op.get_mut("parameters")?.as_array_mut())
        .flatten();
    for parameter in parameters {
        let name = parameter["name"].as_str().unwrap_or_default().to_owned();
        let schema = &mut parameter["schema"];
        match name.as_str() {
            // Cursors are what the service issued (base64url); an empty one is the first page.
            "cursor" => schema["pattern"] = serde_json::Value::from("^[A-Za-z0-9_-]*$"),
            // A profile id is never empty.
            "profile" if schema.is_object() => schema["minLength"] = 1.into(),
            _ => {}
        }
    }
    add_text_pattern(&mut value);
    serde_json::from_value(value).expect("still an OpenAPI document")
}

fn add_text_pattern(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let string = |t: &Value| {
                t == "string"
                    || t.as_array()
                        .is_some_and(|a| a.iter().any(|x| x == "string"))
            };
            let free_text = map.get("type").is_some_and(string)
                && !["pattern", "format", "enum", "const"]
                    .iter()
                    .any(|k| map.contains_key(*k));
            if free_text {
                map.insert("pattern".to_owned(), Value::from(TEXT_PATTERN));
            }
            map.values_mut().for_each(add_text_pattern);
        }
        Value::Array(items) => items.iter_mut().for_each(add_text_pattern),
        _ => {}
    }
}

/// Documents the errors every operation shares, so the document says what the service answers:
/// problem+json (not plain JSON) for error bodies; 401/403 behind a token; 400/413/415/422 for a
/// JSON body; 422 for query parameters; 404 for ids in the path. Feeds that answer in their own
/// format (FHIR, HL7) declare those responses themselves and are left as they are.
fn document_errors(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let problem = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build(),
        )
    };
    for item in doc.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        for op in operations.into_iter().flatten() {
            let params = op.parameters.as_deref().unwrap_or_default();
            let has_query = params.iter().any(|p| p.parameter_in == ParameterIn::Query);
            let has_path = params.iter().any(|p| p.parameter_in == ParameterIn::Path);
            let json_body = op
                .request_body
                .as_ref()
                .is_some_and(|b| b.content.contains_key("application/json"));
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            let responses = &mut op.responses.responses;
            for response in responses.values_mut() {
                if let RefOr::T(r) = response {
                    if let Some(json) = r.content.shift_remove("application/json") {
                        let is_problem = matches!(&json.schema, Some(RefOr::Ref(s)) if s.ref_location.ends_with("/Problem"));
                        let key = if is_problem {
                            "application/problem+json"
                        } else {
                            "application/json"
                        };
                        r.content.insert(key.to_owned(), json);
                    }
                }
            }
            let mut add = |code: &str, description: &str| {
                responses
                    .entry(code.to_owned())
                    .or_insert_with(|| problem(description));
            };
            if secured {
                add("401", "Missing, malformed, expired or wrongly signed token");
                add("403", "Your role may not do this");
            }
            if json_body {
                add("400", "The body is not valid JSON");
                add("413", "The body is larger than the configured limit");
                add("415", "The body is not application/json");
                add("422", "A field is not valid (each error names it)");
            }
            if has_query {
                add("422", "A query parameter is not valid");
            }
            if has_path && secured {
                add("404", "No such resource in your clinic");
            }
        }
    }
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("configuration: {0}")]
    Config(String),
    #[error("cannot listen on {0}: {1}")]
    Listen(String, std::io::Error),
}

/// A built, bound, not yet running service.
pub struct Application {
    pub addr: SocketAddr,
    pub server: Server,
    /// Development mode only: one token per role, minted with the generated secret.
    pub dev_tokens: Vec<(Role, String)>,
    pub authenticator: Arc<Authenticator>,
    /// The MLLP listener, bound when `RPL_MLLP_LISTEN` is set; run it with
    /// [`MllpServer::run`](crate::mllp::MllpServer::run) on the same runtime as `server`.
    pub mllp: Option<crate::mllp::MllpServer>,
}

fn is_loopback(listen: &str) -> bool {
    let host = listen.rsplit_once(':').map_or(listen, |(h, _)| h);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn authenticator(args: &ServeArgs) -> Result<(Authenticator, bool), StartupError> {
    let jwt = &args.jwt;
    let issuer = jwt.jwt_issuer.as_deref();
    let (key, development) = if let Some(secret) = &jwt.jwt_secret {
        (KeyConfig::Secret(secret.as_bytes().to_vec()), false)
    } else if let Some(path) = &jwt.jwt_public_key_file {
        let pem = std::fs::read(path)
            .map_err(|e| StartupError::Config(format!("{}: {e}", path.display())))?;
        let pinned = jwt.jwt_algorithm.map(|a| match a {
            PublicKeyAlgorithm::Rs256 => jsonwebtoken::Algorithm::RS256,
            PublicKeyAlgorithm::Es256 => jsonwebtoken::Algorithm::ES256,
        });
        (
            KeyConfig::public_key(pem, pinned).map_err(StartupError::Config)?,
            false,
        )
    } else {
        use rand::RngCore;
        let mut secret = vec![0u8; 48];
        rand::rng().fill_bytes(&mut secret);
        (KeyConfig::Secret(secret), true)
    };
    let auth = Authenticator::new(key, &jwt.jwt_audience, issuer).map_err(StartupError::Config)?;
    Ok((auth, development))
}

/// Runs migrations now if the database answers; otherwise keeps trying in the background, and the
/// service answers 503 (and `/health/ready` says so) until they have run.
fn migrate_when_reachable(pool: storage::Pool, migrated: Arc<AtomicBool>) {
    let attempt = move || -> Result<(), String> {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        storage::run_migrations(&mut conn)
    };
    match attempt() {
        Ok(()) => migrated.store(true, Ordering::Release),
        Err(e) => {
            tracing::warn!(error = %e, "database not ready; will retry migrations in the background");
            std::thread::spawn(move || loop {
                std::thread::sleep(Duration::from_secs(2));
                match attempt() {
                    Ok(()) => {
                        tracing::info!("database reachable; migrations done");
                        migrated.store(true, Ordering::Release);
                        break;
                    }
                    Err(e) => tracing::debug!(error = %e, "database still not ready"),
                }
            });
        }
    }
}

impl Application {
    pub fn build(args: &ServeArgs) -> Result<Self, StartupError> {
        let backend =
            Backend::from_url(&args.database.database_url).map_err(StartupError::Config)?;
        tracing::info!(backend = backend.name(), "database configured");
        let pool = storage::build_pool(backend, args.pool_size.max(1));
        let migrated = Arc::new(AtomicBool::new(false));
        migrate_when_reachable(pool.clone(), migrated.clone());

        let (auth, development) = authenticator(args)?;
        let listen = if args.listen.starts_with(':') {
            format!("127.0.0.1{}", args.listen)
        } else {
            args.listen.clone()
        };
        if development && !is_loopback(&listen) {
            return Err(StartupError::Config(format!(
                "development mode (no RPL_JWT_SECRET or RPL_JWT_PUBLIC_KEY_FILE) listens only on \
                 loopback, not {listen}"
            )));
        }
        let auth = Arc::new(auth);
        let dev_tokens = if development {
            Role::ALL
                .iter()
                .map(|&role| {
                    let token = auth
                        .mint(
                            &format!("dev-{}", role.as_str()),
                            "dev-clinic",
                            &[role],
                            chrono::Duration::hours(12),
                        )
                        .map_err(StartupError::Config)?;
                    Ok((role, token))
                })
                .collect::<Result<Vec<_>, StartupError>>()?
        } else {
            Vec::new()
        };

        let listener =
            TcpListener::bind(&listen).map_err(|e| StartupError::Listen(listen.clone(), e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| StartupError::Listen(listen.clone(), e))?;
        let canon = canonical_base(args, addr, development);
        let state = AppState::new(pool.clone(), migrated.clone(), canon);
        crate::workup::jobs::spawn_worker(
            pool,
            move || migrated.load(Ordering::Acquire),
            state.reevaluation.clone(),
            crate::workup::jobs::WorkerSettings {
                chunk: args.reevaluation_chunk,
                pause: Duration::from_millis(args.reevaluation_pause_ms),
                settle: Duration::from_millis(args.deferred_settle_ms),
            },
        );
        let limits = BodyLimits {
            json: args.body_limit,
            bulk: args.bulk_body_limit,
        };
        let mllp = crate::mllp::MllpServer::bind(&args.mllp, state.clone(), limits.bulk)
            .map_err(StartupError::Config)?;
        let doc = openapi_document();
        let known = web::Data::new(KnownRoutes::from_openapi(&doc));
        let auth_data = web::Data::new(auth.clone());
        let cds_clients = web::Data::new(match &args.cds_clients_file {
            Some(path) => {
                crate::api::cds::clients::CdsClients::load(path).map_err(StartupError::Config)?
            }
            None => crate::api::cds::clients::CdsClients::default(),
        });
        let public_url = web::Data::new(crate::api::cds::token::PublicUrl::new(
            args.public_url.clone(),
            development && is_loopback(&listen),
            args.cds_clients_file.is_some(),
        ));
        let mut server = HttpServer::new(move || {
            let (app, _) = App::new()
                .into_utoipa_app()
                .openapi(BaseDoc::openapi())
                .configure(crate::api::routes)
                .split_for_parts();
            app.app_data(web::Data::new(state.clone()))
                .app_data(auth_data.clone())
                .app_data(cds_clients.clone())
                .app_data(public_url.clone())
                .app_data(web::Data::new(limits))
                .app_data(known.clone())
                .app_data(web::QueryConfig::default().error_handler(|e, _| {
                    ApiError::Validation(vec![crate::api::error::FieldError::new(
                        "query",
                        e.to_string(),
                    )])
                    .into()
                }))
                .app_data(
                    web::PathConfig::default().error_handler(|_, _| ApiError::NotFound.into()),
                )
                .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", doc.clone()))
                .configure(crate::api::app::configure)
                .route(
                    "/docs",
                    web::get().to(|| async {
                        HttpResponse::PermanentRedirect()
                            .insert_header(("Location", "/docs/"))
                            .finish()
                    }),
                )
                .default_service(web::to(not_routed))
                .wrap(from_fn(crate::api::extract::screen_request))
                .wrap(from_fn(crate::telemetry::request_context))
        })
        .listen(listener)
        .map_err(|e| StartupError::Listen(listen.clone(), e))?
        .shutdown_timeout(10);
        if let Some(workers) = args.workers {
            server = server.workers(workers.max(1));
        }
        Ok(Self {
            addr,
            server: server.run(),
            dev_tokens,
            authenticator: auth,
            mllp,
        })
    }
}

/// Our canonical FHIR base, decided once: `RPL_FHIR_BASE`, else `RPL_PUBLIC_URL` + `/fhir/r4`,
/// else `http://<bound address>/fhir/r4` (fine on a developer's machine; elsewhere a warning,
/// since EHRs would store URLs that change with the port and the host).
fn canonical_base(args: &ServeArgs, addr: SocketAddr, development: bool) -> Canon {
    if let Some(base) = args.fhir_base.as_deref().filter(|b| !b.trim().is_empty()) {
        return Canon::new(base.trim());
    }
    if let Some(public) = args.public_url.as_deref().filter(|p| !p.trim().is_empty()) {
        return Canon::new(&format!("{}/fhir/r4", public.trim().trim_end_matches('/')));
    }
    let base = format!("http://{addr}/fhir/r4");
    if !development {
        tracing::warn!(
            fhir_base = %base,
            "neither RPL_FHIR_BASE nor RPL_PUBLIC_URL is set: FHIR canonical URLs fall back to the \
             listen address"
        );
    }
    Canon::new(&base)
}
