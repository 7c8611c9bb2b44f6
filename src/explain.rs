//! Why a pair is (or is not) a rewrite: the evidence in words a reader can
//! check, for `storydup explain`.

use std::fmt::Write;

use crate::scan::{ScanOptions, Signed, sign_all};
use crate::text;
use crate::verify::{self, Evidence, Term};

/// One passage of A with its best counterpart in B.
#[derive(Clone, Debug)]
pub struct Alignment {
    pub passage_a: String,
    pub passage_b: Option<String>,
    pub similarity: f64,
    pub aligned: bool,
    /// Part of a run of passages without counterpart in B.
    pub new: bool,
}

#[derive(Clone, Debug)]
pub struct Explanation {
    pub id_a: String,
    pub id_b: String,
    pub evidence: Evidence,
    pub threshold: f64,
    pub alignments: Vec<Alignment>,
    /// Shared terms, rarest first.
    pub shared_rare_terms: Vec<String>,
    /// Rare terms each document has only in its new passages.
    pub new_terms_a: Vec<String>,
    pub new_terms_b: Vec<String>,
    /// What the numbers were computed on (printed under the verdict when set).
    pub scope: String,
}

impl Explanation {
    pub fn is_rewrite(&self) -> bool {
        self.evidence.score >= self.threshold
    }

    /// The pair as pairs.csv has it: the header, then one row with the ids
    /// in pairs.csv's order (`doc_a` sorting first) and the verdict
    /// `different` below the threshold.
    pub fn pairs_csv_row(&self) -> String {
        let (first, second, evidence) = if self.id_a <= self.id_b {
            (&self.id_a, &self.id_b, self.evidence)
        } else {
            let e = self.evidence;
            (
                &self.id_b,
                &self.id_a,
                Evidence {
                    a: e.b,
                    b: e.a,
                    ..e
                },
            )
        };
        let mut writer = csv::Writer::from_writer(Vec::new());
        let header = ["doc_a", "doc_b"]
            .into_iter()
            .chain(crate::report::evidence_header());
        let row = [first.clone(), second.clone()]
            .into_iter()
            .chain(crate::report::evidence_fields(&evidence, self.is_rewrite()));
        // Writing to memory cannot fail.
        let _ = writer.write_record(header);
        let _ = writer.write_record(row);
        String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
    }
}

/// The text of each run of words (first word, word count) of a document.
pub fn span_texts(text: &str, runs: &[(u32, u32)]) -> Vec<String> {
    let (normalized, spans) = text::word_spans(text);
    runs.iter()
        .map(|&(start, len)| {
            let (first, last) = (start as usize, (start + len) as usize);
            match (
                spans.get(first),
                last.checked_sub(1).and_then(|l| spans.get(l)),
            ) {
                (Some(a), Some(b)) if len > 0 => normalized[a.start..b.end].to_string(),
                _ => String::new(),
            }
        })
        .collect()
}

/// Explains documents `a` and `b` of `texts`; the other texts only supply
/// the corpus statistics (term rarity, boilerplate) the scan would use.
pub fn explain(
    ids: (&str, &str),
    texts: Vec<String>,
    a: usize,
    b: usize,
    options: &ScanOptions,
) -> Explanation {
    let (text_a, text_b) = (texts[a].clone(), texts[b].clone());
    let (signed, _) = sign_all(texts, options, options.banding());
    let (fa, fb): (&Signed, &Signed) = (&signed[a], &signed[b]);
    let evidence = verify::evidence(&fa.features, &fb.features, &options.verify);

    let (features_a, features_b) = (&fa.features, &fb.features);
    let passages: Vec<(u32, u32)> = (0..features_a.passages())
        .map(|k| features_a.passage_span(k))
        .collect();
    let windows: Vec<(u32, u32)> = (0..features_b.window_weights.len())
        .map(|h| features_b.window_span(h))
        .collect();
    let passages_a = span_texts(&text_a, &passages);
    let windows_b = span_texts(&text_b, &windows);
    let details_a = verify::details(&fa.features, &fb.features);
    let details_b = verify::details(&fb.features, &fa.features);
    let alignments = passages_a
        .into_iter()
        .enumerate()
        .map(|(i, passage_a)| {
            let best = details_a.matches[i];
            Alignment {
                passage_a,
                passage_b: best.map(|(j, _)| windows_b[j].clone()),
                similarity: best.map_or(0.0, |(_, s)| s),
                aligned: best.is_some_and(|(_, s)| s >= options.verify.passage_threshold),
                new: details_a.new[i],
            }
        })
        .collect();

    let mut words = text::term_words(&text_a);
    for (term, word) in text::term_words(&text_b) {
        words.entry(term).or_insert(word);
    }
    let name = |t: &Term| {
        words
            .get(&(*t as u64))
            .cloned()
            .unwrap_or_else(|| format!("#{t:08x}"))
    };
    let in_set = |set: &[(Term, f32)], t: Term| set.binary_search_by_key(&t, |x| x.0).is_ok();
    let mut shared: Vec<(Term, f32)> = fa
        .features
        .terms
        .iter()
        .filter(|t| in_set(&fb.features.terms, t.0))
        .copied()
        .collect();
    shared.sort_by(|x, y| {
        y.1.total_cmp(&x.1)
            .then_with(|| name(&x.0).cmp(&name(&y.0)))
    });
    let names = |terms: &[Term]| {
        let mut list: Vec<String> = terms.iter().map(&name).collect();
        list.sort();
        list
    };
    Explanation {
        id_a: ids.0.to_string(),
        id_b: ids.1.to_string(),
        threshold: options.verify.threshold,
        alignments,
        shared_rare_terms: shared.iter().take(25).map(|t| name(&t.0)).collect(),
        new_terms_a: names(&details_a.new_terms),
        new_terms_b: names(&details_b.new_terms),
        evidence,
        scope: String::new(),
    }
}

