//! `storydup._native`: storydup's Rust code for Python. The `storydup`
//! package (python/py/storydup) wraps it; everyday functions take and return
//! plain lists, the `*_arrow` ones take and return pyarrow arrays and record
//! batches (for Spark's `mapInArrow`), without copying the texts.
//!
//! 64-bit hashes cross to Arrow as int64 (the same bits): Spark has no
//! unsigned integers. Heavy work runs without the GIL, on rayon's threads.

use std::sync::Arc;

use arrow_array::builder::{Int64Builder, ListBuilder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, UInt32Array,
};
use arrow_data::ArrayData as Data;
use arrow_pyarrow::PyArrowType;
use arrow_schema::{ArrowError, DataType};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use storydup::input::Document;
use storydup::report::{evidence_fields, evidence_header};
use storydup::scan::ScanOptions;
use storydup::sketch::{self, Banding};
use storydup::steps::{self, CorpusStats, ScoredEdge, Source};
use storydup::text;
use storydup::verify::{Evidence, Features, Value};

fn value_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

fn options_with(threshold: Option<f64>) -> PyResult<ScanOptions> {
    let mut options = ScanOptions::default();
    if let Some(t) = threshold {
        if !(0.0..=1.0).contains(&t) {
            return Err(value_error(format!("threshold must be in [0, 1], got {t}")));
        }
        options.verify.threshold = t;
    }
    Ok(options)
}

/// The strings of a pyarrow string or large_string array (nulls are errors:
/// a document without text is a mistake upstream, not an empty story).
fn strings<'a>(array: &'a ArrayRef, what: &str) -> PyResult<Vec<&'a str>> {
    let value = |i: usize| -> Option<&'a str> {
        match array.data_type() {
            DataType::Utf8 => Some(array.as_string::<i32>().value(i)),
            DataType::LargeUtf8 => Some(array.as_string::<i64>().value(i)),
            DataType::Utf8View => Some(array.as_string_view().value(i)),
            _ => None,
        }
    };
    if !matches!(
        array.data_type(),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    ) {
        return Err(value_error(format!(
            "{what}: expected strings, got {}",
            array.data_type()
        )));
    }
    (0..array.len())
        .map(|i| match value(i) {
            Some(v) if !array.is_null(i) => Ok(v),
            _ => Err(value_error(format!("{what}: row {i} is null"))),
        })
        .collect()
}

fn int64s(array: &ArrayRef, what: &str) -> PyResult<Vec<i64>> {
    let a = array
        .as_primitive_opt::<Int64Type>()
        .ok_or_else(|| value_error(format!("{what}: expected int64, got {}", array.data_type())))?;
    if a.null_count() > 0 {
        return Err(value_error(format!("{what}: nulls are not allowed")));
    }
    Ok(a.values().to_vec())
}

/// The lists of a list<int64> column. Spark sends 32-bit offsets, or
/// 64-bit ones with large types turned on.
fn int64_lists(array: &ArrayRef, what: &str) -> PyResult<Vec<Vec<i64>>> {
    let lists: Vec<Option<ArrayRef>> = if let Some(l) = array.as_list_opt::<i32>() {
        l.iter().collect()
    } else if let Some(l) = array.as_list_opt::<i64>() {
        l.iter().collect()
    } else {
        return Err(value_error(format!(
            "{what}: expected list<int64>, got {}",
            array.data_type()
        )));
    };
    lists
        .iter()
        .map(|l| match l {
            Some(values) => int64s(values, what),
            None => Err(value_error(format!("{what}: nulls are not allowed"))),
        })
        .collect()
}

fn to_array(data: PyArrowType<Data>) -> ArrayRef {
    arrow_array::make_array(data.0)
}

fn batch(columns: Vec<(&str, ArrayRef)>) -> PyResult<PyArrowType<RecordBatch>> {
    RecordBatch::try_from_iter(columns)
        .map(PyArrowType)
        .map_err(|e: ArrowError| value_error(e))
}

fn list_column(lists: &[Vec<u64>]) -> ArrayRef {
    let mut builder = ListBuilder::new(Int64Builder::new());
    for list in lists {
        builder.append_value(list.iter().map(|&k| Some(k as i64)));
    }
    Arc::new(builder.finish())
}

