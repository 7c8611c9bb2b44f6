//! Segmented documents on disk.
//!
//! Documents are segmented once, as they stream in, and their tokens written
//! to an unnamed temporary file (it vanishes when dropped, on error and even
//! on a crash). The later passes (boilerplate removal, term statistics,
//! signing, verification) read them back instead of keeping every document in
//! memory or segmenting it again. Each document is one record, so any one
//! can be read on its own.
//!
//! A token is a pair of 32-bit hashes (word, term), which do not compress.
//! So the store keeps one vocabulary for the whole corpus: each distinct pair
//! gets a number in the order the documents first use it (frequent words
//! early, so small), and a token is written as that number in a LEB128
//! varint. 100,000 generated documents take 1.0 KB each, where a table of
//! each document's own distinct pairs took 3.2 KB (and zstd level 1 on that
//! saved 13% for 6% more scan time). The passes that read every document
//! read the store front to back, which the kernel reads ahead; verification
//! reads scattered documents, and asks for each batch's at once
//! ([`Store::prefetch`]), since the page cache may not hold the store (at ten
//! million documents on the 2-core machine measured, 0.1 GB of the 12 GB
//! store was cached when verification began, with 13 GB of memory free). The
//! vocabulary stops growing at [`MAX_VOCABULARY`] pairs (its memory stays
//! bounded); pairs first seen after that are written in full.
//!
//! Layout of a document: varints `tokens, sentences`, each sentence's length
//! in tokens, then each token: `1 + its number`, or `0` and the pair's eight
//! bytes (little-endian, word then term; term 0 = stop word).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;

use crate::text::{Token, Tokens};

/// Vocabulary entries at most: about 70 MB of map and table at this size,
/// and enough for the words that make up nearly every token of real text.
pub const MAX_VOCABULARY: usize = 1 << 21;

/// A token's pair as one number: word in the high half, term in the low.
fn key(token: &Token) -> u64 {
    (token.word as u64) << 32 | token.term.unwrap_or(0) as u64
}

fn token(key: u64) -> Token {
    let term = key as u32;
    Token {
        word: (key >> 32) as u32,
        term: (term != 0).then_some(term),
    }
}

/// A token not numbered yet when its batch was looked up.
const UNNUMBERED: u32 = u32::MAX;

/// Numbers for (word, term) pairs, in first-use order.
struct Vocabulary {
    numbers: HashMap<u64, u32>,
    pairs: Vec<u64>,
    limit: usize,
}

impl Vocabulary {
    fn new(limit: usize) -> Self {
        Vocabulary {
            numbers: HashMap::default(),
            pairs: Vec::new(),
            limit,
        }
    }

    /// Each token's number, [`UNNUMBERED`] for pairs the vocabulary lacks;
    /// also whether any lacked one.
    fn look_up(&self, tokens: &Tokens) -> (Vec<u32>, bool) {
        let mut missing = false;
        let numbers = tokens
            .tokens
            .iter()
            .map(|t| match self.numbers.get(&key(t)) {
                Some(&n) => n,
                None => {
                    missing = true;
                    UNNUMBERED
                }
            })
            .collect();
        (numbers, missing)
    }

    /// Numbers the pairs of `tokens` that [`Self::look_up`] found new
    /// (some may have been numbered since), while there is room.
    fn add(&mut self, tokens: &Tokens, numbers: &[u32]) {
        let new = tokens
            .tokens
            .iter()
            .zip(numbers)
            .filter(|&(_, &n)| n == UNNUMBERED);
        for (t, _) in new {
            if self.pairs.len() >= self.limit {
                return;
            }
            let k = key(t);
            let next = self.pairs.len() as u32;
            if *self.numbers.entry(k).or_insert(next) == next {
                self.pairs.push(k);
            }
        }
    }
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Reads a varint at `*at`, moving past it; `None` when the bytes end
/// first or it does not fit in 64 bits.
fn get_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut n = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*at)?;
        *at += 1;
        n |= ((byte & 0x7f) as u64) << shift;
        if byte < 0x80 {
            return Some(n);
        }
    }
    None
}

/// Encodes a document in the layout above, given each token's number.
fn encode(tokens: &Tokens, numbers: &[u32], vocabulary: &Vocabulary) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + tokens.sentences.len() + 2 * numbers.len());
    put_varint(&mut out, tokens.tokens.len() as u64);
    put_varint(&mut out, tokens.sentences.len() as u64);
    for range in &tokens.sentences {
        put_varint(&mut out, (range.end - range.start) as u64);
    }
    for (t, &n) in tokens.tokens.iter().zip(numbers) {
        let n = match n {
            UNNUMBERED => vocabulary.numbers.get(&key(t)).copied(),
            n => Some(n),
        };
        match n {
            Some(n) => put_varint(&mut out, n as u64 + 1),
            None => {
                out.push(0);
                out.extend(key(t).to_le_bytes());
            }
        }
    }
    out
}

