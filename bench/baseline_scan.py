#!/usr/bin/env python3
"""The plain-script baseline: a subject scan as an administrator would write it.

Python's csv and re, nothing else: normalise the subjects' emails (lower-cased) and phone
numbers (digits, without country code or trunk 0); read every CSV of the export, and in every
value of every row look for those emails and numbers; then read everything again and follow
the references (WhoId, WhatId, …, NVMStatsSF__TaskID__c) that point to a record found, one hop.
It prints one line per record found: request_id,object,record_id,how.

It is a reference point for the benchmark, not a product: it knows no rules (a name, a business
Account, a call summary two hops away are all beyond it), and it holds the ids it found in
memory.

    python3 bench/baseline_scan.py --input EXPORT --subjects subjects.csv > found.csv
"""

import argparse
import csv
import os
import re
import sys
import time

csv.field_size_limit(1 << 30)

EMAIL = re.compile(r"[\w.%+'-]+@[\w-]+(?:\.[\w-]+)+")
# A run of digits with the separators people write in numbers: +44 (0)20 7946-0958.
PHONE = re.compile(r"\+?\(?\d[\d ().-]{5,}\d")
NON_DIGIT = re.compile(r"\D")
COUNTRY_CODES = ("44", "1")    # the countries this org's customers call from


def national(number):
    """02079460958, +44 (0)20 7946 0958, 0044 20…, 442079460958 → 2079460958."""
    d = NON_DIGIT.sub("", number)
    if d.startswith("00"):
        d = d[2:]
    for cc in COUNTRY_CODES:
        if d.startswith(cc) and len(d) > 10:
            d = d[len(cc):]
            break
    if d.startswith("0"):
        d = d[1:]
    return d


def load_subjects(path):
    emails, phones = {}, {}
    with open(path, encoding="utf-8-sig", newline="") as f:
        for r in csv.DictReader(f):
            rid = r["request_id"]
            for e in (r.get("email") or "").split(";"):
                if e.strip():
                    emails.setdefault(e.strip().lower(), set()).add(rid)
            for p in (r.get("phone") or "").split(";"):
                if p.strip():
                    n = national(p)
                    if len(n) >= 7:
                        phones.setdefault(n, set()).add(rid)
    return emails, phones


def is_reference(column):
    return column != "Id" and (column.endswith("Id") or column.endswith("Id__c")
                               or column.endswith("ID__c") or column.endswith("RelatedTo__c")
                               or column.endswith("Event__c"))


def csv_files(folder):
    for root, _, names in sorted(os.walk(folder)):
        for name in sorted(names):
            if name.lower().endswith(".csv"):
                yield os.path.join(root, name), os.path.splitext(name)[0]


def csv_tables(folder):
    """Each CSV file with a header: its object, header, Id column (None without one) and rows."""
    for path, obj in csv_files(folder):
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header:
                yield obj, header, header.index("Id") if "Id" in header else None, reader


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", required=True, help="the export folder")
    ap.add_argument("--subjects", required=True, help="request_id,email,phone,name,id CSV")
    args = ap.parse_args()
    started = time.time()
    emails, phones = load_subjects(args.subjects)
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["request_id", "object", "record_id", "how"])
    found = {}       # 15-character id → request ids
    rows_read = 0

    # Pass 1: the subjects' emails and numbers, in every value.
    for obj, header, id_col, reader in csv_tables(args.input):
        for row in reader:
            rows_read += 1
            hits = set()
            for value in row:
                if "@" in value:
                    for e in EMAIL.findall(value.lower()):
                        if e in emails:
                            hits |= emails[e]
                for m in PHONE.findall(value):
                    n = national(m)
                    if n in phones:
                        hits |= phones[n]
            if hits and id_col is not None:
                rid = row[id_col]
                found.setdefault(rid[:15], set()).update(hits)
                for req in sorted(hits):
                    out.writerow([req, obj, rid, "value"])

    # Pass 2: records whose reference fields point to a record found (one hop).
    for obj, header, id_col, reader in csv_tables(args.input):
        refs = [i for i, c in enumerate(header) if is_reference(c)]
        for row in reader:
            if id_col is None or row[id_col][:15] in found:
                continue
            hits = set()
            for i in refs:
                value = row[i] if i < len(row) else ""
                if len(value) in (15, 18) and value[:15] in found:
                    hits |= found[value[:15]]
            for req in sorted(hits):
                out.writerow([req, obj, row[id_col], "reference"])
    print(f"baseline: {rows_read} records, {time.time() - started:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
