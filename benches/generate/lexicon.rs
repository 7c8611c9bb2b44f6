//! Pseudo-English words built from syllables, grouped into synonym sets and
//! stored with their inflected forms; capitalised names for people and places.

use std::collections::HashSet;

use storydup::hash::SplitMix64 as Rng;

/// Content words per part of speech; the first `GENERAL_*` of each are the
/// general vocabulary every topic uses, the rest are drawn into topics.
const NOUNS: usize = 27_000;
const VERBS: usize = 15_000;
const ADJS: usize = 18_000;
pub const GENERAL_NOUNS: usize = 1_500;
pub const GENERAL_VERBS: usize = 700;
pub const GENERAL_ADJS: usize = 700;

pub fn pick<'a, T>(rng: &mut Rng, items: &'a [T]) -> &'a T {
    &items[rng.below(items.len() as u64) as usize]
}

fn pick_str(rng: &mut Rng, items: &[&'static str]) -> &'static str {
    items[rng.below(items.len() as u64) as usize]
}

/// Uniform in `lo..=hi`.
pub fn range(rng: &mut Rng, lo: usize, hi: usize) -> usize {
    lo + rng.below((hi - lo + 1) as u64) as usize
}

pub fn chance(rng: &mut Rng, p: f64) -> bool {
    rng.unit() < p
}

/// An index in `0..n` skewed towards 0 (a rough Zipf law: the first items of
/// a list are its common words).
pub fn skewed(rng: &mut Rng, n: usize) -> usize {
    let u = rng.unit();
    ((u * u * n as f64) as usize).min(n - 1)
}

/// Ranks `0..n` drawn with probability proportional to 1 / (rank + 1): a
/// Zipf law of exponent 1, as word frequencies in real text. Exponent 1
/// keeps the table to divisions, exact in IEEE arithmetic, so it is the
/// same on every machine.
pub struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    pub fn new(n: usize) -> Zipf {
        let mut total = 0.0;
        let cdf = (1..=n)
            .map(|r| {
                total += 1.0 / r as f64;
                total
            })
            .collect();
        Zipf { cdf }
    }

    pub fn sample(&self, rng: &mut Rng) -> usize {
        let u = rng.unit() * self.cdf[self.cdf.len() - 1];
        self.cdf
            .partition_point(|&c| c <= u)
            .min(self.cdf.len() - 1)
    }
}

/// Fisher-Yates shuffle.
pub fn shuffle<T>(rng: &mut Rng, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        items.swap(i, j);
    }
}

/// Syllable parts, repeated to weight the common ones.
const ONSETS: &[&str] = &[
    "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "y", "z",
    "b", "d", "f", "g", "l", "m", "n", "p", "r", "s", "t", "v", "br", "cr", "dr", "fr", "gr", "pr",
    "tr", "bl", "cl", "fl", "pl", "sl", "st", "sp", "sk", "sh", "ch", "th",
];
const INNER_ONSETS: &[&str] = &[
    "b", "c", "d", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v",
];
const NUCLEI: &[&str] = &[
    "a", "a", "a", "a", "e", "e", "e", "e", "i", "i", "i", "o", "o", "o", "u", "u", "ai", "ea",
    "ou", "oo",
];
const CODAS: &[&str] = &[
    "", "", "", "", "", "", "n", "n", "r", "r", "l", "l", "s", "t", "m", "d", "k", "p", "nd", "st",
    "nt", "rk", "ck", "ng", "sk", "rt", "lt", "mp",
];
const NOUN_ENDS: &[&str] = &[
    "", "", "", "", "", "", "", "er", "ment", "ion", "ity", "ance", "ness", "age", "ism", "ure",
];
const VERB_ENDS: &[&str] = &["", "", "", "", "", "ate", "ify", "en", "ise", "le"];
const ADJ_ENDS: &[&str] = &[
    "al", "ous", "ive", "ic", "ful", "ish", "ary", "ant", "less", "able", "ent", "", "",
];
const FIRST_ENDS: &[&str] = &[
    "a", "o", "i", "en", "an", "el", "ie", "us", "", "", "ina", "as",
];
const LAST_ENDS: &[&str] = &[
    "son", "ov", "er", "ez", "ski", "ley", "ton", "man", "berg", "ari", "ic", "", "", "ell", "ak",
];
const PLACE_ENDS: &[&str] = &[
    "ia", "burg", "ford", "stan", "ville", "mar", "ova", "port", "dale", "a", "", "", "holm", "any",
];
const ORG_ENDS: &[&str] = &[
    "corp", "tex", "ica", "on", "ex", "com", "ar", "gen", "tel", "co", "",
];
const TERM_ENDS: &[&str] = &[
    "ine", "ex", "ium", "ard", "on", "is", "ol", "ane", "ix", "ode",
];
const ROLES: &[&str] = &[
    "President",
    "Minister",
    "Senator",
    "Governor",
    "Mayor",
    "Judge",
    "Coach",
    "Professor",
    "Dr",
    "General",
    "Chancellor",
    "Commissioner",
    "Inspector",
    "Ambassador",
];