fn evidence_dict<'py>(
    py: Python<'py>,
    e: &Evidence,
    threshold: f64,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (name, value) in e.columns() {
        match value {
            Value::Share(x) => dict.set_item(name, x)?,
            Value::Count(n) => dict.set_item(name, n)?,
        }
    }
    dict.set_item("rewrite", e.score >= threshold)?;
    Ok(dict)
}

// ---- everyday functions, on plain values ----

/// NFKC and full case folding.
#[pyfunction]
fn normalize(text: &str) -> String {
    text::normalize(text)
}

/// Sentences by UAX #29.
#[pyfunction]
fn sentences(text: &str) -> Vec<String> {
    text::sentences(text)
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// Sorted, distinct 64-bit hashes of the text's word n-grams.
#[pyfunction]
#[pyo3(signature = (text, size=3))]
fn shingles(text: &str, size: usize) -> PyResult<Vec<u64>> {
    if size == 0 {
        return Err(value_error("size must be at least 1"));
    }
    let words: Vec<u64> = text::tokenize(text)
        .tokens
        .iter()
        .map(|t| t.word as u64)
        .collect();
    Ok(sketch::shingles(&words, size))
}

/// MinHash signature of 64-bit feature hashes (one-permutation hashing with
/// densification: one hash a feature).
#[pyfunction]
#[pyo3(signature = (features, num_perm=128))]
fn minhash(py: Python<'_>, features: Vec<u64>, num_perm: usize) -> PyResult<Vec<u64>> {
    if num_perm == 0 {
        return Err(value_error("num_perm must be at least 1"));
    }
    Ok(py.detach(|| sketch::minhash(features, num_perm)))
}

/// Jaccard similarity estimated from two MinHash signatures.
#[pyfunction]
fn jaccard(a: Vec<u64>, b: Vec<u64>) -> PyResult<f64> {
    if a.len() != b.len() {
        return Err(value_error(format!(
            "signatures differ in length ({} and {})",
            a.len(),
            b.len()
        )));
    }
    Ok(sketch::estimate_jaccard(&a, &b))
}

/// 64-bit SimHash of weighted 64-bit feature hashes.
#[pyfunction]
fn simhash(features: Vec<(u64, f64)>) -> u64 {
    sketch::weighted_simhash(features)
}

#[pyfunction]
fn hamming(a: u64, b: u64) -> u32 {
    sketch::hamming(a, b)
}

/// LSH band keys of a signature: `bands` keys of `rows` values each.
#[pyfunction]
fn band_keys(signature: Vec<u64>, bands: usize, rows: usize) -> PyResult<Vec<u64>> {
    if bands == 0 || rows == 0 || bands * rows > signature.len() {
        return Err(value_error(format!(
            "bands x rows must be at least 1 and at most the signature length ({bands} x {rows} > {})",
            signature.len()
        )));
    }
    Ok(Banding { bands, rows }.keys(&signature))
}

/// Pairs as dicts, clusters as lists of ids.
type ScanOutput<'py> = (Vec<Bound<'py, PyDict>>, Vec<Vec<String>>);

/// The whole pipeline in memory: (pairs as dicts, clusters as lists of ids).
#[pyfunction]
#[pyo3(signature = (texts, ids=None, threshold=None))]
fn scan<'py>(
    py: Python<'py>,
    texts: Vec<String>,
    ids: Option<Vec<String>>,
    threshold: Option<f64>,
) -> PyResult<ScanOutput<'py>> {
    let options = options_with(threshold)?;
    let ids = match ids {
        Some(ids) if ids.len() != texts.len() => {
            return Err(value_error(format!(
                "{} ids for {} texts",
                ids.len(),
                texts.len()
            )));
        }
        Some(ids) => ids,
        None => (0..texts.len()).map(|i| i.to_string()).collect(),
    };
    let documents = documents_of(texts, ids)?;
    let result = py
        .detach(|| storydup::scan::scan(documents, &options))
        .map_err(value_error)?;
    let mut pairs = Vec::with_capacity(result.pairs.len());
    for p in &result.pairs {
        let dict = evidence_dict(py, &p.evidence, options.verify.threshold)?;
        dict.set_item("doc_a", &result.ids[p.a as usize])?;
        dict.set_item("doc_b", &result.ids[p.b as usize])?;
        pairs.push(dict);
    }
    let clusters = result
        .clusters
        .iter()
        .map(|c| c.iter().map(|&d| result.ids[d as usize].clone()).collect())
        .collect();
    Ok((pairs, clusters))
}

// ---- corpus statistics, and what needs them ----

