//! `early-risk`: see `early-risk --help`.

use clap::Parser;

// The write path allocates and frees many small strings and JSON values on
// one thread and drops them on another; glibc's allocator spent a third of
// the server's CPU on that under batch ingest (perf), mimalloc a fraction.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = api::cli::Cli::parse();
    api::telemetry::init();
    match api::cli::run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
