//! `ecusson`: the one binary. Subcommands: `migrate`, `verify-log`, `projections`, `bench`,
//! `demo`, `token`, `serve`, `verify`, `badge extract`.
//! Configuration is parsed once here (clap, with environment variables) and passed down.

mod audit;
mod bench;
mod bench_audit;
mod bench_credentials;
mod bench_http;
mod bench_reports;
mod cli;
mod commands;
mod serve;
mod telemetry;
mod token;
mod verify;

use clap::Parser;

/// mimalloc instead of the system allocator: a GraphQL answer is hundreds of small, short-lived
/// allocations (one future and one value per field), and malloc/free were 11-15 % of the
/// server's profile under the badge-history mix (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let telemetry = telemetry::init(cli.log_format);
    let code = match commands::run(cli).await {
        Ok(code) => code,
        Err(error) => {
            // The one place where a failure of the command is reported, with its cause chain.
            tracing::error!(error = format!("{error:#}"), "command failed");
            std::process::ExitCode::FAILURE
        }
    };
    // After every command, `serve` stopped by SIGTERM included: the last spans are exported.
    telemetry.shutdown().await;
    code
}
