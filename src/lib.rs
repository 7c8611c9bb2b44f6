//! storydup finds near-duplicate and rewritten news stories in large text
//! dumps. Data flows one way through one module per stage:
//!
//! `input` -> `text` -> `sketch` -> `index` -> `verify` -> `cluster` -> `report`
//!
//! with `scan` running the stages in order.

pub mod cluster;
pub mod error;
pub mod eval;
pub mod hash;
pub mod index;
pub mod input;
pub mod report;
pub mod scan;
pub mod sketch;
pub mod text;
pub mod verify;

pub use error::{Error, Result};
