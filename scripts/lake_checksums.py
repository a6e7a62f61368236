#!/usr/bin/env python3
"""Reads every table of a cohort lake with pyarrow (an independent Parquet reader) and prints, as JSON,
each table's row count and column checksums: `sum` of its time column, named in `sum_column` (`ts` for
event, dead-letter, `activity_hourly` and `forecasts` tables, `epoch` for change-record tables,
`last_hour` for `alerts`, `last_seen` for `moderation_alerts`). The Rust test `lake_is_readable_by_pyarrow` compares these with what
DataFusion reads from the same files.

Usage: lake_checksums.py DATA_DIR
"""
import json
import os
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds


def checksums(path):
    table = ds.dataset(path, format="parquet", partitioning="hive").to_table()
    out = {
        "rows": table.num_rows,
        "hours": sorted({int(h) for h in table["hour"].to_pylist()}) if table.num_rows else [],
    }
    # Change-record tables (`recommendations`) carry the change's time in seconds as `epoch`.
    column = next(c for c in ("ts", "epoch", "last_hour", "last_seen") if c in table.column_names)
    out["sum_column"] = column
    out["sum"] = pc.sum(table[column].cast(pa.int64())).as_py() or 0
    if "event_id" in table.column_names and "position" not in table.column_names:
        out["event_id_len_sum"] = pc.sum(pc.utf8_length(table["event_id"])).as_py() or 0
    if "position" in table.column_names:
        out["position_sum"] = pc.sum(table["position"]).as_py() or 0
    return out


def main():
    lake = os.path.join(sys.argv[1], "lake")
    result = {}
    for name in sorted(os.listdir(lake)):
        if not name.startswith((".", "_")):
            result[name] = checksums(os.path.join(lake, name))
    json.dump(result, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main()
