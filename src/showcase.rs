//! What `report.html` shows: the largest clusters, each member beside the
//! cluster's representative with every passage linked to the passage it
//! aligns with (or marked unshared), the score and counts pairs.csv has for
//! the pair, and the distribution of pair scores. The texts are read again
//! from the inputs (only those of the documents shown) and shown as written.

use std::collections::HashMap;
use std::path::Path;

use crate::error::Result;
use crate::html::{Cluster, Comparison, Counts, Document, Link, Pair, Report, render};
use crate::input::{InputOptions, read_again};
use rayon::prelude::*;

use crate::corpus::Corpus;
use crate::scan::{Ids, ScanOptions};
use crate::{text, verify};

/// Clusters shown, largest first, and members shown of each.
pub const MAX_CLUSTERS: usize = 100;
pub const MAX_MEMBERS: usize = 20;

/// Scores of verified pairs for the histogram; past `CAP` it keeps every
/// other one (and then every fourth...), the same ones every run.
#[derive(Default)]
pub struct ScoreSample {
    pub scores: Vec<f64>,
    stride: u64,
    seen: u64,
}

impl ScoreSample {
    const CAP: usize = 1 << 20;

    pub fn add(&mut self, score: f64) {
        let stride = self.stride.max(1);
        if self.seen.is_multiple_of(stride) {
            self.scores.push(score);
            if self.scores.len() >= Self::CAP {
                let halved: Vec<f64> = self.scores.iter().step_by(2).copied().collect();
                self.scores = halved;
                self.stride = stride * 2;
            }
        }
        self.seen += 1;
    }
}

/// The clusters report.html shows (largest first, at most
/// [`MAX_CLUSTERS`]) and the members shown of each: the representative (its
/// earliest document in input order, as `--dedup-out` keeps by default)
/// first, then the others in id order, at most [`MAX_MEMBERS`].
pub struct Shown {
    order: Vec<usize>,
    members: Vec<Vec<u32>>,
    total_clusters: usize,
}

impl Shown {
    /// `clusters` are as in clusters.csv (members in id order).
    pub fn choose(clusters: &[Vec<u32>]) -> Shown {
        let mut order: Vec<usize> = (0..clusters.len())
            .filter(|&c| clusters[c].len() > 1)
            .collect();
        let total_clusters = order.len();
        order.sort_by_key(|&c| std::cmp::Reverse(clusters[c].len()));
        order.truncate(MAX_CLUSTERS);
        let members = order
            .iter()
            .map(|&c| {
                let members = &clusters[c];
                let representative = members.iter().copied().min().unwrap_or_default();
                std::iter::once(representative)
                    .chain(members.iter().copied().filter(|&d| d != representative))
                    .take(MAX_MEMBERS)
                    .collect()
            })
            .collect();
        Shown {
            order,
            members,
            total_clusters,
        }
    }

    /// The (representative, member) pairs shown, each as (lower, higher).
    pub fn pairs(&self) -> std::collections::HashSet<(u32, u32)> {
        self.members
            .iter()
            .flat_map(|m| m[1..].iter().map(|&d| (m[0].min(d), m[0].max(d))))
            .collect()
    }
}

