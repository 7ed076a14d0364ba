//! Send errors and their retry classification.
//!
//! The Cloud API answers most errors with HTTP 400, so the decision is made on
//! `error.code` only; the HTTP status is kept for logs. Transport failures
//! (connect errors, timeouts) and 5xx answers without a parsable body are
//! retryable because nothing tells us the message was rejected.
//!
//! # Layout
//! - [`SendError`] and [`Retry`]; [`classify`] maps a code to a [`Retry`].
//! - [`backoff`]: exponential backoff with full jitter, pure.

use std::time::Duration;

/// What the caller should do after a failed send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Retry, waiting at least this long (a hint, e.g. per-recipient limits).
    After(Duration),
    /// Retry with the caller's exponential backoff.
    Retryable,
    /// Do not retry: fix config, the template, the token or the recipient.
    Permanent,
}

impl Retry {
    /// Whether any retry makes sense.
    pub fn is_retryable(self) -> bool {
        !matches!(self, Retry::Permanent)
    }
}

/// Pseudo-code used when no API error code is available (transport failure).
pub const CODE_TRANSPORT: i64 = -1;
/// Pseudo-code used for a response the adapter could not understand.
pub const CODE_UNPARSABLE: i64 = -2;

/// A failed send, classified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("whatsapp send failed: code {code} (http {http_status}): {message}")]
pub struct SendError {
    /// `error.code` from the API, or [`CODE_TRANSPORT`] / [`CODE_UNPARSABLE`].
    pub code: i64,
    /// HTTP status; 0 when no response arrived.
    pub http_status: u16,
    /// `error.message` or the transport error text.
    pub message: String,
    /// What to do next.
    pub retry: Retry,
    /// Whether the API may have accepted the message anyway (a timeout or a
    /// connection lost after the request was sent): a blind retry could then
    /// message the customer twice, so the caller should first wait for a
    /// status webhook that settles it.
    pub maybe_accepted: bool,
}

impl SendError {
    /// An error built from an API error body.
    pub fn from_api(code: i64, http_status: u16, message: String) -> Self {
        Self {
            code,
            http_status,
            message,
            retry: classify(code),
            maybe_accepted: false,
        }
    }

    /// A transport failure before the request could reach the API (e.g.
    /// connection refused): retryable, and certainly not accepted.
    pub fn transport(message: String) -> Self {
        Self {
            code: CODE_TRANSPORT,
            http_status: 0,
            message,
            retry: Retry::Retryable,
            maybe_accepted: false,
        }
    }

    /// A transport failure after the request may have reached the API (a
    /// timeout, a connection reset mid-response): retryable, outcome unknown.
    pub fn outcome_unknown(message: String) -> Self {
        Self {
            maybe_accepted: true,
            ..Self::transport(message)
        }
    }

    /// A response without a usable error body: retryable only for 5xx
    /// (and 429), since a 4xx without a body is a bug we would repeat.
    pub fn unparsable(http_status: u16, message: String) -> Self {
        let retry = if http_status >= 500 || http_status == 429 {
            Retry::Retryable
        } else {
            Retry::Permanent
        };
        Self {
            code: CODE_UNPARSABLE,
            http_status,
            message,
            retry,
            // A gateway error may hide an accepted message; a 4xx cannot.
            maybe_accepted: http_status >= 500,
        }
    }
}

/// Classify an API `error.code`, per the Cloud API error table.
///
/// Unknown codes are permanent: retrying blindly on something we do not
/// understand risks spamming a customer.
pub fn classify(code: i64) -> Retry {
    match code {
        // Per-recipient pair rate limit: the notes suggest 1, 4, 16 s…
        131056 => Retry::After(Duration::from_secs(1)),
        130429 | 4 | 80007 => Retry::Retryable,
        1 | 2 | 131000 | 131016 => Retry::Retryable,
        131026 | 131047 | 131048 | 131049 | 131050 => Retry::Permanent,
        132000 | 132001 | 132015 | 132016 => Retry::Permanent,
        0 | 10 | 190 | 200..=299 => Retry::Permanent,
        _ => Retry::Permanent,
    }
}

/// Exponential backoff with full jitter: `jitter * min(cap, base * 2^attempt)`.
///
/// `jitter` is supplied by the caller (in `[0, 1)`, clamped otherwise) so this
/// stays pure and testable; `attempt` starts at 0.
pub fn backoff(attempt: u32, base_ms: u64, cap_ms: u64, jitter: f64) -> Duration {
    let factor = 1u64.checked_shl(attempt.min(63)).unwrap_or(u64::MAX);
    let ceiling = base_ms.saturating_mul(factor).min(cap_ms);
    let jitter = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.0
    };
    // Precision loss is irrelevant at millisecond scale.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let ms = (ceiling as f64 * jitter) as u64;
    Duration::from_millis(ms.min(cap_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_codes_are_retryable() {
        for code in [130429, 131056, 4, 80007, 1, 2, 131000, 131016] {
            assert!(classify(code).is_retryable(), "{code}");
        }
        assert_eq!(classify(131056), Retry::After(Duration::from_secs(1)));
    }

    #[test]
    fn permanent_codes_are_permanent() {
        let codes = [
            131026, 131047, 131048, 131049, 131050, 132000, 132001, 132015, 132016, 190, 0, 10,
            200, 250, 299,
        ];
        for code in codes {
            assert_eq!(classify(code), Retry::Permanent, "{code}");
        }
    }

    #[test]
    fn transport_and_bodyless_5xx_are_retryable() {
        assert!(SendError::transport("timeout".into()).retry.is_retryable());
        assert!(SendError::unparsable(502, "bad gateway".into())
            .retry
            .is_retryable());
        assert!(!SendError::unparsable(400, "?".into()).retry.is_retryable());
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(0, 100, 10_000, 0.5), Duration::from_millis(50));
        assert_eq!(backoff(3, 100, 10_000, 0.5), Duration::from_millis(400));
        assert_eq!(
            backoff(20, 100, 10_000, 0.999),
            Duration::from_millis(9_990)
        );
        assert_eq!(backoff(200, 100, 10_000, 0.0), Duration::ZERO);
        assert!(backoff(5, 100, 1_000, 7.0) <= Duration::from_millis(1_000));
        assert_eq!(backoff(1, 100, 1_000, f64::NAN), Duration::ZERO);
    }
}
