#!/usr/bin/env bash
# Polls every file of a folder of feeds (as file:// sources) with one `roundup poll`, then
# checks what an editor would check and prints the figures:
#   items per source, items with an author, summaries with markup, entities, "[…]",
#   "appeared first on", "Continue reading", runs of spaces, over 140 words; empty titles;
#   links that are not http(s).
# Usage: bench/corpus-check.sh [FOLDER=../shared/corpus/feeds] [BIN=target/release/roundup]
set -euo pipefail
DIR=$(realpath "${1:-../shared/corpus/feeds}")
BIN=$(realpath "${2:-target/release/roundup}")
W=$(mktemp -d -t corpus.XXXX)
trap 'rm -rf "$W"' EXIT
{
  printf '[store]\npath = "%s/db"\n\n[http]\nmax_items = 1000\n' "$W"
  for f in "$DIR"/*; do
    [ -f "$f" ] || continue
    printf '\n[[source]]\nname = "%s"\nurl = "file://%s"\n' "$(basename "$f")" "$f"
  done
} >"$W/config.toml"
set +e
"$BIN" --config "$W/config.toml" -q poll >"$W/poll.txt"
code=$?
set -e
echo "poll exit code: $code"
grep -E '^FAILED' "$W/poll.txt" || true
tail -1 "$W/poll.txt"
"$BIN" --config "$W/config.toml" items --json >"$W/items.json"
"$BIN" --config "$W/config.toml" sources --json >"$W/sources.json"
python3 - "$W/items.json" "$W/sources.json" <<'PY'
import json, re, sys
items = json.load(open(sys.argv[1])); sources = json.load(open(sys.argv[2]))
n = len(items)
def count(pred): return sum(1 for i in items if pred(i))
words = lambda s: len(s.split())
checks = {
    "empty title": count(lambda i: not i["title"].strip()),
    "link not http(s)": count(lambda i: not re.match(r"https?://", i["link"])),
    "summary with markup (<tag)": count(lambda i: re.search(r"<[a-zA-Z/!]", i["summary"])),
    "summary with entity": count(lambda i: re.search(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);", i["summary"])),
    "summary with […]": count(lambda i: "[…]" in i["summary"] or "[...]" in i["summary"]),
    "summary with 'appeared first on'": count(lambda i: "appeared first on" in i["summary"]),
    "summary with 'Continue reading'": count(lambda i: "Continue reading" in i["summary"]),
    "summary with runs of spaces": count(lambda i: "  " in i["summary"]),
    "summary over 140 words": count(lambda i: words(i["summary"]) > 140),
}
with_author = count(lambda i: i["author"].strip())
credited_by_feed = count(lambda i: i["author"].strip() and i["author"] != i["source"])
empty_sources = [s["name"] for s in sources if s["items"] == 0]
print(f"sources: {len(sources)}, with items: {len(sources) - len(empty_sources)}, without: {empty_sources}")
print(f"items: {n}")
print(f"with an author: {with_author} ({100 * with_author / max(n, 1):.1f}%), named by the feed (not the source-name fallback): {credited_by_feed} ({100 * credited_by_feed / max(n, 1):.1f}%)")
ws = sorted(words(i["summary"]) for i in items)
if ws:
    print(f"summary words: median {ws[len(ws)//2]}, p90 {ws[int(len(ws)*0.9)]}, max {ws[-1]}, empty {sum(1 for w in ws if w == 0)}")
for k, v in checks.items():
    print(f"{k}: {v}")
bad = sum(checks.values())
print("violations:", bad)
PY
