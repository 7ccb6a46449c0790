//! Reading an edited draft the way its editor means it: what is visible (HTML comments are
//! not), which links it holds (compared in `comparable` form), and which lines are a post's
//! title line. `publish` and a redraft of an edited file both read drafts through this.

use std::collections::HashMap;

use crate::extract::link::comparable;

/// `text` without its HTML comments (an unclosed one hides the rest, as it would on the site).
pub fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<!--") {
        out.push_str(&rest[..start]);
        match rest[start + 4..].find("-->") {
            Some(end) => rest = &rest[start + 4 + end + 3..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

/// Text reduced to what an edit of markup leaves alone: lowercase letters and digits, single
/// spaces (`**Fixing \*all\* bugs** by X` -> `fixing all bugs by x`).
pub fn norm(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
    }
    let len = out.trim_end().len();
    out.truncate(len);
    out
}

/// Whether `line` is the title line of the post titled `title`: the title alone, or followed
/// by " by <author>", whatever markup surrounds it.
pub fn is_title_line(line: &str, title: &str) -> bool {
    let (line, title) = (norm(line), norm(title));
    if title.is_empty() || line.len() < title.len() {
        return false;
    }
    line == title
        || line
            .strip_prefix(&title)
            .is_some_and(|r| r.starts_with(" by "))
}

/// A link found in a draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundLink {
    pub url: String,
    /// The text of a markdown link `[text](url)`; none for a bare URL.
    pub text: Option<String>,
    /// Which line (0-based) of the text it is on.
    pub line: usize,
    /// On a quoted line (`> `): a post's summary, not a link the editor placed.
    pub quoted: bool,
}

/// Every http(s) URL in `text`, bare or as a markdown link target.
pub fn links(text: &str) -> Vec<FoundLink> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let quoted = line.trim_start().starts_with('>');
        let mut from = 0;
        while let Some(at) = find_scheme(&line[from..]) {
            let start = from + at;
            let len = line[start..]
                .find(url_end(&line[..start]))
                .unwrap_or(line.len() - start);
            // A bare URL in prose or in a bold title ends before the sentence's punctuation and
            // the emphasis around it (`**see https://x.example**`).
            let bare = !line[..start].ends_with("](") && !line[..start].ends_with('[');
            let trailing: &[char] = if bare {
                &['.', ',', ';', ':', '!', '?', '*', '_']
            } else {
                &['.', ',', ';', ':', '!', '?']
            };
            let url = unescape(line[start..start + len].trim_end_matches(trailing));
            from = start + len.max(1);
            if url.len() <= "https://".len() {
                continue;
            }
            let text = line[..start]
                .strip_suffix("](")
                .and_then(|before| before.rfind('[').map(|open| &before[open + 1..]))
                .map(str::to_owned);
            out.push(FoundLink {
                url,
                text,
                line: n,
                quoted,
            });
        }
    }
    out
}

/// Where a URL that follows `before` ends. A link target (`](` before it) is written with its
/// parentheses encoded, so it runs to the `)` that closes it; a link's text (`[` before it) is
/// escaped, so it runs to the first `]` with no backslash; a bare URL in prose stops at the
/// brackets and quotes around it.
fn url_end(before: &str) -> impl FnMut(char) -> bool {
    let target = before.ends_with("](");
    let text = !target && before.ends_with('[');
    let mut escaped = false;
    move |c: char| {
        let end = if c.is_whitespace() {
            true
        } else if target {
            c == ')'
        } else if text {
            c == ']' && !escaped
        } else {
            "<>\"')]`".contains(c)
        };
        escaped = c == '\\' && !escaped;
        end
    }
}

/// `text` without markdown's backslash escapes (`json\\_feed` -> `json_feed`): a link shown as
/// text in a draft is escaped, and a URL parser would read the backslash as a slash.
pub fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek().is_some_and(|n| n.is_ascii_punctuation()) {
            continue;
        }
        out.push(c);
    }
    out
}

