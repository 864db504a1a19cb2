//! The `cutover` command.

use cutover::sim::ClockMode;
use std::io::Write;
use std::process::ExitCode;

const USAGE: &str = "\
cutover: a local AWS emulator for ECS blue/green deployments through CodeDeploy

USAGE:
    cutover serve [--bind ADDR] [--clock real|manual|scaled:N] [--log-level error|info|debug]
    cutover --version

serve:
    --bind ADDR     address to listen on (env CUTOVER_BIND), default 127.0.0.1:4566;
                    port 0 picks a free port. The first line of standard output is
                    `ready http://HOST:PORT` once the emulator answers.
    --clock MODE    simulated clock (env CUTOVER_CLOCK): real (default), manual, or
                    scaled:N (N times faster than the wall clock)
    --log-level L   error, info (default) or debug (env CUTOVER_LOG); debug logs one
                    line per API call with service, operation, status and duration
";

struct ServeArgs {
    bind: String,
    clock: ClockMode,
}

fn parse_serve(args: &[String]) -> Result<ServeArgs, String> {
    let mut bind = std::env::var("CUTOVER_BIND").unwrap_or_else(|_| "127.0.0.1:4566".into());
    let mut clock = std::env::var("CUTOVER_CLOCK").unwrap_or_else(|_| "real".into());
    let mut level = std::env::var("CUTOVER_LOG").unwrap_or_else(|_| "info".into());
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
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    cutover::log::set_level(&level)?;
    Ok(ServeArgs {
        bind,
        clock: ClockMode::parse(&clock)?,
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
        let handle = match cutover::server::start(&args.bind, args.clock).await {
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
