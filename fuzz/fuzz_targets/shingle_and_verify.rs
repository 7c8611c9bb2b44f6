//! Shingling, signing and verifying two documents made of any text: no
//! panic, scores in [0, 1] and symmetric, a document against itself scores 1.
#![no_main]

use libfuzzer_sys::fuzz_target;
use storydup::scan::{ScanOptions, sign_all};
use storydup::verify::evidence;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    // The first line against the rest.
    let (a, b) = s.split_once('\n').unwrap_or((s, ""));
    let options = ScanOptions::default();
    let (signed, _) = sign_all(vec![a.into(), b.into()], &options, options.banding());
    let (fa, fb) = (&signed[0].features, &signed[1].features);
    let ab = evidence(fa, fb, &options.verify);
    let ba = evidence(fb, fa, &options.verify);
    assert!((0.0..=1.0).contains(&ab.score), "{ab:?}");
    assert_eq!(ab.score, ba.score);
    assert!((0.0..=1.0).contains(&ab.jaccard) && (0.0..=1.0).contains(&ab.containment));
    if !fa.shingles.is_empty() {
        assert_eq!(evidence(fa, fa, &options.verify).score, 1.0);
    }
});
