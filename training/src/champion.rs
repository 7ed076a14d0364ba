//! Champion or challenger: the seed's LR + tree ensemble against the boosted
//! forest, chosen on a validation part of the training rows (never on the
//! test split the figures are reported on), then refitted on all of them.

use domain::risk::{Ensemble, ModelArtifact};

use crate::boost::{fit_boosted, BoostConfig};
use crate::dataset::Dataset;
use crate::fit::{fit, left_out_by_config, FitConfig};
use crate::metrics::evaluate;
use crate::TrainingError;

/// Share of the training rows held back to choose the champion.
pub const VALIDATION_FRACTION: f64 = 0.2;

/// Salt of the validation split's hash (a split independent of the test one).
const VALIDATION_SALT: u64 = 0x7a11_da7e;

/// Weights of a boosted champion: the forest alone decides; the baseline's
/// two models stay in the artifact, scored and explained beside it.
pub const BOOSTED_CHAMPION: Ensemble = Ensemble {
    logistic_weight: 0.0,
    tree_weight: 0.0,
    boosted_weight: 1.0,
};

/// Weights of a blend: the forest and the baseline decide together, each
/// with its own exact explanation, so the contributions still add up.
pub const BLEND: Ensemble = Ensemble {
    logistic_weight: 0.3,
    tree_weight: 0.2,
    boosted_weight: 0.5,
};

/// Which model decides in an artifact trained on a command log.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Deciding {
    /// The seed's LR (0.6) + tree (0.4).
    Baseline,
    /// The boosted forest alone.
    Boosted(BoostConfig),
    /// [`BLEND`]: half the forest, half the baseline.
    Blend(BoostConfig),
}

/// `baseline` with the forest `deciding` asks for fitted on `train` and
/// attached (unchanged for [`Deciding::Baseline`]).
pub fn deciding_model(
    baseline: ModelArtifact,
    train: &Dataset,
    cfg: &FitConfig,
    deciding: Deciding,
) -> Result<ModelArtifact, TrainingError> {
    match deciding {
        Deciding::Baseline => Ok(baseline),
        Deciding::Boosted(boost) => with_forest(&baseline, train, cfg, &boost),
        Deciding::Blend(boost) => {
            let mut m = with_forest(&baseline, train, cfg, &boost)?;
            m.ensemble = BLEND;
            Ok(m)
        }
    }
}

/// The two candidates' ensemble AUCs on the validation rows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Choice {
    /// The LR + tree baseline.
    pub baseline_auc: f64,
    /// The boosted challenger.
    pub boosted_auc: f64,
}

impl Choice {
    /// Whether the challenger won (strictly: a tie keeps the baseline).
    pub fn boosted_wins(&self) -> bool {
        self.boosted_auc > self.baseline_auc
    }
}

/// The baseline artifact with a forest fitted on `train` attached and
/// deciding (the baseline's two models stay, scored and explained beside it).
pub fn with_forest(
    baseline: &ModelArtifact,
    train: &Dataset,
    cfg: &FitConfig,
    boost: &BoostConfig,
) -> Result<ModelArtifact, TrainingError> {
    let forest = fit_boosted(train, boost, &left_out_by_config(cfg.leave_out))?;
    let mut deciding = baseline.clone();
    deciding.boosted = Some(forest);
    deciding.ensemble = BOOSTED_CHAMPION;
    Ok(deciding)
}

/// Fits both candidates on part of `train` and measures them on the rest.
pub fn choose(
    train: &Dataset,
    cfg: &FitConfig,
    boost: &BoostConfig,
) -> Result<Choice, TrainingError> {
    let (part, validation) = train.split(VALIDATION_FRACTION, cfg.seed ^ VALIDATION_SALT);
    let baseline = fit(&part, cfg, "validation", "validation", "validation")?;
    let boosted = with_forest(&baseline, &part, cfg, boost)?;
    Ok(Choice {
        baseline_auc: evaluate(&baseline, &validation).ensemble.auc,
        boosted_auc: evaluate(&boosted, &validation).ensemble.auc,
    })
}
