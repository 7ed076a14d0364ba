//! `early-risk import FILE`: NDJSON commands in the wire shape (see
//! [`crate::wire`]), committed in batches. Every line is answered: bad lines
//! are reported with their line number and the field at fault, good lines are
//! stored, and re-running the same file stores nothing twice.

use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::Context;
use domain::customer::{Addressed, CustomerError};
use domain::Customer;
use indicatif::{ProgressBar, ProgressStyle};
use store::batch::ItemOutcome;
use store::{CommandBus, CommandError, Metadata};

use crate::problem::Problem;

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ImportReport {
    /// Non-blank lines read.
    pub lines: usize,
    /// Lines stored as new events.
    pub recorded: usize,
    /// Lines that repeated stored facts (a re-run).
    pub repeated: usize,
    /// Lines with nothing to change.
    pub unchanged: usize,
    /// Lines refused.
    pub rejected: usize,
    /// Lines committed one by one because other writers kept changing their
    /// chunk's customers (a live server next to the import).
    pub retried_alone: usize,
    /// The first refusals, as `line N: reason`.
    pub errors: Vec<String>,
}

const MAX_ERRORS_KEPT: usize = 1_000;

impl ImportReport {
    /// One-line summary.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} lines: {} recorded, {} repeated, {} unchanged, {} rejected",
            self.lines, self.recorded, self.repeated, self.unchanged, self.rejected
        );
        if self.retried_alone > 0 {
            s.push_str(&format!(
                " ({} committed line by line: other writers changed their customers)",
                self.retried_alone
            ));
        }
        s
    }

    fn reject(&mut self, line: usize, problem: &Problem) {
        self.rejected += 1;
        let msg = match problem.errors.as_slice() {
            [] => format!("line {line}: {}", problem.detail),
            errs => format!(
                "line {line}: {}",
                errs.iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        };
        eprintln!("{msg}");
        if self.errors.len() < MAX_ERRORS_KEPT {
            self.errors.push(msg);
        }
    }
}

/// Imports `path` through `bus`, `batch_size` lines per commit; a line
/// reporting a fact dated more than `max_future_skew` after the clock is
/// refused like any invalid line.
pub async fn import_file(
    bus: &CommandBus<Customer>,
    path: &Path,
    batch_size: usize,
    progress: bool,
    max_future_skew: chrono::Duration,
) -> anyhow::Result<ImportReport> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = if progress {
        ProgressBar::new(size)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {per_sec} eta {eta} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let meta = Metadata::system(
        "import",
        format!("import:{}:{}", path.display(), uuid::Uuid::new_v4()),
    );
    let mut report = ImportReport::default();
    let mut chunk: Vec<(usize, Addressed)> = Vec::with_capacity(batch_size);
    let reader = BufReader::new(file);
    for (i, line) in reader.lines().enumerate() {
        let line_no = i + 1;
        let line = line.with_context(|| format!("reading line {line_no}"))?;
        bar.inc(line.len() as u64 + 1);
        if line.trim().is_empty() {
            continue;
        }
        report.lines += 1;
        let parsed = crate::http::json::parse::<serde_json::Value>(line.as_bytes())
            .and_then(crate::wire::parse_command)
            .and_then(|a| {
                crate::http::clock::not_from_the_future(&a.command, max_future_skew).map(|()| a)
            });
        match parsed {
            Ok(a) => chunk.push((line_no, a)),
            Err(p) => report.reject(line_no, &p),
        }
        if chunk.len() >= batch_size {
            commit(bus, std::mem::take(&mut chunk), &meta, &mut report).await?;
            bar.set_message(format!("{} recorded", report.recorded));
        }
    }
    commit(bus, chunk, &meta, &mut report).await?;
    bar.finish_and_clear();
    Ok(report)
}

pub(crate) async fn commit(
    bus: &CommandBus<Customer>,
    chunk: Vec<(usize, Addressed)>,
    meta: &Metadata,
    report: &mut ImportReport,
) -> anyhow::Result<()> {
    if chunk.is_empty() {
        return Ok(());
    }
    let (lines, items): (Vec<usize>, Vec<(String, Addressed)>) = chunk
        .into_iter()
        .map(|(l, a)| (l, (a.customer_id.to_string(), a)))
        .unzip();
    let outcomes = match bus.execute_batch(items.clone(), meta).await {
        Ok(outcomes) => outcomes,
        // Other writers (a live server's decisions and alerts) kept changing
        // these customers through every attempt of the whole chunk: the
        // chunk is committed line by line instead, each line with its own
        // retries, so a busy server slows an import down but never aborts it.
        Err(CommandError::Conflict) => {
            report.retried_alone += items.len();
            let mut outcomes = Vec::with_capacity(items.len());
            for (id, item) in items {
                outcomes.push(one_line(bus, &id, item, meta).await?);
            }
            outcomes
        }
        Err(e) => return Err(anyhow::anyhow!("{e}")),
    };
    for (line, outcome) in lines.into_iter().zip(outcomes) {
        match outcome {
            ItemOutcome::Recorded(_) => report.recorded += 1,
            ItemOutcome::Repeat { .. } => report.repeated += 1,
            ItemOutcome::Unchanged => report.unchanged += 1,
            ItemOutcome::Rejected(e) => report.reject(line, &Problem::from_customer(&e)),
        }
    }
    Ok(())
}

/// Rounds of the bus's own conflict retries one line gets before the
/// import gives up on the database (minutes of a hot customer, not a race).
const LINE_ROUNDS: u32 = 50;

/// One line through the single-command path, retried while other writers
/// keep winning the race for its customer.
async fn one_line(
    bus: &CommandBus<Customer>,
    id: &str,
    item: Addressed,
    meta: &Metadata,
) -> anyhow::Result<ItemOutcome<CustomerError>> {
    for round in 0..LINE_ROUNDS {
        match bus.execute(id, item.clone(), meta).await {
            Ok(o) => {
                return Ok(match (o.recorded.into_iter().next(), o.repeat_of) {
                    (Some(c), _) => ItemOutcome::Recorded(c),
                    (None, Some(sequence)) => ItemOutcome::Repeat { sequence },
                    (None, None) => ItemOutcome::Unchanged,
                })
            }
            Err(CommandError::Rejected(e)) => return Ok(ItemOutcome::Rejected(e)),
            Err(CommandError::Conflict) => {
                let pause = 10 * u64::from(round.min(20) + 1);
                tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
            }
            Err(e) => return Err(anyhow::anyhow!("{e}")),
        }
    }
    Err(anyhow::anyhow!(
        "customer {id} was changed concurrently through {LINE_ROUNDS} rounds of retries"
    ))
}
