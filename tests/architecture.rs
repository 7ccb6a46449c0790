//! Holds the layout `ARCHITECTURE.md` describes: no import circle between the top-level
//! modules, no source file grown past what one person reads in a sitting, and no comment
//! citing a document that is not in the repository.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Lines of code (not blank, not comments, not tests) a source file may hold.
const MAX_CODE_LINES: usize = 420;

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The file without its `#[cfg(test)]` module (by convention the last item of a file).
fn without_tests(text: &str) -> &str {
    text.find("#[cfg(test)]\nmod tests")
        .map_or(text, |i| &text[..i])
}

fn src() -> (PathBuf, Vec<PathBuf>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    files.sort();
    (root, files)
}

/// `src/poll/state.rs` -> `poll`.
fn top_module(root: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(root).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_owned()
}

fn edges() -> BTreeMap<String, BTreeSet<String>> {
    let (root, files) = src();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let from = top_module(&root, &file);
        if from == "main" || from == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (at, _) in without_tests(&text).match_indices("crate::") {
            let rest = &text[at + "crate::".len()..];
            let to: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !to.is_empty() && to != from {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    edges
}

/// A path `from` → ... → `from`, if there is one.
fn cycle_through(
    edges: &BTreeMap<String, BTreeSet<String>>,
    from: &str,
    path: &mut Vec<String>,
) -> bool {
    let last = path.last().unwrap().clone();
    for next in edges.get(&last).into_iter().flatten() {
        if next == from {
            path.push(next.clone());
            return true;
        }
        if !path.contains(next) {
            path.push(next.clone());
            if cycle_through(edges, from, path) {
                return true;
            }
            path.pop();
        }
    }
    false
}

#[test]
fn no_import_circle_between_top_level_modules() {
    let edges = edges();
    for module in edges.keys() {
        let mut path = vec![module.clone()];
        assert!(
            !cycle_through(&edges, module, &mut path),
            "import circle: {}",
            path.join(" -> ")
        );
    }
    // The check sees imports at all: the pipeline's main line is there.
    assert!(edges["poll"].contains("fetch") && edges["poll"].contains("store"));
}

#[test]
fn no_source_file_is_longer_than_one_sitting() {
    let (_, files) = src();
    // A `tests.rs` is a test module of its own.
    for file in files.iter().filter(|f| !f.ends_with("tests.rs")) {
        let text = std::fs::read_to_string(file).unwrap();
        let code = without_tests(&text)
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with("//"))
            .count();
        assert!(
            code <= MAX_CODE_LINES,
            "{} holds {code} lines of code (at most {MAX_CODE_LINES}): split it",
            file.display()
        );
    }
}

#[test]
fn no_comment_cites_a_document_that_is_not_in_the_repository() {
    let (_, files) = src();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for doc in ["DESIGN.md", "CRATES.md", "STYLE.md"] {
            assert!(
                !text.contains(doc) || repo.join(doc).exists(),
                "{} cites {doc}, which is not in the repository",
                file.display()
            );
        }
    }
}
