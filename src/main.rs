//! The binary: parses the command line, runs the command, prints the error chain once and maps
//! it to the exit code. Nothing else lives here.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser as _;
use roundup::cli::commands::{self, Env, Reply, EXIT_BAD_CONFIG, EXIT_FAILURE};
use roundup::cli::{Cli, Command};
use roundup::config::{self, Config};
use roundup::store::{Store, StoreError};

/// How often a command waiting for the store tries it again.
const LOCK_POLL: Duration = Duration::from_millis(100);

/// jemalloc (see Cargo.toml): a cold poll spent a fifth of its time in glibc's allocator.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    // Usage errors exit with 1: 2 means "done, but some sources failed".
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                EXIT_FAILURE as u8
            } else {
                0
            });
        }
    };
    init_logging(&cli);
    let code = match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", roundup::errors::chain(e.as_ref()));
            commands::exit_code(&e)
        }
    };
    ExitCode::from(code.clamp(0, 255) as u8)
}

fn init_logging(cli: &Cli) {
    // A command's report is its output; the daemon's log is its output.
    let daemon = cli.command == Command::Daemon;
    let default = match (cli.quiet, cli.verbose) {
        (true, _) => "error,sled=off",
        (_, 0) if daemon => "warn,roundup=info,sled=off",
        (_, 0) => "error,sled=off",
        (_, 1) => "info,roundup=debug",
        _ => "debug,roundup=trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
}

fn run(cli: Cli) -> anyhow::Result<i32> {
    let config_path = cli
        .config
        .clone()
        .unwrap_or_else(|| PathBuf::from(config::DEFAULT_PATH));
    if let Command::Import { file } = &cli.command {
        let report = roundup::import::import(&config_path, file)?;
        print!(
            "{}",
            roundup::cli::views::format_import(&report, &config_path)
        );
        return Ok(0);
    }
    // Every command but `import` (which adds them) needs sources.
    let cfg = match Config::load(&config_path).and_then(|c| c.require_sources().map(|()| c)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(EXIT_BAD_CONFIG);
        }
    };
    let wait = config::parse_duration(&cli.wait).ok_or_else(|| {
        anyhow::anyhow!("--wait {:?}: give a duration like 60s, 5m or 0", cli.wait)
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        if cli.command == Command::Daemon {
            return roundup::daemon::run(cfg).await.map(|()| 0);
        }
        if let Command::Check { source } = &cli.command {
            return check(&cfg, source.as_deref(), cli.quiet).await;
        }
        if let Command::Review {
            listen,
            allow_remote,
        } = &cli.command
        {
            return review(cfg, *listen, *allow_remote, wait, cli.quiet).await;
        }
        // A command that fetches has its HTTP client built (the system's root certificates
        // read) on a thread of its own while the store opens.
        let fetcher = Arc::new(roundup::fetch::Fetcher::new(&cfg.http));
        if fetches(&cli.command) {
            let early = fetcher.clone();
            std::thread::spawn(move || {
                let _ = early.client();
            });
        }
        let (reply, opened) = match open_store(&cfg, wait, cli.quiet).await? {
            Some(store) => {
                let mut env = Env::with_fetcher(cfg, store, fetcher);
                env.progress =
                    std::io::stderr().is_terminal() && !cli.quiet && !wants_json(&cli.command);
                let (command, on_worker) = (cli.command.clone(), env.clone());
                let reply =
                    tokio::spawn(async move { commands::execute(&command, &on_worker).await })
                        .await
                        .unwrap_or_else(|join| std::panic::resume_unwind(join.into_panic()))?;
                env.store.flush()?;
                (reply, Some(env))
            }
            None => {
                let mut cmd = cli.command.clone();
                cmd.absolutize(&std::env::current_dir()?);
                tracing::debug!("store locked: sending the command to the daemon");
                (roundup::daemon::control::send(&cfg, &cmd).await?, None)
            }
        };
        let code = print_reply(&reply, cli.quiet, is_product(&cli.command));
        if let Some(env) = opened {
            // A command that wrote much (a cold poll, a large publish) opens the store once
            // more, so the next command need not read back its log (`Store::settle`).
            env.store.settle();
            // The store is flushed and the output written: the process ends here, without
            // tearing down sled (which walks every page it holds and flushes each tree once
            // more: a twentieth of a cold poll's CPU, all of it after the last write; only a
            // store being settled is closed) or the runtime. To sled this is a stop after a
            // flush, which it recovers from as from any kill -9 (tests/crash.rs); the kernel
            // closes the files and releases its lock.
            std::process::exit(code.clamp(0, 255));
        }
        Ok(code)
    })
}

