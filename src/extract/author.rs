//! Author strings as feeds give them -> the display name an editor would write.

use std::collections::BTreeMap;

use crate::text::clean_inline;

/// Names that are accounts, not people: crediting them would read wrong in a roundup.
const NOT_A_NAME: &[&str] = &[
    "admin",
    "administrator",
    "unknown",
    "anonymous",
    "root",
    "webmaster",
];

/// One raw author string -> a person's name, or `None` when it holds no name (a bare e-mail).
/// `noreply@blogger.com (Tim Bell)`, `(John Doe)`, `jdoe@x.com (John Doe)` give the name in
/// parentheses; a job title after a comma is dropped; the alias map turns logins into names.
pub fn clean_name(raw: &str, aliases: &BTreeMap<String, String>) -> Option<String> {
    let mut name = clean_inline(raw);
    if let Some(open) = name.rfind('(') {
        if name.ends_with(')') {
            let inner = name[open + 1..name.len() - 1].trim().to_owned();
            let outer = name[..open].trim().to_owned();
            name = if outer.is_empty() || is_email(&outer) || inner.is_empty() {
                if inner.is_empty() {
                    outer
                } else {
                    inner
                }
            } else {
                outer
            };
        }
    }
    let name = name
        .strip_prefix("By ")
        .or_else(|| name.strip_prefix("by "))
        .unwrap_or(&name);
    let inverted = inverted_citation(name);
    // "Rob Young, Principal Product Manager": what follows the comma is a job title.
    let name = match &inverted {
        Some(n) => n.as_str(),
        None => name.split(',').next().unwrap_or("").trim(),
    };
    let name = name.trim_matches(|c: char| c == '"' || c == '\'' || c.is_whitespace());
    if name.is_empty() || is_email(name) || NOT_A_NAME.contains(&name.to_lowercase().as_str()) {
        return None;
    }
    if let Some(display) = alias(name, aliases) {
        return Some(display);
    }
    Some(fix_shouting(name))
}

/// Several names as one credit: "A", "A and B", "A, B and C". Duplicates are dropped.
pub fn join_names(names: &[String]) -> String {
    let mut unique: Vec<&str> = Vec::new();
    for n in names {
        if !unique.iter().any(|u| u.eq_ignore_ascii_case(n)) {
            unique.push(n);
        }
    }
    match unique.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {}", init.join(", "), last),
    }
}

/// Citation style "Hines, P. J." (journals' dc:creator) -> "P. J. Hines"; a list of them
/// ("Kaur, M., Shukla, A., …") -> "M. Kaur et al.", as a citation would shorten it.
fn inverted_citation(name: &str) -> Option<String> {
    let parts: Vec<&str> = name.split(',').map(str::trim).collect();
    let is_initials = |p: &str| {
        !p.is_empty() && p.split_whitespace().all(|w| {
            let mut c = w.chars();
            matches!((c.next(), c.next(), c.next()), (Some(a), Some('.'), None) if a.is_uppercase())
        })
    };
    match parts.as_slice() {
        [surname, initials] if is_initials(initials) => Some(format!("{initials} {surname}")),
        [surname, initials, rest @ ..] if is_initials(initials) && !rest.is_empty() => {
            Some(format!("{initials} {surname} et al."))
        }
        _ => None,
    }
}

fn alias(name: &str, aliases: &BTreeMap<String, String>) -> Option<String> {
    aliases
        .iter()
        .find(|(login, _)| login.eq_ignore_ascii_case(name))
        .map(|(_, display)| display.clone())
}

fn is_email(s: &str) -> bool {
    let s = s.trim_start_matches("mailto:");
    match s.split_once('@') {
        Some((user, host)) => {
            !user.is_empty() && host.contains('.') && !s.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// "DAVID PORTER" -> "David Porter": a name in capitals is a CMS habit, not the person's spelling.
fn fix_shouting(name: &str) -> String {
    let letters: Vec<char> = name.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.len() < 4 || letters.iter().any(|c| c.is_lowercase()) {
        return name.to_owned();
    }
    name.split(' ')
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(first) => first
                    .to_uppercase()
                    .chain(chars.flat_map(char::to_lowercase))
                    .collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<String>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(raw: &str) -> Option<String> {
        clean_name(raw, &BTreeMap::new())
    }

    #[test]
    fn blogger_noreply_gives_name_in_parentheses() {
        assert_eq!(
            clean("noreply@blogger.com (Tim Bell)").as_deref(),
            Some("Tim Bell")
        );
    }

    #[test]
    fn parenthesised_name_alone() {
        assert_eq!(clean("(John Doe)").as_deref(), Some("John Doe"));
    }

    #[test]
    fn email_then_name() {
        assert_eq!(clean("jdoe@x.com (John Doe)").as_deref(), Some("John Doe"));
    }

    #[test]
    fn bare_email_is_not_a_name() {
        assert_eq!(clean("jdoe@example.com"), None);
        assert_eq!(clean("noreply@blogger.com"), None);
    }

    #[test]
    fn job_title_after_comma_is_dropped() {
        assert_eq!(
            clean("Rob Young, Principal Product Manager").as_deref(),
            Some("Rob Young")
        );
    }

    #[test]
    fn citation_style_names_are_turned_round() {
        assert_eq!(clean("Hines, P. J.").as_deref(), Some("P. J. Hines"));
        assert_eq!(
            clean(" Kaur, M., Shukla, A., Kanwar, S. ").as_deref(),
            Some("M. Kaur et al.")
        );
    }

    #[test]
    fn whitespace_and_entities_cleaned() {
        assert_eq!(
            clean("\n   Dr.&nbsp;Drang \n").as_deref(),
            Some("Dr. Drang")
        );
    }

    #[test]
    fn alias_applies_case_insensitively() {
        let mut aliases = BTreeMap::new();
        aliases.insert("dmsimard".to_owned(), "David Moreau Simard".to_owned());
        assert_eq!(
            clean_name("DMSimard", &aliases).as_deref(),
            Some("David Moreau Simard")
        );
        assert_eq!(
            clean_name("dmsimard@redhat.com (dmsimard)", &aliases).as_deref(),
            Some("David Moreau Simard")
        );
    }

    #[test]
    fn account_names_are_not_names() {
        assert_eq!(clean("admin"), None);
    }

    #[test]
    fn shouted_names_are_title_cased() {
        assert_eq!(clean("DAVID PORTER").as_deref(), Some("David Porter"));
        assert_eq!(clean("AK").as_deref(), Some("AK"));
    }

    #[test]
    fn joins_several_names() {
        let n = |v: &[&str]| join_names(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(n(&["A"]), "A");
        assert_eq!(n(&["A", "B"]), "A and B");
        assert_eq!(n(&["A", "B", "C"]), "A, B and C");
        assert_eq!(n(&["A", "a", "B"]), "A and B");
    }
}
