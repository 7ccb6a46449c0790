//! The built-in template, templates/roundup.md.hbs, written out by hand: byte for byte what
//! handlebars makes of it (the test below renders thousands of views both ways and compares),
//! without building the view's JSON or walking the template for every post. Handlebars spent
//! about 3 µs a post, a fifth of a draft of 20,000 posts; this is a few hundred nanoseconds.
//! An editor's own template, or a change to the built-in one, goes through handlebars: only a
//! template identical to `BUILTIN_TEMPLATE` comes here, so editing the .hbs file cannot make
//! the two disagree unseen (the test fails until this is changed to match).

use super::escape::{markdown_into, yaml};
use super::{link_target_into, DraftView};

/// The untidied markdown, as handlebars renders the built-in template: its block tags
/// (`{{#if}}`, `{{#each}}`, `{{/…}}`) and its opening comment stand alone on their lines, so
/// those lines go whole; `{{#if}}` is true for a non-empty string or list.
pub(super) fn render(view: &DraftView, size: usize) -> String {
    let mut out = String::with_capacity(size);
    let o = &mut out;
    o.push_str("---\ntitle: ");
    o.push_str(&yaml(&view.title));
    o.push_str("\nauthor: ");
    o.push_str(&yaml(&view.author));
    o.push_str("\ndate: ");
    markdown_into(&view.date, o);
    o.push_str("\ntags: ");
    o.push_str(&yaml(&view.tags));
    o.push_str("\ncomments: true\npublished: false\n---\n\n");
    o.push_str(&view.intro);
    o.push_str("\n\n");
    if view.empty {
        o.push_str(&view.empty_text);
        o.push('\n');
    }
    o.push('\n');
    for series in &view.series {
        o.push_str(&series.intro);
        o.push_str("\n\n");
        for entry in &series.entries {
            o.push_str("* [");
            markdown_into(&entry.title, o);
            o.push_str("](");
            link_target_into(&entry.link, o);
            o.push_str(")\n");
        }
        o.push('\n');
    }
    if !view.series.is_empty() && !view.items.is_empty() {
        o.push_str(&view.series_outro);
        o.push('\n');
    }
    o.push('\n');
    for item in &view.items {
        o.push_str("**");
        markdown_into(&item.title, o);
        o.push_str("**");
        if !item.author.is_empty() {
            o.push_str(" by ");
            markdown_into(&item.author, o);
        }
        o.push_str("\n\n");
        if !item.summary.is_empty() {
            o.push_str("> ");
            markdown_into(&item.summary, o);
            o.push('\n');
        }
        o.push('\n');
        o.push_str(&view.read_more);
        o.push_str(" [");
        markdown_into(&item.link, o);
        o.push_str("](");
        link_target_into(&item.link, o);
        o.push_str(")\n\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{EntryView, ItemView, Renderer, SeriesView, BUILTIN_TEMPLATE};
    use super::*;

    /// Texts that exercise every escape, blank and non-blank, one line and several.
    const TEXTS: &[&str] = &[
        "",
        "Plain words",
        "  lead and trail  ",
        "1. not a list",
        "2) nor this",
        "- dash",
        "+ plus",
        "= equals",
        ": colon",
        "# *emphasis* _under_ [a](b) <c> `d` \\ | ~ {e}",
        "&amp; & &#60; AT&T ![img] $$math$$",
        "line\nbreak\r\nand\ttab",
        "Haïkel Guémar – ünïcode…",
        "quote\" 'single' \"both'",
        "---",
        "> not a quote",
        " ",
        "yes",
        "null",
        "a: b",
    ];
    const LINKS: &[&str] = &[
        "https://example.org/a_(b)",
        "http://tm3.org/6e",
        " https://x.org/sp ace\t",
        "https://x.org/<>\\`",
        "",
        "https://ünï.org/päth",
    ];

    /// A small generator (xorshift): views of every shape, the same on every run.
    struct Pick(u64);

    impl Pick {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
        fn text(&mut self) -> String {
            TEXTS[self.below(TEXTS.len())].to_owned()
        }
        fn link(&mut self) -> String {
            LINKS[self.below(LINKS.len())].to_owned()
        }
    }

    fn some_view(pick: &mut Pick) -> DraftView {
        let series = (0..pick.below(3))
            .map(|_| SeriesView {
                intro: pick.text(),
                entries: (0..pick.below(3))
                    .map(|_| EntryView {
                        title: pick.text(),
                        link: pick.link(),
                    })
                    .collect(),
            })
            .collect();
        let items = (0..pick.below(4))
            .map(|_| ItemView {
                title: pick.text(),
                author: pick.text(),
                summary: pick.text(),
                link: pick.link(),
                full_link: pick.link(),
            })
            .collect();
        DraftView {
            title: pick.text(),
            author: pick.text(),
            date: ["2016-05-17 17:18:56 UTC", "", "1. x"][pick.below(3)].to_owned(),
            tags: pick.text(),
            intro: pick.text(),
            empty: pick.below(2) == 0,
            empty_text: pick.text(),
            series,
            series_outro: pick.text(),
            items,
            read_more: pick.text(),
        }
    }

    #[test]
    fn the_builtin_template_renders_as_handlebars_renders_it() {
        let renderer = Renderer::builtin();
        assert!(renderer.builtin, "the built-in template takes this path");
        let mut pick = Pick(0x2545_f491_4f6c_dd1d);
        for n in 0..3000 {
            let view = some_view(&mut pick);
            let by_hand = render(&view, 0);
            let by_handlebars = renderer.render_with_handlebars(view.clone(), 0).unwrap();
            assert_eq!(by_hand, by_handlebars, "view {n}: {view:#?}");
        }
    }

    #[test]
    fn only_the_builtin_text_skips_handlebars() {
        assert!(
            Renderer::compile("copy.hbs", BUILTIN_TEMPLATE)
                .unwrap()
                .builtin
        );
        let edited = BUILTIN_TEMPLATE.replace("**{{title}}**", "### {{title}}");
        let renderer = Renderer::compile("mine.hbs", &edited).unwrap();
        assert!(!renderer.builtin);
        let mut pick = Pick(7);
        let mut view = some_view(&mut pick);
        view.items = vec![ItemView {
            title: "Heading".into(),
            author: String::new(),
            summary: String::new(),
            link: "https://x.org/".into(),
            full_link: "https://x.org/".into(),
        }];
        assert!(renderer.render(view).unwrap().contains("### Heading\n"));
    }
}