/// Statistics of a whole corpus (boilerplate sentences, term document
/// frequencies): what signing and verifying a document need.
#[pyclass(frozen, module = "storydup._native")]
struct Corpus {
    stats: CorpusStats,
    options: ScanOptions,
    banding: Banding,
}

impl Corpus {
    fn new(stats: CorpusStats, options: ScanOptions) -> Self {
        let banding = options.banding();
        Corpus {
            stats,
            options,
            banding,
        }
    }

    fn pair_features(&self, text_a: &str, text_b: &str) -> (Features, Features) {
        (
            steps::features(text_a, &self.stats, &self.options),
            steps::features(text_b, &self.stats, &self.options),
        )
    }

    /// Verifies `pairs` of documents (indices into `ids` and `texts`), each
    /// document's features built once: the rewrites as
    /// [`Corpus::verify_arrow`] returns them.
    fn verify_pairs(
        &self,
        py: Python<'_>,
        ids: &[&str],
        texts: &[&str],
        pairs: &[(usize, usize)],
    ) -> PyResult<PyArrowType<RecordBatch>> {
        let verified: Vec<(u32, bool, Evidence)> = py.detach(|| {
            let features: Vec<Features> = texts
                .par_iter()
                .map(|t| steps::features(t, &self.stats, &self.options))
                .collect();
            pairs
                .par_iter()
                .enumerate()
                .filter_map(|(row, &(x, y))| {
                    let swap = ids[y] < ids[x];
                    let (x, y) = if swap { (y, x) } else { (x, y) };
                    steps::verify(&features[x], &features[y], &self.options)
                        .map(|e| (row as u32, swap, e))
                })
                .collect()
        });
        let mut doc_a = StringBuilder::new();
        let mut doc_b = StringBuilder::new();
        let mut fields: Vec<StringBuilder> = evidence_header()
            .iter()
            .map(|_| StringBuilder::new())
            .collect();
        for (row, swap, e) in &verified {
            let (x, y) = pairs[*row as usize];
            let (a, b) = if *swap { (y, x) } else { (x, y) };
            doc_a.append_value(ids[a]);
            doc_b.append_value(ids[b]);
            for (builder, value) in fields.iter_mut().zip(evidence_fields(e, true)) {
                builder.append_value(value);
            }
        }
        let row: UInt32Array = verified.iter().map(|v| Some(v.0)).collect();
        let swapped: BooleanArray = verified.iter().map(|v| Some(v.1)).collect();
        let score: Float64Array = verified.iter().map(|v| Some(v.2.score)).collect();
        let mut columns: Vec<(&str, ArrayRef)> = vec![
            ("row", Arc::new(row)),
            ("swapped", Arc::new(swapped)),
            ("doc_a", Arc::new(doc_a.finish())),
            ("doc_b", Arc::new(doc_b.finish())),
            ("score", Arc::new(score)),
        ];
        for (name, mut builder) in evidence_header().iter().zip(fields) {
            let column: ArrayRef = Arc::new(builder.finish());
            columns.push((if *name == "score" { "score_text" } else { name }, column));
        }
        batch(columns)
    }

    fn features_of(&self, texts: &[String]) -> Vec<Features> {
        texts
            .par_iter()
            .map(|t| steps::features(t, &self.stats, &self.options))
            .collect()
    }
}

#[pymethods]
impl Corpus {
    /// Statistics of `texts`, counted in memory.
    #[new]
    #[pyo3(signature = (texts, threshold=None))]
    fn from_texts(py: Python<'_>, texts: Vec<String>, threshold: Option<f64>) -> PyResult<Self> {
        let options = options_with(threshold)?;
        let stats = py.detach(|| {
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            CorpusStats::of_texts(&refs, &options)
        });
        Ok(Corpus::new(stats, options))
    }

    /// Statistics counted elsewhere (by Spark): boilerplate fingerprints,
    /// terms with the number of documents holding each, and the corpus size.
    #[staticmethod]
    #[pyo3(signature = (boilerplate, terms, counts, documents, threshold=None))]
    fn from_counts(
        boilerplate: Vec<i64>,
        terms: Vec<i64>,
        counts: Vec<u32>,
        documents: u64,
        threshold: Option<f64>,
    ) -> PyResult<Self> {
        if terms.len() != counts.len() {
            return Err(value_error("terms and counts differ in length"));
        }
        let stats = CorpusStats::new(
            boilerplate.into_iter().map(|h| h as u64),
            terms.into_iter().map(|t| t as u64).zip(counts),
            documents,
        );
        Ok(Corpus::new(stats, options_with(threshold)?))
    }

