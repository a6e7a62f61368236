#!/usr/bin/env bash
# Load test of the HTTP API's recommendations route with a real HTTP client (wrk), idle and while
# `cohort run` ingests into the same data directory (issue 7). A benchmark, run by hand; it prints
# requests/s and latency percentiles, which go into benches/RESULTS.md.
#
#   benches/http_load.sh [--events N] [--duration SECONDS] [--connections C] [--threads T]
#                        [--answer-cache-mib MIB]   (0: the server reads the database every request)
#                        [--ingest-events N]        (events of the second run; default: --events)
#                        [--ingest-recs true|false] (recommendations in the second run; default true)
#
# 1. builds a serving database: `cohort generate` 2N events, `cohort run` (recommendations on) over
#    the first N;
# 2. starts `cohort serve` on it with a token scoped to every community (`recs`), rate limit off;
# 3. wrk, idle: GET /v1/communities/{c}/members/{m}/recommendations?k=10 for members drawn in turn
#    from those with recommendations;
# 4. the same while `cohort run` ingests the other N events into the data directory.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

EVENTS=30000
DURATION=20
CONNECTIONS=32
THREADS=1
CACHE_MIB=64
INGEST_EVENTS=""
INGEST_RECS=true
while [[ $# -gt 0 ]]; do
  case "$1" in
    --events) EVENTS="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --answer-cache-mib) CACHE_MIB="$2"; shift 2 ;;
    --ingest-events) INGEST_EVENTS="$2"; shift 2 ;;
    --ingest-recs) INGEST_RECS="$2"; shift 2 ;;
    *) echo "unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done

COHORT="$CARGO_TARGET_DIR/release/cohort"
# The whole workspace, as the test suite builds it: one package alone unifies other dependency
# features and would rebuild half the tree.
[[ -x "$COHORT" ]] || cargo build --workspace --release --bins
if ! command -v wrk >/dev/null; then
  echo "installing wrk from Debian's packages" >&2
  if [[ $(id -u) -eq 0 ]]; then apt-get install -y wrk >&2; else sudo apt-get install -y wrk >&2; fi
fi

WORK="$(mktemp -d -t cohort-http-load-XXXXXX)"
SERVER=""
INGEST=""
cleanup() {
  [[ -n "$INGEST" ]] && { kill "$INGEST" 2>/dev/null; wait "$INGEST" 2>/dev/null; } || true
  [[ -n "$SERVER" ]] && kill "$SERVER" 2>/dev/null || true
  rm -rf "$WORK" || true
}
trap cleanup EXIT

INGEST_EVENTS="${INGEST_EVENTS:-$EVENTS}"
echo "# events: $EVENTS to build the serving tables, $INGEST_EVENTS more ingested during the second load" >&2
"$COHORT" generate --events $((EVENTS + INGEST_EVENTS)) --days 14 --seed 3 --out "$WORK/all.jsonl" >&2
head -n "$EVENTS" "$WORK/all.jsonl" >"$WORK/first.jsonl"
tail -n +"$((EVENTS + 1))" "$WORK/all.jsonl" >"$WORK/second.jsonl"
COHORT__RECS__ENABLED=true "$COHORT" run --source file --input "$WORK/first.jsonl" \
  --data-dir "$WORK/data" >"$WORK/first-run.log" 2>&1

# The members with recommendations, as request paths for wrk. The API takes raw member ids; the
# serving table holds their pseudonyms (`cohort pseudonym` maps one to the other).
python3 - "$WORK/first.jsonl" >"$WORK/raw-members.txt" <<'PY'
import json, sys
seen = set()
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if isinstance(e, dict) and isinstance(e.get("user_id"), str) and e["user_id"] not in seen:
        seen.add(e["user_id"])
        print(e["user_id"])
PY
xargs -a "$WORK/raw-members.txt" -d '\n' "$COHORT" pseudonym --data-dir "$WORK/data" >"$WORK/pseudonyms.tsv"
python3 - "$WORK/data/serving.db" "$WORK/pseudonyms.tsv" "$WORK/paths.txt" <<'PY'
import sqlite3, sys, urllib.parse
raw_of = dict(line.rstrip("\n").split("\t")[::-1] for line in open(sys.argv[2]) if "\t" in line)
rows = sqlite3.connect(sys.argv[1]).execute(
    "SELECT DISTINCT community_id, user_id FROM recommendations ORDER BY 1, 2").fetchall()
with open(sys.argv[3], "w") as out:
    for c, stored in rows:
        m = raw_of.get(stored)
        if m is None:
            continue
        q = urllib.parse.quote
        out.write(f"/v1/communities/{q(c, safe='')}/members/{q(m, safe='')}/recommendations?k=10\n")
PY
MEMBERS=$(wc -l <"$WORK/paths.txt")
[[ "$MEMBERS" -gt 0 ]] || { echo "the first run wrote no recommendations: $WORK/first-run.log" >&2; exit 1; }
echo "# members with recommendations: $MEMBERS" >&2

"$COHORT" token create --communities '*' --scopes recs >"$WORK/token.out"
TOKEN="$(head -n 1 "$WORK/token.out" | awk '{print $NF}')"
tail -n 1 "$WORK/token.out" >"$WORK/tokens"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$COHORT" serve --http "127.0.0.1:$PORT" --data-dir "$WORK/data" --tokens "$WORK/tokens" \
  --rate-limit 0 --answer-cache-mib "$CACHE_MIB" >"$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

cat >"$WORK/paths.lua" <<LUA
local paths = {}
for line in io.lines("$WORK/paths.txt") do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], { ["Authorization"] = "Bearer $TOKEN" })
end
done = function(summary, latency, requests)
  io.write(string.format("non-2xx or errors: %d\n",
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  for _, p in ipairs({ 50, 90, 99, 99.9 }) do
    io.write(string.format("p%s: %.3f ms\n", p, latency:percentile(p) / 1000))
  end
end
LUA

load() {
  echo "## $1: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, $MEMBERS members in turn"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -s "$WORK/paths.lua" "http://127.0.0.1:$PORT" |
    grep -E 'Requests/sec|non-2xx|^p[0-9]|requests in'
}

echo "# answer cache: $CACHE_MIB MiB"
load "idle (no ingest)"
commits() {
  python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT coalesce(max(id), 0) FROM checkpoints").fetchone()[0])' "$WORK/data/serving.db"
}
BEFORE=$(commits)
COHORT__RECS__ENABLED=$INGEST_RECS "$COHORT" run --source file --input "$WORK/second.jsonl" \
  --data-dir "$WORK/data" >"$WORK/second-run.log" 2>&1 &
INGEST=$!
sleep 2
load "while cohort run ingests $INGEST_EVENTS events (recommendations $INGEST_RECS)"
echo "(commits by the ingest during the load: $(( $(commits) - BEFORE )))"
if kill -0 "$INGEST" 2>/dev/null; then
  echo "(the ingest was still running when the load ended)"
else
  wait "$INGEST" && echo "(the ingest finished during the load)" || echo "(the ingest failed: see $WORK/second-run.log)"
  INGEST=""
fi
curl -fsS "http://127.0.0.1:$PORT/metrics" | grep -E '^cohort_http_answer_cache_(hits|misses)_total' || true
