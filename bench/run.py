#!/usr/bin/env python3
"""crmscan benchmark: one command, every case, medians, ratios against the targets.

    python3 bench/run.py                       # 10MB and 100MB, 3 runs each
    python3 bench/run.py --sizes 10MB --runs 5
    python3 bench/run.py --sizes 1GB --baseline-runs 1 --markdown build/bench-results/1GB.md
    python3 bench/run.py --sizes 1GB --cases proxy,subjects --against ../crmscan-before/build/crmscan

For each size it generates the data set if it is not there yet (bench/generate.py, under
build/bench-data/), then times each case (--runs times, the median is printed), checks every
crmscan run's findings against the planted expected.csv, and prints the table and the ratios.
Exit status: 0 when every planted record was found as delete_record and no decoy was, 1 when
a check failed, 2 when something needed is missing.

Python 3 standard library only; peak RSS comes from /usr/bin/time -v (Debian package `time`).
"""

import argparse
import csv
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
TIME = "/usr/bin/time"
PROXY_EMAIL = "nobody@nowhere.invalid"

TARGETS = {
    "proxy": 0.8,        # crmscan subject scan at least 0.8x the speed of parse-only (issue 18)
    "baseline": 20.0,    # … and at least 20x the script baseline
    "rss_mb": 64.0,      # peak RSS at most 64 MB on a 1 GB export
    "scaling": 1.5,      # 10,000 subjects at most 1.5x one subject
    "startup": 0.050,    # a tiny export in under 50 ms
}


def rel(path):
    """A path as the user would type it from the repository root (for printed commands)."""
    try:
        r = os.path.relpath(path, REPO)
        return r if not r.startswith("..") else path
    except ValueError:
        return path


# ---------------------------------------------------------------------------------------------
# Running and measuring.

class Measure:
    def __init__(self, wall, cpu, rss_kb, rc, stdout):
        self.wall, self.cpu, self.rss_kb, self.rc, self.stdout = wall, cpu, rss_kb, rc, stdout


