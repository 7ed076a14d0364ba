//! How a simulated card holder is drawn, once, from their own RNG: persona,
//! limit, habits, and whether (and how) stress comes, with the knobs of the
//! generator's profile making it harder to see.

use super::*;

impl CustomerSim {
    pub(in crate::simulate) fn new(cfg: &SimConfig, index: usize) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        rng.set_stream(index as u64);
        let months = cfg.months;
        // Limit: log-normal around INR 1,50,000, in steps of INR 5,000.
        let limit_inr = (150_000.0 * lognormal(&mut rng, 0.5)).clamp(25_000.0, 1_000_000.0);
        let limit = ((limit_inr / 5_000.0).round() as i64) * 5_000 * 100;
        let salary_day = pick(&mut rng, &[1, 1, 1, 5, 7, 7, 10, 15, 28]);
        let spend_share = rng.gen_range(0.12..0.40);
        let txn_base = rng.gen_range(12..=32);
        // A fifth are revolvers: rarely in full, often a small share.
        let revolver = rng.gen_bool(0.2);
        let (full_payer, share_lo) = if revolver {
            (rng.gen_range(0.0..0.3), 0.15)
        } else {
            (rng.gen_range(0.55..0.98), 0.4)
        };
        let late_prob = if rng.gen_bool(0.4) {
            rng.gen_range(0.01..0.05)
        } else {
            0.0
        };
        let mut weights = [0.0; CATEGORIES.len()];
        for (w, base) in weights.iter_mut().zip([3.0, 2.0, 1.2, 1.0, 1.5, 0.6]) {
            *w = base * rng.gen_range(0.2..1.8);
        }
        let utility_bill = rupees(rng.gen_range(900.0..4_500.0));
        let subscription = pick(&mut rng, &[149_00, 199_00, 499_00, 649_00]);
        let share = if cfg.stressed_share.is_nan() {
            0.0
        } else {
            cfg.stressed_share.clamp(0.0, 1.0)
        };
        let stressed = rng.gen_bool(share);
        let mut segment = "healthy";
        let mut stress = None;
        let mut blip = None;
        let mut late_prob = late_prob;
        if stressed && months >= 3 {
            segment = "stressed";
            stress = Some(Self::stress_plan(&mut rng, months));
        } else if rng.gen_bool(0.05) && months >= 2 {
            segment = "noisy";
            late_prob = 0.0;
            let kind = pick(
                &mut rng,
                &[Blip::CashMonth, Blip::BigSpend, Blip::MinOnlyMonth],
            );
            blip = Some((kind, rng.gen_range(1..months)));
        }
        // Harder profiles draw more, after everything `easy` draws, so an
        // `easy` portfolio stays the original simulator bit for bit.
        let knobs = cfg.profile.knobs();
        let mut persona = Persona::Ordinary;
        let mut spend_share = spend_share;
        let (mut full_payer, mut late_prob) = (full_payer, late_prob);
        if knobs != crate::simulate::Profile::Easy.knobs() {
            if segment == "healthy" {
                let u: f64 = rng.gen();
                persona = if u < knobs.transactors {
                    spend_share = rng.gen_range(0.55..0.95);
                    full_payer = 1.0;
                    late_prob = 0.0;
                    Persona::Transactor
                } else if u < knobs.transactors + knobs.cash_habit {
                    Persona::CashHabit
                } else if u < knobs.transactors + knobs.cash_habit + knobs.min_payers {
                    spend_share = rng.gen_range(0.04..0.12);
                    Persona::MinPayer
                } else if rng.gen_bool(knobs.late_payers) {
                    late_prob = rng.gen_range(0.1..0.3);
                    Persona::LatePayer
                } else {
                    Persona::Ordinary
                };
            }
            if let Some(plan) = stress.as_mut() {
                Self::harden(&mut rng, plan, &knobs);
                if rng.gen_bool(knobs.prior_late) {
                    late_prob = rng.gen_range(0.05..0.15);
                }
            }
        }
        let start_month = month_first(cfg.start, 0);
        let stress_start = stress.map(|s| month_first(start_month, s.start));
        Self {
            id: format!("SIM-{index:06}"),
            index,
            rng,
            opened_at: at(cfg.start, 0, 0, 0),
            start_month,
            limit,
            salary_day,
            spend_share,
            txn_base,
            full_payer,
            share_lo,
            late_prob,
            weights,
            utility_bill,
            subscription,
            segment,
            stress,
            blip,
            balance: 0,
            last: None,
            behind: None,
            arrears: 0,
            skipped: false,
            stress_start,
            first_delinquent: None,
            knobs,
            persona,
        }
    }

    /// A harder profile's stress: surprise defaults show no signal, others
    /// at most `max_signals`, and more defaulters cure.
    fn harden(rng: &mut ChaCha8Rng, plan: &mut StressPlan, knobs: &Knobs) {
        let s = &mut plan.signals;
        if plan.miss_from.is_some() && rng.gen_bool(knobs.surprise) {
            *s = Signals::default();
        }
        let mut on: Vec<&mut bool> = [
            &mut s.rising_utilisation,
            &mut s.cash,
            &mut s.min_only,
            &mut s.spend_collapse,
            &mut s.narrowing,
        ]
        .into_iter()
        .filter(|b| **b)
        .collect();
        while on.len() > knobs.max_signals as usize {
            let k = rng.gen_range(0..on.len());
            *on.swap_remove(k) = false;
        }
        if let Some(m) = plan.miss_from {
            plan.cure_at = rng.gen_bool(knobs.cure).then(|| m + rng.gen_range(2..=4));
        }
    }

    /// Stress starts early enough that its outcome can be seen in the window.
    fn stress_plan(rng: &mut ChaCha8Rng, months: u32) -> StressPlan {
        let start = rng.gen_range(1..=months.saturating_sub(8).max(1));
        let lead = rng.gen_range(2..=6);
        let mut signals = Signals::default();
        while !(signals.rising_utilisation
            || signals.cash
            || signals.min_only
            || signals.spend_collapse
            || signals.narrowing)
        {
            signals = Signals {
                rising_utilisation: rng.gen_bool(0.5),
                cash: rng.gen_bool(0.45),
                min_only: rng.gen_bool(0.5),
                spend_collapse: rng.gen_bool(0.3),
                narrowing: rng.gen_bool(0.35),
            };
            if signals.rising_utilisation && signals.spend_collapse {
                signals.spend_collapse = false;
            }
        }
        let defaults = rng.gen_bool(0.82);
        let miss_from = defaults.then_some(start + lead);
        let cure_at = match miss_from {
            Some(m) if rng.gen_bool(0.2) => Some(m + rng.gen_range(2..=4)),
            _ => None,
        };
        StressPlan {
            start,
            lead,
            miss_from,
            cure_at,
            signals,
        }
    }
}
