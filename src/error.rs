//! One error type for the library: every variant says where the problem is.

use std::fmt;
use std::path::Path;

/// Where a document came from: the file (or `-` for standard input) and the
/// 1-based line of its record. Whole-file documents (plain text) have line 0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub path: String,
    pub line: u64,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.path)
        } else {
            write!(f, "{}:{}", self.path, self.line)
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A record that cannot be read (bad JSON, a missing field, invalid UTF-8...).
    #[error("{origin}: {message}")]
    Record { origin: Origin, message: String },
    /// A file or folder that cannot be opened, read or written.
    #[error("{path}: {message}")]
    File { path: String, message: String },
    /// Two documents with one id.
    #[error("duplicate document id {id:?}: first at {first}, again at {second}")]
    DuplicateId {
        id: String,
        first: Origin,
        second: Origin,
    },
    /// Options that do not make sense together.
    #[error("{0}")]
    Usage(String),
}

impl Error {
    pub fn record(origin: Origin, message: impl Into<String>) -> Self {
        Error::Record {
            origin,
            message: message.into(),
        }
    }

    pub fn file(path: impl AsRef<Path>, message: impl fmt::Display) -> Self {
        Error::File {
            path: path.as_ref().display().to_string(),
            message: message.to_string(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
