#!/usr/bin/env python3
"""The table of benches/peers/run.sh: medians per configuration and ratios to cohort.

    table.py RAW_CSV [--machine TEXT] [--commit REV] [--runs N]   prints the markdown section
    table.py --insert SECTION_MD RESULTS_MD                       puts a section at the top of RESULTS.md

RAW_CSV has the kit's run_bench.py columns plus `cores` and `equal`. Each peer row is set against
cohort at the same core count (cohort --workers 1 for one thread or process, --workers 2 for two):
"cohort ×" is cohort's events/s over the row's, "RSS / cohort" the row's peak RSS over cohort's.
Standard library only, so it runs with any python3.
"""
import argparse
import csv
import datetime
import statistics
import sys
from collections import defaultdict


def summarize(path):
    groups = defaultdict(list)
    order = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            key = (row["job"], int(row["n"]), row["engine"], row["config"], int(row["cores"]))
            if key not in groups:
                order.append(key)
            groups[key].append(row)
    stats = {}
    for key, rows in groups.items():
        ok = [r for r in rows if r["exit"] == "0"]
        walls = [float(r["wall_s"]) for r in ok]
        stats[key] = {
            "runs": len(ok),
            "of": len(rows),
            "median": statistics.median(walls) if walls else None,
            "min": min(walls) if walls else None,
            "max": max(walls) if walls else None,
            "rss": statistics.median(int(r["max_rss_kb"]) / 1024 for r in ok) if ok else None,
            "cpu": statistics.median(float(r["cpu_pct"].rstrip("%") or 0) for r in ok) if ok else None,
            "equal": all(r["equal"] == "EQUAL" for r in rows),
        }
    return order, stats


def table(order, stats):
    lines = [
        "| job | events | engine | configuration | cores | runs | median wall s | min–max s | events/s "
        "| peak RSS MiB | CPU % | cohort × | RSS / cohort | result = cohort's |",
        "|---|---:|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    engines = {"cohort": 0, "pathway": 1, "bytewax": 2}
    for key in sorted(order, key=lambda k: (k[0], k[1], k[4], engines.get(k[2], 9), k[3])):
        job, n, engine, config, cores = key
        s = stats[key]
        if s["median"] is None:
            lines.append(f"| {job} | {n:,} | {engine} | {config} | {cores} | 0/{s['of']} | failed "
                         "| | | | | | | no |")
            continue
        eps = n / s["median"]
        base = next((stats[k] for k in order
                     if k[:2] == (job, n) and k[2] == "cohort" and k[4] == cores
                     and stats[k]["median"] is not None), None)
        if base is None:
            speed = rss = "–"
        else:
            speed = f"{(n / base['median']) / eps:.1f}"
            rss = f"{s['rss'] / base['rss']:.2f}"
        lines.append(
            f"| {job} | {n:,} | {engine} | {config} | {cores} | {s['runs']}/{s['of']} | {s['median']:.2f} "
            f"| {s['min']:.2f}–{s['max']:.2f} | {eps:,.0f} | {s['rss']:,.0f} | {s['cpu']:.0f} "
            f"| {speed} | {rss} | {'yes' if s['equal'] else 'NO'} |"
        )
    return "\n".join(lines)


def insert(section_path, results_path):
    """Puts the section after RESULTS.md's introduction (before its first `## ` heading)."""
    with open(section_path) as f:
        section = f.read().rstrip("\n") + "\n\n"
    with open(results_path) as f:
        text = f.read()
    at = text.find("\n## ")
    at = len(text) if at < 0 else at + 1
    with open(results_path, "w") as f:
        f.write(text[:at] + section + text[at:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("raw", nargs="?")
    ap.add_argument("--machine", default="")
    ap.add_argument("--commit", default="")
    ap.add_argument("--runs", default="")
    ap.add_argument("--insert", nargs=2, metavar=("SECTION_MD", "RESULTS_MD"))
    a = ap.parse_args()
    if a.insert:
        insert(*a.insert)
        return
    if not a.raw:
        ap.error("RAW_CSV is required")
    order, stats = summarize(a.raw)
    today = datetime.date.today().isoformat()
    print(f"## {today} — cohort against Pathway and Bytewax on the reference jobs (issue 9)\n")
    print(f"`benches/peers/run.sh` (RUNS={a.runs}) at {a.commit}, on {a.machine}: the peers' kit "
          "(`../shared/bench/peers/`) inputs and job scripts, pathway 0.33.0 and bytewax 0.21.1 from "
          "PyPI, cohort's `cohort-benches reference`; each configuration once per round, alternating, "
          "under `/usr/bin/time -v`; events/s is events / median wall of the whole process. Every "
          "result was checked with the kit's `compare.py` against cohort's (and cohort's against "
          "compare.py's plain-Python reference).\n")
    print(table(order, stats))
    if not all(s["equal"] for s in stats.values()):
        print("\n**Some results differ from cohort's or failed** (see compare.log of the run).")


if __name__ == "__main__":
    sys.exit(main())
