#!/usr/bin/env python3
"""Every ```cpp block of a document must appear verbatim (indentation aside) in a source file.

Usage: check_doc_snippets.py DOC.md SOURCE.cpp [MORE.cpp ...]
"""
import re
import sys
import textwrap


def normalise(text):
    return "\n".join(line.rstrip() for line in textwrap.dedent(text).strip().splitlines())


def main():
    doc, sources = sys.argv[1], sys.argv[2:]
    flats = ["\n".join(normalise(l) for l in open(source).read().splitlines()) for source in sources]
    blocks = re.findall(r"```cpp\n(.*?)```", open(doc).read(), re.S)
    if not blocks:
        sys.exit(f"{doc}: no cpp blocks")
    bad = [b for b in blocks if not any("\n".join(normalise(l) for l in b.splitlines()) in flat for flat in flats)]
    for b in bad:
        print(f"{doc}: this block is in none of {', '.join(sources)}:\n{b}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
