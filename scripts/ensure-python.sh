#!/usr/bin/env bash
# Installs the Python packages the tests use into a cached virtualenv, once. Idempotent.
set -euo pipefail
source "$(dirname "$0")/env.sh"
if ! "$COHORT_PYTHON" -c 'import pyarrow' 2>/dev/null; then
  echo "setting up $COHORT_VENV (pyarrow)" >&2
  python3 -m venv "$COHORT_VENV"
  "$COHORT_PYTHON" -m pip install --quiet --disable-pip-version-check 'pyarrow>=15'
fi
"$COHORT_PYTHON" -c 'import pyarrow; print("pyarrow", pyarrow.__version__)' >&2
