//! The `drafts` tree (draft id -> the draft's record, a type the `draft` stage owns) and the
//! meta keys `draft-file:<absolute path>` saying which draft a file holds and
//! `draft-written:<id>` marking a draft's pending file write done.

use std::path::Path;

use serde::{de::DeserializeOwned, Serialize};

use super::{to_json, Store, StoreError};

impl Store {
    /// Stores a draft's record under `id`; `file`, when given, now holds that draft.
    pub fn put_draft<T: Serialize>(
        &self,
        id: &str,
        file: Option<&Path>,
        record: &T,
    ) -> Result<(), StoreError> {
        self.drafts
            .insert(id.as_bytes(), to_json(record))
            .map_err(|e| self.io(e))?;
        // A mark belongs to the record it was made for, never to this one.
        self.meta
            .remove(done_key(id).as_bytes())
            .map_err(|e| self.io(e))?;
        if let Some(file) = file {
            self.meta
                .insert(file_key(file).as_bytes(), id.as_bytes())
                .map_err(|e| self.io(e))?;
        }
        Ok(())
    }

    pub fn draft<T: DeserializeOwned>(&self, id: &str) -> Result<Option<T>, StoreError> {
        match self.drafts.get(id.as_bytes()).map_err(|e| self.io(e))? {
            Some(v) => Ok(Some(self.decode("drafts", &v)?)),
            None => Ok(None),
        }
    }

    /// Marks the write of draft `id`'s file whose bytes hash to `hash` as done: a record
    /// stored with that write pending (`DraftRecord::pending`) is read as the pending one. A
    /// few bytes, where storing the record again would write all of its posts a second time.
    pub fn mark_draft_written(&self, id: &str, hash: &str) -> Result<(), StoreError> {
        self.meta
            .insert(done_key(id).as_bytes(), hash.as_bytes())
            .map_err(|e| self.io(e))?;
        Ok(())
    }

    /// The hash `mark_draft_written` last marked for draft `id`, since its record was stored.
    pub fn draft_written(&self, id: &str) -> Result<Option<String>, StoreError> {
        self.meta_text(&done_key(id))
    }

    /// The id of the draft last written to `file`.
    pub fn draft_id_for_file(&self, file: &Path) -> Result<Option<String>, StoreError> {
        self.meta_text(&file_key(file))
    }

    /// The text stored under the meta key `key`.
    fn meta_text(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .meta
            .get(key.as_bytes())
            .map_err(|e| self.io(e))?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// Every draft record, in id order.
    pub fn drafts<T: DeserializeOwned>(&self) -> Result<Vec<T>, StoreError> {
        self.drafts
            .iter()
            .map(|r| {
                let (_, v) = r.map_err(|e| self.io(e))?;
                self.decode("drafts", &v)
            })
            .collect()
    }
}

/// The meta key of the file write marked done for a draft.
fn done_key(id: &str) -> String {
    format!("draft-written:{id}")
}

/// The meta key of the draft a file holds.
fn file_key(file: &Path) -> String {
    format!("draft-file:{}", file.display())
}
