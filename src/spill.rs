//! External sort of fixed-size records: the buffer is sorted and spilled to
//! unnamed temporary files as runs, which are merged back in one stream, so
//! memory stays bounded however many records are pushed.
//!
//! A run stores each record as the count of leading bytes it shares with the
//! record before it, then the bytes that differ. Records encode their fields
//! big-endian, most significant first, so records sorted next to each other
//! share their high bytes: a sorted pair of document numbers takes about 4
//! bytes instead of 8.

use rayon::slice::ParallelSliceMut;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Runs merged at once. Each open run holds a file descriptor and a read
/// buffer, so once this many runs of one level exist they are merged into a
/// single run of the next level; that bounds both, whatever the input size.
const FAN_IN: usize = 64;
const WRITE_BUFFER: usize = 1 << 20;
const READ_BUFFER: usize = 256 << 10;

/// A fixed-size record that can be written to and read from a run file.
/// Runs are smallest when the bytes sort as the records do (big-endian
/// fields in the order `Ord` compares them), though any encoding reads back.
pub trait Record: Copy + Ord + Send + Sync {
    const SIZE: usize;
    fn write_to(&self, out: &mut [u8]); // out.len() == SIZE
    fn read_from(bytes: &[u8]) -> Self; // bytes.len() == SIZE
}

impl Record for u64 {
    const SIZE: usize = 8;
    fn write_to(&self, out: &mut [u8]) {
        out.copy_from_slice(&self.to_be_bytes());
    }
    fn read_from(bytes: &[u8]) -> Self {
        let mut b = [0u8; 8];
        b.copy_from_slice(bytes);
        u64::from_be_bytes(b)
    }
}

impl Record for (u64, u32) {
    const SIZE: usize = 12;
    fn write_to(&self, out: &mut [u8]) {
        out[..8].copy_from_slice(&self.0.to_be_bytes());
        out[8..].copy_from_slice(&self.1.to_be_bytes());
    }
    fn read_from(bytes: &[u8]) -> Self {
        let (mut a, mut b) = ([0u8; 8], [0u8; 4]);
        a.copy_from_slice(&bytes[..8]);
        b.copy_from_slice(&bytes[8..]);
        (u64::from_be_bytes(a), u32::from_be_bytes(b))
    }
}

/// Leading bytes a run may say a record shares with the one before it: the
/// count is one byte.
const MAX_SHARED: usize = u8::MAX as usize;

/// A sorted run on disk, rewound and ready to read.
struct Run {
    file: File,
    len: u64,
    level: u32,
}

/// Writes sorted records to a new unnamed file in `dir` and rewinds it.
fn write_run<R: Record>(
    dir: &Path,
    level: u32,
    records: impl Iterator<Item = io::Result<R>>,
) -> io::Result<Run> {
    let mut out = BufWriter::with_capacity(WRITE_BUFFER, tempfile::tempfile_in(dir)?);
    let mut bytes = vec![0u8; R::SIZE];
    let mut previous = vec![0u8; R::SIZE];
    let mut len = 0u64;
    for record in records {
        record?.write_to(&mut bytes);
        // Writer and reader both start from a record of zeros.
        let same = bytes.iter().zip(&previous).take_while(|(a, b)| a == b);
        let shared = same.count().min(MAX_SHARED);
        out.write_all(&[shared as u8])?;
        out.write_all(&bytes[shared..])?;
        std::mem::swap(&mut bytes, &mut previous);
        len += 1;
    }
    let mut file = out.into_inner().map_err(|e| e.into_error())?;
    file.seek(SeekFrom::Start(0))?;
    Ok(Run { file, len, level })
}

/// Collects records, spilling sorted runs to disk when the buffer is full.
pub struct Sorter<R: Record> {
    dir: PathBuf,
    capacity: usize,
    buffer: Vec<R>,
    runs: Vec<Run>,
    len: u64,
    spilled: usize,
}

