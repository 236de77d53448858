#!/usr/bin/env python3
"""Generates formatter_cases.inc: thousands of layouts rendered by CPython's logging.Formatter.

Every case is a format (one of the three styles), a date format, a time zone, a set of
defaults and one of the records below; the file holds what CPython does with it:

  'o'  it renders the expected bytes (UTF-8; an undecodable byte of a record's text travels as
       Python's surrogateescape carries it);
  'r'  Formatter() raises: prun must refuse the format at construction too;
  'e'  format() raises for this record but not for every record: prun must build the formatter
       and throw from format() (a handler prints "--- Logging error ---");
  'a'  format() raises for every probe record: prun may refuse at construction (difference
       "Refused early" of docs/logging.md) or throw from format();
  'd'  a difference kept on purpose (docs/logging.md, "Differences from Python" > "Formatting");
       the comment above the case names it, and prun must refuse the format at construction.

The C++ test (test_formatter_oracle.cpp) builds the same records and checks every case.
The generator is deterministic (fixed seed); run:
  python3 gen_formatter_cases.py > formatter_cases.inc
The test formatter_oracle_is_current regenerates it and compares (all but the first line).
"""
import logging
import math
import os
import random
import sys
import time

SEED = 20251121

# Level names the C++ test registers with add_level_name() before it runs.
LEVEL_NAMES = [(5, "TRACE"), (35, "NOTICE"), (1, "T"), (45, "ÉCHEC")]

# ---- records ----------------------------------------------------------------------------------

BASE = dict(
    name="app.db", levelno=20, msg=b"Starting ...", pathname="/src/app/db_module.cpp",
    function="void app::Db::connect(int)", funcName="connect", lineno=42,
    created_ns=1763714510417123456, relative_ns=12345678, thread=140245, threadName="MainThread",
    process=4242, processName="MainProcess", task="3", taskIndex=2, worker=1, attempt=1,
    exc_text=None, extras=None,
)

EXTRAS = [
    ("user", "bob"), ("count", 7), ("ratio", 0.25), ("neg", -1234567), ("big", 2**62 + 12345),
    ("huge", 1e20), ("nan", math.nan), ("inf", math.inf), ("ninf", -math.inf), ("tiny", 1.5e-7),
    ("nzero", -0.0), ("one", "z"), ("cp", 0x1F600), ("sur", 0xD800), ("oor", 0x110000),
    ("empty", ""), ("uni", "naïve 名前"), ("val", "text"), ("my key", "spaced"), ("a(b)", "paren"),
    ("pct", 0.1234),
]


def record(**changes):
    r = dict(BASE)
    r.update(changes)
    if r["extras"] is None:
        r["extras"] = list(EXTRAS)
    return r


def with_val(value):
    return [(k, value if k == "val" else v) for k, v in EXTRAS]


RECORDS = [
    record(),
    record(levelno=5, msg=b"say \"hi\" and 'bye'\n\ttab \\ back", extras=with_val(41)),
    record(levelno=25, msg="日本語のメッセージ ｆｕｌｌ".encode(), pathname="/etc/.bashrc", extras=with_val(2.5)),
    record(levelno=35, pathname="noext", lineno=7,
           msg="nbsp\u00a0 shy\u00ad zwsp\u200b ls\u2028 ps\u2029 c1\x85 ctl\x01\x1f del\x7f bom\ufeff "
               "emoji😀 e\u0301 rlo\u202e pua\ue000 tag\U000E0041 unassigned\u0378".encode()),
    record(levelno=1, name="a", msg=b"x", pathname="p", function="int f()", funcName="f", task="k",
           threadName="t", processName="P", exc_text="e",
           extras=[(k, "y" if isinstance(v, str) else v) for k, v in EXTRAS]),
    record(levelno=45, msg=b"", pathname="/tmp/..hidden", exc_text="std::runtime_error: boom",
           extras=with_val(-0.5)),
    record(levelno=-5, msg=b"caf\xe9 \xff\xfe ok \xed\xa0\x80 trunc\xe2\x82 end", pathname="/x/archive.tar.gz",
           extras=[(k, v) for k, v in EXTRAS if k not in ("sur", "val")]),
    record(levelno=99, lineno=0, created_ns=0, relative_ns=0, thread=2**47 - 1, process=1,
           task="", taskIndex=-1, worker=0, attempt=0, pathname="/", extras=[]),
    record(levelno=10, created_ns=1709251199999000000, relative_ns=999999999999, name="very.long.logger.name",
           msg=("a long message " * 20).encode(), pathname="x.", extras=with_val(0)),
    record(levelno=50, created_ns=4133980799123000000, msg=b"line1\nline2\n", exc_text="std::out_of_range: row 7\nnested",
           pathname="relative/dir/file.name.ext", extras=with_val("")),
    record(levelno=30, msg="Ωμέγα ünïcödé ß ﬁ 𝔘𝔫𝔦".encode(), name="ünï.cödé", threadName="Worker-Ω",
           processName="ForkPoolWorker-1", task="tag with spaces", taskIndex=123456, worker=2, attempt=3,
           extras=with_val(10**15)),
]

