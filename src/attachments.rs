//! Attachment storage: files addressed by the SHA-256 of their content, in a folder
//! (`data/attachments` by default), with their type sniffed from the content.
//!
//! Uploads stream to a temporary file while they are hashed and counted, so a large file
//! never sits in memory and an oversized one is cut off as soon as it passes the limit.
//! Nothing about a file is trusted from the client but its name, which is sanitised.
//!
//! Antivirus hook: with `--clamd-socket /run/clamav/clamd.ctl`, every upload is streamed to
//! clamd (`INSTREAM`) before it is kept; a file clamd reports, or an unreachable clamd, is
//! refused.
//!
//! Why files go, and when. A file is kept for a request once the request is stored; until
//! then it only backs a form step in progress ("check your answers" carries it in a hidden
//! input), and nothing records which. Two rules keep the folder to what requests need:
//! - a post that is refused, or that drops a file it brought, removes at once the files it
//!   *created* (they were not stored before it) and that nobody has used since, which the
//!   file's modification time tells: storing the same content again and every step that
//!   carries a file set it to the current time. A file that existed before belongs, or may
//!   belong, to someone else: an earlier request, another citizen's form in progress, since
//!   storage is by content;
//! - [`sweep`] (hourly by default, in `serve`) removes the files that no stored request
//!   references and that have not been used for the grace period (24 hours by default): a
//!   form left on its "check your answers" page, or a refused post's file that was shared.
//!   A citizen who comes back after that is asked to choose their file again.
//!
//! A step that checks a file while a sweep removes it, in the same instant, loses it: the
//! grace period makes that a form untouched for a day, and then the person is told.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::i18n::Lang;
use crate::store::Store;

/// Bytes read to recognise a file's type.
const SNIFF_BYTES: usize = 8 * 1024;

/// A stored file, as the request's data records it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFile {
    pub sha256: String,
    pub name: String,
    pub media_type: String,
    pub size: u64,
}

impl StoredFile {
    pub fn to_json(&self) -> Value {
        json!({"sha256": self.sha256, "name": self.name, "type": self.media_type, "size": self.size})
    }

    pub fn from_json(value: &Value) -> Option<StoredFile> {
        Some(StoredFile {
            sha256: value.get("sha256")?.as_str()?.to_owned(),
            name: value.get("name")?.as_str()?.to_owned(),
            media_type: value.get("type")?.as_str()?.to_owned(),
            size: value.get("size")?.as_u64()?,
        })
    }
}

/// A file an upload created (its content was not stored before), with the modification
/// time the upload left on it: while that time is unchanged, nobody else has used the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    pub sha256: String,
    modified: SystemTime,
}

/// Temporary uploads left unfinished (a crash, a killed process) are swept once this old,
/// whatever the grace period: younger ones may still be arriving.
pub const LEFTOVER_AGE: Duration = Duration::from_secs(60 * 60);

/// What a sweep did, in counts (never which files: names are content hashes).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    /// Unreferenced files removed.
    pub removed: usize,
    /// Files kept: referenced, or used within the grace period.
    pub kept: usize,
    /// Unfinished temporary uploads removed.
    pub leftovers: usize,
}

/// Why a file was refused. The person reads it in their language ([`Refused::message`]);
/// shown as text, it is French.
#[derive(Debug, Clone, PartialEq)]
pub enum Refused {
    /// Storing it failed on our side (logged where it happened).
    Internal,
    /// The upload was cut before its end.
    Cut {
        name: String,
        detail: String,
    },
    TooLarge {
        name: String,
        max_bytes: u64,
    },
    Empty {
        name: String,
    },
    /// Not one of the types the field accepts (sniffed from the content).
    Type {
        name: String,
        types: Vec<String>,
    },
    /// The antivirus found something, or could not be reached.
    Virus {
        name: String,
        why: String,
    },
}

