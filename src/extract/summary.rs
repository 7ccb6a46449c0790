//! The summary: the post's first real paragraph as plain text, the way an editor would quote it.
//! HTML is read with the walker from `text` (which leaves out headings, figures, share buttons
//! and ads), stopping at the first real paragraph, so a 400 KB post costs about as much as its
//! opening; no DOM is built. Here each paragraph is cleaned and judged.

use std::sync::LazyLock;

use regex::Regex;

use crate::text::{
    collapse_whitespace, collapse_whitespace_owned, collapsed_words, decode_entities, is_collapsed,
    walk_html, Rules,
};

/// Kept whole up to here...
pub const SOFT_WORDS: usize = 90;
/// ...and never longer than this: cut at a sentence end.
pub const MAX_WORDS: usize = 140;
/// A paragraph with fewer words is a caption, a byline or a fragment, not the post's opening.
const REAL_WORDS: usize = 8;

/// One candidate paragraph, and whether it is the kind an editor would quote.
#[derive(Debug, Clone, PartialEq)]
struct Para {
    text: String,
    real: bool,
    /// The feed cut it short ("[…]", "...", "Continue reading"): content is better when present.
    teaser: bool,
}

/// The summary of an entry from its summary and content fields (either may be HTML or text).
pub fn summarize(summary: Option<&str>, content: Option<&str>) -> String {
    let from_summary = summary.and_then(first_paragraph);
    if let Some(p) = &from_summary {
        if p.real && !p.teaser {
            return finish(p);
        }
    }
    let from_content = content.and_then(first_paragraph);
    let best = match (from_summary, from_content) {
        (_, Some(c)) if c.real => c,
        (Some(s), _) if s.real => s,
        (Some(s), Some(c)) => {
            if s.text.len() >= c.text.len() {
                s
            } else {
                c
            }
        }
        (Some(s), None) => s,
        (None, Some(c)) => c,
        (None, None) => return String::new(),
    };
    finish(&best)
}

/// How much of a long post is read first: the opening paragraph is nearly always within it.
const PREFIX_BYTES: usize = 12 * 1024;

/// The first real paragraph of HTML or plain text; else the first non-empty one. A long post is
/// read from a prefix cut at a tag boundary first, and whole only when the prefix has nothing
/// real (the prefix's last block may be cut short, so it is not trusted as the only candidate).
fn first_paragraph(input: &str) -> Option<Para> {
    if input.len() > PREFIX_BYTES * 2 {
        let mut end = PREFIX_BYTES;
        while !input.is_char_boundary(end) {
            end -= 1;
        }
        if let Some(tag_end) = input[..end].rfind('>') {
            if let Some(p) = paragraph_in(&input[..tag_end + 1]).filter(|p| p.real) {
                return Some(p);
            }
        }
    }
    paragraph_in(input)
}

fn paragraph_in(input: &str) -> Option<Para> {
    let mut fallback: Option<Para> = None;
    // A short line ending in ':' ("Eric Newcomer, Bloomberg:") introduces the next paragraph
    // (a link blog's quote): it is kept in front of it rather than taken alone.
    let mut lead: Option<String> = None;
    let mut consider = |raw: String| -> Option<Para> {
        let mut para = judge(raw)?;
        let words = collapsed_words(&para.text);
        if is_label(&para.text) {
            // "Synopsis:" alone on its line: the sentence it introduces is the summary.
            return None;
        } else if para.text.ends_with(':') && words < REAL_WORDS {
            lead = Some(para.text.clone());
            para.real = false;
        } else if let Some(l) = lead.take() {
            para.text = format!("{l} {}", para.text);
        }
        if is_update_note(&para.text) {
            // A note put on top of an old post later: the post is what follows it.
            para.real = false;
        }
        if para.real {
            return Some(para);
        }
        if fallback.is_none() {
            fallback = Some(para);
        }
        None
    };
    let found = if looks_like_html(input) {
        walk_html(input, Rules::POST_BODY, |lines| {
            paragraph_text(&lines).and_then(&mut consider)
        })
    } else {
        input
            .split("\n\n")
            .map(|p| collapse_whitespace(&decode_entities(p)))
            .find_map(&mut consider)
    };
    found.or(fallback)
}

