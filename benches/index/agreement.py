#!/usr/bin/env python3
"""Pairwise agreement of two clusters.csv files: the pairs of documents that
share a cluster in REFERENCE (a full scan) against those in OTHER (an
index built in two steps). Prints precision, recall and F1 of OTHER's pairs,
and how many pairs each has; F1 is 1 when both are empty.

usage: agreement.py REFERENCE/clusters.csv OTHER/clusters.csv
"""
import csv
import itertools
import sys


def pairs(path):
    clusters = {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            clusters.setdefault(row["cluster_id"], []).append(row["doc_id"])
    out = set()
    for members in clusters.values():
        out.update(itertools.combinations(sorted(members), 2))
    return out


def main():
    reference, other = pairs(sys.argv[1]), pairs(sys.argv[2])
    both = len(reference & other)
    precision = both / len(other) if other else 1.0
    recall = both / len(reference) if reference else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(
        f"precision {precision:.4f} recall {recall:.4f} F1 {f1:.4f} "
        f"(pairs: scan {len(reference)}, index {len(other)}, both {both})"
    )


if __name__ == "__main__":
    main()
