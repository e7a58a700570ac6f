//! The command line of the `lantern` binary.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::{settings::Settings, startup, telemetry};

#[derive(Debug, Parser)]
#[command(
    name = "lantern",
    version,
    about = "Self-hosted chat assistant for websites"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run migrations, then serve HTTP (the default).
    Serve,
    /// Run migrations and exit.
    Migrate,
}

/// Entry point of the binary. Exit codes: 0 success, 1 runtime failure,
/// 2 bad settings or usage.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("lantern: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&settings.log_filter, settings.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("lantern: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(settings).await,
            Command::Migrate => startup::prepare_database(&settings).await.map(|pool| {
                println!("migrations applied ({})", pool.backend());
            }),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lantern: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(settings.addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {} (LANTERN_ADDR): {e}", settings.addr))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, settings = ?settings, "lantern listening");
    println!("Lantern is running: demo page at http://{addr}/");
    startup::launch(settings, listener, startup::shutdown_signal()).await
}
