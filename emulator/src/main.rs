//! The `cutover` command.

use cutover::sim::ClockMode;
use std::io::Write;
use std::process::ExitCode;

/// The summary `cutover --help` prints: every command, one line each.
const USAGE: &str = "\
cutover: a local AWS emulator for ECS blue/green deployments through CodeDeploy

USAGE:
    cutover serve [--bind ADDR] [--clock real|manual|scaled:N] [--log-level error|info|debug]
                  [--listener-port-offset N | --listener-ports 80=8080,...] [--app-config FILE]
                  [--allow-host NAME]... [--cors-origin ORIGIN]... [--header-timeout S]
                  [--body-timeout S] [--idle-timeout S] [--max-connections N] [--shutdown-grace S]
    cutover scenario run FILE... [--endpoint URL] [--junit FILE] [--html FILE] [--verbose] [--quiet]
    cutover scenario list
    cutover lab [--html FILE] [--verbose] [other scenario run flags]
    cutover --version
    cutover help [COMMAND]      the usage of one command (or: cutover COMMAND --help)
";

const SERVE_USAGE: &str = "\
USAGE:
    cutover serve [--bind ADDR] [--clock real|manual|scaled:N] [--log-level error|info|debug]
                  [--listener-port-offset N | --listener-ports 80=8080,...] [--app-config FILE]
                  [--allow-host NAME]... [--cors-origin ORIGIN]... [--header-timeout S]
                  [--body-timeout S] [--idle-timeout S] [--max-connections N] [--shutdown-grace S]

serve: every emulated AWS API on one endpoint, until SIGTERM or Ctrl-C.
    --bind ADDR     address to listen on (env CUTOVER_BIND), default 127.0.0.1:4566;
                    port 0 picks a free port. The first line of standard output is
                    `ready http://HOST:PORT` once the emulator answers (bound to every
                    address, 0.0.0.0:P, it names 127.0.0.1:P, and a second line says
                    `listening on 0.0.0.0:P`).
    --clock MODE    simulated clock (env CUTOVER_CLOCK): real (default), manual, or
                    scaled:N (N times faster than the wall clock)
    --allow-host NAME
                    also answer requests whose Host is NAME (or any name under *.SUFFIX);
                    repeatable or comma-separated (env CUTOVER_ALLOW_HOSTS). Loopback names
                    and addresses and the bound address are always answered; any other Host is
                    refused with 403 (DNS rebinding). Compose service names go here.
    --cors-origin ORIGIN
                    answer cross-origin requests from ORIGIN (e.g. http://localhost:3000, or *),
                    with CORS headers; repeatable or comma-separated (env CUTOVER_CORS_ORIGINS).
                    By default a request whose Origin is another site's is refused with 403.
    --header-timeout S
                    seconds a request's headers may take (env CUTOVER_HEADER_TIMEOUT, default 10)
    --body-timeout S
                    seconds a request's body may take (env CUTOVER_BODY_TIMEOUT, default 60)
    --idle-timeout S
                    seconds a keep-alive connection may sit idle (env CUTOVER_IDLE_TIMEOUT,
                    default 60)
    --max-connections N
                    connections open at once (env CUTOVER_MAX_CONNECTIONS; default: the
                    descriptor limit, ulimit -n, less 256). One more closes the longest-idle
                    connection, or is answered 503 when all are busy.
    --shutdown-grace S
                    seconds requests in flight may take to finish on SIGTERM/SIGINT
                    (env CUTOVER_SHUTDOWN_GRACE, default 10)
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

const SCENARIO_RUN_USAGE: &str = "\
USAGE:
    cutover scenario run FILE... [--endpoint URL] [--junit FILE] [--html FILE] [--verbose] [--quiet]

scenario run: runs scenario files and says which passed.
    FILE            a scenario file (YAML, see docs/scenarios/), or builtin:NAME for a
                    built-in one (`cutover scenario list` names them)
    --endpoint URL  run against that running emulator (it is reset first) instead of one
                    started in this process on a manual clock
    --junit FILE    write JUnit XML (one test case per scenario)
    --html FILE     write the deployment's timeline picture (one page per scenario; with
                    several scenarios, or a FILE ending in / or naming a directory, FILE
                    is a directory of NAME.html pages); the last line says where it is
    --verbose, -v   show every timeline entry, the lab setup's too
    --quiet, -q     print only the result lines
    Exits 0 when every scenario passed, 1 when one failed (a setup the emulator refuses,
    e.g. an unknown deploymentConfig, counts as failed), 2 on a bad file or argument.
