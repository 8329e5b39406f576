//! Crash-safe file creation: write a temp file in the same directory with the final mode, fsync
//! it, then move it into place — with `link` when the target must not already exist (so a file
//! is never overwritten, even by a concurrent run), with `rename` when replacing is the point —
//! and fsync the directory so the new name is durable. A crash at any point leaves the old file
//! or the new one, complete, never a mix; at worst a `.<name>.<pid>.<n>.tmp` file is left over
//! (same mode as the target), which later writes step around.

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

/// Creates the state directory (0700 on unix, parents too) if it is missing, and fsyncs the
/// parent of each directory it creates, so files written into it next survive a crash.
pub(crate) fn ensure_dir(dir: &Path) -> Result<(), CertError> {
    if dir.is_dir() {
        return Ok(());
    }
    // The missing ancestors, outermost first.
    let mut missing: Vec<&Path> = dir
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && !d.is_dir())
        .collect();
    missing.reverse();
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| CertError::io("create directory", dir, e))?;
    for created in missing {
        sync_parent(created)?;
    }
    Ok(())
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

/// Moves `from` to `to` atomically (replacing it) and syncs the directory.
pub(crate) fn rename(from: &Path, to: &Path) -> Result<(), CertError> {
    fs::rename(from, to).map_err(|e| CertError::io("rename", from, e))?;
    sync_parent(to)
}

/// Removes `path` and syncs the directory.
pub(crate) fn remove(path: &Path) -> Result<(), CertError> {
    fs::remove_file(path).map_err(|e| CertError::io("remove", path, e))?;
    sync_parent(path)
}

/// How many temp names `write_temp` tries before giving up.
const TEMP_NAME_ATTEMPTS: usize = 64;

fn write_temp(path: &Path, contents: &[u8], mode: u32) -> Result<PathBuf, CertError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = parent(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let names = std::iter::repeat_with(|| {
        dir.join(format!(
            ".{name}.{}.{}.tmp",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ))
    });
    write_temp_named(names.take(TEMP_NAME_ATTEMPTS), contents, mode)
}

/// Writes `contents` to the first of `names` that does not exist yet. A name can be taken by a
/// temp file a crashed run left behind with the same pid (pids are reused, e.g. in containers);
/// that file is not ours to remove, so the next name is tried.
fn write_temp_named(
    names: impl Iterator<Item = PathBuf>,
    contents: &[u8],
    mode: u32,
) -> Result<PathBuf, CertError> {
    let mut last = None;
    for temp in names {
        match write_temp_at(&temp, contents, mode) {
            Err(CertError::Io { ref source, .. }) if source.kind() == ErrorKind::AlreadyExists => {
                last = Some(temp);
            }
            result => return result.map(|()| temp),
        }
    }
    let path = last.unwrap_or_default();
    Err(CertError::io(
        "create temporary file",
        path,
        std::io::Error::from(ErrorKind::AlreadyExists),
    ))
}

fn write_temp_at(temp: &Path, contents: &[u8], mode: u32) -> Result<(), CertError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options
        .open(temp)
        .map_err(|e| CertError::io("create", temp, e))?;
    let result = (|| {
        // The umask may have removed bits but never adds any; set the mode exactly.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(fs::Permissions::from_mode(mode))?;
        }
        file.write_all(contents)?;
        file.sync_all()
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(temp);
        return Err(CertError::io("write", temp, e));
    }
    Ok(())
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

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn replace_swaps_whole_files_so_readers_see_old_or_new() {
        use std::io::Read;
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("issuer.key");
        create_new(&path, b"old key", KEY_MODE).unwrap();
        let old_inode = fs::metadata(&path).unwrap().ino();
        // A reader that opened the file before the replacement keeps reading the old file whole.
        let mut reader = fs::File::open(&path).unwrap();
        replace(&path, b"new key, longer than the old one", KEY_MODE).unwrap();
        let mut seen = String::new();
        reader.read_to_string(&mut seen).unwrap();
        assert_eq!(seen, "old key");
        assert_eq!(
            fs::read(&path).unwrap(),
            b"new key, longer than the old one"
        );
        // A new file took the name (rename), the old one was not rewritten in place.
        assert_ne!(fs::metadata(&path).unwrap().ino(), old_inode);
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(names_in(dir.path()), ["issuer.key"]);
    }

    #[test]
    fn a_crash_before_the_rename_leaves_the_old_file_and_later_writes_step_around_its_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("issuer.key");
        create_new(&path, b"old", KEY_MODE).unwrap();
        // What a crash between writing the temp file and renaming it leaves behind, under the
        // names this process is about to use (as a run that had our pid before a reboot would).
        let first = dir.path().join(".issuer.key.1.0.tmp");
        let second = dir.path().join(".issuer.key.1.1.tmp");
        fs::write(&first, b"half-written by a crashed run").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"old");

        let temp = write_temp_named(
            [first.clone(), second.clone()].into_iter(),
            b"new",
            KEY_MODE,
        )
        .unwrap();
        assert_eq!(temp, second);
        assert_eq!(fs::read(&second).unwrap(), b"new");
        // The crashed run's file is not ours: left as it was.
        assert_eq!(fs::read(&first).unwrap(), b"half-written by a crashed run");

        // Every name taken: a clear error naming the last one tried, not an overwrite.
        let err = write_temp_named([first.clone(), second.clone()].into_iter(), b"x", KEY_MODE)
            .unwrap_err();
        assert!(
            matches!(&err, CertError::Io { path, source, .. }
                if *path == second && source.kind() == ErrorKind::AlreadyExists),
            "{err}"
        );

        // The public operations still work with leftovers around.
        replace(&path, b"newer", KEY_MODE).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"newer");
    }

    #[test]
    fn failed_replace_leaves_the_target_and_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        // A directory where the file should go: rename onto it fails.
        let path = dir.path().join("trust-anchor.crt");
        fs::create_dir(&path).unwrap();
        fs::write(path.join("keep"), b"x").unwrap();
        let err = replace(&path, b"cert", CERT_MODE).unwrap_err();
        assert!(
            matches!(
                err,
                CertError::Io {
                    action: "replace",
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(names_in(dir.path()), ["trust-anchor.crt"]);
        assert_eq!(names_in(&path), ["keep"]);
    }

    #[test]
    fn ensure_dir_creates_every_missing_level_private() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join(".meshctl").join("demo").join("webhooks");
        ensure_dir(&dir).unwrap();
        for level in [
            root.path().join(".meshctl"),
            root.path().join(".meshctl").join("demo"),
            dir.clone(),
        ] {
            let mode = fs::metadata(&level).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{}", level.display());
        }
        // Existing directories are left as they are.
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o750)).unwrap();
        ensure_dir(&dir).unwrap();
        assert_eq!(
            fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o750
        );
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