/// Writes `report.html` into `out_dir`. `known` holds the evidence of the
/// shown pairs that were verified, as pairs.csv has it, keyed (lower,
/// higher) with side a the lower; a shown member without it joined its
/// cluster through other members, and the page says so rather than score it.
#[allow(clippy::too_many_arguments)]
pub fn write(
    inputs: &[String],
    input_options: &InputOptions,
    options: &ScanOptions,
    corpus: &Corpus,
    ids: &Ids,
    clusters: &[Vec<u32>],
    shown: &Shown,
    known: &HashMap<(u32, u32), verify::Evidence>,
    scores: &[f64],
    summary: &[String],
    out_dir: &Path,
) -> Result<crate::report::Staged> {
    let Shown {
        order,
        members: shown,
        total_clusters,
    } = shown;
    let total_clusters = *total_clusters;
    let mut wanted: Vec<u32> = shown.iter().flatten().copied().collect();
    wanted.sort_unstable();
    wanted.dedup();

    let mut texts = vec![String::new(); wanted.len()];
    read_again(inputs, input_options, ids.len(), &mut |position, doc| {
        if let Ok(i) = wanted.binary_search(&position) {
            texts[i] = doc.text;
        }
        Ok(())
    })?;
    // The scan's own statistics: the same features, passages and alignment
    // that verification used, so the marks agree with pairs.csv.
    let features: Vec<verify::Features> = texts
        .par_iter()
        .map(|text| corpus.features_of_text(text, options.shingle_size))
        .collect();
    let at = |doc: u32| wanted.binary_search(&doc).unwrap_or_default();
    let document = |doc: u32| Document {
        id: ids.get(doc).to_string(),
        passages: passage_texts(&texts[at(doc)], &features[at(doc)]),
    };

    let html_clusters: Vec<Cluster> = order
        .iter()
        .zip(shown)
        .map(|(&c, members)| {
            let rep_doc = members[0];
            let fr = &features[at(rep_doc)];
            let representative = document(rep_doc);
            let count = representative.passages.len();
            let members = members[1..]
                .iter()
                .map(|&doc| {
                    let member = document(doc);
                    let fm = &features[at(doc)];
                    let mut links = links(fm, fr, count, options.verify.passage_threshold);
                    links.resize(member.passages.len(), None);
                    let pair = known
                        .get(&(doc.min(rep_doc), doc.max(rep_doc)))
                        .map(|evidence| pair(evidence, rep_doc < doc));
                    Comparison {
                        member,
                        links,
                        pair,
                    }
                })
                .collect();
            Cluster {
                id: c + 1,
                size: clusters[c].len(),
                representative,
                members,
            }
        })
        .collect();
    let page = render(&Report {
        title: "storydup report",
        summary,
        clusters: &html_clusters,
        total_clusters,
        scores,
        threshold: options.verify.threshold,
        passage_threshold: options.verify.passage_threshold,
    });
    crate::report::stage(out_dir, HTML_FILE, |w| w.write_all(page.as_bytes()))
}

/// Each passage of `member` with its counterpart among the `count`
/// passages of `representative` when their similarity reaches `threshold`.
fn links(
    member: &verify::Features,
    representative: &verify::Features,
    count: usize,
    threshold: f64,
) -> Vec<Option<Link>> {
    // Window w is halves w and w + 1, passage k halves 2k and 2k + 1: a
    // window starts in passage w / 2 and may reach into the next.
    let passage = |half: usize| (half / 2).min(count.saturating_sub(1));
    verify::alignment(member, representative)
        .into_iter()
        .map(|best| {
            let (window, similarity) = best.filter(|b| b.1 >= threshold)?;
            Some(Link {
                passage: passage(window),
                through: passage(window + 1),
                similarity,
            })
        })
        .collect()
}

/// The pair as pairs.csv has it; side a of `evidence` is the lower document.
fn pair(evidence: &verify::Evidence, representative_is_a: bool) -> Pair {
    let (representative, member) = if representative_is_a {
        (&evidence.a, &evidence.b)
    } else {
        (&evidence.b, &evidence.a)
    };
    let counts = |side: &verify::Side| Counts {
        aligned: side.aligned,
        passages: side.passages,
    };
    Pair {
        score: evidence.score,
        member: counts(member),
        representative: counts(representative),
    }
}

/// The original text (not its NFKC form, which the passages index) cut at
/// the first word of each passage: one piece per passage, the first also
/// holding what comes before its first word, so the pieces together are the
/// whole text, line breaks and all. A text without passages is one piece.
pub fn passage_texts(text: &str, features: &verify::Features) -> Vec<String> {
    let (normalized, spans) = text::word_spans(text);
    let mut cuts: Vec<usize> = (1..features.passages())
        .map(|k| {
            spans
                .get(features.passage_span(k).0 as usize)
                .map_or(normalized.len(), |s| s.start)
        })
        .collect();
    // Passages start in word order; keep the cuts ascending whatever happens.
    for k in 1..cuts.len() {
        cuts[k] = cuts[k].max(cuts[k - 1]);
    }
    let cuts = if normalized == text {
        cuts
    } else {
        original_offsets(text, &cuts)
    };
    let mut pieces = Vec::with_capacity(cuts.len() + 1);
    let mut from = 0;
    for cut in cuts.into_iter().chain([text.len()]) {
        pieces.push(text[from..cut].to_string());
        from = cut;
    }
    pieces
}

