//! Deduplicated output: the input records minus duplicates, one
//! representative kept per cluster, for users who want a clean corpus
//! (LLM training data) rather than a report.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};
use crate::input::{Document, InputOptions, Raw, read_again};

/// Which member of a cluster stays.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Keep {
    /// The first in input order: usually the original, rewrites come later.
    #[default]
    Earliest,
    /// The longest text (ties: the earliest): the fullest telling.
    Longest,
}

impl std::str::FromStr for Keep {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "earliest" => Ok(Keep::Earliest),
            "longest" => Ok(Keep::Longest),
            _ => Err(format!("unknown rule {s:?} (expected earliest or longest)")),
        }
    }
}

/// For each document (by input position), whether it is dropped: every
/// member of a cluster but its representative. `lengths` are text lengths.
pub fn dropped(n: usize, clusters: &[Vec<u32>], keep: Keep, lengths: &[u32]) -> Vec<bool> {
    let mut dropped = vec![false; n];
    for members in clusters.iter().filter(|c| c.len() > 1) {
        let representative = match keep {
            Keep::Earliest => members.iter().copied().min(),
            Keep::Longest => members
                .iter()
                .copied()
                .max_by_key(|&d| (lengths[d as usize], std::cmp::Reverse(d))),
        };
        for &doc in members {
            dropped[doc as usize] = Some(doc) != representative;
        }
    }
    dropped
}

/// What `--dedup-out` wrote.
#[derive(Clone, Debug, Default)]
pub struct DedupStats {
    pub kept: u64,
    pub dropped: u64,
}

/// Output shapes, from the file name: `.jsonl`/`.ndjson` or `.csv`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Jsonl,
    Csv,
}

/// Reads the inputs again (as the scan did, so the n-th document is the same)
/// and writes those not dropped to `path`, staged for `report::commit`. JSONL lines and CSV rows
/// are copied unchanged when the output has their format (CSV rows under the
/// first CSV header met); anything else becomes `{"id", "text"}` (JSONL) or
/// fills the id and text columns (CSV).
pub fn write(
    inputs: &[String],
    options: &InputOptions,
    dropped: &[bool],
    path: &Path,
) -> Result<(DedupStats, crate::report::Staged)> {
    let shape = shape_of(path)?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::file(&dir, format!("cannot create the folder: {e}")))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| Error::Usage(format!("--dedup-out {}: not a file name", path.display())))?;
    let options = InputOptions {
        keep_raw: true,
        ..options.clone()
    };
    let mut stats = DedupStats::default();
    let mut outcome: Result<()> = Ok(());
    let staged = crate::report::stage(&dir, &name, |out| {
        let mut writer = RecordWriter::new(shape, out, &options);
        let read = read_again(inputs, &options, dropped.len(), &mut |position, doc| {
            if dropped[position as usize] {
                stats.dropped += 1;
                return Ok(());
            }
            stats.kept += 1;
            writer
                .write(&doc)
                .map_err(|e| Error::file(path, format!("cannot write: {e}")))
        });
        if let Err(e) = read {
            outcome = Err(e);
            return Err(std::io::Error::other("reading the inputs again failed"));
        }
        writer.finish()
    })
    .map_err(|e| match std::mem::replace(&mut outcome, Ok(())) {
        Err(first) => first,
        Ok(()) => e,
    })?;
    Ok((stats, staged))
}

/// Whether `path`'s name gives a format `--dedup-out` can write.
pub fn check_name(path: &Path) -> Result<()> {
    shape_of(path).map(drop)
}

fn shape_of(path: &Path) -> Result<Shape> {
    let name = path.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".jsonl") || name.ends_with(".ndjson") {
        Ok(Shape::Jsonl)
    } else if name.ends_with(".csv") {
        Ok(Shape::Csv)
    } else {
        Err(Error::Usage(format!(
            "--dedup-out {}: the name must end in .jsonl, .ndjson or .csv (it sets the format)",
            path.display()
        )))
    }
}

