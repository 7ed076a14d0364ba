//! Reason codes: the customer-readable "why" of an assessment, each with a
//! short "what would help".
//!
//! Order: first the fired rules (they set the band), one per feature — the
//! highest-band rule on it, the first in rule order on a tie — highest band
//! first, then rule order; then the model's top `top_n` features with a
//! positive combined contribution (they raised the risk), largest first, ties
//! in feature order, leaving out features a rule already explained. A model
//! reason is only given when its text states something adverse (never "0 days
//! past due" or "0% of your credit limit") and the value measures something
//! (a merchant mix of 0 from fewer than two purchases, or a payment
//! variability of 0 from fewer than two statements, is no data, not a
//! reason); a contribution that lowers the score is never a reason for risk.
//! Every fired rule stays in `Assessment::fired_rules` for audit.

use serde::{Deserialize, Serialize};

use super::explain::Explanation;
use super::rules::FiredRule;
use super::text::render;
use crate::features::FEATURE_COUNT;

/// Model reasons given by default.
pub const DEFAULT_TOP_N: usize = 3;

/// One reason, ready to show a customer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReasonCode {
    /// `"rule:<rule id>"` or `"model:<feature>"`.
    pub code: String,
    /// The feature it is about.
    pub feature: Option<String>,
    /// Plain-language reason, e.g. "You have used 94% of your credit limit".
    pub text: String,
    /// What would help, e.g. "Paying down part of the balance lowers your utilisation".
    pub help: String,
    /// The feature's combined contribution to the ensemble probability (0 if
    /// the model does not use it).
    pub contribution: f64,
}

/// When a feature's text states something adverse.
#[derive(Clone, Copy)]
enum Adverse {
    /// Value rounds to a percentage ≥ 1 %.
    Percent,
    /// Value rounds to a whole number ≥ 1.
    Count,
    /// Value < 1.
    BelowOne,
    /// Value rounds to a non-zero percentage.
    NonZero,
    /// Value ≥ 0.05: the feature is 0 when there is no data to measure
    /// (fewer than two statements, or too short a history), and a 0 that
    /// means "no data" is not a reason.
    Measured,
    /// Value in (0, 0.5): a narrow mix; 0 means fewer than two purchases.
    NarrowMix,
    /// Value ≤ −0.05: fell against the customer's own earlier months (the
    /// mix narrowed, a smaller share paid); 0 when there is nothing earlier.
    Fell,
    /// Never: the feature is not the customer's behaviour (the credit limit
    /// the bank set), so it is never put to them as a reason.
    Never,
}

impl Adverse {
    fn holds(self, v: f64) -> bool {
        match self {
            Adverse::Percent => v >= 0.005,
            Adverse::Count => v >= 0.5,
            Adverse::BelowOne => v < 1.0,
            Adverse::NonZero => libm::fabs(v) >= 0.005,
            Adverse::Measured => v >= 0.05,
            Adverse::NarrowMix => v > 0.0 && v < 0.5,
            Adverse::Fell => v <= -0.05,
            Adverse::Never => false,
        }
    }
}

const PAY_MORE: &str =
    "Paying more than the minimum, even a little, brings the balance down faster";
const DIRECT_DEBIT: &str = "A direct debit for at least the minimum due helps avoid late payments";
const TALK: &str =
    "If essentials are taking up more of your budget, we can talk through your options";

