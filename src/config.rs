//! Configuration, in one place: every flag is also an environment variable, and the
//! defaults make `cargo run` serve the demo territory with no setup.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "guichet",
    version,
    about = "Citizen-relationship platform: forms, routing, service queues.",
    after_help = "With no command, or with only serve's flags (`guichet --bind 127.0.0.1:8081`), runs `guichet serve`."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the portal and the API (the default).
    Serve(ServeConfig),
    /// Lint a catalogue: schemas, rules, territory references and examples.
    Check(CheckArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate(DatabaseConfig),
    /// Write every request, event and form version to a portable archive (JSON lines).
    Export(ExportArgs),
    /// Read an archive written by `guichet export` into this database.
    Import(ImportArgs),
    /// Take a consistent backup while the server serves: database, attachments, the
    /// catalogue's commit.
    Backup(BackupArgs),
    /// Restore a backup made by `guichet backup` into an empty database and attachments
    /// folder (stop the server first).
    Restore(RestoreArgs),
    /// Manage staff accounts (passwords are read from standard input or a prompt).
    User(UserArgs),
}

#[derive(Debug, Clone, Args)]
pub struct UserArgs {
    #[command(subcommand)]
    pub command: UserCommand,
    #[command(flatten)]
    pub database: DatabaseConfig,
    /// Catalogue whose services and communes accounts may be scoped to.
    #[arg(long, env = "GUICHET_CATALOGUE", default_value = ".", global = true)]
    pub catalogue: PathBuf,
}

#[derive(Debug, Clone, Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is read from standard input (first line), or asked
    /// for when standard input is a terminal.
    Add {
        email: String,
        #[arg(long)]
        name: String,
        /// admin, designer, agent or elu.
        #[arg(long)]
        role: String,
        /// A service the account works for (agents, designers); repeat for several.
        #[arg(long = "service")]
        services: Vec<String>,
        /// A commune the account represents (élus); repeat for several.
        #[arg(long = "commune")]
        communes: Vec<String>,
    },
    /// List the accounts.
    List,
    /// Disable an account: its sessions and API tokens stop working at once.
    Disable { email: String },
    /// Enable a disabled account again.
    Enable { email: String },
    /// Set a new password (read like `add`'s), unlock the account and end its sessions.
    Reset { email: String },
    /// Create an API token for the account, print it once, store only its hash.
    Token { email: String },
}

#[derive(Debug, Clone, Args)]
pub struct DatabaseConfig {
    /// Database URL: `sqlite://path/to/file.db` (default) or `postgres://…`.
    #[arg(
        long = "database",
        env = "DATABASE_URL",
        global = true,
        default_value = "sqlite://data/guichet.db"
    )]
    pub url: String,
    /// Connections in the pool.
    #[arg(
        long = "db-max-connections",
        env = "GUICHET_DB_MAX_CONNECTIONS",
        global = true,
        default_value_t = 8
    )]
    pub max_connections: u32,
}

#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "GUICHET_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Folder holding `territory.toml`, `form-definitions/` and `rules/`.
    #[arg(long, env = "GUICHET_CATALOGUE", default_value = ".")]
    pub catalogue: PathBuf,
    /// Public base URL used in tracking links (default: the bound address).
    #[arg(long, env = "GUICHET_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Largest JSON body accepted by the API, in bytes.
    #[arg(long, env = "GUICHET_MAX_JSON_BYTES", default_value_t = 1024 * 1024)]
    pub max_json_bytes: usize,
    /// Largest HTML form body accepted, in bytes.
    #[arg(long, env = "GUICHET_MAX_FORM_BYTES", default_value_t = 256 * 1024)]
    pub max_form_bytes: usize,
    /// Largest form post with files (all files together), in bytes.
    #[arg(long, env = "GUICHET_MAX_UPLOAD_BYTES", default_value_t = 25 * 1024 * 1024)]
    pub max_upload_bytes: usize,
    /// Folder where attachments are stored, by content hash.
    #[arg(
        long,
        env = "GUICHET_ATTACHMENTS_DIR",
        default_value = "data/attachments"
    )]
    pub attachments_dir: PathBuf,
    /// clamd's Unix socket: when set, every upload is scanned before it is kept.
    #[arg(long, env = "GUICHET_CLAMD_SOCKET")]
    pub clamd_socket: Option<PathBuf>,
    /// Seconds a client has to send its request headers.
    #[arg(long, env = "GUICHET_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub header_timeout_secs: u64,
    /// Seconds a client has to send its request body, and a request has to complete.
    #[arg(long, env = "GUICHET_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// Seconds between two looks at the catalogue's files; a change (a publication on
    /// another instance sharing the folder, an admin's `git pull`) reloads it as SIGHUP does.
    /// 0 turns it off.
    #[arg(long, env = "GUICHET_CATALOGUE_REFRESH_SECS", default_value_t = 5)]
    pub catalogue_refresh_secs: u64,
    #[command(flatten)]
    pub database: DatabaseConfig,
    #[command(flatten)]
    pub dispatch: DispatchConfig,
}

