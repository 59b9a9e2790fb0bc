#!/usr/bin/env python3
"""Convert a dataset of generate.py to NDJSON, to time crmscan's NDJSON reading.

    python3 bench/to_ndjson.py build/bench-data/10MB-seed1-s100 build/bench-data/10MB-ndjson

writes OUT/export/<Object>.ndjson (one record a line, LF after each, as the Salesforce APIs give
records: an `attributes` object with the type and URL first, empty values as null, every other
value a string) and copies the request and check files (subjects.csv, absent-subjects.csv,
expected.csv, decoys.csv) beside it. The same dataset gives byte-identical output.
Python 3 standard library only.
"""

import argparse
import csv
import json
import os
import shutil
import sys

BESIDE = ["subjects.csv", "absent-subjects.csv", "expected.csv", "decoys.csv"]


def convert(source, target, obj):
    records = 0
    with open(source, encoding="utf-8-sig", newline="") as f, \
            open(target, "w", encoding="utf-8", newline="\n") as out:
        rows = csv.reader(f)
        header = next(rows)
        for row in rows:
            record = {"attributes": {"type": obj,
                                     "url": f"/services/data/v59.0/sobjects/{obj}/{row[0]}"}}
            for name, value in zip(header, row):
                record[name] = value if value != "" else None
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            records += 1
    return records


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dataset", help="a folder written by generate.py (holding export/)")
    ap.add_argument("out", help="the folder to write (export/ and the request files)")
    args = ap.parse_args()
    export = os.path.join(args.dataset, "export")
    if not os.path.isdir(export):
        sys.exit(f"{export}: no such folder (generate it with bench/generate.py)")
    out_export = os.path.join(args.out, "export")
    os.makedirs(out_export, exist_ok=True)
    total = 0
    for name in sorted(os.listdir(export)):
        if not name.endswith(".csv"):
            continue
        obj = name[:-len(".csv")]
        total += convert(os.path.join(export, name), os.path.join(out_export, obj + ".ndjson"), obj)
    for name in BESIDE:
        if os.path.exists(os.path.join(args.dataset, name)):
            shutil.copyfile(os.path.join(args.dataset, name), os.path.join(args.out, name))
    size = sum(os.path.getsize(os.path.join(out_export, n)) for n in os.listdir(out_export))
    print(f"wrote {out_export}: {total} records, {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
