//! The layering rules of `docs/architecture.md`, checked on the source text: a service module
//! never names another service, the lifecycle layer or a runtime; nothing in `sim/`, `protocol/`
//! or `model/` names `services/`, `lifecycle/` or `runtime/`; the scheduler names no service; the
//! runtimes never walk the world's accounts and regions.
//! The modules' references (`crate::…` and `super::…` paths) make a graph with no circle that
//! holds two services, or a service and the lifecycle layer; a service names neither `World`
//! nor `world.rs` (it gets its own state and an `Env`).
//! Test code (`tests.rs` files and everything after a file's `#[cfg(test)]`) is left out: tests
//! may build whatever world they need.

use std::fs;
use std::path::{Path, PathBuf};

const SERVICES: [&str; 9] = [
    "cloudwatch",
    "codedeploy",
    "ec2",
    "ecs",
    "elbv2",
    "iam",
    "lambda",
    "logs",
    "sts",
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|x| x == "rs") && path.file_name().is_some_and(|n| n != "tests.rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The non-test code of a file, comments dropped, with line numbers.
fn code_lines(path: &Path) -> Vec<(usize, String)> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    let mut skip_next_item = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if skip_next_item && !t.is_empty() {
            skip_next_item = false;
            if t.ends_with(';') {
                // `#[cfg(test)] mod tests;`: only that line is test code.
                continue;
            }
            // A test item with a body (`mod tests { … }`): by the project's habit it runs to the
            // end of the file.
            break;
        }
        if t.starts_with("#[cfg(test)]") {
            skip_next_item = true;
            continue;
        }
        if t.starts_with("//") {
            continue;
        }
        let code = without_strings(line);
        let code = match code.find("//") {
            Some(at) => &code[..at],
            None => &code[..],
        };
        out.push((i + 1, code.to_owned()));
    }
    out
}

/// The line with the contents of its string literals left out (`"…"` becomes `""`).
fn without_strings(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in line.chars() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
                out.push(c);
            }
            continue;
        }
        if c == '"' {
            in_string = true;
        }
        out.push(c);
    }
    out
}

/// Every `(file:line, text)` of `files` where a path in `banned` appears.
fn offences(files: &[PathBuf], banned: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    for f in files {
        for (n, line) in code_lines(f) {
            for b in banned {
                if line.contains(b.as_str()) {
                    let rel = f.strip_prefix(src()).unwrap_or(f);
                    found.push(format!("src/{}:{n}: names `{b}`: {}", rel.display(), line.trim()));
                }
            }
        }
    }
    found
}