/// The offsets of `text` matching ascending offsets `cuts` of its NFKC
/// form, a [`segment`] at a time: where a segment is its own NFKC form an
/// offset maps one to one; inside one that changed ("ﬁ", "，", "m²") it maps
/// to the segment's start. Linear in the text's length.
fn original_offsets(text: &str, cuts: &[usize]) -> Vec<usize> {
    use unicode_normalization::UnicodeNormalization;

    let mut out = Vec::with_capacity(cuts.len());
    let mut cuts = cuts.iter().copied().peekable();
    // Where the current segment starts in the text and in its NFKC form.
    let (mut at, mut normalized_at) = (0, 0);
    let mut rest = text;
    while !rest.is_empty() {
        // A run of ASCII is its own NFKC form, but for its last character,
        // which a combining mark after it may change.
        let ascii = rest.bytes().take_while(u8::is_ascii).count();
        let (piece, plain) = if ascii > 1 {
            (&rest[..ascii - 1], true)
        } else {
            segment(rest)
        };
        rest = &rest[piece.len()..];
        let (len, same) = if plain {
            (piece.len(), true)
        } else {
            let normalized: String = piece.nfkc().collect();
            (normalized.len(), normalized == piece)
        };
        while let Some(cut) = cuts.next_if(|&cut| cut < normalized_at + len) {
            let inside = cut.saturating_sub(normalized_at);
            out.push(if same && piece.is_char_boundary(inside) {
                at + inside
            } else {
                at
            });
        }
        at += piece.len();
        normalized_at += len;
    }
    out.extend(cuts.map(|_| text.len()));
    out
}

/// The first segment of non-empty `text` for NFKC: its first character and
/// those after it up to the next that nothing before it can combine with:
/// one whose full decomposition starts with a starter that never combines
/// with what precedes it (ASCII, a starter whose quick check says
/// normalized, or a compatibility form of one: "ﬁ", "Ｗ", "，"). So the NFKC
/// forms of a text's segments, one after another, are its NFKC form. `true`
/// when the segment is one character that is its own NFKC form.
fn segment(text: &str) -> (&str, bool) {
    use unicode_normalization::char::{canonical_combining_class, decompose_compatible};
    use unicode_normalization::{IsNormalized, is_nfkc_quick};

    let stable = |c: char| {
        canonical_combining_class(c) == 0 && is_nfkc_quick(std::iter::once(c)) == IsNormalized::Yes
    };
    let normalized = |c: char| c.is_ascii() || stable(c);
    let boundary = |c: char| {
        normalized(c)
            || (canonical_combining_class(c) == 0 && {
                let mut first = None;
                decompose_compatible(c, |d| {
                    first.get_or_insert(d);
                });
                first.is_some_and(stable)
            })
    };
    let mut chars = text.char_indices();
    let Some((_, first)) = chars.next() else {
        return (text, true);
    };
    let end = chars
        .find(|&(_, c)| boundary(c))
        .map_or(text.len(), |(i, _)| i);
    (&text[..end], end == first.len_utf8() && normalized(first))
}

