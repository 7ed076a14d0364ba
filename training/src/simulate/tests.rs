use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use cqrs_es::Aggregate;
use domain::features::{features_from_history, Features};
use domain::values::CustomerId;
use domain::{Customer, CustomerCommand, CustomerEvent, KnownFacts};
use serde_json::{json, Value};

use super::*;

fn cfg(customers: usize, months: u32, seed: u64) -> SimConfig {
    SimConfig {
        customers,
        months,
        seed,
        ..SimConfig::default()
    }
}

fn ndjson(cfg: &SimConfig) -> (Vec<u8>, Vec<Truth>) {
    let mut bytes = Vec::new();
    let truths = write_ndjson(cfg, &mut bytes).expect("in-memory write");
    (bytes, truths)
}

/// The flat line as a typed command (the adjacently tagged serde form).
fn command(line: &Value) -> (String, CustomerCommand) {
    let mut obj = line.as_object().expect("an object").clone();
    let name = obj.remove("command").expect("command");
    let id = obj.remove("customer_id").expect("customer_id");
    let cmd = serde_json::from_value(json!({"command": name, "data": Value::Object(obj)}))
        .unwrap_or_else(|e| panic!("{line} does not parse: {e}"));
    (id.as_str().expect("string id").to_string(), cmd)
}

struct Stream {
    aggregate: Customer,
    events: Vec<CustomerEvent>,
    last_at: Option<DateTime<Utc>>,
}

/// Feeds every line through the domain aggregate, asserting that none is
/// refused or a no-op and that each customer's lines are chronological.
fn run_through_domain(cfg: &SimConfig) -> (BTreeMap<String, Vec<CustomerEvent>>, Vec<Truth>) {
    let mut streams: BTreeMap<String, Stream> = BTreeMap::new();
    let truths = simulate(cfg, |line| -> Result<(), String> {
        let (id, cmd) = command(line);
        let at = cmd.occurred_at();
        if let CustomerCommand::RecordTransaction(t) = &cmd {
            let mcc_needed = matches!(line["kind"].as_str(), Some("purchase") | Some("refund"));
            assert_eq!(t.merchant_category_code.is_some(), mcc_needed, "{line}");
        }
        let s = streams.entry(id.clone()).or_insert_with(|| Stream {
            aggregate: Customer::default(),
            events: Vec::new(),
            last_at: None,
        });
        if let Some(last) = s.last_at {
            assert!(at >= last, "{id}: {line} is before {last}");
        }
        s.last_at = Some(at);
        let cid = CustomerId::parse(&id).expect("valid customer id");
        let event = s
            .aggregate
            .decide(&cid, cmd, &KnownFacts::none())
            .unwrap_or_else(|e| panic!("{line} refused: {e}"))
            .unwrap_or_else(|| panic!("{line} was a no-op"));
        s.aggregate.apply(event.clone());
        s.events.push(event);
        Ok(())
    })
    .expect("no sink errors");
    let events = streams.into_iter().map(|(k, s)| (k, s.events)).collect();
    (events, truths)
}

#[test]
fn the_same_seed_gives_the_same_bytes_and_another_seed_does_not() {
    let (a, ta) = ndjson(&cfg(60, 8, 7));
    let (b, tb) = ndjson(&cfg(60, 8, 7));
    assert!(!a.is_empty());
    assert_eq!(a, b);
    assert_eq!(ta, tb);
    let (c, _) = ndjson(&cfg(60, 8, 8));
    assert_ne!(a, c);
}

#[test]
fn a_customer_does_not_depend_on_how_many_others_there_are() {
    let lines_of = |n: usize| {
        let mut out = Vec::new();
        simulate(&cfg(n, 6, 3), |l| -> Result<(), ()> {
            if l["customer_id"] == "SIM-000004" {
                out.push(l.clone());
            }
            Ok(())
        })
        .expect("no errors");
        out
    };
    let few = lines_of(5);
    assert!(few.len() > 50);
    assert_eq!(few, lines_of(40));
}

