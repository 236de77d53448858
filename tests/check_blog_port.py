#!/usr/bin/env python3
"""Runs a port of the blog program and compares what it prints with what the seed prints.

Usage: check_blog_port.py PROGRAM ARGS...   (ARGS include --n-jobs N)

The seed ("Logging in a multiprocessing context in Python", in the project's seeds) runs on
joblib's loky backend, which is not installed here, so its output is the one the blog shows,
quoted below. Both are normalised (timestamps, pids, worker names) and compared: the parent's
lines first and last, each task's lines in the order it wrote them, `process=<n>` exactly once
per line, every line in the seed's format. With --n-jobs 1 the whole sequence must be the
seed's; with more jobs, tasks interleave, so each task's lines are compared on their own, and
each task's lines must come from one process other than the parent.
"""
import re
import subprocess
import sys

SEED_N_JOBS_1 = """\
Running: n_jobs=1 ...
2024-12-24 14:04:12,762 INFO MainProcess 847 root process=main Starting ...
2024-12-24 14:04:12,763 DEBUG MainProcess 847 root process=1 Configured logger for process: 1
2024-12-24 14:04:12,763 DEBUG MainProcess 847 root process=1 Running process: 1 ...
2024-12-24 14:04:12,865 DEBUG MainProcess 847 root process=1 Done.
2024-12-24 14:04:12,866 DEBUG MainProcess 847 root process=2 Configured logger for process: 2
2024-12-24 14:04:12,866 DEBUG MainProcess 847 root process=2 Running process: 2 ...
2024-12-24 14:04:12,968 DEBUG MainProcess 847 root process=2 Done.
2024-12-24 14:04:12,968 DEBUG MainProcess 847 root process=3 Configured logger for process: 3
2024-12-24 14:04:12,968 DEBUG MainProcess 847 root process=3 Running process: 3 ...
2024-12-24 14:04:13,069 DEBUG MainProcess 847 root process=3 Done.
2024-12-24 14:04:13,070 INFO MainProcess 847 root process=main Done.
"""

SEED_N_JOBS_3 = """\
Running: n_jobs=3 ...
2024-12-24 14:04:38,753 INFO MainProcess 1715 root process=main Starting ...
2024-12-24 14:04:38,916 DEBUG LokyProcess-1 1718 root process=1 Configured logger for process: 1
2024-12-24 14:04:38,916 DEBUG LokyProcess-1 1718 root process=1 Running process: 1 ...
2024-12-24 14:04:38,921 DEBUG LokyProcess-2 1719 root process=2 Configured logger for process: 2
2024-12-24 14:04:38,921 DEBUG LokyProcess-2 1719 root process=2 Running process: 2 ...
2024-12-24 14:04:38,924 DEBUG LokyProcess-3 1720 root process=3 Configured logger for process: 3
2024-12-24 14:04:38,924 DEBUG LokyProcess-3 1720 root process=3 Running process: 3 ...
2024-12-24 14:04:39,021 DEBUG LokyProcess-1 1718 root process=1 Done.
2024-12-24 14:04:39,023 DEBUG LokyProcess-2 1719 root process=2 Done.
2024-12-24 14:04:39,029 DEBUG LokyProcess-3 1720 root process=3 Done.
2024-12-24 14:04:39,036 INFO MainProcess 1715 root process=main Done.
"""

# The seed's format: "%(asctime)s %(levelname)s %(processName)s %(process)d %(name)s %(message)s"
LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO) (MainProcess|\S+-\d+) (\d+) root (process=(\S+) .*)$")


def parse(lines, where):
    """(level, is_main_process, pid, message, task) per line; fails on a line not in the format."""
    out = []
    for line in lines:
        m = LINE.match(line)
        if not m:
            sys.exit(f"{where}: a line not in the seed's format: {line!r}")
        if m.group(4).count("process=") != 1:
            sys.exit(f"{where}: process= is not there exactly once: {line!r}")
        out.append((m.group(1), m.group(2) == "MainProcess", int(m.group(3)), m.group(4), m.group(5)))
    return out


def split(text):
    lines = text.splitlines()
    return lines[0], lines[1:]


def by_task(records):
    tasks = {}
    for level, _, _, message, task in records:
        tasks.setdefault(task, []).append((level, message))
    return tasks


def main():
    program, args = sys.argv[1], sys.argv[2:]
    n_jobs = int(args[args.index("--n-jobs") + 1])
    run = subprocess.run([program] + args, capture_output=True, text=True, timeout=60)
    if run.returncode != 0:
        sys.exit(f"exit status {run.returncode}\nstdout:\n{run.stdout}\nstderr:\n{run.stderr}")
    # The seed prints two lines on stdout and logs on stderr (basicConfig's default stream).
    if run.stdout != f"Running: n_jobs={n_jobs} ...\n['1', '2', '3']\n":
        sys.exit(f"stdout is not the seed's:\n{run.stdout}")
    got = parse(run.stderr.splitlines(), "prun")
    seed_first, seed_lines = split(SEED_N_JOBS_1 if n_jobs == 1 else SEED_N_JOBS_3)
    seed = parse(seed_lines, "seed")
    if len(got) != len(seed):
        sys.exit(f"{len(got)} log lines, the seed prints {len(seed)}:\n{run.stderr}")
    # The parent's lines: first and last, from the parent.
    for i in (0, -1):
        if got[i][:2] != (seed[i][0], True) or got[i][3] != seed[i][3]:
            sys.exit(f"line {i}: {got[i]} where the seed has {seed[i]}")
    parent_pid = got[0][2]
    if got[-1][2] != parent_pid:
        sys.exit("the parent's lines come from two processes")
    middle = got[1:-1]
    if n_jobs == 1:
        # One process, the tasks one after the other: the seed's sequence exactly.
        want = [(level, message) for level, _, _, message, _ in seed[1:-1]]
        have = [(level, message) for level, _, _, message, _ in middle]
        if have != want:
            sys.exit("the task lines differ from the seed's:\n" + run.stderr)
        if any(not main or pid != parent_pid for _, main, pid, _, _ in middle):
            sys.exit("at n_jobs=1 every line comes from MainProcess, the parent:\n" + run.stderr)
    else:
        if by_task(middle) != by_task(seed[1:-1]):
            sys.exit("some task's lines differ from the seed's:\n" + run.stderr)
        for task in ("1", "2", "3"):
            pids = {pid for _, main, pid, _, t in middle if t == task}
            mains = {main for _, main, _, _, t in middle if t == task}
            if len(pids) != 1 or parent_pid in pids or mains != {False}:
                sys.exit(f"task {task}'s lines do not come from one worker process:\n" + run.stderr)
    print(f"{len(got)} log lines as the seed prints them")


if __name__ == "__main__":
    main()