/// A paragraph's lines as one text: decoded, collapsed, a leading byline line ("Posted by Jane"
/// before a `<br>`) dropped; `None` when nothing is left.
fn paragraph_text(lines: &[String]) -> Option<String> {
    let mut parts: Vec<String> = lines
        .iter()
        .map(|s| {
            if s.contains('&') {
                collapse_whitespace_owned(decode_entities(s))
            } else {
                collapse_whitespace(s)
            }
        })
        .filter(|s| !s.is_empty())
        .skip_while(|p| is_boilerplate(p))
        .collect();
    // Most paragraphs are one line: that line is the text, not a copy of it.
    match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ => Some(parts.join(" ")),
    }
}

fn looks_like_html(s: &str) -> bool {
    s.contains('<') && s.contains('>')
}

/// A note added to the top of an old post: "Update (2019-01-05): …", "UPDATE:", "Edit:",
/// "Updated on 5 Jan:".
static UPDATE_NOTE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(update[ds]?|edit(ed)?)\b(\s*\([^)]{0,40}\)|\s+(on\s+)?[^:.!?]{0,30})?\s*[:\u{2013}\u{2014}-]\s")
        .expect("the update-note pattern is a valid regex")
});

fn is_update_note(text: &str) -> bool {
    UPDATE_NOTE.is_match(text)
}

/// Lead labels that introduce a post's opening sentence and are not part of it.
static LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(synopsis|summary|abstract|overview|tl;?dr|in short|introduction|intro)\s*:\s*",
    )
    .expect("the label pattern is a valid regex")
});

/// A label alone ("Synopsis:").
fn is_label(text: &str) -> bool {
    LABEL.find(text).is_some_and(|m| m.end() == text.len())
}

/// How far from the end a tail ("Continue reading …") may start.
const TAIL_WINDOW: usize = 400;

/// How much of a paragraph's start `is_boilerplate` reads: more than its longest opening.
const BOILERPLATE_HEAD: usize = 32;

static TAILS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r"(?i)\s*(Continue reading|Read more|Read the rest|Keep reading|Read full (post|article))(?-u:\b).{0,200}$",
        r"\s*[\[(](…|\.\.\.|&hellip;|&#8230;|more)[\])]\s*$",
        r"\s*(…|\.\.\.+)\s*$",
        r"\s*(→|»|&rarr;)\s*$",
    ]
    .iter()
    .map(|r| Regex::new(r).expect("tail patterns are valid regexes"))
    .collect()
});

/// Cleans a candidate: decodes, collapses, strips tails; decides whether it is real.
fn judge(raw: String) -> Option<Para> {
    let mut text = collapse_whitespace_owned(raw);
    let mut teaser = false;
    loop {
        let before = text.len();
        // WordPress: "The post X appeared first on Y." (the last "The post" before it, since
        // the paragraph itself may say "the post").
        if let Some(at) = text.rfind(" appeared first on ") {
            if let Some(start) = text[..at].rfind("The post ") {
                if text.len() - at < 200 {
                    text.truncate(start);
                }
            }
        }
        // Tails are short and at the end: only the last TAIL_WINDOW bytes are searched, which
        // keeps the bounded repetitions in the patterns cheap on long paragraphs.
        let mut window = text.len().saturating_sub(TAIL_WINDOW);
        while !text.is_char_boundary(window) {
            window += 1;
        }
        for (i, re) in TAILS.iter().enumerate() {
            // The "Continue reading"/"Read more" pattern must scan the whole window backwards:
            // skip it unless the window holds "read" at all (nearly always it does not).
            if i == 0 && !contains_ascii_ci(&text.as_bytes()[window..], b"read") {
                continue;
            }
            if let Some(m) = re.find(&text[window..]) {
                text.truncate(window + m.start());
                teaser = true;
                window = window.min(text.len());
            }
        }
        text.truncate(text.trim_end().len());
        if text.len() == before {
            break;
        }
    }
    if text.is_empty() || is_boilerplate(&text) {
        return None;
    }
    // A feed that cut its description at a byte limit leaves half a character, so half a word.
    if text.ends_with('\u{fffd}') {
        teaser = true;
    }
    let words = collapsed_words(&text);
    let real = words >= REAL_WORDS || (words >= 3 && ends_sentence(&text));
    Some(Para { text, real, teaser })
}

