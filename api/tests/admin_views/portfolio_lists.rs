//! The portfolio summary and the top-risks list: roles, counts, filters,
//! sorting and paging.

use std::collections::HashSet;

use api::auth::Role;
use serde_json::{json, Value};

use super::*;
use crate::common::*;

#[tokio::test]
async fn every_admin_route_checks_the_role() {
    let p = portfolio().await;
    let now = chrono::Utc::now().timestamp();
    let others = [
        p.app.tokens.issue("C-000", Role::Customer, now),
        p.app.tokens.issue("bank-core", Role::Ingest, now),
        p.app.tokens.issue("audit", Role::Auditor, now),
    ];
    for path in [
        "/v1/admin/portfolio",
        "/v1/admin/customers",
        "/v1/admin/customers/C-001",
        "/v1/admin/customers/C-001/transactions",
        "/v1/admin/customers/C-001/statements",
    ] {
        assert_eq!(get_as(&p, path, None).await.status(), 401, "{path}");
        for t in &others {
            assert_eq!(get_as(&p, path, Some(t)).await.status(), 403, "{path}");
        }
        assert_eq!(get(&p, path).await.status(), 200, "{path}");
    }
    let before = p.app.event_count().await;
    let r = reqwest::Client::new()
        .post(format!("{}/v1/admin/customers/C-001/alerts", p.app.base))
        .bearer_auth(&others[0])
        .json(&json!({"reason": "x"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 403);
    assert_eq!(p.app.event_count().await, before);
}

#[tokio::test]
async fn the_portfolio_counts_bands_exposure_mix_migrations_and_alerts() {
    let p = portfolio().await;
    // Every view has applied every event, so nothing moves between the two
    // requests below.
    wait_count(
        &p.app,
        "SELECT count(*) FROM projection_checkpoints c WHERE c.name IN \
         ('customer_overview', 'customer_features', 'risk_decisions', 'customer_alerts') \
         AND NOT EXISTS (SELECT 1 FROM events e WHERE (e.tx_id, e.global_position) > (c.tx_id, c.position))",
        4,
    )
    .await;
    let r = get(&p, "/v1/admin/portfolio?from=2026-01-25&to=2026-02-05").await;
    assert_eq!(r.status(), 200);
    let tag = r
        .headers()
        .get("etag")
        .expect("etag")
        .to_str()
        .expect("text")
        .to_owned();
    let body = json_of(r).await;
    let band = |b: &str| {
        body["bands"]
            .as_array()
            .expect("bands")
            .iter()
            .find(|x| x["band"] == b)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(band("High")["customers"], HIGH as i64);
    assert_eq!(band("High")["balance_minor"], 9_600_000 * HIGH as i64);
    assert_eq!(band("Low")["customers"], LOW as i64);
    let mix = body["band_mix"].as_array().expect("mix");
    assert_eq!(mix.len(), 12, "one entry per day of the range");
    // All opened 2026-01-01 (Low before the range); escalated on 2026-02-01.
    assert_eq!(mix[0]["bands"]["Low"], (HIGH + LOW) as i64);
    assert_eq!(mix[6]["date"], "2026-01-31");
    assert_eq!(mix[6]["bands"]["High"], 0);
    assert_eq!(mix[7]["bands"]["High"], HIGH as i64);
    assert_eq!(mix[11]["bands"]["Low"], LOW as i64);
    assert_eq!(
        body["migrations"],
        json!([{"from": "Low", "to": "High", "customers": HIGH}])
    );
    // Escalation alerts are raised at the decisions' business time.
    assert_eq!(body["alerts"]["raised"], HIGH as i64);
    assert_eq!(body["alerts"]["sent"], HIGH as i64);
    assert_eq!(body["alerts"]["suppressed"], 0);
    assert_eq!(body["alerts"]["suppressed_stale"], 0);
    assert_eq!(body["alerts"]["other_messages"], 0);
    assert!(!body["projected"].as_array().expect("projected").is_empty());

    // Revalidation: the same question with the same data is 304.
    let again = reqwest::Client::new()
        .get(format!(
            "{}/v1/admin/portfolio?from=2026-01-25&to=2026-02-05",
            p.app.base
        ))
        .bearer_auth(&p.admin)
        .header("if-none-match", &tag)
        .send()
        .await
        .expect("get");
    assert_eq!(again.status(), 304);

    assert_bad_param(&p, "/v1/admin/portfolio?from=yesterday", "from").await;
    assert_bad_param(
        &p,
        "/v1/admin/portfolio?from=2026-02-05&to=2026-01-01",
        "from",
    )
    .await;
    assert_bad_param(
        &p,
        "/v1/admin/portfolio?from=2024-01-01&to=2026-01-01",
        "from",
    )
    .await;
    assert_bad_param(&p, "/v1/admin/portfolio?colour=red", "colour").await;
}

#[tokio::test]
async fn the_risk_list_filters_sorts_and_pages_without_repeats_while_rows_arrive() {
    let p = portfolio().await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut extra = HIGH + LOW;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/admin/customers?band=High&limit=3&cursor={c}"),
            None => "/v1/admin/customers?band=High&limit=3".to_owned(),
        };
        let body = json_of(get(&p, &path).await).await;
        let items = body["items"].as_array().expect("items").clone();
        for i in &items {
            seen.push((
                i["customer_id"].as_str().expect("id").to_owned(),
                i["score"].as_f64().expect("score"),
            ));
            assert_eq!(i["band"], "High");
            // The original customers' alerts went out before paging began;
            // those arriving meanwhile may still be on their way.
            let original = (0..HIGH).any(|n| i["customer_id"] == customer(n).as_str());
            if original {
                assert_eq!(i["last_alert"]["status"], "sent", "{i}");
                assert!(!i["reasons"].as_array().expect("reasons").is_empty());
            }
        }
        // New High customers arrive while the admin pages.
        add_customer(&p.app, extra, true).await;
        extra += 1;
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let ids: Vec<&str> = seen.iter().map(|(id, _)| id.as_str()).collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "no row repeated: {ids:?}");
    for n in 0..HIGH {
        assert!(
            unique.contains(customer(n).as_str()),
            "{} skipped",
            customer(n)
        );
    }
    assert!(
        seen.windows(2).all(|w| w[0].1 >= w[1].1),
        "ordered by score, highest first"
    );

    // Let the customers added while paging settle (scored and decided).
    let added = (extra - HIGH - LOW) as i64;
    wait_count(
        &p.app,
        "SELECT count(*) FROM risk_decisions",
        HIGH as i64 + added,
    )
    .await;
    wait_count(
        &p.app,
        "SELECT count(*) FROM customer_risk WHERE recorded_band = 'High'",
        HIGH as i64 + added,
    )
    .await;
    let low = json_of(
        get(
            &p,
            "/v1/admin/customers?band=Low&sort=customer_id&limit=200",
        )
        .await,
    )
    .await;
    assert_eq!(low["items"].as_array().expect("items").len(), LOW);
    let busy = json_of(
        get(
            &p,
            "/v1/admin/customers?min_utilisation=0.9&max_utilisation=1",
        )
        .await,
    )
    .await;
    assert!(busy["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|i| i["utilisation"].as_f64().expect("u") >= 0.9));
    let rule = busy["items"][0]["fired_rules"][0]
        .as_str()
        .expect("a fired rule")
        .to_owned();
    let by_rule =
        json_of(get(&p, &format!("/v1/admin/customers?rule={rule}&limit=200")).await).await;
    assert!(by_rule["items"].as_array().expect("items").len() >= HIGH);
    let first = json_of(get(&p, "/v1/admin/customers?limit=2").await).await;
    let c = first["next_cursor"].as_str().expect("cursor");
    assert_bad_param(
        &p,
        &format!("/v1/admin/customers?sort=score&cursor={c}"),
        "cursor",
    )
    .await;
    assert_bad_param(&p, "/v1/admin/customers?cursor=garbage", "cursor").await;
    assert_bad_param(&p, "/v1/admin/customers?limit=0", "limit").await;
    assert_bad_param(&p, "/v1/admin/customers?limit=201", "limit").await;
    assert_bad_param(&p, "/v1/admin/customers?band=Severe", "band").await;
    assert_bad_param(&p, "/v1/admin/customers?sort=name", "sort").await;
    assert_bad_param(
        &p,
        "/v1/admin/customers?min_utilisation=abc",
        "min_utilisation",
    )
    .await;
    assert_bad_param(
        &p,
        "/v1/admin/customers?min_utilisation=2&max_utilisation=1",
        "min_utilisation",
    )
    .await;
}

#[tokio::test]
async fn migrations_count_customers_not_decisions() {
    let p = portfolio().await;
    // C-000 goes High -> Low -> High again: three decisions, one customer
    // on Low -> High.
    let mut refund = transaction("T-0-R", 9_000_000);
    refund["kind"] = json!("refund");
    refund["occurred_at"] = json!("2026-02-02T10:00:00Z");
    let r = p
        .app
        .post("/v1/customers/C-000/transactions", &refund)
        .await;
    assert_eq!(r.status(), 201);
    wait_count(
        &p.app,
        "SELECT count(*) FROM risk_decisions WHERE customer_id = 'C-000'",
        2,
    )
    .await;
    let mut again = transaction("T-0-B", 9_000_000);
    again["occurred_at"] = json!("2026-02-03T10:00:00Z");
    let r = p.app.post("/v1/customers/C-000/transactions", &again).await;
    assert_eq!(r.status(), 201);
    wait_count(
        &p.app,
        "SELECT count(*) FROM risk_decisions WHERE customer_id = 'C-000'",
        3,
    )
    .await;
    let body = json_of(get(&p, "/v1/admin/portfolio?from=2026-01-25&to=2026-02-05").await).await;
    let moved = |from: &str, to: &str| {
        body["migrations"]
            .as_array()
            .expect("migrations")
            .iter()
            .find(|m| m["from"] == from && m["to"] == to)
            .map_or(0, |m| m["customers"].as_i64().expect("customers"))
    };
    assert_eq!(moved("Low", "High"), HIGH as i64, "{body}");
    assert_eq!(moved("High", "Low"), 1, "{body}");
}
