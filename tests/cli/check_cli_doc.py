#!/usr/bin/env python3
"""Runs every example of a document and checks what it prints.

Each ```console block is a transcript: a line "$ COMMAND" is run with /bin/sh -c (in a fresh
directory shared by the block, with prun first on PATH), and the lines after it, up to the
next "$ " line, are exactly what it must print on stdout. A line "# ..." before the first
command is a comment.

Usage: check_cli_doc.py DOC.md PRUN
"""
import os
import re
import subprocess
import sys
import tempfile


def main():
    doc, prun = sys.argv[1], os.path.abspath(sys.argv[2])
    text = open(doc).read()
    blocks = re.findall(r"```console\n(.*?)```", text, re.S)
    if not blocks:
        sys.exit(f"{doc}: no console blocks")
    env = dict(os.environ, PATH=os.path.dirname(prun) + os.pathsep + os.environ.get("PATH", ""), LC_ALL="C.UTF-8")
    failures = 0
    commands = 0
    for block in blocks:
        steps = []
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append([line[2:], []])
            elif steps:
                steps[-1][1].append(line)
            elif not line.startswith("#"):
                sys.exit(f"{doc}: a console block must start with a command: {line!r}")
        with tempfile.TemporaryDirectory() as work:
            for command, expected in steps:
                commands += 1
                p = subprocess.run(["/bin/sh", "-c", command], cwd=work, env=env, capture_output=True, timeout=120)
                got = p.stdout.decode("utf-8", "replace").splitlines()
                if got != expected:
                    failures += 1
                    print(f"FAIL: $ {command}\n  expected: {expected!r}\n  got:      {got!r}\n  stderr:   {p.stderr!r}")
    print(f"{commands - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