/// (feature, text template, help, when adverse).
const WORDING: [(&str, &str, &str, Adverse); FEATURE_COUNT] = [
    (
        "utilisation",
        "You have used {percent} of your credit limit",
        "Paying down part of the balance lowers your utilisation",
        Adverse::Percent,
    ),
    (
        "over_limit_count",
        "Your balance went over your credit limit on {count} day{s} in the last year",
        "Keeping the balance under the limit avoids over-limit fees",
        Adverse::Count,
    ),
    (
        "cash_withdrawal_share",
        "Cash withdrawals were {percent} of your card spending in the last 30 days",
        "Using the card for purchases rather than cash avoids cash fees and interest",
        Adverse::Percent,
    ),
    (
        "spend_change_pct",
        "Your card spending changed by {signed_percent} compared with previous months",
        "If your income or costs have changed, talking to us early lets us help plan repayments",
        Adverse::NonZero,
    ),
    (
        "merchant_mix_index",
        "Most of your recent card spending went to a few kinds of shops",
        TALK,
        Adverse::NarrowMix,
    ),
    (
        "merchant_mix_change",
        "Your spending has narrowed to fewer kinds of shops",
        TALK,
        Adverse::Fell,
    ),
    (
        "payment_ratio",
        "Your last payment covered {percent} of your statement balance",
        "Paying more than the minimum reduces the balance and the interest you pay",
        Adverse::BelowOne,
    ),
    (
        "min_due_frequency",
        "You paid only about the minimum due on {percent} of your recent statements",
        PAY_MORE,
        Adverse::Percent,
    ),
    (
        "consecutive_min_only",
        "You paid only the minimum due in the last {count} statement{s}",
        PAY_MORE,
        Adverse::Count,
    ),
    (
        "payment_stability",
        "Your payments have varied a lot from month to month",
        "A regular payment by direct debit keeps repayments steady",
        Adverse::Measured,
    ),
    (
        "spend_volatility",
        "Your monthly card spending has varied a lot",
        "A monthly budget helps keep spending predictable",
        Adverse::Measured,
    ),
    (
        "days_past_due",
        "Your account is {count} day{s} past due",
        "Paying at least the minimum due now brings your account up to date",
        Adverse::Count,
    ),
    (
        "max_days_past_due_6m",
        "Your account was up to {count} day{s} past due in the last 6 months",
        DIRECT_DEBIT,
        Adverse::Count,
    ),
    (
        "late_months_6m",
        "A payment was late in {count} of the last 6 months",
        DIRECT_DEBIT,
        Adverse::Count,
    ),
    (
        "returned_payments_90d",
        "{count} payment{s} to your card came back unpaid in the last 90 days",
        "Paying from an account with enough money in it on the day avoids returned-payment fees",
        Adverse::Count,
    ),
    ("credit_limit", "", "", Adverse::Never),
    (
        "utilisation_trend",
        "You are using {percent} more of your credit limit than in earlier months",
        "Paying down part of the balance lowers your utilisation",
        Adverse::Measured,
    ),
    (
        "payment_ratio_change",
        "Your last two payments covered a smaller share of your balance than the ones before ({signed_percent})",
        PAY_MORE,
        Adverse::Fell,
    ),
];

const GENERIC_HELP: &str = "Talk to us: we can help find a repayment plan that works for you";

fn wording(feature: &str) -> Option<(&'static str, &'static str, Adverse)> {
    WORDING
        .iter()
        .find(|w| w.0 == feature)
        .map(|w| (w.1, w.2, w.3))
}

/// The reason codes of an explanation and the rules that fired (see the
/// module documentation for the selection and order).
pub fn reason_codes(
    explanation: &Explanation,
    fired: &[FiredRule],
    top_n: usize,
) -> Vec<ReasonCode> {
    let contribution = |feature: &str| {
        explanation
            .contributions
            .iter()
            .find(|c| c.feature == feature)
            .map_or(0.0, |c| c.combined)
    };
    // One rule per feature: the highest band, the first on a tie.
    let mut chosen: Vec<(usize, &FiredRule)> = Vec::new();
    for (k, rule) in fired.iter().enumerate() {
        match chosen.iter_mut().find(|(_, r)| r.feature == rule.feature) {
            Some(slot) if rule.band > slot.1.band => *slot = (k, rule),
            Some(_) => {}
            None => chosen.push((k, rule)),
        }
    }
    chosen.sort_by(|a, b| b.1.band.cmp(&a.1.band).then(a.0.cmp(&b.0)));
    let mut out: Vec<ReasonCode> = chosen
        .iter()
        .map(|(_, rule)| ReasonCode {
            code: format!("rule:{}", rule.id),
            feature: Some(rule.feature.clone()),
            text: rule.reason.clone(),
            help: wording(&rule.feature)
                .map_or(GENERIC_HELP, |w| w.1)
                .to_owned(),
            contribution: contribution(&rule.feature),
        })
        .collect();
    let mut model: Vec<_> = explanation
        .contributions
        .iter()
        .filter(|c| c.combined > 0.0)
        .filter(|c| !chosen.iter().any(|(_, r)| r.feature == c.feature))
        .filter_map(|c| wording(&c.feature).map(|w| (c, w)))
        .filter(|(c, w)| w.2.holds(c.value))
        .collect();
    // Stable sort: ties keep feature order.
    model.sort_by(|a, b| b.0.combined.total_cmp(&a.0.combined));
    out.extend(
        model
            .into_iter()
            .take(top_n)
            .map(|(c, (text, help, _))| ReasonCode {
                code: format!("model:{}", c.feature),
                feature: Some(c.feature.clone()),
                text: render(text, c.value, 0.0),
                help: help.to_owned(),
                contribution: c.combined,
            }),
    );
    out
}
