//! The summary's HTML walk over the corpus feeds' content bodies, read by the hand tokenizer
//! (`text::Tokens`) and by html5ever's tokenizer feeding the same walker, with timings: the
//! numbers behind keeping the hand tokenizer.
//! `CARGO_PROFILE_DEV_OPT_LEVEL=1 cargo run --example tokenizer_bench -- /work/shared/corpus/feeds`
//! (dependencies are built at opt-level 1 in the dev profile: the crate must be too, to be fair).

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, EndTag, StartTag, TagToken, Token, TokenSink, TokenSinkResult, Tokenizer,
    TokenizerOpts,
};
use html5ever::Attribute;
use roundup::text::{collapse_whitespace, decode_entities, walk_html, Attrs, Event, Rules, Walker};

/// A paragraph with this many words ends the "first paragraph" walk (the summary's rule).
const REAL_WORDS: usize = 8;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .unwrap_or_else(|| "/work/shared/corpus/feeds".to_owned());
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(10);
    let bodies = content_bodies(&dir);
    let bytes: usize = bodies.iter().map(String::len).sum();
    println!(
        "{} HTML content bodies, {:.1} MB, best of {rounds} rounds",
        bodies.len(),
        bytes as f64 / 1e6
    );

    let whole = |lines: Vec<String>| -> Option<String> {
        std::hint::black_box(lines);
        None
    };
    report("whole body, hand tokenizer", rounds, &bodies, |b| {
        walk_html(b, Rules::POST_BODY, whole)
    });
    report("whole body, html5ever tokenizer", rounds, &bodies, |b| {
        walk_html5ever(b, whole)
    });
    report("first paragraph, hand tokenizer", rounds, &bodies, |b| {
        walk_html(b, Rules::POST_BODY, first_real)
    });
    report(
        "first paragraph, html5ever tokenizer",
        rounds,
        &bodies,
        |b| walk_html5ever(b, first_real),
    );
    report("summarize() end to end (hand)", rounds, &bodies, |b| {
        Some(roundup::extract::summary::summarize(None, Some(b)))
    });
    let differ = bodies
        .iter()
        .filter(|b| walk_html(b, Rules::POST_BODY, first_real) != walk_html5ever(b, first_real))
        .count();
    println!("first paragraphs that differ between the two: {differ}");
}

/// The HTML `content` of every entry of every feed in `dir`.
fn content_bodies(dir: &str) -> Vec<String> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {dir}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    let mut bodies = Vec::new();
    for path in paths {
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let Ok(feed) = roundup::parse::feed::parse(&bytes, None) else {
            continue;
        };
        bodies.extend(
            feed.entries
                .into_iter()
                .filter_map(|e| e.content)
                .filter(|c| c.contains('<') && c.contains('>')),
        );
    }
    bodies
}

/// The first paragraph of REAL_WORDS words or more, cleaned as the summary cleans it.
fn first_real(lines: Vec<String>) -> Option<String> {
    let text = lines
        .iter()
        .map(|l| collapse_whitespace(&decode_entities(l)))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (text.split_whitespace().count() >= REAL_WORDS).then_some(text)
}

fn report(what: &str, rounds: usize, bodies: &[String], run: impl Fn(&str) -> Option<String>) {
    let mut best = Duration::MAX;
    for _ in 0..rounds {
        let start = Instant::now();
        for body in bodies {
            std::hint::black_box(run(body));
        }
        best = best.min(start.elapsed());
    }
    println!("{what:40} {:8.1} ms", best.as_secs_f64() * 1e3);
}

/// html5ever's attributes, as the walker asks for them.
struct Html5everAttrs<'a>(&'a [Attribute]);

impl Attrs for Html5everAttrs<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|a| &*a.name.local == name)
            .map(|a| &*a.value)
    }
}

/// Feeds html5ever's tokens to the walker; scripts and styles are read as raw text and dropped,
/// as the hand tokenizer drops them. Once `f` has found its paragraph the tokenizer is paused.
struct Sink<F> {
    walker: RefCell<Walker>,
    f: RefCell<F>,
    found: RefCell<Option<String>>,
    in_raw_text: Cell<bool>,
}

impl<F: FnMut(Vec<String>) -> Option<String>> TokenSink for Sink<F> {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        if self.found.borrow().is_some() {
            return TokenSinkResult::Script(());
        }
        let mut walker = self.walker.borrow_mut();
        let f = &mut *self.f.borrow_mut();
        let found = match token {
            TagToken(tag) => {
                let name: &str = &tag.name;
                match tag.kind {
                    StartTag if matches!(name, "script" | "style") && !tag.self_closing => {
                        self.in_raw_text.set(true);
                        return TokenSinkResult::RawData(if name == "script" {
                            RawKind::ScriptData
                        } else {
                            RawKind::Rawtext
                        });
                    }
                    StartTag => walker.step(
                        Event::Open {
                            name,
                            attrs: &Html5everAttrs(&tag.attrs),
                            self_closing: tag.self_closing,
                        },
                        f,
                    ),
                    EndTag if self.in_raw_text.get() => {
                        self.in_raw_text.set(false);
                        None
                    }
                    EndTag => walker.step(Event::Close { name }, f),
                }
            }
            Token::CharacterTokens(t) if !self.in_raw_text.get() => walker.step(Event::Text(&t), f),
            _ => None,
        };
        match found {
            Some(p) => {
                *self.found.borrow_mut() = Some(p);
                TokenSinkResult::Script(())
            }
            None => TokenSinkResult::Continue,
        }
    }
}

fn walk_html5ever(html: &str, f: impl FnMut(Vec<String>) -> Option<String>) -> Option<String> {
    let sink = Sink {
        walker: RefCell::new(Walker::new(Rules::POST_BODY)),
        f: RefCell::new(f),
        found: RefCell::new(None),
        in_raw_text: Cell::new(false),
    };
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    if tokenizer.sink.found.borrow().is_none() {
        tokenizer.end();
    }
    let Sink {
        walker, f, found, ..
    } = tokenizer.sink;
    found
        .into_inner()
        .or_else(|| walker.into_inner().finish(&mut f.into_inner()))
}
