#!/usr/bin/env bash
# A real community replayed: one site of a Stack Exchange data dump through Kafka and every job.
#
#   scripts/replay-stackexchange.sh [DUMP_DIR]      default: ../shared/data/se-history-meta
#
# 1. `cohort import stackexchange` converts the dump (Posts, Comments, Users and, when present, Votes)
#    into time-ordered cohort events;
# 2. a Kafka broker of this replay's own (Tansu, via scripts/kafka-broker.sh, in the work directory)
#    starts on a free port, and `cohort produce` loads the events into its cohort.* topics;
# 3. `cohort run --source kafka --exit-when-caught-up`, with recommendations on, reads them to the end
#    of the topics, commits and exits;
# 4. the summary: recommendation coverage, the forecast table, alerts by kind.
#
# Environment: COHORT_REPLAY_DIR (work directory, default a new temporary one; it keeps the events,
# the data directory and the broker's data), COHORT_REPLAY_WORKERS (timely workers, default 2),
# COHORT_BIN (a built cohort binary; default: build it with cargo). The broker is stopped and its data
# removed at the end; the events and the data directory stay for `cohort query`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

DUMP="${1:-../shared/data/se-history-meta}"
WORK="${COHORT_REPLAY_DIR:-$(mktemp -d -t cohort-se-replay-XXXXXX)}"
WORKERS="${COHORT_REPLAY_WORKERS:-2}"
mkdir -p "$WORK"
EVENTS="$WORK/events.jsonl"
DATA="$WORK/data"

if [[ -z "${COHORT_BIN:-}" ]]; then
  cargo build --workspace --release --bins --quiet
  COHORT_BIN="$CARGO_TARGET_DIR/release/cohort"
fi

step() { printf '\n== %s\n' "$*"; }

step "import: $DUMP"
"$COHORT_BIN" import stackexchange "$DUMP" --out "$EVENTS"

step "broker"
# This replay's own broker and topics: nothing it produces mixes with another broker's data.
export COHORT_KAFKA_DIR="$WORK/kafka"
trap 'scripts/kafka-broker.sh stop' EXIT
BROKERS="$(scripts/kafka-broker.sh start)"
echo "kafka at $BROKERS"

step "produce"
"$COHORT_BIN" produce "$EVENTS" --brokers "$BROKERS"

step "run: Kafka → $DATA (recommendations on, $WORKERS workers)"
COHORT__RECS__ENABLED=true "$COHORT_BIN" run --source kafka --brokers "$BROKERS" \
  --exit-when-caught-up --workers "$WORKERS" --data-dir "$DATA"

q() { "$COHORT_BIN" query --data-dir "$DATA" "$@"; }
db() { sqlite3 -header -column "$DATA/serving.db" "$@"; }
scalar_lake() { "$COHORT_BIN" query --data-dir "$DATA" --format csv "$1" | tail -n 1; }
scalar_db() { sqlite3 "$DATA/serving.db" "$1"; }

step "recommendations coverage"
members="$(scalar_lake "SELECT count(DISTINCT user_id) FROM events_member")"
active="$(scalar_lake "SELECT count(DISTINCT user_id) FROM (
  SELECT user_id FROM events_view UNION ALL SELECT user_id FROM events_like
  UNION ALL SELECT user_id FROM events_chat)")"
items="$(scalar_lake "SELECT count(DISTINCT item_id) FROM events_item")"
with_recs="$(scalar_db "SELECT count(DISTINCT user_id) FROM recommendations")"
recommended="$(scalar_db "SELECT count(DISTINCT item_id) FROM recommendations")"
similar="$(scalar_db "SELECT count(DISTINCT item_id) FROM similar_items")"
trending="$(scalar_db "SELECT count(*) FROM trending_items")"
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f%%", (b > 0 ? 100 * a / b : 0) }'; }
echo "members with recommendations: $with_recs / $members joined ($(pct "$with_recs" "$members")); $with_recs / $active who interacted ($(pct "$with_recs" "$active"))"
echo "items recommended:            $recommended / $items ($(pct "$recommended" "$items"))"
echo "items with similar items:     $similar / $items ($(pct "$similar" "$items"));  trending list: $trending items"
db "SELECT reason = 'trending' AS from_trending, count(*) AS rows, count(DISTINCT user_id) AS members
    FROM recommendations GROUP BY 1"

step "forecast table (serving: each series' current 48-hour forecast)"
db "SELECT channel_id, metric, min(hour) AS from_hour, round(sum(yhat), 1) AS next_48h,
      round(min(lo95), 2) AS min_lo95, round(max(hi95), 2) AS max_hi95, model
    FROM forecasts GROUP BY community_id, channel_id, metric, model ORDER BY channel_id, metric"
step "forecasts as issued (lake), one hour ahead, against what happened"
q "SELECT f.channel_id, f.metric, count(*) AS hours, round(avg(a.value), 3) AS mean_value,
     round(avg(abs(a.value - f.yhat)), 3) AS mae,
     round(avg(CASE WHEN a.value BETWEEN f.lo95 AND f.hi95 THEN 1.0 ELSE 0.0 END), 3) AS in_95
   FROM forecasts f JOIN activity_hourly a
     ON f.community_id = a.community_id AND f.channel_id = a.channel_id
    AND f.metric = a.metric AND f.ts = a.ts
   WHERE f.horizon = 1 GROUP BY 1, 2 ORDER BY 1, 2"

step "alerts by kind"
db "SELECT kind, count(*) AS alerts, sum(status = 'open') AS open FROM alerts GROUP BY kind ORDER BY kind"
db "SELECT kind, rule, severity, count(*) AS alerts FROM alerts GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"

echo
echo "events: $EVENTS   data directory: $DATA (try: $COHORT_BIN query --data-dir $DATA \"SELECT ...\")"