/// The inverse of [`encode`]; `None` if the bytes are not a valid encoding.
fn decode(bytes: &[u8], pairs: &[u64]) -> Option<Tokens> {
    let mut at = 0;
    let t = usize::try_from(get_varint(bytes, &mut at)?).ok()?;
    let s = usize::try_from(get_varint(bytes, &mut at)?).ok()?;
    // Every sentence and token takes a byte at least: this bounds the
    // allocations below by the record's size.
    if s.checked_add(t)? > bytes.len() {
        return None;
    }
    let mut sentences = Vec::with_capacity(s);
    let mut start = 0u32;
    for _ in 0..s {
        let len = u32::try_from(get_varint(bytes, &mut at)?).ok()?;
        let end = start.checked_add(len)?;
        sentences.push(start..end);
        start = end;
    }
    if start as usize > t {
        return None;
    }
    let mut tokens = Vec::with_capacity(t);
    for _ in 0..t {
        let n = get_varint(bytes, &mut at)?;
        let key = match n {
            0 => {
                let raw = bytes.get(at..at + 8)?;
                at += 8;
                u64::from_le_bytes(raw.try_into().ok()?)
            }
            n => *pairs.get(usize::try_from(n - 1).ok()?)?,
        };
        tokens.push(token(key));
    }
    (at == bytes.len()).then_some(Tokens { tokens, sentences })
}

/// Appends documents to the store, in order.
pub struct StoreWriter {
    out: BufWriter<File>,
    offsets: Vec<u64>,
    written: u64,
    vocabulary: Vocabulary,
}

impl StoreWriter {
    pub fn new(dir: &Path) -> io::Result<Self> {
        Self::with_vocabulary(dir, MAX_VOCABULARY)
    }

    /// A store whose vocabulary numbers at most `limit` pairs.
    pub fn with_vocabulary(dir: &Path, limit: usize) -> io::Result<Self> {
        Ok(StoreWriter {
            out: BufWriter::with_capacity(1 << 20, tempfile::tempfile_in(dir)?),
            offsets: vec![0],
            written: 0,
            vocabulary: Vocabulary::new(limit),
        })
    }

    /// Appends a batch of documents, in order. The lookups and encoding run
    /// in parallel; only the numbering of new pairs runs in order, so the
    /// numbers (and the file) are the same for any thread count.
    pub fn append(&mut self, batch: &[Tokens]) -> io::Result<()> {
        let looked_up: Vec<(Vec<u32>, bool)> = batch
            .par_iter()
            .map(|tokens| self.vocabulary.look_up(tokens))
            .collect();
        for (tokens, (numbers, missing)) in batch.iter().zip(&looked_up) {
            if *missing {
                self.vocabulary.add(tokens, numbers);
            }
        }
        let vocabulary = &self.vocabulary;
        let encoded: Vec<Vec<u8>> = batch
            .par_iter()
            .zip(looked_up)
            .map(|(tokens, (numbers, _))| encode(tokens, &numbers, vocabulary))
            .collect();
        for bytes in encoded {
            self.out.write_all(&bytes)?;
            self.written += bytes.len() as u64;
            self.offsets.push(self.written);
        }
        Ok(())
    }

    pub fn finish(self) -> io::Result<Store> {
        let file = self.out.into_inner().map_err(|e| e.into_error())?;
        Ok(Store {
            file,
            offsets: self.offsets,
            pairs: self.vocabulary.pairs,
        })
    }
}

/// The documents written, readable in any order from any thread.
pub struct Store {
    file: File,
    offsets: Vec<u64>,
    /// The vocabulary: each number's (word, term) pair.
    pairs: Vec<u64>,
}

impl Store {
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes on disk.
    pub fn bytes(&self) -> u64 {
        self.offsets.last().copied().unwrap_or(0)
    }

    /// Distinct (word, term) pairs numbered.
    pub fn vocabulary(&self) -> usize {
        self.pairs.len()
    }

    /// Asks the kernel to start reading these documents (sorted) from disk,
    /// so that the reads after it find them in memory. Verification reads
    /// scattered documents, and where the page cache does not hold the
    /// store, one read at a time waits on the disk for each (about 100 us
    /// on the virtual disk measured, against 10-15 us a read when a batch
    /// of them is asked for at once). Documents close together are asked for
    /// as one range. Only a hint: nothing happens where it is not supported.
    pub fn prefetch(&self, docs: &[u32]) {
        // Ranges closer than this are asked for as one.
        const GAP: u64 = 16 << 10;
        let mut range: Option<(u64, u64)> = None;
        for &doc in docs {
            let (start, end) = (self.offsets[doc as usize], self.offsets[doc as usize + 1]);
            range = match range {
                Some((from, to)) if start <= to + GAP => Some((from, end.max(to))),
                Some((from, to)) => {
                    self.will_need(from, to);
                    Some((start, end))
                }
                None => Some((start, end)),
            };
        }
        if let Some((from, to)) = range {
            self.will_need(from, to);
        }
    }

