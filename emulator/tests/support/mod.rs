//! Shared by the integration tests: the pinned botocore sdist (its protocol test vectors), fetched
//! with pip at test time into the target directory and never committed.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

pub const BOTOCORE_VERSION: &str = "1.43.11";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("emulator/ has a parent")
        .to_path_buf()
}

/// The unpacked sdist directory (`.../botocore-1.43.11`), downloading it on first use.
/// `CUTOVER_BOTOCORE_SDIST` may name an already unpacked copy.
pub fn botocore_sdist() -> PathBuf {
    static LOCK: Mutex<()> = Mutex::new(());
    let _g = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    if let Ok(dir) = std::env::var("CUTOVER_BOTOCORE_SDIST") {
        return PathBuf::from(dir);
    }
    let cache = workspace_root().join("target").join("botocore-sdist");
    let dir = cache.join(format!("botocore-{BOTOCORE_VERSION}"));
    if dir.join("tests/unit/protocols").is_dir() {
        return dir;
    }
    // Test binaries run as separate processes (nextest), so the mutex above does not keep two of
    // them from fetching at once: each downloads and unpacks into a directory of its own and
    // renames the result into place, so the cache only ever holds complete files.
    std::fs::create_dir_all(&cache).expect("create the sdist cache dir");
    let own = cache.join(format!("fetch-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&own);
    std::fs::create_dir_all(&own).expect("create this process's fetch dir");
    let tarball = cache.join(format!("botocore-{BOTOCORE_VERSION}.tar.gz"));
    if !tarball.is_file() {
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        let st = Command::new(python)
            .args(["-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:"])
            .arg(format!("botocore=={BOTOCORE_VERSION}"))
            .arg("-d")
            .arg(&own)
            .status()
            .expect("run pip to download the botocore sdist");
        assert!(st.success(), "pip download botocore=={BOTOCORE_VERSION} failed");
        let fetched = own.join(format!("botocore-{BOTOCORE_VERSION}.tar.gz"));
        if std::fs::rename(&fetched, &tarball).is_err() {
            assert!(
                tarball.is_file(),
                "the downloaded sdist is neither at {} nor at {}",
                fetched.display(),
                tarball.display()
            );
        }
    }
    let st = Command::new("tar")
        .arg("xzf")
        .arg(&tarball)
        .arg("-C")
        .arg(&own)
        .arg(format!("botocore-{BOTOCORE_VERSION}/tests/unit/protocols"))
        .status()
        .expect("run tar");
    assert!(st.success(), "unpacking the botocore sdist failed");
    // A rename onto a directory another process put there first fails; its copy is as good.
    if std::fs::rename(own.join(format!("botocore-{BOTOCORE_VERSION}")), &dir).is_err() {
        assert!(
            dir.join("tests/unit/protocols").is_dir(),
            "no unpacked sdist at {}",
            dir.display()
        );
    }
    let _ = std::fs::remove_dir_all(&own);
    dir
}

/// A protocol test vector file: `kind` is "input" or "output", `name` e.g. "query".
pub fn protocol_vectors(kind: &str, name: &str) -> serde_json::Value {
    let path = botocore_sdist()
        .join("tests/unit/protocols")
        .join(kind)
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("vector file is JSON")
}