#[test]
fn every_line_is_accepted_by_the_domain_aggregate() {
    let c = cfg(200, 12, 11);
    let (events, truths) = run_through_domain(&c);
    assert_eq!(events.len(), 200);
    assert_eq!(truths.len(), 200);
    let total: usize = events.values().map(Vec::len).sum();
    // 10–40 transactions a month plus statement, payment, reports.
    let per_month = total as f64 / (200.0 * 12.0);
    assert!(
        (12.0..=45.0).contains(&per_month),
        "{per_month} lines a month"
    );
    for (id, evs) in &events {
        let CustomerEvent::CustomerRegistered(r) = &evs[0] else {
            panic!("{id} does not start with registration");
        };
        let phone = r.phone.to_string();
        assert!(phone.starts_with("+9197") && phone.len() == 13, "{phone}");
        let statements = evs
            .iter()
            .filter(|e| matches!(e, CustomerEvent::StatementIssued(_)))
            .count();
        assert_eq!(statements, 12, "{id}");
        let mut kinds = BTreeMap::new();
        for e in evs {
            if let CustomerEvent::TransactionRecorded(t) = e {
                assert!(t.amount_minor > 0);
                *kinds.entry(t.channel).or_insert(0) += 1;
            }
        }
        assert!(kinds.len() >= 2, "{id} uses one channel");
    }
    assert!(truths.iter().any(|t| t.segment == "stressed"));
}

#[test]
fn shares_and_outcomes_follow_the_configuration() {
    let c = cfg(2_000, 12, 2025);
    let truths = simulate(&c, |_| -> Result<(), ()> { Ok(()) }).expect("no errors");
    let of = |seg: &str| {
        truths
            .iter()
            .filter(|t| t.segment == seg)
            .collect::<Vec<_>>()
    };
    let (stressed, healthy, noisy) = (of("stressed"), of("healthy"), of("noisy"));
    assert_eq!(stressed.len() + healthy.len() + noisy.len(), 2_000);
    let share = stressed.len() as f64 / 2_000.0;
    assert!((share - 0.12).abs() <= 0.03, "stressed share {share}");
    let noisy_share = noisy.len() as f64 / 2_000.0;
    assert!(
        (0.02..=0.08).contains(&noisy_share),
        "noisy share {noisy_share}"
    );
    assert!(stressed.iter().all(|t| t.stress_start.is_some()));
    let delinquent = |ts: &[&Truth]| {
        ts.iter().filter(|t| t.first_delinquent.is_some()).count() as f64 / ts.len() as f64
    };
    let s = delinquent(&stressed);
    assert!(s >= 0.6, "only {s} of stressed customers reached 30 DPD");
    assert!(s < 1.0, "every stressed customer defaulted");
    let mut calm = healthy.clone();
    calm.extend(noisy.iter());
    let h = delinquent(&calm);
    eprintln!(
        "stressed {share:.3}, noisy {noisy_share:.3}, stressed reaching 30 DPD {s:.3}, others {h:.3}"
    );
    assert!(h <= 0.02, "{h} of healthy customers reached 30 DPD");
    for t in &stressed {
        if let (Some(s), Some(d)) = (t.stress_start, t.first_delinquent) {
            assert!(d > s + Duration::days(60), "{t:?}");
        }
    }
}