/// What a file inside `services/<svc>/` may not name: the other services (by any path), the
/// lifecycle layer, and the floors above it (the emulator, dispatch, the runtimes, the servers).
fn banned_for_service(svc: &str) -> Vec<String> {
    let mut banned: Vec<String> = [
        "crate::lifecycle",
        "crate::runtime",
        "crate::Emulator",
        "crate::dispatch",
        "crate::server",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for other in SERVICES.iter().filter(|o| **o != svc) {
        banned.push(format!("crate::services::{other}"));
        banned.push(format!("super::super::{other}"));
        banned.push(format!("services::{{{other}"));
        banned.push(format!(", {other}}}"));
        banned.push(format!(", {other}, "));
        banned.push(format!("{{{other}, "));
        banned.push(format!(" {other}::"));
        banned.push(format!("({other}::"));
        banned.push(format!("!{other}::"));
        banned.push(format!("&{other}::"));
        banned.push(format!("<{other}::"));
    }
    banned
}

/// Whether a line, trimmed, is an item of a `use` list split over lines that names a service
/// other than `svc` (`    elbv2,` or `    elbv2::{…}`).
fn names_other_in_use_list(line: &str, svc: &str) -> Option<String> {
    let t = line.trim();
    SERVICES
        .iter()
        .filter(|o| **o != svc)
        .find_map(|o| (t == format!("{o},") || t == *o || t.starts_with(&format!("{o}::"))).then(|| o.to_string()))
}

#[test]
fn no_service_names_another_service_or_a_floor_above() {
    let mut all = Vec::new();
    for svc in SERVICES {
        let files = rust_files(&src().join("services").join(svc));
        assert!(!files.is_empty(), "services/{svc} has no files");
        all.extend(offences(&files, &banned_for_service(svc)));
        for f in &files {
            for (n, line) in code_lines(f) {
                if let Some(o) = names_other_in_use_list(&line, svc) {
                    all.push(format!(
                        "{}:{n}: names `{o}` in a use list: {}",
                        f.display(),
                        line.trim()
                    ));
                }
            }
        }
    }
    // The shared files beside the services (the identity port, the helpers) name no service.
    for shared in ["identity.rs", "util.rs"] {
        let f = src().join("services").join(shared);
        all.extend(offences(std::slice::from_ref(&f), &banned_for_service("")));
    }
    assert!(all.is_empty(), "services reach across:\n{}", all.join("\n"));
}

#[test]
fn the_floor_below_names_nothing_above_it() {
    let banned: Vec<String> = [
        "crate::services",
        "crate::lifecycle",
        "crate::runtime",
        "crate::Emulator",
        "crate::server",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut all = Vec::new();
    for dir in ["sim", "protocol", "model"] {
        all.extend(offences(&rust_files(&src().join(dir)), &banned));
    }
    assert!(all.is_empty(), "the lower floors reach up:\n{}", all.join("\n"));
    let banned: Vec<String> = ["crate::runtime", "crate::Emulator", "crate::server", "crate::control"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let all = offences(&rust_files(&src().join("lifecycle")), &banned);
    assert!(all.is_empty(), "the lifecycle layer reaches up:\n{}", all.join("\n"));
}

#[test]
fn the_scheduler_carries_signals_that_name_no_service() {
    let banned: Vec<String> = SERVICES.iter().map(|s| format!("{s}::")).collect();
    let files = vec![
        src().join("sim").join("scheduler.rs"),
        src().join("sim").join("signal.rs"),
    ];
    let all = offences(&files, &banned);
    assert!(all.is_empty(), "the scheduler names a service:\n{}", all.join("\n"));
}

#[test]
fn the_runtimes_never_read_the_services_maps() {
    // The ALB and Lambda runtimes get a typed copy (`lifecycle::data_plane`) and send commands
    // (`lifecycle::edges`); they never walk accounts and regions themselves.
    let banned: Vec<String> = [".accounts", ".regions", "region_mut(", ".region("]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let all = offences(&rust_files(&src().join("runtime")), &banned);
    assert!(all.is_empty(), "a runtime reads service state:\n{}", all.join("\n"));
}

/// The unit a source file belongs to: a service's directory (`services/ecs`), a file beside the
/// services (`services/mod`, `services/util`), or a top-level module (`world`, `lifecycle`, `sim`).
fn unit_of_file(rel: &Path) -> String {
    let parts: Vec<String> = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    match parts.as_slice() {
        [top, svc, ..] if top == "services" && SERVICES.contains(&svc.as_str()) => format!("services/{svc}"),
        [top, file] if top == "services" => format!("services/{file}"),
        [top, ..] => top.clone(),
        [] => String::new(),
    }
}

/// The units a path after `crate::` names: its first segment and, under `services`, the service
/// or file; a `{…}` list names each of its items (`services::{ecs, elbv2}`).
fn units_of_path(path: &str) -> Vec<String> {
    fn first(p: &str) -> &str {
        let end = p.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(p.len());
        &p[..end]
    }
    fn list(p: &str) -> Vec<&str> {
        let body = &p[1..p.find('}').unwrap_or(p.len())];
        body.split(',')
            .map(|x| first(x.trim()))
            .filter(|x| !x.is_empty())
            .collect()
    }
    fn service_unit(name: &str) -> String {
        if SERVICES.contains(&name) || name == "util" || name == "identity" {
            format!("services/{name}")
        } else {
            "services/mod".to_owned()
        }
    }
    let path = path.trim_start();
    if path.starts_with('{') {
        return list(path).into_iter().flat_map(units_of_path).collect();
    }
    let top = first(path);
    if top.is_empty() {
        return Vec::new();
    }
    if top != "services" {
        return vec![top.to_owned()];
    }
    match path[top.len()..].strip_prefix("::") {
        Some(rest) if rest.starts_with('{') => list(rest).into_iter().map(service_unit).collect(),
        Some(rest) => vec![service_unit(first(rest))],
        None => vec!["services/mod".to_owned()],
    }
}

/// Each unit and the units its non-test code names.
fn unit_graph() -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let mut graph: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> = Default::default();
    for f in rust_files(&src()) {
        let rel = f.strip_prefix(src()).expect("under src").to_path_buf();
        let unit = unit_of_file(&rel);
        let in_service_dir = unit.starts_with("services/") && rel.components().count() == 3;
        let is_service_root = in_service_dir && rel.file_name().is_some_and(|n| n == "mod.rs");
        let out = graph.entry(unit.clone()).or_default();
        let code: String = code_lines(&f).into_iter().map(|(_, l)| l + "\n").collect();
        let mut rest = code.as_str();
        while let Some(at) = rest.find("crate::") {
            out.extend(units_of_path(&rest[at + 7..]));
            rest = &rest[at + 7..];
        }
        // `services::…` after `use crate::services;` (or from inside `services/`).
        let mut rest = code.as_str();
        while let Some(at) = rest.find("services::") {
            let before = rest[..at].chars().next_back();
            if !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                out.extend(units_of_path(&rest[at..]));
            }
            rest = &rest[at + 10..];
        }
        // `super::` from a service's mod.rs, or `super::super::` from a file inside it, is the
        // services root.
        if (is_service_root && code.contains("super::")) || (in_service_dir && code.contains("super::super::")) {
            out.insert("services/mod".to_owned());
        }
        out.remove(&unit);
    }
    graph
}

/// The strongly connected components of more than one unit (Tarjan's algorithm).
fn circles(graph: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'g> {
        graph: &'g std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        index: std::collections::HashMap<&'g str, usize>,
        low: std::collections::HashMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: std::collections::HashSet<&'g str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'g>(w: &mut Walk<'g>, v: &'g str) {
        let n = w.index.len();
        w.index.insert(v, n);
        w.low.insert(v, n);
        w.stack.push(v);
        w.on_stack.insert(v);
        let graph = w.graph;
        for u in graph.get(v).into_iter().flatten() {
            let u = u.as_str();
            if !graph.contains_key(u) {
                continue;
            }
            if !w.index.contains_key(u) {
                visit(w, u);
                let l = w.low[u].min(w.low[v]);
                w.low.insert(v, l);
            } else if w.on_stack.contains(u) {
                let l = w.index[u].min(w.low[v]);
                w.low.insert(v, l);
            }
        }
        if w.low[v] == w.index[v] {
            let mut comp = Vec::new();
            while let Some(x) = w.stack.pop() {
                w.on_stack.remove(x);
                comp.push(x.to_owned());
                if x == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                w.out.push(comp);
            }
        }
    }
    let mut w = Walk {
        graph,
        index: Default::default(),
        low: Default::default(),
        stack: Vec::new(),
        on_stack: Default::default(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !w.index.contains_key(v.as_str()) {
            visit(&mut w, v);
        }
    }
    w.out
}

/// A circle is wrong when it holds two services, or a service and the lifecycle layer.
fn wrong(circle: &[String]) -> bool {
    let services = circle
        .iter()
        .filter(|u| SERVICES.iter().any(|s| **u == format!("services/{s}")))
        .count();
    services >= 2 || (services >= 1 && circle.iter().any(|u| u == "lifecycle"))
}

#[test]
fn no_circle_holds_two_services_or_a_service_and_the_lifecycle() {
    let graph = unit_graph();
    assert!(
        graph.contains_key("services/ecs") && graph.contains_key("world"),
        "{graph:?}"
    );
    let bad: Vec<String> = circles(&graph)
        .into_iter()
        .filter(|c| wrong(c))
        .map(|c| c.join(" -> "))
        .collect();
    assert!(bad.is_empty(), "import circles across services:\n{}", bad.join("\n"));
}

#[test]
fn the_circle_check_sees_a_circle() {
    let mut g: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> = Default::default();
    let edge = |g: &mut std::collections::BTreeMap<String, std::collections::BTreeSet<String>>, a: &str, b: &str| {
        g.entry(a.to_owned()).or_default().insert(b.to_owned());
        g.entry(b.to_owned()).or_default();
    };
    edge(&mut g, "services/ecs", "world");
    edge(&mut g, "world", "services/ecs");
    edge(&mut g, "world", "services/elbv2");
    edge(&mut g, "services/elbv2", "env");
    assert!(
        circles(&g).iter().all(|c| !wrong(c)),
        "one service and world.rs is not yet wrong"
    );
    edge(&mut g, "services/elbv2", "world");
    assert!(
        circles(&g).iter().any(|c| wrong(c)),
        "ecs -> world -> elbv2 -> world is"
    );
    assert_eq!(units_of_path("services::ecs::links::Peers"), ["services/ecs"]);
    assert_eq!(units_of_path("services::Ctx"), ["services/mod"]);
    assert_eq!(
        units_of_path("services::{ecs, elbv2::peers,\n  Ctx}"),
        ["services/ecs", "services/elbv2", "services/mod"]
    );
    assert_eq!(units_of_path("world::{Env, World}"), ["world"]);
    assert_eq!(units_of_path("{env::Env, world}"), ["env", "world"]);
    assert_eq!(unit_of_file(Path::new("services/ecs/tasks.rs")), "services/ecs");
    assert_eq!(unit_of_file(Path::new("services/util.rs")), "services/util");
}

#[test]
fn the_checks_see_a_crossing_when_there_is_one() {
    // The scan itself: a line that reaches into another service is caught, one that stays home
    // is not, and a comment does not count.
    let dir = std::env::temp_dir().join(format!("cutover-arch-{}", std::process::id()));
    fs::create_dir_all(&dir).expect("temp dir");
    let f = dir.join("probe.rs");
    fs::write(
        &f,
        "use crate::services::elbv2;\nuse super::State;\n// crate::services::iam in a comment\nfn f() { ec2::subnet(); }\nconst M: &str = \"say iam, ec2, etc.\";\n#[cfg(test)]\nmod tests;\nfn g() { lambda::invoke_async(); }\n#[cfg(test)]\nmod more {\nuse crate::services::sts;\n}\n",
    )
    .expect("write probe");
    let found = offences(&[f], &banned_for_service("ecs"));
    fs::remove_dir_all(&dir).ok();
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(found[0].contains(":1:") && found[0].contains("elbv2"), "{found:#?}");
    assert!(found[1].contains(":4:") && found[1].contains("ec2::"), "{found:#?}");
    // After a one-line test item the scan goes on; a test module with a body ends it.
    assert!(found[2].contains(":8:") && found[2].contains("lambda::"), "{found:#?}");
    assert_eq!(names_other_in_use_list("    elbv2,", "ecs").as_deref(), Some("elbv2"));
    assert_eq!(names_other_in_use_list("    ecs,", "ecs"), None);
}
