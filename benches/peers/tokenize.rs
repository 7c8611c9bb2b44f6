//! The tokenize-only pass: read JSONL documents and split them into UAX #29
//! words, nothing else, on all cores. The practical limit for storydup, which
//! must do this and everything after it.
//! Usage: tokenize FILE.jsonl  (prints: tool, docs, seconds, docs/s, words)

use std::time::Instant;

use rayon::prelude::*;
use storydup::input::{InputOptions, read_documents};
use unicode_segmentation::UnicodeSegmentation;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: tokenize FILE.jsonl");
        std::process::exit(2);
    };
    let start = Instant::now();
    let (mut docs, mut words) = (0usize, 0usize);
    let mut batch: Vec<String> = Vec::with_capacity(10_000);
    let count = |batch: &mut Vec<String>| -> usize {
        let n = batch.par_iter().map(|t| t.unicode_words().count()).sum();
        batch.clear();
        n
    };
    let result = read_documents(&[path], &InputOptions::default(), &mut |doc| {
        batch.push(doc.text);
        docs += 1;
        if batch.len() == batch.capacity() {
            words += count(&mut batch);
        }
        Ok(())
    });
    if let Err(e) = result {
        eprintln!("tokenize: {e}");
        std::process::exit(1);
    }
    words += count(&mut batch);
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "tokenize-only\t{docs}\t{seconds:.2}\t{:.0}\t{words}",
        docs as f64 / seconds
    );
}
