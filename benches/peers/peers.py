"""One job, done by each peer on the same JSONL file: read the documents,
word 3-gram MinHash with 128 permutations, LSH insert and query at Jaccard
0.5, union-find over the matches. Prints documents per second.

Usage: python peers.py FILE.jsonl {datasketch,rensa,gaoya,tokenize}
(`tokenize` reads and splits into words only: Python's floor, for reference.)
"""

import json
import re
import sys
import time

WORD = re.compile(r"\w+")
THRESHOLD = 0.5
NUM_PERM = 128


def documents(path):
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)["text"]


def shingles(text):
    words = WORD.findall(text.lower())
    return {" ".join(words[i : i + 3]) for i in range(max(1, len(words) - 2))}


class UnionFind:
    def __init__(self):
        self.parent = {}

    def find(self, x):
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a, b):
        self.parent[self.find(a)] = self.find(b)

    def clusters(self):
        roots = {}
        for x in list(self.parent):
            roots.setdefault(self.find(x), []).append(x)
        return sum(1 for members in roots.values() if len(members) > 1)


def run_datasketch(path):
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    sets = UnionFind()
    n = 0
    for i, text in enumerate(documents(path)):
        m = MinHash(num_perm=NUM_PERM)
        m.update_batch([s.encode("utf-8") for s in shingles(text)])
        for j in lsh.query(m):
            sets.union(i, j)
        lsh.insert(i, m)
        n += 1
    return n, sets.clusters()


def run_rensa(path):
    from rensa import RMinHash, RMinHashLSH

    lsh = RMinHashLSH(THRESHOLD, NUM_PERM, 16)
    sets = UnionFind()
    n = 0
    for i, text in enumerate(documents(path)):
        m = RMinHash(NUM_PERM, 42)
        m.update(list(shingles(text)))
        for j in lsh.query(m):
            sets.union(i, j)
        lsh.insert(i, m)
        n += 1
    return n, sets.clusters()


def run_gaoya(path):
    from gaoya.minhash import MinHashStringIndex

    index = MinHashStringIndex(
        hash_size=32,
        jaccard_threshold=THRESHOLD,
        num_bands=16,
        band_size=8,
        analyzer="word",
        lowercase=True,
        ngram_range=(3, 3),
    )
    sets = UnionFind()
    n = 0
    for i, text in enumerate(documents(path)):
        for j in index.query(text):
            sets.union(i, j)
        index.insert_document(i, text)
        n += 1
    return n, sets.clusters()


def run_tokenize(path):
    n = 0
    words = 0
    for text in documents(path):
        words += len(WORD.findall(text.lower()))
        n += 1
    return n, 0


def main():
    path, peer = sys.argv[1], sys.argv[2]
    run = {
        "datasketch": run_datasketch,
        "rensa": run_rensa,
        "gaoya": run_gaoya,
        "tokenize": run_tokenize,
    }[peer]
    start = time.perf_counter()
    n, clusters = run(path)
    seconds = time.perf_counter() - start
    print(f"{peer}\t{n}\t{seconds:.2f}\t{n / seconds:.0f}\t{clusters}")


if __name__ == "__main__":
    main()
