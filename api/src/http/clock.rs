//! The server's clock at the edge: how far ahead of it a reported fact may
//! be dated (`MAX_FUTURE_SKEW`, default 5 minutes). The clock is read here,
//! where requests and import lines arrive, and handed to the domain, which
//! stays pure (`CustomerCommand::check_not_future`).

use chrono::{DateTime, Duration, Utc};
use domain::customer::CustomerCommand;

use super::problem::Problem;

/// Default of `MAX_FUTURE_SKEW`: 5 minutes.
pub const DEFAULT_MAX_FUTURE_SKEW: Duration = Duration::minutes(5);

/// Reads `MAX_FUTURE_SKEW` (`300s`, `5m`, `1h`; default 5 minutes).
pub fn max_future_skew_from_env() -> Result<Duration, String> {
    match std::env::var("MAX_FUTURE_SKEW") {
        Ok(v) if !v.trim().is_empty() => parse_skew(&v),
        _ => Ok(DEFAULT_MAX_FUTURE_SKEW),
    }
}

/// A skew such as `300s`, `5m` or `1h` (0 to 24 hours).
pub fn parse_skew(raw: &str) -> Result<Duration, String> {
    let v = raw.trim().to_ascii_lowercase();
    let bad = || format!("MAX_FUTURE_SKEW: {raw:?} is not a duration such as 300s, 5m or 1h");
    let unit = v.chars().last().ok_or_else(bad)?;
    let seconds = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        _ => return Err(bad()),
    };
    let n: i64 = v[..v.len() - 1].parse().map_err(|_| bad())?;
    if !(0..=24 * 3600).contains(&(n * seconds)) {
        return Err(format!(
            "MAX_FUTURE_SKEW: {raw:?} must be between 0 and 24 hours"
        ));
    }
    Ok(Duration::seconds(n * seconds))
}

/// Refuses `command` when the fact it reports is dated more than `skew`
/// after now: a 422 naming the field, and nothing is stored.
pub fn not_from_the_future(command: &CustomerCommand, skew: Duration) -> Result<(), Problem> {
    not_after(command, Utc::now(), skew)
}

/// [`not_from_the_future`] with the clock handed in.
pub fn not_after(
    command: &CustomerCommand,
    now: DateTime<Utc>,
    skew: Duration,
) -> Result<(), Problem> {
    command
        .check_not_future(now, skew)
        .map_err(|e| Problem::from_customer(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skews_read_with_their_unit() {
        assert_eq!(parse_skew("300s"), Ok(Duration::seconds(300)));
        assert_eq!(parse_skew("5m"), Ok(Duration::minutes(5)));
        assert_eq!(parse_skew(" 1H "), Ok(Duration::hours(1)));
        assert_eq!(parse_skew("0s"), Ok(Duration::zero()));
        for bad in ["5", "m", "", "-1m", "25h", "1.5h", "5 minutes", "2d"] {
            assert!(parse_skew(bad).is_err(), "{bad:?} is refused");
        }
    }
}
