//! Which language a document is written in, as far as its function words
//! tell, and that language's stop words.
//!
//! Stop words say nothing about which story a text tells, yet they fill half
//! of every sentence; in a corpus that mixes languages, each language's
//! function words are rare enough overall to look like content. So every
//! document is given the stop list of the language whose list covers most of
//! its words, from the NLTK lists of 32 languages (`stop-words` crate). A
//! document in none of them (or in a script none covers) gets the English
//! list. Letter case plays no part: the words are compared case-folded.

use rustc_hash::FxHashMap as HashMap;
use std::sync::LazyLock;

/// A language with a stop list: an index into [`LANGUAGES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Language(u8);

/// The NLTK lists used, by ISO 639-1 code. NLTK's "hinglish" list is left
/// out: it is mostly English content words.
pub const LANGUAGES: [&str; 32] = [
    "en", "ar", "az", "be", "bn", "ca", "da", "de", "el", "es", "eu", "fi", "fr", "he", "hu", "id",
    "it", "kk", "ne", "nl", "no", "pt", "ro", "ru", "sl", "sq", "sv", "ta", "tg", "tr", "uz", "zh",
];

/// English words added to NLTK's list: news reporting verbs and titles that
/// every article uses ("said", "mr"), and contraction remnants ("s", "ll").
const ENGLISH_EXTRA: &str = "says said say mr mrs ms may might must shall us upon within without \
     onto per via also would could s t d ll m re ve";

/// A document is in a language when its list covers at least this share of
/// the document's words (function words are a third to a half of running
/// text in the languages above); otherwise the English list applies.
const MIN_SHARE: f64 = 0.05;

/// Each stop word (case-folded) with the set of languages listing it.
static STOP_WORDS: LazyLock<HashMap<String, u64>> = LazyLock::new(|| {
    let mut words: HashMap<String, u64> = HashMap::default();
    for (i, code) in LANGUAGES.iter().enumerate() {
        let list = stop_words::lookup(code).unwrap_or_default();
        let extra = if *code == "en" { ENGLISH_EXTRA } else { "" };
        for word in list.iter().copied().chain(extra.split_whitespace()) {
            *words
                .entry(caseless::default_case_fold_str(word))
                .or_default() |= 1 << i;
        }
    }
    words
});

impl Language {
    pub const ENGLISH: Language = Language(0);

    /// The language whose stop list covers most of `words` (case-folded);
    /// ties go to the earlier language in [`LANGUAGES`].
    pub fn detect<'a>(words: impl IntoIterator<Item = &'a str>) -> Language {
        let sets: Vec<u64> = words.into_iter().map(Language::lists_of).collect();
        Language::detect_from_lists(&sets)
    }

    /// The languages whose stop lists hold `word` (case-folded), as a set of
    /// bits (bit i: [`LANGUAGES`]`[i]`): one lookup serves both
    /// [`Language::detect_from_lists`] and [`Language::lists`].
    pub fn lists_of(word: &str) -> u64 {
        STOP_WORDS.get(word).copied().unwrap_or(0)
    }

    /// [`Language::detect`] from each word's [`Language::lists_of`].
    pub fn detect_from_lists(sets: &[u64]) -> Language {
        let mut hits = [0u32; LANGUAGES.len()];
        let total = sets.len() as u32;
        for &set in sets {
            // Most stop words are in one to three lists: visit only those.
            let mut bits = set;
            while bits != 0 {
                hits[bits.trailing_zeros() as usize] += 1;
                bits &= bits - 1;
            }
        }
        let (best, &count) = hits
            .iter()
            .enumerate()
            .max_by(|x, y| x.1.cmp(y.1).then(y.0.cmp(&x.0)))
            .unwrap_or((0, &0));
        if total > 0 && count as f64 >= MIN_SHARE * total as f64 {
            Language(best as u8)
        } else {
            Language::ENGLISH
        }
    }

    /// Whether `word` (case-folded) is a stop word of this language.
    pub fn is_stop_word(self, word: &str) -> bool {
        self.lists(Language::lists_of(word))
    }

    /// Whether a word in the stop lists `set` ([`Language::lists_of`]) is a
    /// stop word of this language.
    pub fn lists(self, set: u64) -> bool {
        set >> self.0 & 1 == 1
    }

    pub fn code(self) -> &'static str {
        LANGUAGES[self.0 as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect(text: &str) -> &'static str {
        let folded = caseless::default_case_fold_str(text);
        Language::detect(folded.split_whitespace()).code()
    }

    #[test]
    fn every_listed_language_has_its_list() {
        for code in LANGUAGES {
            assert!(stop_words::lookup(code).is_some(), "{code}");
        }
    }

    #[test]
    fn function_words_tell_the_language() {
        assert_eq!(detect("The envoy said that the talks would go on"), "en");
        assert_eq!(
            detect("Der Gesandte sagte, dass die Gespräche weitergehen"),
            "de"
        );
        assert_eq!(
            detect("El enviado dijo que las conversaciones seguirán"),
            "es"
        );
        assert_eq!(detect("Посланник сказал, что переговоры продолжатся"), "ru");
        assert_eq!(
            detect("Elçi görüşmelerin devam edeceğini ve bu işin bitmediğini söyledi"),
            "tr"
        );
        // No function word of any list: English, as before.
        assert_eq!(detect("Kyiv Moscow ceasefire envoy"), "en");
    }

    #[test]
    fn a_stop_word_of_one_language_is_content_in_another() {
        // German "war" (was) is a stop word; English "war" is not.
        let german = Language::detect(["der", "krieg", "war", "lang", "und", "hart"]);
        assert_eq!(german.code(), "de");
        assert!(german.is_stop_word("war"));
        assert!(!Language::ENGLISH.is_stop_word("war"));
        assert!(Language::ENGLISH.is_stop_word("said"));
    }
}
