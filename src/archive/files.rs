//! The immutable sorted files an index keeps beside its database: key
//! postings (a key, a document holding it) and the frozen term counts (a
//! term, the documents holding it). Each is written once, synced, and only
//! then named in the database, in the transaction that commits the add; a
//! file no committed transaction names is left over from a killed add and
//! is removed by the next writer.
//!
//! Why not rows of the database: adding 1% to an index of 100,000 documents
//! puts about 140,000 (key, document) entries at random places of a B-tree
//! of 14 million. SQLite took 2.5 s to insert and commit them (236 MB of
//! write-ahead log: nearly every page of the table is touched) and 1.5 s to
//! look them up, against a budget of 1 s for the whole add (README, *Index*).
//! A new sorted file per add is one sequential write; files are merged two by
//! two as they grow, as log-structured stores do, so a lookup reads a few.

use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::Path;

const MAGIC: &[u8; 8] = b"sdkeys01";
const HEADER: usize = 16;
const RECORD: usize = 12;

/// Sorted (key, value) records: a little-endian u64 key and u32 value each,
/// after a header of the magic and the record count. Read through a memory
/// map: a lookup touches the few pages its binary search visits.
pub(crate) struct KeyFile {
    map: Option<memmap2::Mmap>,
    len: usize,
}

impl KeyFile {
    /// Writes `records`, which must come sorted, to a new file at `path`,
    /// synced before it returns; returns how many it wrote.
    pub(crate) fn write(
        path: &Path,
        records: impl Iterator<Item = io::Result<(u64, u32)>>,
    ) -> io::Result<u64> {
        let file = File::options().write(true).create_new(true).open(path)?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        out.write_all(&[0; HEADER])?;
        let mut count = 0u64;
        let mut last = None;
        for record in records {
            let (key, value) = record?;
            if last.is_some_and(|l| l > (key, value)) {
                return Err(io::Error::other("key file records out of order"));
            }
            last = Some((key, value));
            out.write_all(&key.to_le_bytes())?;
            out.write_all(&value.to_le_bytes())?;
            count += 1;
        }
        let mut file = out.into_inner().map_err(|e| e.into_error())?;
        file.seek(SeekFrom::Start(0))?;
        file.write_all(MAGIC)?;
        file.write_all(&count.to_le_bytes())?;
        file.sync_all()?;
        Ok(count)
    }

    pub(crate) fn open(path: &Path) -> io::Result<KeyFile> {
        let file = File::open(path)?;
        let size = file.metadata()?.len() as usize;
        let bad = || io::Error::new(io::ErrorKind::InvalidData, "not a storydup key file");
        if size < HEADER {
            return Err(bad());
        }
        // Safety: key files are never changed after they are written (a
        // new add writes new files), so the mapping cannot change under us.
        let map = unsafe { memmap2::Mmap::map(&file)? };
        let len = u64::from_le_bytes(map[8..16].try_into().unwrap_or_default()) as usize;
        if &map[..8] != MAGIC || HEADER as u128 + len as u128 * RECORD as u128 != size as u128 {
            return Err(bad());
        }
        Ok(KeyFile {
            map: (len > 0).then_some(map),
            len,
        })
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn record(&self, i: usize) -> (u64, u32) {
        let map = self.map.as_deref().unwrap_or_default();
        let at = HEADER + i * RECORD;
        let key = u64::from_le_bytes(map[at..at + 8].try_into().unwrap_or_default());
        let value = u32::from_le_bytes(map[at + 8..at + 12].try_into().unwrap_or_default());
        (key, value)
    }

    /// The first record whose key is at least `key`.
    fn lower_bound(&self, key: u64) -> usize {
        let (mut lo, mut hi) = (0, self.len);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.record(mid).0 < key {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The values of `key`, smallest first, at most `limit` of them.
    pub(crate) fn values(&self, key: u64, limit: usize) -> impl Iterator<Item = u32> + '_ {
        (self.lower_bound(key)..self.len)
            .map(|i| self.record(i))
            .take_while(move |r| r.0 == key)
            .take(limit)
            .map(|r| r.1)
    }

    /// The value of `key` if it is there (for files with one record a key).
    pub(crate) fn get(&self, key: u64) -> Option<u32> {
        self.values(key, 1).next()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        (0..self.len).map(|i| self.record(i))
    }
}

/// The records of several sorted files in one sorted stream.
pub(crate) fn merged<'a>(files: &'a [&'a KeyFile]) -> impl Iterator<Item = (u64, u32)> + 'a {
    let mut next: Vec<usize> = vec![0; files.len()];
    std::iter::from_fn(move || {
        let (f, record) = files
            .iter()
            .enumerate()
            .filter(|(f, file)| next[*f] < file.len())
            .map(|(f, file)| (f, file.record(next[f])))
            .min_by_key(|&(f, record)| (record, f))?;
        next[f] += 1;
        Some(record)
    })
}

/// Sorted records with the values of equal keys summed: the counts of
/// several term files as one.
pub(crate) fn summed(
    records: impl Iterator<Item = (u64, u32)>,
) -> impl Iterator<Item = (u64, u32)> {
    let mut records = records.peekable();
    std::iter::from_fn(move || {
        let (key, mut value) = records.next()?;
        while let Some((_, more)) = records.next_if(|r| r.0 == key) {
            value = value.saturating_add(more);
        }
        Some((key, value))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_records_are_found_by_key_and_merged_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let a: Vec<(u64, u32)> = vec![(1, 5), (3, 1), (3, 2), (3, 9), (u64::MAX, 0)];
        let b: Vec<(u64, u32)> = vec![(2, 2), (3, 4)];
        let pa = dir.path().join("a");
        let pb = dir.path().join("b");
        assert_eq!(KeyFile::write(&pa, a.iter().map(|&r| Ok(r))).unwrap(), 5);
        KeyFile::write(&pb, b.iter().map(|&r| Ok(r))).unwrap();
        let (fa, fb) = (KeyFile::open(&pa).unwrap(), KeyFile::open(&pb).unwrap());
        assert_eq!(fa.values(3, 10).collect::<Vec<_>>(), vec![1, 2, 9]);
        assert_eq!(fa.values(3, 2).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(fa.get(u64::MAX), Some(0));
        assert_eq!(fa.get(2), None);
        let all: Vec<_> = merged(&[&fa, &fb]).collect();
        let mut expected = [a, b].concat();
        expected.sort();
        assert_eq!(all, expected);
        let counts: Vec<_> = summed(all.into_iter()).collect();
        assert_eq!(counts, vec![(1, 5), (2, 2), (3, 16), (u64::MAX, 0)]);

        // Unsorted input is refused; a cut file is not read.
        let bad = dir.path().join("bad");
        assert!(KeyFile::write(&bad, [Ok((2, 0)), Ok((1, 0))].into_iter()).is_err());
        let bytes = std::fs::read(&pa).unwrap();
        let cut = dir.path().join("cut");
        std::fs::write(&cut, &bytes[..bytes.len() - 1]).unwrap();
        assert!(KeyFile::open(&cut).is_err());
        // An empty file is a valid empty table.
        let empty = dir.path().join("empty");
        KeyFile::write(&empty, std::iter::empty()).unwrap();
        assert_eq!(KeyFile::open(&empty).unwrap().values(1, 5).count(), 0);
    }
}
