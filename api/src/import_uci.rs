//! `early-risk import-uci FILE`: a CSV in the UCI "Default of Credit Card
//! Clients" layout, each client stored as the commands that record its
//! account, statements, payments, purchases and days past due — so the same
//! projections compute its features. The default flag is an outcome, never
//! stored as a feature; demographics are not stored at all. Re-running stores
//! nothing twice.

use std::path::Path;

use anyhow::Context;
use domain::customer::Addressed;
use domain::values::CustomerId;
use domain::Customer;
use indicatif::ProgressBar;
use store::{CommandBus, Metadata};

use crate::import::{commit, ImportReport};

/// Imports `path`, `batch_size` commands per commit.
pub async fn import_uci(
    bus: &CommandBus<Customer>,
    path: &Path,
    batch_size: usize,
    progress: bool,
) -> anyhow::Result<ImportReport> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let clients = training::read_uci(std::io::BufReader::new(file))?;
    let bar = if progress {
        ProgressBar::new(clients.len() as u64)
    } else {
        ProgressBar::hidden()
    };
    let meta = Metadata::system(
        "import-uci",
        format!("import-uci:{}:{}", path.display(), uuid::Uuid::new_v4()),
    );
    let mut report = ImportReport::default();
    let mut chunk: Vec<(usize, Addressed)> = Vec::with_capacity(batch_size);
    for (row, client) in clients.iter().enumerate() {
        // Row numbers as in the file (the header is line 1).
        let line = row + 2;
        let (id, commands) = training::uci_log::client_commands(client)?;
        let customer_id =
            CustomerId::parse(&id).map_err(|e| anyhow::anyhow!("line {line}: {e}"))?;
        for command in commands {
            report.lines += 1;
            chunk.push((
                line,
                Addressed {
                    customer_id: customer_id.clone(),
                    command,
                },
            ));
        }
        if chunk.len() >= batch_size {
            commit(bus, std::mem::take(&mut chunk), &meta, &mut report).await?;
        }
        bar.inc(1);
    }
    commit(bus, chunk, &meta, &mut report).await?;
    bar.finish_and_clear();
    Ok(report)
}
