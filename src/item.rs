//! The record the store keeps for every post: what an editor sees, and where it went.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where an item stands in the editorial workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ItemState {
    /// Stored, not yet in a published roundup.
    #[default]
    Unseen,
    /// Went out in a roundup (see `Item::roundup`).
    Published,
    /// Left out of a roundup by an editor, or by `roundup skip`.
    Skipped,
}

impl ItemState {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemState::Unseen => "unseen",
            ItemState::Published => "published",
            ItemState::Skipped => "skipped",
        }
    }
}

/// The roundup an item was published in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundupRef {
    pub title: String,
    /// The front matter's date: the day the post went out, as the editor wrote it.
    pub date: DateTime<Utc>,
    /// The file's name.
    pub file: String,
    /// The id of the draft it was published from (none for a file roundup did not write).
    #[serde(default)]
    pub draft: Option<String>,
}

/// One post, extracted and cleaned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Our own stable key (hex), never the parser's random fallback id.
    pub key: String,
    /// The `name` of the source it first came from.
    pub source: String,
    /// The post's canonical http(s) URL.
    pub link: String,
    pub title: String,
    pub author: String,
    /// Plain text, no markup, at most about 140 words.
    pub summary: String,
    /// Published, else updated, else first seen; never in the future.
    pub published: DateTime<Utc>,
    pub first_seen: DateTime<Utc>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub state: ItemState,
    #[serde(default)]
    pub roundup: Option<RoundupRef>,
    /// When an editor put it back (`roundup unskip`): it is in every draft, whatever its date,
    /// until it is published or skipped again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returned: Option<DateTime<Utc>>,
}

impl Item {
    /// An unseen item first seen when it was published, with no author, summary or
    /// categories yet: set the rest with struct update syntax (`Item { author, ..Item::new(..) }`).
    pub fn new(
        key: impl Into<String>,
        source: impl Into<String>,
        link: impl Into<String>,
        title: impl Into<String>,
        published: DateTime<Utc>,
    ) -> Item {
        Item {
            key: key.into(),
            source: source.into(),
            link: link.into(),
            title: title.into(),
            author: String::new(),
            summary: String::new(),
            published,
            first_seen: published,
            categories: Vec::new(),
            state: ItemState::Unseen,
            roundup: None,
            returned: None,
        }
    }
}
