#!/usr/bin/env python3
"""ProgressObserver's verbose lines against joblib's own, for several verbose levels and sizes.

Usage: check_joblib_progress.py PROGRESS_PROBE
Exits 77 (skipped) when joblib cannot be imported (Debian: apt-get install python3-joblib).

joblib runs with the threading backend, n_jobs=2, batch_size=1 and pre_dispatch="all", each
task waiting until every task was dispatched: the total is known when the first task ends,
as in a prun run. Compared: the sequence of "Done k out of n" lines (counts, not times), the
"finished" line, and the shape of every line with the times blanked.
"""
import contextlib
import io
import re
import subprocess
import sys
import time

try:
    import joblib
except ImportError:
    print("joblib is not installed: skipped")
    sys.exit(77)

TIME = re.compile(r"(elapsed|remaining): +[0-9.]+(s|min)")


def joblib_lines(verbose, n):
    p = joblib.Parallel(n_jobs=2, verbose=verbose, backend="threading", batch_size=1, pre_dispatch="all")

    def task():
        while p.n_dispatched_tasks < n:  # every task is dispatched before the first ends
            time.sleep(0.0005)
        return 0

    out = io.StringIO()
    with contextlib.redirect_stderr(out), contextlib.redirect_stdout(out):
        p(joblib.delayed(task)() for _ in range(n))
    return out.getvalue().splitlines()


def shape(lines):
    done = [l for l in lines if "Done" in l]
    return [TIME.sub(r"\1: T", l) for l in done]


def main():
    probe = sys.argv[1]
    bad = 0
    cases = 0
    for verbose in (1, 2, 3, 5, 8, 10, 11, 50, 100):
        for n in (1, 2, 3, 7, 10, 20, 33, 100, 101):
            ours = subprocess.run([probe, str(verbose), str(n)], capture_output=True, text=True, timeout=60)
            if ours.returncode != 0:
                print(f"probe failed for verbose={verbose} n={n}: {ours.stderr}")
                return 1
            mine, theirs = shape(ours.stdout.splitlines()), shape(joblib_lines(verbose, n))
            cases += 1
            if mine != theirs:
                bad += 1
                print(f"verbose={verbose} n={n}:\n  prun:   {mine}\n  joblib: {theirs}")
            first = ours.stdout.splitlines()[0] if ours.stdout else ""
            # prun starts no more workers than there are tasks.
            if first != f"[Parallel(n_jobs=2)]: Using backend fork with {min(n, 2)} concurrent workers.":
                bad += 1
                print(f"verbose={verbose} n={n}: first line {first!r}")
    print(f"{cases - bad} of {cases} cases agree with joblib {joblib.__version__}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
