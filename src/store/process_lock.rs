//! One gateway process per SQLite database.
//!
//! A gateway keeps state that only works if it is the database's sole server: the access-log
//! chain head its writer appends to, and the numeric transaction ids it continues. Two gateways
//! on one SQLite file would both append the same seq and issue the same ids, so the second one
//! refuses to start. PostgreSQL is the store for several instances.
//!
//! The guard is an OS advisory lock (`flock`) on a file beside the database, `<database>.lock`,
//! held for the life of the process: the kernel releases it when the process ends in any way,
//! kill -9 included, so a stale lock never blocks a restart. The file is left in place (deleting
//! it would let two processes lock two different files); it holds the pid of the last holder,
//! for the message. Short administrative commands (`users`, `regions`, `registry import`,
//! `purge`, `audit verify`) do not take it: they are ordinary SQLite writers that wait their turn
//! on the database's own locks.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::sqlite::SqliteConnectOptions;

use super::StoreError;

/// Held while this process serves a SQLite store; dropping it (or dying) releases the lock.
#[derive(Debug)]
pub struct StoreLock {
    _file: File,
    path: PathBuf,
}

impl StoreLock {
    /// Takes the lock of the SQLite database `url` names, or says which process holds it.
    /// `None` for PostgreSQL and in-memory databases, which need no such guard.
    pub fn acquire(url: &str) -> Result<Option<StoreLock>, StoreError> {
        let Some(database) = sqlite_file(url)? else {
            return Ok(None);
        };
        let path = lock_path(&database);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let lock_error = |source| StoreError::LockFile {
            path: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(lock_error)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(StoreError::InUse {
                    database,
                    holder: holder_pid(&mut file),
                })
            }
            Err(TryLockError::Error(source)) => return Err(lock_error(source)),
        }
        file.set_len(0).map_err(lock_error)?;
        file.rewind().map_err(lock_error)?;
        writeln!(file, "{}", std::process::id()).map_err(lock_error)?;
        Ok(Some(StoreLock { _file: file, path }))
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The database file of a `sqlite:` URL; `None` for other schemes and in-memory databases.
fn sqlite_file(url: &str) -> Result<Option<PathBuf>, StoreError> {
    if url.split(':').next() != Some("sqlite") {
        return Ok(None);
    }
    if url.contains(":memory:") || url.contains("mode=memory") {
        return Ok(None);
    }
    let options = SqliteConnectOptions::from_str(url).map_err(|source| StoreError::InvalidUrl {
        backend: "sqlite",
        source,
    })?;
    Ok(Some(options.get_filename().to_path_buf()))
}

/// `<database>.lock`, beside the database.
fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// The pid the holder wrote, if it can be read.
fn holder_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("db/tsgate.db").display());
        let first = StoreLock::acquire(&url)
            .expect("first lock")
            .expect("a file database is locked");
        assert_eq!(first.path(), dir.path().join("db/tsgate.db.lock"));
        match StoreLock::acquire(&url) {
            Err(StoreError::InUse { database, holder }) => {
                assert_eq!(database, dir.path().join("db/tsgate.db"));
                assert_eq!(holder, Some(std::process::id()));
            }
            other => panic!("second lock: {other:?}"),
        }
        drop(first);
        assert!(StoreLock::acquire(&url).expect("lock again").is_some());
    }

    #[test]
    fn postgres_and_in_memory_stores_need_no_lock() {
        for url in [
            "postgres://u@localhost/db",
            "sqlite::memory:",
            "sqlite://x.db?mode=memory",
        ] {
            assert!(StoreLock::acquire(url).expect(url).is_none(), "{url}");
        }
    }
}
