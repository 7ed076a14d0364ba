//! The feature vector of a folded state at a moment: each feature is
//! computed by its own family (`spend`, `repayment`) from the state, which
//! itself only folds events.

use chrono::{DateTime, Utc};

use super::state::FeatureState;
use super::{repayment, spend, Features};

impl FeatureState {
    /// The features as of `as_of`, from what happened at or before it (see
    /// `state`'s module docs for the resolution of folded events after `as_of`).
    pub fn features(&self, as_of: DateTime<Utc>) -> Features {
        Features {
            utilisation: spend::utilisation(self, as_of),
            over_limit_count: spend::over_limit_count(self, as_of),
            cash_withdrawal_share: spend::cash_withdrawal_share(self, as_of),
            spend_change_pct: spend::spend_change_pct(self, as_of),
            merchant_mix_index: spend::merchant_mix_index(self, as_of),
            merchant_mix_change: spend::merchant_mix_change(self, as_of),
            payment_ratio: repayment::payment_ratio(self, as_of),
            min_due_frequency: repayment::min_due_frequency(self, as_of),
            consecutive_min_only: repayment::consecutive_min_only(self, as_of),
            payment_stability: repayment::payment_stability(self, as_of),
            spend_volatility: spend::spend_volatility(self, as_of),
            days_past_due: repayment::days_past_due(self, as_of),
            max_days_past_due_6m: repayment::max_days_past_due_6m(self, as_of),
            late_months_6m: repayment::late_months_6m(self, as_of),
            returned_payments_90d: repayment::returned_payments_90d(self, as_of),
            credit_limit: spend::credit_limit(self, as_of),
            utilisation_trend: spend::utilisation_trend(self, as_of),
            payment_ratio_change: repayment::payment_ratio_change(self, as_of),
        }
    }
}
