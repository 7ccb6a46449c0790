//! Shared helpers for integration tests: real HTTP servers on 127.0.0.1, port 0.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Serves `app` on 127.0.0.1 on a free port until the test's runtime ends.
pub async fn serve(app: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("bound address");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("test server");
    });
    addr
}

/// An HttpConfig with short limits for tests.
pub fn http_config() -> roundup::config::HttpConfig {
    let cfg = roundup::config::Config::parse(
        std::path::Path::new("test.toml"),
        "[http]\ntimeout = \"2s\"\nconnect_timeout = \"1s\"\nmax_body = \"64KB\"\nretries = 2\nmax_redirects = 3\n",
    )
    .expect("test config is valid");
    cfg.http
}

/// Runs the real binary in `dir`, with no config or log level from the environment.
pub fn run(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_roundup"))
        .args(args)
        .current_dir(dir)
        .env_remove("ROUNDUP_CONFIG")
        .env_remove("RUST_LOG")
        .output()
        .expect("run roundup")
}

/// `run`, off the runtime that serves the test's feeds.
pub async fn roundup(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let dir = dir.to_owned();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&dir, &args)
    })
    .await
    .expect("the roundup runner does not panic")
}

/// A free port on 127.0.0.1 (bound, then released for the daemon to take).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `roundup daemon` in `dir` with its `roundup.toml`, stderr appended to `daemon.log`.
pub fn start_daemon(dir: &Path) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("daemon.log"))
        .unwrap();
    Command::new(env!("CARGO_BIN_EXE_roundup"))
        .args(["--config", "roundup.toml", "daemon"])
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start the daemon")
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

/// Waits until /healthz reports a finished poll (or gives up after `limit`).
pub async fn wait_for_poll(port: u16, limit: Duration) -> serde_json::Value {
    let started = Instant::now();
    loop {
        if let Ok(r) = client()
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
        {
            if let Ok(v) = r.json::<serde_json::Value>().await {
                if !v["last_poll"].is_null() {
                    return v;
                }
            }
        }
        assert!(
            started.elapsed() < limit,
            "no poll reported by /healthz within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig}");
}

pub fn wait_exit(child: &mut Child, limit: Duration) -> Option<i32> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("the daemon did not stop within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
