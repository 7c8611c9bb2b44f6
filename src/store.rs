//! Segmented documents on disk.
//!
//! Documents are segmented once, as they stream in, and their tokens written
//! to an unnamed temporary file (it vanishes when dropped, on error and even
//! on a crash). The later passes (boilerplate removal, term statistics,
//! signing, verification) read them back instead of keeping every document in
//! memory or segmenting it again. Each document is one zstd frame, so any one
//! can be read on its own.
//!
//! Layout of a document before compression (little-endian):
//! `tokens: u32, sentences: u32, sentence ends: u32 x sentences,
//! words: u32 x tokens, terms: u32 x tokens (0 = stop word)`.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::text::{Token, Tokens};

/// zstd level: the fastest; token ids compress mostly through repeated words.
const LEVEL: i32 = 1;

/// Encodes a document's tokens in the layout above.
pub fn encode(tokens: &Tokens) -> Vec<u8> {
    let t = tokens.tokens.len();
    let s = tokens.sentences.len();
    let mut out = Vec::with_capacity(8 + 4 * s + 8 * t);
    out.extend((t as u32).to_le_bytes());
    out.extend((s as u32).to_le_bytes());
    for range in &tokens.sentences {
        out.extend(range.end.to_le_bytes());
    }
    for token in &tokens.tokens {
        out.extend(token.word.to_le_bytes());
    }
    for token in &tokens.tokens {
        out.extend(token.term.unwrap_or(0).to_le_bytes());
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
    let (ends_at, words_at) = (8, 8 + 4 * s);
    let terms_at = words_at + 4 * t;
    if bytes.len() != terms_at + 4 * t {
        return None;
    }
    let mut tokens = Vec::with_capacity(t);
    for i in 0..t {
        let term = u32_at(terms_at + 4 * i)?;
        tokens.push(Token {
            word: u32_at(words_at + 4 * i)?,
            term: (term != 0).then_some(term),
        });
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

    /// Compresses one document's tokens (call in parallel), for [`Self::append`]:
    /// the encoded length, then the zstd frame.
    pub fn compress(tokens: &Tokens) -> io::Result<Vec<u8>> {
        let bytes = encode(tokens);
        let frame = COMPRESSOR.with(|c| match &mut *c.borrow_mut() {
            Some(c) => c.compress(&bytes),
            slot => {
                let mut c = zstd::bulk::Compressor::new(LEVEL)?;
                let frame = c.compress(&bytes);
                *slot = Some(c);
                frame
            }
        })?;
        let mut out = Vec::with_capacity(4 + frame.len());
        out.extend((bytes.len() as u32).to_le_bytes());
        out.extend(frame);
        Ok(out)
    }

    pub fn append(&mut self, compressed: &[u8]) -> io::Result<()> {
        self.out.write_all(compressed)?;
        self.written += compressed.len() as u64;
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
        let mut compressed = vec![0u8; (end - start) as usize];
        self.file.read_exact_at(&mut compressed, start)?;
        let corrupt = || {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("segmented document {doc} is corrupt in the temporary store"),
            )
        };
        let (len, frame) = compressed.split_first_chunk::<4>().ok_or_else(corrupt)?;
        let len = u32::from_le_bytes(*len) as usize;
        let bytes = DECOMPRESSOR.with(|d| match &mut *d.borrow_mut() {
            Some(d) => d.decompress(frame, len),
            slot => {
                let mut d = zstd::bulk::Decompressor::new()?;
                let bytes = d.decompress(frame, len);
                *slot = Some(d);
                bytes
            }
        })?;
        decode(&bytes).ok_or_else(corrupt)
    }
}

// One zstd context per thread: making one costs more than a small document.
thread_local! {
    static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
        const { std::cell::RefCell::new(None) };
    static DECOMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { std::cell::RefCell::new(None) };
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
            writer.append(&StoreWriter::compress(t).unwrap()).unwrap();
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
    fn truncated_bytes_are_rejected() {
        let bytes = encode(&crate::text::tokenize("One two three. Four five."));
        assert!(decode(&bytes).is_some());
        assert!(decode(&bytes[..bytes.len() - 1]).is_none());
        assert!(decode(&bytes[..6]).is_none());
    }
}
