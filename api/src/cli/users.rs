//! `early-risk users …`: creates staff accounts (the password from a
//! prompt, or stdin when it is not a terminal — never from the command
//! line) and prints service tokens.

use crate::auth::staff::add_user;
use crate::auth::{AuthSettings, Role, Tokens};

/// `early-risk users …`.
#[derive(Debug, clap::Subcommand)]
pub enum UsersAction {
    /// Create a staff account; the password is read from a prompt, or from
    /// stdin when it is not a terminal — never from the command line.
    Add {
        /// Database options.
        #[command(flatten)]
        db: crate::database::DatabaseArgs,
        /// User name (3-64 of a-z, 0-9, '.', '_', '-').
        #[arg(long)]
        username: String,
        /// `admin`, `auditor` or `ingest`.
        #[arg(long)]
        role: String,
    },
    /// Print an access token for a service account (needs JWT_SECRET_KEY):
    /// what the bank's ingest systems and the benchmarks present.
    Token {
        /// Subject (the service's name).
        #[arg(long)]
        subject: String,
        /// `admin`, `auditor` or `ingest`.
        #[arg(long, default_value = "ingest")]
        role: String,
    },
}

fn staff_role(s: &str) -> anyhow::Result<Role> {
    Role::parse_staff(s).ok_or_else(|| anyhow::anyhow!("role must be admin, auditor or ingest"))
}

fn read_password() -> anyhow::Result<String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("password: ")?;
        let again = rpassword::prompt_password("again: ")?;
        anyhow::ensure!(first == again, "the passwords differ");
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

/// Runs `early-risk users …`.
pub async fn run_users(action: UsersAction) -> anyhow::Result<std::process::ExitCode> {
    match action {
        UsersAction::Add { db, username, role } => {
            let role = staff_role(&role)?;
            let password = read_password()?;
            let db = db.open().await?;
            let result = add_user(&db.pool, &username, role, &password).await;
            db.shutdown().await;
            result?;
            println!("created {} {username}", role.as_str());
        }
        UsersAction::Token { subject, role } => {
            let role = staff_role(&role)?;
            let settings = AuthSettings::from_env(false)?;
            let tokens = Tokens::new(&settings);
            println!(
                "{}",
                tokens.issue(&subject, role, chrono::Utc::now().timestamp())
            );
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}