";

const SCENARIO_LIST_USAGE: &str = "\
USAGE:
    cutover scenario list

scenario list: names the built-in scenarios (run one with `cutover scenario run builtin:NAME`).
";

const SCENARIO_USAGE: &str = "\
USAGE:
    cutover scenario run FILE... [--endpoint URL] [--junit FILE] [--html FILE] [--verbose] [--quiet]
    cutover scenario list

scenario: runs scenario files (docs/scenarios/). `cutover scenario run --help` and
`cutover scenario list --help` tell more.
";

const LAB_USAGE: &str = "\
USAGE:
    cutover lab [--html FILE] [--junit FILE] [--verbose] [--quiet] [--endpoint URL]

lab: runs the Lab 4 walkthrough (builtin:lab-happy-path) in this process and prints its
timeline; takes the flags of `cutover scenario run`. With --html FILE it writes the timeline
picture and its last line says where it is; without, the last line says how to get one.
";

/// The usage of one command, by the words that name it (`serve`, `scenario run`...).
fn usage_of(command: &[&str]) -> Option<&'static str> {
    Some(match command {
        [] => USAGE,
        ["serve"] => SERVE_USAGE,
        ["scenario"] => SCENARIO_USAGE,
        ["scenario", "run"] => SCENARIO_RUN_USAGE,
        ["scenario", "list"] => SCENARIO_LIST_USAGE,
        ["lab"] => LAB_USAGE,
        _ => return None,
    })
}

/// Whether the arguments of a command ask for its help.
fn wants_help(args: &[String]) -> bool {
    args.iter().any(|a| a == "--help" || a == "-h")
}

/// `println!` that ignores a closed standard output (`cutover lab | head` must not panic).
macro_rules! say {
    () => {{
        let _ = writeln!(std::io::stdout());
    }};
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

struct ServeArgs {
    bind: String,
    clock: ClockMode,
    alb: cutover::runtime::alb::Config,
    access: cutover::server::Access,
    limits: cutover::net::Limits,
}

/// A number of seconds (a flag's value): finite, positive, at most a day.
fn seconds(flag: &str, text: &str) -> Result<std::time::Duration, String> {
    match text.trim().parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 && s <= 86_400.0 => Ok(std::time::Duration::from_secs_f64(s)),
        _ => Err(format!(
            "{flag}: '{text}' is not a number of seconds between 0 and 86400"
        )),
    }
}

/// Command-line arguments one at a time: `--flag value`, `--flag=value`, switches, positionals.
struct Args<'a> {
    it: std::slice::Iter<'a, String>,
    inline: Option<String>,
}

impl<'a> Args<'a> {
    fn new(args: &'a [String]) -> Args<'a> {
        Args {
            it: args.iter(),
            inline: None,
        }
    }

    /// The next argument, with `--flag=value` split (the value waits for [`Args::value`]).
    fn next_arg(&mut self) -> Option<String> {
        let a = self.it.next()?;
        match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => {
                self.inline = Some(v.to_owned());
                Some(f.to_owned())
            }
            _ => {
                self.inline = None;
                Some(a.clone())
            }
        }
    }

    /// The value of the flag just read.
    fn value(&mut self, flag: &str) -> Result<String, String> {
        self.inline
            .take()
            .or_else(|| self.it.next().cloned())
            .ok_or_else(|| format!("{flag} needs a value"))
    }
}

