//! Form posts that may carry files, and serving the files of a request.
//!
//! A form with attachment fields posts `multipart/form-data`: its files are stored as they
//! arrive (see [`crate::attachments`]) and the form continues with their descriptions. The
//! "check your answers" page carries those descriptions in hidden `_files.<field>` inputs;
//! when they come back, each is checked against storage (the file must exist; its size and
//! type are read again from the stored content), so a client cannot make up a file. Knowing
//! a file's SHA-256 amounts to having the file, so naming one proves nothing it could abuse.
//!
//! The files a post stores stay only if its answer carries them on (a page that holds them
//! in hidden inputs, or a filed request): a refused post, or one that drops a file, removes
//! what it created at once ([`Uploaded`]); see [`crate::attachments`] for why that is safe
//! with storage by content, and for the sweep that handles the rest.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::AppState;
use super::error::AppError;
use super::language;
use crate::attachments::{Created, Storage, StoredFile};
use crate::catalogue::Form;
use crate::catalogue::fields::{self, FieldKind};
use crate::intake::FieldError;

/// A form post: its text fields in order, the files of each attachment field (by field
/// name), what was wrong with the files, and the files this post created.
pub struct FormPost {
    pub pairs: Vec<(String, String)>,
    pub files: HashMap<String, Vec<StoredFile>>,
    pub errors: Vec<FieldError>,
    pub uploaded: Uploaded,
    /// The client's upload budget was spent: its new files were not kept, and it may send
    /// more after this wait.
    pub files_refused: Option<std::time::Duration>,
}

/// The files a post created, removed when this is dropped unless [`Uploaded::keep`] was
/// called: a handler keeps them when its answer carries them on, and any other way out (an
/// error, a refusal, a dropped future) removes them.
pub struct Uploaded {
    storage: Arc<Storage>,
    created: Vec<Created>,
}

impl Uploaded {
    fn new(storage: Arc<Storage>) -> Uploaded {
        Uploaded {
            storage,
            created: Vec::new(),
        }
    }

    /// The answer carries the files on: they stay (until a request references them, or the
    /// sweep's grace period ends).
    pub fn keep(mut self) {
        self.created.clear();
    }

    /// Removes now the files created but not carried in `files`.
    fn remove_unused(&mut self, files: &HashMap<String, Vec<StoredFile>>) {
        let carried = |sha256: &str| files.values().flatten().any(|f| f.sha256 == sha256);
        let (kept, unused) = std::mem::take(&mut self.created)
            .into_iter()
            .partition(|created| carried(&created.sha256));
        self.created = kept;
        for created in unused {
            self.storage.remove_created(&created);
        }
    }
}

impl Drop for Uploaded {
    fn drop(&mut self) {
        for created in &self.created {
            self.storage.remove_created(created);
        }
    }
}

const FILES_PREFIX: &str = "_files.";

/// Reads a urlencoded or multipart form post.
pub async fn read(state: &AppState, form: &Form, request: Request) -> Result<FormPost, AppError> {
    read_counted(state, form, request, None).await
}

/// Reads an anonymous form post: a multipart one is counted against the client's upload
/// budget by its declared size, before a byte is stored. Over budget, its text fields are
/// still read (the person keeps their answers) and its files dropped.
pub async fn read_anonymous(
    state: &AppState,
    form: &Form,
    request: Request,
    client: std::net::IpAddr,
) -> Result<FormPost, AppError> {
    read_counted(state, form, request, Some(client)).await
}

async fn read_counted(
    state: &AppState,
    form: &Form,
    request: Request,
    uploader: Option<std::net::IpAddr>,
) -> Result<FormPost, AppError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let mut post = FormPost {
        pairs: Vec::new(),
        files: HashMap::new(),
        errors: Vec::new(),
        uploaded: Uploaded::new(state.attachments.clone()),
        files_refused: None,
    };
    if content_type.starts_with("multipart/form-data") {
        if let Some(client) = uploader {
            // Without a declared length (chunked), the largest post allowed.
            let declared = request
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
                .unwrap_or(state.limits.max_upload_bytes as u64);
            post.files_refused = state.rate_limits.upload(client, declared).err();
        }
        let mut multipart = Multipart::from_request(request, state)
            .await
            .map_err(|_| AppError::BadRequest(language::current().text("upload-unreadable")))?;
        let attachment_fields = fields::attachments(&form.fields);
        let mut uploaded: HashMap<String, Vec<StoredFile>> = HashMap::new();
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(err) => {
                    return Err(multipart_error(err.status(), state.limits.max_upload_bytes));
                }
            };
            let name = field.name().unwrap_or_default().to_owned();
            let target = attachment_fields.iter().find(|f| f.name() == name);
            match (target, field.file_name().map(str::to_owned)) {
                (Some(target), Some(file_name)) => {
                    if file_name.is_empty() {
                        // An empty file input: nothing chosen.
                        continue;
                    }
                    let FieldKind::Attachment(rules) = &target.kind else {
                        continue;
                    };
                    if post.files_refused.is_some() {
                        // Skipped unread: the next field starts after it.
                        continue;
                    }
                    match state
                        .attachments
                        .store(&file_name, field, rules.max_bytes, &rules.types)
                        .await
                    {
                        Ok((stored, created)) => {
                            post.uploaded.created.extend(created);
                            uploaded.entry(name).or_default().push(stored);
                        }
                        Err(refused) => post.errors.push(FieldError::new(
                            target.pointer(),
                            refused.message(language::current()),
                        )),
                    }
                }
                (_, Some(_)) => {
                    // A file for a field that takes none: ignore it.
                }
                (_, None) => {
                    let text = field.text().await.map_err(|err| {
                        multipart_error(err.status(), state.limits.max_upload_bytes)
                    })?;
                    post.pairs.push((name, text));
                }
            }
        }
        post.files = uploaded;
    } else if super::forms::is_urlencoded(&content_type) {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|r| AppError::from_body(r, state.limits.max_form_bytes))?;
        if bytes.len() > state.limits.max_form_bytes {
            return Err(AppError::text_too_large(state.limits.max_form_bytes));
        }
        post.pairs = super::forms::parse_pairs(&bytes)?;
    } else {
        return Err(AppError::UnsupportedMediaType(
            language::current().text("form-not-from-page"),
        ));
    }
    resolve_files(state, form, &mut post).await;
    post.uploaded.remove_unused(&post.files);
    Ok(post)
}

