"""storydup's steps on Arrow data, for engines that do the shuffles (Spark's
``mapInArrow``). Each function takes pyarrow arrays or record batches and
returns the same, without copying texts through Python objects. The order of
the steps, and why it gives ``storydup scan``'s results, is documented in
the Rust library (``storydup::steps``).
"""

import pyarrow as pa

from . import _native
from ._native import (  # noqa: F401  (re-exported)
    boilerplate_min_docs,
    min_shared,
    pairs_header,
    simhash_distance,
)

def fingerprints(texts: pa.Array) -> pa.Array:
    """Each text's distinct sentence fingerprints, flattened (int64)."""
    return _native.fingerprints_arrow(texts)


def simhash_keys(positions: pa.Array, simhashes: pa.Array) -> pa.RecordBatch:
    """(pos, key) rows: each document's SimHash block-table keys."""
    return _native.simhash_keys_arrow(positions, simhashes)


def bucket_pairs(source: str, buckets: pa.Array) -> pa.RecordBatch:
    """(a, b) rows: the pairs each bucket of positions makes under the
    source's rules, repeated as often as they count."""
    return _native.bucket_pairs_arrow(source, buckets)


def source_ties(source: str, counts: pa.Array) -> pa.Array:
    """How much each pair's `counts` shared keys of one source tie it (int64)."""
    return _native.source_ties_arrow(source, counts)


def pair_ties(ties: pa.Array, simhash_a: pa.Array, simhash_b: pa.Array) -> pa.Array:
    """Each pair's ties: its sources' ties summed, with its documents' SimHashes."""
    return _native.pair_ties_arrow(ties, simhash_a, simhash_b)


def top_partners(docs: pa.Array, partners: pa.Array, ties: pa.Array) -> pa.RecordBatch:
    """(a, b) rows: the candidates each document nominates from its partners
    (list<int64>) and their ties (list<int64>, aligned)."""
    return _native.top_partners_arrow(docs, partners, ties)
