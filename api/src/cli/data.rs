//! The data commands: `migrate`, `import`, `import-uci`, `rebuild` and
//! `day-end`. Each opens the database (migrating it) and uses what its job
//! needs: a command bus, the owner's pool, a model.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::database::DatabaseArgs;

/// `early-risk migrate`.
pub(super) async fn migrate(db: DatabaseArgs) -> anyhow::Result<ExitCode> {
    let db = db.open().await?;
    println!("migrations applied");
    db.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

/// `early-risk import`.
pub(super) async fn import_commands(
    db: DatabaseArgs,
    file: PathBuf,
    batch_size: usize,
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    let skew = crate::http::clock::max_future_skew_from_env().map_err(anyhow::Error::msg)?;
    import(db, |bus| async move {
        crate::import::import_file(&bus, &file, batch_size.clamp(1, 10_000), !quiet, skew).await
    })
    .await
}

/// `early-risk import-uci`.
pub(super) async fn import_uci(
    db: DatabaseArgs,
    file: PathBuf,
    batch_size: usize,
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    import(db, |bus| async move {
        crate::import_uci::import_uci(&bus, &file, batch_size.clamp(1, 10_000), !quiet).await
    })
    .await
}

/// `early-risk rebuild`.
pub(super) async fn rebuild(
    db: DatabaseArgs,
    model: crate::model::ModelArgs,
    projection: Option<String>,
    batch: i64,
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    let db = db.open().await?;
    let model = model.load(&db.pool).await?;
    // A rebuild creates and swaps tables: the owner's work.
    let reports = projections::supervisor::rebuild_named(
        &db.owner,
        model,
        projection.as_deref(),
        batch.max(1),
        !quiet,
    )
    .await;
    db.shutdown().await;
    for r in reports? {
        println!("{}", serde_json::to_string(&r)?);
    }
    Ok(ExitCode::SUCCESS)
}

/// `early-risk day-end`.
pub(super) async fn day_end(
    db: DatabaseArgs,
    model: crate::model::ModelArgs,
    day: Option<chrono::NaiveDate>,
    page: i64,
) -> anyhow::Result<ExitCode> {
    let day = match day {
        Some(d) => d,
        None => chrono::Utc::now()
            .date_naive()
            .pred_opt()
            .context("no day before today")?,
    };
    let db = db.open().await?;
    let ran = async {
        let model = model.load(&db.pool).await?;
        projections::day_end::DayEnd::new(db.pool.clone(), model)
            .with_page(page)
            .run(day)
            .await
            .map_err(anyhow::Error::from)
    }
    .await;
    db.shutdown().await;
    match ran? {
        Some(report) => {
            println!("{}", serde_json::to_string(&report)?);
            Ok(ExitCode::SUCCESS)
        }
        None => {
            eprintln!("another process is evaluating day ends; try again when it is done");
            Ok(ExitCode::from(3))
        }
    }
}

/// Runs an import through the command bus, prints its summary, and exits 2
/// when any line was refused.
async fn import<F, Fut>(db: DatabaseArgs, run: F) -> anyhow::Result<ExitCode>
where
    F: FnOnce(store::CommandBus<domain::Customer>) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<crate::import::ImportReport>>,
{
    let db = db.open().await?;
    // A command bus, and the notifier that wakes other processes' readers
    // after each commit: all an import needs.
    let notifier = store::notifier::Notifier::start(db.pool.clone());
    let store = store::PgEventStore::new(db.pool.clone()).with_notifier(notifier);
    let report = run(store::CommandBus::new(store)).await;
    db.shutdown().await;
    let report = report?;
    println!("{}", report.summary());
    Ok(if report.rejected == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
