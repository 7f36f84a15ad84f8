//! `guichet backup` and `guichet restore`: a consistent copy of a running instance.
//!
//! A backup folder holds the database (`guichet.db`, or `guichet.pgdump` for PostgreSQL),
//! the attachments (`attachments/`, laid out as the server keeps them) and `manifest.json`,
//! written last, so a folder without it is an interrupted backup.
//!
//! Consistency while the server keeps serving: the database is copied first, in one
//! snapshot (SQLite's `VACUUM INTO` runs in a single read transaction, which WAL mode lets
//! proceed beside the writer; `pg_dump` reads in one repeatable-read snapshot). Attachments
//! are content-addressed and never rewritten, and a file is stored before the request naming
//! it is committed, so every file a request in the snapshot names already exists when the
//! copy of the folder starts. Files uploaded later are copied too, harmlessly.
//!
//! PostgreSQL: the dump is `pg_dump`'s (custom format), run from `PATH`, in the snapshot
//! whose counts the manifest records; `pg_restore` restores it. Both must be of the
//! server's major version or newer.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};

use crate::attachments::is_sha256;
use crate::config::{BackupArgs, RestoreArgs};

/// Bumped when the layout of a backup folder changes; `restore` refuses other versions.
const FORMAT: u32 = 1;
const MANIFEST: &str = "manifest.json";
const SQLITE_FILE: &str = "guichet.db";
const PG_FILE: &str = "guichet.pgdump";
const ATTACHMENTS: &str = "attachments";

#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub created_at: String,
    pub guichet_version: String,
    /// `sqlite` or `postgres`.
    pub database: String,
    /// The highest migration applied to the backed-up database.
    pub schema_version: Option<i64>,
    pub requests: i64,
    pub events: i64,
    pub staff_users: i64,
    pub attachments: u64,
    pub attachment_bytes: u64,
    /// `git rev-parse HEAD` of the catalogue, when it is a git checkout.
    pub catalogue_commit: Option<String>,
    /// Whether the catalogue had changes not committed (they are not in the backup).
    pub catalogue_dirty: Option<bool>,
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

fn sqlite_options(url: &str) -> anyhow::Result<SqliteConnectOptions> {
    let url = if url.starts_with("sqlite:") {
        url.to_owned()
    } else {
        format!("sqlite://{url}")
    };
    Ok(SqliteConnectOptions::from_str(&url)?)
}

pub async fn backup(args: BackupArgs) -> anyhow::Result<()> {
    let out = &args.output;
    if out.exists() && std::fs::read_dir(out)?.next().is_some() {
        bail!(
            "{} is not empty: give a new or empty folder, so two backups cannot mix",
            out.display()
        );
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let url = args.database.url.as_str();

    eprintln!("backing up the database…");
    let mut manifest = if is_postgres(url) {
        backup_postgres(url, out).await?
    } else {
        backup_sqlite(url, out).await?
    };
    eprintln!(
        "database: {} requests, {} events, {} staff accounts",
        manifest.requests, manifest.events, manifest.staff_users
    );

    let (files, bytes) = copy_attachments(&args.attachments_dir, &out.join(ATTACHMENTS), false)?;
    manifest.attachments = files;
    manifest.attachment_bytes = bytes;

    let (commit, dirty) = catalogue_commit(&args.catalogue);
    match &commit {
        Some(commit) => eprintln!(
            "catalogue: commit {commit}{}",
            if dirty == Some(true) {
                " (with changes not committed: they are not in the backup, commit them)"
            } else {
                ""
            }
        ),
        None => eprintln!(
            "catalogue: {} is not a git checkout; back it up separately",
            args.catalogue.display()
        ),
    }
    manifest.catalogue_commit = commit;
    manifest.catalogue_dirty = dirty;

    write_atomically(
        &out.join(MANIFEST),
        serde_json::to_string_pretty(&manifest)?.as_bytes(),
    )?;
    sync_dir(out);
    eprintln!("backup finished in {}", out.display());
    Ok(())
}

async fn backup_sqlite(url: &str, out: &Path) -> anyhow::Result<Manifest> {
    let options = sqlite_options(url)?;
    let source = options.get_filename().to_owned();
    if !source.is_file() {
        bail!("no SQLite database at {}", source.display());
    }
    let mut connection = options
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(30))
        .connect()
        .await
        .with_context(|| format!("opening {}", source.display()))?;
    let temp = out.join(format!("{SQLITE_FILE}.partial"));
    let target = out.join(SQLITE_FILE);
    // One statement, one read transaction: a consistent snapshot while the server writes.
    sqlx::query("VACUUM INTO ?")
        .bind(temp.to_string_lossy().into_owned())
        .execute(&mut connection)
        .await
        .context("copying the database (VACUUM INTO)")?;
    connection.close().await?;
    std::fs::File::open(&temp)?.sync_all()?;
    std::fs::rename(&temp, &target)?;

    // Counts from the copy, so they describe what was saved.
    let mut copy = sqlite_options(&target.to_string_lossy())?
        .read_only(true)
        .connect()
        .await?;
    let counts = sqlite_counts(&mut copy).await?;
    copy.close().await?;
    Ok(new_manifest("sqlite", counts))
}

