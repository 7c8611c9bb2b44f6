//! Property tests (proptest) of the invariants the pipeline relies on.

use proptest::prelude::*;
use storydup::scan::{ScanOptions, sign_all};
use storydup::verify::{Evidence, Value, evidence};
use storydup::{sketch, text};

/// Words from a small vocabulary, so two texts share some of them: common
/// words, names (capitalised) and numbers.
fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "the",
            "talks",
            "peace",
            "ceasefire",
            "said",
            "envoy",
            "meeting",
            "plan",
            "war",
            "of",
            "in",
            "and",
            "officials",
            "agreed",
            "rejected",
            "proposal",
            "troops",
            "border",
        ])
        .prop_map(String::from),
        prop::sample::select(vec![
            "Putin", "Witkoff", "Trump", "Zelensky", "Moscow", "Kyiv"
        ])
        .prop_map(String::from),
        (1u32..3000).prop_map(|n| n.to_string()),
    ]
}

fn article() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::collection::vec(word(), 1..15), 1..12).prop_map(|sentences| {
        sentences
            .into_iter()
            .map(|words| {
                let mut s = words.join(" ");
                // Sentences start with a capital, as UAX #29 expects.
                if let Some(first) = s.get(..1) {
                    s = first.to_uppercase() + &s[1..];
                }
                s + "."
            })
            .collect::<Vec<_>>()
            .join(" ")
    })
}

fn pair_evidence(a: &str, b: &str) -> (Evidence, Evidence) {
    let options = ScanOptions::default();
    let (signed, _) = sign_all(vec![a.into(), b.into()], &options, options.banding());
    let (fa, fb) = (&signed[0].features, &signed[1].features);
    (
        evidence(fa, fb, &options.verify),
        evidence(fb, fa, &options.verify),
    )
}

fn unit(x: f64) -> bool {
    (0.0..=1.0).contains(&x)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn similarity_is_in_zero_one_and_symmetric(a in article(), b in article()) {
        let (ab, ba) = pair_evidence(&a, &b);
        for e in [&ab, &ba] {
            for (name, value) in e.columns() {
                if let Value::Share(x) = value {
                    prop_assert!(unit(x), "{name} = {x} outside [0, 1] in {e:?}");
                }
            }
        }
        prop_assert_eq!(ab.score, ba.score);
        prop_assert_eq!(ab.jaccard, ba.jaccard);
        prop_assert_eq!(ab.containment, ba.containment);
        prop_assert_eq!(ab.simhash_distance, ba.simhash_distance);
        // What is a's in one direction is b's in the other.
        prop_assert_eq!(ab.a, ba.b);
        prop_assert_eq!(ab.b, ba.a);
    }

    #[test]
    fn identical_documents_score_one(a in article()) {
        let (ab, _) = pair_evidence(&a, &a);
        prop_assert_eq!(ab.score, 1.0);
        prop_assert_eq!(ab.jaccard, 1.0);
        prop_assert_eq!(ab.containment, 1.0);
    }

    #[test]
    fn identical_documents_of_any_text_score_one(a in "\\PC{1,200}") {
        prop_assume!(!text::tokenize(&a).tokens.is_empty());
        let (ab, _) = pair_evidence(&a, &a);
        prop_assert_eq!(ab.score, 1.0);
    }

    #[test]
    fn segmentation_loses_no_non_space_character(s in "\\PC{0,300}") {
        let normalized = text::nfkc(&s).into_owned();
        let sentences = text::sentence_bounds(&normalized);
        // Sentences cover the text exactly, in order.
        prop_assert_eq!(sentences.concat(), normalized.clone());
        // Every letter and digit is inside some word.
        let in_words: usize = sentences
            .iter()
            .flat_map(|s| text::words(s))
            .map(|w| w.chars().filter(|c| c.is_alphanumeric()).count())
            .sum();
        let in_text = normalized.chars().filter(|c| c.is_alphanumeric()).count();
        prop_assert_eq!(in_words, in_text);
        // Token ranges are in bounds and in order.
        let tokens = text::tokenize(&s);
        let mut end = 0;
        for r in &tokens.sentences {
            prop_assert!(r.start == end && r.end > r.start);
            end = r.end;
        }
        prop_assert_eq!(end as usize, tokens.tokens.len());
    }

    #[test]
    fn shingles_are_sorted_distinct_and_no_more_than_windows(
        words in prop::collection::vec(0u64..50, 0..200),
        n in 1usize..6,
    ) {
        let shingles = sketch::shingles(&words, n);
        prop_assert!(shingles.windows(2).all(|w| w[0] < w[1]));
        let windows = if words.is_empty() { 0 } else { words.len().saturating_sub(n - 1).max(1) };
        prop_assert!(shingles.len() <= windows);
        prop_assert_eq!(shingles.is_empty(), words.is_empty());
    }
}
