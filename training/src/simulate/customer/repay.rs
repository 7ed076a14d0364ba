//! How a simulated customer pays: the month's behaviour (in full, a share,
//! the minimum, nothing) and the payment, fees and days-past-due reports it
//! leads to.

use super::*;

impl CustomerSim {
    /// How this month's payment of the last statement goes.
    fn behaviour(&mut self, k: u32) -> Pay {
        if let Some(s) = self.stress {
            if s.cure_at == Some(k) {
                return Pay::Cure;
            }
            if s.cure_at.is_some_and(|c| k > c) {
                return if self.rng.gen_bool(0.5) {
                    Pay::Min
                } else {
                    Pay::Share(self.rng.gen_range(0.3..0.6))
                };
            }
            if s.miss_from.is_some_and(|m| k >= m) {
                return Pay::Missed;
            }
            // Payments track the previous month's behaviour.
            if let Some(sig) = self
                .active_signals(k.saturating_sub(1))
                .filter(|_| k > s.start)
            {
                if sig.min_only {
                    return Pay::Min;
                }
                if sig.rising_utilisation {
                    return Pay::Share(self.rng.gen_range(0.12..0.35));
                }
                return Pay::Share(self.rng.gen_range(0.3..0.7));
            }
        }
        if k > 0 && self.blip_in(k - 1, Blip::MinOnlyMonth) {
            return Pay::Min;
        }
        if self.persona == Persona::MinPayer {
            return Pay::Min;
        }
        if std::mem::take(&mut self.skipped) {
            return Pay::CatchUp;
        }
        if self.rng.gen_bool(self.late_prob) {
            // No draw when the profile pays every late month within the
            // cycle, so `easy` stays the original simulator.
            let cycle = self.knobs.late_cycle;
            if cycle > 0.0 && self.rng.gen_bool(cycle) {
                self.skipped = true;
                return Pay::Skipped;
            }
            return Pay::LateFull;
        }
        if self.rng.gen_bool(self.full_payer) {
            Pay::Full
        } else {
            Pay::Share(self.rng.gen_range(self.share_lo..0.95))
        }
    }

    /// A payment attempt of the minimum that bounces, early in the month
    /// (it changes nothing but itself: the month's own payment, if any,
    /// still comes). No draw at all when the profile has no bounces, so
    /// `easy` stays the original simulator.
    fn bounce(
        &mut self,
        k: u32,
        first: NaiveDate,
        st: Statement,
        pay: Pay,
        items: &mut Vec<(DateTime<Utc>, Item)>,
    ) {
        let (stressed, calm) = (self.knobs.bounced, self.knobs.bounce_noise);
        if st.min_due <= 0 || (stressed <= 0.0 && calm <= 0.0) {
            return;
        }
        let under_stress = self.active_signals(k).is_some() || pay == Pay::Missed;
        if !self
            .rng
            .gen_bool(if under_stress { stressed } else { calm })
        {
            return;
        }
        let day = self.rng.gen_range(2..=DUE_DAY - 3);
        items.push((
            at(with_day(first, day), 7, 30, 0),
            Item::Bounced(st.min_due),
        ));
    }

