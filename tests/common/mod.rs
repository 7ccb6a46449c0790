//! Shared helpers for integration tests: real HTTP servers on 127.0.0.1, port 0.
#![allow(dead_code)]

use std::net::SocketAddr;

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
