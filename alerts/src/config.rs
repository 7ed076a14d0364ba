//! Alert settings: the escalation policy, the dispatcher's pacing and
//! retries, and the WhatsApp connection, read from the environment.
//!
//! Secrets (the access token, the app secret, the verify token) are held in
//! [`Secret`], whose `Debug` never shows them, so a logged config is safe.

use std::fmt;
use std::time::Duration;

use domain::alert_budget::AlertBudget;
use domain::customer::{TemplateParameters, TemplateRef};
use domain::risk::Band;

/// A value that must never be logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that uses it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// When an escalation becomes an alert, and what it sends.
#[derive(Clone, Debug)]
pub struct AlertPolicy {
    /// A decision that raises the band into this band or above alerts.
    pub min_band: Band,
    /// No second automatic alert within this long unless the band rises
    /// above the last alerted one.
    pub cooldown: Duration,
    /// An escalation about a fact older than this (business time) before
    /// the moment it is decided is recorded as suppressed (`stale`) and sends
    /// nothing (`ALERT_MAX_AGE`, default 72 h; `off`: no limit), so imported
    /// history never messages anyone.
    pub max_age: Option<Duration>,
    /// The portfolio's alert budget (`ALERT_FALSE_ALARM_BUDGET`, default
    /// 0.10): an escalation that would message one more customer is recorded
    /// as suppressed (`budget`) when with them the customers messaged in the
    /// last year who have not become delinquent would be more than this
    /// share of the customers who are not delinquent. 1 never withholds.
    pub budget: AlertBudget,
    /// The clock the moment of deciding is read from (the wall clock; tests
    /// hand in a fixed one).
    pub clock: fn() -> chrono::DateTime<chrono::Utc>,
    /// The risk-alert template (`WHATSAPP_TEMPLATE_FLAGGED`).
    pub template: TemplateRef,
    /// Sent instead when WhatsApp reports the template missing (132001),
    /// if the operator enabled it (`WHATSAPP_TEMPLATE_FALLBACK=true`).
    pub fallback: Option<TemplateRef>,
    /// Sent after a customer's first sign-in (`WHATSAPP_TEMPLATE_WELCOME`).
    pub welcome: TemplateRef,
}

/// Default of [`AlertPolicy::max_age`]: 72 hours.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(72 * 3600);

/// Default share of [`AlertPolicy::budget`]: a tenth of the customers who
/// are not delinquent may be messaged in a year without becoming so.
pub const DEFAULT_BUDGET_SHARE: f64 = 0.10;

/// Reads a budget share in (0, 1].
fn parse_budget(name: &'static str, default: AlertBudget) -> Result<AlertBudget, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(v) => share(&v)
            .map(AlertBudget::of_share)
            .map_err(|message| ConfigError { name, message }),
    }
}

/// A budget share in (0, 1], such as `0.1`; NaN and infinities are refused
/// (`evaluate` reads `--false-alarm-budget` with it too).
pub fn share(raw: &str) -> Result<f64, String> {
    match raw.trim().parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 1.0 => Ok(v),
        Ok(_) => Err(format!(
            "{raw:?} must be more than 0 and at most 1 (1: never withhold)"
        )),
        Err(_) => Err(format!("{raw:?} is not a number such as 0.1")),
    }
}

/// Reads an age such as `72h`, `3d`, `90m` or `3600s`; `off` is no limit.
fn parse_age(
    name: &'static str,
    default: Option<Duration>,
) -> Result<Option<Duration>, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(v) => age(&v).map_err(|message| ConfigError { name, message }),
    }
}

/// An age such as `72h`, `3d`, `90m` or `3600s`, or `off` (no limit).
fn age(raw: &str) -> Result<Option<Duration>, String> {
    let v = raw.trim().to_ascii_lowercase();
    if v == "off" {
        return Ok(None);
    }
    let bad = || format!("{raw:?} is not an age such as 72h, 3d, 90m, 3600s or off");
    let Some(unit) = v.chars().last() else {
        return Err(bad());
    };
    let seconds: u64 = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return Err(bad()),
    };
    let n: u32 = v[..v.len() - 1].parse().map_err(|_| bad())?;
    let total = u64::from(n) * seconds;
    if total == 0 || total > u64::from(u32::MAX) {
        return Err(format!(
            "{raw:?} must be more than 0 and less than 136 years"
        ));
    }
    Ok(Some(Duration::from_secs(total)))
}

impl AlertPolicy {
    /// The `hello_world` fallback Meta pre-approves for every number.
    pub fn hello_world() -> TemplateRef {
        TemplateRef {
            name: "hello_world".into(),
            language: "en_US".into(),
            parameters: TemplateParameters::None,
        }
    }
}

