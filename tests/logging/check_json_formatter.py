#!/usr/bin/env python3
"""Feeds adversarial records to prun_json_probe and checks every line with Python's json module.

Usage: check_json_formatter.py PATH/TO/prun_json_probe

For both schemas: each record gives exactly one line; the line is strict UTF-8 and strict JSON
(no NaN or Infinity, no raw control characters); and every field holds what the record held,
text decoded as Python's bytes.decode("utf-8", "replace") decodes it.
"""
import datetime
import json
import math
import random
import subprocess
import sys

RNG = random.Random(20251121)
STANDARD_LEVELS = {50: "CRITICAL", 40: "ERROR", 30: "WARNING", 20: "INFO", 10: "DEBUG", 0: "NOTSET"}
PYTHON_NAMES = {"name", "levelname", "levelno", "message", "pathname", "filename", "module", "lineno",
                "funcName", "created", "msecs", "relativeCreated", "asctime", "thread", "threadName",
                "process", "processName", "exc_text", "task", "taskIndex", "worker", "attempt"}


def texts():
    """Byte strings that a JSON encoder gets wrong if it can be got wrong."""
    yield b""
    yield bytes(range(0x00, 0x20))                      # every control character
    yield bytes(range(0x20, 0x80))                      # all of printable ASCII, '"' and '\\'
    yield bytes(range(0x80, 0x100))                     # every non-ASCII byte, alone
    yield "line\u2028separator\u2029paragraph".encode()
    yield b"\xed\xa0\x80\xed\xb0\x80 \xed\xbf\xbf"       # UTF-8 encodings of surrogates
    yield b"\xc0\x80 \xc1\xbf \xe0\x80\xaf \xf0\x80\x80\xaf"  # overlong forms
    yield b"\xf4\x90\x80\x80 \xf5\x80\x80\x80 \xff\xfe"     # past U+10FFFF, never-valid bytes
    yield b"cut \xe2\x82 and \xf0\x9f\x98 and \xc3"       # truncated sequences, one at the end
    yield "\"quotes\" \\back\\ /slash\t\n\r\b\f\x7f".encode()
    yield "emoji 😀 CJK 日本語 e\u0301 BOM \ufeff nbsp\u00a0 rlo\u202e".encode()
    yield b"big " * 250_000 + "é".encode() + b"\x00\xff"  # a 1 MB message
    for _ in range(400):
        yield bytes(RNG.randrange(256) for _ in range(RNG.randrange(0, 120)))
    for _ in range(200):
        yield "".join(chr(RNG.choice([RNG.randrange(0x20, 0x7F), RNG.randrange(0xA0, 0xD800),
                                      RNG.randrange(0xE000, 0x110000), RNG.randrange(0, 0x20)]))
                      for _ in range(RNG.randrange(0, 40))).encode()


def numbers():
    return [0, 1, -1, 2**63 - 1, -2**63, 42, 10**15, 0.0, -0.0, 0.25, 1e16, 1e-5, 5e-324, 1.7976931348623157e308,
            math.nan, math.inf, -math.inf, 1763714510.4171233, 123456789.123]


def make_records():
    pool = list(texts())
    levels = [20, 40, 5, 25, 99, 0, -3]
    records = []
    for i, text in enumerate(pool):
        other = pool[RNG.randrange(len(pool))][:200]
        extras = []
        for _ in range(RNG.randrange(0, 6)):
            key = RNG.choice([b"user", b"count", b"message", b"name", b"task", b"user", other[:20], b"k\"\\\n",
                              "ключ".encode(), b"\xff\xfe"])
            value = RNG.choice([("S", RNG.choice(pool)[:300]), ("I", RNG.choice([v for v in numbers() if isinstance(v, int)])),
                                ("F", float(RNG.choice(numbers())))])
            extras.append((key, value))
        from_task = RNG.random() < 0.5
        records.append(dict(
            name=RNG.choice([b"root", b"app.db", other[:30]]),
            levelno=RNG.choice(levels),
            msg=text,
            pathname=RNG.choice([b"/src/app/db_module.cpp", b"/etc/.bashrc", b"noext", other[:50] + b"/x.py"]),
            function=RNG.choice([b"void app::Db::connect(int)", b"main()::<lambda()>", b"int main(int, char**)"]),
            lineno=RNG.randrange(0, 100000),
            created_ns=RNG.choice([0, 1763714510417123456, 1709251199999000000, RNG.randrange(0, 4 * 10**18)]),
            relative_ns=RNG.randrange(0, 10**15),
            thread=RNG.choice([140245, 2**64 - 1, 0]),
            threadName=RNG.choice([b"MainThread", other[:20]]),
            process=RNG.randrange(1, 2**31),
            processName=RNG.choice([b"MainProcess", b"ForkPoolWorker-1", other[:20]]),
            task=(RNG.choice([b"3", b"", other[:20]]) if from_task else b""),
            taskIndex=(RNG.randrange(0, 10**6) if from_task else -1),
            worker=(RNG.randrange(0, 64) if from_task else 0),
            attempt=(RNG.randrange(0, 4) if from_task else 0),
            exc_text=RNG.choice([b"", b"", b"std::runtime_error: boom\nnested: " + other[:40]]),
            extras=extras,
        ))
    return records


def frame(tag, value):
    b = value if isinstance(value, bytes) else str(value).encode()
    return tag.encode() + b"%08d" % len(b) + b


