//! Configuration, in one place: every flag is also an environment variable, and the
//! defaults make `cargo run` serve the demo territory with no setup.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::telemetry::LogFormat;

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

// Parsed once at start-up: the size of the largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
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
    /// Apply retention: anonymise the closed requests past their form's retention period
    /// (`serve` does it daily).
    Purge(PurgeArgs),
    /// Write or update the territory file's communes from the official geographic code.
    Territory(TerritoryArgs),
    /// The statistics kept from the requests' events.
    Statistics(StatisticsArgs),
}

#[derive(Debug, Clone, Args)]
pub struct StatisticsArgs {
    #[command(subcommand)]
    pub command: StatisticsCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum StatisticsCommand {
    /// Fold every request's statistics again from its events, then compute the dashboard's
    /// rollups again from them (safe while the server runs; its figures are partial
    /// until the rebuild ends).
    Rebuild(DatabaseConfig),
}

#[derive(Debug, Clone, Args)]
pub struct TerritoryArgs {
    #[command(subcommand)]
    pub command: TerritoryCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum TerritoryCommand {
    /// Write a territory file for an intercommunality: its name and every member commune
    /// (INSEE code, name, postcodes, population, department), plus a starter service.
    Init {
        /// The intercommunality's SIREN (9 digits), e.g. 200030674.
        #[arg(long)]
        epci: String,
        #[arg(long, default_value = "territory.toml")]
        output: PathBuf,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Add the communes that joined, update official fields, report the communes that left;
    /// keeps everything else in the file as written.
    Update {
        /// The intercommunality's SIREN, when the file's [territory] has no `siren`.
        #[arg(long)]
        epci: Option<String>,
        /// The catalogue folder holding territory.toml.
        #[arg(long, env = "GUICHET_CATALOGUE", default_value = ".")]
        catalogue: PathBuf,
        /// Show the changes, write nothing.
        #[arg(long)]
        dry_run: bool,
    },
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
        /// admin, designer, agent, elu or redacteur.
        #[arg(long)]
        role: String,
        /// A service the account works for (agents, designers); repeat for several.
        #[arg(long = "service")]
        services: Vec<String>,
        /// A commune the account represents (élus) or keeps the site of (rédacteurs); repeat
        /// for several.
        #[arg(long = "commune")]
        communes: Vec<String>,
        /// An élu who also keeps the sites of their communes (page, news) as a rédacteur.
        #[arg(long)]
        redacteur: bool,
    },
    /// Give an élu the rédacteur's rights on the sites of their communes, or take them back
    /// (`--revoke`).
    Redacteur {
        email: String,
        #[arg(long)]
        revoke: bool,
    },
    /// List the accounts.
    List,
    /// Disable an account: its sessions and API tokens stop working at once.
    Disable { email: String },
    /// Enable a disabled account again.
    Enable { email: String },
    /// Set a new password (read like `add`'s), forget its failed logins (every client's
    /// lock on it) and end its sessions.
    Reset { email: String },
    /// Create an API token for the account, print it once, store only its hash. It expires
    /// after `--days` (90 by default); the account lists and revokes its tokens at
    /// /bureau/jetons.
    Token {
        email: String,
        /// What the token is for, as the list shows it.
        #[arg(long, default_value = "ligne de commande")]
        name: String,
        /// Days before it expires (1 to 366).
        #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(i64).range(1..=366))]
        days: i64,
        /// The token reads, it cannot act on requests.
        #[arg(long)]
        read_only: bool,
    },
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
    /// The site's origin as citizens reach it, e.g. `https://guichet.example.fr`: the base of
    /// every link given out (tracking links, e-mails), and the only origin a form may be
    /// posted from. Default: the bound address, and same-origin checks against `Host`.
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
    /// Seconds between two sweeps of the attachments folder, which remove the files no
    /// request references once they have been unused for the grace period. 0 turns it off.
    #[arg(long, env = "GUICHET_ATTACHMENTS_SWEEP_SECS", default_value_t = 3600)]
    pub attachments_sweep_secs: u64,
    /// Seconds an unreferenced file is kept after its last use (its upload, or a form step
    /// that carried it), so a citizen still on "check your answers" keeps their files.
    #[arg(long, env = "GUICHET_ATTACHMENTS_GRACE_SECS", default_value_t = 24 * 3600)]
    pub attachments_grace_secs: u64,
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
    /// Log lines as `text` (for people) or `json` (one object a line, for log shippers).
    #[arg(long, env = "GUICHET_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Address for Prometheus' `GET /metrics` (e.g. `127.0.0.1:9100`; port 0 picks one).
    /// A listener of its own, off unless set, so metrics are never public by accident.
    #[arg(long, env = "GUICHET_METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,
    #[command(flatten)]
    pub database: DatabaseConfig,
    #[command(flatten)]
    pub dispatch: DispatchConfig,
    #[command(flatten)]
    pub proxy: ProxyConfig,
    #[command(flatten)]
    pub rate_limits: RateLimitConfig,
    #[command(flatten)]
    pub oidc: OidcConfig,
}

/// Staff sign-in through an OpenID Connect provider. Each flag overrides the same field of
/// the territory file's `[oidc]` table (docs/sign-in.md); the client secret is only ever
/// read from the environment or a file.
#[derive(Debug, Clone, Default, Args)]
pub struct OidcConfig {
    /// The provider's issuer URL, e.g. `https://auth.example.fr/realms/agents`.
    #[arg(long, env = "GUICHET_OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,
    /// The client id the provider gave Guichet.
    #[arg(long, env = "GUICHET_OIDC_CLIENT_ID")]
    pub oidc_client_id: Option<String>,
    /// A file holding the client secret (its first line), e.g. `/run/secrets/oidc`. The
    /// secret may instead be in the variable GUICHET_OIDC_CLIENT_SECRET (never a flag: flags
    /// show in `ps`).
    #[arg(long, env = "GUICHET_OIDC_CLIENT_SECRET_FILE")]
    pub oidc_client_secret_file: Option<PathBuf>,
    /// The client secret itself, for code that builds this configuration (tests); `serve`
    /// reads it from the variable GUICHET_OIDC_CLIENT_SECRET, never from a flag.
    #[arg(skip)]
    pub oidc_client_secret: Option<Secret>,
    /// The provider's name on the sign-in button (« Se connecter avec NAME »).
    #[arg(long, env = "GUICHET_OIDC_NAME")]
    pub oidc_name: Option<String>,
    /// Mail domains whose addresses get an account on first sign-in, comma-separated.
    #[arg(long, env = "GUICHET_OIDC_ALLOWED_DOMAINS", value_delimiter = ',')]
    pub oidc_allowed_domains: Option<Vec<String>>,
    /// The role of accounts created on first sign-in (agent, designer, elu, redacteur).
    #[arg(long, env = "GUICHET_OIDC_NEW_ACCOUNT_ROLE")]
    pub oidc_new_account_role: Option<String>,
    /// Their services (agents, designers), comma-separated.
    #[arg(long, env = "GUICHET_OIDC_NEW_ACCOUNT_SERVICES", value_delimiter = ',')]
    pub oidc_new_account_services: Option<Vec<String>>,
    /// Their communes (élus, rédacteurs), comma-separated.
    #[arg(long, env = "GUICHET_OIDC_NEW_ACCOUNT_COMMUNES", value_delimiter = ',')]
    pub oidc_new_account_communes: Option<Vec<String>>,
}

/// A secret read from the environment or a file: never printed, not even by `{:?}`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Secret, Self::Err> {
        Ok(Secret(text.to_owned()))
    }
}