impl<R: Record> Sorter<R> {
    /// Runs go to unnamed temporary files in `dir` (tempfile::tempfile_in, so
    /// they vanish when dropped, on error and even on a crash); at most
    /// `buffer_bytes` of records (at least 1 record) are held before a run is
    /// sorted and written.
    pub fn new(dir: &Path, buffer_bytes: usize) -> Self {
        Sorter {
            dir: dir.to_path_buf(),
            capacity: (buffer_bytes / R::SIZE.max(1)).max(1),
            buffer: Vec::new(),
            runs: Vec::new(),
            len: 0,
            spilled: 0,
        }
    }

    pub fn push(&mut self, record: R) -> io::Result<()> {
        if self.buffer.len() >= self.capacity {
            self.spill()?;
        }
        // Grow by hand so that capacity never overshoots the byte budget.
        if self.buffer.len() == self.buffer.capacity() {
            let room = self.capacity - self.buffer.len();
            self.buffer
                .reserve_exact(self.buffer.len().max(1024).min(room));
        }
        self.buffer.push(record);
        self.len += 1;
        Ok(())
    }

    pub fn extend(&mut self, records: impl IntoIterator<Item = R>) -> io::Result<()> {
        records.into_iter().try_for_each(|r| self.push(r))
    }

    /// Records pushed so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Runs spilled from the buffer so far (intermediate merges not counted).
    pub fn runs(&self) -> usize {
        self.spilled
    }

    fn spill(&mut self) -> io::Result<()> {
        self.buffer.par_sort_unstable();
        let run = write_run(&self.dir, 0, self.buffer.iter().map(|&r| Ok(r)))?;
        self.buffer.clear();
        self.runs.push(run);
        self.spilled += 1;
        // Levels never increase along `runs`, so a full level is always the tail.
        while self.runs.len() >= FAN_IN {
            let tail = &self.runs[self.runs.len() - FAN_IN..];
            if tail.iter().any(|r| r.level != tail[0].level) {
                break;
            }
            self.merge_tail(FAN_IN, tail[0].level + 1)?;
        }
        Ok(())
    }

    /// Merges the last `n` runs into one run of the given level.
    fn merge_tail(&mut self, n: usize, level: u32) -> io::Result<()> {
        let tail = self.runs.split_off(self.runs.len() - n);
        let merge = Merge::new(tail.into_iter().map(Source::<R>::run).collect())?;
        let run = write_run(&self.dir, level, merge)?;
        self.runs.push(run);
        Ok(())
    }

    /// Sorts what is left and returns all records in ascending order
    /// (duplicates kept). With no runs on disk this is just the sorted
    /// buffer, no file I/O. Otherwise the rest of the buffer is written as
    /// one more run: the stream is read while later stages work, and a
    /// buffer held for it would add up to `buffer_bytes` to their memory.
    pub fn finish(mut self) -> io::Result<Sorted<R>> {
        self.buffer.par_sort_unstable();
        let len = self.len;
        let memory = std::mem::take(&mut self.buffer);
        if self.runs.is_empty() {
            return Ok(Sorted {
                inner: Inner::Memory(memory.into_iter()),
                len,
                left: len,
            });
        }
        // Leave room for the rest of the buffer as one more run.
        while self.runs.len() >= FAN_IN {
            let level = self.runs[self.runs.len() - FAN_IN].level;
            self.merge_tail(FAN_IN, level + 1)?;
        }
        if !memory.is_empty() {
            let rest = write_run(&self.dir, 0, memory.into_iter().map(Ok))?;
            self.runs.push(rest);
        }
        let sources: Vec<Source<R>> = self.runs.drain(..).map(Source::<R>::run).collect();
        let inner = Inner::Merge(Merge::new(sources)?);
        Ok(Sorted {
            inner,
            len,
            left: len,
        })
    }
}

/// One input of a merge: a run on disk, read front to back.
struct Source<R> {
    reader: BufReader<File>,
    left: u64,
    /// The record last read, whose leading bytes the next one may share.
    bytes: Vec<u8>,
    /// Bytes of the run read, and how many of those have been freed.
    read: u64,
    freed: u64,
    record: std::marker::PhantomData<R>,
}

