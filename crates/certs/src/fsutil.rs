//! Crash-safe file creation: write a temp file in the same directory with the final mode, fsync
//! it, then move it into place — with `link` when the target must not already exist (so a file
//! is never overwritten, even by a concurrent run), with `rename` when replacing is the point.

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::CertError;

/// Mode of private key files.
pub(crate) const KEY_MODE: u32 = 0o600;
/// Mode of certificate files.
pub(crate) const CERT_MODE: u32 = 0o644;

/// True if `path` exists (a dangling symlink counts as existing: it is not ours to replace).
pub(crate) fn exists(path: &Path) -> Result<bool, CertError> {
    match fs::symlink_metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
        Err(e) => Err(CertError::io("inspect", path, e)),
    }
}

pub(crate) fn read(path: &Path) -> Result<Vec<u8>, CertError> {
    fs::read(path).map_err(|e| CertError::io("read", path, e))
}

pub(crate) fn read_string(path: &Path) -> Result<String, CertError> {
    String::from_utf8(read(path)?).map_err(|_| CertError::Pem {
        label: path.display().to_string(),
        reason: "not UTF-8 text, so not PEM".to_owned(),
    })
}

/// Creates the state directory (0700 on unix) if it is missing.
pub(crate) fn ensure_dir(dir: &Path) -> Result<(), CertError> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| CertError::io("create directory", dir, e))
}

/// Creates `path` with `contents` and `mode`; fails with `AlreadyExists` if it exists.
pub(crate) fn create_new(path: &Path, contents: &[u8], mode: u32) -> Result<(), CertError> {
    let temp = write_temp(path, contents, mode)?;
    let linked = match fs::hard_link(&temp, path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Err(CertError::io("create", path, e)),
        // Filesystems without hard links: fall back to rename after checking the target is free.
        // This leaves a tiny race with a concurrent writer, nothing worse.
        Err(_) => match exists(path) {
            Ok(false) => fs::rename(&temp, path).map_err(|e| CertError::io("create", path, e)),
            Ok(true) => Err(CertError::io(
                "create",
                path,
                std::io::Error::from(ErrorKind::AlreadyExists),
            )),
            Err(e) => Err(e),
        },
    };
    // Best effort: after a successful rename the temp name is already gone.
    let _ = fs::remove_file(&temp);
    linked?;
    sync_parent(path)
}

/// Replaces `path` atomically with `contents` and `mode`.
pub(crate) fn replace(path: &Path, contents: &[u8], mode: u32) -> Result<(), CertError> {
    let temp = write_temp(path, contents, mode)?;
    if let Err(e) = fs::rename(&temp, path) {
        let _ = fs::remove_file(&temp);
        return Err(CertError::io("replace", path, e));
    }
    sync_parent(path)
}

fn write_temp(path: &Path, contents: &[u8], mode: u32) -> Result<PathBuf, CertError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = parent(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let result = options.open(&temp).and_then(|mut file| {
        // The umask may have removed bits but never adds any; set the mode exactly.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(fs::Permissions::from_mode(mode))?;
        }
        file.write_all(contents)?;
        file.sync_all()
    });
    if let Err(e) = result {
        let _ = fs::remove_file(&temp);
        return Err(CertError::io("write", &temp, e));
    }
    Ok(temp)
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// fsync the directory so the new name survives a crash (unix only; elsewhere a no-op).
fn sync_parent(path: &Path) -> Result<(), CertError> {
    #[cfg(unix)]
    {
        let dir = parent(path);
        fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| CertError::io("sync directory", dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn create_new_never_overwrites_and_sets_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.key");
        create_new(&path, b"one", KEY_MODE).unwrap();
        let err = create_new(&path, b"two", KEY_MODE).unwrap_err();
        assert!(
            matches!(err, CertError::Io { ref source, .. } if source.kind() == ErrorKind::AlreadyExists)
        );
        assert_eq!(fs::read(&path).unwrap(), b"one");
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // No temp files are left behind.
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.key")]);
    }

    #[test]
    fn replace_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.crt");
        create_new(&path, b"one", CERT_MODE).unwrap();
        replace(&path, b"two", CERT_MODE).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
    }
}