fn multipart_error(status: StatusCode, limit: usize) -> AppError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::files_too_large(limit)
    } else {
        AppError::BadRequest(language::current().text("upload-cut-form"))
    }
}

/// For each attachment field: the files just uploaded, or else those sent before (hidden
/// `_files.<field>`), checked against storage and against the field's rules. Files just
/// uploaded to a field with a problem (one refused, or too many) are all dropped, so the
/// person chooses that field's files again (those sent before stay, if any).
async fn resolve_files(state: &AppState, form: &Form, post: &mut FormPost) {
    for field in fields::attachments(&form.fields) {
        let FieldKind::Attachment(rules) = &field.kind else {
            continue;
        };
        let name = field.name();
        let refused = post.errors.iter().any(|e| e.path == field.pointer());
        let uploaded = post.files.remove(&name).filter(|uploaded| {
            if uploaded.len() > rules.max_count as usize {
                post.errors.push(too_many(field.pointer(), rules.max_count));
                return false;
            }
            !refused
        });
        let files = match uploaded {
            Some(uploaded) => uploaded,
            None => {
                let earlier = post
                    .pairs
                    .iter()
                    .find(|(k, _)| k.strip_prefix(FILES_PREFIX) == Some(name.as_str()))
                    .and_then(|(_, v)| serde_json::from_str::<Vec<Value>>(v).ok())
                    .unwrap_or_default();
                let claimed: Vec<StoredFile> = earlier
                    .iter()
                    .filter_map(StoredFile::from_json)
                    .take(rules.max_count as usize + 1)
                    .collect();
                if claimed.len() > rules.max_count as usize {
                    post.errors.push(too_many(field.pointer(), rules.max_count));
                    continue;
                }
                let mut verified = Vec::new();
                for claimed in claimed {
                    match state.attachments.verify(&claimed).await {
                        Some(file)
                            if rules.types.contains(&file.media_type)
                                && file.size <= rules.max_bytes =>
                        {
                            verified.push(file);
                        }
                        // Swept after the grace period, or never sent: say so rather than
                        // file the request without it.
                        _ => post.errors.push(FieldError::new(
                            field.pointer(),
                            language::current().text_with(
                                "upload-gone",
                                &[(
                                    "name",
                                    crate::attachments::sanitise_name(&claimed.name).into(),
                                )],
                            ),
                        )),
                    }
                }
                verified
            }
        };
        if !files.is_empty() {
            post.files.insert(name, files);
        }
    }
    post.pairs.retain(|(k, _)| !k.starts_with(FILES_PREFIX));
}

fn too_many(pointer: String, max_count: u32) -> FieldError {
    FieldError::new(
        pointer,
        language::current().text_with("upload-too-many", &[("max", max_count.into())]),
    )
}

/// Puts the files into the data, at their fields.
pub fn inject(form: &Form, data: &mut Value, files: &HashMap<String, Vec<StoredFile>>) {
    for field in fields::attachments(&form.fields) {
        let Some(list) = files.get(&field.name()) else {
            continue;
        };
        let mut node = &mut *data;
        for key in &field.path[..field.path.len().saturating_sub(1)] {
            if !node.get(key).is_some_and(Value::is_object) {
                node[key.as_str()] = Value::Object(Default::default());
            }
            node = &mut node[key.as_str()];
        }
        if let Some(last) = field.path.last() {
            node[last.as_str()] = Value::Array(list.iter().map(StoredFile::to_json).collect());
        }
    }
}

/// The hidden inputs that carry the files to the next step.
pub fn hidden(files: &HashMap<String, Vec<StoredFile>>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = files
        .iter()
        .map(|(name, list)| {
            let json: Vec<Value> = list.iter().map(StoredFile::to_json).collect();
            (
                format!("{FILES_PREFIX}{name}"),
                Value::Array(json).to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Every file of a request's data (objects of attachment fields), by their SHA-256.
pub fn files_of(data: &Value) -> Vec<StoredFile> {
    let mut found = Vec::new();
    collect(data, &mut found);
    found
}

fn collect(value: &Value, found: &mut Vec<StoredFile>) {
    match value {
        Value::Object(map) => {
            if let Some(file) = StoredFile::from_json(value) {
                found.push(file);
            } else {
                map.values().for_each(|v| collect(v, found));
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect(v, found)),
        _ => {}
    }
}

/// Serves one file of a request, as a download (never rendered inline).
pub async fn download(state: &AppState, data: &Value, sha256: &str) -> Result<Response, AppError> {
    let not_found = || AppError::NotFound(language::current().text("upload-not-attached"));
    let file = files_of(data)
        .into_iter()
        .find(|f| f.sha256 == sha256)
        .ok_or_else(not_found)?;
    let bytes = state
        .attachments
        .read(&file.sha256)
        .await
        .map_err(|_| not_found())?;
    let ascii: String = file
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = file
        .name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    Ok((
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_str(&file.media_type)
                    .unwrap_or(HeaderValue::from_static("application/octet-stream")),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or(HeaderValue::from_static("attachment")),
            ),
        ],
        bytes,
    )
        .into_response())
}
