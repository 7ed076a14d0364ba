//! `serve` from any directory: with no `MODEL_ARTIFACT` it scores with the
//! model built into the binary, and on a start-up error it stops the
//! private PostgreSQL it started (none is left running).

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::Command;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn serve(dir: &Path, port: u16) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_early-risk"));
    cmd.arg("serve")
        .arg("--demo")
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("MODEL_ARTIFACT")
        .env("EARLY_RISK_DATA_DIR", dir.join("data"))
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

fn cluster_running(dir: &Path) -> bool {
    dir.join("data")
        .join("pgdata")
        .join("postmaster.pid")
        .exists()
}

#[tokio::test]
async fn serve_starts_outside_the_repository_and_never_leaves_its_cluster_running() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("serve-anywhere-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");

    // A start-up error after the cluster started: the cluster is stopped.
    let out = serve(&dir, free_port())
        .env("MODEL_ARTIFACT", dir.join("no-such-model.json"))
        .output()
        .await
        .expect("run serve");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no-such-model.json"), "{stderr}");
    assert!(dir.join("data").exists(), "the cluster was started");
    assert!(!cluster_running(&dir), "and stopped again");

    // No model named: the embedded one, from a directory with no artifacts.
    let port = free_port();
    let mut child = serve(&dir, port).spawn().expect("start serve");
    let url = format!("http://127.0.0.1:{port}/readyz");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(r) = reqwest::get(&url).await {
            if r.status() == 200 {
                break;
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("serve exited: {status}");
        }
        assert!(Instant::now() < deadline, "serve did not become ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let pid = child.id().expect("pid").to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .expect("kill");
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(60), child.wait())
        .await
        .expect("serve stops on SIGTERM")
        .expect("wait");
    assert!(status.success(), "{status}");
    assert!(!cluster_running(&dir), "a clean stop stops the cluster too");
    let _ = std::fs::remove_dir_all(&dir);
}
