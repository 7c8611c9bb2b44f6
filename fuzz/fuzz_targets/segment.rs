//! Segmentation of any UTF-8 text: no panic, sentences cover the text, every
//! letter and digit lands in a word, token ranges are consistent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use storydup::text;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let normalized = text::nfkc(s).into_owned();
    let sentences = text::sentence_bounds(&normalized);
    assert_eq!(sentences.concat(), normalized);
    let in_words: usize = sentences
        .iter()
        .flat_map(|s| text::words(s))
        .map(|w| w.chars().filter(|c| c.is_alphanumeric()).count())
        .sum();
    assert_eq!(in_words, normalized.chars().filter(|c| c.is_alphanumeric()).count());
    let tokens = text::tokenize(s);
    let mut end = 0;
    for r in &tokens.sentences {
        assert!(r.start == end && r.end > r.start);
        end = r.end;
    }
    assert_eq!(end as usize, tokens.tokens.len());
});
