#!/usr/bin/env bash
# A real Kafka-protocol broker (Tansu) for tests and demos, on a free loopback port.
#
#   scripts/kafka-broker.sh install          install Tansu once into the cache (start does it too)
#   scripts/kafka-broker.sh start            install Tansu once (cached), start it, create the cohort.* topics,
#                                            print the broker address; does nothing if it already runs
#   scripts/kafka-broker.sh stop             stop it and delete its data
#   scripts/kafka-broker.sh restart          stop the process and start it again on the same port and data
#   scripts/kafka-broker.sh topics PREFIX [N] create PREFIX{views,...,erasures,dead_letters,alerts} with N partitions
#   scripts/kafka-broker.sh brokers | pid    print the address or the process id
#
# State lives in $COHORT_KAFKA_DIR (default: a directory under the system's temporary directory). The
# broker stores its data in SQLite at a path relative to that directory, so a restart keeps the data.
# Note: Debian's kcat 1.7 (librdkafka 2.0) cannot talk to Tansu; librdkafka 2.12+ (cohort's, Python's
# confluent-kafka) can.
set -euo pipefail
source "$(dirname "$0")/env.sh"

TANSU_VERSION=0.6.0
TOOLS="${COHORT_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/cohort/tools}"
TANSU="$TOOLS/bin/tansu"
STATE="${COHORT_KAFKA_DIR:-${TMPDIR:-/tmp}/cohort-kafka-$(id -u)}"
TOPIC_KEYS=(views likes payments chat items members checkins erasures dead_letters alerts)
PARTITIONS="${COHORT_KAFKA_PARTITIONS:-3}"

installed() {
  [[ -x "$TANSU" ]] && "$TANSU" --version 2>/dev/null | grep -q "$TANSU_VERSION"
}

install_tansu() {
  installed && return
  mkdir -p "$TOOLS"
  # One install at a time (CI starts one in the background while it builds).
  exec 8>"$TOOLS/tansu-install.lock"
  flock 8
  if ! installed; then
    echo "installing tansu $TANSU_VERSION into $TOOLS (once; about 20 minutes on 2 cores)" >&2
    # In cargo's own temporary target directory: cohort's build cache (CARGO_TARGET_DIR) would make
    # this install and cohort's build wait on each other's lock.
    env -u CARGO_TARGET_DIR cargo install tansu --version "$TANSU_VERSION" \
      --features dynostore,libsql --locked --root "$TOOLS" --quiet
  fi
  exec 8>&-
}

pid() { cat "$STATE/pid" 2>/dev/null || true; }
port() { cat "$STATE/port" 2>/dev/null || true; }

running() {
  local p
  p="$(pid)"
  [[ -n "$p" ]] && kill -0 "$p" 2>/dev/null
}

answers() {
  (exec 3<>"/dev/tcp/127.0.0.1/$(port)") 2>/dev/null
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

launch() {
  local port="$1"
  (
    cd "$STATE"
    nohup "$TANSU" broker \
      --kafka-listener-url "tcp://127.0.0.1:$port" \
      --kafka-advertised-listener-url "tcp://127.0.0.1:$port" \
      --storage-engine "sqlite://tansu.db" \
      >>"$STATE/broker.log" 2>&1 8>&- 9>&- &
    echo $! >"$STATE/pid"
  )
  echo "$port" >"$STATE/port"
  for _ in $(seq 1 300); do
    if answers; then
      return
    fi
    if ! running; then
      echo "tansu exited; its log:" >&2
      tail -n 30 "$STATE/broker.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "tansu did not answer on 127.0.0.1:$port within 30 s; see $STATE/broker.log" >&2
  exit 1
}

create_topics() {
  local prefix="$1" partitions="$2" key
  for key in "${TOPIC_KEYS[@]}"; do
    # An existing topic is fine: creation is idempotent for our purposes.
    "$TANSU" topic create "$prefix$key" --partitions "$partitions" \
      --broker "tcp://127.0.0.1:$(port)" >>"$STATE/topics.log" 2>&1 || true
  done
}

stop_process() {
  local p
  p="$(pid)"
  if [[ -n "$p" ]] && kill -0 "$p" 2>/dev/null; then
    kill -CONT "$p" 2>/dev/null || true
    kill "$p" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$p" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$p" 2>/dev/null || true
  fi
  rm -f "$STATE/pid"
}

case "${1:-}" in
  install)
    install_tansu
    ;;
  start)
    install_tansu
    mkdir -p "$STATE"
    # One start at a time (parallel tests may all ask for the broker); the broker itself does not
    # inherit the lock (see launch).
    exec 9>"$STATE/lock"
    flock 9
    if ! running || ! answers; then
      stop_process
      launch "$(port | grep . || free_port)"
      create_topics "cohort." "$PARTITIONS"
      echo "tansu $TANSU_VERSION on 127.0.0.1:$(port) (data in $STATE)" >&2
    fi
    echo "127.0.0.1:$(port)"
    ;;
  stop)
    stop_process
    rm -rf "$STATE"
    ;;
  restart)
    exec 9>"$STATE/lock"
    flock 9
    stop_process
    launch "$(port)"
    echo "127.0.0.1:$(port)"
    ;;
  topics)
    prefix="${2:?usage: kafka-broker.sh topics PREFIX [PARTITIONS]}"
    create_topics "$prefix" "${3:-$PARTITIONS}"
    ;;
  brokers)
    echo "127.0.0.1:$(port)"
    ;;
  pid)
    pid
    ;;
  *)
    sed -n '2,13p' "$0" >&2
    exit 2
    ;;
esac
