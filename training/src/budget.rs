//! The portfolio's alert budget applied to decision timelines, as the live
//! escalation policy applies it: every customer's moments in business-time
//! order, and a rise into High that would message one more customer is
//! withheld while the budget (`domain::alert_budget`) has no room. Withheld
//! customers wait, oldest first; when room comes back (a message came true
//! or aged out, the portfolio grew) those still High are messaged (here at
//! their next evaluation), and a customer who leaves High leaves the queue.
//! Messages not matured yet count less by the chance, measured on the
//! matured ones, that they come true (`domain::alert_budget::Outcomes`).

use std::collections::VecDeque;

use domain::alert_budget::{
    AlertBudget, BudgetCounts, Outcomes, AGE_CLASSES, AGE_STEP_DAYS, BUDGET_WINDOW_DAYS,
    MATURITY_DAYS,
};

use crate::deployed::{HighBand, Moment, Timeline};

const DAY: i64 = 86_400;

/// Who stands messaged, and the counts the budget reads.
struct Book {
    messaged_at: Vec<Option<i64>>,
    /// The first message of the stretch a customer counts for: the early
    /// warning whose outcome the budget waits for.
    warned_at: Vec<Option<i64>>,
    counted: Vec<bool>,
    /// Messages in time order, to let them leave the window.
    window: VecDeque<(i64, usize)>,
    /// Warnings (first messages of a stretch) not matured yet, in time
    /// order.
    maturing: VecDeque<(i64, usize)>,
    /// What the matured messages say.
    outcomes: Outcomes,
    counts: BudgetCounts,
}

impl Book {
    /// Customer `c` messaged at `at`.
    fn message(&mut self, c: usize, at: i64) {
        self.messaged_at[c] = Some(at);
        self.window.push_back((at, c));
        if !self.counted[c] {
            self.warned_at[c] = Some(at);
            self.maturing.push_back((at, c));
            self.counted[c] = true;
            self.counts.messaged_not_delinquent += 1;
        }
    }

    /// Customer `c` no longer counts (delinquent, or their message aged out).
    fn forget(&mut self, c: usize) {
        if self.counted[c] {
            self.counted[c] = false;
            self.counts.messaged_not_delinquent -= 1;
        }
    }

    /// Warnings matured by `at` join the outcomes (`delinquent`: each
    /// customer's first delinquency, known by then), and the young ones not
    /// delinquent yet are counted by the chance of coming true.
    fn measure(&mut self, at: i64, delinquent: &[Option<i64>]) {
        while let Some(&(t, c)) = self.maturing.front() {
            if t > at - MATURITY_DAYS * DAY {
                break;
            }
            self.maturing.pop_front();
            if self.warned_at[c] == Some(t) {
                let after = delinquent[c].filter(|d| *d > t).map(|d| (d - t) / DAY);
                self.outcomes.add(after);
            }
        }
        let mut young = [0_u64; AGE_CLASSES];
        for &(t, c) in self.maturing.iter() {
            if self.counted[c] && self.warned_at[c] == Some(t) {
                let k = ((at - t) / (AGE_STEP_DAYS * DAY)) as usize;
                young[k.min(AGE_CLASSES - 1)] += 1;
            }
        }
        self.counts.expected_to_come_true = self.outcomes.expected_true(&young);
    }

    /// Messages older than the window at `at` leave it.
    fn expire(&mut self, at: i64) {
        while let Some(&(t, c)) = self.window.front() {
            if t > at - BUDGET_WINDOW_DAYS * DAY {
                break;
            }
            self.window.pop_front();
            if self.messaged_at[c] == Some(t) {
                self.forget(c);
            }
        }
    }
}