impl Refused {
    /// What the person reads, and what to do, in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            Refused::Internal => lang.text("upload-internal"),
            Refused::Cut { name, detail } => lang.text_with(
                "upload-cut",
                &[
                    ("name", name.as_str().into()),
                    ("detail", detail.as_str().into()),
                ],
            ),
            Refused::TooLarge { name, max_bytes } => lang.text_with(
                "upload-too-large",
                &[
                    ("name", name.as_str().into()),
                    ("max", human_size_in(*max_bytes, lang).into()),
                ],
            ),
            Refused::Empty { name } => {
                lang.text_with("upload-empty", &[("name", name.as_str().into())])
            }
            Refused::Type { name, types } => {
                let formats: Vec<String> = types
                    .iter()
                    .map(|t| crate::requests::describe::type_label(t))
                    .collect();
                let or = format!(" {} ", lang.text("field-files-or"));
                lang.text_with(
                    "upload-type",
                    &[
                        ("name", name.as_str().into()),
                        ("formats", formats.join(&or).into()),
                    ],
                )
            }
            Refused::Virus { name, why } => lang.text_with(
                "upload-virus",
                &[("name", name.as_str().into()), ("why", why.as_str().into())],
            ),
        }
    }
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(Lang::Fr))
    }
}

impl std::error::Error for Refused {}

#[derive(Debug, Clone)]
pub struct Storage {
    dir: PathBuf,
    clamd: Option<PathBuf>,
}

