//! A private PostgreSQL cluster started from the system's own binaries
//! (`initdb`, `pg_ctl`), for the embedded default of `early-risk serve` and for
//! the test suite. Nothing is downloaded: when the binaries are missing the
//! error says what to install or set.
//!
//! The cluster lives under one base directory:
//! - `pgdata/`: the cluster (owned by the server's user),
//! - `credentials`: port and password (mode 0600),
//! - `lock`: serialises concurrent `ensure` calls (tests start in parallel).
//!
//! PostgreSQL refuses to run as root; when we are root, `initdb` and the server
//! run as the unprivileged `postgres` account (or `EARLY_RISK_PG_USER`).
//! The server listens on 127.0.0.1 only, with scram-sha-256 password
//! authentication and no Unix socket.
//!
//! # Layout
//! - [`Cluster::ensure`] — initialise if needed, start if not running, reuse otherwise.
//! - [`Cluster::url`] — a connection URL for one database.
//! - [`Cluster::stop`] — fast shutdown.

mod binaries;
mod user;

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::net::TcpListener;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rand::Rng;

pub use binaries::find_bin_dir;

/// What went wrong while preparing the cluster. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server binaries are not installed.
    #[error(
        "PostgreSQL server binaries (initdb, pg_ctl) were not found. Install them \
         (Debian/Ubuntu: `apt-get install postgresql`), point PG_BIN_DIR at their \
         directory, or set DATABASE_URL to an existing server"
    )]
    BinariesMissing,
    /// Running as root but the unprivileged account does not exist.
    #[error(
        "running as root, but the account `{0}` to run PostgreSQL as does not exist: \
         create it (`useradd --system {0}`) or set EARLY_RISK_PG_USER"
    )]
    NoServerUser(String),
    /// The server's account cannot reach the data directory.
    #[error(
        "the PostgreSQL account `{user}` cannot write {dir}: choose a directory it can \
         reach with EARLY_RISK_DATA_DIR (for example /var/tmp/early-risk)"
    )]
    Unreachable {
        /// The account.
        user: String,
        /// The directory.
        dir: PathBuf,
    },
    /// A PostgreSQL tool failed.
    #[error("{tool} failed: {detail}")]
    Tool {
        /// Which tool.
        tool: String,
        /// Its output (and the server log's tail when starting).
        detail: String,
    },
    /// A file operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What we were doing.
        context: String,
        /// The cause.
        source: std::io::Error,
    },
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
    let context = context.into();
    move |source| Error::Io { context, source }
}

/// Settings for a new cluster.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `fsync` on (durable) or off (tests: faster, safe unless the OS crashes).
    pub fsync: bool,
    /// Connection slots.
    pub max_connections: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            fsync: true,
            max_connections: 200,
        }
    }
}

/// A running private cluster.
#[derive(Clone, Debug)]
pub struct Cluster {
    base: PathBuf,
    bin_dir: PathBuf,
    runner: Option<user::Account>,
    /// TCP port on 127.0.0.1.
    pub port: u16,
    password: String,
    /// Whether this call started the server (so the caller should stop it).
    pub started: bool,
}

/// The superuser role the cluster is created with.
pub const SUPERUSER: &str = "early_risk";

impl Cluster {
    /// Makes sure a cluster exists under `base` and is running, and returns
    /// how to reach it. Safe to call from many processes at once.
    pub fn ensure(base: &Path, settings: &Settings) -> Result<Cluster, Error> {
        fs::create_dir_all(base).map_err(io(format!("creating {}", base.display())))?;
        let base = base
            .canonicalize()
            .map_err(io(format!("resolving {}", base.display())))?;
        let lock = File::create(base.join("lock")).map_err(io("creating the cluster lock"))?;
        lock.lock().map_err(io("taking the cluster lock"))?;
        let bin_dir = find_bin_dir().ok_or(Error::BinariesMissing)?;
        let runner = user::runner()?;
        let data = base.join("pgdata");
        if !data.join("PG_VERSION").exists() {
            init(&base, &bin_dir, runner.as_ref(), settings)?;
        }
        let (port, password) = read_credentials(&base)?;
        let mut cluster = Cluster {
            base,
            bin_dir,
            runner,
            port,
            password,
            started: false,
        };
        if !cluster.is_running()? {
            cluster.start()?;
            cluster.started = true;
        }
        Ok(cluster)
    }

