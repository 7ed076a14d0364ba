//! One consistent read for a page assembled from several read models.
//!
//! Each projection commits on its own, so separate queries on the pool can
//! see one table before a batch and the next after it (a statement without
//! the correction already listed beside it). A read-only repeatable-read
//! transaction makes every query of the page see the same committed moment.

use sqlx::{PgPool, Postgres, Transaction};

/// A read-only transaction whose queries all see one snapshot; dropped (rolled
/// back) when the page is read, as it wrote nothing.
pub async fn begin(pool: &PgPool) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}
