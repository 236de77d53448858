#!/usr/bin/env python3
"""What Python users run today, measured on this machine, for docs/benchmarks.md.

Prints name=value lines comparable with prun_bench_pool:
  python_cookbook_records_per_s   2 processes x N records through the logging cookbook's
                                  QueueHandler + listener into a file, seed format
  python_pool_tiny_tasks_per_s    multiprocessing.Pool(2).map(x*x) over 200,000 items, start included
  python_pool_first_call_ms       a fresh Pool(2) running 2 no-op tasks
joblib itself is not installed here (PyPI is out of reach); multiprocessing is what it builds on.
"""
import logging
import logging.handlers
import multiprocessing as mp
import os
import sys
import tempfile
import time

FORMAT = "%(asctime)s %(levelname)s %(processName)s %(process)d %(name)s %(message)s"


def worker(queue, n):
    root = logging.getLogger()
    root.handlers = [logging.handlers.QueueHandler(queue)]
    root.setLevel(logging.INFO)
    log = logging.getLogger("bench.worker")
    for i in range(n):
        log.info("record %d of the benchmark", i)


def cookbook_records_per_s(n):
    path = os.path.join(tempfile.gettempdir(), "prun-compare-%d.log" % os.getpid())
    handler = logging.FileHandler(path, "w")
    handler.setFormatter(logging.Formatter(FORMAT))
    queue = mp.Queue(-1)
    listener = logging.handlers.QueueListener(queue, handler)
    listener.start()
    t0 = time.perf_counter()
    procs = [mp.Process(target=worker, args=(queue, n)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    listener.stop()
    dt = time.perf_counter() - t0
    handler.close()
    with open(path) as f:
        lines = sum(1 for _ in f)
    os.remove(path)
    assert lines == 2 * n, lines
    return 2 * n / dt


def square(x):
    return x * x


def noop(_):
    return None


def pool_tiny_tasks_per_s():
    t0 = time.perf_counter()
    with mp.Pool(2) as pool:
        result = pool.map(square, range(200_000))
    dt = time.perf_counter() - t0
    assert result[-1] == 199_999 ** 2
    return 200_000 / dt


def pool_first_call_ms():
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        with mp.Pool(2) as pool:
            pool.map(noop, range(2))
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


if __name__ == "__main__":
    mp.set_start_method("fork")
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    print("python_cookbook_records_per_s=%.0f" % cookbook_records_per_s(n))
    print("python_pool_tiny_tasks_per_s=%.0f" % pool_tiny_tasks_per_s())
    print("python_pool_first_call_ms=%.1f" % pool_first_call_ms())
