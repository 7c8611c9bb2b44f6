//! Text stage: normalise (Unicode NFKC, then full case folding) and segment
//! into sentences and words by UAX #29 (`unicode-segmentation`).
//!
//! Every word becomes a 32-bit hash. Words that carry content (not stop
//! words of the document's language, see `language`) also get a *term*: the
//! word cut to its first [`TERM_PREFIX_CHARS`] characters, a crude stemmer
//! that works the same way in every alphabetic language ("confirmed" and
//! "confirms" share the term "confir"), so a paraphrase that changes a
//! word's ending still matches.
//!
//! Nothing here depends on letter case or punctuation except the sentence
//! bounds, which only boilerplate detection and display use: the evidence
//! is computed on words and terms, which a lower-cased or unpunctuated copy
//! of a text shares with the original.

use std::ops::Range;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};
use unicode_segmentation::UnicodeSegmentation;

use crate::hash::{term_id, word_id};
use crate::language::Language;

/// Terms keep this many leading characters of a word (see the module docs).
pub const TERM_PREFIX_CHARS: usize = 6;

/// One word of a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    /// Hash of the whole normalised word: what shingles are built from.
    pub word: u32,
    /// Hash of the word's term, or `None` for a stop word.
    pub term: Option<u32>,
}

/// A segmented document: its words, and each sentence as a range of them.
#[derive(Clone, Debug, Default)]
pub struct Tokens {
    pub tokens: Vec<Token>,
    pub sentences: Vec<Range<u32>>,
}

/// A sentence of the normalised (NFKC, not case-folded) text, for display.
#[derive(Clone, Debug)]
pub struct SentenceText {
    pub text: String,
    pub words: Range<u32>,
}

/// Unicode NFKC: compatibility characters (ligatures, full-width forms,
/// non-breaking spaces) become their plain equivalents.
pub fn nfkc(text: &str) -> std::borrow::Cow<'_, str> {
    if is_nfkc_quick(text.chars()) == IsNormalized::Yes {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(text.nfkc().collect())
    }
}

/// NFKC followed by full Unicode case folding ("Straße" -> "strasse").
pub fn normalize(text: &str) -> String {
    caseless::default_case_fold_str(&nfkc(text))
}

/// Sentences by UAX #29, found on the NFKC text *before* case folding: the
/// sentence rules look at letter case ("talks. Ukraine" ends a sentence,
/// "talks. ukraine" does not).
pub fn sentences(text: &str) -> Vec<&str> {
    text.unicode_sentences().collect()
}

/// Every UAX #29 sentence segment of `text` (empty ones and blank lines
/// included), exactly as `split_sentence_bounds` finds them, but faster:
/// a line break always ends a sentence (rule SB4) and no rule looks back
/// across one, so each line is segmented on its own, and a line of plain
/// ASCII, the bulk of most dumps, by [`ascii_sentence_ends`], which applies
/// the same rules to the ASCII classes without the Unicode tables.
pub fn sentence_bounds(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for line in text.split_inclusive('\n') {
        if line.is_ascii() {
            let mut start = 0;
            for end in ascii_sentence_ends(line.as_bytes()) {
                out.push(&line[start..end]);
                start = end;
            }
        } else {
            out.extend(line.split_sentence_bounds());
        }
    }
    out
}