/// Keeps the base name, drops control characters, path separators and quotes, and bounds
/// the length; an empty result becomes "fichier".
pub fn sanitise_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        // Bidirectional overrides are dropped too: "photo\u{202E}gpj.exe" would display as
        // "photoexe.jpg" in the back office.
        .filter(|&c| {
            !c.is_control()
                && !crate::domain::text::is_bidi_override(c)
                && !matches!(c, '"' | '\'' | '<' | '>' | ':' | '*' | '?' | '|')
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    let mut out: String = cleaned.chars().take(100).collect();
    if out.is_empty() {
        out = "fichier".to_owned();
    }
    out
}

pub fn is_sha256(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

impl Storage {
    pub fn new(dir: PathBuf, clamd: Option<PathBuf>) -> std::io::Result<Storage> {
        std::fs::create_dir_all(dir.join("tmp"))?;
        Ok(Storage { dir, clamd })
    }

    pub fn path_of(&self, sha256: &str) -> PathBuf {
        self.dir.join(&sha256[..2]).join(sha256)
    }

    /// Stores a file from its chunks, refusing it past `max_bytes` or when its sniffed type
    /// is not one of `types`. Also says whether this call created the file (see
    /// [`Storage::remove_created`]).
    pub async fn store<S: ChunkSource>(
        &self,
        name: &str,
        mut chunks: S,
        max_bytes: u64,
        types: &[String],
    ) -> Result<(StoredFile, Option<Created>), Refused> {
        let name = sanitise_name(name);
        // Removed on every way out, a dropped future (client gone, timeout) included.
        let temp_file = TempFile(self.dir.join("tmp").join(uuid::Uuid::new_v4().to_string()));
        let temp = temp_file.0.as_path();
        let internal = |e: std::io::Error| {
            tracing::error!("storing an upload: {e}");
            Refused::Internal
        };
        let mut file = tokio::fs::File::create(temp).await.map_err(internal)?;
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        let mut head = Vec::with_capacity(SNIFF_BYTES);
        let outcome = async {
            while let Some(chunk) = chunks.next_chunk().await {
                let chunk = chunk.map_err(|e| Refused::Cut {
                    name: name.clone(),
                    detail: e.to_string(),
                })?;
                size += chunk.len() as u64;
                if size > max_bytes {
                    return Err(Refused::TooLarge {
                        name: name.clone(),
                        max_bytes,
                    });
                }
                if head.len() < SNIFF_BYTES {
                    head.extend_from_slice(&chunk[..chunk.len().min(SNIFF_BYTES - head.len())]);
                }
                hasher.update(&chunk);
                file.write_all(&chunk).await.map_err(internal)?;
            }
            file.flush().await.map_err(internal)?;
            if size == 0 {
                return Err(Refused::Empty { name: name.clone() });
            }
            let media_type = sniff(&head).ok_or_else(|| type_refusal(&name, types))?;
            if !types.contains(&media_type) {
                return Err(type_refusal(&name, types));
            }
            if let Some(socket) = &self.clamd {
                scan(socket, temp).await.map_err(|why| Refused::Virus {
                    name: name.clone(),
                    why,
                })?;
            }
            Ok(media_type)
        }
        .await;
        let media_type = outcome?;
        drop(file);
        let sha256 = hex::encode(hasher.finalize());
        let path = self.path_of(&sha256);
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(internal)?;
        }
        // A link, not a rename, so that exactly one of two uploads of the same content
        // learns it created the file.
        let created = match tokio::fs::hard_link(temp, &path).await {
            Ok(()) => tokio::fs::metadata(&path)
                .await
                .and_then(|meta| meta.modified())
                .ok()
                .map(|modified| Created {
                    sha256: sha256.clone(),
                    modified,
                }),
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                // Used again: the grace period starts over, and whoever created it must not
                // remove it now.
                touch(&path).await;
                None
            }
            // A file system without hard links: the file is kept, and left to the sweep.
            Err(_) => {
                tokio::fs::rename(temp, &path).await.map_err(internal)?;
                None
            }
        };
        Ok((
            StoredFile {
                sha256,
                name,
                media_type,
                size,
            },
            created,
        ))
    }

    /// Removes a file an upload created, if nobody has stored or carried it since.
    /// Synchronous (a look and an unlink), so that a guard can call it when dropped.
    pub fn remove_created(&self, created: &Created) -> bool {
        let path = self.path_of(&created.sha256);
        let untouched = std::fs::metadata(&path)
            .and_then(|meta| meta.modified())
            .is_ok_and(|modified| modified == created.modified);
        untouched && std::fs::remove_file(&path).is_ok()
    }

    /// Removes the files not in `referenced` that have not been used for `grace`, and the
    /// temporary uploads left unfinished for [`LEFTOVER_AGE`] (or `grace`, if longer). Blocking:
    /// it walks the folder.
    pub fn sweep_unreferenced(
        &self,
        referenced: &HashSet<String>,
        grace: Duration,
    ) -> std::io::Result<Swept> {
        let now = SystemTime::now();
        let idle_for = |path: &Path| -> Option<Duration> {
            let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok()?;
            Some(now.duration_since(modified).unwrap_or_default())
        };
        let mut swept = Swept::default();
        for shard in std::fs::read_dir(&self.dir)? {
            let shard = shard?;
            let shard_name = shard.file_name();
            let Some(prefix) = shard_name.to_str() else {
                continue;
            };
            if prefix == "tmp" {
                for entry in std::fs::read_dir(shard.path())? {
                    let path = entry?.path();
                    if idle_for(&path).is_some_and(|idle| idle >= grace.max(LEFTOVER_AGE))
                        && std::fs::remove_file(&path).is_ok()
                    {
                        swept.leftovers += 1;
                    }
                }
                continue;
            }
            if prefix.len() != 2 || !shard.file_type()?.is_dir() {
                continue;
            }
            for entry in std::fs::read_dir(shard.path())? {
                let entry = entry?;
                let name = entry.file_name();
                let Some(sha256) = name
                    .to_str()
                    .filter(|n| is_sha256(n) && n.starts_with(prefix))
                else {
                    continue;
                };
                let path = entry.path();
                // Looked at last, just before removing, to leave a file a step has just used.
                if !referenced.contains(sha256)
                    && idle_for(&path).is_some_and(|idle| idle >= grace)
                    && std::fs::remove_file(&path).is_ok()
                {
                    swept.removed += 1;
                } else {
                    swept.kept += 1;
                }
            }
        }
        Ok(swept)
    }

    /// Checks a file a client says it sent earlier: it must be stored, and its size and type
    /// are read from the stored content, not from the client. Marks it as used now.
    pub async fn verify(&self, claimed: &StoredFile) -> Option<StoredFile> {
        if !is_sha256(&claimed.sha256) {
            return None;
        }
        let path = self.path_of(&claimed.sha256);
        let mut file = tokio::fs::File::open(&path).await.ok()?;
        let size = file.metadata().await.ok()?.len();
        let mut head = vec![0u8; SNIFF_BYTES];
        let read = file.read(&mut head).await.ok()?;
        head.truncate(read);
        // A step is carrying it on: the grace period starts over.
        touch(&path).await;
        Some(StoredFile {
            sha256: claimed.sha256.clone(),
            name: sanitise_name(&claimed.name),
            media_type: sniff(&head)?,
            size,
        })
    }

    pub async fn read(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        if !is_sha256(sha256) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "not a file id",
            ));
        }
        tokio::fs::read(self.path_of(sha256)).await
    }
}

