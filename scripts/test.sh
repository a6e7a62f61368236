#!/usr/bin/env bash
# The whole test suite, on a fresh machine or a warm one: installs and starts what the tests need
# (idempotently: Python readers and clients, a Tansu Kafka broker, PostgreSQL), builds once in release mode,
# runs the doctests, then every test with cargo nextest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
scripts/ensure-python.sh
# A real Kafka-protocol broker for the Kafka tests, stopped (and its data removed) when the suite ends.
export COHORT_KAFKA_DIR="${COHORT_KAFKA_DIR:-$(mktemp -d -t cohort-kafka-XXXXXX)}"
trap 'scripts/kafka-broker.sh stop' EXIT
COHORT_KAFKA_BROKERS="$(scripts/kafka-broker.sh start)"
export COHORT_KAFKA_BROKERS
# A PostgreSQL server for the serving-backend tests (started, or installed, when missing).
{ read -r COHORT_POSTGRES_URL; read -r COHORT_PG_BINDIR; } < <(scripts/postgres.sh)
export COHORT_POSTGRES_URL COHORT_PG_BINDIR
# Doctests first: nextest does not run them, and its summary should be the last word.
cargo test --workspace --release --doc
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --release --no-fail-fast "$@"
else
  echo "cargo-nextest not found; falling back to cargo test" >&2
  cargo test --workspace --release --no-fail-fast "$@"
fi
