//! Why a pair is (or is not) a rewrite: the evidence in words a reader can
//! check, for `storydup explain`.

use std::fmt::Write;

use crate::scan::{ScanOptions, Signed, sign_all};
use crate::text;
use crate::verify::{self, Evidence, Term};

/// One sentence of A with its best counterpart in B.
#[derive(Clone, Debug)]
pub struct Alignment {
    pub sentence_a: String,
    pub sentence_b: Option<String>,
    pub similarity: f64,
    pub aligned: bool,
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
    pub shared_facts: Vec<String>,
    pub novel_facts_a: Vec<String>,
    pub novel_facts_b: Vec<String>,
}

impl Explanation {
    pub fn is_rewrite(&self) -> bool {
        self.evidence.score >= self.threshold
    }
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

    let (sentences_a, sentences_b) = (text::sentence_texts(&text_a), text::sentence_texts(&text_b));
    let shown = |list: &[text::SentenceText], position: u32| {
        list.get(position as usize)
            .map(|s| s.text.clone())
            .unwrap_or_default()
    };
    let matches = verify::best_matches(&fa.features.sentences, &fb.features.sentences);
    let alignments = fa
        .features
        .sentences
        .iter()
        .zip(&matches)
        .map(|(sentence, best)| Alignment {
            sentence_a: shown(&sentences_a, sentence.position),
            sentence_b: best.map(|(j, _)| shown(&sentences_b, fb.features.sentences[j].position)),
            similarity: best.map_or(0.0, |(_, s)| s),
            aligned: best.is_some_and(|(_, s)| s >= options.verify.sentence_threshold),
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
            .unwrap_or_else(|| format!("#{t:016x}"))
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
    let facts = |from: &[(Term, f32)], other: &[(Term, f32)], want_shared: bool| {
        let mut list: Vec<String> = from
            .iter()
            .filter(|t| in_set(other, t.0) == want_shared)
            .map(|t| name(&t.0))
            .collect();
        list.sort();
        list
    };
    Explanation {
        id_a: ids.0.to_string(),
        id_b: ids.1.to_string(),
        threshold: options.verify.threshold,
        alignments,
        shared_rare_terms: shared.iter().take(25).map(|t| name(&t.0)).collect(),
        shared_facts: facts(&fa.features.facts, &fb.features.facts, true),
        novel_facts_a: facts(&fa.features.facts, &fb.features.facts, false),
        novel_facts_b: facts(&fb.features.facts, &fa.features.facts, false),
        evidence,
    }
}

impl std::fmt::Display for Explanation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let e = &self.evidence;
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
        writeln!(out, "evidence")?;
        writeln!(
            out,
            "  sentences aligned: A {} of {} (coverage {:.2}), B {} of {} (coverage {:.2})",
            e.aligned_a, e.sentences_a, e.coverage_a, e.aligned_b, e.sentences_b, e.coverage_b
        )?;
        writeln!(
            out,
            "  opening sentences covered: A {:.2}, B {:.2}",
            e.lead_a, e.lead_b
        )?;
        writeln!(
            out,
            "  names and numbers: {} shared; {} only in A, {} only in B",
            self.shared_facts.len(),
            e.novel_facts_a,
            e.novel_facts_b
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
        writeln!(
            out,
            "shared names and numbers: {}",
            list(&self.shared_facts)
        )?;
        writeln!(
            out,
            "names and numbers only in A: {}",
            list(&self.novel_facts_a)
        )?;
        writeln!(
            out,
            "names and numbers only in B: {}\n",
            list(&self.novel_facts_b)
        )?;
        writeln!(out, "sentences of A with their closest sentence of B:")?;
        for (i, a) in self.alignments.iter().enumerate() {
            let mark = if a.aligned { "=" } else { " " };
            writeln!(out, "{mark} A{:<3} {}", i + 1, a.sentence_a)?;
            match &a.sentence_b {
                Some(b) => writeln!(out, "  {:.2} B {}", a.similarity, b)?,
                None => writeln!(out, "  0.00 B (nothing in common)")?,
            }
        }
        writeln!(
            out,
            "\n(= marks sentences aligned at similarity >= the sentence threshold)"
        )?;
        f.write_str(&out)
    }
}