/// Where records go: plain lines, or a CSV writer once the header is known.
enum Out<'w> {
    Plain(&'w mut dyn Write),
    Csv(Box<(csv::Writer<&'w mut dyn Write>, csv::StringRecord)>),
    Taken,
}

struct RecordWriter<'w> {
    shape: Shape,
    out: Out<'w>,
    id_field: String,
    text_field: String,
}

impl<'w> RecordWriter<'w> {
    fn new(shape: Shape, out: &'w mut dyn Write, options: &InputOptions) -> Self {
        RecordWriter {
            shape,
            out: Out::Plain(out),
            id_field: options.id_field.clone(),
            text_field: options.text_field.clone(),
        }
    }

    fn write(&mut self, doc: &Document) -> std::io::Result<()> {
        if self.shape == Shape::Csv {
            return self.write_csv(doc);
        }
        let Out::Plain(out) = &mut self.out else {
            return Ok(());
        };
        match &doc.raw {
            Some(Raw::Line(line)) => writeln!(out, "{line}"),
            Some(Raw::CsvRow { header, row }) => {
                let object: serde_json::Map<String, serde_json::Value> = header
                    .iter()
                    .zip(row.iter())
                    .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.to_string())))
                    .collect();
                serde_json::to_writer(&mut **out, &object)?;
                writeln!(out)
            }
            None => {
                let mut object = serde_json::Map::new();
                object.insert(self.id_field.clone(), doc.id.clone().into());
                object.insert(self.text_field.clone(), doc.text.clone().into());
                serde_json::to_writer(&mut **out, &object)?;
                writeln!(out)
            }
        }
    }

    /// CSV rows under the header of the first CSV row met (or id and text).
    fn write_csv(&mut self, doc: &Document) -> std::io::Result<()> {
        if let Out::Plain(_) = self.out {
            let Out::Plain(out) = std::mem::replace(&mut self.out, Out::Taken) else {
                return Ok(());
            };
            let header = match &doc.raw {
                Some(Raw::CsvRow { header, .. }) => (**header).clone(),
                _ => {
                    csv::StringRecord::from(vec![self.id_field.as_str(), self.text_field.as_str()])
                }
            };
            let mut writer = csv::Writer::from_writer(out);
            writer.write_record(&header)?;
            self.out = Out::Csv(Box::new((writer, header)));
        }
        let Out::Csv(csv) = &mut self.out else {
            return Ok(());
        };
        let (writer, header) = &mut **csv;
        match &doc.raw {
            Some(Raw::CsvRow { header: h, row }) if **h == *header => writer.write_record(row)?,
            _ => {
                let row: Vec<&str> = header
                    .iter()
                    .map(|column| {
                        if column == self.id_field {
                            doc.id.as_str()
                        } else if column == self.text_field {
                            doc.text.as_str()
                        } else {
                            ""
                        }
                    })
                    .collect();
                writer.write_record(&row)?;
            }
        }
        Ok(())
    }

    fn finish(self) -> std::io::Result<()> {
        match self.out {
            Out::Plain(out) => out.flush(),
            Out::Csv(mut csv) => csv.0.flush(),
            Out::Taken => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_representative_stays_per_cluster() {
        let clusters = vec![vec![3, 1, 4], vec![0, 2], vec![5]];
        let lengths = [10, 50, 10, 20, 50, 1];
        let earliest = dropped(6, &clusters, Keep::Earliest, &lengths);
        assert_eq!(earliest, [false, false, true, true, true, false]);
        // Longest: 1 and 4 tie at 50, the earlier (1) stays; 0 and 2 tie too.
        let longest = dropped(6, &clusters, Keep::Longest, &lengths);
        assert_eq!(longest, [false, false, true, true, true, false]);
        let lengths = [10, 5, 90, 20, 50, 1];
        let longest = dropped(6, &clusters, Keep::Longest, &lengths);
        assert_eq!(longest, [true, true, false, true, false, false]);
    }
}
