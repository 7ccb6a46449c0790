#!/usr/bin/env bash
# Whole-program figures: polls of generated feeds served by nginx on 127.0.0.1, and drafts
# over large stores. Prints wall seconds and peak memory; asserts nothing.
#
#   cold   first poll into an empty store (every feed 200, every post new)
#   warm   the same poll again (every feed 304 Not Modified)
#   warm again  the warm poll once more: the first command to open a store after a large
#          write pays for sled reading that write back from its log (sled 0.34 brings its
#          snapshot up to date only when it opens a store)
#   draft  `draft --no-poll` over the store the cold poll filled (N x POSTS unseen)
#   big    with BIG=1000000 (the default; BIG=0 skips it): a store already holding BIG
#          published posts (in its archive, which fill_store opens again once it has written
#          it, for the same catching up), opened once more (`sources`, printed), then the cold
#          and warm polls of 1000 feeds into it, and a draft of the 50 unseen posts of a store
#          of BIG published ones (opened once before, likewise)
#
# Usage: bench/poll.sh [SIZES="100 1000 5000"] [BIN=target/release/roundup]
#        (POSTS=20 posts per feed; KEEP=1 keeps the work folder; needs nginx, installed
#        with apt-get when missing; the big store is made by examples/fill_store)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${1:-100 1000 5000}
BIN=$(realpath "${2:-target/release/roundup}")
POSTS=${POSTS:-20}
BIG=${BIG:-1000000}
PORT=${PORT:-18932}
[ -x "$BIN" ] || { echo "no roundup at $BIN: run cargo build --release first" >&2; exit 2; }
command -v nginx >/dev/null || { apt-get update -qq && apt-get install -y -qq nginx-light >/dev/null; }

W=$(mktemp -d -t roundup-bench.XXXX)
trap 'nginx -p "$W" -c "$W/nginx.conf" -s stop 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
chmod 755 "$W"
mkdir -p "$W/logs"
MAX=$(echo "$SIZES" | tr ' ' '\n' | sort -n | tail -1)
[ "$BIG" -gt 0 ] && [ "$MAX" -lt 1000 ] && MAX=1000
BASE="http://127.0.0.1:$PORT" python3 bench/genfeeds.py "$W/www" "$MAX" "$POSTS"
cat >"$W/nginx.conf" <<CONF
worker_processes 1;
error_log $W/logs/error.log;
pid $W/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000;
  types { application/rss+xml xml; application/feed+json json; }
  server { listen 127.0.0.1:$PORT; root $W/www; etag on; }
}
CONF
nginx -p "$W" -c "$W/nginx.conf"

config() { # config FEEDS STORE: FEEDS sources, the store at STORE
  printf '[roundup]\nsince = "2000-01-01"\n\n[store]\npath = "%s"\n\n[shortener]\nkind = "none"\n' "$2"
  for ((i = 0; i < $1; i++)); do
    ext=xml; [ $((i % 6)) -eq 5 ] && ext=json
    printf '\n[[source]]\nname = "Blogger %d"\nurl = "http://127.0.0.1:%d/feed%d.%s"\n' "$i" "$PORT" "$i" "$ext"
  done
}

# run LABEL COMMAND...: one timed run: wall seconds and peak memory
run() {
  local label=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$W/rss" "$@" >"$W/out" 2>&1 || { echo "$label failed:" >&2; tail -5 "$W/out" >&2; }
  t1=$(date +%s.%N)
  printf '%-38s %8.3f s %7.1f MiB\n' "$label" "$(echo "$t1 - $t0" | bc)" "$(echo "$(cat "$W/rss") / 1024" | bc -l)"
}

echo "roundup $("$BIN" --version | cut -d' ' -f2), $(nproc) cores; $POSTS posts per feed"
for n in $SIZES; do
  config "$n" "$W/s$n/db" >"$W/s$n.toml"
  bytes=$(for ((i = 0; i < n; i++)); do ls "$W/www/feed$i."*; done | xargs cat | wc -c)
  echo "-- $n feeds, $(echo "$bytes / 1000000" | bc -l | xargs printf '%.1f') MB"
  run "poll, cold ($n feeds)" "$BIN" --config "$W/s$n.toml" -q poll
  run "poll, warm ($n feeds)" "$BIN" --config "$W/s$n.toml" -q poll
  run "poll, warm again ($n feeds)" "$BIN" --config "$W/s$n.toml" -q poll
  run "draft --no-poll ($((n * POSTS)) unseen)" "$BIN" --config "$W/s$n.toml" -q draft --no-poll --out "$W/draft$n.md"
done

if [ "$BIG" -gt 0 ]; then
  FILL="cargo run -q --release --example fill_store --"
  echo "-- a store of $BIG published posts (made by examples/fill_store)"
  $FILL "$W/big/db" "$BIG" 0 >/dev/null
  config 1000 "$W/big/db" >"$W/big.toml"
  run "open after fill_store (sources)" "$BIN" --config "$W/big.toml" -q sources
  run "open again (sources)" "$BIN" --config "$W/big.toml" -q sources
  run "poll, cold (1000 feeds, big store)" "$BIN" --config "$W/big.toml" -q poll
  run "poll, warm (1000 feeds, big store)" "$BIN" --config "$W/big.toml" -q poll
  run "poll, warm again (1000 feeds, big store)" "$BIN" --config "$W/big.toml" -q poll
  $FILL "$W/big50/db" "$BIG" 50 >/dev/null
  $FILL "$W/small50/db" 0 50 >/dev/null
  config 1 "$W/big50/db" >"$W/big50.toml"
  config 1 "$W/small50/db" >"$W/small50.toml"
  "$BIN" --config "$W/big50.toml" -q sources >/dev/null
  "$BIN" --config "$W/small50.toml" -q sources >/dev/null
  run "draft --no-poll (50 of $BIG)" "$BIN" --config "$W/big50.toml" -q draft --no-poll --out "$W/big50.md"
  run "draft --no-poll (50 of 50)" "$BIN" --config "$W/small50.toml" -q draft --no-poll --out "$W/small50.md"
fi
