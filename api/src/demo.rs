//! Demo customers for the embedded default: three card holders with a few
//! months of activity — one steady, one under growing stress (cash
//! withdrawals, minimum payments, rising balance), one already past due.
//! Deterministic and idempotent: loading twice stores nothing new.

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use domain::Customer;
use store::{CommandBus, Metadata};

use crate::wire;

/// Loads the demo data; returns how many customers it holds.
pub async fn seed(bus: &CommandBus<Customer>) -> anyhow::Result<usize> {
    let lines = demo_lines();
    let items = lines
        .into_iter()
        .map(|v| wire::parse_command(v).map(|a| (a.customer_id.to_string(), a)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|p| anyhow::anyhow!("demo data is invalid: {}", p.detail))?;
    let meta = Metadata::system("demo", "demo-seed");
    let outcomes = bus
        .execute_batch(items, &meta)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(store::batch::ItemOutcome::Rejected(e)) = outcomes
        .iter()
        .find(|o| matches!(o, store::batch::ItemOutcome::Rejected(_)))
    {
        anyhow::bail!("demo data was refused: {e}");
    }
    Ok(DEMO.len())
}

struct DemoCustomer {
    id: &'static str,
    name: &'static str,
    phone: &'static str,
    limit: i64,
    stressed: bool,
    delinquent: bool,
}

const DEMO: [DemoCustomer; 3] = [
    DemoCustomer {
        id: "DEMO-001",
        name: "Asha Rao",
        phone: "+919800000001",
        limit: 200_000_00,
        stressed: false,
        delinquent: false,
    },
    DemoCustomer {
        id: "DEMO-002",
        name: "Vikram Menon",
        phone: "+919800000002",
        limit: 150_000_00,
        stressed: true,
        delinquent: false,
    },
    DemoCustomer {
        id: "DEMO-003",
        name: "Neha Kapoor",
        phone: "+919800000003",
        limit: 80_000_00,
        stressed: true,
        delinquent: true,
    },
];

fn ts(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 10, 0, 0)
        .single()
        .unwrap_or_default()
}

fn demo_lines() -> Vec<serde_json::Value> {
    use serde_json::json;
    let mut out = Vec::new();
    let opened = ts(2026, 1, 1);
    for c in &DEMO {
        out.push(
            json!({"command":"register_customer","customer_id":c.id,"name":c.name,"phone":c.phone,
            "credit_limit_minor":c.limit,"currency":"INR","opened_at":opened}),
        );
        let mut balance = 0i64;
        // Six full months with statements, then the first half of a seventh
        // month, so the demo ends mid-cycle with recent spending.
        for month in 0..7u32 {
            let stress = c.stressed && month >= 3;
            let last_day = if month == 6 { 16 } else { 28 };
            for day in (1..last_day).step_by(3) {
                let at = ts(2026, month + 1, day) + Duration::hours(i64::from(day % 7));
                let (kind, mcc, channel, amount) = match (stress, day % 9) {
                    (true, 1) | (true, 4) => ("cash_withdrawal", None, "atm", 9_000_00),
                    (_, 1) => ("purchase", Some("5812"), "contactless", 1_800_00),
                    (_, 4) => ("purchase", Some("5999"), "online", 4_500_00),
                    _ => ("purchase", Some("5411"), "pos", 2_200_00),
                };
                balance += amount;
                out.push(json!({"command":"record_transaction","customer_id":c.id,
                    "transaction_id":format!("{}-{}-{day}", c.id, month + 1),"amount_minor":amount,"currency":"INR",
                    "kind":kind,"merchant_category_code":mcc,"channel":channel,"occurred_at":at}));
            }
            if month == 6 {
                continue;
            }
            let period = format!("2026-{:02}", month + 1);
            let closes = ts(2026, month + 2, 1);
            let minimum = balance / 20;
            out.push(
                json!({"command":"issue_statement","customer_id":c.id,"period":period,
                "closing_balance_minor":balance,"minimum_due_minor":minimum,
                "due_date":(closes + Duration::days(20)).date_naive(),"issued_at":closes}),
            );
            if c.delinquent && month >= 4 {
                out.push(json!({"command":"report_days_past_due","customer_id":c.id,
                    "days_past_due": 30 * (month - 3),"as_of":closes + Duration::days(25)}));
                continue;
            }
            let paid = if stress { minimum } else { balance };
            balance -= paid;
            out.push(json!({"command":"record_payment","customer_id":c.id,
                "payment_id":format!("{}-P{}", c.id, closes.month()),"amount_minor":paid,"currency":"INR",
                "paid_at":closes + Duration::days(15)}));
        }
    }
    out
}

/// The demo admin's user name and password (demo mode only; documented in
/// the README so a fresh machine can log in).
pub const DEMO_ADMIN: (&str, &str) = ("admin", "demo-admin-password");

/// The demo auditor's user name and password (demo mode only).
pub const DEMO_AUDITOR: (&str, &str) = ("auditor", "demo-auditor-password");

/// Creates the demo staff accounts if they are missing.
pub async fn seed_accounts(pool: &sqlx::PgPool) -> anyhow::Result<()> {
    use crate::auth::Role;
    for ((user, password), role) in [(DEMO_ADMIN, Role::Admin), (DEMO_AUDITOR, Role::Auditor)] {
        match crate::auth::staff::add_user(pool, user, role, password).await {
            Ok(()) | Err(crate::auth::staff::StaffError::Exists(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Tells the person at the terminal how to sign in.
pub fn print_logins(generated_secret: bool) {
    println!("demo logins:");
    println!(
        "  admin:     POST /v1/auth/login {{\"username\":\"{}\",\"password\":\"{}\"}}",
        DEMO_ADMIN.0, DEMO_ADMIN.1
    );
    println!(
        "  auditor:   POST /v1/auth/login {{\"username\":\"{}\",\"password\":\"{}\"}}",
        DEMO_AUDITOR.0, DEMO_AUDITOR.1
    );
    for c in DEMO.iter().take(2) {
        println!(
            "  customer {}: POST /v1/auth/otp/request {{\"phone\":\"{}\"}}, read the code at GET /v1/local/whatsapp/messages, then POST /v1/auth/otp/verify",
            c.name, c.phone
        );
    }
    if generated_secret {
        println!("  (JWT_SECRET_KEY not set: a random one is used; tokens end with this process)");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn demo_lines_are_valid_commands() {
        for line in super::demo_lines() {
            crate::wire::parse_command(line.clone())
                .unwrap_or_else(|p| panic!("{line}: {}", p.detail));
        }
    }
}
