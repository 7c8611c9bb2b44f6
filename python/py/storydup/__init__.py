"""storydup: find near-duplicate and rewritten news stories.

The same Rust code as the ``storydup`` command-line tool. Everyday use::

    import storydup

    sig_a = storydup.minhash("text of one story ...")
    sig_b = storydup.minhash("text of another ...")
    storydup.jaccard(sig_a, sig_b)          # estimated shingle Jaccard

    result = storydup.scan(texts, ids=ids)  # the whole pipeline in memory
    result.clusters                         # [["id1", "id7"], ...]
    result.pairs                            # [{"doc_a": ..., "score": ...}, ...]

    corpus = storydup.Corpus(texts)         # corpus statistics
    corpus.verify(text_a, text_b)           # evidence dict, or None

    index = storydup.Index("archive/")      # a persistent index (storydup index)
    index.add(texts, ids)                   # the new pairs, as dicts
    index.query([draft])                    # pairs without adding

Hashes are unsigned 64-bit integers here; the ``*_arrow`` functions (for
Spark's ``mapInArrow``, see ``storydup.arrow``) carry the same bits as int64.
"""

from typing import Iterable, List, NamedTuple, Optional, Sequence, Tuple, Union

from . import _native
from ._native import (  # noqa: F401  (re-exported)
    Corpus,
    Index,
    band_keys,
    hamming,
    jaccard,
    normalize,
    sentences,
    shingles,
)

__version__ = _native.__version__

__all__ = [
    "Corpus",
    "Index",
    "ScanResult",
    "band_keys",
    "hamming",
    "jaccard",
    "minhash",
    "normalize",
    "scan",
    "sentences",
    "shingles",
    "simhash",
]


def _features(items: Union[str, Iterable[int]], size: int = 3) -> List[int]:
    if isinstance(items, str):
        return shingles(items, size)
    return [int(x) for x in items]


def minhash(items: Union[str, Iterable[int]], num_perm: int = 128, shingle_size: int = 3) -> List[int]:
    """MinHash signature of a text (its word ``shingle_size``-grams) or of
    64-bit feature hashes."""
    return _native.minhash(_features(items, shingle_size), num_perm)


def simhash(
    items: Union[str, Iterable[int], Iterable[Tuple[int, float]]], shingle_size: int = 3
) -> int:
    """64-bit SimHash of a text (its word shingles, weight 1 each), of
    feature hashes, or of (hash, weight) pairs."""
    if isinstance(items, str):
        weighted = [(h, 1.0) for h in shingles(items, shingle_size)]
    else:
        weighted = [(int(x[0]), float(x[1])) if isinstance(x, tuple) else (int(x), 1.0) for x in items]
    return _native.simhash(weighted)


class ScanResult(NamedTuple):
    """Verified pairs (dicts with the columns of pairs.csv, sorted by
    ``doc_a, doc_b``) and clusters (lists of ids, as in clusters.csv)."""

    pairs: List[dict]
    clusters: List[List[str]]


def scan(
    texts: Sequence[str], ids: Optional[Sequence[str]] = None, threshold: Optional[float] = None
) -> ScanResult:
    """Runs storydup's whole pipeline on texts in memory, as ``storydup
    scan`` does on files. Ids default to the texts' positions ("0", "1", ...)."""
    pairs, clusters = _native.scan(list(texts), None if ids is None else list(ids), threshold)
    return ScanResult(pairs, clusters)