impl Default for AlertPolicy {
    fn default() -> Self {
        Self {
            min_band: Band::High,
            cooldown: Duration::from_secs(24 * 3600),
            max_age: Some(DEFAULT_MAX_AGE),
            budget: AlertBudget::of_share(DEFAULT_BUDGET_SHARE),
            clock: chrono::Utc::now,
            template: TemplateRef {
                name: "risk_alert".into(),
                language: "en".into(),
                parameters: TemplateParameters::FirstNameAndHeadline,
            },
            fallback: None,
            welcome: TemplateRef {
                name: "welcome".into(),
                language: "en".into(),
                parameters: TemplateParameters::FirstName,
            },
        }
    }
}

/// How the dispatcher paces and retries.
#[derive(Clone, Debug)]
pub struct DispatchConfig {
    /// Messages per second per business number (Meta's default is 80).
    pub rate_per_sec: f64,
    /// At most one message per recipient per this interval.
    pub recipient_interval: Duration,
    /// Attempts before a retryable failure becomes `AlertFailed`.
    pub max_attempts: u32,
    /// First retry delay (doubles per attempt, with full jitter).
    pub backoff_base: Duration,
    /// Longest retry delay.
    pub backoff_cap: Duration,
    /// How long a send whose outcome is unknown (timeout, crash) waits for
    /// a status webhook before it is sent again.
    pub reconcile_after: Duration,
    /// How long a send may take before another dispatcher may settle it
    /// from a status webhook (longer than the HTTP timeout).
    pub lease: Duration,
    /// Rows claimed per pass.
    pub batch: i64,
    /// Sends in flight at once per dispatcher.
    pub concurrency: usize,
    /// Idle poll interval.
    pub poll: Duration,
    /// Timeout of one HTTP send.
    pub send_timeout: Duration,
    /// The authentication (copy-code) template for one-time codes
    /// (`WHATSAPP_TEMPLATE_OTP`) and its language.
    pub otp_template: (String, String),
}

impl Default for DispatchConfig {
    fn default() -> Self {
        Self {
            rate_per_sec: 80.0,
            recipient_interval: Duration::from_secs(6),
            max_attempts: 12,
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(300),
            reconcile_after: Duration::from_secs(300),
            lease: Duration::from_secs(30),
            batch: 100,
            concurrency: 16,
            poll: Duration::from_millis(200),
            send_timeout: Duration::from_secs(10),
            otp_template: ("otp_code".into(), "en".into()),
        }
    }
}

/// The WhatsApp Cloud API connection; no token means the local adapter.
#[derive(Clone, Debug, Default)]
pub struct WhatsAppSettings {
    /// `WHATSAPP_TOKEN`.
    pub token: Option<Secret>,
    /// `WHATSAPP_PHONE_ID`.
    pub phone_id: Option<String>,
    /// `WHATSAPP_API_VERSION` (default `v21.0`).
    pub api_version: String,
    /// `WHATSAPP_BASE_URL` (default the Graph API).
    pub base_url: String,
    /// `WHATSAPP_APP_SECRET`: verifies `X-Hub-Signature-256`.
    pub app_secret: Option<Secret>,
    /// `WHATSAPP_VERIFY_TOKEN`: answers the subscription handshake.
    pub verify_token: Option<Secret>,
}

/// A setting that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {message}")]
pub struct ConfigError {
    /// The environment variable.
    pub name: &'static str,
    /// What is wrong with it.
    pub message: String,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse<T: std::str::FromStr>(name: &'static str, default: T) -> Result<T, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|_| ConfigError {
            name,
            message: format!("cannot parse {v:?}"),
        }),
    }
}

impl WhatsAppSettings {
    /// Reads the `WHATSAPP_*` variables. A token without a phone number id
    /// is refused rather than half-configured.
    pub fn from_env() -> Result<Self, ConfigError> {
        let s = Self {
            token: var("WHATSAPP_TOKEN").map(Secret::new),
            phone_id: var("WHATSAPP_PHONE_ID"),
            api_version: var("WHATSAPP_API_VERSION").unwrap_or_else(|| "v21.0".into()),
            base_url: var("WHATSAPP_BASE_URL")
                .unwrap_or_else(|| whatsapp::client::GRAPH_BASE_URL.into()),
            app_secret: var("WHATSAPP_APP_SECRET").map(Secret::new),
            verify_token: var("WHATSAPP_VERIFY_TOKEN").map(Secret::new),
        };
        if s.token.is_some() && s.phone_id.is_none() {
            return Err(ConfigError {
                name: "WHATSAPP_PHONE_ID",
                message: "is required when WHATSAPP_TOKEN is set".into(),
            });
        }
        Ok(s)
    }
}

