//! Segmented documents on disk.
//!
//! Documents are segmented once, as they stream in, and their tokens written
//! to an unnamed temporary file (it vanishes when dropped, on error and even
//! on a crash). The later passes (boilerplate removal, term statistics,
//! signing, verification) read them back instead of keeping every document in
//! memory or segmenting it again. Each document is one record, so any one
//! can be read on its own. Records are not compressed: words and terms are
//! 32-bit hashes, which zstd (level 1) shrank by 13% for 6% more scan time
//! on 100,000 generated documents (281 MB in 20.9 s against 324 MB in 19.8 s).
//!
//! Layout of a document (little-endian): `tokens: u32,
//! sentences: u32, distinct words: u32, sentence ends: u32 x sentences,
//! words: u32 x distinct, terms: u32 x distinct (0 = stop word), then each
//! token as its index among the distinct (word, term) pairs: u16 x tokens
//! (u32 when a document has more than 65,536 of them)`. A word's term is
//! the same wherever it occurs in a document (one language per document),
//! so a word repeated costs two bytes, not eight.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

use rustc_hash::FxHashMap as HashMap;

use crate::text::{Token, Tokens};

/// Encodes a document's tokens in the layout above.
pub fn encode(tokens: &Tokens) -> Vec<u8> {
    let t = tokens.tokens.len();
    let s = tokens.sentences.len();
    // Keyed by word and term: two words of one document may share a 32-bit
    // word id, and then their terms can differ.
    let mut index: HashMap<(u32, u32), u32> = HashMap::default();
    index.reserve(t / 2);
    let mut distinct: Vec<Token> = Vec::new();
    let positions: Vec<u32> = tokens
        .tokens
        .iter()
        .map(|token| {
            *index
                .entry((token.word, token.term.unwrap_or(0)))
                .or_insert_with(|| {
                    distinct.push(*token);
                    distinct.len() as u32 - 1
                })
        })
        .collect();
    let d = distinct.len();
    let wide = d > 1 << 16;
    let mut out = Vec::with_capacity(12 + 4 * s + 8 * d + if wide { 4 } else { 2 } * t);
    for n in [t, s, d] {
        out.extend((n as u32).to_le_bytes());
    }
    for range in &tokens.sentences {
        out.extend(range.end.to_le_bytes());
    }
    for token in &distinct {
        out.extend(token.word.to_le_bytes());
    }
    for token in &distinct {
        out.extend(token.term.unwrap_or(0).to_le_bytes());
    }
    for p in positions {
        if wide {
            out.extend(p.to_le_bytes());
        } else {
            out.extend((p as u16).to_le_bytes());
        }
    }
    out
}

/// The inverse of [`encode`]; `None` if the bytes are not a valid encoding.
pub fn decode(bytes: &[u8]) -> Option<Tokens> {
    let u32_at = |i: usize| -> Option<u32> {
        Some(u32::from_le_bytes(bytes.get(i..i + 4)?.try_into().ok()?))
    };
    let t = u32_at(0)? as usize;
    let s = u32_at(4)? as usize;
    let d = u32_at(8)? as usize;
    let wide = d > 1 << 16;
    let ends_at: usize = 12;
    let words_at = ends_at.checked_add(s.checked_mul(4)?)?;
    let terms_at = words_at.checked_add(d.checked_mul(4)?)?;
    let positions_at = terms_at.checked_add(d.checked_mul(4)?)?;
    let width = if wide { 4 } else { 2 };
    if bytes.len() != positions_at.checked_add(t.checked_mul(width)?)? {
        return None;
    }
    let distinct: Vec<Token> = (0..d)
        .map(|i| {
            let term = u32_at(terms_at + 4 * i)?;
            Some(Token {
                word: u32_at(words_at + 4 * i)?,
                term: (term != 0).then_some(term),
            })
        })
        .collect::<Option<_>>()?;
    let positions = &bytes[positions_at..];
    let mut tokens = Vec::with_capacity(t);
    for i in 0..t {
        let p = if wide {
            u32_at(positions_at + 4 * i)? as usize
        } else {
            u16::from_le_bytes([positions[2 * i], positions[2 * i + 1]]) as usize
        };
        tokens.push(*distinct.get(p)?);
    }
    let mut sentences = Vec::with_capacity(s);
    let mut start = 0;
    for i in 0..s {
        let end = u32_at(ends_at + 4 * i)?;
        if end < start || end as usize > t {
            return None;
        }
        sentences.push(start..end);
        start = end;
    }
    Some(Tokens { tokens, sentences })
}

