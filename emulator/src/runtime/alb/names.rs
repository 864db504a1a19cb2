//! How load balancer DNS names resolve with no DNS set-up.
//!
//! The emulator hands out ALB names under the special-use `localhost` domain (RFC 6761):
//! `<name>-<digits>.<region>.elb.localhost`. Resolvers that follow RFC 6761 (curl ≥ 7.78, which
//! resolves `*.localhost` itself; browsers; systemd-resolved/nss-myhostname hosts) send them to
//! loopback, and a request to `http://<DNSName>:<port>/` then reaches the listener bound on
//! `127.0.0.1:<port>` (when the listener really has that port: no offset, no map, no fallback), or
//! the emulator's main port with the same `Host` header.
//!
//! Plain glibc (`hosts: files dns`, as in most containers) does not resolve `*.localhost`, nor does
//! Node (it asks glibc). So processes the emulator starts (Lambda functions, app processes) get
//! [`Shims::env`]: a `sitecustomize.py` on `PYTHONPATH` and a `--require` script in `NODE_OPTIONS`
//! that send connections to any `*.elb.localhost` host, whatever port the URL has, to the emulator's
//! main port. The `Host` header still names the load balancer and the port, so the main port routes
//! the request to the right listener, wherever that listener is really bound.

use std::net::SocketAddr;
use std::path::PathBuf;

/// The suffix of every load balancer DNS name the emulator hands out.
pub const DNS_SUFFIX: &str = ".elb.localhost";

const PYTHON: &str = r#"# Written by cutover: *.elb.localhost names connect to the emulator's main port.
import os as _os, socket as _socket
_gw = _os.environ.get("CUTOVER_ELB_GATEWAY", "")
if _gw:
    _gh, _, _gp = _gw.rpartition(":")
    _orig = _socket.getaddrinfo
    def _cutover_getaddrinfo(host, port, *args, **kwargs):
        h = host.decode() if isinstance(host, bytes) else host
        if isinstance(h, str) and h.rstrip(".").lower().endswith(".elb.localhost"):
            return _orig(_gh, int(_gp), *args, **kwargs)
        return _orig(host, port, *args, **kwargs)
    _socket.getaddrinfo = _cutover_getaddrinfo
"#;

const NODE: &str = r#"// Written by cutover: *.elb.localhost names connect to the emulator's main port.
'use strict';
const gw = process.env.CUTOVER_ELB_GATEWAY || '';
if (gw) {
  const i = gw.lastIndexOf(':');
  const gh = gw.slice(0, i), gp = Number(gw.slice(i + 1));
  const isElb = (h) => typeof h === 'string' && h.replace(/\.$/, '').toLowerCase().endsWith('.elb.localhost');
  const net = require('net');
  const rewrite = (args) => {
    if (args.length > 0 && args[0] && typeof args[0] === 'object' && !Array.isArray(args[0]) && isElb(args[0].host)) {
      args[0] = Object.assign({}, args[0], { host: gh, port: gp, servername: undefined });
    } else if (typeof args[0] === 'number' && isElb(args[1])) {
      args[0] = gp; args[1] = gh;
    }
    return args;
  };
  for (const name of ['connect', 'createConnection']) {
    const orig = net[name];
    net[name] = function (...args) { return orig.apply(this, rewrite(args)); };
  }
  const http = require('http');
  const origAgent = http.Agent.prototype.createConnection;
  http.Agent.prototype.createConnection = function (...args) { return origAgent.apply(this, rewrite(args)); };
  const dns = require('dns');
  const origLookup = dns.lookup;
  dns.lookup = function (host, opts, cb) {
    if (isElb(host)) {
      if (typeof opts === 'function') { cb = opts; opts = {}; }
      if (opts && opts.all) return process.nextTick(cb, null, [{ address: gh, family: 4 }]);
      return process.nextTick(cb, null, gh, 4);
    }
    return origLookup.apply(this, arguments);
  };
}
"#;

/// The shim files of one emulator.
#[derive(Debug)]
pub struct Shims {
    dir: PathBuf,
    gateway: SocketAddr,
}

impl Shims {
    pub fn write(gateway: SocketAddr) -> std::io::Result<Shims> {
        let dir = std::env::temp_dir().join(format!("cutover-names-{}-{}", std::process::id(), gateway.port()));
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("sitecustomize.py"), PYTHON)?;
        std::fs::write(dir.join("cutover-names.js"), NODE)?;
        Ok(Shims { dir, gateway })
    }

    /// `CUTOVER_ELB_GATEWAY`, `PYTHONPATH` (the shim first, then the current value) and
    /// `NODE_OPTIONS` (`--require` the shim, then the current value).
    pub fn env(&self) -> Vec<(String, String)> {
        let join = |var: &str, first: String, sep: &str| match std::env::var(var) {
            Ok(v) if !v.is_empty() => format!("{first}{sep}{v}"),
            _ => first,
        };
        let gw = if self.gateway.ip().is_unspecified() {
            format!("127.0.0.1:{}", self.gateway.port())
        } else {
            self.gateway.to_string()
        };
        vec![
            ("CUTOVER_ELB_GATEWAY".into(), gw),
            (
                "PYTHONPATH".into(),
                join("PYTHONPATH", self.dir.display().to_string(), ":"),
            ),
            (
                "NODE_OPTIONS".into(),
                join(
                    "NODE_OPTIONS",
                    format!("--require {}", self.dir.join("cutover-names.js").display()),
                    " ",
                ),
            ),
        ]
    }

    pub fn remove(self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