fn find_scheme(s: &str) -> Option<usize> {
    let lower = s.to_ascii_lowercase();
    match (lower.find("http://"), lower.find("https://")) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The visible text of a draft, ready to be asked what it holds.
#[derive(Debug, Default)]
pub struct Page {
    /// The visible text.
    text: String,
    /// Every line, normalised.
    lines: Vec<String>,
    /// The comparable form of every link on it, with the first line it is on (none for the
    /// target of a short link on it).
    links: HashMap<String, Option<usize>>,
    /// The links themselves, for items added by hand.
    pub found: Vec<FoundLink>,
}

impl Page {
    pub fn new(visible: &str) -> Page {
        let found = links(visible);
        // Drafts print `(` and `)` in link targets percent-encoded.
        let mut links = HashMap::new();
        for l in &found {
            for u in [l.url.clone(), l.url.replace("%28", "(").replace("%29", ")")] {
                if let Some(c) = comparable(&u) {
                    links.entry(c).or_insert(Some(l.line));
                }
            }
        }
        Page {
            text: visible.to_owned(),
            lines: visible.lines().map(norm).collect(),
            links,
            found,
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Counts `link` (in any comparable form) as on the page.
    pub fn add_link(&mut self, link: &str) {
        if let Some(c) = comparable(link) {
            self.links.entry(c).or_insert(None);
        }
    }

    pub fn has_link(&self, link: &str) -> bool {
        comparable(link).is_some_and(|c| self.links.contains_key(&c))
    }

    pub fn has_title_line(&self, title: &str) -> bool {
        self.title_line(title).is_some()
    }

    /// The line (0-based) of `title`'s title line.
    fn title_line(&self, title: &str) -> Option<usize> {
        let t = norm(title);
        if t.is_empty() {
            return None;
        }
        self.lines
            .iter()
            .position(|l| l == &t || l.strip_prefix(&t).is_some_and(|r| r.starts_with(" by ")))
    }

    /// Where a post stands on the page: the first line with one of its `links`, else its title
    /// line (none: it is not there).
    pub fn line_of(&self, title: &str, links: &[&str]) -> Option<usize> {
        links
            .iter()
            .filter_map(|l| self.links.get(&comparable(l)?).copied().flatten())
            .min()
            .or_else(|| self.title_line(title))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_not_visible() {
        assert_eq!(visible("a <!-- b --> c"), "a  c");
        assert_eq!(visible("a <!--\nb\n--> c <!-- d"), "a  c ");
        assert_eq!(visible("no comment"), "no comment");
    }

    #[test]
    fn title_lines_survive_markup_and_escapes() {
        assert!(is_title_line(
            "**Fixing \\*all\\* the \\_\\_init\\_\\_ bugs** by Steve Hardy",
            "Fixing *all* the __init__ bugs"
        ));
        assert!(is_title_line(
            "## RDO Mitaka released",
            "RDO Mitaka released"
        ));
        assert!(!is_title_line(
            "RDO Mitaka released soon",
            "RDO Mitaka released"
        ));
        assert!(!is_title_line("anything", ""));
    }

    #[test]
    fn links_shown_as_escaped_text_are_read_unescaped() {
        let found = links("[http://x.org/json\\_feed](http://x.org/json_feed)\n");
        assert_eq!(found[0].url, "http://x.org/json_feed");
        assert_eq!(found[1].url, "http://x.org/json_feed");
        assert_eq!(unescape("a\\*b\\\\c\\d"), "a*b\\c\\d");
    }

    #[test]
    fn a_link_with_brackets_is_read_whole_as_text_and_as_target() {
        let line = "... read more at [http://h.example/6)\\](javascript:alert(1)](http://h.example/6%29]%28javascript:alert%281%29)\n";
        let found = links(line);
        let urls: Vec<&str> = found.iter().map(|f| f.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "http://h.example/6)](javascript:alert(1)",
                "http://h.example/6%29]%28javascript:alert%281%29"
            ]
        );
        let c = |u: &str| crate::extract::link::comparable(u).unwrap();
        assert_eq!(c(urls[0]), c(urls[1]));
        // In prose a URL still stops at the bracket around it.
        assert_eq!(
            links("(see http://x.example/a) and [http://y.example/b]")[0].url,
            "http://x.example/a"
        );
    }

    #[test]
    fn links_bare_and_in_markdown() {
        let text = "... read more at [http://tm3.org/6e](http://tm3.org/6e).\n\
                    > see https://x.org/a, then\n* [A post](https://b.org/p?x=1)\n";
        let found = links(text);
        let urls: Vec<&str> = found.iter().map(|l| l.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "http://tm3.org/6e",
                "http://tm3.org/6e",
                "https://x.org/a",
                "https://b.org/p?x=1"
            ]
        );
        assert_eq!(found[1].text.as_deref(), Some("http://tm3.org/6e"));
        assert!(found[2].quoted && found[2].text.is_none());
        assert_eq!(found[3].text.as_deref(), Some("A post"));
        let page = Page::new(text);
        assert!(page.has_link("https://tm3.org/6e/"));
        assert!(!page.has_link("https://tm3.org/6"));
        let bold = links("**Moved to https://docs.example/new_** by A, see http://b.example/x_y_.");
        let urls: Vec<&str> = bold.iter().map(|l| l.url.as_str()).collect();
        assert_eq!(urls, ["https://docs.example/new", "http://b.example/x_y"]);
    }
}
