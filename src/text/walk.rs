//! The one HTML → text walker: post bodies (the summary), a scraped element's text (HTML
//! sources) and titles all go through it. It owns what is left out (scripts, headings, figures,
//! share buttons, feed ads), what keeps words apart (blocks, `<br>`, element ends) and where a
//! paragraph ends (blocks, `<br><br>`), and hands each paragraph's lines to the caller as written,
//! which cleans and judges them. It reads the hand tokenizer's stream or a parsed element.
//! Measured by examples/tokenizer_bench.rs (465 corpus bodies, 2.3 MB, opt-level 1): hand tokenizer 24 ms, html5ever's 67 ms whole, 4 vs 9 ms to the first paragraph; the hand one stays.

use scraper::{ElementRef, Node};

use super::elements::{is_block, is_void, marked_not_the_post, not_the_post};
use super::tokens::{attr, Token, Tokens};

/// A start tag's attributes, whatever read the tag.
pub trait Attrs {
    /// The value of attribute `name`, as the reader gives it.
    fn get(&self, name: &str) -> Option<&str>;
}

/// Raw attribute text from the tokenizer (`class="a b" id=x`): entities left alone.
impl Attrs for &str {
    fn get(&self, name: &str) -> Option<&str> {
        attr(self, name)
    }
}

impl Attrs for scraper::node::Element {
    fn get(&self, name: &str) -> Option<&str> {
        self.attr(name)
    }
}

/// One piece of HTML as the walker takes it.
pub enum Event<'a> {
    Open {
        name: &'a str,
        attrs: &'a dyn Attrs,
        self_closing: bool,
    },
    Close {
        name: &'a str,
    },
    Text(&'a str),
}

/// What keeps text apart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Breaks {
    /// A post body: a block's start or end, or an element left out by name, ends a paragraph;
    /// `<br>` ends a line and `<br><br>` a paragraph; inline ends join words.
    Paragraphs,
    /// Every element's start and end keeps words apart; all of it is one paragraph.
    Elements,
    /// Block and `<br>` starts and ends keep words apart; all of it is one paragraph.
    Blocks,
}

/// How a walk reads HTML: which elements it leaves out and what keeps text apart.
#[derive(Clone, Copy)]
pub struct Rules {
    /// Elements left out whole, by name.
    pub skip_element: fn(&str) -> bool,
    /// Elements left out whole for what their attributes say (share buttons, ads).
    pub skip_marked: fn(&str, &dyn Attrs) -> bool,
    pub breaks: Breaks,
}

impl Rules {
    /// A post body read for its opening paragraph: headings, figures, embeds, share buttons,
    /// bylines and feed ads are not the post.
    pub const POST_BODY: Rules = Rules {
        skip_element: not_the_post,
        skip_marked: marked_not_the_post,
        breaks: Breaks::Paragraphs,
    };
    /// A scraped element's text: scripts, styles and templates left out.
    pub const ELEMENT: Rules = Rules {
        skip_element: |name| matches!(name, "script" | "style" | "noscript" | "template"),
        skip_marked: |_, _| false,
        breaks: Breaks::Elements,
    };
    /// A title or a name: nothing left out (the tokenizer drops scripts and styles).
    pub const INLINE: Rules = Rules {
        skip_element: |_| false,
        skip_marked: |_, _| false,
        breaks: Breaks::Blocks,
    };
}

/// Walks HTML source, handing each paragraph's lines (text as written, entities not decoded) to
/// `f` until it returns something.
pub fn walk_html<T>(
    html: &str,
    rules: Rules,
    mut f: impl FnMut(Vec<String>) -> Option<T>,
) -> Option<T> {
    let mut walker = Walker::new(rules);
    for token in Tokens::new(html) {
        let event = match &token {
            Token::Open {
                name,
                attrs,
                self_closing,
            } => Event::Open {
                name,
                attrs,
                self_closing: *self_closing,
            },
            Token::Close { name } => Event::Close { name },
            Token::Text(t) => Event::Text(t),
        };
        if let Some(found) = walker.step(event, &mut f) {
            return Some(found);
        }
    }
    walker.finish(&mut f)
}

/// Walks what is inside a parsed element (its text already decoded) the same way.
pub fn walk_element<T>(
    el: ElementRef<'_>,
    rules: Rules,
    mut f: impl FnMut(Vec<String>) -> Option<T>,
) -> Option<T> {
    let mut walker = Walker::new(rules);
    if let Some(found) = walk_children(el, &mut walker, &mut f) {
        return Some(found);
    }
    walker.finish(&mut f)
}