/// Who stands between the clients and Guichet.
#[derive(Debug, Clone, Default, Args)]
pub struct ProxyConfig {
    /// Reverse proxies (addresses or CIDR blocks, comma-separated) whose `Forwarded` and
    /// `X-Forwarded-For/-Proto/-Host` headers are believed: the client address (rate limits)
    /// and scheme (Secure cookie) are read from them only when the peer is one of these.
    /// Default: none, the headers are ignored.
    #[arg(
        long,
        env = "GUICHET_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = parse_network
    )]
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// `192.0.2.0/24`, `2001:db8::/32`, or one address (`127.0.0.1`).
fn parse_network(text: &str) -> Result<ipnet::IpNet, String> {
    let text = text.trim();
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| {
            format!("{text:?} is neither an address nor a CIDR block (e.g. 127.0.0.1/32, 10.0.0.0/8, ::1)")
        })
}

/// What one client address may do, per instance (each instance counts on its own).
#[derive(Debug, Clone, Args)]
pub struct RateLimitConfig {
    /// Requests filed anonymously (portal form and API) per client address, as `COUNT/PERIOD`
    /// (`30/h`, `5/10min`, `off`). A burst of COUNT, then one more every PERIOD/COUNT.
    #[arg(long, env = "GUICHET_LIMIT_SUBMISSIONS", default_value = DEFAULT_SUBMISSIONS)]
    pub limit_submissions: Rate,
    /// Bytes of form posts with files per client address, as `SIZE/PERIOD` (`200MiB/h`,
    /// `off`); never less than one post of --max-upload-bytes.
    #[arg(long, env = "GUICHET_LIMIT_UPLOADS", default_value = DEFAULT_UPLOADS)]
    pub limit_uploads: Rate,
    /// Tracking look-ups (by link, by reference, API) per client address, as `COUNT/PERIOD`
    /// (`60/min`, `off`): guessing references is slowed to this pace.
    #[arg(long, env = "GUICHET_LIMIT_LOOKUPS", default_value = DEFAULT_LOOKUPS)]
    pub limit_lookups: Rate,
}

pub const DEFAULT_SUBMISSIONS: &str = "30/h";
pub const DEFAULT_UPLOADS: &str = "200MiB/h";
pub const DEFAULT_LOOKUPS: &str = "60/min";