/// The end offsets of the UAX #29 sentences of an ASCII line (rules SB3 to
/// SB11 with the ASCII members of each class: ATerm `.`, STerm `! ?`,
/// Close `" ' ( ) [ ] { }`, SContinue `, - : ;`, Sp tab, VT, FF and space;
/// ASCII has no OLetter, Extend, Format or Sep).
pub fn ascii_sentence_ends(s: &[u8]) -> Vec<usize> {
    let is_close = |c: u8| matches!(c, b'"' | b'\'' | b'(' | b')' | b'[' | b']' | b'{' | b'}');
    let is_sp = |c: u8| matches!(c, b'\t' | 0x0b | 0x0c | b' ');
    let is_parasep = |c: u8| matches!(c, b'\r' | b'\n');
    let is_saterm = |c: u8| matches!(c, b'.' | b'!' | b'?');
    let is_scontinue = |c: u8| matches!(c, b',' | b'-' | b':' | b';');
    let n = s.len();
    let mut ends = Vec::new();
    let mut i = 0;
    // The first line break at or after some earlier position: still the
    // next one while it is not behind `i`.
    let mut next_parasep = memchr::memchr2(b'\r', b'\n', s).unwrap_or(n);
    while i < n {
        let c = s[i];
        if is_parasep(c) {
            // SB3 CR x LF, SB4 ParaSep ÷.
            let end = if c == b'\r' && s.get(i + 1) == Some(&b'\n') {
                i + 2
            } else {
                i + 1
            };
            ends.push(end);
            i = end;
            continue;
        }
        if !is_saterm(c) {
            // Only terminators and line breaks start a rule: skip to the
            // next one (vectorised search; most bytes are neither).
            if next_parasep < i {
                next_parasep = memchr::memchr2(b'\r', b'\n', &s[i..]).map_or(n, |p| i + p);
            }
            let next_term = memchr::memchr3(b'.', b'!', b'?', &s[i..]).map_or(n, |p| i + p);
            i = next_term.min(next_parasep);
            continue;
        }
        let aterm = c == b'.';
        let next = s.get(i + 1).copied();
        // SB6 ATerm x Numeric; SB7 (Upper | Lower) ATerm x Upper.
        if aterm && next.is_some_and(|x| x.is_ascii_digit()) {
            i += 1;
            continue;
        }
        if aterm
            && i > 0
            && s[i - 1].is_ascii_alphabetic()
            && next.is_some_and(|x| x.is_ascii_uppercase())
        {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < n && is_close(s[j]) {
            j += 1;
        }
        while j < n && is_sp(s[j]) {
            j += 1;
        }
        // SB8 ATerm Close* Sp* x (not (OLetter | Upper | Lower | ParaSep | SATerm))* Lower.
        if aterm {
            let mut k = j;
            while k < n && !(s[k].is_ascii_alphabetic() || is_parasep(s[k]) || is_saterm(s[k])) {
                k += 1;
            }
            if k < n && s[k].is_ascii_lowercase() {
                i += 1;
                continue;
            }
        }
        // SB8a SATerm Close* Sp* x (SContinue | SATerm).
        if j < n && (is_scontinue(s[j]) || is_saterm(s[j])) {
            i = j;
            continue;
        }
        // SB9-SB11: the sentence ends after Close* Sp* and one ParaSep.
        let mut end = j;
        if end < n && s[end] == b'\r' {
            end += 1;
            if end < n && s[end] == b'\n' {
                end += 1;
            }
        } else if end < n && s[end] == b'\n' {
            end += 1;
        }
        ends.push(end);
        i = end;
    }
    if ends.last() != Some(&n) && n > 0 {
        ends.push(n);
    }
    ends
}

/// Words by UAX #29 (`unicode_words`: segments holding a letter or digit).
pub fn words(normalized: &str) -> impl Iterator<Item = &str> {
    normalized.unicode_words()
}

/// Normalises and segments a document.
pub fn tokenize(text: &str) -> Tokens {
    let mut folded = FoldedWords::default();
    let mut sentences = Vec::new();
    for sentence in sentence_bounds(&nfkc(text)) {
        let start = folded.len() as u32;
        for word in sentence.unicode_words() {
            folded.push(word);
        }
        let end = folded.len() as u32;
        if end > start {
            sentences.push(start..end);
        }
    }
    let lists: Vec<u64> = folded.iter().map(Language::lists_of).collect();
    let language = Language::detect_from_lists(&lists);
    let tokens = folded
        .iter()
        .zip(lists)
        .map(|(word, set)| Token {
            word: word_id(word),
            term: (!language.lists(set)).then(|| term_id(term_of(word))),
        })
        .collect();
    Tokens { tokens, sentences }
}

/// A document's case-folded words in one buffer (one allocation, not one
/// per word).
#[derive(Default)]
struct FoldedWords {
    text: String,
    ends: Vec<usize>,
    scratch: String,
}

impl FoldedWords {
    fn push(&mut self, word: &str) {
        fold_into(word, &mut self.scratch);
        self.text.push_str(&self.scratch);
        self.ends.push(self.text.len());
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn iter(&self) -> impl Iterator<Item = &str> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(&self.ends).map(|(s, &e)| &self.text[s..e])
    }
}

/// Case-folds one word into `out` (ASCII without the Unicode tables).
fn fold_into(word: &str, out: &mut String) {
    out.clear();
    if word.is_ascii() {
        out.push_str(word);
        out.make_ascii_lowercase();
    } else {
        out.extend(caseless::Caseless::default_case_fold(word.chars()));
    }
}

/// The sentences of a document as the reader sees them (NFKC), each with the
/// range of its words in [`tokenize`]'s output.
pub fn sentence_texts(text: &str) -> Vec<SentenceText> {
    let mut out = Vec::new();
    let mut next = 0u32;
    for sentence in sentence_bounds(&nfkc(text)) {
        let count = sentence.unicode_words().count() as u32;
        if count > 0 {
            out.push(SentenceText {
                text: sentence.trim().to_string(),
                words: next..next + count,
            });
            next += count;
        }
    }
    out
}

/// Each term hash of a document with the first word that produced it, to
/// show terms to a reader.
pub fn term_words(text: &str) -> std::collections::HashMap<u64, String> {
    let mut folded = FoldedWords::default();
    for word in nfkc(text).unicode_words() {
        folded.push(word);
    }
    let language = Language::detect(folded.iter());
    let mut out = std::collections::HashMap::new();
    for word in folded.iter().filter(|w| !language.is_stop_word(w)) {
        out.entry(term_id(term_of(word)) as u64)
            .or_insert_with(|| word.to_string());
    }
    out
}

/// The normalised (NFKC) text and the byte range of each of its words, in
/// [`tokenize`]'s order: to show a passage (a range of words) to a reader.
pub fn word_spans(text: &str) -> (String, Vec<Range<usize>>) {
    let normalized = nfkc(text).into_owned();
    let mut spans = Vec::new();
    let mut offset = 0;
    for sentence in sentence_bounds(&normalized) {
        for (at, word) in sentence.unicode_word_indices() {
            spans.push(offset + at..offset + at + word.len());
        }
        offset += sentence.len();
    }
    (normalized, spans)
}

/// A word's term: numbers whole, other words cut to [`TERM_PREFIX_CHARS`].
pub fn term_of(word: &str) -> &str {
    if word.is_ascii() {
        let bytes = word.as_bytes();
        if bytes.iter().any(u8::is_ascii_digit) {
            return word;
        }
        return &word[..word.len().min(TERM_PREFIX_CHARS)];
    }
    if word.chars().any(|c| c.is_numeric()) {
        return word;
    }
    match word.char_indices().nth(TERM_PREFIX_CHARS) {
        Some((cut, _)) => &word[..cut],
        None => word,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word_strings(text: &str) -> Vec<String> {
        let normalized = normalize(text);
        words(&normalized).map(str::to_string).collect()
    }

    #[test]
    fn normalization_folds_case_and_compatibility_forms() {
        assert_eq!(normalize("Straße ＡＢＣ ﬁne"), "strasse abc fine");
        assert_eq!(normalize("ΣΊΣΥΦΟΣ"), "σίσυφοσ");
    }

    #[test]
    fn ukrainian_sentences_and_words() {
        let text = "Київ заявив про перемир'я. Росія відкинула пропозицію! Що далі?";
        let sentences = sentences(text);
        assert_eq!(sentences.len(), 3, "{sentences:?}");
        assert_eq!(
            word_strings(sentences[0]),
            vec!["київ", "заявив", "про", "перемир'я"]
        );
        let tokens = tokenize(text);
        assert_eq!(tokens.sentences.len(), 3);
        assert_eq!(tokens.tokens.len(), 4 + 3 + 2);
    }

    #[test]
    fn chinese_sentences_split_on_full_stops_and_words_on_ideographs() {
        let text = "美国代表团抵达莫斯科。俄罗斯拒绝了停火提议！";
        let sentences = sentences(text);
        assert_eq!(
            sentences,
            vec!["美国代表团抵达莫斯科。", "俄罗斯拒绝了停火提议！"]
        );
        // UAX #29 has no dictionary: each ideograph is a word of its own.
        assert_eq!(word_strings(sentences[0]).len(), 10);
        assert_eq!(word_strings(sentences[0])[0], "美");
    }

    #[test]
    fn greek_and_accented_latin_words() {
        assert_eq!(
            word_strings("Η Αθήνα είναι πόλη. Café déjà-vu, naïve résumé."),
            vec![
                "η",
                "αθήνα",
                "είναι",
                "πόλη",
                "café",
                "déjà",
                "vu",
                "naïve",
                "résumé"
            ]
        );
    }

    #[test]
    fn sentence_case_matters_so_sentences_split_before_folding() {
        let tokens = tokenize("Talks ended. Ukraine agreed. Russia did not.");
        assert_eq!(tokens.sentences.len(), 3);
    }

    fn crate_bounds(text: &str) -> Vec<&str> {
        text.split_sentence_bounds().collect()
    }

    #[test]
    fn ascii_fast_path_equals_uax29_on_random_text() {
        // The characters every rule turns on, mixed at random.
        let alphabet: Vec<char> = "aAzZ19 ..!?,-:;\"'()[]{}\t\r\n#$ bB".chars().collect();
        let mut rng = crate::hash::SplitMix64::new(29);
        for _ in 0..20_000 {
            let len = rng.below(60) as usize;
            let text: String = (0..len)
                .map(|_| alphabet[rng.below(alphabet.len() as u64) as usize])
                .collect();
            assert_eq!(sentence_bounds(&text), crate_bounds(&text), "{text:?}");
        }
    }

    #[test]
    fn fast_path_equals_uax29_on_real_articles() {
        let texts = [
            include_str!("../data/seeds/000_6d5f35eb97f0d708.txt"),
            include_str!("../data/seeds/001_a6a27bf682eca62c.txt"),
            include_str!("../data/seeds/004_2bd0569d459188d0.txt"),
            "Mr. Smith met U.S. officials at 3.30 p.m. on Jan. 5. \"Fine,\" he said. (Really?) Yes!\r\nNext.",
        ];
        for text in texts {
            assert_eq!(sentence_bounds(text), crate_bounds(text));
        }
    }

    #[test]
    fn terms_cut_words_and_keep_numbers_whole() {
        assert_eq!(term_of("confirmed"), "confir");
        assert_eq!(term_of("confirms"), "confir");
        assert_eq!(term_of("2025"), "2025");
        assert_eq!(term_of("1234567890"), "1234567890");
        assert_eq!(term_of("covid19s"), "covid19s");
        assert_eq!(term_of("war"), "war");
        assert_eq!(term_of("confirmé"), "confir");
        assert_eq!(term_of("перемир'я"), "переми");
    }

    #[test]
    fn stop_words_have_no_term() {
        let tokens = tokenize("The envoy and the Kremlin");
        let terms: Vec<bool> = tokens.tokens.iter().map(|t| t.term.is_some()).collect();
        assert_eq!(terms, vec![false, true, false, false, true]);
    }

    #[test]
    fn sentence_texts_line_up_with_tokens() {
        let text = "First one here. Second, longer sentence follows.\n\nHeadline";
        let tokens = tokenize(text);
        let texts = sentence_texts(text);
        assert_eq!(texts.len(), tokens.sentences.len());
        for (t, range) in texts.iter().zip(&tokens.sentences) {
            assert_eq!(&t.words, range);
        }
        assert_eq!(texts[2].text, "Headline");
    }
}