/// Appends a syllable. Inside a word, a vowel is always followed by a
/// consonant, a single consonant sometimes, and a cluster never, so words
/// stay pronounceable.
fn syllable(rng: &mut Rng, out: &mut String, first: bool) {
    let b = out.as_bytes();
    let ends_vowel = b.last().is_some_and(|&c| is_vowel(c));
    let ends_cluster = b.len() >= 2 && !is_vowel(b[b.len() - 1]) && !is_vowel(b[b.len() - 2]);
    if first {
        if chance(rng, 0.9) {
            out.push_str(pick_str(rng, ONSETS));
        }
    } else if ends_vowel {
        let onsets = if chance(rng, 0.7) {
            INNER_ONSETS
        } else {
            ONSETS
        };
        out.push_str(pick_str(rng, onsets));
    } else if !ends_cluster && chance(rng, 0.35) {
        out.push_str(pick_str(rng, INNER_ONSETS));
    }
    out.push_str(pick_str(rng, NUCLEI));
    out.push_str(pick_str(rng, CODAS));
}

/// A lowercase pseudo-word of `lo..=hi` syllables with one of `ends`.
fn word(rng: &mut Rng, lo: usize, hi: usize, ends: &[&str], max_len: usize) -> String {
    let mut w = String::with_capacity(12);
    word_into(rng, &mut w, lo, hi, ends, max_len);
    w
}

/// Appends a pseudo-word to `out`.
fn word_into(rng: &mut Rng, out: &mut String, lo: usize, hi: usize, ends: &[&str], max_len: usize) {
    let start = out.len();
    loop {
        let n = range(rng, lo, hi);
        for i in 0..n {
            syllable(rng, out, i == 0);
        }
        let end = *pick(rng, ends);
        // No vowel meets a vowel at the join: "tarva" + "ine" is "tarvine".
        if end.starts_with(|c: char| is_vowel(c as u8))
            && out.len() > start + 2
            && out.as_bytes().last().is_some_and(|&c| is_vowel(c))
        {
            out.pop();
        }
        out.push_str(end);
        if (3..=max_len).contains(&(out.len() - start)) {
            return;
        }
        out.truncate(start);
    }
}

fn capitalise(mut s: String) -> String {
    if let Some(b) = s.get_mut(0..1) {
        b.make_ascii_uppercase();
    }
    s
}

fn is_vowel(b: u8) -> bool {
    matches!(b, b'a' | b'e' | b'i' | b'o' | b'u')
}

fn consonant_y(w: &str) -> bool {
    let b = w.as_bytes();
    b.len() >= 2 && b[b.len() - 1] == b'y' && !is_vowel(b[b.len() - 2])
}

/// Plural of a noun, or third person singular of a verb.
pub fn plural(w: &str) -> String {
    let mut out = String::with_capacity(w.len() + 3);
    plural_into(w, &mut out);
    out
}

fn plural_into(w: &str, out: &mut String) {
    if ["s", "x", "z", "ch", "sh"].iter().any(|e| w.ends_with(e)) {
        out.push_str(w);
        out.push_str("es");
    } else if consonant_y(w) {
        out.push_str(&w[..w.len() - 1]);
        out.push_str("ies");
    } else {
        out.push_str(w);
        out.push('s');
    }
}

fn past(w: &str) -> String {
    if w.ends_with('e') {
        format!("{w}d")
    } else if consonant_y(w) {
        format!("{}ied", &w[..w.len() - 1])
    } else {
        format!("{w}ed")
    }
}

fn gerund(w: &str) -> String {
    if w.ends_with('e') && !w.ends_with("ee") {
        format!("{}ing", &w[..w.len() - 1])
    } else {
        format!("{w}ing")
    }
}

fn adverb(w: &str) -> String {
    if w.ends_with("ic") {
        format!("{w}ally")
    } else if consonant_y(w) {
        format!("{}ily", &w[..w.len() - 1])
    } else if w.ends_with("le") {
        format!("{}y", &w[..w.len() - 1])
    } else {
        format!("{w}ly")
    }
}

/// The content words. Ids are contiguous per part of speech; each word
/// belongs to a synonym set of 2 to 4 words of its part of speech.
/// Where a word's forms are: start in the text, and each form's offset from
/// there and length.
struct Forms {
    start: u32,
    offsets: [u8; 4],
    lens: [u8; 4],
}

