//! The one way roundup replaces a file: drafts, the config `import` rewrites, the daemon's
//! control file. A reader (or a crash) sees the old file or the new one, never half of one.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Who may read a file written anew (one that existed keeps its permissions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Readable by everyone, like a file an editor saves (0644).
    Shared,
    /// Readable by its owner only (0600): it holds a secret.
    Private,
}

/// Writes `bytes` to a temporary file beside `path` (creating the folder), syncs it, then
/// renames it over `path` and syncs the folder. On an error the temporary file is removed.
pub fn write_atomically(path: &Path, bytes: &[u8], access: Access) -> std::io::Result<()> {
    prepare(path, bytes, access)?.put()
}

/// A file written and synced beside its place, not yet in it: `put` puts it there, and
/// dropping it instead removes it.
#[derive(Debug)]
pub struct Prepared {
    tmp: tempfile::NamedTempFile,
    path: PathBuf,
    dir: PathBuf,
}

/// `write_atomically`'s first step: `bytes` in a temporary file beside `path` (the folder
/// created), synced; `path` itself untouched.
pub fn prepare(path: &Path, bytes: &[u8], access: Access) -> std::io::Result<Prepared> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(match (std::fs::metadata(path), access) {
            (_, Access::Private) => std::fs::Permissions::from_mode(0o600),
            (Ok(meta), Access::Shared) => meta.permissions(),
            (Err(_), Access::Shared) => std::fs::Permissions::from_mode(0o644),
        });
    }
    let mut tmp = builder.tempfile_in(&dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    Ok(Prepared {
        tmp,
        path: path.to_owned(),
        dir,
    })
}

impl Prepared {
    /// Renames the file over its place, then syncs the folder so that the rename lasts.
    pub fn put(self) -> std::io::Result<()> {
        self.tmp.persist(&self.path).map_err(|e| e.error)?;
        // Not every platform can open a folder.
        if let Ok(d) = std::fs::File::open(&self.dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

/// For the crash tests (`tests/crash.rs`): a process whose `ROUNDUP_CRASH_POINT` names `point`
/// stops dead there, with no cleanup, as `kill -9` would stop it. Unset, it does nothing.
pub fn crash_point(point: &str) {
    if std::env::var_os("ROUNDUP_CRASH_POINT").is_some_and(|p| p == point) {
        std::process::abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_whole_file_and_leaves_no_temporary_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("draft.md");
        write_atomically(&path, b"one", Access::Shared).unwrap();
        write_atomically(&path, b"two", Access::Shared).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("draft.md")]);
    }

    #[cfg(unix)]
    #[test]
    fn a_new_file_is_readable_by_all_unless_private_and_an_old_one_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let shared = dir.path().join("a");
        write_atomically(&shared, b"x", Access::Shared).unwrap();
        assert_eq!(mode(&shared), 0o644);
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&shared, b"y", Access::Shared).unwrap();
        assert_eq!(mode(&shared), 0o640);
        let private = dir.path().join("b");
        write_atomically(&private, b"secret", Access::Private).unwrap();
        assert_eq!(mode(&private), 0o600);
    }

    #[test]
    fn a_folder_that_cannot_be_made_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "x").unwrap();
        assert!(write_atomically(&blocker.join("draft.md"), b"x", Access::Shared).is_err());
    }
}
