#!/usr/bin/env python3
"""CPython's side of the parity tests (test_python_parity.cpp, test_dict_config.cpp).

Usage: python_parity.py MODE [ARGS]. Each mode prints what CPython 3 does for a scenario
that the C++ test reproduces with prun and compares line by line.
"""
import io
import json
import logging
import logging.config
import os
import sys


def has_handlers():
    a = logging.getLogger("pp.a")
    ab = logging.getLogger("pp.a.b")
    abc = logging.getLogger("pp.a.b.c")
    print(a.hasHandlers(), ab.hasHandlers(), abc.hasHandlers())
    a.addHandler(logging.NullHandler())
    print(a.hasHandlers(), ab.hasHandlers(), abc.hasHandlers())
    ab.propagate = False
    print(a.hasHandlers(), ab.hasHandlers(), abc.hasHandlers())


def level_names():
    logging.addLevelName(15, "VERBOSE")
    for x in [25, "25", 10, "DEBUG", "WARN", "FATAL", "debug", "Level 25", "VERBOSE", 15, ""]:
        print(repr(x), "->", repr(logging.getLevelName(x)))


def file_modes(directory):
    for mode in ["a", "a+", "at", "w", "w+", "wt", "x", "x+", "r+", "r", "ab", "rw", "aa", "q"]:
        path = os.path.join(directory, "mode.log")
        with open(path, "w") as f:
            f.write("old\n")
        if mode.startswith("x"):
            os.remove(path)
        try:
            h = logging.FileHandler(path, mode)
        except Exception as e:
            print(mode, "refused", type(e).__name__)
            continue
        errors = []
        h.handleError = lambda record: errors.append(sys.exc_info()[0].__name__)
        h.emit(logging.LogRecord("x", 20, "f", 1, "new", None, None))
        h.close()
        if errors:
            print(mode, "fails at emit", errors[0])
        else:
            with open(path) as f:
                print(mode, "writes", repr(f.read()))


def basic_config_empty():
    logging.basicConfig(handlers=[], level=logging.INFO)
    root = logging.getLogger()
    print(len(root.handlers), root.level)


def brace_default():
    logging.basicConfig(style="{", stream=sys.stdout)
    logging.warning("brace %s", "default")


class Inner(Exception):
    pass


class Middle(Exception):
    pass


class Outer(Exception):
    pass


def exception_text():
    """exc_text of records logged with exception(), with the traceback blocks left out."""
    out = io.StringIO()
    h = logging.StreamHandler(out)
    h.setFormatter(logging.Formatter("[%(message)s]"))
    log = logging.getLogger("pp.exc")
    log.addHandler(h)
    log.propagate = False
    log.setLevel(logging.DEBUG)
    try:
        raise Inner("")
    except Exception:
        log.exception("empty message")
    try:
        raise Inner("just this")
    except Exception:
        log.exception("plain")
    try:
        try:
            try:
                raise Inner("disk")
            except Exception as e:
                raise Middle("load") from e
        except Exception as e:
            raise Outer("") from e
    except Exception:
        log.exception("chain")
    log.exception("outside")
    log.info("info with exc_info", exc_info=True)
    for line in out.getvalue().splitlines():
        if line.startswith("Traceback (most recent call last):") or line.startswith("  "):
            continue
        print(line)


def dictconfig_existing(flag):
    for name in ["de.kept", "de.kept.child", "de.kept.child.deep", "de.other", "de.other.x", "de.keptsibling"]:
        logging.getLogger(name).setLevel(logging.INFO)
        logging.getLogger(name).addHandler(logging.NullHandler())
        logging.getLogger(name).propagate = False
    logging.getLogger("de.other").disabled = True
    config = {"version": 1, "loggers": {"de.kept": {"level": "DEBUG"}, "de.new": {"propagate": False}}}
    if flag != "default":
        config["disable_existing_loggers"] = flag == "true"
    logging.config.dictConfig(config)
    for name in ["de.kept", "de.kept.child", "de.kept.child.deep", "de.other", "de.other.x", "de.keptsibling", "de.new"]:
        l = logging.getLogger(name)
        print(name, l.level, l.propagate, l.disabled, len(l.handlers))


MODES = {
    "has_handlers": has_handlers,
    "level_names": level_names,
    "file_modes": file_modes,
    "basic_config_empty": basic_config_empty,
    "brace_default": brace_default,
    "exception_text": exception_text,
    "dictconfig_existing": dictconfig_existing,
}

if __name__ == "__main__":
    MODES[sys.argv[1]](*sys.argv[2:])
