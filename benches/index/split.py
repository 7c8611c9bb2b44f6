#!/usr/bin/env python3
"""Splits a JSONL set in two for the index benchmark: every EVERY-th
document (by position; 5 by default) goes to the second part, the rest to
the first, so with 5 the second is 20% of the set spread over all of it.
Optionally mangles the texts as `storydup eval --perturb` does
(src/perturb.rs): lower, nopunct, joined.

usage: split.py DOCS.jsonl FIRST.jsonl SECOND.jsonl [clean|lower|nopunct|joined] [EVERY]
"""
import json
import re
import sys


def mangle(text, how):
    if how == "lower":
        return text.lower()
    if how == "nopunct":
        return re.sub(r"[^\w\s]", "", text)
    if how == "joined":
        return " ".join(text.split())
    return text


def main():
    docs, first, second = sys.argv[1:4]
    how = sys.argv[4] if len(sys.argv) > 4 else "clean"
    every = int(sys.argv[5]) if len(sys.argv) > 5 else 5
    with open(docs, encoding="utf-8") as src, open(first, "w", encoding="utf-8") as a, open(
        second, "w", encoding="utf-8"
    ) as b:
        for i, line in enumerate(src):
            doc = json.loads(line)
            out = {"id": doc["id"], "text": mangle(doc["text"], how)}
            (b if i % every == every - 1 else a).write(json.dumps(out, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
