#!/usr/bin/env python3
"""Live subject scans against the Salesforce emulator: API calls and time as the org grows.

    python3 bench/live.py                              # 10,000, 100,000 and 1,000,000 records
    python3 bench/live.py --records 10000,100000 --runs 5

For each org size it generates a Data Export with bench/generate.py (seed 1, the same planted
subjects and records at every size; about 272 bytes a record), serves it with
crmscan-sf-emulator, and runs the same subject scans through `crmscan scan --connector salesforce`
(--runs times each, medians printed): one planted request, then ten. With --without-names the
requests carry their emails and numbers only: a name also finds its namesakes, whose number grows
with the org (each is reported for review, and its children are looked up), so only requests
without names can cost the same calls at every size. Each run's findings are checked against the planted expected.csv (every
planted record found as delete_record, no decoy); the API calls come from the report. The
target: the same API calls at every org size. Exit status 1 when a check fails or the calls
differ.

Python 3 standard library only.
"""

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (the shared checks and data layout)

BYTES_PER_RECORD = 272.5  # what generate.py writes on average (10 MB: 36,697 records)


def dataset(args, records):
    folder = os.path.join(args.data_root, f"live-{records}-seed{args.seed}")
    manifest_path = os.path.join(folder, "manifest.json")
    fresh = False
    if os.path.exists(manifest_path):
        with open(manifest_path, encoding="utf-8") as f:
            m = json.load(f)
        with open(os.path.join(run.HERE, "generate.py"), "rb") as f:
            generator = hashlib.sha256(f.read()).hexdigest()
        # Data written by another version of the generator (or other arguments) is written again.
        fresh = m.get("seed") == args.seed and m.get("subjects") == args.planted and \
            m.get("target_bytes") == int(records * BYTES_PER_RECORD) and \
            m.get("generator_sha256") == generator
    if not fresh:
        cmd = [sys.executable, os.path.join(run.HERE, "generate.py"), "--bytes",
               str(int(records * BYTES_PER_RECORD)), "--seed", str(args.seed), "--subjects",
               str(args.planted), "--out", folder, "--jobs", "2"]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    with open(manifest_path, encoding="utf-8") as f:
        return folder, json.load(f)


class Emulator:
    def __init__(self, binary, export):
        started = time.monotonic()
        self.process = subprocess.Popen([binary, "--data", export, "--api-limit", "100000000"],
                                        stdout=subprocess.PIPE, text=True)
        self.env = {}
        for line in self.process.stdout:
            key, _, value = line.strip().partition("=")
            if key == "instance_url":
                self.env["SF_INSTANCE_URL"] = value
            elif key == "access_token":
                self.env["SF_ACCESS_TOKEN"] = value
            if len(self.env) == 2:
                break
        if len(self.env) != 2:
            raise SystemExit("the emulator did not start")
        self.load_seconds = time.monotonic() - started

    def close(self):
        self.process.terminate()
        self.process.wait()


def scan(args, emulator, subjects, out):
    env = dict(os.environ, **emulator.env)
    cmd = [args.crmscan, "scan", "--connector", "salesforce", "--option",
           "login_url=" + emulator.env["SF_INSTANCE_URL"], "--subjects", subjects,
           "--default-region", "GB", "--format", "ndjson", "--out", out]
    started = time.monotonic()
    done = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    wall = time.monotonic() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"crmscan exited {done.returncode}: {done.stderr[-500:]}")
    with open(os.path.join(out, "findings.ndjson"), encoding="utf-8") as f:
        summary = [json.loads(line) for line in f][-1]
    return wall, summary["api_calls"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", default="10000,100000,1000000",
                    help="org sizes, comma-separated record counts")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--planted", type=int, default=10, help="planted subjects per org")
    ap.add_argument("--without-names", action="store_true",
                    help="give the requests' emails and numbers only: a name finds more namesakes "
                         "(records for review, and their children) as the org grows")
    ap.add_argument("--crmscan", default=os.path.join(run.REPO, "build", "crmscan"))
    ap.add_argument("--emulator", default=os.path.join(
        run.REPO, "build", "connectors", "salesforce", "emulator", "crmscan-sf-emulator"))
    ap.add_argument("--data-root", default=os.path.join(run.REPO, "build", "bench-data"))
    args = ap.parse_args()

    rows, failures = [], []
    calls_by_case = {}
    for records in [int(r) for r in args.records.split(",")]:
        folder, manifest = dataset(args, records)
        truth = run.Truth(os.path.join(folder, "expected.csv"), os.path.join(folder, "decoys.csv"))
        planted = run.read_csv(os.path.join(folder, "subjects.csv"))
        if args.without_names:
            planted = [dict(row, name="") for row in planted]
        emulator = Emulator(args.emulator, os.path.join(folder, "export"))
        try:
            with tempfile.TemporaryDirectory(prefix="crmscan-live-") as work:
                for count in (1, min(10, len(planted))):
                    subjects = os.path.join(work, f"subjects-{count}.csv")
                    run.write_subjects(subjects, planted[:count])
                    requests = [r["request_id"] for r in planted[:count]]
                    walls, calls = [], set()
                    for i in range(args.runs):
                        out = os.path.join(work, f"out-{count}-{i}")
                        wall, api_calls = scan(args, emulator, subjects, out)
                        ok, text, problems = run.check(os.path.join(out, "findings.ndjson"),
                                                       truth, requests)
                        if not ok:
                            failures.append(f"{records} records, {count} request(s): "
                                            + "; ".join(problems))
                        walls.append(wall)
                        calls.add(api_calls)
                    calls_by_case.setdefault(count, set()).update(calls)
                    rows.append((manifest["records"], count, statistics.median(walls),
                                 "/".join(str(c) for c in sorted(calls)), text,
                                 emulator.load_seconds))
        finally:
            emulator.close()

    print("| org records | requests | wall s (median) | API calls | check | emulator load s |")
    print("|---:|---:|---:|---:|---|---:|")
    for records, count, wall, calls, text, load in rows:
        print(f"| {records:,} | {count} | {wall:.3f} | {calls} | {text} | {load:.1f} |")
    for count, calls in sorted(calls_by_case.items()):
        verdict = "met" if len(calls) == 1 else "**missed**"
        print(f"API calls with {count} request(s) at every size: {sorted(calls)} — {verdict}")
        if len(calls) != 1:
            failures.append(f"{count} request(s): API calls differ with the org size: {sorted(calls)}")
    for failure in failures:
        print("FAIL:", failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
