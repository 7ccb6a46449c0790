//! `live` copied into a fresh sled store once much has moved out of it to the archive. sled 0.34
//! writes over every free 512 KB segment of a store's file each time it opens it
//! (`initialize_from_snapshot` in its `segment.rs`) and reuses them only as later writes need
//! room: after a publish moved 20,000 posts on to the archive, every command wrote some 20 MB of
//! zeros on opening, until a poll filled them again. A copy, tree by tree, has none.
//!
//! The copy is made in `live.new`, flushed, and takes `live`'s place in one exchange of the two
//! folders (`renameat2` with `RENAME_EXCHANGE`): at every moment `live` is the old store or the
//! new one, whole. Whatever `live.new` holds afterwards (a copy a crash stopped, or the old store
//! after the exchange) is removed by the next open. Linux only; elsewhere `live` is kept as it is.

use std::path::Path;

use super::{archive::LIVE, open_sled, StoreError};

/// Where the copy is made.
const FRESH: &str = "live.new";

/// Removes what a compaction left behind. Called holding `live`'s lock, which a compaction
/// holds until its exchange: what is left is never a copy still being made.
pub(super) fn clear_leftover(path: &Path) {
    let fresh = path.join(FRESH);
    if fresh.exists() {
        if let Err(e) = std::fs::remove_dir_all(&fresh) {
            tracing::warn!(folder = %fresh.display(), "could not remove what a compaction left: {e}");
        }
    }
}

/// Copies `db`, the sled store in `<path>/live` (this process's only handle on it), into a fresh
/// one and puts that in its place. `db` stays open, not torn down, for a process about to end.
#[cfg(target_os = "linux")]
pub(super) fn compact_live(path: &Path, db: sled::Db) -> Result<(), StoreError> {
    let live = path.join(LIVE);
    let fresh_path = path.join(FRESH);
    let io = |cause| StoreError::Io {
        path: live.clone(),
        cause,
    };
    clear_leftover(path);
    {
        let fresh = open_sled(&fresh_path)?;
        for name in db.tree_names() {
            let from = db.open_tree(&name).map_err(io)?;
            let to = fresh.open_tree(&name).map_err(io)?;
            let mut batch = sled::Batch::default();
            for (n, entry) in from.iter().enumerate() {
                let (key, value) = entry.map_err(io)?;
                batch.insert(key, value);
                if n % 10_000 == 9_999 {
                    to.apply_batch(std::mem::take(&mut batch)).map_err(io)?;
                }
            }
            to.apply_batch(batch).map_err(io)?;
        }
        fresh.flush().map_err(io)?;
    }
    // Opened once more, so that its snapshot covers the copy (see `Store::settle`).
    drop(open_sled(&fresh_path)?);
    exchange(&live, &fresh_path).map_err(|e| io(sled::Error::Io(e)))?;
    crate::files::crash_point("live-exchanged");
    std::mem::forget(db);
    clear_leftover(path);
    Ok(())
}

#[cfg(not(target_os = "linux"))]
pub(super) fn compact_live(_path: &Path, db: sled::Db) -> Result<(), StoreError> {
    std::mem::forget(db);
    Ok(())
}

/// Swaps the folders `a` and `b` in one step, and makes the swap durable.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE)?;
    match a.parent() {
        Some(parent) => std::fs::File::open(parent)?.sync_all(),
        None => Ok(()),
    }
}
