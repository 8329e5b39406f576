//! The state lock: at most one meshctl run works on a state directory at a time.
//!
//! The lock is the file `<state>/meshctl.lock`, a small JSON document naming its holder
//! ([`LockInfo`]: what is running, pid, host, start time). It is created exclusively and
//! complete (written to a temp file, fsynced, then hard-linked into place, which fails if the
//! name exists), so a reader never sees a half-written lock and two runs can never both own it.
//!
//! * [`acquire`] waits up to a timeout for a held lock, then refuses naming the holder
//!   ([`LockError::Held`]).
//! * A lock left by a process that is gone (same host, pid no longer running — or reused by
//!   another process, which Linux lets us tell by the process start time) is reported as stale
//!   at once ([`LockError::Stale`]); it is never broken automatically, because the state it
//!   guards may be half-written. Locks from other hosts cannot be checked and are never called
//!   stale.
//! * Only [`force_unlock`] removes someone else's lock (the CLI's `--force-unlock`).
//! * [`StateLock`] releases the lock on drop, and only if the file is still its own (after a
//!   `force_unlock` it may belong to another run).
//!
//! This is the local half of meshctl's concurrency control; a run against clusters from two
//! machines sharing no state directory is kept apart by the per-cluster Lease, elsewhere.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use ring::rand::{SecureRandom, SystemRandom};

use crate::error::CertError;
use crate::fsutil::{self, CERT_MODE};
use crate::store::CertStore;

/// File name of the lock in the state directory.
pub const LOCK_FILE: &str = "meshctl.lock";

/// How often a waiting [`acquire`] looks at the lock again.
const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// Who holds the lock; the content of the lock file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LockInfo {
    /// What holds it, e.g. `meshctl apply topology.yaml`.
    pub holder: String,
    /// Process id of the holder.
    pub pid: u32,
    /// Host name of the machine the holder runs on.
    pub host: String,
    /// When the lock was taken, RFC 3339 UTC.
    pub started: String,
    /// Linux: the holder's start time in clock ticks since boot (`/proc/<pid>/stat`, field 22),
    /// which tells a live holder from an unrelated process that got the same pid. Absent
    /// elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid_start: Option<u64>,
    /// Random token that lets the holder recognise its own lock when releasing it.
    pub token: String,
}

impl std::fmt::Display for LockInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "\"{}\" (pid {} on host {}, since {})",
            self.holder, self.pid, self.host, self.started
        )
    }
}

