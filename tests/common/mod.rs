//! What several test files share: where the development sets are.

// Each test file uses part of this module.
#![allow(dead_code)]

use std::path::PathBuf;

/// `../shared/devsets` beside the repository, or `STORYDUP_DEVSETS`.
pub fn devsets_root() -> PathBuf {
    std::env::var_os("STORYDUP_DEVSETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/devsets"))
}

/// A development set's folder; fails the test, saying how to fix it, when
/// the set is missing.
pub fn devset(name: &str) -> PathBuf {
    let dir = devsets_root().join(name);
    assert!(
        dir.join("docs.jsonl").exists(),
        "development set {} is missing: put ../shared beside the repository or set STORYDUP_DEVSETS",
        dir.display()
    );
    dir
}
