//! Which account runs the server: ourselves, or — when we are root, which
//! PostgreSQL refuses — an unprivileged account.

use std::path::Path;
use std::process::Command;

use crate::Error;

/// A Unix account to run the server tools as.
#[derive(Clone, Debug)]
pub struct Account {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

/// `None` when the current user may run PostgreSQL itself.
pub fn runner() -> Result<Option<Account>, Error> {
    if !is_root() {
        return Ok(None);
    }
    let name = std::env::var("EARLY_RISK_PG_USER").unwrap_or_else(|_| "postgres".into());
    lookup(&name).map(Some).ok_or(Error::NoServerUser(name))
}

fn is_root() -> bool {
    effective_uid() == 0
}

#[allow(unsafe_code)]
fn effective_uid() -> u32 {
    // SAFETY: geteuid(2) takes no arguments, cannot fail and touches no memory.
    unsafe { libc::geteuid() }
}

fn lookup(name: &str) -> Option<Account> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() < 4 || f[0] != name {
            return None;
        }
        Some(Account {
            name: name.to_owned(),
            uid: f[2].parse().ok()?,
            gid: f[3].parse().ok()?,
        })
    })
}

/// Fails with a clear message when `acc` cannot write `dir` (a parent
/// directory without search permission for others, typically root's home).
pub fn check_reachable(acc: &Account, dir: &Path) -> Result<(), Error> {
    use std::os::unix::process::CommandExt;
    let ok = Command::new("/bin/sh")
        .args(["-c", "test -w \"$1\" && test -x \"$1\"", "sh"])
        .arg(dir)
        .current_dir("/")
        .uid(acc.uid)
        .gid(acc.gid)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if ok {
        Ok(())
    } else {
        Err(Error::Unreachable {
            user: acc.name.clone(),
            dir: dir.to_owned(),
        })
    }
}
