#!/usr/bin/env bash
# Scaling curve of the whole `cohort run` path (issue 9): events/s, CPU and peak memory on generated
# traffic of several sizes, with 1 and 2 workers, each run on a fresh data directory under
# /usr/bin/time -v. A benchmark, run by hand; it prints a Markdown table for benches/RESULTS.md.
#
#   benches/scaling.sh [--events "1000000 5000000 20000000"] [--workers "1 2"] [--recs]
#
# Embedded defaults otherwise (forecasts and moderation on, recommendations off unless --recs).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

SIZES="1000000 5000000 20000000"
WORKERS="1 2"
RECS=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    --events) SIZES="$2"; shift 2 ;;
    --workers) WORKERS="$2"; shift 2 ;;
    --recs) RECS=true; shift ;;
    *) echo "unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done

COHORT="$CARGO_TARGET_DIR/release/cohort"
# The whole workspace, as the test suite builds it: one package alone unifies other dependency
# features and would rebuild half the tree.
[[ -x "$COHORT" ]] || cargo build --workspace --release --bins >&2
WORK="$(mktemp -d -t cohort-scaling-XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

echo "| events | workers | recs | wall s | events/s | user s | sys s | CPU % | peak RSS MB |"
echo "|---|---|---|---|---|---|---|---|---|"
for n in $SIZES; do
  for w in $WORKERS; do
    data="$WORK/data"
    rm -rf "$data"
    COHORT__RECS__ENABLED=$RECS /usr/bin/time -v -o "$WORK/time" \
      "$COHORT" run --source generate --events "$n" --workers "$w" --data-dir "$data" \
      >"$WORK/out" 2>"$WORK/err" || { cat "$WORK/err" >&2; exit 1; }
    python3 - "$WORK/time" "$n" "$w" "$RECS" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def field(name):
    return re.search(re.escape(name) + r":\s*(.+)", text).group(1).strip()
wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss)")
parts = [float(p) for p in wall.split(":")]
seconds = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
n, w, recs = int(sys.argv[2]), sys.argv[3], sys.argv[4]
user, sys_ = float(field("User time (seconds)")), float(field("System time (seconds)"))
rss = int(field("Maximum resident set size (kbytes)")) / 1024
cpu = field("Percent of CPU this job got")
print(f"| {n:,} | {w} | {recs} | {seconds:.1f} | {n / seconds:,.0f} | {user:.1f} | {sys_:.1f} | {cpu} | {rss:,.0f} |")
PY
    rm -rf "$data"
  done
done
