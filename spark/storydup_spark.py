"""storydup on Apache Spark: the same decisions as `storydup scan`, with
Spark doing the shuffles.

    spark-submit spark/storydup_spark.py docs.jsonl --out storydup-out

Every per-document, per-bucket and per-pair decision is storydup's Rust code
(the `storydup` Python module, which must be installed where the executors
run); Spark counts, groups and joins. The steps follow `storydup::steps`:

1. corpus statistics: sentence fingerprints in many documents are
   boilerplate; each term's document frequency;
2. signing: MinHash band keys, passage anchors, SimHash, per document;
3. candidates: documents sharing keys, grouped by key in Spark (band keys a
   few bands per pass, to bound each shuffle), paired in Rust; then each
   document's most tied partners, chosen in Rust;
4. verification: candidates grouped by their first document, each group
   receiving each of its documents once, verified in Rust;
5. clusters: connected components of the verified pairs by the large-star /
   small-star iteration (Kiveris et al., "Connected Components in MapReduce
   and Beyond", SoCC 2014), then storydup's chain guard inside each component;
6. reports: pairs.csv and clusters.csv as `storydup scan` writes them,
   streamed to the driver and written to a temporary name, then renamed.
"""

import argparse
import csv
import os
import sys
import tempfile
import time
import uuid

import pyarrow as pa
import pyarrow.compute as pc
from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

import storydup
from storydup import arrow as sa


class JobError(Exception):
    """Bad input or a job that cannot finish: reported in one line, exit 1."""


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="storydup_spark.py",
        description="Find rewritten stories with storydup on Spark; writes pairs.csv and clusters.csv.",
    )
    p.add_argument("inputs", nargs="+", help="JSONL or Parquet files or folders (.jsonl, .json, .gz, .parquet)")
    p.add_argument("--format", choices=["jsonl", "parquet"], help="input format (default: from the first name)")
    p.add_argument("--id-field", default="id")
    p.add_argument("--text-field", default="text")
    p.add_argument("--out", default="storydup-out", help="report folder on the driver's file system")
    p.add_argument("--threshold", type=float, default=None, help="score at which a pair is a rewrite")
    p.add_argument("--bands-per-pass", type=int, default=8, help="LSH bands grouped in one shuffle")
    p.add_argument("--max-iterations", type=int, default=64, help="connected-components rounds before giving up")
    return p.parse_args(argv)


# ---- the Rust side, once per Python worker ----

_CORPORA = {}


def corpus_of(stats):
    """The Corpus in a broadcast made by `share`, built once per worker."""
    key, data, threshold = stats.value
    if key not in _CORPORA:
        _CORPORA[key] = storydup.Corpus.from_bytes(data, threshold)
    return _CORPORA[key]


def share(spark, corpus, threshold):
    """Broadcasts a Corpus as bytes, under a key of its own."""
    return spark.sparkContext.broadcast((uuid.uuid4().hex, corpus.to_bytes(), threshold))


# ---- steps ----


def read_documents(spark, args):
    fmt = args.format or ("parquet" if args.inputs[0].rstrip("/").endswith(".parquet") else "jsonl")
    if fmt == "jsonl":
        schema = T.StructType(
            [T.StructField(args.id_field, T.StringType()), T.StructField(args.text_field, T.StringType())]
        )
        raw = spark.read.schema(schema).option("mode", "FAILFAST").json(args.inputs)
    else:
        raw = spark.read.parquet(*args.inputs)
    docs = raw.select(F.col(args.id_field).alias("id"), F.col(args.text_field).alias("text"))
    # Input position: row order as read (what `storydup scan` numbers
    # documents by). Ids from monotonically_increasing_id are ordered but
    # sparse; offsets per partition make them dense.
    read = docs.withColumn("mid", F.monotonically_increasing_id()).persist(StorageLevel.MEMORY_AND_DISK)
    docs = read
    if docs.isEmpty():
        raise JobError(f"no documents in {', '.join(args.inputs)}")
    parts = docs.groupBy(F.shiftright(F.col("mid"), 33).alias("part")).count().orderBy("part").collect()
    offsets, total = [], 0
    for row in parts:
        offsets.append((row["part"], total))
        total += row["count"]
    offset_df = spark.createDataFrame(offsets, "part long, offset long")
    docs = (
        docs.withColumn("part", F.shiftright(F.col("mid"), 33))
        .join(F.broadcast(offset_df), "part")
        .select((F.col("offset") + F.col("mid").bitwiseAND((1 << 33) - 1)).alias("pos"), "id", "text")
    )
    docs = docs.persist(StorageLevel.MEMORY_AND_DISK)
    missing = docs.filter(F.col("id").isNull() | F.col("text").isNull()).count()
    if missing:
        raise JobError(f"{missing} records lack a string {args.id_field!r} or {args.text_field!r}")
    read.unpersist()
    repeated = docs.groupBy("id").count().filter(F.col("count") > 1).limit(1).collect()
    if repeated:
        raise JobError(f"document id {repeated[0]['id']!r} occurs {repeated[0]['count']} times")
    return docs, total


