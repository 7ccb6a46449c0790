//! The built-in template, templates/roundup.md.hbs, written out by hand: byte for byte what
//! handlebars makes of it (the test below renders thousands of views both ways and compares),
//! without building the view's JSON or walking the template for every post. Handlebars spent
//! about 3 µs a post, a fifth of a draft of 20,000 posts; this is a few hundred nanoseconds.
//! An editor's own template, or a change to the built-in one, goes through handlebars: only a
//! template identical to `BUILTIN_TEMPLATE` comes here, so editing the .hbs file cannot make
//! the two disagree unseen (the test fails until this is changed to match).

use std::sync::Mutex;

use super::escape::{markdown_into, yaml};
use super::{link_target_into, DraftView, ItemView};

/// Posts a thread is given at least: fewer are not worth starting one.
const MIN_CHUNK: usize = 1000;

/// The untidied markdown, as handlebars renders the built-in template over the view's posts
/// `finish`ed: its block tags (`{{#if}}`, `{{#each}}`, `{{/…}}`) and its opening comment
/// stand alone on their lines, so those lines go whole; `{{#if}}` is true for a non-empty
/// string or list.
pub(super) fn render(view: DraftView, size: usize) -> String {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    render_on(view, size, threads)
}

/// `render`, the posts finished and written out on at most `threads` threads.
fn render_on(mut view: DraftView, size: usize, threads: usize) -> String {
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
    posts_into(&mut view.items, &view.read_more, o, threads);
    out
}

/// `items` finished (`ItemView::finish`) and written out after `out`: in one chunk per
/// thread, `MIN_CHUNK` posts at least, the first on this thread straight into `out` and the
/// others on threads of their own, appended in order. A draft of 20,000 posts spent a third of
/// its time finishing and writing out posts on one core, mostly waiting for text last touched
/// when it was read from the store (README, Performance). A thread that cannot be started
/// leaves its chunk to this one.
fn posts_into(items: &mut [ItemView], read_more: &str, out: &mut String, threads: usize) {
    let chunks = threads.min(items.len() / MIN_CHUNK).max(1);
    let per = items.len().div_ceil(chunks).max(1);
    let (first, rest) = items.split_at_mut(per.min(items.len()));
    let rest: Vec<Mutex<&mut [ItemView]>> = rest.chunks_mut(per).map(Mutex::new).collect();
    let written = |chunk: &Mutex<&mut [ItemView]>| {
        let mut chunk = chunk.lock().unwrap_or_else(|p| p.into_inner());
        let mut text = String::with_capacity(chunk.iter().map(|i| i.text_len(read_more)).sum());
        posts(&mut chunk, read_more, &mut text);
        text
    };
    let texts: Vec<String> = std::thread::scope(|scope| {
        let started: Vec<_> = rest
            .iter()
            .map(|chunk| {
                std::thread::Builder::new()
                    .name("roundup-render".to_string())
                    .spawn_scoped(scope, move || written(chunk))
            })
            .collect();
        posts(first, read_more, out);
        started
            .into_iter()
            .zip(&rest)
            .map(|(thread, chunk)| match thread {
                Ok(t) => t.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
                Err(_) => written(chunk),
            })
            .collect()
    });
    for text in texts {
        out.push_str(&text);
    }
}

/// `items`, finished, written out after `o`.
fn posts(items: &mut [ItemView], read_more: &str, o: &mut String) {
    for item in items {
        item.finish();
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
        o.push_str(read_more);
        o.push_str(" [");
        markdown_into(&item.link, o);
        o.push_str("](");
        link_target_into(&item.link, o);
        o.push_str(")\n\n");
    }
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
            let by_hand = render(view.clone(), 0);
            let mut finished = view.clone();
            finished.items.iter_mut().for_each(ItemView::finish);
            let by_handlebars = renderer.render_with_handlebars(finished, 0).unwrap();
            assert_eq!(by_hand, by_handlebars, "view {n}: {view:#?}");
        }
    }

    #[test]
    fn posts_written_out_on_several_threads_come_out_as_on_one() {
        let mut pick = Pick(0x9e37_79b9_7f4a_7c15);
        let mut view = some_view(&mut pick);
        view.items = (0..3 * MIN_CHUNK + 17)
            .map(|n| ItemView {
                title: format!("{} post {n}", pick.text()),
                author: pick.text(),
                summary: pick.text(),
                link: pick.link(),
                full_link: pick.link(),
            })
            .collect();
        let one = render_on(view.clone(), 0, 1);
        for threads in [2, 3, 8] {
            assert_eq!(
                render_on(view.clone(), 0, threads),
                one,
                "{threads} threads"
            );
        }
        // Every post is in it, in order: the chunks are appended as they were cut.
        let mut at = 0;
        for n in 0..view.items.len() {
            let found = one[at..].find(&format!("post {n}**"));
            at += found.unwrap_or_else(|| panic!("post {n} after byte {at}"));
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
