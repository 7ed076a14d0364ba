//! The offline trainer of Early Risk Signals: turns the UCI credit-card
//! default data into event histories, computes features with the production
//! feature code, fits a logistic regression and a decision tree (linfa 0.8)
//! and writes them as one validated, versioned [`ModelArtifact`].
//!
//! Pure library: no database, no clock (the training time is a parameter),
//! no randomness (splits hash customer ids with a seed).
//!
//! # Layout
//! - [`uci`] — reading the UCI CSV; one client as events.
//! - [`uci_log`] — the UCI data as commands (import) and as observations (evaluate).
//! - [`dataset`] — feature rows with labels; deterministic id-hash splits.
//! - [`fit`] — standardisation, the two fits, the artifact.
//! - `tree` — linfa tree to artifact nodes, covers and leaf probabilities.
//! - [`boost`] — the challenger: gradient-boosted trees (Newton steps on
//!   binned features, deterministic).
//! - [`champion`] — baseline or challenger, chosen on validation rows.
//! - [`metrics`] — AUC, accuracy, Brier, KS with the production scorer.
//! - [`simulate`] — a deterministic synthetic portfolio (NDJSON commands and
//!   the ground truth of stress and delinquency), seeded ChaCha per customer.
//! - [`feed`] — a command log reshaped as another bank's feed would carry
//!   it (no returns, monthly days past due, coarser transactions and merchant
//!   codes, other limits), to measure a model beyond its own portfolios;
//!   and the features whose level a feed sets, which the simulated model
//!   does not read.
//! - [`log_training`] — train and evaluate on a simulator command log.
//! - [`plots`] — self-contained SVG figures for a model card: ROC curves,
//!   calibration (reliability) diagram, early-warning lead-time histogram.
//! - [`pit`] — point-in-time rows from a command log (no look-ahead).
//! - [`warning`] — per-scorer figures, band mix and early-warning lead times.
//! - [`deployed`] — the system as deployed: decisions at every event and each
//!   day's end, alerts on rises into High, what customers experienced, the
//!   High threshold's trade-off curve.
//! - [`confirm`] — confirmation before a message: High held for two
//!   evaluations or a day, applied to the timelines.
//! - [`rule_table`] — each rule measured on held-out data; rules earn High.
//! - [`report`] — the model card, the rule table and the evaluation table
//!   in words.
//! - `tests` — unit tests on synthetic data and hand-written CSV.

pub mod boost;
pub mod budget;
pub mod champion;
pub mod confirm;
pub mod dataset;
pub mod deployed;
pub mod feed;
pub mod fit;
pub mod log_training;
pub mod metrics;
pub mod pit;
pub mod plots;
pub mod recalibrate;
pub mod report;
pub mod rule_table;
pub mod simulate;
mod tree;
pub mod uci;
pub mod uci_log;
pub mod warning;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_boost;
#[cfg(test)]
mod tests_deployed;
#[cfg(test)]
mod tests_feed;
#[cfg(test)]
mod tests_recalibrate;

use std::path::Path;

use domain::risk::ModelArtifact;

use boost::BoostConfig;
use thiserror::Error;

pub use dataset::{uci_dataset, Dataset};
pub use fit::{fit, FitConfig};
pub use metrics::{evaluate, Metrics, Scorecard};
pub use uci::{client_events, read_uci, UciClient};

/// Why training failed.
#[derive(Debug, Error)]
pub enum TrainingError {
    /// The file could not be read.
    #[error("reading {path}: {reason}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        reason: String,
    },
    /// The CSV is not in the UCI layout.
    #[error("UCI CSV: {0}")]
    Csv(String),
    /// A value cannot become an event or a feature row.
    #[error("data: {0}")]
    Data(String),
    /// linfa failed to fit a model.
    #[error("fit: {0}")]
    Fit(String),
    /// The assembled artifact did not validate.
    #[error("artifact: {0}")]
    Artifact(String),
}

/// Share of customers held out for testing by [`train_uci_default`].
pub const TEST_FRACTION: f64 = 0.2;

/// Trains the default model on a UCI CSV file: features as of 2005-10-01
/// from the synthesised events, an 80/20 split by customer-id hash
/// ([`FitConfig::default`]'s seed), the fit on the 80 %, and metrics of both
/// parts recorded in `training.metrics` (`*_test`, `*_train`). Returns the
/// validated artifact with the test and training metrics.
pub fn train_uci_default(
    csv_path: impl AsRef<Path>,
    trained_at: &str,
) -> Result<(ModelArtifact, Metrics, Metrics), TrainingError> {
    let path = csv_path.as_ref();
    let file = std::fs::File::open(path).map_err(|e| TrainingError::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    let clients = read_uci(std::io::BufReader::new(file))?;
    let cfg = FitConfig::default();
    let data = uci_dataset(&clients)?;
    let (train, test) = data.split(TEST_FRACTION, cfg.seed);
    let description = format!(
        "UCI Default of Credit Card Clients (Yeh & Lien 2009, CC BY 4.0), {} ({} rows); \
         features as of 2005-10-01 from synthesised events; trained on the {} rows outside \
         a {:.0} % test split by customer-id hash (seed {})",
        path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned()
        ),
        data.len(),
        train.len(),
        TEST_FRACTION * 100.0,
        cfg.seed
    );
    let baseline = fit(
        &train,
        &cfg,
        "uci-default-lr-tree",
        &description,
        trained_at,
    )?;
    let boost = BoostConfig::default();
    let choice = champion::choose(&train, &cfg, &boost)?;
    let boosted = champion::with_forest(&baseline, &train, &cfg, &boost)?;
    let (baseline_test, boosted_test) = (evaluate(&baseline, &test), evaluate(&boosted, &test));
    let mut model = if choice.boosted_wins() {
        let mut m = boosted;
        m.name = "uci-default-boosted".to_owned();
        m
    } else {
        baseline
    };
    model.training.notes.push_str(&format!(
        " Challenger: gradient-boosted trees ({} trees, depth {}, rate {}, at least {} rows a \
         side, lambda {}, {} bins, no sampling). Champion chosen on a {:.0} % validation part \
         of the training rows: {} (validation AUC baseline {:.4}, boosted {:.4}); refitted on \
         all training rows.",
        boost.trees,
        boost.max_depth,
        boost.learning_rate,
        boost.min_leaf,
        boost.lambda,
        boost.max_bins,
        champion::VALIDATION_FRACTION * 100.0,
        if choice.boosted_wins() {
            "boosted"
        } else {
            "LR + tree"
        },
        choice.baseline_auc,
        choice.boosted_auc,
    ));
    for (key, value) in [
        ("auc_validation_baseline", choice.baseline_auc),
        ("auc_validation_boosted", choice.boosted_auc),
        ("auc_test_baseline", baseline_test.ensemble.auc),
        ("auc_test_boosted", boosted_test.ensemble.auc),
    ] {
        model.training.metrics.insert(key.to_owned(), value);
    }
    let test_metrics = evaluate(&model, &test);
    let train_metrics = evaluate(&model, &train);
    model.training.metrics.extend(test_metrics.named("test"));
    model.training.metrics.extend(train_metrics.named("train"));
    model
        .validate()
        .map_err(|e| TrainingError::Artifact(e.to_string()))?;
    Ok((model, test_metrics, train_metrics))
}