    #[staticmethod]
    #[pyo3(signature = (data, threshold=None))]
    fn from_bytes(data: &[u8], threshold: Option<f64>) -> PyResult<Self> {
        let stats = CorpusStats::from_bytes(data).map_err(value_error)?;
        Ok(Corpus::new(stats, options_with(threshold)?))
    }

    fn to_bytes(&self) -> std::borrow::Cow<'static, [u8]> {
        self.stats.to_bytes().into()
    }

    #[getter]
    fn documents(&self) -> u64 {
        self.stats.documents()
    }

    /// LSH bands of a signature (band keys per document).
    #[getter]
    fn bands(&self) -> usize {
        self.banding.bands
    }

    #[getter]
    fn threshold(&self) -> f64 {
        self.options.verify.threshold
    }

    /// Band keys, passage anchors and SimHash of one text.
    fn sign<'py>(&self, py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyDict>> {
        let keys = steps::sign(text, &self.stats, &self.options, self.banding);
        let dict = PyDict::new(py);
        dict.set_item("band_keys", keys.band_keys)?;
        dict.set_item("anchors", keys.anchors)?;
        dict.set_item("simhash", keys.simhash)?;
        Ok(dict)
    }

    /// The evidence for two texts, whatever the verdict.
    fn evidence<'py>(
        &self,
        py: Python<'py>,
        text_a: &str,
        text_b: &str,
    ) -> PyResult<Bound<'py, PyDict>> {
        let (a, b) = self.pair_features(text_a, text_b);
        let e = storydup::verify::evidence(&a, &b, &self.options.verify);
        evidence_dict(py, &e, self.options.verify.threshold)
    }

    /// The evidence if the two texts are a rewrite, else None.
    fn verify<'py>(
        &self,
        py: Python<'py>,
        text_a: &str,
        text_b: &str,
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
        let (a, b) = self.pair_features(text_a, text_b);
        steps::verify(&a, &b, &self.options)
            .map(|e| evidence_dict(py, &e, self.options.verify.threshold))
            .transpose()
    }

    /// Distinct content terms of each text, flattened (int64).
    fn content_terms_arrow(
        &self,
        py: Python<'_>,
        texts: PyArrowType<Data>,
    ) -> PyResult<PyArrowType<Data>> {
        let texts = to_array(texts);
        let texts = strings(&texts, "texts")?;
        let terms: Vec<i64> = py.detach(|| {
            let per_doc: Vec<Vec<u64>> = texts
                .par_iter()
                .map(|t| steps::content_terms(t, self.stats.boilerplate()))
                .collect();
            per_doc.into_iter().flatten().map(|t| t as i64).collect()
        });
        Ok(PyArrowType(Int64Array::from(terms).into_data()))
    }

    /// Band keys (list<int64>), anchors (list<int64>) and SimHash (int64)
    /// of each text, one row per text.
    fn sign_arrow(
        &self,
        py: Python<'_>,
        texts: PyArrowType<Data>,
    ) -> PyResult<PyArrowType<RecordBatch>> {
        let texts = to_array(texts);
        let texts = strings(&texts, "texts")?;
        let keys: Vec<steps::Keys> = py.detach(|| {
            texts
                .par_iter()
                .map(|t| steps::sign(t, &self.stats, &self.options, self.banding))
                .collect()
        });
        let bands: Vec<Vec<u64>> = keys.iter().map(|k| k.band_keys.clone()).collect();
        let anchors: Vec<Vec<u64>> = keys.iter().map(|k| k.anchors.clone()).collect();
        let simhash: Int64Array = keys.iter().map(|k| Some(k.simhash as i64)).collect();
        batch(vec![
            ("band_keys", list_column(&bands)),
            ("anchors", list_column(&anchors)),
            ("simhash", Arc::new(simhash)),
        ])
    }

    /// Verifies candidate pairs given as ids and texts of both sides. Each
    /// text's features are built once per call. Returns the rewrites only:
    /// `row` (the input row), `swapped` (whether the row's b is pairs.csv's
    /// doc_a), `doc_a`, `doc_b` (ordered by id, as in pairs.csv), `score`,
    /// and every evidence column of pairs.csv as the CLI writes it (strings).
    fn verify_arrow(
        &self,
        py: Python<'_>,
        ids_a: PyArrowType<Data>,
        texts_a: PyArrowType<Data>,
        ids_b: PyArrowType<Data>,
        texts_b: PyArrowType<Data>,
    ) -> PyResult<PyArrowType<RecordBatch>> {
        let columns = [ids_a, texts_a, ids_b, texts_b].map(to_array);
        let ids_a = strings(&columns[0], "ids_a")?;
        let texts_a = strings(&columns[1], "texts_a")?;
        let ids_b = strings(&columns[2], "ids_b")?;
        let texts_b = strings(&columns[3], "texts_b")?;
        let rows = ids_a.len();
        if [texts_a.len(), ids_b.len(), texts_b.len()] != [rows; 3] {
            return Err(value_error("the four columns differ in length"));
        }
        // One feature build per distinct document of the batch.
        let mut slot: FxHashMap<&str, usize> = FxHashMap::default();
        let (mut ids, mut texts) = (Vec::new(), Vec::new());
        for (&id, &text) in ids_a.iter().zip(&texts_a).chain(ids_b.iter().zip(&texts_b)) {
            slot.entry(id).or_insert_with(|| {
                ids.push(id);
                texts.push(text);
                ids.len() - 1
            });
        }
        let pairs: Vec<(usize, usize)> = (0..rows)
            .map(|row| (slot[ids_a[row]], slot[ids_b[row]]))
            .collect();
        self.verify_pairs(py, &ids, &texts, &pairs)
    }

    /// Verifies one group of candidate pairs given as input positions (`a`,
    /// `b`), with the group's documents (`positions`, `ids`, `texts`) each
    /// listed once: each document is shipped and its features built once per
    /// group, however many of the group's pairs it is in. Returns what
    /// [`Corpus::verify_arrow`] does, `row` being the pair's.
    fn verify_group_arrow(
        &self,
        py: Python<'_>,
        positions: PyArrowType<Data>,
        ids: PyArrowType<Data>,
        texts: PyArrowType<Data>,
        a: PyArrowType<Data>,
        b: PyArrowType<Data>,
    ) -> PyResult<PyArrowType<RecordBatch>> {
        let [positions, ids, texts, a, b] = [positions, ids, texts, a, b].map(to_array);
        let positions = int64s(&positions, "positions")?;
        let ids = strings(&ids, "ids")?;
        let texts = strings(&texts, "texts")?;
        if ids.len() != positions.len() || texts.len() != positions.len() {
            return Err(value_error("positions, ids and texts differ in length"));
        }
        let slot: FxHashMap<i64, usize> =
            positions.iter().enumerate().map(|(i, &p)| (p, i)).collect();
        let find = |p: &i64| {
            slot.get(p).copied().ok_or_else(|| {
                value_error(format!(
                    "pair member {p} is not among the group's documents"
                ))
            })
        };
        let (a, b) = (int64s(&a, "a")?, int64s(&b, "b")?);
        if a.len() != b.len() {
            return Err(value_error("a and b differ in length"));
        }
        let pairs = a
            .iter()
            .zip(&b)
            .map(|(x, y)| Ok((find(x)?, find(y)?)))
            .collect::<PyResult<Vec<(usize, usize)>>>()?;
        self.verify_pairs(py, &ids, &texts, &pairs)
    }

    /// The clusters of one connected component of verified pairs, chain
    /// guard applied as `storydup scan` does: `ids` and `texts` of its
    /// members, and its pairs as ids with their scores. Returns lists of ids,
    /// each sorted, in order of their first id.
    fn guarded_clusters(
        &self,
        py: Python<'_>,
        ids: Vec<String>,
        texts: Vec<String>,
        pairs_a: Vec<String>,
        pairs_b: Vec<String>,
        scores: Vec<f64>,
    ) -> PyResult<Vec<Vec<String>>> {
        if ids.len() != texts.len()
            || pairs_a.len() != pairs_b.len()
            || pairs_a.len() != scores.len()
        {
            return Err(value_error("members or pairs differ in length"));
        }
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by(|&x, &y| ids[x].cmp(&ids[y]));
        let sorted_ids: Vec<&String> = order.iter().map(|&i| &ids[i]).collect();
        let member = |id: &String| -> PyResult<u32> {
            sorted_ids
                .binary_search(&id)
                .map(|i| i as u32)
                .map_err(|_| value_error(format!("pair member {id:?} is not among the ids")))
        };
        let edges = pairs_a
            .iter()
            .zip(&pairs_b)
            .zip(&scores)
            .map(|((a, b), &score)| {
                Ok(ScoredEdge {
                    a: member(a)?,
                    b: member(b)?,
                    score,
                })
            })
            .collect::<PyResult<Vec<_>>>()?;
        let sorted_texts: Vec<String> = order.iter().map(|&i| texts[i].clone()).collect();
        let groups = py.detach(|| {
            let features = self.features_of(&sorted_texts);
            steps::guarded_clusters(&features, &edges, &self.options)
        });
        Ok(groups
            .into_iter()
            .map(|g| {
                g.into_iter()
                    .map(|m| sorted_ids[m as usize].clone())
                    .collect()
            })
            .collect())
    }
}

