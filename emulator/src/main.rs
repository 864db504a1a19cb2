//! The `cutover` command.

use cutover::sim::ClockMode;
use std::io::Write;
use std::process::ExitCode;

const USAGE: &str = "\
cutover: a local AWS emulator for ECS blue/green deployments through CodeDeploy

USAGE:
    cutover serve [--bind ADDR] [--clock real|manual|scaled:N] [--log-level error|info|debug]
                  [--listener-port-offset N | --listener-ports 80=8080,...] [--app-config FILE]
    cutover --version

serve:
    --bind ADDR     address to listen on (env CUTOVER_BIND), default 127.0.0.1:4566;
                    port 0 picks a free port. The first line of standard output is
                    `ready http://HOST:PORT` once the emulator answers.
    --clock MODE    simulated clock (env CUTOVER_CLOCK): real (default), manual, or
                    scaled:N (N times faster than the wall clock)
    --log-level L   error, info (default) or debug (env CUTOVER_LOG); debug logs one
                    line per API call with service, operation, status and duration
    --listener-port-offset N
                    each load balancer listener serves on the --bind host at its port + N
                    (env CUTOVER_LISTENER_PORT_OFFSET, default 0); a port that cannot be
                    bound falls back to a free one. GET /_emulator/listeners lists them.
    --listener-ports 80=8080,8080=18080
                    explicit local ports for listener ports (env CUTOVER_LISTENER_PORTS),
                    before the offset applies
    --app-config FILE
                    JSON mapping container image globs to local commands that answer for
                    tasks (env CUTOVER_APP_CONFIG); without it a built-in stand-in answers
";

struct ServeArgs {
    bind: String,
    clock: ClockMode,
    alb: cutover::runtime::alb::Config,
}

fn parse_serve(args: &[String]) -> Result<ServeArgs, String> {
    let mut bind = std::env::var("CUTOVER_BIND").unwrap_or_else(|_| "127.0.0.1:4566".into());
    let mut clock = std::env::var("CUTOVER_CLOCK").unwrap_or_else(|_| "real".into());
    let mut level = std::env::var("CUTOVER_LOG").unwrap_or_else(|_| "info".into());
    let mut offset = std::env::var("CUTOVER_LISTENER_PORT_OFFSET").unwrap_or_else(|_| "0".into());
    let mut port_map = std::env::var("CUTOVER_LISTENER_PORTS").unwrap_or_default();
    let mut app_config = std::env::var("CUTOVER_APP_CONFIG").ok().filter(|s| !s.is_empty());
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (a.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--bind" => bind = value("--bind")?,
            "--clock" => clock = value("--clock")?,
            "--log-level" => level = value("--log-level")?,
            "--listener-port-offset" => offset = value("--listener-port-offset")?,
            "--listener-ports" => port_map = value("--listener-ports")?,
            "--app-config" => app_config = Some(value("--app-config")?),
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    cutover::log::set_level(&level)?;
    let mut alb = cutover::runtime::alb::Config::default();
    alb.ports.offset = offset
        .trim()
        .parse()
        .map_err(|_| format!("--listener-port-offset: '{offset}' is not an integer"))?;
    alb.ports.map =
        cutover::runtime::alb::ListenerPorts::parse_map(&port_map).map_err(|e| format!("--listener-ports: {e}"))?;
    if let Some(path) = app_config {
        alb.apps = cutover::runtime::alb::standin::load_apps(std::path::Path::new(&path))?;
    }
    Ok(ServeArgs {
        bind,
        clock: ClockMode::parse(&clock)?,
        alb,
    })
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

fn serve(args: ServeArgs) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cutover: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async move {
        let em = cutover::Emulator::new(args.clock);
        let options = cutover::server::ServeOptions { alb: Some(args.alb) };
        let handle = match cutover::server::serve_with(&args.bind, em, options).await {
            Ok(h) => h,
            Err(e) => {
                eprintln!("cutover: cannot listen on {}: {e}", args.bind);
                return ExitCode::FAILURE;
            }
        };
        {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "ready {}", handle.url);
            let _ = out.flush();
        }
        cutover::info!("serving on {} with the {} clock", handle.url, args.clock.name());
        shutdown_signal().await;
        cutover::info!("shutting down");
        handle.shutdown().await;
        ExitCode::SUCCESS
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") => match parse_serve(&args[1..]) {
            Ok(a) => serve(a),
            Err(e) => {
                eprintln!("cutover: {e}\n\n{USAGE}");
                ExitCode::from(2)
            }
        },
        Some("--version") | Some("-V") => {
            println!("cutover {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Some("help") | Some("--help") | Some("-h") => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprint!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
