//! Function code on disk: private temporary directories and zip unpacking that never writes
//! outside its destination.

use crate::services::lambda::functions::safe_entry_path;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// A new directory only this user can read, under the system's temporary directory.
pub fn private_dir(prefix: &str) -> std::io::Result<PathBuf> {
    let base = std::env::temp_dir();
    for _ in 0..16 {
        let p = base.join(format!("{prefix}-{}", uuid::Uuid::new_v4().simple()));
        match std::fs::create_dir(&p) {
            Ok(()) => {
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o700))?;
                return Ok(p);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("could not create a private temporary directory"))
}

/// A file-name-safe digest of a base64 SHA-256.
pub fn digest_name(sha256_b64: &str) -> String {
    sha256_b64
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(24)
        .collect()
}

/// Unpacks `zip` into `dest` unless it is there already. Entries escaping `dest` (`../`, absolute
/// paths), symbolic links and compression methods other than stored/deflate are refused.
/// Files keep their executable bits (a `bootstrap` must stay runnable).
pub fn unpack(zip: &[u8], dest: &Path) -> std::io::Result<()> {
    if dest.is_dir() {
        return Ok(());
    }
    let parent = dest
        .parent()
        .ok_or_else(|| std::io::Error::other("no parent directory"))?;
    let tmp = parent.join(format!(".unpack-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir(&tmp)?;
    let result = unpack_into(zip, &tmp);
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if std::fs::rename(&tmp, dest).is_err() {
        // Another invocation unpacked the same code first.
        let _ = std::fs::remove_dir_all(&tmp);
    }
    Ok(())
}

fn unpack_into(zip: &[u8], dest: &Path) -> std::io::Result<()> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).map_err(std::io::Error::other)?;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(std::io::Error::other)?;
        let name = entry.name().map_err(std::io::Error::other)?.into_owned();
        let rel = safe_entry_path(&name).ok_or_else(|| std::io::Error::other(format!("refused entry {name}")))?;
        if entry.is_symlink() {
            return Err(std::io::Error::other(format!("refused symbolic link {name}")));
        }
        let path = dest.join(&rel);
        if entry.is_dir() {
            std::fs::create_dir_all(&path)?;
            continue;
        }
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p)?;
        }
        let mut buf = Vec::new();
        entry.read_to_end(&mut buf)?;
        std::fs::write(&path, &buf)?;
        let mode = entry.unix_mode().map(|m| m & 0o755).unwrap_or(0o644) | 0o400;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}