/// `lines` with every High moment of a customer while withheld set to a
/// score of 0 and no rule fired, so it alerts nobody (`band` counts it Low).
pub fn budgeted(lines: &[Timeline], band: HighBand, budget: AlertBudget) -> Vec<Timeline> {
    let mut out = lines.to_vec();
    if budget.is_unlimited() {
        return out;
    }
    // Each moment, and each customer's delinquency (before the moments of the
    // same second: the timeline stops there anyway).
    let mut order: Vec<(i64, u8, usize, usize)> = Vec::new();
    for (c, t) in lines.iter().enumerate() {
        if let Some(d) = t.first_delinquent {
            order.push((d, 0, c, 0));
        }
        for (k, m) in t.moments.iter().enumerate() {
            order.push((m.at, 1, c, k));
        }
    }
    order.sort_unstable();
    let start = order.iter().find(|o| o.1 == 1).map_or(0, |o| o.0);
    let n = lines.len();
    let mut seen = vec![false; n];
    let mut delinquent = vec![false; n];
    let mut book = Book {
        messaged_at: vec![None; n],
        warned_at: vec![None; n],
        counted: vec![false; n],
        window: Default::default(),
        maturing: Default::default(),
        outcomes: Outcomes::default(),
        counts: BudgetCounts::default(),
    };
    let delinquent_at: Vec<Option<i64>> = lines.iter().map(|t| t.first_delinquent).collect();
    let mut high = vec![false; n];
    let mut withheld_since: Vec<Option<i64>> = vec![None; n];
    // Withheld rises waiting for room, oldest first: (since, customer).
    let mut waiting: VecDeque<(i64, usize)> = VecDeque::new();
    for (at, kind, c, k) in order {
        book.expire(at);
        if kind == 0 {
            delinquent[c] = true;
            withheld_since[c] = None;
            book.counts.delinquent += u64::from(seen[c]);
            book.forget(c);
        } else {
            if !seen[c] {
                seen[c] = true;
                book.counts.customers += 1;
                book.counts.delinquent += u64::from(delinquent[c]);
            }
            book.counts.seconds_open = at - start;
            let m = lines[c].moments[k];
            let is_high = band.is_high(&m);
            if is_high && !high[c] {
                // A rise into High: a message, unless the budget has no room
                // for one more customer.
                book.measure(at, &delinquent_at);
                if book.counted[c] || budget.has_room(&book.counts) {
                    book.message(c, at);
                } else {
                    withheld_since[c] = Some(at);
                    waiting.push_back((at, c));
                }
            } else if !is_high {
                withheld_since[c] = None;
            }
            high[c] = is_high;
        }
        // Room again (a message came true or aged out, the portfolio grew):
        // the oldest withheld customers still High are messaged.
        while !waiting.is_empty() && {
            book.measure(at, &delinquent_at);
            budget.has_room(&book.counts)
        } {
            let Some((since, w)) = waiting.pop_front() else {
                break;
            };
            if withheld_since[w] == Some(since) {
                withheld_since[w] = None;
                book.message(w, at);
            }
        }
        if kind == 1 && withheld_since[c].is_some() {
            let m = lines[c].moments[k];
            out[c].moments[k] = Moment {
                score: 0.0,
                fired: 0,
                ..m
            };
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: &str, delinquent: Option<i64>, moments: &[(i64, f64)]) -> Timeline {
        Timeline {
            customer_id: id.into(),
            first_delinquent: delinquent,
            moments: moments
                .iter()
                .map(|&(at, score)| Moment {
                    at,
                    score,
                    fired: 0,
                })
                .collect(),
            months: 12.0,
            first_high: None,
        }
    }

    fn band() -> HighBand {
        HighBand {
            high: 0.5,
            high_rules: 0,
        }
    }

    fn alerted(lines: &[Timeline]) -> Vec<bool> {
        lines
            .iter()
            .map(|t| t.moments.iter().any(|m| band().is_high(m)))
            .collect()
    }

    /// Ten customers open on day 0; each rises into High on day 200 + c.
    fn ten(delinquent_first: bool) -> Vec<Timeline> {
        (0..10)
            .map(|c| {
                let rise = (200 + c) * DAY;
                let d = (delinquent_first && c == 0).then_some(rise + DAY / 2);
                line(
                    &format!("C{c}"),
                    d,
                    &[(0, 0.1), (rise, 0.9), (rise + 3_600, 0.9)],
                )
            })
            .collect()
    }

    #[test]
    fn a_rise_is_withheld_once_the_share_is_spent_and_the_stretch_stays_silent() {
        // A quarter of 10 customers: two are messaged, the other eight withheld
        // for their whole High stretch.
        let out = budgeted(&ten(false), band(), AlertBudget::of_share(0.25));
        assert_eq!(
            alerted(&out),
            [true, true, false, false, false, false, false, false, false, false]
        );
        assert!(out[2].moments.iter().all(|m| !band().is_high(m)));
    }

    #[test]
    fn a_message_that_came_true_frees_its_place() {
        // C0 becomes delinquent half a day after its message: its place
        // goes to the next rise (2.25 allowed of the nine left).
        let out = budgeted(&ten(true), band(), AlertBudget::of_share(0.25));
        assert_eq!(
            alerted(&out),
            [true, true, true, false, false, false, false, false, false, false]
        );
    }

    #[test]
    fn a_withheld_customer_still_high_is_messaged_when_room_comes_back() {
        // C0 and C1 take the two places; C2 waits; C0's delinquency on day
        // 203 frees a place while C2 is still High, and C3 never rose.
        let mut lines = ten(false);
        lines[0].first_delinquent = Some(203 * DAY);
        lines[2].moments.push(Moment {
            at: 204 * DAY,
            score: 0.9,
            fired: 0,
        });
        let out = budgeted(&lines, band(), AlertBudget::of_share(0.25));
        assert_eq!(
            alerted(&out),
            [true, true, true, false, false, false, false, false, false, false]
        );
        let first = out[2].moments.iter().find(|m| band().is_high(m));
        assert_eq!(first.map(|m| m.at), Some(204 * DAY));
    }

    #[test]
    fn messages_that_matured_true_make_room_for_young_ones_expected_to() {
        // 100 customers open on day 0 and a budget of 20 %. Twenty rise on
        // day 130 and become delinquent on day 160; five more rise on day
        // 270 and wait for their outcome; then fifteen rise on day 275. By
        // day 275 the twenty matured (all came true), so four of the five
        // young ones are expected to come true (the interval's lower end of
        // 20 of 20 is 0.95): all fifteen fit, where counting every young
        // message in full would have let eleven through (16 allowed of 80).
        let mut lines: Vec<Timeline> = (0..20)
            .map(|c| {
                line(
                    &format!("T{c}"),
                    Some(160 * DAY),
                    &[(0, 0.1), (130 * DAY, 0.9)],
                )
            })
            .collect();
        for c in 0..5 {
            lines.push(line(&format!("Y{c}"), None, &[(0, 0.1), (270 * DAY, 0.9)]));
        }
        for c in 0..75 {
            let rise = (275 * DAY, if c < 15 { 0.9 } else { 0.1 });
            lines.push(line(&format!("N{c}"), None, &[(0, 0.1), rise]));
        }
        let out = budgeted(&lines, band(), AlertBudget::of_share(0.20));
        let messaged = alerted(&out).iter().filter(|a| **a).count();
        assert_eq!(messaged, 40);
        // Without the twenty, nothing has matured: 16 of 80 allowed, so
        // four of the fifteen are withheld.
        let fresh: Vec<Timeline> = lines[20..].to_vec();
        let out = budgeted(&fresh, band(), AlertBudget::of_share(0.20));
        assert_eq!(alerted(&out).iter().filter(|a| **a).count(), 16);
    }

    #[test]
    fn nothing_is_withheld_in_the_ramp_only_when_the_budget_is_unlimited() {
        let early: Vec<Timeline> = (0..10)
            .map(|c| line(&format!("C{c}"), None, &[(0, 0.1), (DAY, 0.9)]))
            .collect();
        let limited = budgeted(&early, band(), AlertBudget::of_share(0.5));
        // One day of a 120-day ramp allows 10 × 0.5 / 120: nobody.
        assert!(alerted(&limited).iter().all(|a| !a));
        let unlimited = budgeted(&early, band(), AlertBudget::of_share(1.0));
        assert!(alerted(&unlimited).iter().all(|a| *a));
    }
}
