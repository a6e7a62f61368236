#!/usr/bin/env bash
# cohort against the peers (Pathway, Bytewax) on the reference jobs of the peers' kit
# (../shared/bench/peers/README.md): same inputs, same results, measured side by side.
#
#   benches/peers/run.sh [--setup] [--into-results]
#
# 1. Virtualenvs of the pinned peers from PyPI (pathway==0.33.0, bytewax==0.21.1) in a cache directory
#    outside the clone; kept between runs, re-created only when the pinned version is missing.
# 2. Inputs from the kit's gen_events.py: 1M and 5M events for J1, 200k for J2 (kept, re-made only
#    when the line count is off).
# 3. Rounds: every configuration once per round, cohort and the peers alternating (A B A B), RUNS
#    rounds, each run under /usr/bin/time -v.
# 4. Every result checked with the kit's compare.py against cohort's (cohort's first result of each
#    input also against compare.py's plain-Python reference); a mismatch fails the script.
# 5. A markdown table (median wall, events/s, peak RSS, CPU%, ratios to cohort at the same core
#    count) printed and written to $WORK/table.md; --into-results also puts it, with the machine and
#    the commit, at the top of benches/RESULTS.md.
#
# --setup stops after steps 1 and 2. It is a benchmark for an idle machine, run by hand; the test
# suite only checks cohort's results on a small input (benches/tests/reference.rs).
#
# Environment: RUNS (3), J1_SIZES ("1000000 5000000"), J2_SIZE (200000), PEERS_KIT (the kit,
# default ../shared/bench/peers beside the clone), PEERS_CACHE (virtualenvs and inputs, default
# ~/.cache/cohort/peers), WORK (outputs of this invocation, default $PEERS_CACHE/runs/<time>),
# CONFIGS (space-separated subset of: cohort-w1 cohort-w2 pathway-t1 pathway-t2 bytewax-w1
# bytewax-p2; default all).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../scripts/env.sh
source "$ROOT/scripts/env.sh"

SETUP_ONLY=0
INTO_RESULTS=0
for arg in "$@"; do
    case "$arg" in
        --setup) SETUP_ONLY=1 ;;
        --into-results) INTO_RESULTS=1 ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown argument: $arg" >&2; exit 2 ;;
    esac
done

RUNS=${RUNS:-3}
J1_SIZES=${J1_SIZES-"1000000 5000000"}
J2_SIZE=${J2_SIZE:-200000}
KIT=${PEERS_KIT:-$ROOT/../shared/bench/peers}
CACHE=${PEERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cohort/peers}
WORK=${WORK:-$CACHE/runs/$(date -u +%Y%m%dT%H%M%SZ)}
CONFIGS=${CONFIGS:-"cohort-w1 cohort-w2 pathway-t1 pathway-t2 bytewax-w1 bytewax-p2"}
PATHWAY_PIN=pathway==0.33.0
BYTEWAX_PIN=bytewax==0.21.1