    /// Asks the kernel to start reading documents `docs` (a span of
    /// neighbours), for a pass that reads them next.
    pub fn prefetch_span(&self, docs: std::ops::Range<usize>) {
        let end = docs.end.min(self.len());
        if docs.start < end {
            self.will_need(self.offsets[docs.start], self.offsets[end]);
        }
    }

    fn will_need(&self, from: u64, to: u64) {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            // SAFETY: an advice on a range of a file this store owns; it
            // touches no memory of ours, and a failure only loses the hint.
            unsafe {
                libc::posix_fadvise(
                    self.file.as_raw_fd(),
                    from as libc::off_t,
                    (to - from) as libc::off_t,
                    libc::POSIX_FADV_WILLNEED,
                );
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = (from, to);
    }

    pub fn read(&self, doc: u32) -> io::Result<Tokens> {
        let (start, end) = (self.offsets[doc as usize], self.offsets[doc as usize + 1]);
        let mut bytes = vec![0u8; (end - start) as usize];
        self.file.read_exact_at(&mut bytes, start)?;
        decode(&bytes, &self.pairs).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("segmented document {doc} is corrupt in the temporary store"),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXTS: [&str; 5] = [
        "Putin met Witkoff in Moscow on Tuesday. The talks lasted 5 hours.",
        "",
        "Один. Два три! 東京は晴れ。",
        "no sentence end and Capitalised Words 42",
        "Witkoff left Moscow on Wednesday. The talks had lasted 5 hours.",
    ];

    /// Writes `texts` in batches of `batch` documents with a vocabulary of
    /// `limit` pairs, and checks every document reads back as segmented.
    fn round_trip(texts: &[&str], batch: usize, limit: usize) -> Store {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = StoreWriter::with_vocabulary(dir.path(), limit).unwrap();
        let tokens: Vec<Tokens> = texts.iter().map(|t| crate::text::tokenize(t)).collect();
        for chunk in tokens.chunks(batch) {
            writer.append(chunk).unwrap();
        }
        let store = writer.finish().unwrap();
        assert_eq!(store.len(), texts.len());
        // A hint only: documents read after it come back the same.
        store.prefetch(&(0..texts.len() as u32).collect::<Vec<_>>());
        // Read out of order: each document stands alone.
        for i in (0..texts.len() as u32).rev() {
            let back = store.read(i).unwrap();
            assert_eq!(back.tokens, tokens[i as usize].tokens);
            assert_eq!(back.sentences, tokens[i as usize].sentences);
        }
        // The file has no name: nothing is left in the folder.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        store
    }

    #[test]
    fn documents_come_back_as_written() {
        let whole = round_trip(&TEXTS, TEXTS.len(), MAX_VOCABULARY);
        assert!(
            crate::text::tokenize(TEXTS[0])
                .tokens
                .iter()
                .any(|t| t.term.is_none())
        );
        // Numbering follows document order, not batches.
        let one_by_one = round_trip(&TEXTS, 1, MAX_VOCABULARY);
        assert_eq!(whole.pairs, one_by_one.pairs);
        assert_eq!(whole.offsets, one_by_one.offsets);
    }

    #[test]
    fn pairs_beyond_a_full_vocabulary_are_written_in_full() {
        let full = round_trip(&TEXTS, 2, 3);
        assert_eq!(full.vocabulary(), 3);
        let roomy = round_trip(&TEXTS, 2, MAX_VOCABULARY);
        // A pair in full takes nine bytes, a small number one.
        assert!(
            full.bytes() > roomy.bytes() + 8 * 10,
            "{} {}",
            full.bytes(),
            roomy.bytes()
        );
    }

    #[test]
    fn long_documents_come_back() {
        let text: String = (0..70_000).map(|i| format!("w{i} w{} ", i % 7)).collect();
        round_trip(&[&text, "w1 w2. W3"], 1, MAX_VOCABULARY);
    }

    #[test]
    fn damaged_records_are_rejected() {
        let tokens = crate::text::tokenize("One two three. Four five.");
        let mut vocabulary = Vocabulary::new(MAX_VOCABULARY);
        let (numbers, missing) = vocabulary.look_up(&tokens);
        assert!(missing);
        vocabulary.add(&tokens, &numbers);
        let (numbers, missing) = vocabulary.look_up(&tokens);
        assert!(!missing);
        let bytes = encode(&tokens, &numbers, &vocabulary);
        assert_eq!(
            decode(&bytes, &vocabulary.pairs).unwrap().tokens,
            tokens.tokens
        );
        for cut in [1, 2, bytes.len() - 1] {
            assert!(
                decode(&bytes[..cut], &vocabulary.pairs).is_none(),
                "cut at {cut}"
            );
        }
        // A number the vocabulary does not hold.
        assert!(decode(&bytes, &vocabulary.pairs[..1]).is_none());
        let mut longer = bytes.clone();
        longer.push(1);
        assert!(decode(&longer, &vocabulary.pairs).is_none());
    }
}