/// Why the lock could not be taken or released.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LockError {
    /// Another run holds the lock and did not release it within the timeout.
    #[error("the state directory is locked by {holder} (lock file {path}); waited {}s for it — try again when that run has finished, or raise the lock timeout", waited.as_secs())]
    Held {
        /// The lock file.
        path: PathBuf,
        /// Who holds it.
        holder: Box<LockInfo>,
        /// How long this run waited.
        waited: Duration,
    },

    /// The lock was left by a process on this host that is no longer running.
    #[error("the state directory is locked by {holder} (lock file {path}), but that process is no longer running: the lock is stale. The state it guards may be half-written; if no meshctl is running for this topology, break the lock with --force-unlock and run again")]
    Stale {
        /// The lock file.
        path: PathBuf,
        /// Who held it.
        holder: Box<LockInfo>,
    },

    /// A lock file exists but does not say who holds it.
    #[error("the state directory is locked (lock file {path}), but the lock file cannot be read ({reason}); if no meshctl is running for this topology, break the lock with --force-unlock")]
    Unreadable {
        /// The lock file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// A file operation failed.
    #[error(transparent)]
    Io(#[from] CertError),
}

/// A held state lock; released when dropped (or with [`StateLock::release`] to see errors).
#[derive(Debug)]
pub struct StateLock {
    path: PathBuf,
    info: LockInfo,
    released: bool,
}

impl StateLock {
    /// What this lock says about its holder.
    pub fn info(&self) -> &LockInfo {
        &self.info
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Releases the lock, reporting a failure to remove the file. A lock that is no longer ours
    /// (broken with [`force_unlock`] and taken by another run) is left alone.
    pub fn release(mut self) -> Result<(), LockError> {
        self.released = true;
        remove_if_ours(&self.path, &self.info.token)
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        if !self.released {
            // Nothing can be reported from a drop; `release` is the way to see errors.
            let _ = remove_if_ours(&self.path, &self.info.token);
        }
    }
}

/// `<state_dir>/meshctl.lock`
pub fn lock_path(state_dir: &Path) -> PathBuf {
    state_dir.join(LOCK_FILE)
}

/// Takes the lock of `state_dir` for `holder` (e.g. `meshctl apply topology.yaml`), creating
/// the directory (0700, with its `.gitignore`) if needed. If another run holds it, waits up to
/// `timeout` (zero: do not wait) and then fails with [`LockError::Held`] naming that run. A
/// stale lock fails at once with [`LockError::Stale`]; it is never broken here.
pub fn acquire(state_dir: &Path, holder: &str, timeout: Duration) -> Result<StateLock, LockError> {
    fsutil::ensure_dir(state_dir)?;
    CertStore::new(state_dir).ensure_gitignore()?;
    let path = lock_path(state_dir);
    let info = LockInfo {
        holder: holder.to_owned(),
        pid: std::process::id(),
        host: host_name(),
        started: now_rfc3339(),
        pid_start: process_start_ticks(std::process::id()),
        token: random_token()?,
    };
    let json = serde_json::to_string_pretty(&info).map_err(|e| LockError::Unreadable {
        path: path.clone(),
        reason: e.to_string(),
    })? + "\n";

    let started_waiting = Instant::now();
    loop {
        match fsutil::create_new(&path, json.as_bytes(), CERT_MODE) {
            Ok(()) => {
                return Ok(StateLock {
                    path,
                    info,
                    released: false,
                })
            }
            Err(CertError::Io { ref source, .. })
                if source.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e.into()),
        }
        let current = read_lock(&path)?;
        if let Ok(Some(holder)) = &current {
            if is_stale(holder) {
                return Err(LockError::Stale {
                    path,
                    holder: Box::new(holder.clone()),
                });
            }
        }
        let waited = started_waiting.elapsed();
        if waited >= timeout {
            return Err(match current {
                Ok(Some(holder)) => LockError::Held {
                    path,
                    holder: Box::new(holder),
                    waited,
                },
                Err(reason) => LockError::Unreadable { path, reason },
                // Released just now: try once more without waiting.
                Ok(None) => continue,
            });
        }
        std::thread::sleep(POLL_INTERVAL.min(timeout - waited));
    }
}

/// Who holds the lock of `state_dir`, if anyone. A lock file that cannot be parsed is
/// [`LockError::Unreadable`].
pub fn current_holder(state_dir: &Path) -> Result<Option<LockInfo>, LockError> {
    let path = lock_path(state_dir);
    read_lock(&path)?.map_err(|reason| LockError::Unreadable { path, reason })
}

/// Whether `info` names a process on this host that is no longer running. `false` when that
/// cannot be known (another host; no `/proc`).
pub fn is_stale(info: &LockInfo) -> bool {
    info.host == host_name() && process_is_gone(info.pid, info.pid_start)
}

/// Breaks the lock of `state_dir`, whoever holds it, and returns what it said (`None` if there
/// was no lock; the holder is `None` too if the file was unreadable). Only for an explicit user
/// request (`--force-unlock`).
pub fn force_unlock(state_dir: &Path) -> Result<Option<Result<LockInfo, String>>, LockError> {
    let path = lock_path(state_dir);
    let previous = read_lock(&path)?;
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(CertError::io("remove", &path, e).into()),
    }
    Ok(match previous {
        Ok(Some(info)) => Some(Ok(info)),
        Ok(None) => None,
        Err(reason) => Some(Err(reason)),
    })
}

/// `Ok(None)`: no lock file. `Ok(Some)`: a parsed lock. `Err(reason)`: present but unreadable.
fn read_lock(path: &Path) -> Result<Result<Option<LockInfo>, String>, CertError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Ok(None)),
        Err(e) => return Err(CertError::io("read", path, e)),
    };
    Ok(serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| format!("not a meshctl lock: {e}")))
}

fn remove_if_ours(path: &Path, token: &str) -> Result<(), LockError> {
    match read_lock(path)? {
        Ok(Some(info)) if info.token == token => match std::fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(CertError::io("remove", path, e).into()),
        },
        _ => Ok(()),
    }
}

fn random_token() -> Result<String, LockError> {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| LockError::Unreadable {
            path: PathBuf::new(),
            reason: "the system random number generator failed".to_owned(),
        })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::from(SystemTime::now());
    let now = now.replace_nanosecond(0).unwrap_or(now);
    crate::parse::rfc3339(now)
}