/// Whether `hay` holds `needle` (which starts with an ASCII letter), in any case.
fn contains_ascii_ci(hay: &[u8], needle: &[u8]) -> bool {
    let first = needle[0];
    memchr::memchr2_iter(first.to_ascii_lowercase(), first.to_ascii_uppercase(), hay).any(|i| {
        hay[i..].len() >= needle.len() && hay[i..i + needle.len()].eq_ignore_ascii_case(needle)
    })
}

/// Bylines, share prompts, credits: not the post.
fn is_boilerplate(text: &str) -> bool {
    // Only the start is compared: lowercase that much, not the whole paragraph.
    let mut head = text.len().min(BOILERPLATE_HEAD);
    while !text.is_char_boundary(head) {
        head += 1;
    }
    let lower = text[..head].to_lowercase();
    const STARTS: &[&str] = &[
        "posted by",
        "posted on",
        "written by",
        "share this",
        "share on",
        "filed under",
        "tags:",
        "tagged:",
        "categories:",
        "photo:",
        "image:",
        "photo credit",
        "image credit",
        "like this:",
        "related posts",
        "advertisement",
    ];
    if STARTS.iter().any(|s| lower.starts_with(s)) {
        return true;
    }
    // "By Jane Doe" / "by Jane Doe on May 2" alone on a line.
    (lower.starts_with("by ") && text.split_whitespace().nth(8).is_none())
        || lower.starts_with("http://")
        || lower.starts_with("https://")
}

fn ends_sentence(text: &str) -> bool {
    let t = text.trim_end_matches(['"', '\'', ')', '”', '’', '»']);
    t.ends_with(['.', '!', '?', ':'])
}