// ---- the index steps, on Arrow ----

/// Distinct sentence fingerprints of each text, flattened (int64).
#[pyfunction]
fn fingerprints_arrow(py: Python<'_>, texts: PyArrowType<Data>) -> PyResult<PyArrowType<Data>> {
    let texts = to_array(texts);
    let texts = strings(&texts, "texts")?;
    let all: Vec<i64> = py.detach(|| {
        let per_doc: Vec<Vec<u64>> = texts
            .par_iter()
            .map(|t| steps::sentence_fingerprints(t))
            .collect();
        per_doc.into_iter().flatten().map(|h| h as i64).collect()
    });
    Ok(PyArrowType(Int64Array::from(all).into_data()))
}

/// Documents a sentence must appear in to be boilerplate.
#[pyfunction]
fn boilerplate_min_docs(documents: u64) -> u64 {
    steps::boilerplate_min_docs(&ScanOptions::default(), documents)
}

fn source(name: &str) -> PyResult<Source> {
    Source::from_name(name).ok_or_else(|| {
        value_error(format!(
            "unknown key source {name:?} (bands, anchors or simhash)"
        ))
    })
}

/// Keys of one source two documents must share to be a candidate.
#[pyfunction]
fn min_shared(name: &str) -> PyResult<usize> {
    Ok(source(name)?.min_shared(&ScanOptions::default()))
}