    /// Payment of the last statement, fees, interest and DPD reports.
    pub(super) fn repay(
        &mut self,
        k: u32,
        first: NaiveDate,
        days: u32,
        items: &mut Vec<(DateTime<Utc>, Item)>,
    ) {
        let Some(st) = self.last else {
            return;
        };
        let due_end = st.due;
        let pay = if st.closing > 0 {
            self.behaviour(k)
        } else {
            Pay::Full
        };
        let on_time_day = |rng: &mut ChaCha8Rng, salary: u32| {
            if salary < DUE_DAY - 2 {
                rng.gen_range(salary.max(2)..=DUE_DAY)
            } else {
                rng.gen_range(2..=DUE_DAY)
            }
        };
        let hour = self.rng.gen_range(9..=21);
        let minute = self.rng.gen_range(0..60);
        let mut paid_by_due = 0;
        let mut paid = 0;
        if st.closing > 0 {
            let (amount, day) = match pay {
                Pay::Full => (st.closing, on_time_day(&mut self.rng, self.salary_day)),
                Pay::Share(s) => (
                    ((st.closing as f64 * s).round() as i64).clamp(st.min_due, st.closing),
                    on_time_day(&mut self.rng, self.salary_day),
                ),
                Pay::Min => (st.min_due, on_time_day(&mut self.rng, self.salary_day)),
                // Within the cycle: 1–8 days late where the profile also
                // has whole cycles late, 6–8 in `easy`.
                Pay::LateFull if self.knobs.late_cycle > 0.0 => {
                    (st.closing, self.rng.gen_range(21..=28))
                }
                Pay::LateFull => (st.closing, self.rng.gen_range(26..=28)),
                Pay::Skipped => (0, 1),
                Pay::CatchUp => {
                    // Days past the skipped due date, kept under 30 and in
                    // this month (the skipped one was due on the 20th).
                    let behind = self.behind.unwrap_or(st.due);
                    let on = behind + Duration::days(self.rng.gen_range(12..=28));
                    let day = if on < first {
                        1
                    } else {
                        (on - first).num_days() as u32 + 1
                    };
                    (st.closing, day.min(DUE_DAY))
                }
                Pay::Missed => {
                    let token = self.rng.gen_bool(0.3);
                    let amount = if token {
                        (st.min_due as f64 * self.rng.gen_range(0.1..0.5)).round() as i64
                    } else {
                        0
                    };
                    (amount, self.rng.gen_range(5..=DUE_DAY))
                }
                Pay::Cure => (
                    (self.arrears + st.min_due).min(st.closing),
                    self.rng.gen_range(5..=DUE_DAY - 1),
                ),
            };
            if amount > 0 {
                let t = at(with_day(first, day), hour, minute, 0);
                items.push((t, Item::Payment(amount)));
                paid = amount;
                if day <= DUE_DAY {
                    paid_by_due = amount;
                }
                if matches!(pay, Pay::LateFull | Pay::Cure | Pay::CatchUp) {
                    items.push((t + Duration::hours(1), Item::Dpd(0)));
                }
            }
        }
        self.bounce(k, first, st, pay, items);
        let missed_min = st.closing > 0 && paid_by_due < st.min_due && pay != Pay::Cure;
        if missed_min {
            self.behind = self.behind.or(Some(due_end));
            self.arrears += st.min_due;
            items.push((
                at(due_end, 3, 0, 0) + Duration::days(1),
                Item::Spend {
                    amount: LATE_FEE_MINOR,
                    kind: "fee",
                    mcc: None,
                    name: Some("Late payment fee"),
                    channel: "bank",
                    forced: true,
                },
            ));
        }
        if pay == Pay::Cure {
            self.behind = None;
            self.arrears = 0;
        }
        let report_day = with_day(first, DPD_REPORT_DAY);
        if let (Some(oldest), true) = (self.behind, self.knobs.daily_dpd) {
            // The collections system reports every day while behind, until
            // the arrears are paid (a late payment or a cure).
            let settled = items.iter().find_map(|(t, i)| {
                matches!(i, Item::Payment(_))
                    .then_some(*t)
                    .filter(|_| matches!(pay, Pay::LateFull | Pay::Cure | Pay::CatchUp))
            });
            for d in 1..=days {
                let day = with_day(first, d);
                let t = at(day, 6, 0, 0);
                let dpd = (day - oldest).num_days();
                if dpd <= 0 || settled.is_some_and(|s| t >= s) {
                    continue;
                }
                items.push((t, Item::Dpd(dpd as u32)));
                if dpd >= 30 && self.first_delinquent.is_none() {
                    self.first_delinquent = Some(oldest + Duration::days(30));
                }
            }
        } else if let Some(oldest) = self.behind {
            let dpd = (report_day - oldest).num_days().max(0) as u32;
            items.push((at(report_day, 6, 0, 0), Item::Dpd(dpd)));
            if dpd >= 30 && self.first_delinquent.is_none() {
                self.first_delinquent = Some(oldest + Duration::days(30));
            }
        }
        if matches!(pay, Pay::LateFull | Pay::CatchUp) {
            self.behind = None;
            self.arrears = 0;
        }
        let revolved = st.closing - paid;
        if st.closing > 0 && revolved > 0 {
            let interest = (revolved as f64 * INTEREST_RATE).round() as i64;
            if interest > 0 {
                items.push((
                    at(with_day(first, days), 23, 30, 0),
                    Item::Spend {
                        amount: interest,
                        kind: "fee",
                        mcc: None,
                        name: Some("Finance charges"),
                        channel: "bank",
                        forced: true,
                    },
                ));
            }
        }
    }
}
