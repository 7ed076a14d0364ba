//! The feature state as it was stored before corrections existed (the
//! stored encoding's version 2), and its upcast to today's: a day had no
//! reversed purchases, a statement no period and no returned payments, the
//! state no returned payments. Binary encodings are positional, so an older
//! stored state is read into this shape and converted, never reinterpreted.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::mcc::GROUP_COUNT;
use super::state::{DayBucket, DpdReport, FeatureState, LimitChange, PaymentMade, StatementRecord};

#[derive(Deserialize)]
struct DayBucketV2 {
    purchases: i64,
    cash: i64,
    refunds: i64,
    net: i64,
    purchase_count: u32,
    by_group: [i64; GROUP_COUNT],
}

#[derive(Deserialize)]
struct StatementRecordV2 {
    issued_at: DateTime<Utc>,
    due_end: DateTime<Utc>,
    closing: i64,
    minimum: i64,
    paid: i64,
    late_at: Option<DateTime<Utc>>,
}

/// A feature state in the shape of stored version 2.
#[derive(Deserialize)]
pub struct FeatureStateV2 {
    first_at: Option<DateTime<Utc>>,
    latest_at: Option<DateTime<Utc>>,
    balance: i64,
    limits: Vec<LimitChange>,
    days: BTreeMap<i64, DayBucketV2>,
    over_limit: Vec<DateTime<Utc>>,
    statements: Vec<StatementRecordV2>,
    dpd: Vec<DpdReport>,
    payments: Vec<PaymentMade>,
}

impl From<FeatureStateV2> for FeatureState {
    fn from(v: FeatureStateV2) -> Self {
        Self {
            first_at: v.first_at,
            latest_at: v.latest_at,
            balance: v.balance,
            limits: v.limits,
            days: v
                .days
                .into_iter()
                .map(|(day, b)| {
                    let bucket = DayBucket {
                        purchases: b.purchases,
                        cash: b.cash,
                        refunds: b.refunds,
                        net: b.net,
                        purchase_count: b.purchase_count,
                        by_group: b.by_group,
                        reversed_purchases: 0,
                    };
                    (day, bucket)
                })
                .collect(),
            over_limit: v.over_limit,
            statements: v
                .statements
                .into_iter()
                .map(|s| StatementRecord {
                    issued_at: s.issued_at,
                    due_end: s.due_end,
                    closing: s.closing,
                    minimum: s.minimum,
                    paid: s.paid,
                    late_at: s.late_at,
                    period: None,
                    returned: Vec::new(),
                })
                .collect(),
            dpd: v.dpd,
            payments: v.payments,
            returns: Vec::new(),
        }
    }
}
