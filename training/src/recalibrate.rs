//! The alert policy chosen again on a bank's own history, the model kept.
//!
//! A probability threshold chosen on our portfolios does not carry to
//! another bank's: on the blind generators the same High threshold messaged
//! 18–22 % of one portfolio's healthy customers and reached only 23–34 % of
//! another's delinquents early (`docs/decision.md`). A bank has what is
//! needed to choose it on its own customers: their past, in which days past
//! due say who became delinquent. This replays that history through the
//! production decide function, as `train` does on its validation customers,
//! and chooses the High threshold and the rules that may set High so that
//! the false-alarm budget holds on each log given. The scorers are not
//! touched; the result is a new artifact (a new version), so every
//! decision still names the exact policy that made it and replays.

use std::collections::BTreeMap;
use std::path::PathBuf;

use domain::risk::ModelArtifact;

use crate::log_training::{calibrate, replay_all, Calibration};
use crate::pit::{point_in_time, History};
use crate::TrainingError;

/// A recalibrated artifact and how its policy was chosen.
#[derive(Clone, Debug)]
pub struct Recalibrated {
    /// The artifact with its new bands and rule bands.
    pub artifact: ModelArtifact,
    /// The choice: budget, curve, chosen point, rules that set High.
    pub calibration: Calibration,
    /// Lines of the logs the aggregate refused (not used).
    pub refused_lines: usize,
}

/// Chooses `model`'s alert policy on the bank's logs at `paths` (one
/// portfolio each) within `budget`.
pub fn recalibrate_from_logs(
    model: &ModelArtifact,
    paths: &[PathBuf],
    step_days: i64,
    budget: f64,
) -> Result<Recalibrated, TrainingError> {
    let (histories, portfolio_of, refused_lines) = replay_all(paths)?;
    let names: Vec<String> = paths
        .iter()
        .map(|p| {
            p.file_name()
                .map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into())
        })
        .collect();
    let mut r = recalibrate(model, &histories, &portfolio_of, step_days, budget, &names)?;
    r.refused_lines = refused_lines;
    Ok(r)
}

/// [`recalibrate_from_logs`] on replayed `histories`, each customer's
/// portfolio in `portfolio_of`, the logs named `names` in the notes.
pub fn recalibrate(
    model: &ModelArtifact,
    histories: &BTreeMap<String, History>,
    portfolio_of: &BTreeMap<String, usize>,
    step_days: i64,
    budget: f64,
    names: &[String],
) -> Result<Recalibrated, TrainingError> {
    if !(budget > 0.0 && budget < 1.0) {
        return Err(TrainingError::Data(format!(
            "the false-alarm budget must be a share between 0 and 1, not {budget}"
        )));
    }
    let delinquent = histories
        .values()
        .filter(|h| h.first_delinquent().is_some())
        .count();
    if delinquent == 0 || delinquent == histories.len() {
        return Err(TrainingError::Data(format!(
            "the history must hold customers who became delinquent and customers who did not \
             ({delinquent} of {} did)",
            histories.len()
        )));
    }
    let (_, observations) = point_in_time(histories, step_days.max(1));
    let mut artifact = model.clone();
    let calibration = calibrate(
        &mut artifact,
        histories,
        portfolio_of,
        &observations,
        budget,
    );
    let note = format!(
        "alert policy recalibrated on {} ({} customers, {delinquent} delinquent): High from {:.2}, \
         within a false-alarm budget of {:.0} % on each log",
        names.join(", "),
        histories.len(),
        calibration.chosen.high,
        budget * 100.0
    );
    artifact.training.notes = if artifact.training.notes.is_empty() {
        note
    } else {
        format!("{}; {note}", artifact.training.notes)
    };
    artifact
        .validate()
        .map_err(|e| TrainingError::Artifact(e.to_string()))?;
    Ok(Recalibrated {
        artifact,
        calibration,
        refused_lines: 0,
    })
}