    /// A URL for `database` on this cluster.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{SUPERUSER}:{}@127.0.0.1:{}/{database}",
            self.password, self.port
        )
    }

    /// A URL of `database` as `user` with `password` (a role the caller
    /// created).
    pub fn url_as(&self, user: &str, password: &str, database: &str) -> String {
        let encoded: String = password
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        format!(
            "postgres://{user}:{encoded}@127.0.0.1:{}/{database}",
            self.port
        )
    }

    /// The cluster's data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.base.join("pgdata")
    }

    fn pg_ctl(&self, args: &[&str]) -> Result<Output, Error> {
        let data = self.data_dir();
        let mut cmd = Command::new(self.bin_dir.join("pg_ctl"));
        cmd.arg("-D").arg(&data).args(args);
        run_as(&mut cmd, self.runner.as_ref());
        cmd.output().map_err(io("running pg_ctl"))
    }

    fn is_running(&self) -> Result<bool, Error> {
        Ok(self.pg_ctl(&["status"])?.status.success())
    }

    fn start(&self) -> Result<(), Error> {
        let log = self.data_dir().join("server.log");
        let log_arg = log.to_string_lossy().into_owned();
        let out = self.pg_ctl(&["start", "-w", "-t", "120", "-l", &log_arg])?;
        if out.status.success() {
            return Ok(());
        }
        let tail = fs::read_to_string(&log)
            .map(|s| {
                s.lines()
                    .rev()
                    .take(15)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default();
        Err(Error::Tool {
            tool: "pg_ctl start".into(),
            detail: format!("{}\n{tail}", String::from_utf8_lossy(&out.stderr)),
        })
    }

    /// Stops the server (fast shutdown: open sessions are ended, committed
    /// work is kept).
    pub fn stop(&self) -> Result<(), Error> {
        let out = self.pg_ctl(&["stop", "-m", "fast", "-w"])?;
        if out.status.success() || !self.is_running()? {
            Ok(())
        } else {
            Err(Error::Tool {
                tool: "pg_ctl stop".into(),
                detail: String::from_utf8_lossy(&out.stderr).into_owned(),
            })
        }
    }
}

fn run_as(cmd: &mut Command, runner: Option<&user::Account>) {
    use std::os::unix::process::CommandExt;
    // The tools must not inherit a working directory the server's account
    // cannot enter (root's home, typically).
    cmd.current_dir("/");
    cmd.env_remove("PGDATA");
    if let Some(acc) = runner {
        cmd.uid(acc.uid).gid(acc.gid).env("HOME", "/");
    }
}

fn free_port() -> Result<u16, Error> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(io("finding a free port"))?;
    Ok(l.local_addr().map_err(io("finding a free port"))?.port())
}

fn init(
    base: &Path,
    bin_dir: &Path,
    runner: Option<&user::Account>,
    settings: &Settings,
) -> Result<(), Error> {
    let data = base.join("pgdata");
    fs::create_dir_all(&data).map_err(io("creating the data directory"))?;
    fs::set_permissions(&data, fs::Permissions::from_mode(0o700))
        .map_err(io("restricting the data directory"))?;
    let password: String = {
        let mut rng = rand::thread_rng();
        (0..32)
            .map(|_| format!("{:x}", rng.gen_range(0..16u8)))
            .collect()
    };
    let pwfile = base.join("initdb.pw");
    write_private(&pwfile, &password)?;
    if let Some(acc) = runner {
        std::os::unix::fs::chown(&data, Some(acc.uid), Some(acc.gid))
            .map_err(io("handing the data directory to the server account"))?;
        std::os::unix::fs::chown(&pwfile, Some(acc.uid), Some(acc.gid))
            .map_err(io("handing the password file to the server account"))?;
        user::check_reachable(acc, &data)?;
    }
    let mut cmd = Command::new(bin_dir.join("initdb"));
    cmd.arg("-D")
        .arg(&data)
        .args([
            "-U",
            SUPERUSER,
            "-A",
            "scram-sha-256",
            "-E",
            "UTF8",
            "--no-locale",
        ])
        .arg(format!("--pwfile={}", pwfile.display()));
    if !settings.fsync {
        cmd.arg("--no-sync");
    }
    run_as(&mut cmd, runner);
    let out = cmd.output().map_err(io("running initdb"));
    let _ = fs::remove_file(&pwfile);
    let out = out?;
    if !out.status.success() {
        let _ = fs::remove_dir_all(&data);
        return Err(Error::Tool {
            tool: "initdb".into(),
            detail: String::from_utf8_lossy(&out.stderr).into_owned(),
        });
    }
    let port = free_port()?;
    let conf = format!(
        "\n# early-risk private cluster\nlisten_addresses = '127.0.0.1'\nport = {port}\n\
         unix_socket_directories = ''\nmax_connections = {}\nshared_buffers = '256MB'\n\
         fsync = {}\nfull_page_writes = {}\n",
        settings.max_connections,
        if settings.fsync { "on" } else { "off" },
        if settings.fsync { "on" } else { "off" },
    );
    let mut f = OpenOptions::new()
        .append(true)
        .open(data.join("postgresql.conf"))
        .map_err(io("opening postgresql.conf"))?;
    f.write_all(conf.as_bytes())
        .map_err(io("writing postgresql.conf"))?;
    write_private(&base.join("credentials"), &format!("{port}\n{password}\n"))
}

fn write_private(path: &Path, content: &str) -> Result<(), Error> {
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(io(format!("writing {}", path.display())))?;
    f.write_all(content.as_bytes())
        .map_err(io(format!("writing {}", path.display())))
}

fn read_credentials(base: &Path) -> Result<(u16, String), Error> {
    let path = base.join("credentials");
    let text = fs::read_to_string(&path).map_err(io(format!("reading {}", path.display())))?;
    let mut lines = text.lines();
    let port = lines.next().and_then(|l| l.trim().parse().ok());
    let password = lines.next().map(|l| l.trim().to_owned());
    match (port, password) {
        (Some(port), Some(password)) if !password.is_empty() => Ok((port, password)),
        _ => Err(Error::Tool {
            tool: "credentials".into(),
            detail: format!(
                "{} is damaged: remove {} to start afresh",
                path.display(),
                base.display()
            ),
        }),
    }
}