/// Hamming distance within which SimHash candidates are kept.
#[pyfunction]
fn simhash_distance() -> u32 {
    ScanOptions::default().simhash_distance
}

/// One row per SimHash block-table key of each document: (`pos`, `key`).
#[pyfunction]
fn simhash_keys_arrow(
    positions: PyArrowType<Data>,
    simhashes: PyArrowType<Data>,
) -> PyResult<PyArrowType<RecordBatch>> {
    let positions = int64s(&to_array(positions), "positions")?;
    let simhashes = int64s(&to_array(simhashes), "simhashes")?;
    let options = ScanOptions::default();
    let tables = steps::BlockTables::new(options.simhash_distance, options.simhash_blocks)
        .map_err(value_error)?;
    let mut pos = Vec::new();
    let mut keys = Vec::new();
    for (&p, &h) in positions.iter().zip(&simhashes) {
        for key in tables.keys(h as u64) {
            pos.push(p);
            keys.push(key as i64);
        }
    }
    batch(vec![
        ("pos", Arc::new(Int64Array::from(pos))),
        ("key", Arc::new(Int64Array::from(keys))),
    ])
}

/// The pairs each bucket (a list<int64> of document positions sharing a
/// key) makes under the source's rules, as rows (`a`, `b`), a pair repeated
/// as often as it counts.
#[pyfunction]
fn bucket_pairs_arrow(
    py: Python<'_>,
    name: &str,
    buckets: PyArrowType<Data>,
) -> PyResult<PyArrowType<RecordBatch>> {
    let source = source(name)?;
    let lists = int64_lists(&to_array(buckets), "buckets")?;
    let mut documents = Vec::with_capacity(lists.len());
    for positions in lists {
        let positions = positions
            .into_iter()
            .map(|p| {
                u32::try_from(p).map_err(|_| value_error(format!("position {p} out of range")))
            })
            .collect::<PyResult<Vec<u32>>>()?;
        documents.push(positions);
    }
    let options = ScanOptions::default();
    let pairs: Vec<(u32, u32)> = py.detach(|| {
        documents
            .par_iter()
            .flat_map_iter(|docs| source.bucket_pairs(docs, &options))
            .collect()
    });
    let a: Int64Array = pairs.iter().map(|p| Some(p.0 as i64)).collect();
    let b: Int64Array = pairs.iter().map(|p| Some(p.1 as i64)).collect();
    batch(vec![("a", Arc::new(a)), ("b", Arc::new(b))])
}

