# Shared settings of cohort's scripts (sourced, not run).
# Build output lives outside the clone so fresh clones (and CI) reuse one warm cache.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cohort/target}"
# Python tools the tests use (pyarrow as a second Parquet reader) live in a cached virtualenv.
export COHORT_VENV="${COHORT_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/cohort/venv}"
export COHORT_PYTHON="$COHORT_VENV/bin/python"