/// A run being read gives back the disk space of what has been read in
/// steps of this many bytes.
const FREE_STEP: u64 = 256 << 10;

impl<R: Record> Source<R> {
    fn run(run: Run) -> Self {
        Source {
            reader: BufReader::with_capacity(READ_BUFFER, run.file),
            left: run.len,
            bytes: vec![0u8; R::SIZE],
            read: 0,
            freed: 0,
            record: std::marker::PhantomData,
        }
    }

    fn next(&mut self) -> io::Result<Option<R>> {
        if self.left == 0 {
            return Ok(None);
        }
        let mut shared = [0u8];
        self.reader.read_exact(&mut shared)?;
        let shared = shared[0] as usize;
        if shared > R::SIZE {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "sorted run: a record shares more bytes than it has",
            ));
        }
        self.reader.read_exact(&mut self.bytes[shared..])?;
        self.left -= 1;
        self.read += (1 + R::SIZE - shared) as u64;
        if self.read - self.freed >= FREE_STEP {
            self.freed = free_front(self.reader.get_ref(), self.freed, self.read);
        }
        Ok(Some(R::read_from(&self.bytes)))
    }
}

/// Frees the disk blocks of `file` in `from..to` (a part of a run already
/// read, never read again) and returns where the part given up ends: a run is
/// read once, front to back, so a merge holds on disk only what it has not
/// yet read, rather than every run it merges until the last record. Where
/// the filesystem cannot punch holes, nothing is freed and the run stays
/// whole until it is dropped, as it would without this; either way the
/// range is not tried again.
fn free_front(file: &File, from: u64, to: u64) -> u64 {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // Whole pages only; the part before `to` in the last page is freed
        // with the next step.
        let to = to & !4095;
        if to <= from {
            return from;
        }
        // SAFETY: fallocate on a file descriptor this process owns, over a
        // range of the file; it touches no memory of ours.
        // A failure (a filesystem without holes) is not retried for this
        // range: the run then keeps its blocks, as it would without this.
        unsafe {
            libc::fallocate(
                file.as_raw_fd(),
                libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
                from as libc::off_t,
                (to - from) as libc::off_t,
            );
        }
        to
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (file, from);
        to
    }
}

/// k-way merge: the heap holds the head of each source, ties broken by
/// source index so the output does not depend on heap internals. A read
/// error is held back until the record already popped has been yielded,
/// so the output is a sorted prefix, then the error, then nothing.
struct Merge<R> {
    sources: Vec<Source<R>>,
    heap: BinaryHeap<Reverse<(R, usize)>>,
    error: Option<io::Error>,
}

impl<R: Record> Merge<R> {
    fn new(mut sources: Vec<Source<R>>) -> io::Result<Self> {
        let mut heap = BinaryHeap::with_capacity(sources.len());
        for (i, source) in sources.iter_mut().enumerate() {
            if let Some(r) = source.next()? {
                heap.push(Reverse((r, i)));
            }
        }
        Ok(Merge {
            sources,
            heap,
            error: None,
        })
    }
}

impl<R: Record> Iterator for Merge<R> {
    type Item = io::Result<R>;
    fn next(&mut self) -> Option<io::Result<R>> {
        if let Some(e) = self.error.take() {
            return Some(Err(e));
        }
        let Reverse((record, i)) = self.heap.pop()?;
        match self.sources[i].next() {
            Ok(Some(r)) => self.heap.push(Reverse((r, i))),
            Ok(None) => {}
            Err(e) => {
                self.heap.clear();
                self.error = Some(e);
            }
        }
        Some(Ok(record))
    }
}

enum Inner<R> {
    Memory(std::vec::IntoIter<R>),
    Merge(Merge<R>),
    Failed,
}

/// All records in ascending order; after an `Err` it yields `None`.
pub struct Sorted<R> {
    inner: Inner<R>,
    len: u64,
    left: u64,
}

