//! `roundup skip` and `unskip`: an item named the way an editor sees it (a key, a unique key
//! prefix, its link in any form, or the short link a draft printed) changes state. A published
//! item is not taken out of its roundup without `--force`.

use crate::config::{Config, ShortenerKind};
use crate::draft::read::unescape;
use crate::draft::record;
use crate::extract::link::comparable;
use crate::item::{Item, ItemState};
use crate::store::{Store, StoreError};

use super::PublishError;

/// Keys shown when a prefix matches several items.
const AMBIGUOUS_SHOWN: usize = 5;

/// An item `skip` or `unskip` named, with the state it was in.
#[derive(Debug, Clone, PartialEq)]
pub struct Marked {
    pub item: Item,
    pub was: ItemState,
}

/// Sets the state of the items `names` name. Every name is resolved and checked before
/// anything changes; an unknown or ambiguous one is an error naming it.
pub fn set_state(
    cfg: &Config,
    store: &Store,
    names: &[String],
    state: ItemState,
    force: bool,
) -> Result<Vec<Marked>, PublishError> {
    let mut marked: Vec<Marked> = Vec::new();
    for name in names {
        let name = unescape(name.trim());
        let item = resolve(cfg, store, &name)?;
        if item.state == ItemState::Published && state != ItemState::Published && !force {
            let r = item.roundup.as_ref();
            return Err(PublishError::Published {
                name,
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
        if !marked.iter().any(|m| m.item.key == item.key) {
            marked.push(Marked {
                was: item.state,
                item,
            });
        }
    }
    let now = chrono::Utc::now();
    let mut changed = Vec::new();
    for m in &mut marked {
        if m.was == state {
            continue;
        }
        m.item.state = state;
        m.item.roundup = None;
        // Put back by an editor: in the next draft whatever its date.
        m.item.returned = (state == ItemState::Unseen).then_some(now);
        changed.push(m.item.clone());
    }
    store.put_items(&changed)?;
    store.flush()?;
    Ok(marked)
}

/// The item a link names: stored under it, a builtin short link to it, or a short link of
/// another shortener as a draft printed it (`c` is the link's comparable form).
fn by_link(cfg: &Config, store: &Store, link: &str, c: &str) -> Result<Option<Item>, StoreError> {
    if let Some(item) = store.find_item(link)? {
        return Ok(Some(item));
    }
    if let Some(target) = crate::shorten::builtin_target(&cfg.shortener, store, link)? {
        if let Some(item) = store.find_item(&target)? {
            return Ok(Some(item));
        }
    }
    for rec in record::load_all(store)?.iter().rev() {
        let shown = rec
            .items
            .iter()
            .find(|d| comparable(&d.printed_link).as_deref() == Some(c));
        if let Some(d) = shown {
            if let Some(item) = store.item(&d.key)? {
                return Ok(Some(item));
            }
        }
    }
    Ok(None)
}

/// The item `name` names: a key, a link in any comparable form, a short link (builtin, or
/// one a draft printed), or a unique key prefix.
fn resolve(cfg: &Config, store: &Store, name: &str) -> Result<Item, PublishError> {
    let unknown = || PublishError::UnknownItem(name.to_owned());
    if name.trim().is_empty() {
        return Err(PublishError::EmptyName);
    }
    if let Some(item) = store.find_item(name)? {
        return Ok(item);
    }
    // A link without its scheme, as some terminals and chat tools show it.
    let with_scheme = format!("http://{name}");
    let link = if !name.contains("://") && name.contains('/') && comparable(&with_scheme).is_some()
    {
        with_scheme.as_str()
    } else {
        name
    };
    if let Some(c) = comparable(link).filter(|_| link.contains("://")) {
        return by_link(cfg, store, link, &c)?.ok_or_else(unknown);
    }
    // A builtin short code alone (`6e`), unless it is also the start of keys.
    let by_code = match cfg.shortener.kind {
        ShortenerKind::Builtin => match store.target_of(name)? {
            Some(target) => store.find_item(&target)?,
            None => None,
        },
        _ => None,
    };
    let keys = store.keys_with_prefix(name, AMBIGUOUS_SHOWN + 1)?;
    if let Some(item) = by_code {
        if keys.iter().all(|k| *k == item.key) {
            return Ok(item);
        }
        return Err(PublishError::Ambiguous {
            name: name.to_owned(),
            keys: format!(
                "short link {name}: {}, and keys {}",
                item.key,
                keys.join(", ")
            ),
        });
    }
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
