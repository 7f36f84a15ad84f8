//! Every answer the suite's API calls receive, checked against the served OpenAPI document:
//! the path and method must be described, the status must be one the operation lists, the
//! media type one it names, and a JSON body (each line of a JSON Lines body) must validate
//! against the described schema, whose objects are closed. A violation fails the test whose
//! server gave it (when its `TestApp` is dropped), so an undocumented field or status fails
//! the build.
//!
//! The check wraps the running server's router (`Application::wrap`); the document is the one
//! the server serves at `/api/v1/openapi.json`, fetched before the test's first request.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::Value;

/// Where the API is mounted (the document's `servers[0].url`).
const BASE: &str = "/api/v1";

/// The checks of one server.
#[derive(Default)]
pub struct Audit {
    document: OnceLock<Arc<Conformance>>,
    violations: Mutex<Vec<String>>,
    checked: AtomicUsize,
}

impl Audit {
    /// Starts checking against `document` (the served one).
    pub fn start(&self, document: Value) {
        let _ = self.document.set(Arc::new(Conformance::new(document)));
    }

    pub fn violations(&self) -> Vec<String> {
        self.violations.lock().unwrap().clone()
    }

    /// How many API answers were checked.
    pub fn checked(&self) -> usize {
        self.checked.load(Ordering::Relaxed)
    }

    fn record(&self, violation: String) {
        self.violations.lock().unwrap().push(violation);
    }
}

/// The middleware: passes the request on, then checks the answer if it is the API's.
pub async fn check(State(audit): State<Arc<Audit>>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let response = next.run(request).await;
    let Some(conformance) = audit.document.get().cloned() else {
        return response;
    };
    if !(path == BASE || path.starts_with(&format!("{BASE}/"))) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        // A stream cut short on purpose: hand the client the same failure.
        Err(err) => {
            let failed = futures_util::stream::once(async move { Err::<Vec<u8>, _>(err) });
            return Response::from_parts(parts, Body::from_stream(failed));
        }
    };
    let media = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    audit.checked.fetch_add(1, Ordering::Relaxed);
    let body = if method == Method::HEAD {
        &[][..]
    } else {
        &bytes[..]
    };
    if let Err(why) = conformance.check(&method, &path, parts.status, media.as_deref(), body) {
        audit.record(format!("{method} {path} → {}: {why}", parts.status));
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// A document, and the validators compiled from its schemas.
pub struct Conformance {
    document: Value,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

impl Conformance {
    pub fn new(document: Value) -> Conformance {
        Conformance {
            document,
            validators: Mutex::default(),
        }
    }

    /// Whether one answer is what the document says.
    pub fn check(
        &self,
        method: &Method,
        path: &str,
        status: StatusCode,
        media: Option<&str>,
        body: &[u8],
    ) -> Result<(), String> {
        let relative = path.strip_prefix(BASE).unwrap_or(path);
        let Some((template, item)) = self.path_item(relative) else {
            // An address the API does not have: the fallback's 404.
            return self.check_error(
                status,
                StatusCode::NOT_FOUND,
                media,
                body,
                "an undescribed path",
            );
        };
        let Some(operation) = item.get(method.as_str().to_ascii_lowercase()) else {
            if method == Method::HEAD && item.get("get").is_some() {
                return Ok(());
            }
            return self.check_error(
                status,
                StatusCode::METHOD_NOT_ALLOWED,
                media,
                body,
                "an undescribed method",
            );
        };
        let Some(response) = operation["responses"].get(status.as_str()) else {
            return Err(format!(
                "status {} is not described for {method} {template}",
                status.as_u16()
            ));
        };
        let Some(content) = response.get("content").and_then(Value::as_object) else {
            return if body.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "{method} {template} {status}: a body where none is described"
                ))
            };
        };
        let media = media.unwrap_or("");
        let described = content
            .get(media)
            .or_else(|| content.get("*/*"))
            .ok_or_else(|| {
                format!(
                    "{method} {template} {status}: media type {media:?} is not described (only {:?})",
                    content.keys().collect::<Vec<_>>()
                )
            })?;
        let Some(schema) = described.get("schema") else {
            return Ok(());
        };
        match media {
            "application/json" => self.validate(schema, body),
            "application/jsonl" => body
                .split(|b| *b == b'\n')
                .filter(|line| !line.is_empty())
                .enumerate()
                .try_for_each(|(n, line)| {
                    self.validate(schema, line)
                        .map_err(|why| format!("line {}: {why}", n + 1))
                }),
            _ => Ok(()),
        }
    }

    /// An answer to what the document does not describe must be the API's error.
    fn check_error(
        &self,
        status: StatusCode,
        expected: StatusCode,
        media: Option<&str>,
        body: &[u8],
        what: &str,
    ) -> Result<(), String> {
        // The HTTP layer may refuse a request before any route, whatever its path.
        let before_routing = [400, 408, 417].contains(&status.as_u16());
        if status != expected && !before_routing {
            return Err(format!("{what} answered {status}, not {expected}"));
        }
        if media != Some("application/json") {
            return Err(format!("{what} answered {media:?}, not JSON"));
        }
        self.validate(
            &serde_json::json!({"$ref": "#/components/schemas/Errors"}),
            body,
        )
    }

    /// The described path a request path falls under: literal segments before parameters.
    fn path_item(&self, path: &str) -> Option<(&str, &Value)> {
        let segments: Vec<&str> = path.split('/').collect();
        self.document["paths"]
            .as_object()?
            .iter()
            .filter_map(|(template, item)| {
                let parts: Vec<&str> = template.split('/').collect();
                if parts.len() != segments.len() {
                    return None;
                }
                let mut params = 0;
                for (part, segment) in parts.iter().zip(&segments) {
                    if part.starts_with('{') && part.ends_with('}') {
                        if segment.is_empty() {
                            return None;
                        }
                        params += 1;
                    } else if part != segment {
                        return None;
                    }
                }
                Some((params, template.as_str(), item))
            })
            .min_by_key(|(params, _, _)| *params)
            .map(|(_, template, item)| (template, item))
    }

    fn validate(&self, schema: &Value, body: &[u8]) -> Result<(), String> {
        let instance: Value = serde_json::from_slice(body).map_err(|err| {
            format!(
                "the body is not JSON ({err}): {}",
                String::from_utf8_lossy(body)
            )
        })?;
        let validator = self.validator(schema)?;
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|err| format!("{} at {:?}", err, err.instance_path().to_string()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!("{} — in {instance}", errors.join("; ")))
        }
    }

    fn validator(&self, schema: &Value) -> Result<Arc<jsonschema::Validator>, String> {
        let key = schema.to_string();
        if let Some(validator) = self.validators.lock().unwrap().get(&key) {
            return Ok(validator.clone());
        }
        // The document's components travel with the schema, so its `$ref`s resolve.
        let mut root = schema.clone();
        if let Some(object) = root.as_object_mut() {
            object.insert("components".into(), self.document["components"].clone());
        }
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(&root)
            .map(Arc::new)
            .map_err(|err| format!("the document's schema does not compile: {err}"))?;
        self.validators
            .lock()
            .unwrap()
            .insert(key, validator.clone());
        Ok(validator)
    }
}
