//! `serve` (the API, and what runs behind it unless `--no-read-side`) and
//! `project` (the read side and the alert machinery alone, to scale apart).

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;

use crate::database::DatabaseArgs;

/// `early-risk project`.
pub(super) async fn project(
    db: DatabaseArgs,
    model: crate::model::ModelArgs,
) -> anyhow::Result<ExitCode> {
    let whatsapp = crate::alerting::Alerting::from_env()?;
    // The dispatcher opens sealed one-time codes with keys derived
    // from the same secret the API process uses.
    let auth = crate::auth::AuthSettings::from_env(false)?;
    let db = db.open().await?;
    let model = model.load(&db.pool).await?;
    let state = crate::http::AppState::new(db.pool.clone()).with_auth(&auth);
    let day_end = crate::background::day_end_from_env()?;
    let background = crate::background::Background::start(&state, &whatsapp, model, None, day_end);
    println!("projection runners and alert dispatcher started; Ctrl-C to stop");
    shutdown_signal().await;
    background.stop().await;
    db.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn serve(
    db: DatabaseArgs,
    model: crate::model::ModelArgs,
    bind: SocketAddr,
    demo: bool,
    read_side: bool,
) -> anyhow::Result<()> {
    let mut whatsapp = crate::alerting::Alerting::from_env()?;
    if demo {
        whatsapp = whatsapp.for_demo();
    }
    let auth = crate::auth::AuthSettings::from_env(demo)?;
    let skew = crate::http::clock::max_future_skew_from_env().map_err(anyhow::Error::msg)?;
    let db = db.open().await?;
    // Whatever happens from here, a private cluster we started is stopped.
    let served = serve_on(&db, model, bind, demo, read_side, whatsapp, auth, skew).await;
    db.shutdown().await;
    served
}

/// `serve` on an open database.
#[allow(clippy::too_many_arguments)]
async fn serve_on(
    db: &crate::database::Database,
    model: crate::model::ModelArgs,
    bind: SocketAddr,
    demo: bool,
    read_side: bool,
    whatsapp: crate::alerting::Alerting,
    auth: crate::auth::AuthSettings,
    skew: chrono::Duration,
) -> anyhow::Result<()> {
    let model = model.load(&db.pool).await?;
    let state = crate::http::AppState::new(db.pool.clone())
        .with_auth(&auth)
        .with_demo(demo)
        .with_alert_policy(whatsapp.policy().clone())
        .with_security(crate::http::security::SecuritySettings::from_env()?)
        .with_max_future_skew(skew);
    let state = state.clone().with_webhooks(whatsapp.webhook_state(&state));
    let day_end = crate::background::day_end_from_env()?;
    let background = read_side.then(|| {
        crate::background::Background::start(
            &state,
            &whatsapp,
            model,
            Some(state.notifier.clone()),
            day_end,
        )
    });
    if demo {
        let n = crate::demo::seed(&state.customers)
            .await
            .context("loading demo data")?;
        tracing::info!(customers = n, "demo data loaded");
        crate::demo::seed_accounts(&state.pool).await?;
        crate::demo::print_logins(auth.generated);
    }
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("binding {bind}"))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "listening");
    println!("early-risk listening on http://{addr} (console: http://{addr}/, health: /readyz)");
    // TCP_NODELAY: small responses must not wait on Nagle and delayed ACKs.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    });
    // The peer address keys the per-client sign-in rate limits.
    let app = crate::http::router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving HTTP")?;
    tracing::info!("shutting down");
    if let Some(background) = background {
        background.stop().await;
    }
    Ok(())
}

/// Waits for Ctrl-C or SIGTERM.
pub(super) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