/// (schema version, requests, events, staff users).
type Counts = (Option<i64>, i64, i64, i64);

async fn sqlite_counts(connection: &mut SqliteConnection) -> anyhow::Result<Counts> {
    let version: Option<i64> =
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(&mut *connection)
            .await
            .context("the database has no migrations table: is it a guichet database?")?;
    let count = |table: &'static str| {
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
    };
    Ok((
        version,
        count("requests").fetch_one(&mut *connection).await?,
        count("request_events").fetch_one(&mut *connection).await?,
        count("staff_users").fetch_one(&mut *connection).await?,
    ))
}

fn new_manifest(
    database: &str,
    (schema_version, requests, events, staff_users): Counts,
) -> Manifest {
    Manifest {
        format: FORMAT,
        created_at: crate::store::format_time(time::OffsetDateTime::now_utc()),
        guichet_version: env!("CARGO_PKG_VERSION").to_owned(),
        database: database.to_owned(),
        schema_version,
        requests,
        events,
        staff_users,
        attachments: 0,
        attachment_bytes: 0,
        catalogue_commit: None,
        catalogue_dirty: None,
    }
}

async fn backup_postgres(url: &str, out: &Path) -> anyhow::Result<Manifest> {
    let mut connection = sqlx::PgConnection::connect(url)
        .await
        .context("connecting to PostgreSQL")?;
    // Counts and dump read the same snapshot: pg_dump joins the one exported here.
    sqlx::query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(&mut connection)
        .await?;
    let snapshot: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
        .fetch_one(&mut connection)
        .await?;
    let version: Option<i64> =
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(&mut connection)
            .await
            .context("the database has no migrations table: is it a guichet database?")?;
    let count = |table: &'static str| {
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
    };
    let counts = (
        version,
        count("requests").fetch_one(&mut connection).await?,
        count("request_events").fetch_one(&mut connection).await?,
        count("staff_users").fetch_one(&mut connection).await?,
    );
    let temp = out.join(format!("{PG_FILE}.partial"));
    let status = std::process::Command::new("pg_dump")
        .args(["--format=custom", "--no-owner", "--no-privileges"])
        .arg(format!("--snapshot={snapshot}"))
        .arg("--file")
        .arg(&temp)
        .arg("--dbname")
        .arg(url)
        .status();
    let status = match status {
        Ok(status) => status,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "pg_dump was not found on PATH: install the PostgreSQL client tools (the server's major version or newer)"
        ),
        Err(e) => return Err(e).context("running pg_dump"),
    };
    if !status.success() {
        bail!("pg_dump failed ({status}); its message is above");
    }
    sqlx::query("COMMIT").execute(&mut connection).await?;
    connection.close().await?;
    std::fs::File::open(&temp)?.sync_all()?;
    std::fs::rename(&temp, out.join(PG_FILE))?;
    Ok(new_manifest("postgres", counts))
}

/// Copies the attachment files of `from` into `to` (temporary name, then rename), checking
/// each file's content against its name. Returns (files, bytes).
fn copy_attachments(from: &Path, to: &Path, restoring: bool) -> anyhow::Result<(u64, u64)> {
    let mut files = Vec::new();
    if from.is_dir() {
        for prefix in std::fs::read_dir(from)? {
            let prefix = prefix?;
            let name = prefix.file_name().to_string_lossy().into_owned();
            // `tmp/` holds uploads being received, not attachments.
            if name.len() != 2 || !prefix.file_type()?.is_dir() {
                continue;
            }
            for file in std::fs::read_dir(prefix.path())? {
                let file = file?;
                let sha = file.file_name().to_string_lossy().into_owned();
                if is_sha256(&sha) && sha.starts_with(&name) && file.file_type()?.is_file() {
                    files.push((file.path(), sha));
                }
            }
        }
    } else if !restoring {
        eprintln!(
            "attachments: no folder at {} (none backed up)",
            from.display()
        );
    }
    let total = files.len();
    let mut bytes = 0;
    for (done, (path, sha)) in files.iter().enumerate() {
        let dir = to.join(&sha[..2]);
        std::fs::create_dir_all(&dir)?;
        let temp = dir.join(format!(".{sha}.partial"));
        let (size, actual) =
            copy_hashing(path, &temp).with_context(|| format!("copying {}", path.display()))?;
        if actual != *sha {
            let _ = std::fs::remove_file(&temp);
            bail!(
                "{} does not hold the content its name says (SHA-256 {actual}): the file is damaged",
                path.display()
            );
        }
        std::fs::rename(&temp, dir.join(sha))?;
        bytes += size;
        if (done + 1) % 100 == 0 || done + 1 == total {
            eprint!("\rattachments: {}/{total} files", done + 1);
        }
    }
    if total > 0 {
        eprintln!(" ({bytes} bytes)");
    }
    Ok((total as u64, bytes))
}

