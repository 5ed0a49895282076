//! The clinician's dashboard under `/app/`: a small client-rendered page (plain JavaScript and
//! SVG, compiled into the binary, no CDN and no build step) that uses only the public API, so it
//! doubles as a worked example for integrators. Every response carries a strict
//! `Content-Security-Policy` (no inline script, no `eval`), `nosniff` and `no-referrer`; the
//! script writes record text with `textContent` only.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};

const INDEX: &str = include_str!("assets/index.html");
const SCRIPT: &str = include_str!("assets/app.js");
const PLOT: &str = include_str!("assets/plot.js");
const STYLE: &str = include_str!("assets/app.css");

/// No inline script or style, no eval, nothing from elsewhere; the page may only call this origin.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; \
base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Registers `/app` and everything under it (not part of the OpenAPI document: it is a page, not
/// an API).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/app",
        web::get().to(|| async {
            secured(HttpResponse::PermanentRedirect().insert_header((header::LOCATION, "/app/")))
        }),
    )
    .route("/app/assets/{file}", web::get().to(asset))
    .route("/app/{tail:.*}", web::get().to(page));
}

fn secured(builder: &mut actix_web::HttpResponseBuilder) -> HttpResponse {
    builder
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .finish()
}

fn respond(content_type: &'static str, cache: &'static str, body: &'static str) -> HttpResponse {
    let mut res = secured(&mut HttpResponse::Ok());
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    res.set_body(actix_web::body::BoxBody::new(body))
}

/// The page shell: the same for every dashboard URL; the script routes on the path.
async fn page(req: HttpRequest) -> HttpResponse {
    let tail = req.match_info().get("tail").unwrap_or("");
    let known = tail.is_empty()
        || tail
            .strip_prefix("patients/")
            .is_some_and(|id| uuid::Uuid::parse_str(id.trim_end_matches('/')).is_ok());
    if !known {
        let mut res = secured(&mut HttpResponse::NotFound());
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        return res.set_body(actix_web::body::BoxBody::new("no such page"));
    }
    respond("text/html; charset=utf-8", "no-store", INDEX)
}

async fn asset(path: web::Path<String>) -> HttpResponse {
    // Assets change only with the binary; a short cache keeps upgrades visible.
    let cache = "private, max-age=300";
    match path.as_str() {
        "app.js" => respond("text/javascript; charset=utf-8", cache, SCRIPT),
        "plot.js" => respond("text/javascript; charset=utf-8", cache, PLOT),
        "app.css" => respond("text/css; charset=utf-8", cache, STYLE),
        _ => secured(&mut HttpResponse::NotFound()),
    }
}
