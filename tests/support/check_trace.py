#!/usr/bin/env python3
"""Checks Chrome trace files written by prun's TraceObserver; exits 1 with the reasons if wrong.

Usage:
  check_trace.py [checks] FILE [FILE ...]          the files of one trace (split ones in order)
  check_trace.py [checks] --run PROGRAM ARGS...    runs PROGRAM (every {trace} in ARGS becomes a
                                                   fresh file's path; it must exit 0), then checks
Checks:
  --x N            exactly N task slices (X events of cat "task") over all files
  --records N      exactly N log instant events (cat "log")
  --runs N         exactly N run slices
  --status S=N     N task slices have status S (repeatable)
  --tracks-min N   at least N named tracks that hold task slices
  --track-name RE  every track that holds task slices is named by a match of RE
Always: each file is {"traceEvents": [...]} that json.load reads; every event has ph, pid, tid;
X events have ts and dur >= 0; task slices have args index, attempt, status, error; every track
with events has a thread_name; on each track, task slices do not overlap.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict


def fail(msg):
    print("check_trace: " + msg)
    sys.exit(1)


def main(argv):
    want = {"x": None, "records": None, "runs": None, "tracks_min": 0, "track_name": None}
    status = {}
    files, run = [], None
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--run":
            run = argv[i + 1:]
            break
        if a in ("--x", "--records", "--runs", "--tracks-min"):
            want[a[2:].replace("-", "_")] = int(argv[i + 1])
            i += 2
        elif a == "--track-name":
            want["track_name"] = re.compile(argv[i + 1])
            i += 2
        elif a == "--status":
            k, v = argv[i + 1].split("=")
            status[k] = int(v)
            i += 2
        else:
            files.append(a)
            i += 1
    tmp = None
    if run:
        tmp = tempfile.mkdtemp(prefix="prun-trace-")
        path = os.path.join(tmp, "trace.json")
        cmd = [path if a == "{trace}" else a for a in run]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            fail(f"{cmd} exited {r.returncode}: {r.stderr}")
        files = [path]
    if not files:
        fail("no trace file")

    slices, logs, runs = [], [], []
    named = set()
    for f in files:
        try:
            with open(f, encoding="utf-8") as fh:
                doc = json.load(fh)
        except (OSError, ValueError) as e:
            fail(f"{f}: not JSON: {e}")
        if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
            fail(f"{f}: no traceEvents list")
        names = {}
        for e in doc["traceEvents"]:
            for k in ("ph", "pid", "tid"):
                if k not in e:
                    fail(f"{f}: event without {k}: {e}")
            if e["ph"] == "M" and e["name"] == "thread_name":
                names[(e["pid"], e["tid"])] = e["args"]["name"]
        for e in doc["traceEvents"]:
            key = (e["pid"], e["tid"])
            if e["ph"] in ("X", "i") and key not in names:
                fail(f"{f}: event on an unnamed track: {e}")
            if e["ph"] == "X":
                if not isinstance(e.get("ts"), (int, float)) or not isinstance(e.get("dur"), (int, float)) or e["dur"] < 0:
                    fail(f"{f}: bad X event {e}")
                if e.get("cat") == "task":
                    args = e.get("args", {})
                    for k in ("index", "attempt", "status", "error"):
                        if k not in args:
                            fail(f"{f}: task slice without args.{k}: {e}")
                    slices.append((names[key], key, e))
                elif e.get("cat") == "run":
                    runs.append(e)
            elif e["ph"] == "i" and e.get("cat") == "log":
                logs.append(e)
        named.update((f, k) for k in names)

    if want["x"] is not None and len(slices) != want["x"]:
        fail(f"{len(slices)} task slices, expected {want['x']}")
    if want["records"] is not None and len(logs) != want["records"]:
        fail(f"{len(logs)} log events, expected {want['records']}")
    if want["runs"] is not None and len(runs) != want["runs"]:
        fail(f"{len(runs)} run slices, expected {want['runs']}")
    got = Counter(e["args"]["status"] for _, _, e in slices)
    for k, v in status.items():
        if got[k] != v:
            fail(f"{got[k]} slices with status {k}, expected {v} (all: {dict(got)})")
    tracks = defaultdict(list)
    for name, key, e in slices:
        tracks[key].append((name, e))
    if len(tracks) < want["tracks_min"]:
        fail(f"{len(tracks)} tracks with task slices, expected at least {want['tracks_min']}")
    for key, evs in tracks.items():
        if want["track_name"] and not all(want["track_name"].fullmatch(n) for n, _ in evs):
            fail(f"track {key} named {evs[0][0]!r}, not matching {want['track_name'].pattern}")
        evs.sort(key=lambda ne: ne[1]["ts"])
        for (_, a), (_, b) in zip(evs, evs[1:]):
            if b["ts"] < a["ts"] + a["dur"] - 0.002:
                fail(f"overlapping slices on track {key}: {a} and {b}")
    print(f"check_trace: ok: {len(slices)} task slices on {len(tracks)} tracks, {len(logs)} log events, "
          f"{len(runs)} runs, {len(files)} file(s)")


if __name__ == "__main__":
    main(sys.argv[1:])