/// Webhooks, e-mail and the outbox worker.
#[derive(Debug, Clone, Args)]
pub struct DispatchConfig {
    /// Where e-mails go: `file://folder` (writes .eml files), `smtp://host:25`,
    /// `smtp://user:pass@host:587?tls=required` or `smtps://user:pass@host:465`.
    #[arg(long, env = "GUICHET_MAIL_URL", default_value = "file://data/mail")]
    pub mail_url: String,
    /// Sender of the e-mails.
    #[arg(
        long,
        env = "GUICHET_MAIL_FROM",
        default_value = "Guichet <ne-pas-repondre@guichet.invalid>"
    )]
    pub mail_from: String,
    /// Services with `notify = "digest"` get one e-mail per this many minutes.
    #[arg(long, env = "GUICHET_MAIL_DIGEST_MINUTES", default_value_t = 60)]
    pub mail_digest_minutes: u32,
    /// Seconds a webhook receiver has to answer.
    #[arg(long, env = "GUICHET_WEBHOOK_TIMEOUT_SECS", default_value_t = 10)]
    pub webhook_timeout_secs: u64,
    /// Allow webhooks to loopback and link-local addresses (tests, on-premise receivers).
    #[arg(long, env = "GUICHET_WEBHOOK_ALLOW_PRIVATE", default_value_t = false)]
    pub webhook_allow_private: bool,
    /// Attempts before a message is parked as dead.
    #[arg(long, env = "GUICHET_OUTBOX_MAX_ATTEMPTS", default_value_t = 8)]
    pub outbox_max_attempts: u32,
    /// First retry delay, in milliseconds; it doubles with each attempt (capped at an hour).
    #[arg(long, env = "GUICHET_OUTBOX_RETRY_BASE_MS", default_value_t = 5_000)]
    pub outbox_retry_base_ms: u64,
    /// Seconds a claimed message is reserved for one delivery attempt.
    #[arg(long, env = "GUICHET_OUTBOX_LEASE_SECS", default_value_t = 60)]
    pub outbox_lease_secs: u64,
    /// Milliseconds the worker waits when nothing is due.
    #[arg(long, env = "GUICHET_OUTBOX_POLL_MS", default_value_t = 1_000)]
    pub outbox_poll_ms: u64,
}

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// Export everything (the only scope for now; required so a later partial export
    /// cannot be mistaken for a full one).
    #[arg(long, required = true)]
    pub all: bool,
    /// File to write; standard output when absent.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub database: DatabaseConfig,
}

#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// Archive to read; standard input when absent or `-`.
    pub input: Option<PathBuf>,
    #[command(flatten)]
    pub database: DatabaseConfig,
}

#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    /// Folder to write the backup to; it must be new or empty.
    #[arg(long, short)]
    pub output: PathBuf,
    /// Folder where the server stores attachments.
    #[arg(
        long,
        env = "GUICHET_ATTACHMENTS_DIR",
        default_value = "data/attachments"
    )]
    pub attachments_dir: PathBuf,
    /// The catalogue, whose git commit the backup records.
    #[arg(long, env = "GUICHET_CATALOGUE", default_value = ".")]
    pub catalogue: PathBuf,
    #[command(flatten)]
    pub database: DatabaseConfig,
}

#[derive(Debug, Clone, Args)]
pub struct RestoreArgs {
    /// Folder written by `guichet backup`.
    pub input: PathBuf,
    /// Folder to restore the attachments into.
    #[arg(
        long,
        env = "GUICHET_ATTACHMENTS_DIR",
        default_value = "data/attachments"
    )]
    pub attachments_dir: PathBuf,
    /// Replace a database that is not empty, and add to an attachments folder that is not.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub database: DatabaseConfig,
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Catalogue folders to check.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
}

impl ServeConfig {
    /// The defaults, as `guichet serve` with no flags or variables.
    pub fn from_env() -> ServeConfig {
        let cli = Cli::parse_from(["guichet", "serve"]);
        match cli.command {
            Some(Command::Serve(config)) => config,
            _ => unreachable!("`serve` parses into Command::Serve"),
        }
    }
}