impl AlertPolicy {
    /// Reads `WHATSAPP_TEMPLATE_FLAGGED`, `WHATSAPP_TEMPLATE_LANGUAGE`,
    /// `WHATSAPP_TEMPLATE_FALLBACK`, `ALERT_MIN_BAND`, `ALERT_COOLDOWN_HOURS`,
    /// `ALERT_MAX_AGE` and `ALERT_FALSE_ALARM_BUDGET`.
    pub fn from_env() -> Result<Self, ConfigError> {
        let d = Self::default();
        let min_band = match var("ALERT_MIN_BAND").as_deref() {
            None | Some("High") => Band::High,
            Some("Medium") => Band::Medium,
            Some(other) => {
                return Err(ConfigError {
                    name: "ALERT_MIN_BAND",
                    message: format!("must be Medium or High, not {other:?}"),
                })
            }
        };
        let hours: f64 = parse("ALERT_COOLDOWN_HOURS", 24.0)?;
        if !(0.0..=24.0 * 365.0).contains(&hours) {
            return Err(ConfigError {
                name: "ALERT_COOLDOWN_HOURS",
                message: "must be between 0 and 8760".into(),
            });
        }
        Ok(Self {
            min_band,
            cooldown: Duration::from_secs_f64(hours * 3600.0),
            max_age: parse_age("ALERT_MAX_AGE", d.max_age)?,
            budget: parse_budget("ALERT_FALSE_ALARM_BUDGET", d.budget)?,
            clock: d.clock,
            template: TemplateRef {
                name: var("WHATSAPP_TEMPLATE_FLAGGED").unwrap_or(d.template.name),
                language: var("WHATSAPP_TEMPLATE_LANGUAGE").unwrap_or(d.template.language),
                parameters: TemplateParameters::FirstNameAndHeadline,
            },
            fallback: parse("WHATSAPP_TEMPLATE_FALLBACK", false)?.then(Self::hello_world),
            welcome: TemplateRef {
                name: var("WHATSAPP_TEMPLATE_WELCOME").unwrap_or(d.welcome.name),
                language: var("WHATSAPP_TEMPLATE_LANGUAGE").unwrap_or(d.welcome.language),
                parameters: TemplateParameters::FirstName,
            },
        })
    }
}

impl DispatchConfig {
    /// Reads `WHATSAPP_RATE_PER_SEC`, `ALERT_MAX_ATTEMPTS` and
    /// `ALERT_RECONCILE_SECONDS`; the rest keep their defaults.
    pub fn from_env() -> Result<Self, ConfigError> {
        let d = Self::default();
        let rate: f64 = parse("WHATSAPP_RATE_PER_SEC", d.rate_per_sec)?;
        if !(rate > 0.0 && rate <= 1000.0) {
            return Err(ConfigError {
                name: "WHATSAPP_RATE_PER_SEC",
                message: "must be in (0, 1000]".into(),
            });
        }
        let max_attempts: u32 = parse("ALERT_MAX_ATTEMPTS", d.max_attempts)?;
        let reconcile: u64 = parse("ALERT_RECONCILE_SECONDS", d.reconcile_after.as_secs())?;
        Ok(Self {
            otp_template: (
                var("WHATSAPP_TEMPLATE_OTP").unwrap_or(d.otp_template.0.clone()),
                var("WHATSAPP_TEMPLATE_LANGUAGE").unwrap_or(d.otp_template.1.clone()),
            ),
            rate_per_sec: rate,
            max_attempts: max_attempts.max(1),
            reconcile_after: Duration::from_secs(reconcile.max(1)),
            ..d
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_with_their_unit_and_off_means_no_limit() {
        let h = |n| Some(Duration::from_secs(n));
        assert_eq!(age("72h"), Ok(h(72 * 3600)));
        assert_eq!(age(" 3D "), Ok(h(3 * 86_400)));
        assert_eq!(age("90m"), Ok(h(5_400)));
        assert_eq!(age("3600s"), Ok(h(3_600)));
        assert_eq!(age("off"), Ok(None));
        for bad in ["72", "h", "", "0h", "-1h", "1.5h", "72 hours", "99999999d"] {
            assert!(age(bad).is_err(), "{bad:?} is refused");
        }
    }

    #[test]
    fn a_budget_share_is_more_than_0_and_at_most_1() {
        assert_eq!(share("0.1"), Ok(0.1));
        assert_eq!(share(" 1 "), Ok(1.0));
        assert_eq!(share("1e-3"), Ok(0.001));
        for bad in ["abc", "", "0", "-0.1", "1.5", "NaN", "inf", "10%"] {
            assert!(share(bad).is_err(), "{bad:?} is refused");
        }
    }
}