[ -f "$KIT/gen_events.py" ] || { echo "no peers' kit at $KIT (set PEERS_KIT)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
mkdir -p "$CACHE/data"

# --- 1. virtualenvs ---------------------------------------------------------------------------
# venv DIR PIN: a virtualenv at DIR with the pinned package, unless it already has that version.
venv() {
    local dir=$1 pin=$2
    local name=${pin%%==*} version=${pin#*==}
    if [ -x "$dir/bin/python" ] && "$dir/bin/python" -c \
        "import importlib.metadata as m, sys; sys.exit(m.version('$name') != '$version')" 2>/dev/null; then
        return
    fi
    echo "creating $dir with $pin" >&2
    python3 -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check "$pin"
}
venv "$CACHE/pw" "$PATHWAY_PIN"
venv "$CACHE/bw" "$BYTEWAX_PIN"

# --- 2. inputs --------------------------------------------------------------------------------
input() { echo "$CACHE/data/events_$1.jsonl"; }
for n in $J1_SIZES $J2_SIZE; do
    file=$(input "$n")
    if [ ! -f "$file" ] || [ "$(wc -l <"$file")" -ne "$n" ]; then
        echo "generating $file" >&2
        python3 "$KIT/gen_events.py" "$n" "$file.part"
        mv "$file.part" "$file"
    fi
done
[ "$SETUP_ONLY" = 1 ] && { echo "virtualenvs and inputs ready in $CACHE"; exit 0; }

# --- 3. runs ----------------------------------------------------------------------------------
(cd "$ROOT" && cargo build --workspace --release --quiet --bins)
COHORT="$CARGO_TARGET_DIR/release/cohort-benches"
mkdir -p "$WORK/out" "$WORK/logs"
RAW="$WORK/raw_timings.csv"
echo "engine,config,cores,job,n,run,wall_s,max_rss_kb,user_s,sys_s,cpu_pct,exit,equal,output,command" >"$RAW"
FAILED=0

# The command of configuration $1 for job $2 (J1|J2) on input $3 writing $4, one word per line.
command_of() {
    local config=$1 job=$2 in=$3 out=$4 cj pj
    [ "$job" = J1 ] && { cj=count; pj=j1_count.py; } || { cj=cooc; pj=j2_cooc.py; }
    case "$config" in
        cohort-w1) printf '%s\n' "$COHORT" reference --job "$cj" --input "$in" --out "$out" --workers 1 ;;
        cohort-w2) printf '%s\n' "$COHORT" reference --job "$cj" --input "$in" --out "$out" --workers 2 ;;
        pathway-t1) printf '%s\n' env PATHWAY_THREADS=1 "$CACHE/pw/bin/python" "$KIT/pathway/$pj" "$in" "$out" ;;
        pathway-t2) printf '%s\n' env PATHWAY_THREADS=2 "$CACHE/pw/bin/python" "$KIT/pathway/$pj" "$in" "$out" ;;
        bytewax-w1) printf '%s\n' env PEER_INPUT="$in" PEER_OUTPUT="$out" \
            "$CACHE/bw/bin/python" -m bytewax.run "$KIT/bytewax/$pj" -w 1 ;;
        bytewax-p2) printf '%s\n' env PEER_INPUT="$in" PEER_OUTPUT="$out" PEER_REDISTRIBUTE=1 \
            "$CACHE/bw/bin/python" -m bytewax.testing "$KIT/bytewax/$pj" -p 2 -w 1 ;;
        *) echo "unknown configuration $config" >&2; exit 2 ;;
    esac
}

# engine, shown configuration and cores of a configuration.
describe() {
    case "$1" in
        cohort-w1) echo "cohort,--workers 1,1" ;;
        cohort-w2) echo "cohort,--workers 2,2" ;;
        pathway-t1) echo "pathway,PATHWAY_THREADS=1,1" ;;
        pathway-t2) echo "pathway,PATHWAY_THREADS=2,2" ;;
        bytewax-w1) echo "bytewax,-w 1,1" ;;
        bytewax-p2) echo "bytewax,-p 2 -w 1 +redistribute,2" ;;
    esac
}

# A field of /usr/bin/time -v's report in file $1 (label $2).
time_field() { sed -n "s/^[[:space:]]*$2: //p" "$1" | head -n 1; }

# Seconds of an h:mm:ss or m:ss time.
seconds() { awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s }' <<<"$1"; }

