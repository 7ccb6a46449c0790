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
