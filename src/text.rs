//! Text stage: normalise (Unicode NFKC, then full case folding) and segment
//! into sentences and words by UAX #29 (`unicode-segmentation`).
//!
//! Every word becomes a 64-bit hash. Words that carry content (not on the
//! stop list) also get a *term*: the word cut to its first
//! [`TERM_PREFIX_CHARS`] characters, a crude stemmer that works the same way in
//! every alphabetic language ("confirmed" and "confirms" share the term
//! "confir"), so a paraphrase that changes a word's ending still matches.

use rustc_hash::FxHashSet as HashSet;
use std::ops::Range;
use std::sync::LazyLock;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};
use unicode_segmentation::UnicodeSegmentation;

use crate::hash::{term_id, word_id};

/// Terms keep this many leading characters of a word (see the module docs).
pub const TERM_PREFIX_CHARS: usize = 6;

/// One word of a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    /// Hash of the whole normalised word: what shingles are built from.
    pub word: u32,
    /// Hash of the word's term, or `None` for a stop word.
    pub term: Option<u32>,
    /// A number, or a capitalised word inside a sentence: names, places,
    /// figures and dates, the facts a rewrite keeps and a new story changes.
    pub salient: bool,
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
            i += 1;
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
    let mut out = Tokens::default();
    let mut folded = String::new();
    let mut words: Vec<&str> = Vec::new();
    for sentence in sentence_bounds(&nfkc(text)) {
        words.clear();
        words.extend(sentence.unicode_words());
        // In a headline in title case ("US Officials Push for Ceasefire")
        // capitals mark nothing.
        let capitals = words.iter().filter(|w| starts_upper(w)).count();
        let title_case = words.len() >= 3 && capitals * 2 > words.len();
        let start = out.tokens.len() as u32;
        for (position, word) in words.iter().enumerate() {
            fold_into(word, &mut folded);
            let name_like = starts_upper(word) && position > 0 && !title_case;
            out.tokens.push(token(&folded, word, name_like));
        }
        let end = out.tokens.len() as u32;
        if end > start {
            out.sentences.push(start..end);
        }
    }
    out
}

fn starts_upper(word: &str) -> bool {
    word.chars().next().is_some_and(char::is_uppercase)
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

fn token(folded: &str, original: &str, name_like: bool) -> Token {
    let numeric = original.chars().any(|c| c.is_numeric());
    let term = (!is_stop_word(folded)).then(|| term_id(term_of(folded)));
    Token {
        word: word_id(folded),
        salient: term.is_some() && (numeric || name_like),
        term,
    }
}

/// Each term hash of a document with the first word that produced it, to
/// show terms to a reader.
pub fn term_words(text: &str) -> std::collections::HashMap<u64, String> {
    let mut out = std::collections::HashMap::new();
    let mut folded = String::new();
    for word in nfkc(text).unicode_words() {
        fold_into(word, &mut folded);
        if !is_stop_word(&folded) {
            out.entry(term_id(term_of(&folded)) as u64)
                .or_insert_with(|| folded.clone());
        }
    }
    out
}

/// A word's term: numbers whole, other words cut to [`TERM_PREFIX_CHARS`].
pub fn term_of(word: &str) -> &str {
    if word.chars().any(|c| c.is_numeric()) {
        return word;
    }
    match word.char_indices().nth(TERM_PREFIX_CHARS) {
        Some((cut, _)) => &word[..cut],
        None => word,
    }
}

pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.contains(word)
}

/// English function words: they say nothing about which story a text tells.
/// Other languages rely on rarity weighting (IDF) instead of a list.
static STOP_WORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    "a about above after again against all also am an and any are as at be because been \
     before being below between both but by can could did do does doing down during each \
     few for from further had has have having he her here hers herself him himself his how \
     i if in into is it it's its itself just me more most my myself no nor not now of off on \
     once only or other our ours ourselves out over own same she should so some such than \
     that that's the their theirs them themselves then there these they this those through \
     to too under until up very was we were what when where which while who whom why will \
     with would you your yours yourself yourselves s t d ll m re ve says said say mr mrs ms \
     may might must shall us upon within without onto per via"
        .split_whitespace()
        .collect()
});

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