#[test]
fn features_before_delinquency_separate_stressed_from_healthy() {
    let c = SimConfig {
        stressed_share: 0.3,
        ..cfg(400, 12, 99)
    };
    let (events, truths) = run_through_domain(&c);
    let mut as_ofs = Vec::new();
    let mut stressed: Vec<Features> = Vec::new();
    for t in &truths {
        if let (Some(d), "stressed") = (t.first_delinquent, t.segment.as_str()) {
            let as_of = (d - Duration::days(60))
                .and_hms_opt(0, 0, 0)
                .expect("midnight")
                .and_utc();
            as_ofs.push(as_of);
            stressed.push(features_from_history(&events[&t.customer_id], as_of));
        }
    }
    assert!(stressed.len() >= 40, "{} delinquent", stressed.len());
    let healthy: Vec<Features> = truths
        .iter()
        .filter(|t| t.segment == "healthy")
        .zip(as_ofs.iter().cycle())
        .map(|(t, as_of)| features_from_history(&events[&t.customer_id], *as_of))
        .collect();
    let mean =
        |fs: &[Features], f: fn(&Features) -> f64| fs.iter().map(f).sum::<f64>() / fs.len() as f64;
    let util = (
        mean(&stressed, |f| f.utilisation),
        mean(&healthy, |f| f.utilisation),
    );
    let cash = (
        mean(&stressed, |f| f.cash_withdrawal_share),
        mean(&healthy, |f| f.cash_withdrawal_share),
    );
    let min_only = (
        mean(&stressed, |f| f.consecutive_min_only),
        mean(&healthy, |f| f.consecutive_min_only),
    );
    let ratio = (
        mean(&stressed, |f| f.payment_ratio),
        mean(&healthy, |f| f.payment_ratio),
    );
    eprintln!("stressed vs healthy: utilisation {util:?}, cash {cash:?}, min-only {min_only:?}, payment ratio {ratio:?}");
    assert!(util.0 > util.1, "utilisation {util:?}");
    assert!(cash.0 > cash.1, "cash share {cash:?}");
    assert!(min_only.0 > min_only.1, "min-only {min_only:?}");
    assert!(ratio.0 < ratio.1, "payment ratio {ratio:?}");
    // Not yet delinquent 60 days before: no 30+ report.
    assert!(stressed.iter().all(|f| f.days_past_due < 30.0));
}

#[test]
fn truths_are_written_as_csv() {
    let truths = vec![
        Truth {
            customer_id: "SIM-000000".into(),
            segment: "healthy".into(),
            stress_start: None,
            first_delinquent: None,
            shows: "transactor".into(),
        },
        Truth {
            customer_id: "SIM-000001".into(),
            segment: "stressed".into(),
            stress_start: chrono::NaiveDate::from_ymd_opt(2025, 3, 1),
            first_delinquent: chrono::NaiveDate::from_ymd_opt(2025, 8, 19),
            shows: "cash+min_only".into(),
        },
    ];
    let mut out = Vec::new();
    write_truth_csv(&truths, &mut out).expect("in-memory write");
    assert_eq!(
        String::from_utf8(out).expect("utf-8"),
        "customer_id,segment,stress_start,first_delinquent,shows\n\
         SIM-000000,healthy,,,transactor\n\
         SIM-000001,stressed,2025-03-01,2025-08-19,cash+min_only\n"
    );
}