/// Shapes the chosen paragraph: a teaser ends cleanly, anything over the cap is cut.
fn finish(p: &Para) -> String {
    // "Synopsis: The sentence..." in one paragraph: the label goes.
    let text = match LABEL.find(&p.text) {
        Some(m) if m.end() < p.text.len() => &p.text[m.end()..],
        _ => p.text.as_str(),
    };
    let ends_cleanly = !p.teaser || ends_sentence(text);
    // Judged paragraphs are collapsed: one within the cap that ends cleanly is the summary as
    // it is (most are), without splitting it into words and joining them again.
    if ends_cleanly && is_collapsed(text) && collapsed_words(text) <= MAX_WORDS {
        return text.to_owned();
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() {
        return String::new();
    }
    if words.len() > MAX_WORDS {
        return cut(&words[..MAX_WORDS]);
    }
    if !ends_cleanly {
        // The feed cut mid-sentence, maybe mid-word: back to a sentence end, or drop the last
        // (possibly partial) word and say it goes on.
        if let Some(end) = last_sentence_end(&words) {
            if end * 2 >= words.len() {
                return words[..end].join(" ");
            }
        }
        let keep = if words.len() > 1 { words.len() - 1 } else { 1 };
        return format!(
            "{}…",
            words[..keep]
                .join(" ")
                .trim_end_matches([',', ';', ':', '-', '–'])
        );
    }
    words.join(" ")
}

/// Over the cap: the last sentence end within it, else the first SOFT_WORDS words and "…".
fn cut(words: &[&str]) -> String {
    match last_sentence_end(words) {
        Some(end) if end >= REAL_WORDS => words[..end].join(" "),
        _ => format!(
            "{}…",
            words[..SOFT_WORDS.min(words.len())]
                .join(" ")
                .trim_end_matches([',', ';', ':', '-', '–'])
        ),
    }
}

/// Number of words up to and including the last one that ends a sentence.
fn last_sentence_end(words: &[&str]) -> Option<usize> {
    words
        .iter()
        .rposition(|w| ends_sentence(w) && !w.ends_with(':'))
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LONG: &str = "This paragraph is long enough to be the real opening of the post and says what it is about.";

    #[test]
    fn plain_text_summary_is_used_as_is() {
        assert_eq!(summarize(Some(LONG), None), LONG);
    }

    #[test]
    fn skips_headings_images_and_empty_paragraphs() {
        let html = format!("<h2>Intro</h2><p><img src=x></p><p>&nbsp;</p><p>{LONG}</p>");
        assert_eq!(summarize(None, Some(&html)), LONG);
    }

    #[test]
    fn skips_posted_by_and_bylines() {
        let html = format!("<p>Posted by Anthony Vallone, Test Engineer</p><p>{LONG}</p>");
        assert_eq!(summarize(None, Some(&html)), LONG);
        let html = format!("<div>Posted by Jane<br><br>{LONG}</div>");
        assert_eq!(summarize(None, Some(&html)), LONG);
        let html = format!("<p>By Jane Doe</p><p>{LONG}</p>");
        assert_eq!(summarize(None, Some(&html)), LONG);
    }

    #[test]
    fn skips_share_buttons_and_feedburner_ads() {
        let html = format!(
            "<div class=\"sharedaddy\"><p>Share this: Twitter Facebook and more buttons here now</p></div>\
             <div class=\"feedflare\"><a href=\"http://feeds.feedburner.com/~ff/x\">Email this to a friend please now</a></div><p>{LONG}</p>"
        );
        assert_eq!(summarize(None, Some(&html)), LONG);
    }

    #[test]
    fn drops_scripts_and_styles() {
        let html = format!("<p><script>document.write('one two three four five six seven eight');</script><style>p{{}}</style>{LONG}</p>");
        assert_eq!(summarize(None, Some(&html)), LONG);
    }

    #[test]
    fn strips_wordpress_appeared_first_tail() {
        let s = format!("<p>{LONG}</p><p>The post <a href=x>Hello</a> appeared first on <a href=y>Blog</a>.</p>");
        assert_eq!(summarize(Some(&s), None), LONG);
        let s = format!("{LONG} The post Hello appeared first on Blog.");
        assert_eq!(summarize(Some(&s), None), LONG);
    }

    #[test]
    fn strips_continue_reading_and_read_more() {
        let s = format!("<p>{LONG} <a href=x>Continue reading <span>Hello</span> &rarr;</a></p>");
        assert_eq!(summarize(Some(&s), None), LONG);
        let s = format!("<p>{LONG}</p><p><a href=x>Read more</a></p>");
        assert_eq!(summarize(Some(&s), None), LONG);
    }

    #[test]
    fn teaser_with_ellipsis_prefers_content() {
        let s = "This paragraph is long enough to be a teaser that the feed cut [&#8230;]";
        let c = format!("<p>{LONG}</p>");
        assert_eq!(summarize(Some(s), Some(&c)), LONG);
    }

    #[test]
    fn teaser_without_content_ends_cleanly() {
        let s = "This paragraph is long enough to be a teaser that the feed cut off in the midd [&#8230;]";
        let out = summarize(Some(s), None);
        assert_eq!(
            out,
            "This paragraph is long enough to be a teaser that the feed cut off in the…"
        );
        assert!(!out.contains('['));
        let s = "Natasha writes about Swift and many more things in her weekly newsl...";
        assert_eq!(
            summarize(Some(s), None),
            "Natasha writes about Swift and many more things in her weekly…"
        );
    }

    #[test]
    fn description_cut_mid_character_loses_the_half_word() {
        let s = "A quote that the feed cut at a byte limit in the middle of a wo\u{fffd}";
        assert_eq!(
            summarize(Some(s), None),
            "A quote that the feed cut at a byte limit in the middle of a…"
        );
    }

    #[test]
    fn decodes_entities_and_collapses_whitespace() {
        let s = "<p>It&rsquo;s   a &amp;ldquo;test&amp;rdquo; of\n\n entity decoding in a paragraph that is long.</p>";
        assert_eq!(
            summarize(Some(s), None),
            "It’s a “test” of entity decoding in a paragraph that is long."
        );
    }

    #[test]
    fn keeps_up_to_140_words_whole() {
        let text = vec!["word"; 120].join(" ") + ".";
        assert_eq!(summarize(Some(&text), None).split_whitespace().count(), 120);
    }

    #[test]
    fn over_cap_cuts_at_last_sentence_end() {
        let first = vec!["alpha"; 60].join(" ") + ".";
        let second = vec!["beta"; 60].join(" ") + ".";
        let third = vec!["gamma"; 60].join(" ") + ".";
        let text = format!("{first} {second} {third}");
        let out = summarize(Some(&text), None);
        assert_eq!(out, format!("{first} {second}"));
    }

    #[test]
    fn over_cap_without_sentence_end_cuts_at_word_with_ellipsis() {
        let text = vec!["word"; 300].join(" ");
        let out = summarize(Some(&text), None);
        assert!(out.ends_with("word…"));
        assert_eq!(out.split_whitespace().count(), SOFT_WORDS);
    }

    #[test]
    fn short_summary_is_not_real_so_content_wins() {
        let c = format!("<p>{LONG}</p>");
        assert_eq!(summarize(Some("<img src=x>"), Some(&c)), LONG);
        assert_eq!(summarize(Some("Hi"), Some(&c)), LONG);
    }

    #[test]
    fn nothing_real_falls_back_to_first_text() {
        assert_eq!(summarize(Some("<p>Nice photo</p>"), None), "Nice photo");
        assert_eq!(summarize(Some("<img src=x>"), None), "");
    }

    #[test]
    fn br_pairs_split_by_inline_wrappers_still_end_a_paragraph() {
        let html = format!("<span>Intro words</span><br /><span><br /></span><span>By Chris Lewis</span><br /><span><br /></span><span>{LONG}</span>");
        assert_eq!(summarize(None, Some(&html)), LONG);
    }

    #[test]
    fn long_post_opening_found_in_prefix_and_late_opening_in_whole() {
        let filler = "<figure><img src=x></figure>".repeat(2000);
        let early = format!(
            "<p>{LONG}</p>{filler}<p>Late paragraph that is also long enough to be real.</p>"
        );
        assert_eq!(summarize(None, Some(&early)), LONG);
        let late = format!("{filler}<p>{LONG}</p>");
        assert_eq!(summarize(None, Some(&late)), LONG);
    }

    #[test]
    fn short_lead_ending_in_colon_introduces_the_quote() {
        let html =
            format!("<p>Eric Newcomer, Bloomberg:</p><blockquote><p>{LONG}</p></blockquote>");
        assert_eq!(
            summarize(None, Some(&html)),
            format!("Eric Newcomer, Bloomberg: {LONG}")
        );
    }

    #[test]
    fn blogger_br_paragraphs() {
        let html = format!("<div>Short line<br /><br />{LONG}<br /><br />second</div>");
        assert_eq!(summarize(None, Some(&html)), LONG);
    }

    #[test]
    fn no_markup_survives() {
        let html = "<p>Paragraph with <a href=\"x\">a link</a> and <code>&lt;div&gt;</code> markup words here.</p>";
        let out = summarize(Some(html), None);
        assert_eq!(out, "Paragraph with a link and <div> markup words here.");
    }
}
