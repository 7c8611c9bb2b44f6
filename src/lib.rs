//! storydup finds near-duplicate and rewritten news stories in large text
//! dumps. Data flows one way through one module per stage:
//!
//! `input` -> `text` -> `sketch` -> `index` -> `verify` -> `cluster` -> `report`
//!
//! Those modules hold the rules for one document or one pair, which the
//! Spark job calls item by item (`steps`); `stages` streams a whole corpus
//! through them in bounded memory, and `scan` runs the stages in order.
//!
//! ```
//! use storydup::input::{InputOptions, read_all};
//! use storydup::scan::{ScanOptions, scan};
//!
//! let (documents, _) = read_all(&["data/seeds".to_string()], &InputOptions::default())?;
//! let result = scan(documents, &ScanOptions::default())?;
//! let rewrite: Vec<&str> = result.clusters[0].iter().map(|&d| result.ids[d as usize].as_str()).collect();
//! assert_eq!(rewrite, ["000_6d5f35eb97f0d708.txt", "001_a6a27bf682eca62c.txt"]);
//! # Ok::<(), storydup::Error>(())
//! ```

pub mod archive;
pub mod cache;
pub mod cluster;
pub mod corpus;
pub mod dedup;
pub mod destination;
pub mod error;
pub mod eval;
pub mod explain;
pub mod hash;
pub mod html;
pub mod ids;
pub mod index;
pub mod input;
pub mod language;
pub mod perturb;
pub mod records;
pub mod report;
pub mod scan;
pub mod settings;
pub mod showcase;
pub mod sketch;
pub mod spill;
pub(crate) mod stages;
pub mod steps;
pub mod store;
pub mod term_counts;
pub mod text;
pub mod types;
pub mod verify;

pub use error::{Error, Result};