def corpus_statistics(spark, docs, n, threshold):
    def fingerprints(batches):
        for b in batches:
            yield pa.RecordBatch.from_arrays([sa.fingerprints(b.column("text"))], names=["fp"])

    min_docs = sa.boilerplate_min_docs(n)
    boilerplate = [
        r["fp"]
        for r in docs.select("text")
        .mapInArrow(fingerprints, "fp long")
        .groupBy("fp")
        .count()
        .filter(F.col("count") >= min_docs)
        .collect()
    ]
    first = share(spark, storydup.Corpus.from_counts(boilerplate, [], [], n), threshold)

    def terms(batches):
        corpus = corpus_of(first)
        for b in batches:
            yield pa.RecordBatch.from_arrays([corpus.content_terms_arrow(b.column("text"))], names=["term"])

    counts = docs.select("text").mapInArrow(terms, "term long").groupBy("term").count().toArrow()
    corpus = storydup.Corpus.from_counts(
        boilerplate,
        counts.column("term").to_pylist(),
        counts.column("count").to_pylist(),
        n,
        threshold,
    )
    first.unpersist()
    return corpus, share(spark, corpus, threshold)


def pairs_of_buckets(source, entries: DataFrame) -> DataFrame:
    """(a, b) occurrences: the pairs each key's documents make (entries:
    pos, key)."""

    def emit(batches):
        for b in batches:
            yield sa.bucket_pairs(source, b.column("docs"))

    buckets = entries.groupBy("key").agg(F.collect_list("pos").alias("docs")).filter(F.size("docs") > 1)
    return buckets.select("docs").mapInArrow(emit, "a long, b long")


def shared_often(source, occurrences: DataFrame) -> DataFrame:
    """(a, b, ties): the pairs sharing enough keys of `source`."""

    def tie(batches):
        for b in batches:
            ties = sa.source_ties(source, b.column("count"))
            yield pa.RecordBatch.from_arrays([b.column("a"), b.column("b"), ties], names=["a", "b", "ties"])

    return (
        occurrences.groupBy("a", "b")
        .count()
        .filter(F.col("count") >= sa.min_shared(source))
        .mapInArrow(tie, "a long, b long, ties long")
    )


def top_partners(tied: DataFrame, hashes: DataFrame) -> DataFrame:
    """(a, b): each document's most tied partners among the pairs found
    (tied: a, b, ties from one source each)."""

    def with_closeness(batches):
        for b in batches:
            ties = sa.pair_ties(b.column("ties"), b.column("ha"), b.column("hb"))
            yield pa.RecordBatch.from_arrays([b.column("a"), b.column("b"), ties], names=["a", "b", "ties"])

    def nominate(batches):
        for b in batches:
            yield sa.top_partners(b.column("doc"), b.column("partners"), b.column("ties"))

    pairs = (
        tied.groupBy("a", "b")
        .agg(F.sum("ties").alias("ties"))
        .join(hashes.withColumnsRenamed({"pos": "a", "simhash": "ha"}), "a")
        .join(hashes.withColumnsRenamed({"pos": "b", "simhash": "hb"}), "b")
        .mapInArrow(with_closeness, "a long, b long, ties long")
    )
    nominations = pairs.select(F.col("a").alias("doc"), F.col("b").alias("partner"), "ties").unionAll(
        pairs.select(F.col("b").alias("doc"), F.col("a").alias("partner"), "ties")
    )
    partners = nominations.groupBy("doc").agg(F.collect_list(F.struct("partner", "ties")).alias("p"))
    return (
        partners.select("doc", F.col("p.partner").alias("partners"), F.col("p.ties").alias("ties"))
        .mapInArrow(nominate, "a long, b long")
        .distinct()
    )


def candidates(keys: DataFrame, bands: int, per_pass: int) -> DataFrame:
    band_entries = keys.select("pos", F.posexplode("band_keys").alias("band", "key"))
    passes = [
        pairs_of_buckets("bands", band_entries.filter((F.col("band") >= s) & (F.col("band") < s + per_pass)))
        for s in range(0, bands, max(per_pass, 1))
    ]
    occurrences = passes[0]
    for p in passes[1:]:
        occurrences = occurrences.unionAll(p)
    by_bands = shared_often("bands", occurrences)

    anchor_entries = keys.select("pos", F.explode("anchors").alias("key"))
    by_anchors = shared_often("anchors", pairs_of_buckets("anchors", anchor_entries))

    def table_keys(batches):
        for b in batches:
            yield sa.simhash_keys(b.column("pos"), b.column("simhash"))

    table_entries = keys.select("pos", "simhash").mapInArrow(table_keys, "pos long, key long")
    hashes = keys.select("pos", "simhash")
    by_simhash = (
        shared_often("simhash", pairs_of_buckets("simhash", table_entries))
        .join(hashes.withColumnsRenamed({"pos": "a", "simhash": "ha"}), "a")
        .join(hashes.withColumnsRenamed({"pos": "b", "simhash": "hb"}), "b")
        .filter(F.bit_count(F.col("ha").bitwiseXOR(F.col("hb"))) <= sa.simhash_distance())
        .select("a", "b", "ties")
    )
    return top_partners(by_bands.unionAll(by_anchors).unionAll(by_simhash), hashes)