pub struct Lexicon {
    text: Vec<u8>,
    /// Start in `text` of each word's forms and their lengths: nouns (base,
    /// plural), verbs (base, past, third person, gerund), adjectives (base,
    /// adverb).
    forms: Vec<Forms>,
    /// First id and size of each word's synonym set.
    synset: Vec<(u32, u8)>,
    /// Zipf laws over all nouns, verbs and adjectives, in id order (the
    /// general words are the most common).
    zipf: [Zipf; 3],
    pub nouns: u32,
    pub verbs: u32,
    pub adjs: u32,
}

impl Lexicon {
    pub fn new(seed: u64) -> Lexicon {
        let mut rng = Rng::new(seed ^ 0x6c65_7869_636f_6e00);
        let mut lex = Lexicon {
            text: Vec::with_capacity((NOUNS + VERBS + ADJS) * 24),
            forms: Vec::with_capacity(NOUNS + VERBS + ADJS),
            synset: Vec::with_capacity(NOUNS + VERBS + ADJS),
            zipf: [Zipf::new(NOUNS), Zipf::new(VERBS), Zipf::new(ADJS)],
            nouns: 0,
            verbs: NOUNS as u32,
            adjs: (NOUNS + VERBS) as u32,
        };
        let mut seen: HashSet<String> = crate::grammar::FUNCTION_WORDS
            .iter()
            .map(|w| w.to_string())
            .collect();
        for (count, ends) in [(NOUNS, NOUN_ENDS), (VERBS, VERB_ENDS), (ADJS, ADJ_ENDS)] {
            let first = lex.forms.len() as u32;
            for _ in 0..count {
                let base = loop {
                    let w = word(&mut rng, 1, 2, ends, 10);
                    if seen.insert(w.clone()) {
                        break w;
                    }
                };
                let forms: Vec<String> = if ends == NOUN_ENDS {
                    vec![plural(&base)]
                } else if ends == VERB_ENDS {
                    vec![past(&base), plural(&base), gerund(&base)]
                } else {
                    vec![adverb(&base)]
                };
                let mut entry = Forms {
                    start: lex.text.len() as u32,
                    offsets: [0; 4],
                    lens: [0; 4],
                };
                for (k, f) in std::iter::once(&base).chain(forms.iter()).enumerate() {
                    entry.offsets[k] = (lex.text.len() - entry.start as usize) as u8;
                    entry.lens[k] = f.len() as u8;
                    lex.text.extend_from_slice(f.as_bytes());
                }
                lex.forms.push(entry);
            }
            // Synonym sets of 2 to 4 consecutive words.
            let end = lex.forms.len() as u32;
            let mut start = first;
            while start < end {
                let mut len = range(&mut rng, 2, 4) as u32;
                if end - start - len.min(end - start) < 2 {
                    len = end - start;
                }
                for _ in 0..len {
                    lex.synset.push((start, len as u8));
                }
                start += len;
            }
        }
        lex.text.extend_from_slice(&[0; 16]);
        lex
    }

    /// Start and length in `text()` of a form of a word.
    #[inline]
    pub fn form_at(&self, id: u32, form: u8) -> (usize, usize) {
        let f = &self.forms[id as usize];
        let k = form as usize & 3;
        (f.start as usize + f.offsets[k] as usize, f.lens[k] as usize)
    }

    /// All forms of all words, followed by 16 bytes of padding.
    pub fn text(&self) -> &[u8] {
        &self.text
    }

    /// A random other member of the word's synonym set.
    pub fn synonym(&self, rng: &mut Rng, id: u32) -> u32 {
        let (start, len) = self.synset[id as usize];
        let other = start + rng.below(len as u64 - 1) as u32;
        if other >= id { other + 1 } else { other }
    }

    /// The next member of the word's synonym set (a fixed choice).
    pub fn first_synonym(&self, id: u32) -> u32 {
        let (start, len) = self.synset[id as usize];
        start + (id - start + 1) % len as u32
    }

