//! The least-privilege role the application connects as. It may read and
//! append events — never change, remove or truncate them — read and write
//! the views, outboxes and accounts, and nothing else: no DDL, no trigger
//! control, not a superuser (so `session_replication_role` cannot switch the
//! append-only trigger off). Migrations and rebuilds, which create and swap
//! tables, run as the owner role the migrations were applied by; tables the
//! owner creates later get the same grants by default.

use anyhow::Context;
use sqlx::{Connection, PgPool};

/// The role the embedded default creates for the application.
pub const APP_ROLE: &str = "early_risk_app";

/// A role name we create: lower-case letters, digits and `_`.
fn is_plain_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Creates `role` (or brings it up to date) with `password` on the server
/// `owner` is connected to, and grants it what the application needs on
/// that database. Idempotent; safe from several processes at once.
pub async fn ensure(owner: &PgPool, role: &str, password: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        is_plain_identifier(role),
        "the application's database role must be lower-case letters, digits and '_' (got {role:?})"
    );
    // A password cannot be a bound parameter of CREATE ROLE: quoted as a
    // literal instead (and never logged).
    let password = format!("'{}'", password.replace('\'', "''"));
    let mut conn = owner.acquire().await?;
    let mut tx = conn.begin().await?;
    // Two processes starting together would race to create the role.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('early-risk app role'))")
        .execute(&mut *tx)
        .await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
            .bind(role)
            .fetch_one(&mut *tx)
            .await?;
    let attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS";
    let create = if exists {
        format!("ALTER ROLE {role} WITH {attributes} PASSWORD {password}")
    } else {
        format!("CREATE ROLE {role} WITH {attributes} PASSWORD {password}")
    };
    sqlx::query(&create)
        .execute(&mut *tx)
        .await
        .context("creating the application's database role")?;
    let database: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(&mut *tx)
        .await?;
    let grants = [
        format!("GRANT CONNECT ON DATABASE \"{database}\" TO {role}"),
        format!("GRANT USAGE ON SCHEMA public TO {role}"),
        format!("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}"),
        format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"),
        // History is appended, never changed; the migrations' record is the owner's.
        format!("REVOKE UPDATE, DELETE ON events FROM {role}"),
        format!("REVOKE INSERT, UPDATE, DELETE ON _sqlx_migrations FROM {role}"),
        format!("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"),
        format!(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}"
        ),
        format!("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}"),
    ];
    for g in grants {
        sqlx::query(&g)
            .execute(&mut *tx)
            .await
            .with_context(|| format!("granting the application's role its rights ({g})"))?;
    }
    tx.commit().await?;
    Ok(())
}

/// Whether the pool's connections are a superuser's.
pub async fn is_superuser(pool: &PgPool) -> anyhow::Result<bool> {
    Ok(
        sqlx::query_scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            .fetch_one(pool)
            .await?,
    )
}

/// The user and password of a `postgres://user:password@…` URL.
pub fn credentials_of(url: &str) -> anyhow::Result<(String, String)> {
    let parsed = url::Url::parse(url).context("DATABASE_URL is not a URL")?;
    let decode =
        |s: &str| percent_decode(s).context("DATABASE_URL has a badly encoded user or password");
    let user = decode(parsed.username())?;
    let password = decode(parsed.password().unwrap_or_default())?;
    anyhow::ensure!(
        !user.is_empty() && !password.is_empty(),
        "DATABASE_URL must name the application's role and its password when DATABASE_OWNER_URL is set"
    );
    Ok((user, password))
}

fn percent_decode(s: &str) -> anyhow::Result<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3).context("truncated escape")?;
            out.push(u8::from_str_radix(hex, 16).context("bad escape")?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(String::from_utf8(out)?)
}

/// A random password for the embedded default's application role.
pub fn random_password() -> String {
    use rand::RngCore;
    let mut bytes = [0_u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_come_from_the_url_decoded() {
        assert_eq!(
            credentials_of("postgres://early_risk_app:p%40ss%2Fw@db:5432/x").expect("ok"),
            ("early_risk_app".into(), "p@ss/w".into())
        );
        assert!(credentials_of("postgres://db:5432/x").is_err());
        assert!(is_plain_identifier("early_risk_app"));
        assert!(!is_plain_identifier("x; DROP TABLE events"));
        assert!(!is_plain_identifier("Upper"));
        assert_ne!(random_password(), random_password());
        assert_eq!(random_password().len(), 48);
    }
}