/// Appends documents to the store, in order.
pub struct StoreWriter {
    out: BufWriter<File>,
    offsets: Vec<u64>,
    written: u64,
}

impl StoreWriter {
    pub fn new(dir: &Path) -> io::Result<Self> {
        Ok(StoreWriter {
            out: BufWriter::with_capacity(1 << 20, tempfile::tempfile_in(dir)?),
            offsets: vec![0],
            written: 0,
        })
    }

    /// Appends one document, as [`encode`] wrote it (encode in parallel).
    pub fn append(&mut self, encoded: &[u8]) -> io::Result<()> {
        self.out.write_all(encoded)?;
        self.written += encoded.len() as u64;
        self.offsets.push(self.written);
        Ok(())
    }

    pub fn finish(self) -> io::Result<Store> {
        let file = self.out.into_inner().map_err(|e| e.into_error())?;
        Ok(Store {
            file,
            offsets: self.offsets,
        })
    }
}

/// The documents written, readable in any order from any thread.
pub struct Store {
    file: File,
    offsets: Vec<u64>,
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

    pub fn read(&self, doc: u32) -> io::Result<Tokens> {
        let (start, end) = (self.offsets[doc as usize], self.offsets[doc as usize + 1]);
        let mut bytes = vec![0u8; (end - start) as usize];
        self.file.read_exact_at(&mut bytes, start)?;
        decode(&bytes).ok_or_else(|| {
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

    #[test]
    fn documents_come_back_as_written() {
        let texts = [
            "Putin met Witkoff in Moscow on Tuesday. The talks lasted 5 hours.",
            "",
            "Один. Два три! 東京は晴れ。",
            "no sentence end and Capitalised Words 42",
        ];
        let dir = tempfile::tempdir().unwrap();
        let mut writer = StoreWriter::new(dir.path()).unwrap();
        let tokens: Vec<Tokens> = texts.iter().map(|t| crate::text::tokenize(t)).collect();
        for t in &tokens {
            writer.append(&encode(t)).unwrap();
        }
        let store = writer.finish().unwrap();
        assert_eq!(store.len(), texts.len());
        // Read out of order: each document stands alone.
        for i in [3u32, 0, 2, 1] {
            let back = store.read(i).unwrap();
            assert_eq!(back.tokens, tokens[i as usize].tokens);
            assert_eq!(back.sentences, tokens[i as usize].sentences);
        }
        assert!(tokens[0].tokens.iter().any(|t| t.term.is_none()));
        // The file has no name: nothing is left in the folder.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn documents_of_more_distinct_words_than_two_bytes_count_come_back() {
        let text: String = (0..70_000).map(|i| format!("w{i} w{} ", i % 7)).collect();
        let tokens = crate::text::tokenize(&text);
        let bytes = encode(&tokens);
        let back = decode(&bytes).unwrap();
        assert_eq!(back.tokens, tokens.tokens);
        assert_eq!(back.sentences, tokens.sentences);
        assert!(decode(&bytes[..bytes.len() - 2]).is_none());
    }

    #[test]
    fn truncated_bytes_are_rejected() {
        let bytes = encode(&crate::text::tokenize("One two three. Four five."));
        assert!(decode(&bytes).is_some());
        assert!(decode(&bytes[..bytes.len() - 1]).is_none());
        assert!(decode(&bytes[..6]).is_none());
    }
}
