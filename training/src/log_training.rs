//! Training and evaluation on a command log (the simulator's NDJSON): replay,
//! point-in-time rows every `step_days`, a split by customer, the two fits,
//! and the early-warning evaluation on the held-out customers.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use domain::risk::ModelArtifact;
use serde::Serialize;

use crate::dataset::unit_hash;
use crate::pit::{point_in_time, replay, Observation};
use crate::warning::{evaluate_observations, Evaluation};
use crate::{fit, FitConfig, TrainingError, TEST_FRACTION};

/// What training on a log produced.
#[derive(Debug, Serialize)]
pub struct LogTraining {
    /// The artifact (metrics recorded in `training.metrics`).
    #[serde(skip)]
    pub artifact: ModelArtifact,
    /// Customers in the log.
    pub customers: usize,
    /// Lines the aggregate refused.
    pub refused_lines: usize,
    /// Training rows.
    pub train_rows: usize,
    /// Evaluation on the held-out customers.
    pub test: Evaluation,
    /// SVG figures (file name, content): ROC, calibration, lead times.
    #[serde(skip)]
    pub plots: Vec<(String, String)>,
}

fn open(path: &Path) -> Result<BufReader<File>, TrainingError> {
    File::open(path)
        .map(BufReader::new)
        .map_err(|e| TrainingError::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        })
}

/// Trains on the log at `path`.
pub fn train_from_log(
    path: &Path,
    cfg: &FitConfig,
    step_days: i64,
    trained_at: &str,
) -> Result<LogTraining, TrainingError> {
    let (histories, refused_lines) = replay(open(path)?)?;
    let (data, observations) = point_in_time(&histories, step_days);
    let (train, _) = data.split(TEST_FRACTION, cfg.seed);
    let description = format!(
        "simulated portfolio {} ({} customers); point-in-time rows every {step_days} days, \
         label: 30+ days past due within 90 days; {}% of customers held out",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        histories.len(),
        (TEST_FRACTION * 100.0).round()
    );
    let mut artifact = fit(&train, cfg, "sim-pit-lr-tree", &description, trained_at)?;
    let held_out: Vec<Observation> = observations
        .into_iter()
        .filter(|o| unit_hash(&o.customer_id, cfg.seed) < TEST_FRACTION)
        .collect();
    let test = evaluate_observations(&artifact, &held_out);
    for (name, f) in &test.scorers {
        artifact
            .training
            .metrics
            .insert(format!("{name}_auc_test"), f.auc);
        artifact
            .training
            .metrics
            .insert(format!("{name}_precision_high_test"), f.precision_high);
        artifact
            .training
            .metrics
            .insert(format!("{name}_recall_high_test"), f.recall_high);
    }
    artifact.training.metrics.insert(
        "flagged_30_days_early_test".into(),
        test.early_warning.flagged_30_days_early,
    );
    artifact.training.metrics.insert(
        "false_alarm_rate_test".into(),
        test.early_warning.false_alarm_rate,
    );
    artifact
        .validate()
        .map_err(|e| TrainingError::Artifact(e.to_string()))?;
    let plots = figures(&artifact, &held_out, &test);
    Ok(LogTraining {
        artifact,
        customers: histories.len(),
        refused_lines,
        train_rows: train.len(),
        test,
        plots,
    })
}

/// The model card's figures on the held-out observations.
fn figures(
    model: &ModelArtifact,
    held_out: &[Observation],
    test: &Evaluation,
) -> Vec<(String, String)> {
    let labels: Vec<bool> = held_out.iter().map(|o| o.label).collect();
    let scored: Vec<_> = held_out
        .iter()
        .map(|o| domain::risk::assess(model, &o.features).scores)
        .collect();
    let lr: Vec<f64> = scored.iter().map(|s| s.logistic).collect();
    let tree: Vec<f64> = scored.iter().map(|s| s.tree).collect();
    let ensemble: Vec<f64> = scored.iter().map(|s| s.ensemble).collect();
    let curves: [(&str, &[f64], &[bool]); 3] = [
        ("logistic", &lr, &labels),
        ("tree", &tree, &labels),
        ("ensemble", &ensemble, &labels),
    ];
    vec![
        ("roc.svg".into(), crate::plots::roc_svg(&curves)),
        (
            "calibration.svg".into(),
            crate::plots::calibration_svg("ensemble", &ensemble, &labels, 10),
        ),
        (
            "lead-time.svg".into(),
            crate::plots::lead_time_svg(&test.early_warning.lead_days, 14.0),
        ),
    ]
}

/// Evaluates `model` on every point-in-time observation of the log at `path`
/// (only the held-out customers of a training run when `held_out_seed` is
/// that run's seed).
pub fn evaluate_log(
    path: &Path,
    model: &ModelArtifact,
    step_days: i64,
    held_out_seed: Option<u64>,
) -> Result<Evaluation, TrainingError> {
    let (histories, _) = replay(open(path)?)?;
    let (_, mut observations) = point_in_time(&histories, step_days);
    if let Some(seed) = held_out_seed {
        observations.retain(|o| unit_hash(&o.customer_id, seed) < TEST_FRACTION);
    }
    Ok(evaluate_observations(model, &observations))
}

/// A model card in Markdown: data, features, figures, limits.
pub fn model_card(t: &LogTraining) -> String {
    let a = &t.artifact;
    let mut s = format!(
        "# Model card: {}\n\nVersion `{}` (sha256 of the artifact's canonical bytes), rule set `{}`, trained {}.\n\n\
         ## Data\n{}\n\n{} customers, {} training rows, {} log lines refused by the aggregate.\n\n\
         ## Model\nLogistic regression on standardised features (0.6) and a decision tree (0.4); \
         bands Low < {:.2} ≤ Medium < {:.2} ≤ High; rules can only raise the band.\n\n{}\n\n## Features\n",
        a.name,
        a.version(),
        a.rules.version,
        a.training.trained_at,
        a.training.data,
        t.customers,
        t.train_rows,
        t.refused_lines,
        a.bands.medium,
        a.bands.high,
        a.training.notes
    );
    for (f, c) in a.features.iter().zip(&a.logistic.coefficients) {
        s.push_str(&format!("- `{f}` (LR coefficient {c:+.4})\n"));
    }
    s.push_str("\n## Held-out figures\n\n| scorer | AUC | accuracy | precision High | recall High | Brier | KS |\n|---|---|---|---|---|---|---|\n");
    for (name, f) in &t.test.scorers {
        s.push_str(&format!(
            "| {name} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |\n",
            f.auc, f.accuracy, f.precision_high, f.recall_high, f.brier, f.ks
        ));
    }
    let w = &t.test.early_warning;
    s.push_str(&format!(
        "\nEarly warning: {:.1}% of the {} customers who became delinquent were flagged High at least 30 days \
         before (median lead {:.0} days); {:.1}% of the {} never-delinquent customers were ever flagged High.\n\n\
         ## Limits\nTrained on a simulated portfolio: the figures say how well the model finds the stress patterns \
         the simulator knows, not how a real portfolio behaves. Refits of the tree are not guaranteed identical \
         across processes; the artifact, not a refit, is what decisions are replayed with.\n",
        w.flagged_30_days_early * 100.0,
        w.delinquent_customers,
        w.median_lead_days,
        w.false_alarm_rate * 100.0,
        w.never_delinquent_customers
    ));
    s
}