/// The machine's host name (Linux: the kernel's; else `/etc/hostname`, `$HOSTNAME`), or
/// `unknown`. Also names the holder of the executor's per-cluster Lease.
pub fn host_name() -> String {
    let from_file = |p: &str| {
        std::fs::read_to_string(p)
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    from_file("/proc/sys/kernel/hostname")
        .or_else(|| from_file("/etc/hostname"))
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Linux: field 22 of `/proc/<pid>/stat` (start time in clock ticks since boot).
fn process_start_ticks(pid: u32) -> Option<u64> {
    start_ticks_from_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

fn start_ticks_from_stat(stat: &str) -> Option<u64> {
    // The command name (field 2) is in parentheses and may contain spaces and parentheses;
    // fields are counted from the last ')'. Field 22 is the 20th after it.
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(19)?.parse().ok()
}

/// True only when we can tell the process is gone: no `/proc/<pid>`, or a process there that
/// started at another time than the recorded one (the pid was reused).
fn process_is_gone(pid: u32, recorded_start: Option<u64>) -> bool {
    if !Path::new("/proc/self/stat").exists() {
        return false; // No procfs: cannot tell.
    }
    match process_start_ticks(pid) {
        None => !Path::new(&format!("/proc/{pid}")).exists(),
        Some(actual) => recorded_start.is_some_and(|recorded| recorded != actual),
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    const HOLDER: &str = "meshctl apply topology.yaml";

    /// A pid that is not running: the highest pid Linux can hand out is below 2^22.
    const DEAD_PID: u32 = 4_194_304 + 12_345;

    fn write_lock(state: &Path, info: &LockInfo) {
        std::fs::write(lock_path(state), serde_json::to_string(info).unwrap()).unwrap();
    }

    fn other(pid: u32, host: &str) -> LockInfo {
        LockInfo {
            holder: "meshctl apply other.yaml".to_owned(),
            pid,
            host: host.to_owned(),
            started: "2026-11-25T10:00:00Z".to_owned(),
            pid_start: None,
            token: "theirs".to_owned(),
        }
    }

    #[test]
    fn lock_file_names_the_holder_and_is_removed_on_drop() {
        let state = tempfile::tempdir().unwrap();
        let dir = state.path().join("demo");
        let lock = acquire(&dir, HOLDER, Duration::ZERO).unwrap();
        let on_disk: LockInfo =
            serde_json::from_slice(&std::fs::read(lock_path(&dir)).unwrap()).unwrap();
        assert_eq!(&on_disk, lock.info());
        assert_eq!(on_disk.holder, HOLDER);
        assert_eq!(on_disk.pid, std::process::id());
        assert_eq!(on_disk.host, host_name());
        assert_eq!(on_disk.pid_start, process_start_ticks(std::process::id()));
        assert!(on_disk.pid_start.is_some());
        assert!(on_disk.started.ends_with('Z'), "{}", on_disk.started);
        assert_eq!(current_holder(&dir).unwrap().as_ref(), Some(&on_disk));
        assert!(dir.join(crate::GITIGNORE_FILE).exists());
        drop(lock);
        assert!(!lock_path(&dir).exists());
        assert_eq!(current_holder(&dir).unwrap(), None);
        // And it can be taken again.
        acquire(&dir, HOLDER, Duration::ZERO)
            .unwrap()
            .release()
            .unwrap();
    }

    #[test]
    fn second_run_waits_then_refuses_naming_the_holder() {
        let state = tempfile::tempdir().unwrap();
        let first = acquire(state.path(), "meshctl apply a.yaml", Duration::ZERO).unwrap();
        let started = Instant::now();
        let err = acquire(state.path(), HOLDER, Duration::from_millis(500)).unwrap_err();
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(500), "{waited:?}");
        assert!(waited < Duration::from_secs(3), "{waited:?}");
        let LockError::Held { holder, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!(**holder, *first.info());
        let message = err.to_string();
        for part in [
            "\"meshctl apply a.yaml\"".to_owned(),
            format!("pid {}", std::process::id()),
            format!("on host {}", host_name()),
            format!("since {}", first.info().started),
        ] {
            assert!(message.contains(&part), "{part} not in: {message}");
        }
        // The refused run did not disturb the holder's lock.
        assert_eq!(
            current_holder(state.path()).unwrap().as_ref(),
            Some(first.info())
        );
    }

    #[test]
    fn waiting_run_gets_the_lock_when_the_holder_releases_it() {
        let state = tempfile::tempdir().unwrap();
        let first = acquire(state.path(), "meshctl apply a.yaml", Duration::ZERO).unwrap();
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            first.release().unwrap();
        });
        let second = acquire(state.path(), HOLDER, Duration::from_secs(10)).unwrap();
        releaser.join().unwrap();
        assert_eq!(
            current_holder(state.path()).unwrap().unwrap().holder,
            HOLDER
        );
        drop(second);
    }

    #[test]
    fn only_one_of_many_concurrent_runs_gets_the_lock() {
        let state = tempfile::tempdir().unwrap();
        let dir = state.path().to_path_buf();
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let (dir, barrier) = (dir.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    acquire(&dir, &format!("run {i}"), Duration::ZERO)
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(winners.len(), 1);
        for result in &results {
            if let Err(e) = result {
                assert!(matches!(e, LockError::Held { .. }), "{e}");
            }
        }
    }

    #[test]
    fn dead_holder_on_this_host_is_stale_and_never_broken_automatically() {
        let state = tempfile::tempdir().unwrap();
        let dead = other(DEAD_PID, &host_name());
        write_lock(state.path(), &dead);
        assert!(is_stale(&dead));
        let started = Instant::now();
        let err = acquire(state.path(), HOLDER, Duration::from_secs(30)).unwrap_err();
        // Reported at once, not after the timeout.
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(
            matches!(&err, LockError::Stale { holder, .. } if **holder == dead),
            "{err}"
        );
        let message = err.to_string();
        assert!(message.contains("stale"), "{message}");
        assert!(message.contains("--force-unlock"), "{message}");
        assert!(message.contains(&format!("pid {DEAD_PID}")), "{message}");
        // Still there.
        assert_eq!(current_holder(state.path()).unwrap(), Some(dead.clone()));

        // The explicit break removes it and says what it was; then the lock can be taken.
        assert_eq!(force_unlock(state.path()).unwrap(), Some(Ok(dead)));
        assert_eq!(force_unlock(state.path()).unwrap(), None);
        acquire(state.path(), HOLDER, Duration::ZERO).unwrap();
    }

    #[test]
    fn reused_pid_is_stale_but_live_holder_and_other_hosts_are_not() {
        let own = process_start_ticks(std::process::id());
        let mut reused = other(std::process::id(), &host_name());
        reused.pid_start = own.map(|t| t + 1);
        assert!(is_stale(&reused), "a pid now running another process");
        let mut alive = other(std::process::id(), &host_name());
        alive.pid_start = own;
        assert!(!is_stale(&alive));
        alive.pid_start = None;
        assert!(!is_stale(&alive), "no start time recorded: assume alive");
        assert!(!is_stale(&other(DEAD_PID, "some-other-machine")));

        // Held by a live process: waits and refuses, does not call it stale.
        let state = tempfile::tempdir().unwrap();
        write_lock(state.path(), &other(1, "some-other-machine"));
        let err = acquire(state.path(), HOLDER, Duration::ZERO).unwrap_err();
        assert!(matches!(err, LockError::Held { .. }), "{err}");
    }

    #[test]
    fn unreadable_lock_blocks_until_forced() {
        let state = tempfile::tempdir().unwrap();
        std::fs::write(lock_path(state.path()), b"").unwrap();
        let err = acquire(state.path(), HOLDER, Duration::ZERO).unwrap_err();
        assert!(matches!(err, LockError::Unreadable { .. }), "{err}");
        assert!(err.to_string().contains("--force-unlock"), "{err}");
        assert!(matches!(force_unlock(state.path()).unwrap(), Some(Err(_))));
        acquire(state.path(), HOLDER, Duration::ZERO).unwrap();
    }

    #[test]
    fn release_leaves_a_lock_that_is_no_longer_ours() {
        let state = tempfile::tempdir().unwrap();
        let first = acquire(state.path(), "meshctl apply a.yaml", Duration::ZERO).unwrap();
        force_unlock(state.path()).unwrap();
        let second = acquire(state.path(), HOLDER, Duration::ZERO).unwrap();
        first.release().unwrap();
        assert_eq!(
            current_holder(state.path()).unwrap().as_ref(),
            Some(second.info())
        );
    }

    #[test]
    fn proc_stat_parsing_handles_spaces_in_the_command_name() {
        let stat = "4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 \
                    987654 1000000 100 18446744073709551615";
        assert_eq!(start_ticks_from_stat(stat), Some(987_654));
        assert_eq!(start_ticks_from_stat("4242 (cmd) S 1"), None);
        assert!(process_start_ticks(std::process::id()).is_some());
        assert_eq!(process_start_ticks(DEAD_PID), None);
    }
}
