//! The daemon's control API. sled lets one process open the store, so while the daemon holds
//! it, `poll`, `draft`, `publish`, `items`, `sources`, `skip` and `unskip` are sent to the
//! daemon, which runs them and sends back what they printed. It listens on loopback only; its
//! address and a token are in a file beside the store, readable by the daemon's user only.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::cli::commands::{self, Env, Reply};
use crate::cli::Command;
use crate::config::Config;

/// How long a command sent to the daemon may take (a draft polls first).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// What the daemon writes beside the store so commands can find it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ControlFile {
    pub addr: SocketAddr,
    pub token: String,
    pub pid: u32,
    /// Where the daemon serves the review page, when it does.
    #[serde(default)]
    pub review: Option<SocketAddr>,
}

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error(
        "the store {store} is locked by another process, and no daemon control file {file} exists: \
         another roundup command is still running (a `roundup review` holds it until you stop it; else try again when it is done, or give --wait a longer time), or a daemon is starting"
    )]
    NoDaemon { store: PathBuf, file: PathBuf },
    #[error("the store {store} is locked, and the daemon at {addr} (from {file}) does not answer: {cause}; check that it runs (systemctl status roundup)")]
    Unreachable {
        store: PathBuf,
        addr: SocketAddr,
        file: PathBuf,
        cause: String,
    },
    #[error("the daemon at {addr} refused the command: {message}")]
    Refused { addr: SocketAddr, message: String },
    #[error("cannot read the daemon control file {file}: {cause}")]
    BadFile { file: PathBuf, cause: String },
    #[error("cannot write the daemon control file {file}: {cause}")]
    Write { file: PathBuf, cause: String },
    #[error("cannot make a control token: the operating system's random source failed: {cause}")]
    Random { cause: String },
}

/// `state/roundup.db` -> `state/roundup.db.control`.
pub fn control_file_path(store: &Path) -> PathBuf {
    let mut name = store.as_os_str().to_owned();
    name.push(".control");
    PathBuf::from(name)
}

/// A token nobody else can guess: 128 bits from the operating system's random source.
pub fn new_token() -> Result<String, ControlError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| ControlError::Random {
        cause: e.to_string(),
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Writes the control file atomically, readable by its owner only.
pub fn write_control_file(path: &Path, cf: &ControlFile) -> Result<(), ControlError> {
    let bytes = serde_json::to_vec(cf).expect("control file is plain data");
    crate::files::write_atomically(path, &bytes, crate::files::Access::Private).map_err(|e| {
        ControlError::Write {
            file: path.to_owned(),
            cause: e.to_string(),
        }
    })
}

#[derive(Clone)]
struct ControlState {
    env: Env,
    token: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct RunRequest {
    pub command: Command,
}

/// The control API: `POST /v1/run` with a `RunRequest` and the token as a bearer token.
pub fn router(env: Env, token: String) -> Router {
    Router::new()
        .route("/v1/run", post(run))
        .with_state(ControlState { env, token })
}

/// The token is checked before the body is read: a caller without it learns nothing, not even
/// the shape of a command.
async fn run(
    State(st): State<ControlState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> (StatusCode, Json<Reply>) {
    let authorized = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| t == st.token);
    if !authorized {
        let reply = Reply {
            stderr: "error: bad or missing control token\n".into(),
            code: commands::EXIT_FAILURE,
            ..Reply::default()
        };
        return (StatusCode::UNAUTHORIZED, Json(reply));
    }
    let req: RunRequest = match serde_json::from_slice(&body) {
        Ok(req) => req,
        Err(e) => {
            let reply = Reply {
                stderr: format!("error: the control request is not a command this daemon knows ({e}); is the daemon another roundup version?\n"),
                code: commands::EXIT_FAILURE,
                ..Reply::default()
            };
            return (StatusCode::BAD_REQUEST, Json(reply));
        }
    };
    tracing::info!(
        command = commands::command_name(&req.command),
        "command from the control API"
    );
    let reply = match commands::execute(&req.command, &st.env).await {
        Ok(r) => r,
        Err(e) => Reply {
            stderr: format!("error: {e:#}\n"),
            errors: format!("error: {e:#}\n"),
            code: commands::exit_code(&e),
            ..Reply::default()
        },
    };
    (StatusCode::OK, Json(reply))
}

/// What the daemon holding `store` wrote beside it.
pub fn read_control_file(store: &Path) -> Result<ControlFile, ControlError> {
    let file = control_file_path(store);
    let text = match std::fs::read(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ControlError::NoDaemon {
                store: store.to_owned(),
                file,
            })
        }
        Err(e) => {
            return Err(ControlError::BadFile {
                file,
                cause: e.to_string(),
            })
        }
    };
    serde_json::from_slice(&text).map_err(|e| ControlError::BadFile {
        file,
        cause: e.to_string(),
    })
}

/// Sends a command to the daemon that holds the store.
pub async fn send(cfg: &Config, cmd: &Command) -> Result<Reply, ControlError> {
    let store = cfg.store.path.clone();
    let file = control_file_path(&store);
    let cf = read_control_file(&store)?;
    let unreachable = |cause: String| ControlError::Unreachable {
        store: store.clone(),
        addr: cf.addr,
        file: file.clone(),
        cause,
    };
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(REQUEST_TIMEOUT)
        .no_proxy()
        .build()
        .map_err(|e| unreachable(crate::errors::chain(&e)))?;
    let resp = client
        .post(format!("http://{}/v1/run", cf.addr))
        .bearer_auth(&cf.token)
        .json(&RunRequest {
            command: cmd.clone(),
        })
        .send()
        .await
        .map_err(|e| unreachable(crate::errors::chain(&e)))?;
    let status = resp.status();
    let reply: Reply = resp
        .json()
        .await
        .map_err(|e| unreachable(crate::errors::chain(&e)))?;
    if status == StatusCode::UNAUTHORIZED {
        return Err(ControlError::Refused {
            addr: cf.addr,
            message: reply.stderr.trim().to_owned(),
        });
    }
    Ok(reply)
}
