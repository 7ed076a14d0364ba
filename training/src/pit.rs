//! Point-in-time training data from a command log (the simulator's NDJSON,
//! in the importer's flat shape): every customer's commands are replayed
//! through the `Customer` aggregate (so only what the system would have
//! stored counts), then features are computed **as of** a series of
//! observation dates with the production feature code — a feature never sees
//! an event after its as-of time — and each row is labelled by whether the
//! customer reaches 30+ days past due within the next 90 days. Customers
//! already 30+ days past due at an observation date are not observed then.

use std::collections::BTreeMap;
use std::io::BufRead;

use chrono::{DateTime, Duration, Utc};
use cqrs_es::Aggregate;
use domain::customer::{CustomerCommand, CustomerEvent};
use domain::features::{features_from_history, Features};
use domain::values::CustomerId;
use domain::{Customer, KnownFacts};
use serde_json::Value;

use crate::{Dataset, TrainingError};

/// Days past due from which a customer counts as delinquent.
pub const DELINQUENT_DAYS: u32 = 30;
/// How far ahead a label looks.
pub const HORIZON_DAYS: i64 = 90;

/// One customer's stored history.
#[derive(Clone, Debug, Default)]
pub struct History {
    /// Events in stream order.
    pub events: Vec<CustomerEvent>,
}

impl History {
    /// When the customer first reached [`DELINQUENT_DAYS`] past due.
    pub fn first_delinquent(&self) -> Option<DateTime<Utc>> {
        self.events
            .iter()
            .filter_map(|e| match e {
                CustomerEvent::DaysPastDueReported(r) if r.days_past_due >= DELINQUENT_DAYS => {
                    Some(r.as_of)
                }
                _ => None,
            })
            .min()
    }

    fn span(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let times = self
            .events
            .iter()
            .filter(|e| e.is_behaviour())
            .map(CustomerEvent::occurred_at);
        Some((times.clone().min()?, times.max()?))
    }
}

/// Parses one flat NDJSON line (`command`, `customer_id`, fields).
pub fn parse_line(line: &str) -> Result<(CustomerId, CustomerCommand), String> {
    let Value::Object(mut obj) = serde_json::from_str::<Value>(line).map_err(|e| e.to_string())?
    else {
        return Err("not a JSON object".into());
    };
    let name = obj.remove("command").ok_or("missing command")?;
    let id = match obj.remove("customer_id") {
        Some(Value::String(s)) => CustomerId::parse(&s)?,
        _ => return Err("missing customer_id".into()),
    };
    let tagged = serde_json::json!({"command": name, "data": Value::Object(obj)});
    let command = serde_json::from_value(tagged).map_err(|e| e.to_string())?;
    Ok((id, command))
}

/// Replays a command log through the aggregate, per customer. Refused lines
/// are counted, not fatal (the importer refuses them too).
pub fn replay(reader: impl BufRead) -> Result<(BTreeMap<String, History>, usize), TrainingError> {
    let mut state: BTreeMap<String, (Customer, KnownFacts, History)> = BTreeMap::new();
    let mut refused = 0;
    for (n, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| TrainingError::Io {
            path: format!("line {}", n + 1),
            reason: e.to_string(),
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let Ok((id, command)) = parse_line(&line) else {
            refused += 1;
            continue;
        };
        let (customer, facts, history) = state.entry(id.to_string()).or_default();
        match customer.decide(&id, command, facts) {
            Ok(Some(event)) => {
                customer.apply(event.clone());
                facts.remember(event.clone());
                history.events.push(event);
            }
            Ok(None) => {}
            Err(_) => refused += 1,
        }
    }
    Ok((
        state.into_iter().map(|(id, (_, _, h))| (id, h)).collect(),
        refused,
    ))
}

/// One observation: a customer as of a date, its label and its true
/// delinquency date (for early-warning figures).
#[derive(Clone, Debug, PartialEq)]
pub struct Observation {
    /// Customer id.
    pub customer_id: String,
    /// The as-of time.
    pub at: DateTime<Utc>,
    /// When the customer first became delinquent, if ever.
    pub first_delinquent: Option<DateTime<Utc>>,
    /// The features as of `at`.
    pub features: Features,
    /// Whether the customer became delinquent within the horizon.
    pub label: bool,
}

/// Observes every customer every `step_days` from 60 days after their first
/// event, as long as an observation's 90-day horizon is inside the data.
pub fn point_in_time(
    histories: &BTreeMap<String, History>,
    step_days: i64,
) -> (Dataset, Vec<Observation>) {
    let end = histories
        .values()
        .filter_map(|h| h.span().map(|s| s.1))
        .max();
    let mut data = Dataset::default();
    let mut observations = Vec::new();
    let Some(end) = end else {
        return (data, observations);
    };
    for (id, history) in histories {
        let Some((first, _)) = history.span() else {
            continue;
        };
        let delinquent = history.first_delinquent();
        let mut at = first + Duration::days(60);
        while at + Duration::days(HORIZON_DAYS) <= end {
            if delinquent.is_some_and(|d| d <= at) {
                break;
            }
            let features =
                features_from_history(history.events.iter().filter(|e| e.occurred_at() <= at), at);
            let label = delinquent.is_some_and(|d| d <= at + Duration::days(HORIZON_DAYS));
            data.push(features.to_vec(), label, id.clone());
            observations.push(Observation {
                customer_id: id.clone(),
                at,
                first_delinquent: delinquent,
                features,
                label,
            });
            at += Duration::days(step_days);
        }
    }
    (data, observations)
}

/// Rows to fit an early-warning model on: every customer every `step_days`
/// from 60 days after their first event, labelled by whether they reach
/// 30+ days past due within `horizon_days`; the observations of the last
/// `min_lead_days` before a delinquency are left out, so the model learns
/// what shows early, not the missed payment itself (an alert that late is
/// not early).
pub fn early_rows(
    histories: &BTreeMap<String, History>,
    step_days: i64,
    horizon_days: i64,
    min_lead_days: i64,
) -> Dataset {
    let end = histories
        .values()
        .filter_map(|h| h.span().map(|s| s.1))
        .max();
    let mut data = Dataset::default();
    let Some(end) = end else {
        return data;
    };
    for (id, history) in histories {
        let Some((first, _)) = history.span() else {
            continue;
        };
        let delinquent = history.first_delinquent();
        let mut at = first + Duration::days(60);
        while at + Duration::days(horizon_days) <= end {
            if delinquent.is_some_and(|d| d - Duration::days(min_lead_days) <= at) {
                break;
            }
            let features =
                features_from_history(history.events.iter().filter(|e| e.occurred_at() <= at), at);
            let label = delinquent.is_some_and(|d| d <= at + Duration::days(horizon_days));
            data.push(features.to_vec(), label, id.clone());
            at += Duration::days(step_days);
        }
    }
    data
}
