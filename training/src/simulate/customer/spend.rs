//! How a simulated customer spends: seasonality, which days, and the
//! month's purchases, cash withdrawals, refunds and bills.

use super::*;

impl CustomerSim {
    /// Seasonal spend multiplier by calendar month (festive Oct–Dec).
    fn season(month: u32) -> f64 {
        match month {
            10 => 1.25,
            11 => 1.35,
            12 => 1.2,
            1 | 2 => 0.92,
            _ => 1.0,
        }
    }

    /// A day of the month weighted towards the ten days after salary day.
    fn spend_day(&mut self, first_day: u32, days: u32) -> u32 {
        let d = self.rng.gen_range(first_day..=days);
        if self.rng.gen_bool(0.35) {
            let s = self.salary_day.min(days);
            let boosted = s + self.rng.gen_range(0..10);
            if boosted >= first_day && boosted <= days {
                return boosted;
            }
        }
        d
    }

    pub(super) fn spend(
        &mut self,
        k: u32,
        first: NaiveDate,
        first_day: u32,
        days: u32,
        items: &mut Vec<(DateTime<Utc>, Item)>,
    ) {
        let signals = self.active_signals(k);
        let in_stress = signals.is_some();
        let sig = signals.unwrap_or_default();
        let since = self.stress.map_or(0, |s| k.saturating_sub(s.start)) as f64;
        let mut level =
            self.spend_share * Self::season(first.month()) * lognormal(&mut self.rng, 0.18);
        let intensity = self.knobs.intensity;
        if sig.rising_utilisation {
            level *= if intensity == 1.0 {
                1.35 + 0.2 * since
            } else {
                1.0 + (0.35 + 0.2 * since) * intensity
            };
        }
        if sig.spend_collapse {
            level *= if intensity == 1.0 {
                0.35
            } else {
                1.0 - 0.65 * intensity
            };
        }
        let target = self.limit as f64 * level;
        let time = |rng: &mut ChaCha8Rng, day: u32| {
            at(
                with_day(first, day),
                rng.gen_range(8..=22),
                rng.gen_range(0..60),
                rng.gen_range(0..60),
            )
        };
        // Recurring bills: electricity and a digital subscription.
        let bill_day = self
            .rng
            .gen_range(first_day.max(5)..=days.min(15).max(first_day.max(5)));
        let bill = (self.utility_bill as f64 * lognormal(&mut self.rng, 0.1)).round() as i64;
        let t = time(&mut self.rng, bill_day);
        items.push((
            t,
            spend(bill, "purchase", "4900", "BESCOM Electricity", "online"),
        ));
        if !sig.narrowing {
            let t = time(&mut self.rng, first_day.max(3).min(days));
            items.push((
                t,
                spend(self.subscription, "purchase", "5818", "Netflix", "online"),
            ));
        }
        // Variable spend over the customer's merchant mix.
        let count = ((self.txn_base as f64 * (level / self.spend_share).sqrt()).round() as u32)
            .clamp(8, 38);
        let mut draws = Vec::with_capacity(count as usize);
        let total_w: f64 = self.weights.iter().sum();
        for _ in 0..count {
            let c = if sig.narrowing && self.rng.gen_bool(0.9) {
                GROCERIES
            } else {
                let mut x = self.rng.gen_range(0.0..total_w);
                let mut c = 0;
                while c + 1 < CATEGORIES.len() && x >= self.weights[c] {
                    x -= self.weights[c];
                    c += 1;
                }
                c
            };
            let size = CATEGORIES[c].ticket_inr * lognormal(&mut self.rng, 0.5);
            draws.push((c, size));
        }
        let sum: f64 = draws.iter().map(|d| d.1).sum();
        let scale =
            (target / 100.0 - (bill + self.subscription) as f64 / 100.0).max(500.0) / sum.max(1.0);
        for (c, size) in draws {
            let cat = &CATEGORIES[c];
            let day = self.spend_day(first_day, days);
            let t = time(&mut self.rng, day);
            let amount = rupees(size * scale);
            let name = pick(&mut self.rng, cat.names);
            items.push((
                t,
                spend(
                    amount,
                    "purchase",
                    cat.mcc,
                    name,
                    pick(&mut self.rng, cat.channels),
                ),
            ));
            if (3..=4).contains(&c) && self.rng.gen_bool(0.03) {
                let rt = t + Duration::days(self.rng.gen_range(2..=6));
                if rt.date_naive() <= with_day(first, days) {
                    items.push((
                        rt,
                        Item::Refund {
                            of: t,
                            amount,
                            mcc: cat.mcc,
                            name,
                        },
                    ));
                }
            }
        }
        // Travel months (flights and a hotel), not while under stress.
        if !in_stress && self.rng.gen_bool(0.07) {
            let day = self.rng.gen_range(first_day..=days);
            let t = time(&mut self.rng, day);
            let fare = rupees(self.rng.gen_range(4_000.0..18_000.0));
            items.push((t, spend(fare, "purchase", "4511", "IndiGo", "online")));
            let hotel = rupees(self.rng.gen_range(3_000.0..25_000.0));
            let t = time(&mut self.rng, day);
            items.push((t, spend(hotel, "purchase", "7011", "Taj Hotels", "online")));
        }
        // One-off large purchases (electronics, furniture).
        let big_blip = self.blip_in(k, Blip::BigSpend);
        if big_blip || (!in_stress && self.rng.gen_bool(0.04)) {
            let share = if big_blip {
                self.rng.gen_range(0.35..0.6)
            } else {
                self.rng.gen_range(0.08..0.25)
            };
            let day = self.rng.gen_range(first_day..=days);
            let t = time(&mut self.rng, day);
            let amount = rupees(self.limit as f64 / 100.0 * share);
            items.push((
                t,
                spend(amount, "purchase", "5732", "Croma Electronics", "online"),
            ));
        }
        // Cash withdrawals at ATMs.
        let cash_blip = self.blip_in(k, Blip::CashMonth);
        let casual = !in_stress && self.rng.gen_bool(0.015);
        let habit = self.persona == Persona::CashHabit && self.rng.gen_bool(0.8);
        if sig.cash || cash_blip || casual || habit {
            let n = if sig.cash || habit {
                self.rng.gen_range(1..=3)
            } else {
                1
            };
            for _ in 0..n {
                let day = self.rng.gen_range(first_day..=days);
                let t = time(&mut self.rng, day);
                let share = if habit && !sig.cash {
                    self.rng.gen_range(0.02..0.06)
                } else if sig.cash && intensity != 1.0 {
                    self.rng.gen_range(0.04..0.12) * intensity
                } else {
                    self.rng.gen_range(0.04..0.12)
                };
                let amount =
                    ((self.limit as f64 * share / 50_000.0).round() as i64).max(1) * 50_000;
                items.push((
                    t,
                    Item::Spend {
                        amount,
                        kind: "cash_withdrawal",
                        mcc: None,
                        name: None,
                        channel: "atm",
                        forced: false,
                    },
                ));
            }
        }
    }
}

fn spend(
    amount: i64,
    kind: &'static str,
    mcc: &'static str,
    name: &'static str,
    channel: &'static str,
) -> Item {
    Item::Spend {
        amount,
        kind,
        mcc: Some(mcc),
        name: Some(name),
        channel,
        forced: false,
    }
}
