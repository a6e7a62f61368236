#!/usr/bin/env bash
# Installs the Python packages the tests use into a cached virtualenv, once. Idempotent.
# pyarrow: a second Parquet reader. confluent-kafka: an independent Kafka client (librdkafka 2.12+).
set -euo pipefail
source "$(dirname "$0")/env.sh"
if ! "$COHORT_PYTHON" -c 'import pyarrow, confluent_kafka' 2>/dev/null; then
  echo "setting up $COHORT_VENV (pyarrow, confluent-kafka)" >&2
  [[ -x "$COHORT_PYTHON" ]] || python3 -m venv "$COHORT_VENV"
  "$COHORT_PYTHON" -m pip install --quiet --disable-pip-version-check 'pyarrow>=15' 'confluent-kafka>=2.12'
fi
"$COHORT_PYTHON" -c 'import pyarrow, confluent_kafka as k; print("pyarrow", pyarrow.__version__, "confluent-kafka", k.version(), "librdkafka", k.libversion())' >&2