# Records where only the kind of a value changes, to tell "fails for this record" from "fails
# for every record" (PercentStyle and StrFormatStyle fail at emit in both cases).
PROBE_KEYS = [k for k, _ in EXTRAS] + ["dflt", "n", "missing"]
PROBES = list(RECORDS) + [
    record(extras=[(k, 65) for k in PROBE_KEYS]),
    record(extras=[(k, 1.5) for k in PROBE_KEYS]),
    record(extras=[(k, "w") for k in PROBE_KEYS]),
    record(extras=[]),
]

DEFAULTS = [
    [],
    [("user", "-"), ("count", 0), ("ratio", 0.0)],
    [("dflt", "fallback"), ("n", 3), ("user", "ignored: the record's value wins")],
]


def message_text(r):
    return r["msg"].decode("utf-8", "surrogateescape")


def make_record(r):
    rec = logging.LogRecord(r["name"], r["levelno"], r["pathname"], r["lineno"], message_text(r), None, None,
                            func=r["funcName"])
    rec.created = r["created_ns"] / 1e9
    rec.msecs = float((r["created_ns"] % 10**9) // 10**6)
    rec.relativeCreated = r["relative_ns"] / 1e6
    rec.thread = r["thread"]
    rec.threadName = r["threadName"]
    rec.process = r["process"]
    rec.processName = r["processName"]
    rec.exc_text = r["exc_text"]
    rec.taskName = None  # Python 3.12's attribute, None outside asyncio (prun has no asyncio tasks)
    rec.task = r["task"]
    rec.taskIndex = r["taskIndex"]
    rec.worker = r["worker"]
    rec.attempt = r["attempt"]
    for k, v in r["extras"]:
        setattr(rec, k, v)
    return rec


def render(fmt, datefmt, style, defaults, r):
    """('ok', bytes) | ('construct', msg) | ('emit', msg)"""
    try:
        f = logging.Formatter(fmt, datefmt, style, defaults=dict(defaults) if defaults else None)
    except Exception as e:  # noqa: BLE001 - any exception is the outcome
        return "construct", f"{type(e).__name__}: {e}"
    try:
        text = f.format(make_record(r))
        # What a UTF-8 handler writes; prun's text carries undecodable bytes through as they came.
        return "ok", text.encode("utf-8", "surrogateescape" if b"\xff" in r["msg"] else "strict")
    except Exception as e:  # noqa: BLE001
        return "emit", f"{type(e).__name__}: {e}"


# ---- differences kept on purpose (docs/logging.md, "Differences from Python" > "Formatting") ----

def difference(fmt, style):
    """The name of the documented difference this format falls under, or None."""
    for attr in ("msg", "args", "exc_info", "stack_info"):
        uses = {"%": ["%(" + attr + ")"], "{": ["{" + attr + c for c in "}!:"],
                "$": ["${" + attr + "}"] + ["$" + attr + c for c in " |:-[]{}$\t"]}[style]
        if any(u in fmt for u in uses) or (style == "$" and fmt.endswith("$" + attr)):
            return "Python-only record attributes"
    if style == "%":
        i = 0
        while True:
            i = fmt.find("%", i)
            if i < 0 or i + 1 >= len(fmt):
                break
            if fmt[i + 1] == "%":
                i += 2
                continue
            if fmt[i + 1] != "(":
                return "A conversion without a key"
            i += 1
    if style == "{":
        import _string
        try:
            for _, name, spec, _ in _string.formatter_parser(fmt):
                for n in [name or ""] + [p[1] for p in _string.formatter_parser(spec or "") if p[1]]:
                    if "." in n or "[" in n:
                        return "Attribute and index access"
        except ValueError:
            pass
    return None


# ---- generated formats ------------------------------------------------------------------------

STANDARD = ["name", "levelno", "levelname", "pathname", "filename", "module", "lineno", "funcName",
            "created", "msecs", "relativeCreated", "asctime", "thread", "threadName", "process",
            "processName", "message", "exc_text", "task", "taskIndex", "worker", "attempt", "taskName"]
EXTRA_KEYS = [k for k, _ in EXTRAS if k not in ("my key", "a(b)")] + ["dflt", "n", "missing"]
ODD_PERCENT_KEYS = ["my key", "a(b)", "", "msg", "args"]
ODD_BRACE_KEYS = ["0", "", "name.upper", "message[0]", "msg", "lineno\n", "ünï"]
LITERALS = [" ", " ", "|", " - ", ": ", "[", "]", "", "", "→", "é", " %% ", "{{", "}}", "$$", "\t"]


KIND = dict(name="s", levelno="i", levelname="s", pathname="s", filename="s", module="s", lineno="i",
            funcName="s", created="f", msecs="f", relativeCreated="f", asctime="s", thread="i",
            threadName="s", process="i", processName="s", message="s", exc_text="n", task="s",
            taskIndex="i", worker="i", attempt="i", taskName="n", dflt="s", n="i", missing="s")
KIND.update({k: "s" if isinstance(v, str) else "f" if isinstance(v, float) else "i" for k, v in EXTRAS})
PERCENT_OK = {"s": "ssssrra", "n": "ssr", "i": "dddiuoxXeEfFgGcssr", "f": "ddieEfFgGsr"}
BRACE_TYPES = {"s": ["", "", "s"], "n": [""], "i": ["", "", "d", "b", "c", "o", "x", "X", "n", "e", "E", "f", "F", "g", "G", "%"],
               "f": ["", "", "e", "E", "f", "F", "g", "G", "n", "%"]}


def pick_key(rng, odd):
    r = rng.random()
    if r < 0.62:
        return rng.choice(STANDARD)
    if r < 0.96:
        return rng.choice(EXTRA_KEYS)
    return rng.choice(odd)


def percent_field(rng):
    key = pick_key(rng, ODD_PERCENT_KEYS)
    flags = "".join(rng.choice("-+ #0") for _ in range(rng.choice([0, 0, 0, 1, 1, 2, 3])))
    width = rng.choice(["", "", "", "0", "1", "3", "5", "8", "10", "12", "20", "31"])
    prec = rng.choice(["", "", "", "", ".", ".0", ".1", ".2", ".3", ".6", ".10", ".20"])
    length = rng.choice([""] * 30 + ["l", "h", "L"])
    if rng.random() < 0.75:
        conv = rng.choice(PERCENT_OK.get(KIND.get(key, "s"), "s"))
    else:
        conv = rng.choice("ssssssrrradiuoxXeEfFgGc" * 4 + "qSy%*")
    if rng.random() < 0.02:
        width = "*"
    return f"%({key}){flags}{width}{prec}{length}{conv}"


def brace_spec(rng):
    fill_align = rng.choice(["", "", "", "<", ">", "^", "=", "*<", "0>", " ^", "★>", "-=", "x^", "{<"])
    sign = rng.choice(["", "", "", "+", "-", " "])
    alt = rng.choice(["", "", "", "#"])
    zero = rng.choice(["", "", "", "0"])
    width = rng.choice(["", "", "1", "5", "8", "12", "20", "{count}", "{lineno}", "{levelno}"])
    group = rng.choice(["", "", "", "", ",", "_"])
    prec = rng.choice(["", "", "", "", ".0", ".1", ".3", ".6", ".12", ".{count}", "."])
    typ = rng.choice(["", "", "", ""] + list("bcdeEfFgGnosxX%") + ["S", "D", "z", "r"])
    spec = fill_align + sign + alt + zero + width + group + prec + typ
    return spec


def plausible_brace_spec(rng, kind):
    """A spec that format() accepts for a value of `kind` (most of the time)."""
    typ = rng.choice(BRACE_TYPES[kind])
    numeric = kind in "if"
    align = rng.choice(["", "", "<", ">", "^"] + (["="] if numeric else []))
    fill = rng.choice(["", "", "", "*", "0", "·", "★"]) if align else ""
    sign = rng.choice(["", "", "+", "-", " "]) if numeric and typ != "c" else ""
    alt = rng.choice(["", "", "#"]) if numeric and typ != "c" else ""
    zero = rng.choice(["", "", "0"])
    width = rng.choice(["", "1", "5", "8", "12", "20", "{count}"])
    group = ""
    if numeric and typ in ("", "d", "e", "E", "f", "F", "g", "G", "%"):
        group = rng.choice(["", "", ",", "_"])
    elif typ in ("b", "o", "x", "X"):
        group = rng.choice(["", "", "_"])
    prec = ""
    if kind == "s" or typ in ("", "e", "E", "f", "F", "g", "G", "%", "n") and not (kind == "i" and typ in ("", "n")):
        prec = rng.choice(["", "", ".0", ".1", ".3", ".6", ".12"])
    if kind == "n":
        return ""
    return fill + align + sign + alt + zero + width + group + prec + typ


def brace_field(rng):
    key = pick_key(rng, ODD_BRACE_KEYS)
    conv = rng.choice([""] * 8 + ["!r", "!s", "!a", "!r", "!s", "!x", "!"])
    if rng.random() < 0.75:
        kind = "s" if conv in ("!r", "!s", "!a") else KIND.get(key, "s")
        spec = plausible_brace_spec(rng, kind) or None
    else:
        spec = brace_spec(rng) if rng.random() < 0.75 else None
    if spec is None:
        return "{" + key + conv + "}"
    return "{" + key + conv + ":" + spec + "}"


def dollar_field(rng):
    key = rng.choice(STANDARD + EXTRA_KEYS[:6] + ["missing", "1bad", ""])
    return rng.choice(["$" + key, "${" + key + "}", "${" + key + "}x"])


def layout(rng, field, odd):
    parts = []
    for _ in range(rng.choice([1, 1, 2, 2, 3])):
        parts.append(rng.choice(LITERALS))
        parts.append(field(rng))
    parts.append(rng.choice(LITERALS))
    if rng.random() < 0.03:
        parts.append(rng.choice(odd))
    return "".join(parts)


DATEFMTS = [
    None, "%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M:%S%z", "%H:%M:%S", "%f", "%H:%M:%S.%f", "%Q", "%",
    "%-d %-m %_H %^a %#b %#Z", "%Ec|%Ex|%EX|%Od|%OH", "%c", "%x", "%X", "%s",
    "%a %A %b %B %C %d %D %e %F %g %G %h %I %j %k %l %m %M %n %p %P %r %R %S %t %T %u %U %V %w %W %y %Y %z %Z %%",
    "%10Y|%-10d|%_5m|%05H", "plain text", "日付 %Y年%m月%d日 %H時", "[%Y]", "%%Y",
    " ".join(["%Y-%m-%d %H:%M:%S"] * 20),          # 379 bytes of output: past 255
    "%c " * 150,                                    # over 3,600 bytes
]
TIME_ZONES = ["UTC", "UTC", "Asia/Kolkata", "America/New_York"]

HAND = [
    # (style, fmt, datefmt, record, defaults, tz)
    ("%", "%(asctime)s %(levelname)s %(processName)s %(process)d %(name)s %(message)s", None, 0, 0, "UTC"),
    ("%", "%(levelname)-8s|%(name).3s|%(msecs)03d|%(created)f", None, 0, 0, "UTC"),
    ("%", "%(levelname)s:%(name)s:%(message)s", None, 0, 0, "UTC"),
    ("%", "%(relativeCreated)s %(created)s %(msecs)s %(levelno)s", None, 0, 0, "UTC"),
    ("%", "%(lineno)5d|%(lineno)-5d|%(lineno)05d|%(process)x|%(process)#X|%(process)o|%(process)#o|%(lineno)+d|%(lineno) d", None, 0, 0, "UTC"),
    ("%", "%(message)r %(name)a %(levelname)r", None, 1, 0, "UTC"),
    ("%", "%(created).2f %(msecs).1e %(relativeCreated)g %(created)12.3f|%(msecs)-8.1f|%(msecs)+08.2f", None, 0, 0, "UTC"),
    ("%", "%(filename)s %(module)s %(pathname)s %(funcName)s %(thread)d %(threadName)s", None, 0, 0, "UTC"),
    ("%", "[%(user)s %(count)d %(ratio).2f %(ratio)s %(task)s %(taskIndex)d %(count)5.1f]", None, 0, 0, "UTC"),
    ("%", "%(asctime)s %(message)s", "%d/%m/%Y %H:%M", 0, 0, "UTC"),
    ("%", "%(levelname)s %(message)s", None, 5, 0, "UTC"),
    ("%", "%(levelname)s %(levelno)d", None, 2, 0, "UTC"),
    ("%", "%(message).4s|%(message)12s|%(message)-12s|%(message)a", None, 10, 0, "UTC"),
    ("%", "%(levelno)c|%(levelno)5c|%(levelno)-3c|%(count)c|%(cp)c|%(one)c", None, 0, 0, "UTC"),
    ("%", "100%% %(message)s %%", None, 0, 0, "UTC"),
    ("%", "%(name)20.6s|%(name)-20.6s|", None, 0, 0, "UTC"),
    ("%", "%(created)e %(created)E %(created)G %(msecs)#g", None, 0, 0, "UTC"),
    ("%", "%(lineno).4d|%(lineno)8.4d|%(lineno)-8.4d|%(created)d|%(msecs)i|%(msecs)u", None, 0, 0, "UTC"),
    ("{", "{asctime} {levelname:<8} {name} {message}", None, 0, 0, "UTC"),
    ("{", "{msecs:03.0f} {created:.3f} {levelno:>5d} {message!r} {name!s:>8} {lineno:+}", None, 1, 0, "UTC"),
    ("{", "{relativeCreated} {created} {msecs} {{literal}} {levelname:^9}|", None, 0, 0, "UTC"),
    ("{", "{message:.3} {process:x} {lineno:08.3f}", None, 0, 0, "UTC"),
    # The classes of issue 7.
    ("{", "{levelno!s:>5}|{levelno!r}|{created!a:>22}|{msecs!s}", None, 0, 0, "UTC"),
    ("{", "{message:<20}|{message:>20}|{message:^20.4}", None, 2, 0, "UTC"),
    ("{", "{msecs:8}|{msecs:08}|{relativeCreated:12}|{created:,}", None, 0, 0, "UTC"),
    ("{", "", None, 0, 0, "UTC"),
    ("%", "", None, 0, 0, "UTC"),
    ("$", "", None, 0, 0, "UTC"),
    ("%", "%(module)s|%(filename)s", None, 2, 0, "UTC"),
    ("%", "%(message)r|%(message)a", None, 3, 0, "UTC"),
    ("{", "{message!r}|{message!a}", None, 3, 0, "UTC"),
    ("%", "%(cp)c %(sur)c", None, 0, 0, "UTC"),
    ("%", "%(oor)c", None, 0, 0, "UTC"),
    ("{", "{oor:c}", None, 0, 0, "UTC"),
    ("{", "{sur:c}", None, 0, 0, "UTC"),
    ("%", "%(asctime)s", " ".join(["%Y-%m-%d %H:%M:%S"] * 20), 0, 0, "UTC"),
    # Extras without declaring them, defaults, and keys found nowhere.
    ("%", "%(user)s %(count)03d %(message)s", None, 0, 0, "UTC"),
    ("{", "{user} {count:03d} {message}", None, 0, 0, "UTC"),
    ("$", "$user ${count} $message", None, 0, 0, "UTC"),
    ("%", "%(missing)s %(message)s", None, 0, 0, "UTC"),
    ("%", "%(dflt)s %(n)d %(user)s", None, 0, 2, "UTC"),
    ("%", "%(dflt)s", None, 0, 0, "UTC"),
    ("%", "%(user)d", None, 0, 0, "UTC"),
    ("%", "%(val)d", None, 1, 0, "UTC"),
    ("%", "%(my key)s %(a(b))s", None, 0, 0, "UTC"),
    # Local time zones.
    ("%", "%(asctime)s", "%Y-%m-%d %H:%M:%S %z %Z", 0, 0, "Asia/Kolkata"),
    ("%", "%(asctime)s", None, 8, 0, "America/New_York"),
    ("{", "{asctime}", "%c %Z", 9, 0, "America/New_York"),
    # Python 3.12's taskName.
    ("%", "%(taskName)s|%(taskName)r", None, 0, 0, "UTC"),
    ("{", "{taskName}|{taskName!s:>6}", None, 0, 0, "UTC"),
    # Malformed formats.
    ("%", "%(message)s %", None, 0, 0, "UTC"),
    ("%", "%(message)", None, 0, 0, "UTC"),
    ("%", "%(message)s %s", None, 0, 0, "UTC"),
    ("%", "%s %(message)s", None, 0, 0, "UTC"),
    ("%", "%(message)*s", None, 0, 0, "UTC"),
    ("%", "%(message)s %(unclosed", None, 0, 0, "UTC"),
    ("%", "%%(message)s", None, 0, 0, "UTC"),
    ("%", "no fields", None, 0, 0, "UTC"),
    ("{", "{message", None, 0, 0, "UTC"),
    ("{", "message}", None, 0, 0, "UTC"),
    ("{", "{message!}", None, 0, 0, "UTC"),
    ("{", "{message!rx}", None, 0, 0, "UTC"),
    ("{", "{message:{}}", None, 0, 0, "UTC"),
    ("{", "{message:{lineno}}|{message:.{count}}|{message:>{levelno}.{count}}", None, 0, 0, "UTC"),
    ("{", "{message:{missing}}", None, 0, 0, "UTC"),
    ("{", "{}", None, 0, 0, "UTC"),
    ("{", "{0} {message}", None, 0, 0, "UTC"),
    ("{", "{name.upper} {message}", None, 0, 0, "UTC"),
    ("{", "{message[0]}", None, 0, 0, "UTC"),
    ("%", "%(msg)s", None, 0, 0, "UTC"),
    ("$", "$msg", None, 0, 0, "UTC"),
    ("$", "$", None, 0, 0, "UTC"),
    ("$", "${message", None, 0, 0, "UTC"),
    ("$", "$$ $$message", None, 0, 0, "UTC"),
]


def cases():
    rng = random.Random(SEED)
    out = list(HAND)
    for _ in range(3200):
        out.append(("%", layout(rng, percent_field, ODD_PERCENT_KEYS), None, rng.randrange(len(RECORDS)),
                    rng.choice([0, 0, 1, 2]), "UTC"))
    for _ in range(3000):
        out.append(("{", layout(rng, brace_field, ["{", "}", "{{", "{:x}"]), None, rng.randrange(len(RECORDS)),
                    rng.choice([0, 0, 1, 2]), "UTC"))
    for _ in range(300):
        out.append(("$", layout(rng, dollar_field, ["$", "$1"]), None, rng.randrange(len(RECORDS)),
                    rng.choice([0, 1]), "UTC"))
    for datefmt in DATEFMTS:
        for r in (0, 7, 8, 9):
            tz = rng.choice(TIME_ZONES)
            out.append(("%", "%(asctime)s|%(message).8s", datefmt, r, 0, tz))
            out.append(("{", "[{asctime}] {levelname}", datefmt, r, 0, tz))
    for r in range(len(RECORDS)):
        out.append(("%", "%(levelname)s|%(levelname)-9s|%(levelname).3s|%(levelno)d|%(levelname)r", None, r, 0, "UTC"))
        out.append(("{", "{levelname:>10}|{levelname!a}|{levelno:+05d}", None, r, 0, "UTC"))
    return out


# ---- output -----------------------------------------------------------------------------------

def cxx(b):
    """A C++ string literal holding the bytes `b` (printable text kept, the rest escaped)."""
    if b is None:
        return "nullptr"
    if isinstance(b, str):
        b = b.encode("utf-8", "surrogateescape")
    out = []
    for ch in b.decode("utf-8", "surrogateescape"):
        cp = ord(ch)
        if 0xDC80 <= cp <= 0xDCFF:
            out.append("\\%03o" % (cp - 0xDC00))
        elif ch in "\\\"":
            out.append("\\" + ch)
        elif cp < 0x20 or cp == 0x7F:
            out.append("\\%03o" % cp)
        elif cp < 0x80 or ch.isprintable():
            out.append(ch)
        else:
            out.extend("\\%03o" % x for x in ch.encode("utf-8"))
    return '"' + "".join(out) + '"'


def value_cxx(v):
    if isinstance(v, str):
        return "{'s', 0, 0, %s}" % cxx(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "{'f', 0, kNaN, nullptr}"
        if math.isinf(v):
            return "{'f', 0, %skInf, nullptr}" % ("-" if v < 0 else "")
        return "{'f', 0, %r, nullptr}" % v
    return "{'i', %dLL, 0, nullptr}" % v


def main():
    for level, name in LEVEL_NAMES:
        logging.addLevelName(level, name)
    lines = [
        "// Generated by gen_formatter_cases.py from CPython " + sys.version.split()[0] +
        "'s logging.Formatter. Do not edit.",
        "// Level names the test registers first: {level, name}.",
        "inline const LevelName kLevelNames[] = {" + ", ".join("{%d, %s}" % (l, cxx(n)) for l, n in LEVEL_NAMES) + "};",
    ]
    for i, r in enumerate(RECORDS):
        lines.append("inline const ExtraValue kExtras%d[] = {%s};" % (
            i, ", ".join("{%s, %s}" % (cxx(k), value_cxx(v)) for k, v in r["extras"]) or "{nullptr, {'s', 0, 0, nullptr}}"))
    lines.append("inline const OracleRecord kRecords[] = {")
    for i, r in enumerate(RECORDS):
        lines.append("    {%s, %d, %s, %s, %s, %d, %dLL, %dLL, %dULL, %s, %d, %s, %s, %dLL, %d, %d, %s, kExtras%d, %d}," % (
            cxx(r["name"]), r["levelno"], cxx(r["msg"]), cxx(r["pathname"]), cxx(r["function"]), r["lineno"],
            r["created_ns"], r["relative_ns"], r["thread"], cxx(r["threadName"]), r["process"], cxx(r["processName"]),
            cxx(r["task"]), r["taskIndex"], r["worker"], r["attempt"], cxx(r["exc_text"]), i, len(r["extras"])))
    lines.append("};")
    for i, d in enumerate(DEFAULTS):
        lines.append("inline const ExtraValue kDefaults%d[] = {%s};" % (
            i, ", ".join("{%s, %s}" % (cxx(k), value_cxx(v)) for k, v in d) or "{nullptr, {'s', 0, 0, nullptr}}"))
    lines.append("inline const DefaultSet kDefaultSets[] = {%s};" % ", ".join(
        "{kDefaults%d, %d}" % (i, len(d)) for i, d in enumerate(DEFAULTS)))
    lines.append("// style, fmt, datefmt, TZ, defaults, record, outcome, expected (or CPython's error)")
    lines.append("inline const OracleCase kCases[] = {")
    seen = set()
    for style, fmt, datefmt, rec, defaults, tz in cases():
        if (style, fmt, datefmt, rec, defaults, tz) in seen:
            continue
        seen.add((style, fmt, datefmt, rec, defaults, tz))
        os.environ["TZ"] = tz
        time.tzset()
        kind, result = render(fmt, datefmt, style, DEFAULTS[defaults], RECORDS[rec])
        diff = difference(fmt, style)
        if kind == "construct":
            outcome, expected = "r", result
        elif diff:
            lines.append("    // Difference: " + diff)
            outcome, expected = "d", diff
        elif kind == "ok":
            outcome, expected = "o", result
        else:
            always = all(render(fmt, datefmt, style, DEFAULTS[defaults], p)[0] == "emit" for p in PROBES)
            outcome, expected = ("a" if always else "e"), result
        lines.append("    {'%s', %s, %s, %s, %d, %d, '%s', %ssv}," % (
            style, cxx(fmt), cxx(datefmt or ""), cxx(tz), defaults, rec, outcome, cxx(expected)))
    lines.append("};")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