pub use crate::report::HTML_FILE;

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_normalization::UnicodeNormalization;

    /// A story with a headline line, a byline and body paragraphs.
    fn story(body_words: usize) -> String {
        let words = [
            "officials",
            "confirmed",
            "the",
            "harbour",
            "bridge",
            "will",
            "open",
            "next",
            "spring",
            "after",
            "delays",
            "caused",
            "by",
            "storms",
            "and",
            "funding",
            "disputes",
        ];
        let body: Vec<&str> = (0..body_words)
            .map(|i| words[(i * 7) % words.len()])
            .collect();
        format!(
            "Harbour bridge to open next spring\n\nBy Jo Smith\n\n{}.\n\n{}.",
            body[..body_words / 2].join(" "),
            body[body_words / 2..].join(" ")
        )
    }

    fn features(text: &str) -> verify::Features {
        let options = ScanOptions::default();
        let (mut signed, _) =
            crate::scan::sign_all(vec![text.to_string()], &options, options.banding());
        signed.remove(0).features
    }

    #[test]
    fn passage_texts_are_the_original_text_cut_at_each_passage() {
        let text = story(200);
        let features = features(&text);
        let pieces = passage_texts(&text, &features);
        assert!(features.passages() > 3, "{}", features.passages());
        assert_eq!(pieces.len(), features.passages());
        assert_eq!(pieces.concat(), text);
        let (normalized, spans) = text::word_spans(&text);
        for (k, piece) in pieces.iter().enumerate().skip(1) {
            let first = &spans[features.passage_span(k).0 as usize];
            assert!(piece.starts_with(&normalized[first.clone()]), "{piece:?}");
        }
        // The headline stays on its own line, not run into the byline.
        assert!(pieces[0].starts_with("Harbour bridge to open next spring\n\nBy Jo Smith\n\n"));
    }

    #[test]
    fn characters_nfkc_changes_are_shown_as_written() {
        let text = story(120)
            .replace("harbour", "ﬁnance m² harbour")
            .replace("storms", "storms，（Ｗｉｎｄ）")
            .replace("spring", "spring\u{a0}café café");
        let features = features(&text);
        let pieces = passage_texts(&text, &features);
        assert_eq!(pieces.len(), features.passages());
        assert_eq!(pieces.concat(), text);
        let (normalized, spans) = text::word_spans(&text);
        for (k, piece) in pieces.iter().enumerate().skip(1) {
            let first = &spans[features.passage_span(k).0 as usize];
            let word = &normalized[first.clone()];
            // Cut at the passage's first word, or just before it when that
            // word begins inside a changed character ("ﬁnance").
            let start = piece.trim_start();
            assert!(
                start.nfkc().collect::<String>().starts_with(word),
                "{piece:?} does not start with {word:?}"
            );
        }
    }

    #[test]
    fn offsets_map_from_the_nfkc_form_to_the_text() {
        // "ﬁ" (3 bytes) is "fi" (2) in NFKC; "e" + U+0301 is "é".
        let text = "ﬁne day e\u{301}te";
        let normalized: String = text.nfkc().collect();
        assert_eq!(normalized, "fine day \u{e9}te");
        assert_eq!(
            original_offsets(text, &[0, 1, 5, 9, 11, 99]),
            [0, 0, 6, 10, 13, 15]
        );
        assert_eq!(original_offsets("", &[0]), [0]);
    }

    #[test]
    fn segments_normalize_as_the_whole_text() {
        // ASCII, combining marks (ccc > 0, composing or not), compatibility
        // forms, Hangul jamo that compose, Indic two-part vowels, CJK.
        let alphabet: Vec<char> = "aeo =<>\n.\u{301}\u{308}\u{323}\u{334}\u{338}ﬁ²ｗ，\u{a0}\
                                   \u{1100}\u{1161}\u{11a8}\u{ac00}\u{b47}\u{b3e}\u{b15}\
                                   \u{344}\u{f73}\u{fb1}字ͅ\u{2028}…"
            .chars()
            .collect();
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..3000 {
            let len = (seed % 12) as usize;
            let text: String = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    alphabet[(seed % alphabet.len() as u64) as usize]
                })
                .collect();
            let mut rest = text.as_str();
            let mut pieces = String::new();
            while !rest.is_empty() {
                let (piece, plain) = segment(rest);
                let normalized: String = piece.nfkc().collect();
                assert!(!plain || normalized == piece, "{piece:?}");
                pieces.push_str(&normalized);
                rest = &rest[piece.len()..];
            }
            assert_eq!(pieces, text.nfkc().collect::<String>(), "{text:?}");
            // Every offset maps to a character boundary, in order.
            let cuts: Vec<usize> = (0..=pieces.len())
                .filter(|&i| pieces.is_char_boundary(i))
                .collect();
            let mapped = original_offsets(&text, &cuts);
            assert!(mapped.windows(2).all(|w| w[0] <= w[1]));
            assert!(mapped.iter().all(|&i| text.is_char_boundary(i)));
        }
    }
}
