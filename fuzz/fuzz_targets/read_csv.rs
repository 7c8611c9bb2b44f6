//! Any bytes as a csv source: documents or an error naming the source, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use storydup::input::{Format, InputOptions, read_from};

fuzz_target!(|data: &[u8]| {
    for skip_bad in [false, true] {
        let options = InputOptions {
            skip_bad,
            ..InputOptions::default()
        };
        let result = read_from(
            std::io::Cursor::new(data.to_vec()),
            "fuzz.csv",
            Format::Csv,
            &options,
            &mut |_| Ok(()),
        );
        if let Err(e) = result {
            assert!(e.to_string().contains("fuzz.csv"), "error without its source: {e}");
        }
    }
});
