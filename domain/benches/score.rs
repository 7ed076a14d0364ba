//! Cost of assessing one customer with the demonstration model: score, rules,
//! SHAP explanation (linear + path-dependent TreeSHAP) and reason codes.
//! Target: ≤ 20 µs per call. Run with `cargo bench -p domain --bench score`;
//! criterion prints the time per call.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use domain::features::Features;
use domain::risk::{assess, demo_artifact};

/// A moderately risky customer: high utilisation, a few days past due, some
/// cash use, minimum-only payments.
fn customer() -> Features {
    Features {
        utilisation: 0.86,
        over_limit_count: 1.0,
        cash_withdrawal_share: 0.18,
        spend_change_pct: -0.25,
        merchant_mix_index: 0.42,
        merchant_mix_change: -0.12,
        payment_ratio: 0.08,
        min_due_frequency: 0.67,
        consecutive_min_only: 2.0,
        payment_stability: 0.35,
        spend_volatility: 0.55,
        days_past_due: 6.0,
        max_days_past_due_6m: 12.0,
        late_months_6m: 1.0,
        returned_payments_90d: 0.0,
        utilisation_trend: 0.0,
        payment_ratio_change: 0.0,
        credit_limit: 5_000.0,
    }
}

fn bench(c: &mut Criterion) {
    let model = demo_artifact();
    let features = customer();
    c.bench_function("score_and_explain", |b| {
        b.iter(|| assess(black_box(&model), black_box(&features)))
    });
    c.bench_function("score_only", |b| {
        b.iter(|| black_box(&model).score(black_box(&features)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