def encode(records):
    out = []
    for r in records:
        for tag, field in [("n", "name"), ("l", "levelno"), ("m", "msg"), ("p", "pathname"), ("f", "function"),
                           ("L", "lineno"), ("c", "created_ns"), ("r", "relative_ns"), ("t", "thread"),
                           ("T", "threadName"), ("P", "process"), ("N", "processName"), ("k", "task"),
                           ("i", "taskIndex"), ("w", "worker"), ("a", "attempt"), ("x", "exc_text")]:
            out.append(frame(tag, r[field]))
        for key, (kind, value) in r["extras"]:
            out.append(frame("E", key))
            out.append(frame(kind, repr(value) if kind == "F" else value))
        out.append(b"Z")
    return b"".join(out)


def text(b):
    return b.decode("utf-8", "replace")


def levelname(level):
    return STANDARD_LEVELS.get(level, "Level %d" % level)


def basename(p):
    return p.rsplit(b"/", 1)[-1]


def module(p):
    base = basename(p)
    dot = base.rfind(b".")
    return base if dot < 0 or base[:dot].strip(b".") == b"" else base[:dot]


def function_name(f):
    return {b"void app::Db::connect(int)": "connect", b"main()::<lambda()>": "<lambda>", b"int main(int, char**)": "main"}[f]


def json_value(kind, value):
    if kind == "S":
        return text(value)
    if kind == "F" and not math.isfinite(value):
        return None
    return value


def extras(r, prefix, reserved):
    """The first extra of each key as JSON shows it, unless the schema writes that name itself."""
    out = {}
    for key, (kind, value) in r["extras"]:
        name = text(prefix + key)
        if name not in out and name not in reserved:
            out[name] = json_value(kind, value)
    return out


def expected_python(r):
    e = {
        "name": text(r["name"]), "levelname": levelname(r["levelno"]), "levelno": r["levelno"], "message": text(r["msg"]),
        "pathname": text(r["pathname"]), "filename": text(basename(r["pathname"])), "module": text(module(r["pathname"])),
        "lineno": r["lineno"], "funcName": function_name(r["function"]), "created": r["created_ns"] / 1e9,
        "msecs": float((r["created_ns"] % 10**9) // 10**6), "relativeCreated": r["relative_ns"] / 1e6,
        "thread": r["thread"], "threadName": text(r["threadName"]), "process": r["process"],
        "processName": text(r["processName"]),
    }
    if r["exc_text"]:
        e["exc_text"] = text(r["exc_text"])
    if r["task"] or r["taskIndex"] >= 0:
        e.update(task=text(r["task"]), taskIndex=r["taskIndex"], worker=r["worker"])
        if r["attempt"] > 0:
            e["attempt"] = r["attempt"]
    e.update(extras(r, b"", PYTHON_NAMES))
    return e


def expected_ecs(r):
    when = datetime.datetime.fromtimestamp(r["created_ns"] // 10**9, datetime.timezone.utc)
    e = {
        "@timestamp": when.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % ((r["created_ns"] % 10**9) // 10**6),
        "log.level": levelname(r["levelno"]).lower(), "message": text(r["msg"]), "ecs.version": "1.6.0",
        "log.logger": text(r["name"]), "log.origin.file.name": text(basename(r["pathname"])),
        "log.origin.file.line": r["lineno"], "log.origin.function": function_name(r["function"]),
        "process.pid": r["process"], "process.name": text(r["processName"]), "process.thread.id": r["thread"],
        "process.thread.name": text(r["threadName"]),
    }
    if r["exc_text"]:
        e["error.message"] = text(r["exc_text"])
    if r["task"] or r["taskIndex"] >= 0:
        e.update({"prun.task": text(r["task"]), "prun.task_index": r["taskIndex"], "prun.worker": r["worker"]})
        if r["attempt"] > 0:
            e["prun.attempt"] = r["attempt"]
    e.update(extras(r, b"labels.", set(e)))
    return e


def reject_constant(name):
    raise ValueError(f"non-standard JSON constant {name}")


def check(probe, schema, records, expected):
    result = subprocess.run([probe, schema], input=encode(records), stdout=subprocess.PIPE, check=True)
    lines = result.stdout.split(b"\n")
    assert lines[-1] == b"", "output must end with a line break"
    lines = lines[:-1]
    assert len(lines) == len(records), f"{schema}: {len(lines)} lines for {len(records)} records"
    for n, (line, r) in enumerate(zip(lines, records)):
        decoded = line.decode("utf-8")  # strict: prun writes valid UTF-8 only
        obj = json.loads(decoded, parse_constant=reject_constant)  # strict: no raw control characters
        want = expected(r)
        if obj != want:
            for k in sorted(set(obj) | set(want)):
                if obj.get(k, "<absent>") != want.get(k, "<absent>"):
                    print(f"{schema} record {n}: {k!r}: prun {obj.get(k, '<absent>')!r:.200} != {want.get(k, '<absent>')!r:.200}")
            sys.exit(1)
        assert list(obj)[:3] == list(want)[:3], "field order"
    print(f"{schema}: {len(records)} records, every line strict JSON with the record's fields")


def main():
    probe = sys.argv[1]
    records = make_records()
    check(probe, "python", records, expected_python)
    check(probe, "ecs", records, expected_ecs)


if __name__ == "__main__":
    main()
