#!/usr/bin/env python3
"""The prun command line against xargs -P and GNU parallel, measured in the same run.

  cli_true_jobs_s     1,000 `true` jobs at -j2 (seconds; the same for xargs -P2 and GNU parallel)
  cli_output_mb_s     10 jobs printing 100 MB each in 100-byte lines, grouped, -j2, to a pipe
                      (MB/s; the same producers through xargs -P2, ungrouped, give the ceiling)

Usage: bench_cli.py PRUN [REPEAT]     Prints numbers, never fails on them.
"""
import os
import shutil
import statistics
import subprocess
import sys
import time

LINE = "x" * 99  # yes prints it with a newline: 100 bytes a line
OUTPUT_JOBS = 10
OUTPUT_BYTES = 100_000_000  # per job


def timed(command, stdin=b""):
    """Seconds the shell command takes (its stdout read through a pipe by `cat > /dev/null`)."""
    start = time.perf_counter()
    p = subprocess.run(["/bin/sh", "-c", command], input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if p.returncode != 0:
        print(f"# {command!r} exited {p.returncode}: {p.stderr.decode(errors='replace')[:200]}")
    return elapsed


def best(command, repeat, stdin=b""):
    return min(timed(command, stdin) for _ in range(repeat))


def main():
    prun = os.path.abspath(sys.argv[1])
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    parallel = shutil.which("parallel")
    env_gnu = "PARALLEL_SHELL=/bin/sh "
    numbers = b"".join(b"%d\n" % i for i in range(1000))
    print(f"# {os.cpu_count()} CPUs; best of {repeat} runs")
    print(f"cli_true_jobs_s {best(f'{prun} -j2 true', repeat, numbers):.3f}")
    print(f"xargs_true_jobs_s {best('xargs -P2 -n1 true', repeat, numbers):.3f}")
    if parallel:
        print(f"gnu_parallel_true_jobs_s {best(env_gnu + 'parallel -j2 true', repeat, numbers):.3f}")
    else:
        print("# GNU parallel is not installed: no gnu_parallel_true_jobs_s")

    jobs = " ".join(str(i) for i in range(OUTPUT_JOBS))
    # `: {}` takes the value: without a replacement string prun and GNU parallel append it to the
    # command, and `head -c N 3` would read a file named 3.
    producer = f"yes {LINE} | head -c {OUTPUT_BYTES}; : {{}}"
    mb = OUTPUT_JOBS * OUTPUT_BYTES / 1e6
    t = best(f"{prun} -j2 '{producer}' ::: {jobs} | cat > /dev/null", repeat)
    print(f"cli_output_mb_s {mb / t:.0f}")
    t = best(f"printf '%s\\n' {jobs} | xargs -P2 -I{{}} sh -c '{producer}' | cat > /dev/null", repeat)
    print(f"xargs_output_mb_s {mb / t:.0f}")
    if parallel:
        t = best(env_gnu + f"parallel -j2 '{producer}' ::: {jobs} | cat > /dev/null", 1)
        print(f"gnu_parallel_output_mb_s {mb / t:.0f}")


if __name__ == "__main__":
    main()