/// Copies a file, fsyncs the copy, and returns (size, SHA-256 of the content).
fn copy_hashing(from: &Path, to: &Path) -> std::io::Result<(u64, String)> {
    let mut input = std::fs::File::open(from)?;
    let mut output = std::fs::File::create(to)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 64 * 1024];
    let mut size = 0;
    loop {
        let n = input.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        output.write_all(&buffer[..n])?;
        size += n as u64;
    }
    output.sync_all()?;
    Ok((size, hex::encode(hasher.finalize())))
}

fn write_atomically(path: &Path, content: &[u8]) -> std::io::Result<()> {
    let temp = path.with_extension("partial");
    let mut file = std::fs::File::create(&temp)?;
    file.write_all(content)?;
    file.sync_all()?;
    std::fs::rename(&temp, path)
}

/// Makes the renames in `dir` durable (best effort: not every platform opens folders).
fn sync_dir(dir: &Path) {
    if let Ok(dir) = std::fs::File::open(dir) {
        let _ = dir.sync_all();
    }
}

/// The catalogue's HEAD commit and whether it has uncommitted changes, when it is a git
/// checkout.
fn catalogue_commit(catalogue: &Path) -> (Option<String>, Option<bool>) {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(catalogue)
            .args(args)
            .stderr(std::process::Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let Some(commit) = git(&["rev-parse", "HEAD"]).filter(|c| !c.is_empty()) else {
        return (None, None);
    };
    let dirty = git(&["status", "--porcelain"]).map(|s| !s.is_empty());
    (Some(commit), dirty)
}

pub async fn restore(args: RestoreArgs) -> anyhow::Result<()> {
    let dir = &args.input;
    if !dir.is_dir() {
        bail!("no backup folder at {}", dir.display());
    }
    let manifest_path = dir.join(MANIFEST);
    let manifest: Manifest = match std::fs::read(&manifest_path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a guichet manifest", manifest_path.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "{} has no {MANIFEST}: it is not a backup, or its backup was interrupted",
            dir.display()
        ),
        Err(e) => return Err(e).context(format!("reading {}", manifest_path.display())),
    };
    if manifest.format != FORMAT {
        bail!(
            "{} is a backup of format {}; this guichet ({}) restores format {FORMAT}: use the version that made it",
            dir.display(),
            manifest.format,
            env!("CARGO_PKG_VERSION")
        );
    }
    let url = args.database.url.as_str();
    let target_kind = if is_postgres(url) {
        "postgres"
    } else {
        "sqlite"
    };
    if manifest.database != target_kind {
        bail!(
            "the backup holds a {} database and --database names a {target_kind} one: restore into the same kind, then move with `guichet export` / `guichet import`",
            manifest.database
        );
    }

    // Every check before the first write: a refused restore changes nothing.
    let attachments = &args.attachments_dir;
    if !args.force && holds_attachments(attachments)? {
        bail!(
            "{} already holds attachments: restore into an empty folder, or add --force to add the backup's files to them",
            attachments.display()
        );
    }
    if target_kind == "sqlite" {
        restore_sqlite(dir, url, args.force, &manifest.guichet_version).await?;
    } else {
        restore_postgres(dir, url, args.force).await?;
    }
    let (files, bytes) = copy_attachments(&dir.join(ATTACHMENTS), attachments, true)?;
    if files != manifest.attachments {
        bail!(
            "the backup lists {} attachments but holds {files}: it is incomplete",
            manifest.attachments
        );
    }
    sync_dir(attachments);

    // Opening the store checks the restored schema and runs the migrations a backup from an
    // older version lacks.
    let store = crate::store::open(&args.database).await?;
    let requests = store.count_requests().await?;
    store.close().await;
    eprintln!(
        "restored {requests} requests and {files} attachments ({bytes} bytes) from the backup of {}",
        manifest.created_at
    );
    match &manifest.catalogue_commit {
        Some(commit) => eprintln!(
            "the catalogue was at commit {commit}: `git checkout {commit}` in the catalogue folder if it is not there"
        ),
        None => eprintln!("the catalogue was not a git checkout: restore it from your own copy"),
    }
    Ok(())
}

fn holds_attachments(dir: &Path) -> anyhow::Result<bool> {
    if !dir.exists() {
        return Ok(false);
    }
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        // An empty `tmp/` is what a server that never received a file leaves.
        let empty_tmp = entry.file_name() == "tmp"
            && std::fs::read_dir(entry.path()).is_ok_and(|mut d| d.next().is_none());
        if !empty_tmp {
            return Ok(true);
        }
    }
    Ok(false)
}