/// A passage on one line: line breaks and runs of spaces made one space.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl std::fmt::Display for Explanation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let e = &self.evidence;
        let (a, b) = (&e.a, &e.b);
        let mut out = String::new();
        writeln!(out, "A: {}\nB: {}", self.id_a, self.id_b)?;
        writeln!(
            out,
            "verdict: {} (score {:.4}, threshold {:.2})\n",
            if self.is_rewrite() {
                "REWRITE"
            } else {
                "different stories"
            },
            e.score,
            self.threshold
        )?;
        if !self.scope.is_empty() {
            writeln!(out, "({})\n", self.scope)?;
        }
        writeln!(out, "evidence")?;
        writeln!(
            out,
            "  passages aligned: A {} of {} (coverage {:.2}), B {} of {} (coverage {:.2})",
            a.aligned, a.passages, a.coverage, b.aligned, b.passages, b.coverage
        )?;
        writeln!(
            out,
            "  new passages: A {:.2} of its weight ({} new rare terms), B {:.2} ({} new rare terms)",
            a.new, a.new_terms, b.new, b.new_terms
        )?;
        writeln!(
            out,
            "  opening: similarity A {:.2}, B {:.2}; new A {:.2}, B {:.2}",
            a.opening, b.opening, a.new_opening, b.new_opening
        )?;
        writeln!(
            out,
            "  word for word (runs of {}+ words): A {:.2} of its words, B {:.2}",
            verify::VERBATIM_WORDS,
            a.verbatim,
            b.verbatim
        )?;
        writeln!(
            out,
            "  word 3-grams: Jaccard {:.4}, containment {:.4}; SimHash distance {} bits\n",
            e.jaccard, e.containment, e.simhash_distance
        )?;
        let list = |v: &[String]| {
            if v.is_empty() {
                "(none)".to_string()
            } else {
                v.join(", ")
            }
        };
        writeln!(out, "shared rare terms: {}", list(&self.shared_rare_terms))?;
        writeln!(out, "new rare terms of A: {}", list(&self.new_terms_a))?;
        writeln!(out, "new rare terms of B: {}\n", list(&self.new_terms_b))?;
        writeln!(out, "passages of A with their closest passage of B:")?;
        for (i, p) in self.alignments.iter().enumerate() {
            let mark = match (p.aligned, p.new) {
                (true, _) => "=",
                (false, true) => "+",
                (false, false) => " ",
            };
            writeln!(out, "{mark} A{:<3} {}", i + 1, one_line(&p.passage_a))?;
            match &p.passage_b {
                Some(b) => writeln!(out, "  {:.2} B {}", p.similarity, one_line(b))?,
                None => writeln!(out, "  0.00 B (nothing in common)")?,
            }
        }
        writeln!(
            out,
            "\n(= aligned: similarity >= the passage threshold; + new: part of a run of passages \
             well below the pair's usual similarity)"
        )?;
        f.write_str(&out)
    }
}