impl Default for RateLimitConfig {
    fn default() -> Self {
        let rate = |text: &str| text.parse().expect("the default rates parse");
        RateLimitConfig {
            limit_submissions: rate(DEFAULT_SUBMISSIONS),
            limit_uploads: rate(DEFAULT_UPLOADS),
            limit_lookups: rate(DEFAULT_LOOKUPS),
        }
    }
}

/// An amount per period, or no limit: `30/h`, `5/10min`, `2/3s`, `200MiB/h`, `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate(pub Option<(u64, std::time::Duration)>);

impl std::str::FromStr for Rate {
    type Err = String;

    fn from_str(text: &str) -> Result<Rate, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("off") {
            return Ok(Rate(None));
        }
        let bad = || {
            format!(
                "{text:?} is not a rate: write COUNT/PERIOD such as 30/h, 5/10min, 2/3s, 200MiB/h, or off"
            )
        };
        let (amount, period) = text.split_once('/').ok_or_else(bad)?;
        let amount = amount.trim();
        let digits = amount.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        let multiplier: u64 = match amount[digits.len()..].to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "kib" | "k" => 1 << 10,
            "mib" | "m" => 1 << 20,
            "gib" | "g" => 1 << 30,
            _ => return Err(bad()),
        };
        let amount = digits
            .trim()
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(multiplier))
            .filter(|n| *n > 0)
            .ok_or_else(bad)?;
        let period = period.trim();
        let count = period.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        let unit_secs: u64 = match &period[count.len()..] {
            "s" | "sec" => 1,
            "min" | "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(bad()),
        };
        let count = if count.is_empty() {
            1
        } else {
            count
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(bad)?
        };
        let secs = count.checked_mul(unit_secs).ok_or_else(bad)?;
        Ok(Rate(Some((amount, std::time::Duration::from_secs(secs)))))
    }
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
pub struct PurgeArgs {
    /// List what would be anonymised, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Pretend today is this day (YYYY-MM-DD), to plan or to test: requests due on or
    /// before it are anonymised.
    #[arg(long, value_parser = parse_day)]
    pub as_of: Option<time::Date>,
    /// The catalogue, whose forms say how long their requests are kept.
    #[arg(long, env = "GUICHET_CATALOGUE", default_value = ".")]
    pub catalogue: PathBuf,
    /// Folder where the server stores attachments (an anonymised request's files go).
    #[arg(
        long,
        env = "GUICHET_ATTACHMENTS_DIR",
        default_value = "data/attachments"
    )]
    pub attachments_dir: PathBuf,
    /// The server's mail URL: with `file://folder`, the e-mails of an anonymised request
    /// written there go too.
    #[arg(long, env = "GUICHET_MAIL_URL", default_value = "file://data/mail")]
    pub mail_url: String,
    #[command(flatten)]
    pub database: DatabaseConfig,
}

/// `2027-03-31`.
fn parse_day(text: &str) -> Result<time::Date, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text.trim(), &format)
        .map_err(|_| format!("{text:?} is not a date: write it as YYYY-MM-DD, e.g. 2027-03-31"))
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rates_read_counts_sizes_and_periods() {
        let rate = |text: &str| text.parse::<Rate>();
        assert_eq!(
            rate("30/h"),
            Ok(Rate(Some((30, Duration::from_secs(3600)))))
        );
        assert_eq!(
            rate(" 5/10min "),
            Ok(Rate(Some((5, Duration::from_secs(600)))))
        );
        assert_eq!(rate("2/3s"), Ok(Rate(Some((2, Duration::from_secs(3))))));
        assert_eq!(
            rate("200MiB/h"),
            Ok(Rate(Some((200 << 20, Duration::from_secs(3600)))))
        );
        assert_eq!(rate("OFF"), Ok(Rate(None)));
        for bad in [
            "",
            "30",
            "0/h",
            "30/0h",
            "30/week",
            "-1/h",
            "3 pommes/h",
            "1/h/2",
            "99999999999999999999GiB/h",
        ] {
            assert!(rate(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn purge_days_are_calendar_dates() {
        assert_eq!(
            parse_day("2027-03-31"),
            Ok(time::macros::date!(2027 - 03 - 31))
        );
        for bad in ["2027-02-30", "31/03/2027", "demain", ""] {
            assert!(parse_day(bad).unwrap_err().contains("YYYY-MM-DD"), "{bad}");
        }
    }

    #[test]
    fn trusted_proxies_take_blocks_and_addresses() {
        assert_eq!(
            parse_network("127.0.0.1").unwrap().to_string(),
            "127.0.0.1/32"
        );
        assert_eq!(
            parse_network("10.0.0.0/8").unwrap().to_string(),
            "10.0.0.0/8"
        );
        assert_eq!(parse_network("::1").unwrap().to_string(), "::1/128");
        assert!(parse_network("10.0.0.0/33").is_err());
        assert!(parse_network("proxy.local").is_err());
    }
}
