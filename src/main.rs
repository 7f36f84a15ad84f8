//! The `guichet` command line: serve, check, migrate.

use std::process::ExitCode;

use clap::Parser;
use guichet::config::{Cli, Command, ServeConfig};
use guichet::{check, startup, store};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli
        .command
        .unwrap_or_else(|| Command::Serve(ServeConfig::from_env()))
    {
        Command::Serve(config) => serve(config).await,
        Command::Check(args) => return check::run(&args.paths),
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

async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let app = startup::Application::build(config).await?;
    // Tests and scripts read this line to find the port.
    println!("Guichet listening on http://{}", app.local_addr());
    app.run_until_stopped().await
}
