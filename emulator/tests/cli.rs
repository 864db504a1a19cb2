//! The `cutover` program as a person types it: `--help` on every command, the ready line of
//! `serve` on every address, and `cutover lab` saying where its timeline picture is.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

fn cutover(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(args)
        .stdin(Stdio::null())
        .env_remove("CUTOVER_BIND")
        .output()
        .expect("run cutover")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn every_command_prints_its_usage_on_help_and_exits_0() {
    // (arguments, a line the usage must have)
    let cases: &[(&[&str], &str)] = &[
        (&["--help"], "cutover serve [--bind ADDR]"),
        (&["-h"], "cutover scenario run FILE..."),
        (&["help"], "cutover lab"),
        (&["serve", "--help"], "--max-connections N"),
        (&["serve", "-h"], "--allow-host NAME"),
        // Anywhere among the flags, even after one that is wrong.
        (&["serve", "--bind", "127.0.0.1:0", "--nope", "--help"], "--bind ADDR"),
        (&["help", "serve"], "--cors-origin ORIGIN"),
        (&["scenario", "--help"], "cutover scenario list"),
        (&["scenario", "-h"], "cutover scenario run FILE"),
        (&["scenario", "run", "--help"], "--junit FILE"),
        (&["scenario", "run", "-h"], "--endpoint URL"),
        (&["scenario", "run", "builtin:canary", "--help"], "--html FILE"),
        (&["scenario", "list", "--help"], "names the built-in scenarios"),
        (&["help", "scenario", "run"], "--quiet"),
        (&["lab", "--help"], "Lab 4 walkthrough"),
        (&["lab", "-h"], "--html FILE"),
        (&["help", "lab"], "the timeline\npicture"),
    ];
    for (args, want) in cases {
        let out = cutover(args);
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "cutover {args:?}: {stderr}");
        assert!(
            stdout.starts_with("USAGE:") || stdout.starts_with("cutover: "),
            "cutover {args:?}:\n{stdout}"
        );
        assert!(stdout.contains(want), "cutover {args:?}: '{want}' missing:\n{stdout}");
        assert!(stderr.is_empty(), "cutover {args:?} wrote to stderr: {stderr}");
    }
    // A command's help is its own: serve's does not describe scenario flags, and the reverse.
    assert!(!text(&cutover(&["serve", "--help"]).stdout).contains("--junit"));
    assert!(!text(&cutover(&["scenario", "run", "--help"]).stdout).contains("--allow-host"));
}

#[test]
fn mistakes_exit_2_with_the_usage_on_stderr() {
    let cases: &[(&[&str], &str)] = &[
        (&[], "USAGE:"),
        (&["bogus"], "no command 'bogus'"),
        (&["help", "bogus"], "no command 'bogus'"),
        (&["scenario"], "needs a subcommand"),
        (&["scenario", "list", "extra"], "takes no argument"),
        (&["serve", "--nope"], "unknown argument '--nope'"),
        (&["lab", "--nope"], "unknown argument '--nope'"),
    ];
    for (args, want) in cases {
        let out = cutover(args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "cutover {args:?}: {stderr}");
        assert!(stderr.contains(want), "cutover {args:?}: '{want}' missing:\n{stderr}");
        assert!(stderr.contains("USAGE:"), "cutover {args:?}: no usage:\n{stderr}");
    }
    let lab = text(&cutover(&["lab", "--nope"]).stderr);
    assert!(lab.contains("cutover lab [--html FILE]"), "lab's own usage: {lab}");
}

#[test]
fn version_prints_the_package_version() {
    for flag in ["--version", "-V"] {
        let out = cutover(&[flag]);
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(text(&out.stdout), format!("cutover {}\n", env!("CARGO_PKG_VERSION")));
    }
}

/// The first lines `serve --bind BIND` prints, and the server (killed when dropped).
struct Served(std::process::Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

type Stdout = BufReader<std::process::ChildStdout>;

fn serve(bind: &str, lines: usize) -> (Served, Stdout, Vec<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(["serve", "--bind", bind, "--clock", "manual", "--log-level", "error"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn cutover serve");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let served = Served(child);
    let mut got = Vec::new();
    for _ in 0..lines {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        got.push(line.trim_end().to_owned());
    }
    (served, out, got)
}

fn health(authority: &str) -> String {
    let mut s = std::net::TcpStream::connect(authority).expect("connect to the ready line's address");
    s.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET /_emulator/health HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut r = String::new();
    s.read_to_string(&mut r).unwrap();
    r
}

#[test]
fn the_ready_line_names_a_connectable_address_when_bound_to_every_address() {
    let (_server, _, lines) = serve("0.0.0.0:0", 2);
    let url = lines[0]
        .strip_prefix("ready http://")
        .unwrap_or_else(|| panic!("{lines:?}"));
    let port = url.strip_prefix("127.0.0.1:").unwrap_or_else(|| panic!("{lines:?}"));
    assert!(port.parse::<u16>().is_ok_and(|p| p > 0), "{lines:?}");
    assert!(!lines[0].contains("0.0.0.0"), "{lines:?}");
    assert_eq!(
        lines[1],
        format!("listening on 0.0.0.0:{port} (every address of this machine)")
    );
    let r = health(url);
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
}

#[test]
fn the_ready_line_is_alone_and_unchanged_on_a_loopback_bind() {
    let (mut server, mut out, lines) = serve("127.0.0.1:0", 1);
    let port = lines[0]
        .strip_prefix("ready http://127.0.0.1:")
        .unwrap_or_else(|| panic!("{lines:?}"));
    assert!(health(&format!("127.0.0.1:{port}")).starts_with("HTTP/1.1 200"));
    // Nothing follows the ready line: once the server is gone, the rest of its stdout is empty.
    let _ = server.0.kill();
    let _ = server.0.wait();
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "", "after the ready line");
}

#[test]
fn cutover_lab_ends_with_where_the_picture_is() {
    let dir = std::env::temp_dir().join(format!("cutover-cli-lab-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("lab.html");
    let out = cutover(&["lab", "--html", page.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let last = stdout.lines().last().unwrap_or_default();
    assert_eq!(last, format!("timeline picture: {}", page.display()), "{stdout}");
    assert!(std::fs::read_to_string(&page).unwrap().contains("<html"), "not a page");

    // A relative FILE is shown as the absolute path a browser opens.
    let out = Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(["lab", "--html", "rel.html"])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    assert_eq!(
        last,
        format!("timeline picture: {}", dir.join("rel.html").display()),
        "{stdout}"
    );
    assert!(dir.join("rel.html").is_file());

    // Without --html it says how to get one.
    let stdout = text(&cutover(&["lab"]).stdout);
    let last = stdout.lines().last().unwrap_or_default();
    assert!(last.contains("cutover lab --html lab.html"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}
