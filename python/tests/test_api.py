"""The storydup Python module: everyday functions on lists, and the Arrow
steps the Spark job uses."""

import csv
import pathlib
import subprocess

import pyarrow as pa
import pytest

import storydup
from storydup import arrow as sa

ROOT = pathlib.Path(__file__).resolve().parents[2]
SEEDS = sorted((ROOT / "data" / "seeds").iterdir())
IDS = [p.name for p in SEEDS]
TEXTS = [p.read_text(encoding="utf-8") for p in SEEDS]


def test_scan_finds_the_seed_paraphrase_and_nothing_else():
    result = storydup.scan(TEXTS, ids=IDS)
    assert result.clusters == [[IDS[0], IDS[1]]]
    assert len(result.pairs) == 1
    pair = result.pairs[0]
    assert (pair["doc_a"], pair["doc_b"]) == (IDS[0], IDS[1])
    assert storydup.Corpus(TEXTS).threshold <= pair["score"] <= 1 and pair["rewrite"] is True
    assert pair["aligned_b"] > 0 and pair["jaccard"] < 0.2


def test_scan_gives_the_clusters_of_the_command_line_tool(tmp_path):
    binary = ROOT / "target" / "release" / "storydup"
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "storydup"], cwd=ROOT, check=True)
    subprocess.run([binary, "scan", ROOT / "data" / "seeds", "-q", "--no-html", "--out", tmp_path], check=True)
    with open(tmp_path / "clusters.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    clusters = {}
    for row in rows:
        clusters.setdefault(row["cluster_id"], []).append(row["doc_id"])
    assert list(clusters.values()) == storydup.scan(TEXTS, ids=IDS).clusters


def test_scan_checks_its_arguments():
    with pytest.raises(ValueError, match="2 ids for 5 texts"):
        storydup.scan(TEXTS, ids=IDS[:2])
    with pytest.raises(ValueError, match="threshold"):
        storydup.scan(TEXTS, threshold=1.5)
    # A stricter threshold can only drop the pair; a looser one keeps it.
    assert storydup.scan(TEXTS, threshold=0.99).clusters == []
    assert storydup.scan(TEXTS).clusters == [["0", "1"]]


def test_minhash_estimates_jaccard():
    a = storydup.minhash(TEXTS[0])
    assert len(a) == 128 and all(0 <= x < 2**64 for x in a)
    assert storydup.jaccard(a, storydup.minhash(TEXTS[0])) == 1.0
    # The paraphrase shares few shingles; the estimate stays low but not zero.
    assert 0.0 < storydup.jaccard(a, storydup.minhash(TEXTS[1])) < 0.3
    assert len(storydup.minhash([1, 2, 3], num_perm=16)) == 16
    with pytest.raises(ValueError, match="differ in length"):
        storydup.jaccard(a, a[:64])
    with pytest.raises(ValueError):
        storydup.minhash([1, 2], num_perm=0)


def test_shingles_are_sorted_distinct_hashes():
    s = storydup.shingles("the cat sat on the mat and the cat sat", 2)
    assert s == sorted(set(s))
    # "the cat" and "cat sat" repeat: 9 bigrams, 7 distinct.
    assert len(s) == 7
    with pytest.raises(ValueError):
        storydup.shingles("x", 0)


def test_simhash_and_hamming():
    h = storydup.simhash(TEXTS[0])
    assert storydup.hamming(h, storydup.simhash(TEXTS[0])) == 0
    assert storydup.hamming(h, storydup.simhash(TEXTS[2])) > 0
    assert storydup.simhash([(5, 1.0)]) == storydup.simhash([5])


def test_band_keys():
    sig = storydup.minhash(TEXTS[0])
    assert len(storydup.band_keys(sig, 32, 4)) == 32
    assert storydup.band_keys(sig, 32, 4) != storydup.band_keys(storydup.minhash(TEXTS[2]), 32, 4)
    with pytest.raises(ValueError, match="bands x rows"):
        storydup.band_keys(sig, 64, 4)


def test_normalize_and_sentences():
    assert storydup.normalize("Straße ＡＢＣ") == "strasse abc"
    assert storydup.sentences("Talks ended. Ukraine replied.") == ["Talks ended. ", "Ukraine replied."]


def test_corpus_verifies_rewrites_only():
    corpus = storydup.Corpus(TEXTS)
    # The default threshold, the one `storydup scan` uses.
    assert corpus.documents == 5 and 0.5 < corpus.threshold < 1 and corpus.bands > 0
    evidence = corpus.verify(TEXTS[0], TEXTS[1])
    assert evidence is not None and evidence["score"] >= corpus.threshold
    for other in TEXTS[2:]:
        assert corpus.verify(TEXTS[0], other) is None
        assert corpus.evidence(TEXTS[0], other)["score"] < corpus.threshold
    back = storydup.Corpus.from_bytes(corpus.to_bytes())
    assert back.sign(TEXTS[3]) == corpus.sign(TEXTS[3])
    with pytest.raises(ValueError, match="corpus statistics"):
        storydup.Corpus.from_bytes(b"not statistics")


def test_arrow_steps():
    texts = pa.array(TEXTS)
    # Each text's distinct fingerprints, one after the other.
    one = sa.fingerprints(pa.array(TEXTS[:1]))
    assert len(one) > 10 and len(set(one.to_pylist())) == len(one)
    assert sa.fingerprints(pa.array(TEXTS[:1] * 2)).to_pylist() == one.to_pylist() * 2
    corpus = storydup.Corpus(TEXTS)
    signed = corpus.sign_arrow(texts)
    assert signed.num_rows == 5
    assert signed.column("band_keys")[0].as_py() == [k - 2**64 if k >= 2**63 else k for k in corpus.sign(TEXTS[0])["band_keys"]]
    # Large strings (Spark's large variable types) read the same.
    assert corpus.sign_arrow(texts.cast(pa.large_string())).equals(signed)
    with pytest.raises(ValueError, match="null"):
        corpus.sign_arrow(pa.array([TEXTS[0], None]))
    with pytest.raises(ValueError, match="expected strings"):
        corpus.sign_arrow(pa.array([1, 2]))

    pairs = sa.bucket_pairs("anchors", pa.array([[5, 3, 9]], pa.list_(pa.int64())))
    assert list(zip(pairs.column("a").to_pylist(), pairs.column("b").to_pylist())) == [(3, 5), (3, 9), (5, 9)]
    with pytest.raises(ValueError, match="unknown key source"):
        sa.bucket_pairs("words", pa.array([[1, 2]], pa.list_(pa.int64())))
    keys = sa.simhash_keys(pa.array([0, 1], pa.int64()), pa.array([7, 7], pa.int64()))
    assert keys.num_rows % 2 == 0 and keys.num_rows > 0

    # Both orders of one pair give the same row, ids ordered as in pairs.csv.
    ids = pa.array(IDS)
    for a, b in [(0, 1), (1, 0)]:
        r = corpus.verify_arrow(pa.array([IDS[a], IDS[a]]), pa.array([TEXTS[a], TEXTS[a]]),
                                pa.array([IDS[b], IDS[2]]), pa.array([TEXTS[b], TEXTS[2]]))
        assert r.num_rows == 1 and r.column("row").to_pylist() == [0]
        assert (r.column("doc_a")[0].as_py(), r.column("doc_b")[0].as_py()) == (IDS[0], IDS[1])
        assert r.column("verdict")[0].as_py() == "rewrite"
        assert r.column("swapped").to_pylist() == [a == 1]
        # The same pairs as a group: each document listed once, by position.
        g = corpus.verify_group_arrow(pa.array([a, b, 2], pa.int64()), pa.array([IDS[a], IDS[b], IDS[2]]),
                                      pa.array([TEXTS[a], TEXTS[b], TEXTS[2]]),
                                      pa.array([a, a], pa.int64()), pa.array([b, 2], pa.int64()))
        assert g.equals(r)
    with pytest.raises(ValueError, match="not among the group"):
        corpus.verify_group_arrow(pa.array([0], pa.int64()), pa.array([IDS[0]]), pa.array([TEXTS[0]]),
                                  pa.array([0], pa.int64()), pa.array([7], pa.int64()))
    assert ids.to_pylist() == IDS
    assert sa.pairs_header()[:3] == ["doc_a", "doc_b", "score"]


def test_guarded_clusters_of_one_component():
    corpus = storydup.Corpus(TEXTS)
    score = corpus.verify(TEXTS[0], TEXTS[1])["score"]
    groups = corpus.guarded_clusters(IDS[:2], TEXTS[:2], [IDS[1]], [IDS[0]], [score])
    assert groups == [[IDS[0], IDS[1]]]
    with pytest.raises(ValueError, match="not among the ids"):
        corpus.guarded_clusters(IDS[:2], TEXTS[:2], ["elsewhere"], [IDS[0]], [score])


def test_an_index_adds_batches_and_answers_queries(tmp_path):
    index = storydup.Index(tmp_path / "archive")
    assert len(index) == 0
    # The same-topic stories, then the rewrite of the first.
    assert index.add([TEXTS[0], TEXTS[2], TEXTS[3]], [IDS[0], IDS[2], IDS[3]]) == []
    new = index.add([TEXTS[1], TEXTS[4]], [IDS[1], IDS[4]])
    assert [(p["doc_a"], p["doc_b"]) for p in new] == [(IDS[0], IDS[1])]
    assert new[0]["rewrite"] is True and new[0]["score"] >= storydup.Corpus(TEXTS).threshold
    assert len(index) == 5
    # A copy of the rewrite, checked without adding it.
    found = index.query([TEXTS[1]], ["copy"])
    assert {(p["doc_a"], p["doc_b"]) for p in found} >= {(IDS[1], "copy")}
    assert len(index) == 5
    with pytest.raises(ValueError, match="already in the index"):
        index.add([TEXTS[1]], [IDS[1]])
    with pytest.raises(ValueError, match="2 ids for 1 texts"):
        index.add([TEXTS[1]], ["a", "b"])
