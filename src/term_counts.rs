//! Documents per term, in one flat table built to be read: every document's
//! features look up each of its distinct terms, and at a million documents
//! those lookups were the largest single cost of verifying (the table
//! outgrows the caches, and a general hash map touches two cache lines per
//! lookup). Here a term and its count share one 64-bit slot, so a lookup
//! reads one line, and its address is known before the lookup, so the
//! lines of the next terms can be asked for while this one is read.

use rustc_hash::FxHashMap as HashMap;

/// Each term's document count, by open addressing with linear probing;
/// the table is at most two thirds full.
#[derive(Clone, Debug, Default)]
pub struct TermCounts {
    /// `term << 32 | count`; 0 is an empty slot (a term counts at least one
    /// document).
    slots: Vec<u64>,
    /// Right shift from a 64-bit product to a slot index.
    shift: u32,
    len: usize,
}

impl TermCounts {
    /// The terms with a count above zero.
    pub fn new(counts: &HashMap<u32, u32>) -> TermCounts {
        let len = counts.values().filter(|&&n| n > 0).count();
        let bits = (len + len / 2).max(2).next_power_of_two().trailing_zeros();
        let mut table = TermCounts {
            slots: vec![0; 1 << bits],
            shift: 64 - bits,
            len,
        };
        let mask = table.slots.len() - 1;
        for (&term, &n) in counts.iter().filter(|(_, n)| **n > 0) {
            let mut i = table.home(term);
            while table.slots[i] != 0 {
                i = (i + 1) & mask;
            }
            table.slots[i] = u64::from(term) << 32 | u64::from(n);
        }
        table
    }

    /// Fibonacci hashing: the high bits of the product.
    fn home(&self, term: u32) -> usize {
        (u64::from(term).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> self.shift) as usize
    }

    /// The documents holding `term`; 0 for a term never counted.
    pub fn get(&self, term: u32) -> u32 {
        let mask = self.slots.len() - 1;
        let mut i = self.home(term);
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                return 0;
            }
            if (slot >> 32) as u32 == term {
                return slot as u32;
            }
            i = (i + 1) & mask;
        }
    }

    /// Asks the CPU for the cache line `term`'s lookup starts at.
    pub fn prefetch(&self, term: u32) {
        crate::cache::prefetch(std::slice::from_ref(&self.slots[self.home(term)]));
    }

    /// Terms counted.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every (term, count), in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.slots
            .iter()
            .filter(|&&s| s != 0)
            .map(|&s| ((s >> 32) as u32, s as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::SplitMix64;

    #[test]
    fn counts_read_back_as_the_map_holds_them() {
        let mut rng = SplitMix64::new(3);
        for n in [0usize, 1, 2, 3, 100, 5000] {
            let mut map: HashMap<u32, u32> = (0..n)
                .map(|_| (rng.next_u64() as u32, 1 + rng.below(1000) as u32))
                .collect();
            // Extremes of the term range, and a count of zero, which is
            // left out.
            map.insert(0, 7);
            map.insert(u32::MAX, u32::MAX);
            map.insert(12345, 0);
            let table = TermCounts::new(&map);
            for (&term, &count) in &map {
                assert_eq!(table.get(term), count, "term {term}");
            }
            assert_eq!(table.len(), map.values().filter(|&&c| c > 0).count());
            let mut listed: Vec<(u32, u32)> = table.iter().collect();
            listed.sort_unstable();
            let mut expected: Vec<(u32, u32)> = map
                .iter()
                .filter(|x| *x.1 > 0)
                .map(|(&t, &c)| (t, c))
                .collect();
            expected.sort_unstable();
            assert_eq!(listed, expected);
            // Terms not counted read 0, whichever slot they start at.
            for _ in 0..200 {
                let term = rng.next_u64() as u32;
                if !map.contains_key(&term) {
                    assert_eq!(table.get(term), 0);
                }
            }
        }
    }
}