def timed(cmd, stdout=None, cwd=REPO):
    """Run cmd under /usr/bin/time -v: wall seconds (perf_counter), peak RSS (KB), exit code."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        out = open(stdout, "wb") if stdout else subprocess.DEVNULL
        try:
            start = time.perf_counter()
            proc = subprocess.run([TIME, "-v", "-o", tf.name] + cmd, stdout=out,
                                  stderr=subprocess.PIPE, cwd=cwd)
            wall = time.perf_counter() - start
        finally:
            if stdout:
                out.close()
        rss, cpu = 0, 0.0
        for line in open(tf.name):
            if "Maximum resident set size" in line:
                rss = int(line.split(":")[1])
            elif "User time (seconds)" in line or "System time (seconds)" in line:
                cpu += float(line.split(":")[1])
        return Measure(wall, cpu, rss, proc.returncode, proc.stderr.decode("utf-8", "replace"))


# ---------------------------------------------------------------------------------------------
# Checking findings against the planted records.

def read_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


class Truth:
    def __init__(self, expected_path, decoys_path):
        self.expected = {}
        for r in read_csv(expected_path):
            if r.get("action", "delete_record") == "delete_record" and not r.get("field"):
                self.expected.setdefault(r["request_id"], set()).add((r["object"], r["record_id"]))
        self.decoys = {(r["object"], r["record_id"]) for r in read_csv(decoys_path)}


def check(findings_path, truth, requests, planted_check=True):
    """(ok, text): every expected record of `requests` is delete_record, no decoy is."""
    deleted = set()
    summary = None
    with open(findings_path, encoding="utf-8") as f:
        for line in f:
            j = json.loads(line)
            if j.get("type") == "summary":
                summary = j
                continue
            if j["action"] == "delete_record" and not j["field"]:
                deleted.add((j["request_id"], j["object"], j["record_id"]))
    problems = []
    if summary is None or not summary.get("complete"):
        problems.append("scan not complete: " + json.dumps((summary or {}).get("errors", "no summary"))[:300])
    expected = set()
    if planted_check:
        for req in requests:
            for obj, rid in truth.expected.get(req, ()):
                expected.add((req, obj, rid))
    missed = sorted(expected - deleted)
    decoys = sorted(k for k in deleted if (k[1], k[2]) in truth.decoys)
    extra = len([k for k in deleted if k not in expected and (k[1], k[2]) not in truth.decoys])
    if missed:
        problems.append(f"{len(missed)} planted record(s) missed, e.g. {missed[:3]}")
    if decoys:
        problems.append(f"{len(decoys)} decoy(s) as delete_record, e.g. {decoys[:3]}")
    if planted_check:
        text = f"{len(expected) - len(missed)}/{len(expected)} planted"
        if extra:
            text += f", {extra} other delete_record"
    else:
        text = "decoys only"
    if decoys:
        text += f", {len(decoys)} DECOYS"
    return not problems, text, problems


def baseline_recall(found_path, truth, requests):
    found = set()
    for r in read_csv(found_path):
        found.add((r["request_id"], r["object"], r["record_id"]))
    expected = {(q, o, i) for q in requests for o, i in truth.expected.get(q, ())}
    hit = len(expected & found)
    decoys = len([k for k in found if (k[1], k[2]) in truth.decoys])
    return f"{hit}/{len(expected)} planted (reference only), {decoys} decoys"


# ---------------------------------------------------------------------------------------------
# Cases.

class Case:
    def __init__(self, name, what, bytes_, records, kind):
        self.name, self.what, self.bytes, self.records, self.kind = name, what, bytes_, records, kind
        self.walls, self.cpus, self.rss, self.check, self.ok = [], [], [], "", True
        self.command = ""
        self.reread = None     # bytes read / export bytes (--passes)

    @property
    def wall(self):
        return statistics.median(self.walls) if self.walls else float("nan")

    @property
    def cpu(self):
        return statistics.median(self.cpus) if self.cpus else float("nan")

    @property
    def rss_mb(self):
        return statistics.median(self.rss) / 1024 if self.rss else float("nan")

    @property
    def mbps(self):
        return self.bytes / 1e6 / self.wall if self.walls else float("nan")

    @property
    def rps(self):
        return self.records / self.wall if self.walls else float("nan")


def write_subjects(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["request_id", "email", "phone", "name", "id"])
        for r in rows:
            w.writerow([r["request_id"], r["email"], r["phone"], r["name"], r.get("id", "")])


def ensure_data(args, size):
    label = size
    folder = os.path.join(args.data_root, f"{label}-seed{args.seed}-s{args.subjects}")
    manifest_path = os.path.join(folder, "manifest.json")
    fresh = False
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            m = json.load(f)
        with open(os.path.join(HERE, "generate.py"), "rb") as f:
            generator = hashlib.sha256(f.read()).hexdigest()
        # Data written by another version of the generator is written again.
        fresh = m.get("seed") == args.seed and m.get("subjects") == args.subjects and \
            m.get("size") == label and m.get("generator_sha256") == generator
    if not fresh or args.regenerate:
        cmd = [sys.executable, os.path.join(HERE, "generate.py"), "--size", size, "--seed",
               str(args.seed), "--subjects", str(args.subjects), "--out", folder]
        print("$ " + " ".join(["python3", "bench/generate.py", "--size", size, "--seed", str(args.seed),
                               "--subjects", str(args.subjects), "--out", rel(folder)]), flush=True)
        subprocess.run(cmd, check=True)
    with open(manifest_path) as f:
        return folder, json.load(f)


def crmscan_cmd(args, export, subjects, out, rules=None, binary=None):
    cmd = [binary or args.crmscan, "scan", "--input", export, "--subjects", subjects, "--default-region", "GB",
           "--format", "ndjson", "--out", out]
    if rules:
        cmd += ["--rules", rules]
    if args.jobs:
        cmd += ["--jobs", str(args.jobs)]
    return cmd


def shown(cmd):
    return " ".join(rel(c) if os.path.isabs(c) else c for c in cmd)


class Plan:
    """Cases to time, run round-robin: run 1 of every case, then run 2 of every case, … so that a
    slow spell of the machine lands on all cases alike instead of on one."""

    def __init__(self):
        self.entries = []

    def add(self, case, make_cmd, runs, after=None, stdout=None):
        self.entries.append((case, make_cmd, runs, after, stdout))

    def execute(self):
        for i in range(max((e[2] for e in self.entries), default=0)):
            for case, make_cmd, runs, after, stdout in self.entries:
                if i < runs and case.ok:
                    run_once(case, make_cmd, i, after, stdout)
            print(f"  round {i + 1} done", flush=True)
        for case, *_ in self.entries:
            print(f"  {case.name:<44} {case.wall:8.3f} s  {case.mbps:8.1f} MB/s  {case.rss_mb:7.1f} MB  "
                  f"{case.check}", flush=True)
        self.entries = []


def run_once(case, make_cmd, i, after, stdout):
    cmd = make_cmd(i)
    if not case.command:
        case.command = shown(cmd)
    m = timed(cmd, stdout=stdout)
    if m.rc != 0:
        case.ok = False
        case.check = f"exit {m.rc}: {m.stdout.strip()[-300:]}"
        print(f"  {case.name}: exit {m.rc}\n{m.stdout[-2000:]}", file=sys.stderr)
        return
    case.walls.append(m.wall)
    case.cpus.append(m.cpu)
    case.rss.append(m.rss_kb)
    if after:
        after(i)


def passes(args, export, subjects, out, manifest):
    """One more, untimed run with --format json: how many times each object was read."""
    cmd = crmscan_cmd(args, export, subjects, out)
    cmd[cmd.index("ndjson")] = "json"
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    with open(os.path.join(out, "findings.json"), encoding="utf-8") as f:
        coverage = json.load(f)["coverage"]["objects"]
    shutil.rmtree(out, ignore_errors=True)
    read = sum(manifest["objects"].get(o["object"], {}).get("bytes", 0) * o["passes"] for o in coverage)
    return read / manifest["bytes"]


def bench_size(args, size, truth_cache):
    folder, manifest = ensure_data(args, size)
    export = os.path.join(folder, "export")
    total_bytes, total_records = manifest["bytes"], manifest["records"]
    truth = Truth(os.path.join(folder, "expected.csv"), os.path.join(folder, "decoys.csv"))
    planted = read_csv(os.path.join(folder, "subjects.csv"))
    absent = read_csv(os.path.join(folder, "absent-subjects.csv"))
    work = tempfile.mkdtemp(prefix="bench-", dir=folder)
    cases = []
    against = []  # (case, the same case run by the --against binary)
    failures = []
    print(f"\n== {size}: {total_bytes / 1e6:.1f} MB, {total_records} records, "
          f"{len(planted)} planted subjects, data {rel(folder)}", flush=True)
    files = [os.path.join(export, o + ".csv") for o in sorted(manifest["objects"])]
    plan = Plan()
    try:
        # Warm the page cache: every case reads the same bytes from memory.
        subprocess.run(["cat"] + files, stdout=subprocess.DEVNULL, check=True)

        if "cat" in args.cases:
            c = Case("cat", "cat of the export to /dev/null", total_bytes, total_records, "ref")
            c.command = "cat build/bench-data/…/export/*.csv > /dev/null"
            plan.add(c, lambda i: ["cat"] + files, args.runs)
            cases.append(c)

        if "proxy" in args.cases:
            rules = os.path.join(work, "empty-rules")
            os.makedirs(rules, exist_ok=True)
            with open(os.path.join(rules, "empty.yaml"), "w") as f:
                # One object ruled (User, as staff: never searched), so that the scan is not refused
                # as a source no pack knows; every other object is still read and searched, for
                # Salesforce ids as the real packs declare them.
                f.write("pack: empty\ncrm: x\nids: salesforce\nversion: 1\nobjects:\n  User:\n"
                        "    staff: true\n")
            subj = os.path.join(work, "proxy-subject.csv")
            write_subjects(subj, [{"request_id": "REQ-PROXY", "email": PROXY_EMAIL, "phone": "",
                                   "name": ""}])
            c = Case("parse-proxy", "crmscan scan, empty rule pack, 1 subject (an email matching nothing)",
                     total_bytes, total_records, "ref")
            out = os.path.join(work, "out-proxy")
            plan.add(c, lambda i: crmscan_cmd(args, export, subj, out + str(i), rules), args.runs)
            cases.append(c)
            if args.against:
                twin = Case(c.name + " (against)", c.what, total_bytes, total_records, "ref")
                plan.add(twin, lambda i: crmscan_cmd(args, export, subj, out + "-against" + str(i), rules,
                                                     args.against), args.runs)
                against.append((c, twin))

        subject_files = {}
        for n in args.subject_counts:
            rows = planted[:n] + absent[:max(0, n - len(planted))]
            if len(rows) < n:
                print(f"  only {len(rows)} requests available for the {n}-subject case", file=sys.stderr)
            path = os.path.join(work, f"subjects-{n}.csv")
            write_subjects(path, rows)
            subject_files[n] = (path, [r["request_id"] for r in rows], min(n, len(planted)))

        if "baseline" in args.cases:
            n = args.subject_counts[0]
            path, reqs, _ = subject_files[n]
            c = Case(f"baseline-{n}", f"Python csv+re script, {n} subject(s)", total_bytes, total_records, "ref")
            found = os.path.join(work, "baseline.csv")
            cmd = [sys.executable, os.path.join(HERE, "baseline_scan.py"), "--input", export, "--subjects", path]
            c.command = shown(["python3"] + cmd[1:])

            def after(i, c=c, found=found, reqs=reqs):
                c.check = baseline_recall(found, truth, reqs)
            plan.add(c, lambda i: cmd, args.baseline_runs, after=after, stdout=found)
            cases.append(c)

        def checked(c, out, reqs, name_run=False, planted_check=True):
            """What runs after run i of case c: its findings checked, then its output removed."""
            def after(i):
                ok, text, problems = check(os.path.join(out + str(i), "findings.ndjson"), truth, reqs,
                                           planted_check=planted_check)
                shutil.rmtree(out + str(i), ignore_errors=True)
                c.check = text if ok else "FAIL: " + "; ".join(problems)
                if not ok:
                    c.ok = False
                    run = f" run {i + 1}" if name_run else ""
                    failures.append(f"{size} {c.name}{run}: " + "; ".join(problems))
            return after

        if "subjects" in args.cases:
            for n in args.subject_counts:
                path, reqs, n_planted = subject_files[n]
                label = f"crmscan-{n}"
                what = f"subject scan, {n} request(s)"
                if n > 1:
                    what += f" ({n_planted} planted" + (f", {n - n_planted} absent)" if n > n_planted else ")")
                c = Case(label, what, total_bytes, total_records, "scan")
                c.requests = n
                out = os.path.join(work, f"out-{n}")

                plan.add(c, lambda i, path=path, out=out: crmscan_cmd(args, export, path, out + str(i)),
                         args.runs, after=checked(c, out, reqs, name_run=True))
                c.subjects_file = path
                cases.append(c)
                if args.against:
                    # Run right after it in every round: the pair sees the machine in one state.
                    twin = Case(label + " (against)", what, total_bytes, total_records, "scan")
                    twin_out = out + "-against"
                    plan.add(twin, lambda i, path=path, out=twin_out: crmscan_cmd(
                        args, export, path, out + str(i), binary=args.against),
                        args.runs, after=checked(twin, twin_out, reqs, name_run=True))
                    against.append((c, twin))

        if "objects" in args.cases:
            path, reqs, _ = subject_files[args.subject_counts[0]]
            for obj in sorted(manifest["objects"], key=lambda o: -manifest["objects"][o]["bytes"]):
                info = manifest["objects"][obj]
                alone = os.path.join(work, "objects", obj)
                os.makedirs(alone, exist_ok=True)
                src, dst = os.path.join(export, obj + ".csv"), os.path.join(alone, obj + ".csv")
                try:
                    os.link(src, dst)
                except OSError:
                    shutil.copyfile(src, dst)
                c = Case(f"object:{obj}", f"1-subject scan of {obj}.csv alone", info["bytes"],
                         info["records"], "object")
                out = os.path.join(work, f"out-{obj}")

                plan.add(c, lambda i, alone=alone, out=out: crmscan_cmd(args, alone, path, out + str(i)),
                         args.runs, after=checked(c, out, reqs, planted_check=False))
                cases.append(c)

        plan.execute()
        if args.passes:
            for c in cases:
                if c.kind == "scan" and c.walls:
                    c.reread = passes(args, export, c.subjects_file, os.path.join(work, "passes"), manifest)
        for c in cases:
            if not c.ok and not c.check.startswith("FAIL"):
                failures.append(f"{size} {c.name}: {c.check}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    for c, twin in against:
        if not twin.ok and not twin.check.startswith("FAIL"):
            failures.append(f"{size} {c.name} (--against): {twin.check}")
    return {"size": size, "folder": rel(folder), "manifest": manifest, "cases": cases,
            "against": against, "failures": failures}


def bench_startup(args):
    sample = os.path.join(REPO, "samples", "salesforce-export")
    subjects = os.path.join(REPO, "samples", "salesforce-expected", "subjects.csv")
    expected = os.path.join(REPO, "samples", "salesforce-expected", "expected-findings.csv")
    decoys = os.path.join(REPO, "samples", "salesforce-expected", "decoys.csv")
    size = sum(os.path.getsize(os.path.join(sample, f)) for f in os.listdir(sample) if f.endswith(".csv"))
    records = 0
    for f in os.listdir(sample):
        if f.endswith(".csv"):
            with open(os.path.join(sample, f), encoding="utf-8-sig", newline="") as fh:
                records += max(0, len(list(csv.reader(fh))) - 1)
    truth = Truth(expected, decoys)
    reqs = [r["request_id"] for r in read_csv(subjects)]
    work = tempfile.mkdtemp(prefix="bench-startup-")
    c = Case("startup (bundled sample)", "crmscan scan of samples/salesforce-export, 3 requests",
             size, records, "startup")
    failures = []

    def after(i):
        out = os.path.join(work, f"o{i}")
        ok, text, problems = check(os.path.join(out, "findings.ndjson"), truth, reqs)
        shutil.rmtree(out, ignore_errors=True)
        c.check = text if ok else "FAIL: " + "; ".join(problems)
        if not ok:
            c.ok = False
            failures.append("startup: " + "; ".join(problems))
    try:
        print("\n== start-up: the bundled sample", flush=True)
        plan = Plan()
        plan.add(c, lambda i: crmscan_cmd(args, sample, subjects, os.path.join(work, f"o{i}")),
                 args.startup_runs, after=after)
        v = Case("crmscan --version", "process start and exit, no scan", 0, 0, "startup")
        plan.add(v, lambda i: [args.crmscan, "--version"], args.startup_runs)
        plan.execute()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return c, v, failures


# ---------------------------------------------------------------------------------------------
# Report.

def fmt_rate(x):
    if x != x:
        return "-"
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}"


def table(result):
    reread = any(c.reread for c in result["cases"])
    lines = ["| case | what | MB | wall s (median) | CPU s | MB/s | records/s | peak RSS MB |"
             + (" bytes read |" if reread else "") + " check |",
             "|---|---|---:|---:|---:|---:|---:|---:|" + ("---:|" if reread else "") + "---|"]
    for c in result["cases"]:
        extra = (f" {c.reread:.2f}× |" if c.reread else " |") if reread else ""
        lines.append(f"| {c.name} | {c.what} | {c.bytes / 1e6:.1f} | {c.wall:.3f} | {c.cpu:.2f} | {fmt_rate(c.mbps)} | "
                     f"{fmt_rate(c.rps)} | {c.rss_mb:.1f} |{extra} {c.check} |")
    return "\n".join(lines)


def comparison(result):
    """The cases run by both binaries: medians, and the ratio of each round's pair (the two runs
    of a pair are next to each other, so a slow spell of the machine falls on both)."""
    lines = ["| case | this binary s | --against s | this / against (median) | pairs (min–max) | "
             "peak RSS MB (this / against) |", "|---|---:|---:|---:|---:|---:|"]
    for c, twin in result["against"]:
        pairs = [a / b for a, b in zip(c.walls, twin.walls)]
        if not pairs:
            continue
        lines.append(f"| {c.name} | {c.wall:.3f} | {twin.wall:.3f} | {statistics.median(pairs):.3f} | "
                     f"{min(pairs):.3f}–{max(pairs):.3f} | {c.rss_mb:.1f} / {twin.rss_mb:.1f} |")
    return "\n".join(lines)


def ratios(result, args):
    by = {c.name: c for c in result["cases"] if c.walls}
    one = by.get(f"crmscan-{args.subject_counts[0]}")
    rows = []

    def verdict(ok):
        return "met" if ok else "**missed**"
    if one and "parse-proxy" in by:
        r = one.mbps / by["parse-proxy"].mbps
        rows.append(("crmscan 1 subject vs parse-proxy (speed)", f"{r:.2f}×", f"≥ {TARGETS['proxy']}×",
                     verdict(r >= TARGETS["proxy"])))
    base = next((c for n, c in by.items() if n.startswith("baseline-")), None)
    if one and base:
        r = one.mbps / base.mbps
        rows.append(("crmscan 1 subject vs Python baseline (speed)", f"{r:.1f}×", f"≥ {TARGETS['baseline']:.0f}×",
                     verdict(r >= TARGETS["baseline"])))
    many = by.get(f"crmscan-{args.subject_counts[-1]}")
    if one and many and many is not one:
        r = many.wall / one.wall
        rows.append((f"crmscan {args.subject_counts[-1]:,} vs 1 subject (time)", f"{r:.2f}×",
                     f"≤ {TARGETS['scaling']}×", verdict(r <= TARGETS["scaling"])))
    scans = [c for c in by.values() if c.kind == "scan"]
    if scans:
        peak = max(c.rss_mb for c in scans)
        big = result["manifest"]["bytes"] >= 0.9e9
        rows.append(("peak RSS of the subject scans", f"{peak:.1f} MB", f"≤ {TARGETS['rss_mb']:.0f} MB at 1 GB",
                     verdict(peak <= TARGETS["rss_mb"]) + ("" if big else " (at this size)")))
    if "cat" in by and one:
        rows.append(("crmscan 1 subject vs cat (speed)", f"{one.mbps / by['cat'].mbps:.3f}×", "-", "-"))
    lines = ["| ratio | value | target | |", "|---|---:|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--sizes", default="10MB,100MB", help="comma-separated: 10MB,100MB,1GB")
    ap.add_argument("--runs", type=int, default=3, help="runs per case (median printed)")
    ap.add_argument("--baseline-runs", type=int, help="runs of the Python baseline (default --runs)")
    ap.add_argument("--startup-runs", type=int, default=11, help="runs of the start-up case")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--subjects", type=int, default=100,
                    help="planted subjects in the generated data (default 100; 10000 plants all of "
                         "the 10,000-subject case)")
    ap.add_argument("--subject-counts", default="1,100,10000", help="requests per subject-scan case")
    ap.add_argument("--cases", default="cat,proxy,baseline,subjects,objects,startup",
                    help="which: cat,proxy,baseline,subjects,objects,startup")
    ap.add_argument("--crmscan", default=os.path.join(REPO, "build", "crmscan"))
    ap.add_argument("--data-root", default=os.path.join(REPO, "build", "bench-data"))
    ap.add_argument("--regenerate", action="store_true", help="generate the data again")
    ap.add_argument("--keep", action="store_true", help="keep the per-run work folder")
    ap.add_argument("--passes", action="store_true",
                    help="after each subject scan, one untimed --format json run to count how many "
                         "times crmscan read each object (column 'bytes read')")
    ap.add_argument("--jobs", type=int,
                    help="crmscan's --jobs for every scan (default: crmscan's own, the machine's cores)")
    ap.add_argument("--label", help="what the binary was built from, if not a git checkout (printed)")
    ap.add_argument("--against", help="another crmscan binary (an earlier build): its parse-proxy and "
                    "subject scans run paired with this one's, and the ratios of the pairs are printed")
    ap.add_argument("--markdown", help="also write the tables to this file")
    ap.add_argument("--json", help="also write every measurement to this file")
    args = ap.parse_args()
    args.cases = set(args.cases.split(","))
    args.subject_counts = [int(x) for x in args.subject_counts.split(",")]
    args.baseline_runs = args.baseline_runs or args.runs
    args.crmscan = os.path.abspath(args.crmscan)
    args.data_root = os.path.abspath(args.data_root)

    if not os.access(TIME, os.X_OK):
        print(f"{TIME} is missing: apt-get install -y time", file=sys.stderr)
        return 2
    if not os.access(args.crmscan, os.X_OK):
        print(f"{args.crmscan} is missing: cmake -S . -B build && cmake --build build -j2 --target crmscan",
              file=sys.stderr)
        return 2
    if args.against and not os.access(args.against, os.X_OK):
        print(f"{args.against} (--against) is missing", file=sys.stderr)
        return 2

    # Time a private copy of the binary and of its source tree's rule packs (crmscan looks for
    # rules/ beside itself first): a rebuild or an edit during the run changes nothing measured.
    os.makedirs(args.data_root, exist_ok=True)
    snapshot_dir = tempfile.mkdtemp(prefix=".crmscan-", dir=args.data_root)
    snapshot = os.path.join(snapshot_dir, "crmscan")
    shutil.copy2(args.crmscan, snapshot)
    rules = os.path.join(os.path.dirname(os.path.dirname(args.crmscan)), "rules")
    if os.path.isdir(rules):
        shutil.copytree(rules, os.path.join(snapshot_dir, "rules"))
    original, args.crmscan = args.crmscan, snapshot
    if args.against:
        against = os.path.abspath(args.against)
        args.against_shown = shown([against])
        args.against = os.path.join(snapshot_dir, "against", "crmscan")
        os.makedirs(os.path.dirname(args.against))
        shutil.copy2(against, args.against)
        # Its own tree's rule packs when it has them, else this one's.
        other_rules = os.path.join(os.path.dirname(os.path.dirname(against)), "rules")
        if os.path.isdir(other_rules) or os.path.isdir(rules):
            shutil.copytree(other_rules if os.path.isdir(other_rules) else rules,
                            os.path.join(snapshot_dir, "against", "rules"))
    try:
        return measure(args, original)
    finally:
        shutil.rmtree(snapshot_dir, ignore_errors=True)


def source_of(binary):
    """The checkout a build folder belongs to: its commit, uncommitted changes outside bench/,
    and whether the binary is older than that commit (built before it: not what it says)."""
    tree = os.path.dirname(os.path.dirname(os.path.abspath(binary)))
    try:
        def git(*a):
            return subprocess.run(["git", "-C", tree] + list(a), capture_output=True, text=True,
                                  check=True).stdout.strip()
        text = "checkout at " + git("rev-parse", "--short", "HEAD")
        if git("status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)bench"):
            text += ", with uncommitted changes"
        if os.path.getmtime(binary) < int(git("log", "-1", "--format=%ct")):
            text += "; the binary is older than that commit: rebuild it?"
        return text
    except (subprocess.CalledProcessError, FileNotFoundError, ValueError):
        return "not a git checkout"


def core_round_trip(folder):
    """Nanoseconds two threads take to hand a cache line back and forth (bench/core_round_trip.cpp,
    built into `folder`, the user's own, with the system's C++ compiler), or None where it cannot
    be built or run."""
    source = os.path.join(HERE, "core_round_trip.cpp")
    binary = os.path.join(folder, "core-round-trip")
    try:
        if not os.path.exists(binary) or os.path.getmtime(binary) < os.path.getmtime(source):
            subprocess.run(["c++", "-O2", "-std=c++17", "-pthread", source, "-o", binary], check=True,
                           capture_output=True, timeout=120)
        return float(subprocess.run([binary], capture_output=True, text=True, check=True,
                                    timeout=60).stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def shown_round_trip(ns):
    return "not measured" if ns is None else f"{ns:.0f} ns"


def measure(args, original):
    version = subprocess.run([args.crmscan, "--version"], capture_output=True, text=True).stdout.strip()
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    built = time.strftime("%Y-%m-%d %H:%M", time.localtime(os.path.getmtime(original)))
    print(f"machine: {os.cpu_count()} CPUs, {cpu}; python {platform.python_version()}; "
          f"runs {args.runs}, median", flush=True)
    print(f"binary: {shown([original])} ({version}, built {built}; source: "
          f"{args.label or source_of(original)})", flush=True)
    load_before = os.getloadavg()[0]
    round_trip_before = core_round_trip(args.data_root)
    print(f"core-to-core round trip: {shown_round_trip(round_trip_before)}", flush=True)
    results, failures = [], []
    for size in args.sizes.split(","):
        r = bench_size(args, size.strip(), None)
        results.append(r)
        failures += r["failures"]
    startup = None
    if "startup" in args.cases:
        s, v, f = bench_startup(args)
        startup = (s, v)
        failures += f

    md = []
    for r in results:
        md.append(f"### {r['size']} ({r['manifest']['bytes'] / 1e6:.1f} MB, {r['manifest']['records']:,} records, "
                  f"{r['manifest']['subjects']} planted subjects, seed {r['manifest']['seed']})\n")
        md.append(table(r) + "\n")
        md.append(ratios(r, args) + "\n")
        if r["against"]:
            md.append(f"Against {args.against_shown}, each run paired with one of this binary's:\n")
            md.append(comparison(r) + "\n")
    if startup:
        s, v = startup
        md.append("### start-up\n")
        md.append("| case | wall s (median) | peak RSS MB | target | |\n|---|---:|---:|---|---|")
        md.append(f"| {s.name} | {s.wall:.3f} | {s.rss_mb:.1f} | < {TARGETS['startup'] * 1000:.0f} ms | "
                  f"{'met' if s.wall < TARGETS['startup'] else '**missed**'} ({s.check}) |")
        md.append(f"| {v.name} | {v.wall:.3f} | {v.rss_mb:.1f} | - | - |\n")
    md.append(f"Load average (1 min) before: {load_before:.2f}, after: {os.getloadavg()[0]:.2f} "
              f"(the runs themselves keep one CPU busy; more means something else was running).\n")
    md.append(f"Core-to-core round trip before: {shown_round_trip(round_trip_before)}, after: "
              f"{shown_round_trip(core_round_trip(args.data_root))} (two threads handing a cache line back and "
              f"forth; on the development VM 100-130 ns at some times and 470-620 ns at others, "
              f"when two threads cost more than they save: compare figures of one state).\n")
    text = "\n".join(md)
    print("\n" + text)
    if args.markdown:
        os.makedirs(os.path.dirname(os.path.abspath(args.markdown)), exist_ok=True)
        with open(args.markdown, "w") as f:
            f.write(text + "\n")
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        dump = []
        for r in results + ([{"size": "startup", "cases": list(startup)}] if startup else []):
            dump.append({"size": r["size"], "manifest": r.get("manifest"), "cases": [
                {"name": c.name, "what": c.what, "command": c.command, "bytes": c.bytes, "records": c.records,
                 "walls": c.walls, "cpu": c.cpus, "rss_kb": c.rss, "check": c.check, "bytes_read": c.reread}
                for c in r["cases"]], "against": [
                {"name": c.name, "walls": twin.walls, "cpu": twin.cpus, "rss_kb": twin.rss, "check": twin.check}
                for c, twin in r.get("against", [])]})
        with open(args.json, "w") as f:
            json.dump(dump, f, indent=1)
    if failures:
        print("\nFAILED checks:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    print("\nall checks passed: every planted record found as delete_record, no decoy deleted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
