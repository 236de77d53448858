#!/usr/bin/env python3
"""What CPython writes for the logging cookbook's multi-process example, made deterministic.

Usage: cookbook_reference.py CONFIG.json OUTDIR [tasks]

Configures logging with logging.config.dictConfig(CONFIG) after putting every handler's
'filename' inside OUTDIR, then does what the cookbook's listener thread does with the records
of its five worker processes (each logs 100 'Message no. %d' records at random levels on
random loggers of foo, foo.bar, foo.bar.baz, spam, spam.ham, spam.ham.eggs):
logging.getLogger(record.name).handle(record). The records are made here, round-robin over
the workers, with fixed creation times, and listed in OUTDIR/records.txt
("name levelno processName created_ns message" per line) so that the C++ test can route the
same records through prun. The console handler writes to this program's stderr.

With "tasks", the records are those of the same workers run as prun tasks: each message
carries prun's task prefix ("process=<worker> Message no. 7") and the listener handles worker
1's records, then worker 2's, and so on: the order of a sequential run (n_jobs=1).
"""
import json
import logging
import logging.config
import os
import random
import sys

LEVELS = [logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL]
LOGGERS = ["foo", "foo.bar", "foo.bar.baz", "spam", "spam.ham", "spam.ham.eggs"]
BASE_NS = 1763714510_000_000_000


def main():
    config_path, outdir = sys.argv[1], sys.argv[2]
    as_tasks = sys.argv[3:] == ["tasks"]
    with open(config_path) as f:
        config = json.load(f)
    for h in config.get("handlers", {}).values():
        if "filename" in h:
            h["filename"] = os.path.join(outdir, h["filename"])
    logging.config.dictConfig(config)

    rng = random.Random(7)
    per_worker = [[] for _ in range(5)]
    for w in range(5):
        for i in range(100):
            per_worker[w].append((rng.choice(LOGGERS), rng.choice(LEVELS), i))
    lines = []
    seq = 0
    order = [(w, i) for w in range(5) for i in range(100)] if as_tasks else [(w, i) for i in range(100) for w in range(5)]
    for w, i in order:
        name, level, n = per_worker[w][i]
        msg = ("process=%d " % (w + 1) if as_tasks else "") + "Message no. %d"
        record = logging.LogRecord(name, level, "/src/worker.py", 30, msg, (n,), None)
        created_ns = BASE_NS + seq * 1_234_567
        seq += 1
        record.created = created_ns / 1e9
        record.msecs = float((created_ns % 10**9) // 10**6)
        record.processName = "worker %d" % (w + 1)
        lines.append("%s %d %s %d %s" % (name, level, record.processName.replace(" ", "_"), created_ns,
                                         record.getMessage()))
        logging.getLogger(record.name).handle(record)
    logging.shutdown()
    with open(os.path.join(outdir, "records.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