/// `cargo test -p training --release -- --ignored ten_thousand --nocapture`
#[test]
#[ignore = "timing; run in release"]
fn ten_thousand_customers_for_a_year() {
    struct Count(usize, usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            self.1 += buf.iter().filter(|&&b| b == b'\n').count();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let started = std::time::Instant::now();
    let mut count = Count(0, 0);
    let truths = write_ndjson(&cfg(10_000, 12, 1), &mut count).expect("counting write");
    let elapsed = started.elapsed();
    eprintln!(
        "10,000 × 12: {} lines, {:.1} MB, {} truths in {elapsed:.2?}",
        count.1,
        count.0 as f64 / 1e6,
        truths.len()
    );
}

/// Pinned bytes of a small `easy` portfolio: the original simulator's output
/// (checked equal, line for line, to the simulator before profiles existed
/// on 5,000 customers), so a harder profile's extra draws never leak into it.
#[test]
fn the_easy_profile_is_the_original_simulator_bit_for_bit() {
    use sha2::{Digest, Sha256};
    let (bytes, _) = ndjson(&cfg(30, 6, 3));
    let digest = hex::encode(Sha256::digest(&bytes));
    assert_eq!(digest, EASY_DIGEST, "the easy portfolio changed");
}

const EASY_DIGEST: &str = "90fa198785e715091dd1bbd71644ba48334e57604f55791ef488e20953c254c8";

#[test]
fn harder_profiles_are_valid_with_daily_reports_late_arrivals_and_look_alikes() {
    for profile in [Profile::Realistic, Profile::Hard] {
        let c = SimConfig {
            profile,
            stressed_share: 0.3,
            ..cfg(300, 12, 21)
        };
        let mut streams: BTreeMap<String, (Customer, KnownFacts, Option<DateTime<Utc>>)> =
            BTreeMap::new();
        let (mut late, mut dpd_days, mut full_high) = (0, BTreeMap::<String, usize>::new(), 0);
        let mut bounced = 0;
        let mut limit: BTreeMap<String, i64> = BTreeMap::new();
        let mut last_closing: BTreeMap<String, i64> = BTreeMap::new();
        simulate(&c, |line| -> Result<(), String> {
            let (id, cmd) = command(line);
            let at = cmd.occurred_at();
            let (customer, facts, latest) = streams.entry(id.clone()).or_default();
            if matches!(cmd, CustomerCommand::RecordTransaction(_)) {
                if latest.is_some_and(|l| at < l) {
                    late += 1;
                }
                *latest = Some(latest.map_or(at, |l| l.max(at)));
            }
            match &cmd {
                CustomerCommand::RegisterCustomer(r) => {
                    limit.insert(id.clone(), r.credit_limit_minor.minor());
                }
                CustomerCommand::ReportDaysPastDue(r) if r.days_past_due > 0 => {
                    *dpd_days.entry(id.clone()).or_default() += 1;
                }
                CustomerCommand::IssueStatement(s) => {
                    last_closing.insert(id.clone(), s.closing_balance_minor.minor());
                }
                CustomerCommand::RecordPayment(p) => {
                    let closing = last_closing.get(&id).copied().unwrap_or(0);
                    if p.amount_minor.minor() == closing && closing * 10 >= limit[&id] * 6 {
                        full_high += 1;
                    }
                }
                _ => {}
            }
            let cid = CustomerId::parse(&id).expect("valid customer id");
            bounced += usize::from(matches!(cmd, CustomerCommand::ReturnPayment(_)));
            let event = customer
                .decide(&cid, cmd, facts)
                .unwrap_or_else(|e| panic!("{profile}: {line} refused: {e}"))
                .unwrap_or_else(|| panic!("{profile}: {line} was a no-op"));
            facts.remember(event.clone());
            customer.apply(event);
            Ok(())
        })
        .expect("no sink errors");
        assert!(late > 0, "{profile}: some transactions arrive late");
        assert!(bounced > 10, "{profile}: some payments bounce ({bounced})");
        let longest = dpd_days.values().max().copied().unwrap_or(0);
        assert!(
            longest > 20,
            "{profile}: reports every day while behind ({longest})"
        );
        assert!(
            full_high > 50,
            "{profile}: transactors pay 60 %+ of the limit in full ({full_high})"
        );
    }
}

#[test]
fn healthy_customers_are_late_by_days_or_a_whole_cycle_and_catch_up() {
    for profile in [Profile::Realistic, Profile::Hard] {
        let c = SimConfig {
            profile,
            ..cfg(400, 12, 33)
        };
        let (bytes, truths) = ndjson(&c);
        let mut worst: BTreeMap<String, u32> = BTreeMap::new();
        for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            let v: Value = serde_json::from_slice(line).expect("json");
            if let (_, CustomerCommand::ReportDaysPastDue(r)) = command(&v) {
                let w = worst.entry(v["customer_id"].as_str().expect("id").into());
                let w = w.or_default();
                *w = (*w).max(r.days_past_due);
            }
        }
        let healthy: Vec<&Truth> = truths
            .iter()
            .filter(|t| t.first_delinquent.is_none())
            .collect();
        let late = |lo: u32, hi: u32| {
            healthy
                .iter()
                .filter(|t| {
                    worst
                        .get(&t.customer_id)
                        .is_some_and(|w| (lo..=hi).contains(w))
                })
                .count()
        };
        // Within the cycle (1–8 days), and a whole cycle late (12–28).
        assert!(late(1, 8) > 5, "{profile}: {}", late(1, 8));
        assert!(late(12, 29) > 10, "{profile}: {}", late(12, 29));
        assert_eq!(late(30, u32::MAX), 0, "{profile}: healthy means never 30+");
        assert!(
            healthy.iter().any(|t| t.shows == "late_payer"),
            "{profile}: some healthy customers pay late often"
        );
    }
}