# compare CONFIG OUT INPUT JOB: checks OUT equals cohort's result for INPUT with the kit's
# compare.py (cohort's file in whichever slot the other format does not take); prints EQUAL or
# MISMATCH. The first cohort result of an input becomes the one all others are checked against,
# after compare.py's plain-Python reference has confirmed it.
compare() {
    local config=$1 out=$2 in=$3 job=$4 key=$5 kj log
    kj=$(tr 'J' 'j' <<<"$job")
    local ref="$WORK/out/cohort_reference_$key.csv" ref_pw="$WORK/out/cohort_reference_${key}_as_pathway.csv"
    log="$WORK/logs/compare.log"
    if [ ! -f "$ref" ]; then
        case "$config" in cohort-*) ;; *) echo "NO-COHORT-RESULT"; return ;; esac
        cp "$out" "$ref"
        # cohort's result as a Pathway changelog (each row inserted once), so that compare.py can
        # take it in the Pathway slot against a Bytewax-format file.
        { echo "k1,k2,k3,count,time,diff"; sed 's/$/,0,1/' "$ref"; } >"$ref_pw"
        echo "== cohort $key vs compare.py's reference" >>"$log"
        python3 "$KIT/compare.py" "$ref_pw" "$ref" --reference "$in" --job "$kj" >>"$log" 2>&1 ||
            { echo "MISMATCH"; return; }
    fi
    echo "== $config $out" >>"$log"
    local ok=0
    case "$config" in
        pathway-*) python3 "$KIT/compare.py" "$out" "$ref" >>"$log" 2>&1 && ok=1 ;;
        *) python3 "$KIT/compare.py" "$ref_pw" "$out" >>"$log" 2>&1 && ok=1 ;;
    esac
    [ "$ok" = 1 ] && echo EQUAL || echo MISMATCH
}

run_job() {
    local job=$1 n=$2 in key
    in=$(input "$n")
    key="${job}_$n"
    for r in $(seq 1 "$RUNS"); do
        for config in $CONFIGS; do
            local out="$WORK/out/${config}_${key}_r$r.csv" timef="$WORK/logs/${config}_${key}_r$r.time"
            local logf="$WORK/logs/${config}_${key}_r$r.log"
            mapfile -t cmd < <(command_of "$config" "$job" "$in" "$out")
            rm -f "$out"
            /usr/bin/time -v -o "$timef" "${cmd[@]}" >"$logf" 2>&1 || true
            local wall rss user sys cpu status equal
            wall=$(seconds "$(time_field "$timef" 'Elapsed (wall clock) time (h:mm:ss or m:ss)')")
            rss=$(time_field "$timef" 'Maximum resident set size (kbytes)')
            user=$(time_field "$timef" 'User time (seconds)')
            sys=$(time_field "$timef" 'System time (seconds)')
            cpu=$(time_field "$timef" 'Percent of CPU this job got')
            status=$(time_field "$timef" 'Exit status')
            status=${status:-$(grep -o 'exited with non-zero status [0-9]*' "$timef" | grep -o '[0-9]*$' || echo 1)}
            if [ "$status" = 0 ] && [ -s "$out" ]; then
                equal=$(compare "$config" "$out" "$in" "$job" "$key")
            else
                equal=FAILED
            fi
            [ "$equal" = EQUAL ] || FAILED=1
            echo "$(describe "$config"),$job,$n,$r,$wall,$rss,$user,$sys,$cpu,$status,$equal,$out,\"${cmd[*]}\"" >>"$RAW"
            printf '%s %s run %s: %ss, %s MiB, CPU %s, exit %s, %s\n' "$config" "$key" "$r" "$wall" \
                "$(( ${rss:-0} / 1024 ))" "$cpu" "$status" "$equal"
        done
    done
}

for n in $J1_SIZES; do run_job J1 "$n"; done
run_job J2 "$J2_SIZE"

# --- 5. table ---------------------------------------------------------------------------------
MACHINE="$(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), \
$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
COMMIT="$(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- . 2>/dev/null || echo '+changes')"
python3 "$ROOT/benches/peers/table.py" "$RAW" --machine "$MACHINE" --commit "$COMMIT" --runs "$RUNS" \
    >"$WORK/table.md"
cat "$WORK/table.md"
if [ "$INTO_RESULTS" = 1 ]; then
    python3 "$ROOT/benches/peers/table.py" --insert "$WORK/table.md" "$ROOT/benches/RESULTS.md"
    echo "table added to benches/RESULTS.md"
fi
echo "raw timings: $RAW; compare.py log: $WORK/logs/compare.log"
if [ "$FAILED" = 1 ]; then
    echo "some runs failed or differ from cohort's result (see the equal column)" >&2
    exit 1
fi
