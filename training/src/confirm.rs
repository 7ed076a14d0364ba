//! Confirmation before a message: an alert goes out only once High has held
//! — on two evaluations in a row, or through a whole day — so a one-moment
//! spike (a festive purchase, a cash withdrawal settled the next day) does
//! not reach the customer. Applied to [`Timeline`]s by replacing each
//! moment's score and fired rules with what held over the confirmation
//! window (the lowest score, the rules that fired throughout), so every
//! figure, the trade-off curve and the threshold choice work unchanged on
//! the confirmed timelines.

use serde::Serialize;

use crate::deployed::{Moment, Timeline};

/// How long High must hold before a message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confirmation {
    /// Message at the first High.
    #[default]
    None,
    /// High at this evaluation and the one before.
    TwoEvaluations,
    /// High at every evaluation of the last 24 hours (at least one of them
    /// a day or more ago).
    Day,
}

impl std::str::FromStr for Confirmation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "none" => Ok(Self::None),
            "two" | "two-evaluations" => Ok(Self::TwoEvaluations),
            "day" => Ok(Self::Day),
            other => Err(format!(
                "confirmation must be none, two or day, not {other:?}"
            )),
        }
    }
}

const DAY: i64 = 86_400;

/// The timelines as they look under `confirmation`.
pub fn confirmed(timelines: &[Timeline], confirmation: Confirmation) -> Vec<Timeline> {
    timelines
        .iter()
        .map(|t| Timeline {
            moments: confirm(&t.moments, confirmation),
            ..t.clone()
        })
        .collect()
}

fn held(window: &[Moment], at: i64) -> Moment {
    let score = window
        .iter()
        .map(|m| {
            if m.score.is_nan() {
                f64::INFINITY
            } else {
                m.score
            }
        })
        .fold(f64::INFINITY, f64::min);
    let fired = window.iter().fold(u64::MAX, |f, m| f & m.fired);
    Moment { at, score, fired }
}

fn confirm(moments: &[Moment], confirmation: Confirmation) -> Vec<Moment> {
    match confirmation {
        Confirmation::None => moments.to_vec(),
        Confirmation::TwoEvaluations => moments
            .iter()
            .enumerate()
            .map(|(i, m)| match i.checked_sub(1) {
                Some(p) => held(&moments[p..=i], m.at),
                None => Moment {
                    score: 0.0,
                    fired: 0,
                    ..*m
                },
            })
            .collect(),
        Confirmation::Day => {
            let mut start = 0;
            moments
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    // The window: the last moment a day or more ago, and
                    // every moment since.
                    while start < i && moments[start + 1].at <= m.at - DAY {
                        start += 1;
                    }
                    if moments[start].at > m.at - DAY {
                        Moment {
                            score: 0.0,
                            fired: 0,
                            ..*m
                        }
                    } else {
                        held(&moments[start..=i], m.at)
                    }
                })
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(at: i64, score: f64, fired: u64) -> Moment {
        Moment { at, score, fired }
    }

    #[test]
    fn a_one_moment_spike_is_not_confirmed_and_a_held_high_is() {
        let spike = [
            m(0, 0.1, 0),
            m(100, 0.9, 1),
            m(DAY, 0.1, 0),
            m(2 * DAY, 0.1, 0),
        ];
        let held_high = [
            m(0, 0.1, 0),
            m(100, 0.9, 1),
            m(DAY, 0.8, 1),
            m(DAY + 200, 0.95, 3),
        ];
        let two = confirm(&spike, Confirmation::TwoEvaluations);
        assert!(two.iter().all(|x| x.score <= 0.1 && x.fired == 0));
        let two = confirm(&held_high, Confirmation::TwoEvaluations);
        assert_eq!((two[2].score, two[2].fired), (0.8, 1));
        assert_eq!((two[3].score, two[3].fired), (0.8, 1));
        // A day: the High at 100 s holds until DAY + 200 s, a day later.
        let day = confirm(&held_high, Confirmation::Day);
        assert_eq!(day[1].score, 0.0, "less than a day of evaluations");
        assert_eq!(
            day[2].score, 0.1,
            "at DAY the window reaches back to 0 s, not yet High"
        );
        assert_eq!((day[3].score, day[3].fired), (0.8, 1));
        assert!(confirm(&spike, Confirmation::Day)
            .iter()
            .all(|x| x.score <= 0.1));
        assert_eq!(confirm(&spike, Confirmation::None), spike.to_vec());
    }
}