/// `roundup review`: the review page of the current draft, until Ctrl-C. It holds the store
/// while it runs, as the daemon does.
async fn review(
    cfg: Config,
    listen: std::net::SocketAddr,
    allow_remote: bool,
    wait: Duration,
    quiet: bool,
) -> anyhow::Result<i32> {
    if !listen.ip().is_loopback() && !allow_remote {
        anyhow::bail!(
            "--listen {listen}: the review page can publish, so it listens on loopback only (127.0.0.1); pass --allow-remote to listen on {} anyway",
            listen.ip()
        );
    }
    let Some(store) = open_store(&cfg, wait, quiet).await? else {
        // The daemon holds the store: it serves the page itself, unless told not to.
        let control = roundup::daemon::control::read_control_file(&cfg.store.path)?;
        let Some(addr) = control.review else {
            anyhow::bail!(
                "the daemon holds the store {} and does not serve the review page ([review] listen = \"off\" in {}): set [review] listen and restart it, or stop it to review from the command line",
                cfg.store.path.display(),
                cfg.path.display()
            );
        };
        println!("the daemon serves the review page: review the draft at http://{addr}/");
        return Ok(0);
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {listen} (--listen): {e}"))?;
    println!(
        "review the draft at http://{}/ (Ctrl-C stops)",
        listener.local_addr()?
    );
    std::io::stdout().flush()?;
    let stop = tokio_util::sync::CancellationToken::new();
    let on_signal = stop.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        on_signal.cancel();
    });
    #[cfg(unix)]
    {
        let on_term = stop.clone();
        if let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            tokio::spawn(async move {
                term.recv().await;
                on_term.cancel();
            });
        }
    }
    let access = roundup::review::Access {
        allow_remote,
        desk: Default::default(),
    };
    roundup::review::serve(
        listener,
        std::sync::Arc::new(cfg),
        store.clone(),
        access,
        stop,
    )
    .await?;
    store.flush()?;
    Ok(0)
}

/// `roundup check`: no store, so it never waits for one. Exit 2 when a source fails.
async fn check(cfg: &Config, source: Option<&str>, quiet: bool) -> anyhow::Result<i32> {
    let sources = roundup::cli::check::pick(cfg, source)?;
    let fetcher = roundup::fetch::Fetcher::new(&cfg.http);
    fetcher.client()?;
    let now = chrono::Utc::now();
    let mut code = 0;
    for s in sources {
        let checked = roundup::cli::check::check(cfg, &fetcher, s, now).await;
        if checked.failed {
            code = commands::EXIT_SOURCES_FAILED;
            if quiet {
                eprint!("error: {}", checked.text);
            }
        }
        if !quiet {
            println!("{}", checked.text);
        }
    }
    Ok(code)
}

/// Opens the store, waiting up to `wait` while another roundup command holds it (saying once
/// what it waits for, as cargo does for its lock). `None`: the daemon holds it, so the command
/// goes through the daemon's control API.
async fn open_store(cfg: &Config, wait: Duration, quiet: bool) -> anyhow::Result<Option<Store>> {
    let started = Instant::now();
    let mut told = quiet;
    loop {
        match Store::open(&cfg.store.path) {
            Ok(store) => return Ok(Some(store)),
            Err(StoreError::Locked { .. }) => {
                let daemon = roundup::daemon::control::control_file_path(&cfg.store.path).exists();
                if daemon || started.elapsed() >= wait {
                    return Ok(None);
                }
                if !told {
                    eprintln!(
                        "waiting for the store {}: another roundup command is using it (up to {}s; --wait sets how long)",
                        cfg.store.path.display(),
                        wait.as_secs()
                    );
                    told = true;
                }
                tokio::time::sleep(LOCK_POLL).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Whether the command fetches feeds.
fn fetches(cmd: &Command) -> bool {
    matches!(
        cmd,
        Command::Poll { .. } | Command::Draft { no_poll: false, .. }
    )
}

fn wants_json(cmd: &Command) -> bool {
    matches!(
        cmd,
        Command::Poll { json: true, .. }
            | Command::Items { json: true, .. }
            | Command::Sources { json: true }
    ) || matches!(cmd, Command::Draft { out: Some(p), .. } if p.as_os_str() == "-")
}

/// Whether the command's standard output is what the user asked for rather than a report
/// (`draft --out -` prints the draft): `-q` keeps it.
fn is_product(cmd: &Command) -> bool {
    matches!(cmd, Command::Draft { out: Some(p), .. } if p.as_os_str() == "-")
}

/// Prints a reply; a closed pipe (`roundup items | head`) is not an error. `-q` prints only the
/// errors (and a product such as a draft asked for on standard output).
fn print_reply(reply: &Reply, quiet: bool, product: bool) -> i32 {
    let (stderr, stdout) = match (quiet, product) {
        (false, _) => (&reply.stderr, reply.stdout.as_str()),
        (true, true) => (&reply.errors, reply.stdout.as_str()),
        (true, false) => (&reply.errors, ""),
    };
    let _ = std::io::stderr().write_all(stderr.as_bytes());
    let mut out = std::io::stdout().lock();
    match out.write_all(stdout.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => reply.code,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => reply.code,
        Err(e) => {
            eprintln!("error: cannot write to standard output: {e}");
            EXIT_FAILURE
        }
    }
}
