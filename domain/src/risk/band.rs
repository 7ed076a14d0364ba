//! Risk bands and the thresholds that cut a probability into them.

use serde::{Deserialize, Serialize};

/// A risk band. Ordered `Low < Medium < High`; serialised as `"Low"`,
/// `"Medium"`, `"High"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Band {
    /// Ensemble probability below the medium threshold.
    Low,
    /// At or above the medium threshold, below the high one.
    Medium,
    /// At or above the high threshold.
    High,
}

impl Band {
    /// The band of probability `p`. A NaN probability is banded High, so that
    /// a broken input fails towards attention rather than silence.
    pub fn of(p: f64, thresholds: &BandThresholds) -> Band {
        if p.is_nan() || p >= thresholds.high {
            Band::High
        } else if p >= thresholds.medium {
            Band::Medium
        } else {
            Band::Low
        }
    }
}

/// Band thresholds on the ensemble probability:
/// Low < `medium` ≤ Medium < `high` ≤ High.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandThresholds {
    /// Lowest probability banded Medium, e.g. 0.33.
    pub medium: f64,
    /// Lowest probability banded High, e.g. 0.66.
    pub high: f64,
}
