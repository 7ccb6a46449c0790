//! The `meta` tree: single records under fixed names. Each record's type belongs to the stage
//! that writes it; the names belong here, the only code that knows keys.

use serde::{de::DeserializeOwned, Serialize};

use super::{to_json, Store, StoreError};

/// The records kept under fixed names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meta {
    /// What the last poll did (`poll::PollSummary`): for `/healthz` and `sources`.
    LastPoll,
    /// When the last published roundup's posts were selected (`draft::LastPublished`): where
    /// the next draft's window starts.
    LastPublished,
    /// The last roundup as stores kept it before draft records (`item::RoundupRef`): read
    /// when `LastPublished` is missing.
    LastRoundup,
    /// Set once `health::check` has worked out each source's newest post from the items (for
    /// stores made before the source states kept it): a source with no posts at all must not
    /// send every later check through every item again.
    NewestPostsFound,
}

impl Meta {
    pub(super) fn key(self) -> &'static str {
        match self {
            Meta::LastPoll => "last_poll",
            Meta::LastPublished => "last_published",
            Meta::LastRoundup => "last_roundup",
            Meta::NewestPostsFound => "newest_posts_found",
        }
    }
}

impl Store {
    pub fn meta<T: DeserializeOwned>(&self, which: Meta) -> Result<Option<T>, StoreError> {
        self.meta_at(which.key())
    }

    pub fn put_meta<T: Serialize>(&self, which: Meta, value: &T) -> Result<(), StoreError> {
        self.put_meta_at(which.key(), value)
    }

    pub(super) fn meta_at<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        match self.meta.get(key.as_bytes()).map_err(|e| self.io(e))? {
            Some(v) => Ok(Some(self.decode("meta", &v)?)),
            None => Ok(None),
        }
    }

    pub(super) fn put_meta_at<T: Serialize>(&self, key: &str, value: &T) -> Result<(), StoreError> {
        self.meta
            .insert(key.as_bytes(), to_json(value))
            .map(|_| ())
            .map_err(|e| self.io(e))
    }
}