/// Removes the unreferenced files idle for `grace` (see the module's comment). The store is
/// asked first: a request filed after that has used its files just before, so they are not
/// idle. Logs counts only.
pub async fn sweep(
    store: &Arc<dyn Store>,
    storage: &Storage,
    grace: Duration,
) -> anyhow::Result<Swept> {
    let referenced = store.referenced_attachments().await?;
    let storage = storage.clone();
    let swept = tokio::task::spawn_blocking(move || storage.sweep_unreferenced(&referenced, grace))
        .await??;
    tracing::info!(
        removed = swept.removed,
        kept = swept.kept,
        leftovers = swept.leftovers,
        "attachments swept"
    );
    Ok(swept)
}

/// Sets a file's modification time to now; a file that cannot be touched only loses the
/// grace period's restart.
async fn touch(path: &Path) {
    let path = path.to_owned();
    let _ = tokio::task::spawn_blocking(move || {
        std::fs::File::open(&path)?.set_modified(SystemTime::now())
    })
    .await;
}

/// A temporary upload, removed when dropped (once linked into place, this removes the
/// temporary name only).
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn type_refusal(name: &str, types: &[String]) -> Refused {
    Refused::Type {
        name: name.to_owned(),
        types: types.to_vec(),
    }
}

fn sniff(head: &[u8]) -> Option<String> {
    infer::get(head).map(|kind| kind.mime_type().to_owned())
}

pub fn human_size(bytes: u64) -> String {
    human_size_in(bytes, Lang::Fr)
}

/// A size in `lang`'s units: « 5 Mo », "5 MB".
pub fn human_size_in(bytes: u64, lang: Lang) -> String {
    if bytes >= 1024 * 1024 {
        lang.text_with("field-size-mb", &[("n", (bytes / (1024 * 1024)).into())])
    } else {
        lang.text_with("field-size-kb", &[("n", bytes.div_ceil(1024).into())])
    }
}

/// clamd's INSTREAM: the file in chunks prefixed by their length, then a zero length; the
/// answer ends in "OK" or names what it found.
async fn scan(socket: &Path, file: &Path) -> Result<(), String> {
    let mut stream = tokio::net::UnixStream::connect(socket)
        .await
        .map_err(|e| format!("antivirus injoignable ({e})"))?;
    let mut input = tokio::fs::File::open(file)
        .await
        .map_err(|e| e.to_string())?;
    stream
        .write_all(b"zINSTREAM\0")
        .await
        .map_err(|e| e.to_string())?;
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = input.read(&mut buffer).await.map_err(|e| e.to_string())?;
        stream
            .write_all(&(n as u32).to_be_bytes())
            .await
            .map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        stream
            .write_all(&buffer[..n])
            .await
            .map_err(|e| e.to_string())?;
    }
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .await
        .map_err(|e| e.to_string())?;
    let answer = answer.trim_end_matches('\0').trim();
    if answer.ends_with("OK") {
        Ok(())
    } else {
        Err(answer.trim_start_matches("stream:").trim().to_owned())
    }
}

/// What `store` reads a file from, chunk by chunk (a multipart field).
pub trait ChunkSource: Send {
    type Error: std::fmt::Display + Send;
    fn next_chunk(
        &mut self,
    ) -> impl std::future::Future<Output = Option<Result<axum::body::Bytes, Self::Error>>> + Send;
}

impl ChunkSource for axum::extract::multipart::Field<'_> {
    type Error = axum::extract::multipart::MultipartError;

    async fn next_chunk(&mut self) -> Option<Result<axum::body::Bytes, Self::Error>> {
        self.chunk().await.transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_sanitised() {
        assert_eq!(sanitise_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitise_name("C:\\Users\\x\\photo.jpg"), "photo.jpg");
        assert_eq!(sanitise_name("a\"b\r\nc.png"), "abc.png");
        assert_eq!(sanitise_name("..."), "fichier");
        assert_eq!(sanitise_name(".htaccess"), "htaccess");
        assert_eq!(sanitise_name("photo\u{202E}gpj.exe"), "photogpj.exe");
        assert_eq!(sanitise_name("\u{2067}facture\u{2069}.pdf"), "facture.pdf");
    }
}
