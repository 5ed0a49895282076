//! What unrouted requests get: 405 with `Allow` when the path exists for other methods, else 404 —
//! both as problem+json. The known paths come from the OpenAPI document, so they cannot drift.

use actix_router::ResourceDef;
use actix_web::{web, HttpRequest};

use super::error::ApiError;

/// Path templates and the methods each one has.
pub struct KnownRoutes(Vec<(ResourceDef, Vec<String>)>);

impl KnownRoutes {
    pub fn from_openapi(doc: &utoipa::openapi::OpenApi) -> Self {
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut methods: Vec<String> = [
                    ("GET", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                ]
                .into_iter()
                .filter(|(_, has)| *has)
                .map(|(m, _)| m.to_owned())
                .collect();
                if methods.iter().any(|m| m == "GET") {
                    methods.push("HEAD".to_owned());
                }
                (ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        Self(routes)
    }

    fn allowed(&self, path: &str) -> Option<Vec<String>> {
        let mut allowed: Vec<String> = self
            .0
            .iter()
            .filter(|(def, _)| def.is_match(path))
            .flat_map(|(_, methods)| methods.iter().cloned())
            .collect();
        if allowed.is_empty() {
            return None;
        }
        allowed.sort();
        allowed.dedup();
        Some(allowed)
    }
}

pub async fn not_routed(
    req: HttpRequest,
    known: web::Data<KnownRoutes>,
) -> Result<actix_web::HttpResponse, ApiError> {
    match known.allowed(req.path()) {
        Some(allowed) => Err(ApiError::MethodNotAllowed(allowed)),
        None => Err(ApiError::NotFound),
    }
}
