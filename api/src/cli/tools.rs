//! Tools beside the system: the hand-set demo model, the UCI trainer and
//! the fake WhatsApp Cloud API.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

/// `early-risk demo-model`.
pub(super) fn demo_model() -> anyhow::Result<ExitCode> {
    let model = domain::risk::demo_artifact();
    println!("{}", serde_json::to_string_pretty(&model)?);
    eprintln!("version {}", model.version());
    Ok(ExitCode::SUCCESS)
}

/// `early-risk train-uci`.
pub(super) fn train_uci(
    input: PathBuf,
    out: PathBuf,
    trained_at: Option<String>,
) -> anyhow::Result<ExitCode> {
    let trained_at = trained_at.unwrap_or_else(|| chrono::Utc::now().to_rfc3339());
    let started = std::time::Instant::now();
    let (model, test, train) = training::train_uci_default(&input, &trained_at)?;
    let secs = started.elapsed().as_secs_f64();
    std::fs::write(&out, serde_json::to_string_pretty(&model)?)
        .with_context(|| format!("writing {}", out.display()))?;
    println!(
        "model {} written to {} in {secs:.2} s",
        model.version(),
        out.display()
    );
    println!("test:  {}", serde_json::to_string(&test)?);
    println!("train: {}", serde_json::to_string(&train)?);
    Ok(ExitCode::SUCCESS)
}

/// `early-risk fake-whatsapp`.
pub(super) async fn fake_whatsapp(
    port: u16,
    token: String,
    phone_id: String,
    webhook_url: Option<String>,
    app_secret: String,
    unruly_callbacks: bool,
) -> anyhow::Result<ExitCode> {
    let config = whatsapp::fake::FakeConfig {
        token,
        phone_number_id: phone_id,
        webhook: webhook_url.map(|url| whatsapp::fake::WebhookTarget {
            url,
            app_secret: app_secret.into_bytes(),
        }),
        duplicate_callbacks: unruly_callbacks,
        out_of_order_callbacks: unruly_callbacks,
        ..Default::default()
    };
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    println!("fake WhatsApp Cloud API on http://{addr} (Ctrl-C to stop)");
    println!(
        "control: GET /_fake/messages; POST /_fake/fail {{\"code\",\"count\"}}, \
         /_fake/outage {{\"seconds\"}} (DELETE ends it), /_fake/delay {{\"ms\"}}"
    );
    tokio::select! {
        r = whatsapp::fake::serve(addr, config) => r.with_context(|| format!("serving on {addr}"))?,
        _ = super::serve::shutdown_signal() => {}
    }
    Ok(ExitCode::SUCCESS)
}
