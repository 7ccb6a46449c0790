//! `roundup skip` and `unskip`: an item named the way an editor sees it (a key, a unique key
//! prefix, its link in any form, or the short link a draft printed) changes state. A published
//! item is not taken out of its roundup without `--force`.

use crate::config::Config;
use crate::draft::record::DraftRecord;
use crate::extract::link::comparable;
use crate::item::{Item, ItemState};
use crate::store::Store;

use super::{short_link_target, PublishError};

/// Keys shown when a prefix matches several items.
const AMBIGUOUS_SHOWN: usize = 5;

/// Sets the state of the items `names` name. Every name is resolved and checked before
/// anything changes; an unknown or ambiguous one is an error naming it.
pub fn set_state(
    cfg: &Config,
    store: &Store,
    names: &[String],
    state: ItemState,
    force: bool,
) -> Result<Vec<Item>, PublishError> {
    let mut items: Vec<Item> = Vec::new();
    for name in names {
        let item = resolve(cfg, store, name.trim())?;
        if item.state == ItemState::Published && state != ItemState::Published && !force {
            let r = item.roundup.as_ref();
            return Err(PublishError::Published {
                name: name.clone(),
                title: item.title.clone(),
                roundup: r
                    .map(|r| format!("\"{}\" of {}", r.title, r.date.format("%Y-%m-%d")))
                    .unwrap_or_else(|| "a roundup".into()),
                verb: if state == ItemState::Skipped {
                    "skip"
                } else {
                    "unskip"
                },
            });
        }
        if !items.iter().any(|i| i.key == item.key) {
            items.push(item);
        }
    }
    let now = chrono::Utc::now();
    for item in &mut items {
        item.state = state;
        item.roundup = None;
        // Put back by an editor: in the next draft whatever its date.
        item.returned = (state == ItemState::Unseen).then_some(now);
    }
    store.put_items(&items)?;
    store.flush()?;
    Ok(items)
}

/// The item `name` names: a key, a link in any comparable form, a short link (builtin, or
/// one a draft printed), or a unique key prefix.
fn resolve(cfg: &Config, store: &Store, name: &str) -> Result<Item, PublishError> {
    let unknown = || PublishError::UnknownItem(name.to_owned());
    if name.is_empty() {
        return Err(unknown());
    }
    if let Some(item) = store.find_item(name)? {
        return Ok(item);
    }
    if let Some(c) = comparable(name) {
        if let Some(target) = short_link_target(cfg, store, name)? {
            if let Some(item) = store.find_item(&target)? {
                return Ok(item);
            }
        }
        // A short link of another shortener, as a draft printed it.
        for rec in store.drafts::<DraftRecord>()?.iter().rev() {
            if let Some(d) = rec
                .items
                .iter()
                .find(|d| comparable(&d.shown).as_ref() == Some(&c))
            {
                if let Some(item) = store.item(&d.key)? {
                    return Ok(item);
                }
            }
        }
        return Err(unknown());
    }
    let keys = store.keys_with_prefix(name, AMBIGUOUS_SHOWN + 1)?;
    match keys.as_slice() {
        [] => Err(unknown()),
        [key] => store.item(key)?.ok_or_else(unknown),
        many => Err(PublishError::Ambiguous {
            name: name.to_owned(),
            keys: many
                .iter()
                .take(AMBIGUOUS_SHOWN)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
                + if many.len() > AMBIGUOUS_SHOWN {
                    ", ..."
                } else {
                    ""
                },
        }),
    }
}
