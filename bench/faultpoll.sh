#!/usr/bin/env bash
# One poll, with default [http] settings, of 53 sources: 2 good feeds and 9 misbehaving servers
# (bench/faults.py: no answer, one byte a second, an endless body, a gzip bomb, 500 then 200,
# 429, 410, a redirect loop, an HTML page) plus 42 bad files (the corpus's bad inputs and corpus
# feeds cut in half). Prints the poll's wall time and each source's line; asserts nothing.
#
# Usage: bench/faultpoll.sh [BIN=target/release/roundup]   (needs ../shared/corpus)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-target/release/roundup}")
CORPUS=${CORPUS:-../shared/corpus}
PORT=${PORT:-18950}
[ -x "$BIN" ] || { echo "no roundup at $BIN: run cargo build --release first" >&2; exit 2; }
W=$(mktemp -d -t roundup-faults.XXXX)
python3 bench/faults.py "$PORT" & SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$W"' EXIT
mkdir -p "$W/files"
{
  printf '[store]\npath = "state/roundup.db"\n\n[roundup]\nsince = "2000-01-01"\n'
  for p in good/1 good/2 hang trickle endless bomb flaky busy gone loop page; do
    printf '\n[[source]]\nname = "%s"\nurl = "http://127.0.0.1:%s/%s"\n' "$p" "$PORT" "$p"
  done
  n=0
  for f in "$CORPUS"/bad/*; do
    n=$((n + 1)); cp "$f" "$W/files/"
    printf '\n[[source]]\nname = "bad %s"\nurl = "file:files/%s"\n' "$(basename "$f")" "$(basename "$f")"
  done
  for f in $(ls "$CORPUS"/feeds/* | head -$((42 - n))); do
    b=$(basename "$f"); s=$(stat -c %s "$f"); head -c $((s / 2)) "$f" > "$W/files/half-$b"
    printf '\n[[source]]\nname = "half %s"\nurl = "file:files/half-%s"\n' "$b" "$b"
  done
} > "$W/roundup.toml"
echo "sources: $(grep -c '^\[\[source' "$W/roundup.toml")"
for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.2; done
start=$(date +%s.%N)
set +e
"$BIN" --config "$W/roundup.toml" poll > "$W/poll.txt" 2> "$W/poll.err"
rc=$?
set -e
end=$(date +%s.%N)
cat "$W/poll.txt"
printf 'exit %s; poll took %.1f s\n' "$rc" "$(echo "$end - $start" | bc)"
