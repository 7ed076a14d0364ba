//! The features view equals the domain's reference computation over each
//! customer's full history, and a rebuild reproduces it exactly.

mod common;

use std::sync::Arc;

use commands::testing::fresh_database;
use commands::PgEventStore;
use common::*;
use domain::features::{features_from_history, FEATURE_NAMES};
use domain::Customer;
use projections::lag::LagTracker;
use projections::rebuild::rebuild;
use projections::views::features::CustomerFeatures;
use projections::Runner;
use sqlx::Row;

#[tokio::test]
async fn projected_features_equal_the_reference_replay_and_survive_a_rebuild() {
    let db = fresh_database().await;
    let bus = bus(&db.pool);
    let head = write(&bus, portfolio(12)).await;
    let model = Arc::new(domain::risk::demo_artifact());
    Runner::new(
        CustomerFeatures::new(model.clone()),
        db.pool.clone(),
        Arc::new(LagTracker::default()),
    )
    .with_batch(9)
    .catch_up_to(head, 10_000)
    .await
    .expect("features");
    let store = PgEventStore::<Customer>::new(db.pool.clone());
    let rows = sqlx::query("SELECT * FROM customer_features ORDER BY customer_id")
        .fetch_all(&db.pool)
        .await
        .expect("rows");
    assert_eq!(rows.len(), 12);
    for row in &rows {
        let id: String = row.get("customer_id");
        let (history, as_of) = history(&store, &id).await;
        assert_eq!(row.get::<chrono::DateTime<chrono::Utc>, _>("as_of"), as_of);
        let expected = features_from_history(&history, as_of).to_vec();
        for (name, want) in FEATURE_NAMES.iter().zip(expected) {
            let got: f64 = row.get(*name);
            assert_eq!(
                got.to_bits(),
                want.to_bits(),
                "{id} {name}: projected {got}, replayed {want}"
            );
        }
    }
    let before = dump(&db.pool, "customer_features", "customer_id").await;
    rebuild(&db.pool, &CustomerFeatures::new(model), 1_000, false)
        .await
        .expect("rebuild");
    assert_eq!(
        before,
        dump(&db.pool, "customer_features", "customer_id").await
    );
}