    pub fn general_noun(&self, rng: &mut Rng) -> u32 {
        self.nouns + skewed(rng, GENERAL_NOUNS) as u32
    }
    pub fn general_verb(&self, rng: &mut Rng) -> u32 {
        self.verbs + skewed(rng, GENERAL_VERBS) as u32
    }
    pub fn general_adj(&self, rng: &mut Rng) -> u32 {
        self.adjs + skewed(rng, GENERAL_ADJS) as u32
    }
    /// A word of the whole list drawn by its Zipf law: the stress shape's
    /// general vocabulary, whose tail reaches tens of thousands of words.
    pub fn zipf_noun(&self, rng: &mut Rng) -> u32 {
        self.nouns + self.zipf[0].sample(rng) as u32
    }
    pub fn zipf_verb(&self, rng: &mut Rng) -> u32 {
        self.verbs + self.zipf[1].sample(rng) as u32
    }
    pub fn zipf_adj(&self, rng: &mut Rng) -> u32 {
        self.adjs + self.zipf[2].sample(rng) as u32
    }
    /// `n` distinct words drawn by the Zipf law: a stress-shape topic's
    /// vocabulary. Each word is in topics in proportion to its frequency, so
    /// the corpus stays Zipfian; the rare ones are the topic's own words.
    pub fn zipf_nouns(&self, rng: &mut Rng, n: usize) -> Vec<u32> {
        distinct(rng, n, |rng| self.zipf_noun(rng))
    }
    pub fn zipf_verbs(&self, rng: &mut Rng, n: usize) -> Vec<u32> {
        distinct(rng, n, |rng| self.zipf_verb(rng))
    }
    pub fn zipf_adjs(&self, rng: &mut Rng, n: usize) -> Vec<u32> {
        distinct(rng, n, |rng| self.zipf_adj(rng))
    }
    /// `n` consecutive words of the topical (non-general) part of each list,
    /// in random order: a topic's vocabulary, whose synonyms mostly belong to
    /// it too.
    pub fn topical_nouns(&self, rng: &mut Rng, n: usize) -> Vec<u32> {
        block(rng, self.nouns, GENERAL_NOUNS, NOUNS, n)
    }
    pub fn topical_verbs(&self, rng: &mut Rng, n: usize) -> Vec<u32> {
        block(rng, self.verbs, GENERAL_VERBS, VERBS, n)
    }
    pub fn topical_adjs(&self, rng: &mut Rng, n: usize) -> Vec<u32> {
        block(rng, self.adjs, GENERAL_ADJS, ADJS, n)
    }
}

/// `n` distinct values of `draw`, in the order drawn.
fn distinct(rng: &mut Rng, n: usize, mut draw: impl FnMut(&mut Rng) -> u32) -> Vec<u32> {
    let mut ids = Vec::with_capacity(n);
    while ids.len() < n {
        let id = draw(rng);
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

fn block(rng: &mut Rng, first: u32, general: usize, count: usize, n: usize) -> Vec<u32> {
    let start = first + range(rng, general, count - n) as u32;
    let mut ids: Vec<u32> = (start..start + n as u32).collect();
    shuffle(rng, &mut ids);
    ids
}

#[derive(Debug)]
pub struct Person {
    pub first: String,
    pub last: String,
    pub role: Option<&'static str>,
    pub female: bool,
}

pub fn person(rng: &mut Rng) -> Person {
    let first = capitalise(word(rng, 1, 2, FIRST_ENDS, 9));
    let female = first.ends_with('a') || first.ends_with("ie") || first.ends_with("ina");
    Person {
        first,
        last: capitalise(word(rng, 1, 2, LAST_ENDS, 11)),
        role: chance(rng, 0.4).then(|| *pick(rng, ROLES)),
        female,
    }
}

pub fn place(rng: &mut Rng) -> String {
    capitalise(word(rng, 1, 2, PLACE_ENDS, 11))
}

/// An organisation: one capitalised made-up word ("Morvantex").
pub fn organisation(rng: &mut Rng) -> String {
    capitalise(word(rng, 1, 2, ORG_ENDS, 11))
}

/// An event-specific term (a product, a compound, a scheme). Its synonym is
/// made from `seed` when a rewrite first needs it.
pub struct Term {
    word: String,
    seed: u64,
}

impl Term {
    pub fn new(rng: &mut Rng) -> Term {
        let mut word = String::with_capacity(16);
        word_into(rng, &mut word, 1, 2, TERM_ENDS, 11);
        Term {
            word,
            seed: rng.next_u64(),
        }
    }

    /// Appends form 0 (base) or 1 (plural) of the term or of its synonym.
    pub fn write(&self, synonym: bool, form: u8, out: &mut Vec<u8>) {
        let syn;
        let w = if synonym {
            let mut s = String::with_capacity(16);
            word_into(&mut Rng::new(self.seed), &mut s, 1, 2, TERM_ENDS, 11);
            syn = s;
            &syn
        } else {
            &self.word
        };
        if form == 1 {
            let mut p = String::with_capacity(w.len() + 3);
            plural_into(w, &mut p);
            out.extend_from_slice(p.as_bytes());
        } else {
            out.extend_from_slice(w.as_bytes());
        }
    }
}
