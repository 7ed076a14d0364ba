//! 1,000 alerts fall due while WhatsApp is down, then come back through a
//! rate-limit storm: after recovery every alert is delivered exactly once,
//! counted at the fake, and every status webhook is recorded once.

mod alerting;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use alerting::*;
use whatsapp::fake::FakeConfig;

const ALERTS: u32 = 1_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_and_a_rate_limit_storm_lose_and_duplicate_nothing() {
    let h = harness(FakeConfig::default(), true).await;
    let policy = fixture_policy();
    h.fake.set_down(true);
    let runtime = h.start_alerts(
        policy.clone(),
        quick_dispatch(),
        h.cloud(Duration::from_secs(5)),
    );
    for n in 0..ALERTS {
        let id = format!("C-{n}");
        h.register(&id, n).await;
        h.raise(&id, &format!("A-{n}"), &policy).await;
    }
    // Every alert has been tried against the outage at least once.
    wait_for(
        "every alert tried during the outage",
        Duration::from_secs(120),
        || async {
            h.count("SELECT count(*) FROM alert_outbox WHERE attempts >= 1")
                .await
                == i64::from(ALERTS)
        },
    )
    .await;
    assert_eq!(messages(&h.fake), 0);
    // Recovery, into a storm: 300 throughput and 100 pair-rate-limit errors.
    h.fake.fail_next(300, 130429);
    h.fake.fail_next(100, 131056);
    let recovered = Instant::now();
    h.fake.set_down(false);
    wait_for("every alert sent", Duration::from_secs(180), || async {
        h.count("SELECT count(*) FROM alert_outbox WHERE state = 'sent'")
            .await
            == i64::from(ALERTS)
    })
    .await;
    let elapsed = recovered.elapsed();
    wait_for(
        "every status recorded",
        Duration::from_secs(120),
        || async {
            h.count("SELECT count(*) FROM events WHERE event_type = 'AlertDeliveryUpdated'")
                .await
                == 3 * i64::from(ALERTS)
        },
    )
    .await;
    runtime.stop().await;

    let at_fake = h.fake.messages();
    let distinct: HashSet<_> = at_fake
        .iter()
        .filter_map(|m| m.callback_data.clone())
        .collect();
    let recipients: HashSet<_> = at_fake.iter().map(|m| m.to.clone()).collect();
    println!(
        "alerts due {ALERTS}, messages at the fake {}, distinct alerts {}, recovery to all sent {:.1}s ({:.0} alerts/s)",
        at_fake.len(),
        distinct.len(),
        elapsed.as_secs_f64(),
        f64::from(ALERTS) / elapsed.as_secs_f64()
    );
    assert_eq!(
        at_fake.len(),
        ALERTS as usize,
        "no message lost or duplicated"
    );
    assert_eq!(distinct.len(), ALERTS as usize);
    assert_eq!(recipients.len(), ALERTS as usize);
    assert_eq!(
        h.count("SELECT count(*) FROM events WHERE event_type = 'AlertSent'")
            .await,
        i64::from(ALERTS)
    );
    assert_eq!(
        h.count("SELECT count(*) FROM events WHERE event_type = 'AlertFailed'")
            .await,
        0
    );
    // The outage and the storm are on the record of the alerts they hit.
    let storm_hits = h
        .count(
            "SELECT count(*) FROM events, jsonb_array_elements(payload -> 'AlertSent' -> 'failures') f \
             WHERE event_type = 'AlertSent' AND (f ->> 'code')::bigint IN (130429, 131056)",
        )
        .await;
    // Only the newest 20 failures are kept per alert, so count alerts, not
    // failures: every one was tried during the outage before it went out.
    let retried = h
        .count(
            "SELECT count(*) FROM events WHERE event_type = 'AlertSent' \
             AND (payload -> 'AlertSent' ->> 'attempts')::int >= 2",
        )
        .await;
    println!("alerts sent after retries {retried}, rate-limit failures on record {storm_hits}");
    assert_eq!(retried, i64::from(ALERTS));
    assert!(storm_hits >= 1, "the storm left no trace");
}
