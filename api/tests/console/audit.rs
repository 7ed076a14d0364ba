//! The auditor's part of the browser test: a keyboard-only login, a
//! customer's decisions, one decision replayed (match, as the API says), the
//! state as of now, and a tampered decision whose replay lists the same
//! differing fields as the API.

use api::auth::Role;
use serde_json::Value;

use crate::browser::{
    expect_render, js, json_str, layout_defects, rendered, Browser, DemoApp, AUDITOR, ENTER, TAB,
};

pub async fn auditor_replays_a_decision(
    b: &Browser,
    app: &DemoApp,
    customer: &str,
    timings: &mut Vec<(String, (f64, f64))>,
    shots: &mut Vec<std::path::PathBuf>,
) {
    // Keyboard only: type, Tab to the password, Enter to submit.
    b.wait_css("#username").await.click().await.expect("focus");
    b.client
        .active_element()
        .await
        .expect("focus")
        .send_keys(&format!("{}{TAB}", AUDITOR.0))
        .await
        .expect("type");
    b.client
        .active_element()
        .await
        .expect("focus")
        .send_keys(&format!("{}{ENTER}", AUDITOR.1))
        .await
        .expect("type");
    rendered(b, "audit").await;
    b.type_into("#customer", customer).await;
    expect_render(b).await;
    b.click("#audit-lookup button[type=submit]").await;
    rendered(b, "audit-customer").await;
    let api = app
        .get_as(
            Role::Auditor,
            AUDITOR.0,
            &format!("/v1/audit/customers/{customer}/decisions?limit=50&follow_limit=0"),
        )
        .await;
    let n = api["decisions"].as_array().expect("decisions").len();
    assert!(n > 0, "{customer} has decisions");
    assert_eq!(
        js(b, "document.querySelectorAll('a.decision-link').length")
            .await
            .as_u64(),
        Some(n as u64)
    );
    expect_render(b).await;
    b.click("a.decision-link").await;
    rendered(b, "audit-decision").await;
    b.click("#replay").await;
    let verdict = b.wait_css("#replay-result").await;
    let class = verdict
        .attr("class")
        .await
        .expect("class")
        .unwrap_or_default();
    let id = js(b, "decodeURIComponent(location.hash.split('/').pop())").await;
    let replay: Value = reqwest::Client::new()
        .post(format!(
            "{}/v1/audit/decisions/{}/replay",
            app.base,
            id.as_str().expect("id")
        ))
        .bearer_auth(
            app.tokens
                .issue(AUDITOR.0, Role::Auditor, chrono::Utc::now().timestamp()),
        )
        .send()
        .await
        .expect("replay")
        .json()
        .await
        .expect("json");
    assert_eq!(replay["outcome"], "match", "demo decisions replay exactly");
    assert!(class.split(' ').any(|c| c == "match"), "shown as {class}");
    shots.push(b.screenshot("06-audit-replay").await);

    // The state as of now: the band the API computes from the log.
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    expect_render(b).await;
    b.client
        .goto(&format!(
            "{}/#/audit/customers/{customer}?as_of={now}",
            app.base
        ))
        .await
        .expect("goto");
    rendered(b, "audit-customer").await;
    let state = app
        .get_as(
            Role::Auditor,
            AUDITOR.0,
            &format!("/v1/audit/customers/{customer}/state?as_of={now}"),
        )
        .await;
    let shown = b
        .wait_css("#state-result .badge")
        .await
        .text()
        .await
        .expect("band");
    assert_eq!(json_str(&state["band"]), shown);
    let meaning = b
        .wait_css("#state-result p")
        .await
        .text()
        .await
        .expect("meaning");
    assert!(meaning.contains("recording time"), "{meaning}");
    shots.push(b.screenshot("07-audit-state").await);

    // The same moment in business time: the page says which clock it read.
    expect_render(b).await;
    b.client
        .goto(&format!(
            "{}/#/audit/customers/{customer}?as_of={now}&time=business",
            app.base
        ))
        .await
        .expect("goto");
    rendered(b, "audit-customer").await;
    let meaning = b
        .wait_css("#state-result p")
        .await
        .text()
        .await
        .expect("meaning");
    assert!(meaning.contains("business time"), "{meaning}");
    let clock = js(b, "document.querySelector('#clock').value").await;
    assert_eq!(json_str(&clock), "business");
    // On a phone the auditor's page is whole: the date-time field, the
    // clock and the answer are not cut.
    b.client.set_window_size(390, 844).await.expect("resize");
    let defects = layout_defects(b).await;
    b.client.set_window_size(1280, 900).await.expect("resize");
    assert!(
        defects.is_empty(),
        "the auditor's page at 390px:\n{}",
        defects.join("\n")
    );
    let url = format!(
        "{}/#/audit/decisions/{}",
        app.base,
        id.as_str().expect("id")
    );
    timings.push((
        "audit-decision".into(),
        b.timed_load(&url, "audit-decision").await,
    ));
    a_tampered_decision_shows_its_differences(b, app, json_str(&id), shots).await;
}

/// Edits the recorded utilisation of `decision` in the log (bypassing the
/// append-only trigger, as an attacker with database access could), then
/// replays it on the page: a mismatch naming the fields the API names.
async fn a_tampered_decision_shows_its_differences(
    b: &Browser,
    app: &DemoApp,
    decision: &str,
    shots: &mut Vec<std::path::PathBuf>,
) {
    let mut conn = app.db.pool.acquire().await.expect("connection");
    for sql in [
        "SET session_replication_role = replica",
        "UPDATE events SET payload = jsonb_set(payload, \
         '{RiskAssessed,assessment,features,utilisation}', '0.5') \
         WHERE event_type = 'RiskAssessed' \
           AND payload->'RiskAssessed'->'assessment'->>'decision_id' = $1",
        "SET session_replication_role = origin",
    ] {
        sqlx::query(sql)
            .bind(decision)
            .execute(&mut *conn)
            .await
            .expect("tamper");
    }
    drop(conn);
    let token = app
        .tokens
        .issue(AUDITOR.0, Role::Auditor, chrono::Utc::now().timestamp());
    let replay: Value = reqwest::Client::new()
        .post(format!("{}/v1/audit/decisions/{decision}/replay", app.base))
        .bearer_auth(token)
        .send()
        .await
        .expect("replay")
        .json()
        .await
        .expect("json");
    assert_eq!(replay["outcome"], "mismatch", "{replay}");
    let expected: Vec<&str> = replay["diffs"]
        .as_array()
        .expect("diffs")
        .iter()
        .map(|d| json_str(&d["field"]))
        .collect();
    assert!(expected.contains(&"features.utilisation"), "{replay}");

    // Loaded afresh: the page is already at this address.
    b.client.goto("about:blank").await.expect("blank");
    b.client
        .goto(&format!("{}/#/audit/decisions/{decision}", app.base))
        .await
        .expect("goto");
    rendered(b, "audit-decision").await;
    b.click("#replay").await;
    b.wait_css("#replay-result.mismatch").await;
    let shown = js(
        b,
        "[...document.querySelectorAll('#replay-result tbody tr td:first-child')].map(td => td.textContent)",
    )
    .await;
    assert_eq!(shown, serde_json::json!(expected));
    shots.push(b.screenshot("07b-audit-mismatch").await);
}