/// Each pair's ties from `counts` keys of one source (int64 in, int64 out).
#[pyfunction]
fn source_ties_arrow(name: &str, counts: PyArrowType<Data>) -> PyResult<PyArrowType<Data>> {
    let source = source(name)?;
    let counts = int64s(&to_array(counts), "counts")?;
    let ties: Int64Array = counts
        .iter()
        .map(|&c| Some(source.ties(c.max(0) as usize) as i64))
        .collect();
    Ok(PyArrowType(ties.into_data()))
}

/// Each pair's ties: its sources' ties summed, with its documents'
/// SimHashes (all int64).
#[pyfunction]
fn pair_ties_arrow(
    ties: PyArrowType<Data>,
    simhash_a: PyArrowType<Data>,
    simhash_b: PyArrowType<Data>,
) -> PyResult<PyArrowType<Data>> {
    let ties = int64s(&to_array(ties), "ties")?;
    let ha = int64s(&to_array(simhash_a), "simhash_a")?;
    let hb = int64s(&to_array(simhash_b), "simhash_b")?;
    let out: Int64Array = ties
        .iter()
        .zip(ha.iter().zip(&hb))
        .map(|(&t, (&a, &b))| {
            let t = u32::try_from(t).unwrap_or(u32::MAX);
            Some(steps::pair_ties(t, a as u64, b as u64) as i64)
        })
        .collect();
    Ok(PyArrowType(out.into_data()))
}

/// The candidates each document nominates: for each `docs[i]`, its
/// `partners[i]` with their `ties[i]` (aligned list<int64> columns), as
/// rows (`a`, `b`), `a < b`.
#[pyfunction]
fn top_partners_arrow(
    docs: PyArrowType<Data>,
    partners: PyArrowType<Data>,
    ties: PyArrowType<Data>,
) -> PyResult<PyArrowType<RecordBatch>> {
    let docs = int64s(&to_array(docs), "docs")?;
    let partners = int64_lists(&to_array(partners), "partners")?;
    let ties = int64_lists(&to_array(ties), "ties")?;
    let options = ScanOptions::default();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for ((&doc, partners), ties) in docs.iter().zip(&partners).zip(&ties) {
        let position = |p: i64| {
            u32::try_from(p).map_err(|_| value_error(format!("position {p} out of range")))
        };
        let doc = position(doc)?;
        let tied = partners
            .iter()
            .zip(ties)
            .map(|(&p, &t)| Ok((position(p)?, u32::try_from(t).unwrap_or(u32::MAX))))
            .collect::<PyResult<Vec<(u32, u32)>>>()?;
        for partner in steps::top_partners(doc, &tied, &options) {
            a.push(doc.min(partner) as i64);
            b.push(doc.max(partner) as i64);
        }
    }
    batch(vec![
        ("a", Arc::new(Int64Array::from(a))),
        ("b", Arc::new(Int64Array::from(b))),
    ])
}

/// The header of pairs.csv.
#[pyfunction]
fn pairs_header() -> Vec<&'static str> {
    ["doc_a", "doc_b"]
        .iter()
        .chain(&evidence_header())
        .copied()
        .collect()
}

// ---- a persistent index ----

/// Documents as the library reads them, from texts and ids.
fn documents_of(texts: Vec<String>, ids: Vec<String>) -> PyResult<Vec<Document>> {
    if ids.len() != texts.len() {
        return Err(value_error(format!(
            "{} ids for {} texts",
            ids.len(),
            texts.len()
        )));
    }
    Ok(ids
        .into_iter()
        .zip(texts)
        .enumerate()
        .map(|(i, (id, text))| Document {
            id,
            text,
            origin: storydup::error::Origin {
                path: "<python>".into(),
                line: i as u64 + 1,
            },
            raw: None,
        })
        .collect())
}

fn index_error(e: storydup::Error) -> PyErr {
    match e {
        storydup::Error::File { .. } => pyo3::exceptions::PyOSError::new_err(e.to_string()),
        _ => value_error(e),
    }
}