PAIR_FIELDS = [f if f != "score" else "score_text" for f in sa.pairs_header()[2:]]


# Candidate pairs verified in one task at most: a group's documents (its
# pairs' first documents and their partners) travel to it once each, so a
# group of this many pairs holds at most about twice as many texts.
PAIRS_PER_GROUP = 50_000


def verify(docs: DataFrame, cands: DataFrame, count: int, stats) -> DataFrame:
    """The rewrites among `cands` (a, b). Pairs are grouped by their first
    document; each group receives each of its documents once and builds its
    features once, instead of both texts travelling with every pair."""
    groups = max(1, -(-count // PAIRS_PER_GROUP))

    def group():
        # A new column each time: the two sides of the cogroup must not
        # share one (Spark would call it ambiguous).
        return F.pmod(F.xxhash64("a"), F.lit(groups)).alias("group")

    tagged = cands.select(group(), "a", "b")
    members = (
        cands.select(group(), F.col("a").alias("pos"))
        .unionAll(cands.select(group(), F.col("b").alias("pos")))
        .distinct()
        .join(docs.select("pos", "id", "text"), "pos")
    )

    def check(pairs: pa.Table, group: pa.Table) -> pa.Table:
        corpus = corpus_of(stats)
        column = lambda t, name: t.column(name).combine_chunks()  # noqa: E731
        a, b = column(pairs, "a"), column(pairs, "b")
        r = corpus.verify_group_arrow(
            column(group, "pos"), column(group, "id"), column(group, "text"), a, b
        )
        rows, swapped = r.column("row"), r.column("swapped")
        a, b = pc.take(a, rows), pc.take(b, rows)
        columns = [pc.if_else(swapped, b, a), pc.if_else(swapped, a, b), r.column("doc_a"), r.column("doc_b")]
        columns += [r.column("score")] + [r.column(f) for f in PAIR_FIELDS]
        names = ["pos_a", "pos_b", "doc_a", "doc_b", "score"] + PAIR_FIELDS
        return pa.Table.from_arrays(columns, names=names)

    schema = "pos_a long, pos_b long, doc_a string, doc_b string, score double, " + ", ".join(
        f"{f} string" for f in PAIR_FIELDS
    )
    return tagged.groupBy("group").cogroup(members.groupBy("group")).applyInArrow(check, schema)


def connected_components(edges: DataFrame, max_iterations: int) -> DataFrame:
    """(pos, comp) for every node of `edges` (u, v): comp is the smallest node
    of its component. Large-star and small-star alternate until a round
    changes nothing; then every component is a star around its minimum."""
    e = edges.select(F.least("u", "v").alias("u"), F.greatest("u", "v").alias("v")).distinct().localCheckpoint()
    count = e.count()
    for _ in range(max_iterations):
        both = e.unionAll(e.select(F.col("v").alias("u"), F.col("u").alias("v")))
        low = both.groupBy("u").agg(F.least(F.min("v"), F.col("u")).alias("m"))
        large = (
            both.filter(F.col("v") > F.col("u"))
            .join(low, "u")
            .select(F.col("v").alias("u"), F.col("m").alias("v"))
            .distinct()
        )
        # Small-star: each node and its smaller neighbours join their minimum.
        down = large.select(F.greatest("u", "v").alias("u"), F.least("u", "v").alias("v"))
        smallest = down.groupBy("u").agg(F.min("v").alias("m"))
        small = (
            down.join(smallest, "u")
            .select(F.col("v").alias("x"), "m")
            .unionAll(smallest.select(F.col("u").alias("x"), "m"))
            .filter(F.col("x") != F.col("m"))
            .select(F.least("x", "m").alias("u"), F.greatest("x", "m").alias("v"))
            .distinct()
            .localCheckpoint()
        )
        new_count = small.count()
        if new_count == count and small.subtract(e).isEmpty():
            e = small
            break
        e, count = small, new_count
    else:
        raise JobError(f"connected components did not settle in {max_iterations} rounds")
    return e.select(F.col("v").alias("pos"), F.col("u").alias("comp")).unionAll(
        e.select(F.col("u").alias("pos"), F.col("u").alias("comp"))
    ).distinct()


def guarded_clusters(docs: DataFrame, pairs: DataFrame, components: DataFrame, stats) -> DataFrame:
    members = components.join(docs.select("pos", "id", "text"), "pos").select("comp", "id", "text")
    # A copy of the components under new column ids: both sides of the
    # cogroup come from them, and Spark cannot tell two uses apart.
    labels = components.select(F.col("pos").alias("pos_a"), F.col("comp").alias("edge_comp"))
    edges = pairs.join(labels, "pos_a").select(F.col("edge_comp").alias("comp"), "doc_a", "doc_b", "score")

    def guard(members_table, edges_table):
        corpus = corpus_of(stats)
        groups = corpus.guarded_clusters(
            members_table.column("id").to_pylist(),
            members_table.column("text").to_pylist(),
            edges_table.column("doc_a").to_pylist(),
            edges_table.column("doc_b").to_pylist(),
            edges_table.column("score").to_pylist(),
        )
        doc_ids = [d for g in groups for d in g]
        firsts = [g[0] for g in groups for _ in g]
        return pa.table({"doc_id": pa.array(doc_ids, pa.string()), "first": pa.array(firsts, pa.string())})

    return members.groupBy("comp").cogroup(edges.groupBy("comp")).applyInArrow(guard, "doc_id string, first string")


def write_atomically(path, write_rows):
    folder = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            write_rows(csv.writer(f, lineterminator="\n"))
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_reports(out, pairs: DataFrame, clusters: DataFrame):
    os.makedirs(out, exist_ok=True)

    def pair_rows(w):
        w.writerow(sa.pairs_header())
        for row in pairs.select("doc_a", "doc_b", *PAIR_FIELDS).orderBy("doc_a", "doc_b").toLocalIterator():
            w.writerow(list(row))

    sizes = clusters.groupBy("first").count()

    def cluster_rows(w):
        w.writerow(["cluster_id", "doc_id", "size"])
        number, current = 0, None
        for row in clusters.join(sizes, "first").orderBy("first", "doc_id").toLocalIterator():
            if row["first"] != current:
                number, current = number + 1, row["first"]
            w.writerow([number, row["doc_id"], row["count"]])

    write_atomically(os.path.join(out, "pairs.csv"), pair_rows)
    write_atomically(os.path.join(out, "clusters.csv"), cluster_rows)


def run(spark, args):
    clock = time.monotonic()
    stages = []

    def lap(name):
        nonlocal clock
        now = time.monotonic()
        stages.append((name, now - clock))
        clock = now

    docs, n = read_documents(spark, args)
    lap("read")
    corpus, stats = corpus_statistics(spark, docs, n, args.threshold)
    lap("statistics")

    def sign(batches):
        c = corpus_of(stats)
        for b in batches:
            k = c.sign_arrow(b.column("text"))
            yield pa.RecordBatch.from_arrays(
                [b.column("pos"), k.column("band_keys"), k.column("anchors"), k.column("simhash")],
                names=["pos", "band_keys", "anchors", "simhash"],
            )

    keys = (
        docs.select("pos", "text")
        .mapInArrow(sign, "pos long, band_keys array<long>, anchors array<long>, simhash long")
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    cands = candidates(keys, corpus.bands, args.bands_per_pass).persist(StorageLevel.MEMORY_AND_DISK)
    candidate_count = cands.count()
    keys.unpersist()
    lap("sign+index")
    pairs = verify(docs, cands, candidate_count, stats).persist(StorageLevel.MEMORY_AND_DISK)
    verified = pairs.count()
    cands.unpersist()
    lap("verify")
    components = connected_components(pairs.select(F.col("pos_a").alias("u"), F.col("pos_b").alias("v")), args.max_iterations)
    clusters = guarded_clusters(docs, pairs, components, stats).persist(StorageLevel.MEMORY_AND_DISK)
    cluster_count = clusters.select("first").distinct().count()
    lap("cluster")
    write_reports(args.out, pairs, clusters)
    lap("report")
    print(f"storydup-spark: {n} documents", file=sys.stderr)
    print(f"  candidates: {candidate_count}", file=sys.stderr)
    print(f"  verified pairs: {verified}", file=sys.stderr)
    print(f"  clusters: {cluster_count}", file=sys.stderr)
    print("  time: " + ", ".join(f"{name} {s:.1f} s" for name, s in stages), file=sys.stderr)
    print(f"  reports: {os.path.join(args.out, 'pairs.csv')}, {os.path.join(args.out, 'clusters.csv')}", file=sys.stderr)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    spark = SparkSession.builder.appName("storydup").getOrCreate()
    try:
        run(spark, args)
    except JobError as e:
        print(f"storydup-spark: {e}", file=sys.stderr, flush=True)
        sys.exit(1)
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
