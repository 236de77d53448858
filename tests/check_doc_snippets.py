#!/usr/bin/env python3
"""Every ```cpp block of a document must appear verbatim (indentation aside) in a source file.

Usage: check_doc_snippets.py DOC.md SOURCE.cpp [SOURCE.cpp ...]
"""
import re
import sys
import textwrap


def normalise(text):
    return "\n".join(line.rstrip() for line in textwrap.dedent(text).strip().splitlines())


def main():
    doc, sources = sys.argv[1], sys.argv[2:]
    flats = []
    for source in sources:
        code = open(source).read()
        flats.append("\n".join(normalise(l) for l in code.splitlines()))
    blocks = re.findall(r"```cpp\n(.*?)```", open(doc).read(), re.S)
    if not blocks:
        sys.exit(f"{doc}: no cpp blocks")
    bad = [b for b in blocks if not any("\n".join(normalise(l) for l in b.splitlines()) in f for f in flats)]
    for b in bad:
        print(f"{doc}: this block is not in {' or '.join(sources)}:\n{b}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