fn walk_children<T>(
    el: ElementRef<'_>,
    walker: &mut Walker,
    f: &mut impl FnMut(Vec<String>) -> Option<T>,
) -> Option<T> {
    for child in el.children() {
        let found = match child.value() {
            Node::Text(t) => walker.step(Event::Text(t), f),
            Node::Element(e) => {
                let open = Event::Open {
                    name: e.name(),
                    attrs: e,
                    self_closing: false,
                };
                walker.step(open, f).or_else(|| {
                    let inner = ElementRef::wrap(child).and_then(|c| walk_children(c, walker, f));
                    inner.or_else(|| walker.step(Event::Close { name: e.name() }, f))
                })
            }
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

/// The walker's state between events; a reader (the tokenizer, a parsed element, another
/// tokenizer) feeds it with `step` and ends with `finish`.
pub struct Walker {
    rules: Rules,
    /// The current line of the current paragraph.
    line: String,
    /// The paragraph's earlier lines (ended by a single `<br>`).
    lines: Vec<String>,
    /// The element being left out, and how deep inside elements of its name the walk is.
    skip: Option<(String, usize)>,
    /// The last thing read was a `<br>` (blank text aside): a second one ends the paragraph.
    last_br: bool,
}

impl Walker {
    pub fn new(rules: Rules) -> Walker {
        Walker {
            rules,
            line: String::new(),
            lines: Vec::new(),
            skip: None,
            last_br: false,
        }
    }

    /// Takes one event; what `f` returned for a paragraph that ended here, if anything.
    pub fn step<T>(
        &mut self,
        event: Event<'_>,
        f: &mut impl FnMut(Vec<String>) -> Option<T>,
    ) -> Option<T> {
        match event {
            Event::Open {
                name,
                attrs,
                self_closing,
            } => self.open(name, attrs, self_closing, f),
            Event::Close { name } => self.close(name, f),
            Event::Text(t) => {
                self.text(t);
                None
            }
        }
    }

    /// The end of the input ends the last paragraph.
    pub fn finish<T>(mut self, f: &mut impl FnMut(Vec<String>) -> Option<T>) -> Option<T> {
        self.end_paragraph(f)
    }

    fn open<T>(
        &mut self,
        name: &str,
        attrs: &dyn Attrs,
        self_closing: bool,
        f: &mut impl FnMut(Vec<String>) -> Option<T>,
    ) -> Option<T> {
        if let Some((skip_name, depth)) = &mut self.skip {
            if skip_name == name && !self_closing && !is_void(name) {
                *depth += 1;
            }
            return None;
        }
        let by_name = (self.rules.skip_element)(name);
        let left_out = by_name || (self.rules.skip_marked)(name, attrs);
        let found = match self.rules.breaks {
            Breaks::Paragraphs => {
                if name == "br" {
                    return self.br(f);
                }
                if name == "img" {
                    return None;
                }
                // Inline wrappers (`<br /><span><br /></span>`) do not separate two <br>s.
                if is_block(name) || by_name {
                    self.last_br = false;
                    self.end_paragraph(f)
                } else {
                    None
                }
            }
            Breaks::Elements if !left_out => {
                self.line.push(' ');
                None
            }
            Breaks::Elements => None,
            Breaks::Blocks => {
                self.space_at_block(name);
                None
            }
        };
        if found.is_none() && left_out && !self_closing && !is_void(name) {
            self.skip = Some((name.to_owned(), 1));
        }
        found
    }

    fn close<T>(&mut self, name: &str, f: &mut impl FnMut(Vec<String>) -> Option<T>) -> Option<T> {
        if let Some((skip_name, depth)) = &mut self.skip {
            if skip_name == name {
                *depth -= 1;
                if *depth == 0 {
                    self.skip = None;
                }
            }
            return None;
        }
        match self.rules.breaks {
            // Inline ends (</a>, </em>) keep words apart only where the source had space.
            Breaks::Paragraphs if is_block(name) => {
                self.last_br = false;
                self.end_paragraph(f)
            }
            Breaks::Paragraphs => None,
            Breaks::Elements => {
                self.line.push(' ');
                None
            }
            Breaks::Blocks => {
                self.space_at_block(name);
                None
            }
        }
    }

    fn text(&mut self, t: &str) {
        if self.skip.is_none() {
            if !t.trim().is_empty() {
                self.last_br = false;
            }
            self.line.push_str(t);
        }
    }

    /// A single `<br>` ends a line, a second one in a row the paragraph.
    fn br<T>(&mut self, f: &mut impl FnMut(Vec<String>) -> Option<T>) -> Option<T> {
        let found = if self.last_br {
            self.end_paragraph(f)
        } else {
            self.lines.push(std::mem::take(&mut self.line));
            None
        };
        self.last_br = true;
        found
    }

    fn space_at_block(&mut self, name: &str) {
        if is_block(name) || name == "br" {
            self.line.push(' ');
        }
    }

    fn end_paragraph<T>(&mut self, f: &mut impl FnMut(Vec<String>) -> Option<T>) -> Option<T> {
        self.lines.push(std::mem::take(&mut self.line));
        f(std::mem::take(&mut self.lines))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paragraphs(html: &str) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        walk_html(html, Rules::POST_BODY, |lines| {
            out.push(lines);
            None::<()>
        });
        out.retain(|p| p.iter().any(|l| !l.trim().is_empty()));
        out
    }

    #[test]
    fn post_body_paragraphs_lines_and_what_is_left_out() {
        let html = "<p>one</p><h2>heading</h2><div class=\"share-buttons\">share</div>\
                    two<br>three<br><span><br></span>four <a href=\"http://feeds.feedburner.com/~a\">ad</a>";
        assert_eq!(
            paragraphs(html),
            [vec!["one"], vec!["two", "three", ""], vec!["four "]]
        );
    }

    #[test]
    fn a_parsed_element_reads_with_every_element_apart() {
        let doc = scraper::Html::parse_fragment(
            "<div><b>Bold</b>text<script>x()</script><noscript>no</noscript><br>more</div>",
        );
        let div = doc
            .select(&scraper::Selector::parse("div").expect("valid selector"))
            .next()
            .expect("the fragment has a div");
        let text = walk_element(div, Rules::ELEMENT, |lines| Some(lines.concat()));
        assert_eq!(text.as_deref(), Some(" Bold text  more"));
    }
}