fn indexed_pairs<'py>(
    py: Python<'py>,
    pairs: &[storydup::archive::IndexedPair],
    threshold: f64,
) -> PyResult<Vec<Bound<'py, PyDict>>> {
    pairs
        .iter()
        .map(|p| {
            let dict = evidence_dict(py, &p.evidence, threshold)?;
            dict.set_item("doc_a", &p.a)?;
            dict.set_item("doc_b", &p.b)?;
            Ok(dict)
        })
        .collect()
}

/// A persistent index in a folder, as `storydup index` keeps it: each call
/// opens it, so the writer's lock is held only while `add` runs.
#[pyclass(frozen, module = "storydup._native")]
struct Index {
    path: std::path::PathBuf,
}

#[pymethods]
impl Index {
    #[new]
    fn new(path: std::path::PathBuf) -> Self {
        Index { path }
    }

    /// Adds the texts under their ids (new ones); returns the verified pairs
    /// that hold an added document.
    fn add<'py>(
        &self,
        py: Python<'py>,
        texts: Vec<String>,
        ids: Vec<String>,
    ) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let documents = documents_of(texts, ids)?;
        let path = self.path.clone();
        let (added, threshold) = py
            .detach(move || {
                let mut archive =
                    storydup::archive::Archive::open_writer(&path, &ScanOptions::default())?;
                let added = archive.add_documents(
                    documents,
                    storydup::archive::Rescan::default(),
                    &storydup::scan::Silent,
                )?;
                Ok::<_, storydup::Error>((added, archive.options().verify.threshold))
            })
            .map_err(index_error)?;
        indexed_pairs(py, &added.pairs, threshold)
    }

    /// The verified pairs the texts would make with the index and with each
    /// other, without adding them (ids default to "query-0", "query-1"...).
    #[pyo3(signature = (texts, ids=None))]
    fn query<'py>(
        &self,
        py: Python<'py>,
        texts: Vec<String>,
        ids: Option<Vec<String>>,
    ) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let ids = ids.unwrap_or_else(|| (0..texts.len()).map(|i| format!("query-{i}")).collect());
        let documents = documents_of(texts, ids)?;
        let path = self.path.clone();
        let (pairs, threshold) = py
            .detach(move || {
                let archive =
                    storydup::archive::Archive::open_reader(&path, &ScanOptions::default())?;
                let pairs = archive.query(&documents)?;
                Ok::<_, storydup::Error>((pairs, archive.options().verify.threshold))
            })
            .map_err(index_error)?;
        indexed_pairs(py, &pairs, threshold)
    }

    /// Documents in the index (0 for a folder with none yet).
    fn __len__(&self) -> PyResult<usize> {
        if !self.path.join(storydup::archive::DATABASE).exists() {
            return Ok(0);
        }
        let archive = storydup::archive::Archive::open_reader(&self.path, &ScanOptions::default())
            .map_err(index_error)?;
        Ok(archive.len().map_err(index_error)? as usize)
    }
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(normalize, m)?)?;
    m.add_function(wrap_pyfunction!(sentences, m)?)?;
    m.add_function(wrap_pyfunction!(shingles, m)?)?;
    m.add_function(wrap_pyfunction!(minhash, m)?)?;
    m.add_function(wrap_pyfunction!(jaccard, m)?)?;
    m.add_function(wrap_pyfunction!(simhash, m)?)?;
    m.add_function(wrap_pyfunction!(hamming, m)?)?;
    m.add_function(wrap_pyfunction!(band_keys, m)?)?;
    m.add_function(wrap_pyfunction!(scan, m)?)?;
    m.add_function(wrap_pyfunction!(fingerprints_arrow, m)?)?;
    m.add_function(wrap_pyfunction!(boilerplate_min_docs, m)?)?;
    m.add_function(wrap_pyfunction!(min_shared, m)?)?;
    m.add_function(wrap_pyfunction!(simhash_distance, m)?)?;
    m.add_function(wrap_pyfunction!(simhash_keys_arrow, m)?)?;
    m.add_function(wrap_pyfunction!(bucket_pairs_arrow, m)?)?;
    m.add_function(wrap_pyfunction!(pairs_header, m)?)?;
    m.add_function(wrap_pyfunction!(source_ties_arrow, m)?)?;
    m.add_function(wrap_pyfunction!(pair_ties_arrow, m)?)?;
    m.add_function(wrap_pyfunction!(top_partners_arrow, m)?)?;
    m.add_class::<Corpus>()?;
    m.add_class::<Index>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
