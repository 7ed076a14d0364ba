//! Calendar and draw helpers of the simulated card holder: month arithmetic
//! in UTC and the random draws (normal, log-normal, a pick), all computed
//! with `libm` so a seed gives the same bytes on every machine.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// The first day of the month `k` months after `start`'s month.
pub(in crate::simulate) fn month_first(start: NaiveDate, k: u32) -> NaiveDate {
    let m0 = start.year() * 12 + start.month0() as i32 + k as i32;
    NaiveDate::from_ymd_opt(m0.div_euclid(12), m0.rem_euclid(12) as u32 + 1, 1).unwrap_or(start)
}

pub(super) fn at(day: NaiveDate, h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(h, m, s).unwrap_or_default())
}

pub(super) fn with_day(first: NaiveDate, day: u32) -> NaiveDate {
    first.with_day(day).unwrap_or(first)
}

pub(super) fn days_in_month(first: NaiveDate) -> u32 {
    month_first(first, 1).pred_opt().map_or(28, |d| d.day())
}

/// A standard normal draw (Box–Muller with `libm`, bit-identical everywhere).
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.gen_range(1e-12..1.0);
    let u2: f64 = rng.gen();
    libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(std::f64::consts::TAU * u2)
}

/// `exp(sigma · N(0,1))`: multiplicative noise with median 1.
pub(super) fn lognormal(rng: &mut ChaCha8Rng, sigma: f64) -> f64 {
    libm::exp(sigma * normal(rng))
}

pub(super) fn pick<T: Copy>(rng: &mut ChaCha8Rng, xs: &[T]) -> T {
    xs[rng.gen_range(0..xs.len())]
}

/// Whole rupees in paise, at least INR 10.
pub(super) fn rupees(inr: f64) -> i64 {
    (inr.round() as i64).max(10) * 100
}