async fn restore_sqlite(dir: &Path, url: &str, force: bool, made_by: &str) -> anyhow::Result<()> {
    let source = dir.join(SQLITE_FILE);
    if !source.is_file() {
        bail!("{} is missing from the backup", source.display());
    }
    let target: PathBuf = sqlite_options(url)?.get_filename().to_owned();
    let wal = sidecar(&target, "-wal");
    let shm = sidecar(&target, "-shm");
    let exists = std::fs::metadata(&target).is_ok_and(|m| m.len() > 0) || wal.exists();
    if exists && !force {
        bail!(
            "{} already exists: restore into a new file, or stop the server and add --force to replace it",
            target.display()
        );
    }
    if exists {
        ensure_not_in_use(&target).await?;
    }

    // The backup's database: readable, intact, and of a schema this version knows.
    let mut backup = sqlite_options(&source.to_string_lossy())?
        .read_only(true)
        .connect()
        .await
        .with_context(|| format!("opening {}", source.display()))?;
    let check: String = sqlx::query_scalar("PRAGMA quick_check")
        .fetch_one(&mut backup)
        .await
        .with_context(|| format!("{} is not a readable SQLite database", source.display()))?;
    if check != "ok" {
        bail!("{} is damaged: {check}", source.display());
    }
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&mut backup)
            .await
            .context("the backup's database has no migrations table")?;
    backup.close().await?;
    let known: Vec<i64> = sqlx::migrate!("migrations/sqlite")
        .iter()
        .map(|m| m.version)
        .collect();
    if let Some(unknown) = applied.iter().find(|v| !known.contains(v)) {
        bail!(
            "the backup's database has migration {unknown}, which this guichet ({}) does not know: restore it with the version that made it ({made_by})",
            env!("CARGO_PKG_VERSION"),
        );
    }

    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let temp = sidecar(&target, ".restoring");
    std::fs::copy(&source, &temp)?;
    std::fs::File::open(&temp)?.sync_all()?;
    // A stale WAL beside the new file would be replayed into it.
    for stale in [&wal, &shm] {
        match std::fs::remove_file(stale) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    }
    std::fs::rename(&temp, &target)?;
    if let Some(parent) = target.parent() {
        sync_dir(parent);
    }
    eprintln!("database: {} restored", target.display());
    Ok(())
}

fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// A server keeps its connections open, and in WAL mode an open connection holds a shared
/// lock on the file; the exclusive lock asked for here fails while any is open.
async fn ensure_not_in_use(target: &Path) -> anyhow::Result<()> {
    let connection = sqlite_options(&target.to_string_lossy())?
        .create_if_missing(false)
        .pragma("locking_mode", "EXCLUSIVE")
        .busy_timeout(Duration::ZERO)
        .connect()
        .await;
    let in_use = match connection {
        Ok(mut connection) => {
            let locked = async {
                sqlx::query("BEGIN EXCLUSIVE")
                    .execute(&mut connection)
                    .await?;
                sqlx::query("SELECT COUNT(*) FROM sqlite_master")
                    .execute(&mut connection)
                    .await?;
                sqlx::query("COMMIT").execute(&mut connection).await
            }
            .await;
            let _ = connection.close().await;
            locked.is_err()
        }
        Err(_) => true,
    };
    if in_use {
        bail!(
            "{} is in use (a guichet server is running on it?): stop it before restoring",
            target.display()
        );
    }
    Ok(())
}

async fn restore_postgres(dir: &Path, url: &str, force: bool) -> anyhow::Result<()> {
    let source = dir.join(PG_FILE);
    if !source.is_file() {
        bail!("{} is missing from the backup", source.display());
    }
    let mut connection = sqlx::PgConnection::connect(url)
        .await
        .context("connecting to the target PostgreSQL database (create it first with createdb)")?;
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_one(&mut connection)
    .await?;
    connection.close().await?;
    if tables > 0 && !force {
        bail!(
            "the target database already has tables: restore into a new database (createdb), or stop the servers and add --force to replace its contents"
        );
    }
    let mut command = std::process::Command::new("pg_restore");
    command.args([
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
    ]);
    if force {
        command.args(["--clean", "--if-exists"]);
    }
    let status = command.arg("--dbname").arg(url).arg(&source).status();
    let status = match status {
        Ok(status) => status,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "pg_restore was not found on PATH: install the PostgreSQL client tools (the server's major version or newer)"
        ),
        Err(e) => return Err(e).context("running pg_restore"),
    };
    if !status.success() {
        bail!("pg_restore failed ({status}); its message is above; nothing was restored");
    }
    eprintln!("database: restored with pg_restore");
    Ok(())
}