fn parse_serve(args: &[String]) -> Result<ServeArgs, String> {
    let mut bind = std::env::var("CUTOVER_BIND").unwrap_or_else(|_| "127.0.0.1:4566".into());
    let mut clock = std::env::var("CUTOVER_CLOCK").unwrap_or_else(|_| "real".into());
    let mut level = std::env::var("CUTOVER_LOG").unwrap_or_else(|_| "info".into());
    let mut offset = std::env::var("CUTOVER_LISTENER_PORT_OFFSET").unwrap_or_else(|_| "0".into());
    let mut port_map = std::env::var("CUTOVER_LISTENER_PORTS").unwrap_or_default();
    let mut app_config = std::env::var("CUTOVER_APP_CONFIG").ok().filter(|s| !s.is_empty());
    let env = |name: &str| std::env::var(name).ok().filter(|s| !s.trim().is_empty());
    let mut allow_hosts = env("CUTOVER_ALLOW_HOSTS")
        .map(|v| cutover::server::Access::split_list(&v))
        .unwrap_or_default();
    let mut cors_origins = env("CUTOVER_CORS_ORIGINS")
        .map(|v| cutover::server::Access::split_list(&v))
        .unwrap_or_default();
    let mut timeouts: Vec<(&str, Option<String>)> = vec![
        ("--header-timeout", env("CUTOVER_HEADER_TIMEOUT")),
        ("--body-timeout", env("CUTOVER_BODY_TIMEOUT")),
        ("--idle-timeout", env("CUTOVER_IDLE_TIMEOUT")),
        ("--shutdown-grace", env("CUTOVER_SHUTDOWN_GRACE")),
    ];
    let mut max_connections = env("CUTOVER_MAX_CONNECTIONS");
    let mut args = Args::new(args);
    while let Some(flag) = args.next_arg() {
        match flag.as_str() {
            "--bind" => bind = args.value(&flag)?,
            "--clock" => clock = args.value(&flag)?,
            "--log-level" => level = args.value(&flag)?,
            "--listener-port-offset" => offset = args.value(&flag)?,
            "--listener-ports" => port_map = args.value(&flag)?,
            "--app-config" => app_config = Some(args.value(&flag)?),
            "--allow-host" => allow_hosts.extend(cutover::server::Access::split_list(&args.value(&flag)?)),
            "--cors-origin" => cors_origins.extend(cutover::server::Access::split_list(&args.value(&flag)?)),
            "--max-connections" => max_connections = Some(args.value(&flag)?),
            f if timeouts.iter().any(|(t, _)| *t == f) => {
                let v = args.value(&flag)?;
                if let Some(slot) = timeouts.iter_mut().find(|(t, _)| *t == f) {
                    slot.1 = Some(v);
                }
            }
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
    let mut limits = cutover::net::Limits::default();
    for (flag, value) in &timeouts {
        let Some(v) = value else { continue };
        let d = seconds(flag, v)?;
        match *flag {
            "--header-timeout" => limits.header_timeout = d,
            "--body-timeout" => limits.body_timeout = d,
            "--idle-timeout" => limits.idle_timeout = d,
            _ => limits.shutdown_grace = d,
        }
    }
    if let Some(n) = max_connections {
        limits.max_connections = match n.trim().parse::<usize>() {
            Ok(n) if (1..=1_000_000).contains(&n) => n,
            _ => {
                return Err(format!(
                    "--max-connections: '{n}' is not a whole number from 1 to 1000000"
                ))
            }
        };
    }
    for o in &cors_origins {
        if o != "*" && !(o.starts_with("http://") || o.starts_with("https://")) {
            return Err(format!(
                "--cors-origin: '{o}' is not an origin (scheme://host[:port], e.g. http://localhost:3000, or *)"
            ));
        }
    }
    Ok(ServeArgs {
        bind,
        clock: ClockMode::parse(&clock)?,
        alb,
        access: cutover::server::Access {
            allow_hosts,
            cors_origins: cors_origins
                .into_iter()
                .map(|o| o.trim_end_matches('/').to_owned())
                .collect(),
        },
        limits,
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

/// What `serve` prints once it answers: `ready http://HOST:PORT` first (the contract), with an
/// address a client can connect to. Bound to every address (`0.0.0.0:P`, `[::]:P`), HOST is the
/// loopback address of that family and a second line names the bound address.
fn ready_lines(addr: std::net::SocketAddr) -> Vec<String> {
    if !addr.ip().is_unspecified() {
        return vec![format!("ready http://{addr}")];
    }
    let loopback: std::net::IpAddr = match addr {
        std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
        std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
    };
    vec![
        format!("ready http://{}", std::net::SocketAddr::new(loopback, addr.port())),
        format!("listening on {addr} (every address of this machine)"),
    ]
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
        let options = cutover::server::ServeOptions {
            alb: Some(args.alb),
            access: args.access,
            limits: args.limits,
        };
        let handle = match cutover::server::serve_with(&args.bind, em, options).await {
            Ok(h) => h,
            Err(e) => {
                eprintln!("cutover: cannot listen on {}: {e}", args.bind);
                return ExitCode::FAILURE;
            }
        };
        {
            let mut out = std::io::stdout().lock();
            for line in ready_lines(handle.addr) {
                let _ = writeln!(out, "{line}");
            }
            let _ = out.flush();
        }
        cutover::info!("serving on {} with the {} clock", handle.addr, args.clock.name());
        shutdown_signal().await;
        cutover::info!("shutting down");
        handle.shutdown().await;
        ExitCode::SUCCESS
    })
}

/// `cutover scenario run` (and `cutover lab`, whose usage `usage` is, with its scenario first).
fn scenario_run(args: &[String], usage: &str) -> ExitCode {
    let mut files = Vec::new();
    let mut endpoint = None;
    let mut junit = None;
    let mut html = None;
    let (mut verbose, mut quiet) = (false, false);
    let lab = usage == LAB_USAGE;
    let mut args = Args::new(args);
    while let Some(flag) = args.next_arg() {
        let r = match flag.as_str() {
            "--endpoint" => args.value(&flag).map(|v| endpoint = Some(v)),
            "--junit" => args.value(&flag).map(|v| junit = Some(v)),
            "--html" => args.value(&flag).map(|v| html = Some(v)),
            "--verbose" | "-v" => {
                verbose = true;
                Ok(())
            }
            "--quiet" | "-q" => {
                quiet = true;
                Ok(())
            }
            f if f.starts_with("--") => Err(format!("unknown argument '{f}'")),
            _ => {
                files.push(flag.clone());
                Ok(())
            }
        };
        if let Err(e) = r {
            eprintln!("cutover: {e}\n\n{usage}");
            return ExitCode::from(2);
        }
    }
    if files.is_empty() {
        eprintln!("cutover: scenario run needs at least one FILE (or builtin:NAME)\n\n{usage}");
        return ExitCode::from(2);
    }
    if let Some(e) = &endpoint {
        match cutover::scenario::run::endpoint_authority(e) {
            Ok(a) => endpoint = Some(format!("http://{a}")),
            Err(msg) => {
                eprintln!("cutover: --endpoint: {msg}");
                return ExitCode::from(2);
            }
        }
    }
    // Every file is read and checked before anything runs.
    let mut scenarios = Vec::new();
    let mut bad = false;
    for f in &files {
        match cutover::scenario::load(f) {
            Ok(s) => scenarios.push(s),
            // Every mistake of the file, one a line.
            Err(errors) => {
                for e in &errors.0 {
                    eprintln!("cutover: {e}");
                }
                bad = true;
            }
        }
    }
    if bad {
        return ExitCode::from(2);
    }
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cutover: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The emulator a scenario starts in this process logs errors only: the timeline is the output.
    if !verbose {
        let _ = cutover::log::set_level("error");
    }
    let options = cutover::scenario::run::Options {
        endpoint,
        echo: !quiet,
        verbose,
    };
    let outcomes: Vec<_> = rt.block_on(async {
        let mut out = Vec::new();
        for s in &scenarios {
            out.push(cutover::scenario::run::run(s, &options).await);
            if !quiet {
                say!();
            }
        }
        out
    });
    let mut code = ExitCode::SUCCESS;
    for o in &outcomes {
        match &o.failure {
            None => say!("ok    {} ({})", o.name, o.file),
            Some(f) => {
                code = ExitCode::FAILURE;
                let at = f
                    .step
                    .map(|(i, p)| format!(" at step {i}, line {}", p.line))
                    .unwrap_or_default();
                say!("FAIL  {} ({}){at}: {}", o.name, o.file, f.message);
            }
        }
    }
    if let Some(path) = junit {
        if let Err(e) = std::fs::write(&path, cutover::scenario::report::junit(&outcomes)) {
            eprintln!("cutover: cannot write {path}: {e}");
            code = ExitCode::FAILURE;
        }
    }
    match html {
        Some(path) => match write_html(&path, &outcomes) {
            Ok(()) => {
                if !quiet {
                    say!("timeline picture: {}", shown_path(&path));
                }
            }
            Err(e) => {
                eprintln!("cutover: cannot write {path}: {e}");
                code = ExitCode::FAILURE;
            }
        },
        None if lab && !quiet => {
            say!("timeline picture: none written; `cutover lab --html lab.html` writes one to open in a browser")
        }
        None => {}
    }
    code
}

/// Where a written page is, as a person opens it: the absolute path (of the directory, for several).
fn shown_path(path: &str) -> String {
    std::path::absolute(path)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| path.to_owned())
}

/// One page for one scenario at `path`; with several, or when `path` ends in `/` or is a
/// directory, `path` is a directory of `<name>.html` (`<name>-2.html`... for repeated names).
fn write_html(path: &str, outcomes: &[cutover::scenario::run::Outcome]) -> std::io::Result<()> {
    let page = |o: &cutover::scenario::run::Outcome| cutover::report::timeline_html(&o.name, &o.events);
    let dir_mode = path.ends_with('/') || std::path::Path::new(path).is_dir();
    if let ([one], false) = (outcomes, dir_mode) {
        return std::fs::write(path, page(one));
    }
    std::fs::create_dir_all(path)?;
    let mut used = std::collections::HashSet::new();
    for o in outcomes {
        let stem: String = o
            .file
            .rsplit('/')
            .next()
            .unwrap_or(&o.file)
            .trim_start_matches("builtin:")
            .trim_end_matches(".yaml")
            .trim_end_matches(".yml")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let mut name = format!("{stem}.html");
        let mut n = 1;
        while !used.insert(name.clone()) {
            n += 1;
            name = format!("{stem}-{n}.html");
        }
        std::fs::write(std::path::Path::new(path).join(name), page(o))?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["help" | "--help" | "-h", command @ ..] => match usage_of(command) {
            Some(u) => {
                print!("{u}");
                ExitCode::SUCCESS
            }
            None => {
                eprint!("cutover: no command '{}'\n\n{USAGE}", command.join(" "));
                ExitCode::from(2)
            }
        },
        ["serve", rest @ ..] if wants_help(&args[1..]) || rest.first() == Some(&"help") => {
            print!("{SERVE_USAGE}");
            ExitCode::SUCCESS
        }
        ["serve", ..] => match parse_serve(&args[1..]) {
            Ok(a) => serve(a),
            Err(e) => {
                eprintln!("cutover: {e}\n\n{SERVE_USAGE}");
                ExitCode::from(2)
            }
        },
        ["scenario", sub, ..] if ["run", "list"].contains(sub) && wants_help(&args[2..]) => {
            print!("{}", usage_of(&words[..2]).unwrap_or(SCENARIO_USAGE));
            ExitCode::SUCCESS
        }
        ["scenario", "run", ..] => scenario_run(&args[2..], SCENARIO_RUN_USAGE),
        ["scenario", "list"] => {
            for (name, text) in cutover::scenario::builtin() {
                let title = cutover::scenario::parse(name, text).map(|s| s.name).unwrap_or_default();
                say!("builtin:{name:<28} {title}");
            }
            ExitCode::SUCCESS
        }
        ["scenario", "list", extra, ..] => {
            eprintln!("cutover: scenario list takes no argument ('{extra}')\n\n{SCENARIO_LIST_USAGE}");
            ExitCode::from(2)
        }
        ["scenario", "help" | "--help" | "-h", ..] => {
            print!("{SCENARIO_USAGE}");
            ExitCode::SUCCESS
        }
        ["scenario", ..] => {
            eprintln!("cutover: scenario needs a subcommand: run or list\n\n{SCENARIO_USAGE}");
            ExitCode::from(2)
        }
        ["lab", ..] if wants_help(&args[1..]) => {
            print!("{LAB_USAGE}");
            ExitCode::SUCCESS
        }
        ["lab", ..] => {
            let mut rest = vec!["builtin:lab-happy-path".to_owned()];
            rest.extend(args[1..].iter().cloned());
            scenario_run(&rest, LAB_USAGE)
        }
        ["--version" | "-V" | "version", ..] => {
            say!("cutover {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        [] => {
            eprint!("{USAGE}");
            ExitCode::from(2)
        }
        [other, ..] => {
            eprint!("cutover: no command '{other}'\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