impl<R: Record> Sorted<R> {
    /// Total records, yielded or not.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl<R: Record> Iterator for Sorted<R> {
    type Item = io::Result<R>;
    fn next(&mut self) -> Option<io::Result<R>> {
        let item = match &mut self.inner {
            Inner::Memory(records) => records.next().map(Ok),
            Inner::Merge(merge) => merge.next(),
            Inner::Failed => None,
        };
        match &item {
            Some(Ok(_)) => self.left = self.left.saturating_sub(1),
            // Drops the run files at once; the stream is over.
            Some(Err(_)) => self.inner = Inner::Failed,
            None => {}
        }
        item
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        // Only a merge can fail, and then with one `Err` more than records.
        let left = usize::try_from(self.left).unwrap_or(usize::MAX);
        match self.inner {
            Inner::Memory(_) => (left, Some(left)),
            Inner::Merge(_) => (0, left.checked_add(1)),
            Inner::Failed => (0, Some(0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::SplitMix64;
    use std::os::unix::fs::FileExt;

    fn drain<R: Record>(sorter: Sorter<R>) -> Vec<R> {
        let sorted = sorter.finish().expect("finish");
        let len = sorted.len();
        let out: Vec<R> = sorted.collect::<io::Result<_>>().expect("read");
        assert_eq!(out.len() as u64, len);
        out
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_run_being_read_gives_back_the_disk_space_of_what_it_has_read() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let records = 6_000_000u64;
        let run = write_run(dir.path(), 0, (0..records).map(Ok)).unwrap();
        let file = run.file.try_clone().unwrap();
        let size = file.metadata().unwrap().len();
        let allocated = || file.metadata().unwrap().blocks() * 512;
        // Consecutive numbers share all but their last byte or two.
        assert!(size < records * 4, "{size} bytes");
        assert!(allocated() >= size, "{}", allocated());
        let mut source = Source::<u64>::run(run);
        for expected in 0..records - 1_000_000 {
            assert_eq!(source.next().unwrap(), Some(expected));
        }
        // Five sixths read: nearly all of it freed, over half the run.
        assert!(
            allocated() < size / 2,
            "{} of {size} bytes still allocated",
            allocated()
        );
        // What was not read is still there, whole.
        for expected in records - 1_000_000..records {
            assert_eq!(source.next().unwrap(), Some(expected));
        }
        assert_eq!(source.next().unwrap(), None);
    }

    #[test]
    fn spills_and_merges_u64() {
        let dir = tempfile::tempdir().unwrap();
        let mut rng = SplitMix64::new(7);
        let input: Vec<u64> = (0..10_000).map(|_| rng.next_u64()).collect();
        let mut sorter = Sorter::new(dir.path(), 64);
        sorter.extend(input.iter().copied()).unwrap();
        assert_eq!(sorter.len(), 10_000);
        assert!(sorter.runs() > FAN_IN, "runs: {}", sorter.runs());
        let mut expected = input;
        expected.sort();
        assert_eq!(drain(sorter), expected);
    }

    #[test]
    fn spills_and_merges_pairs_with_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        let mut rng = SplitMix64::new(11);
        let input: Vec<(u64, u32)> = (0..10_000)
            .map(|_| (rng.below(50), rng.below(4) as u32))
            .collect();
        let mut sorter = Sorter::new(dir.path(), 100);
        for &r in &input {
            sorter.push(r).unwrap();
        }
        assert!(sorter.runs() > 1);
        let mut expected = input;
        expected.sort();
        assert_eq!(drain(sorter), expected);
    }

    #[test]
    fn empty_sorter_yields_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let sorter: Sorter<u64> = Sorter::new(dir.path(), 64);
        assert!(sorter.is_empty());
        assert_eq!(sorter.runs(), 0);
        let sorted = sorter.finish().unwrap();
        assert_eq!(sorted.len(), 0);
        assert_eq!(sorted.count(), 0);
    }

    #[test]
    fn large_buffer_writes_no_run() {
        let dir = tempfile::tempdir().unwrap();
        let mut rng = SplitMix64::new(3);
        let input: Vec<u64> = (0..10_000).map(|_| rng.below(1000)).collect();
        let mut sorter = Sorter::new(dir.path(), 1 << 20);
        sorter.extend(input.iter().copied()).unwrap();
        assert_eq!(sorter.runs(), 0);
        let mut expected = input;
        expected.sort();
        assert_eq!(drain(sorter), expected);
    }

    #[test]
    fn one_record_buffer_still_sorts() {
        let dir = tempfile::tempdir().unwrap();
        let mut sorter = Sorter::new(dir.path(), 0);
        sorter.extend([5u64, 3, 9, 3, 1]).unwrap();
        assert_eq!(sorter.runs(), 4);
        assert_eq!(drain(sorter), [1, 3, 3, 5, 9]);
    }

    #[test]
    fn deep_cascade_keeps_few_runs_open() {
        let dir = tempfile::tempdir().unwrap();
        let mut rng = SplitMix64::new(5);
        let input: Vec<u64> = (0..20_000).map(|_| rng.below(5_000)).collect();
        let mut sorter = Sorter::new(dir.path(), 8);
        for &r in &input {
            sorter.push(r).unwrap();
            assert!(sorter.runs.len() < 3 * FAN_IN);
        }
        assert_eq!(sorter.runs(), 19_999);
        assert!(sorter.runs.len() >= FAN_IN, "finish must merge down first");
        let mut expected = input;
        expected.sort();
        assert_eq!(drain(sorter), expected);
    }

    #[test]
    fn sorted_pairs_take_half_their_fixed_size_in_a_run() {
        let dir = tempfile::tempdir().unwrap();
        let mut rng = SplitMix64::new(13);
        // Packed pairs of 100,000 documents, twenty partners each.
        let mut pairs: Vec<u64> = (0..2_000_000u64)
            .map(|i| (i / 20) << 32 | rng.below(100_000))
            .collect();
        pairs.sort_unstable();
        let run = write_run(dir.path(), 0, pairs.iter().map(|&p| Ok(p))).unwrap();
        let size = run.file.metadata().unwrap().len();
        assert!(size <= pairs.len() as u64 * 4, "{size} bytes");
        let mut source = Source::<u64>::run(run);
        for &p in &pairs {
            assert_eq!(source.next().unwrap(), Some(p));
        }
        assert_eq!(source.next().unwrap(), None);
    }

    #[test]
    fn a_run_claiming_more_shared_bytes_than_a_record_has_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let run = write_run(dir.path(), 0, [1u64, 2].into_iter().map(Ok)).unwrap();
        // The second record's count: after the first's count of 7 shared
        // (zero) bytes and its last byte.
        run.file.write_all_at(&[9], 2).unwrap();
        let mut source = Source::<u64>::run(run);
        assert_eq!(source.next().unwrap(), Some(1));
        let error = source.next().unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn truncated_run_yields_one_error_then_none() {
        let dir = tempfile::tempdir().unwrap();
        let mut run = write_run(dir.path(), 0, [1u64, 2, 3].into_iter().map(Ok)).unwrap();
        run.len = 5;
        let merge = Merge::new(vec![Source::<u64>::run(run)]).unwrap();
        let mut sorted = Sorted {
            inner: Inner::Merge(merge),
            len: 5,
            left: 5,
        };
        let ok: Vec<u64> = sorted.by_ref().take(3).map(|r| r.unwrap()).collect();
        assert_eq!(ok, [1, 2, 3]);
        assert!(sorted.next().unwrap().is_err());
        assert!(sorted.next().is_none());
    }

    #[test]
    fn run_files_leave_no_names_behind() {
        let dir = tempfile::tempdir().unwrap();
        let mut sorter = Sorter::new(dir.path(), 64);
        sorter.extend((0..5_000u64).rev()).unwrap();
        assert!(sorter.runs() > 1);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let out = drain(sorter);
        assert_eq!(out, (0..5_000).collect::<Vec<u64>>());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
