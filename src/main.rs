//! The `guichet` command line: serve, check, migrate, export, import, user, backup, restore,
//! purge, territory, statistics.

use std::process::ExitCode;

use clap::Parser;
use guichet::config::{Cli, Command, ServeConfig};
use guichet::config::{ExportArgs, ImportArgs};
use guichet::{check, startup, store, transfer, users};

#[tokio::main]
async fn main() -> ExitCode {
    // Parsed first: the log format is one of serve's flags. Parse errors go to the
    // terminal, not to the log.
    let cli = Cli::parse_from(serve_by_default(std::env::args_os().collect()));
    let command = cli
        .command
        .unwrap_or_else(|| Command::Serve(ServeConfig::from_env()));
    guichet::telemetry::init(match &command {
        Command::Serve(config) => config.log_format,
        _ => guichet::telemetry::LogFormat::from_env(),
    });
    let result = match command {
        Command::Serve(config) => serve(config).await,
        Command::Check(args) => return check::run(&args.paths),
        Command::Export(args) => export(args).await,
        Command::Import(args) => import(args).await,
        Command::User(args) => users::run(args).await,
        Command::Backup(args) => guichet::backup::backup(args).await,
        Command::Restore(args) => guichet::backup::restore(args).await,
        Command::Purge(args) => guichet::retention::purge(args).await,
        Command::Territory(args) => guichet::territory_file::run(args),
        Command::Statistics(args) => statistics(args).await,
        Command::Migrate(database) => store::open(&database)
            .await
            .map(|_| eprintln!("The database schema is up to date.")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// `guichet --bind 127.0.0.1:8081` means `guichet serve --bind 127.0.0.1:8081`: with no
/// command, `serve` is the default, flags included (and `cargo run --release -- --bind …`
/// works as the README says). `--help` and `--version` keep their meaning.
fn serve_by_default(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let first_is_a_flag = args.get(1).and_then(|a| a.to_str()).is_some_and(|first| {
        first.starts_with('-') && !matches!(first, "-h" | "--help" | "-V" | "--version")
    });
    if first_is_a_flag {
        args.insert(1, "serve".into());
    }
    args
}

async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let app = startup::Application::build(config).await?;
    // Tests and scripts read this line to find the port.
    println!("Guichet listening on http://{}", app.local_addr());
    if let Some(metrics) = app.metrics_addr() {
        println!("Guichet metrics on http://{metrics}/metrics");
    }
    app.run_until_stopped().await
}

async fn export(args: ExportArgs) -> anyhow::Result<()> {
    let store = store::open(&args.database).await?;
    let mut out: Box<dyn std::io::Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let written = transfer::export(store.as_ref(), &mut out, &mut |done, total| {
        eprint!("\rexported {done}/{total} requests")
    })
    .await?;
    eprintln!("\nexport finished: {written} {}", requests(written));
    Ok(())
}

async fn import(args: ImportArgs) -> anyhow::Result<()> {
    let store = store::open(&args.database).await?;
    let mut input: Box<dyn std::io::BufRead> = match args.input.as_deref() {
        Some(path) if path != std::path::Path::new("-") => {
            Box::new(std::io::BufReader::new(std::fs::File::open(path)?))
        }
        _ => Box::new(std::io::BufReader::new(std::io::stdin().lock())),
    };
    let (read, new) = transfer::import(store.as_ref(), &mut input, &mut |read, new| {
        eprint!("\rimported {read} requests ({new} new)")
    })
    .await?;
    eprintln!(
        "\nimport finished: {read} {} read, {new} new, {} already present",
        requests(read),
        read - new
    );
    // The imported requests' statistics, from their events.
    let folded = guichet::requests::facts::rebuild_missing(store.as_ref()).await?;
    if folded > 0 {
        eprintln!(
            "statistics: {folded} {} folded from their events",
            requests(folded)
        );
    }
    Ok(())
}

async fn statistics(args: guichet::config::StatisticsArgs) -> anyhow::Result<()> {
    match args.command {
        guichet::config::StatisticsCommand::Rebuild(database) => {
            let store = store::open(&database).await?;
            eprintln!("statistics: folding every request from its events…");
            let started = std::time::Instant::now();
            let folded = guichet::requests::facts::rebuild(store.as_ref(), &mut |done| {
                eprint!("\rfolded {done} requests")
            })
            .await?;
            eprintln!(
                "\nstatistics rebuilt: {folded} {} folded from their events, rollups computed \
                 again ({:.1} s)",
                requests(folded),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
    }
}

/// "request" or "requests", after a count.
fn requests(n: u64) -> &'static str {
    if n == 1 { "request" } else { "requests" }
}
