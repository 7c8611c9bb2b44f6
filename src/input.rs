//! Input stage: stream `(id, text)` records from files, folders and standard
//! input, decompressing `.gz` and `.zst` on the way.
//!
//! Readers call a sink once per document, in a fixed order (inputs in the
//! order given, folder entries sorted by name, records in file order), so the
//! rest of the pipeline sees the same sequence on every run.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use crate::error::{Error, Origin, Result};

/// One input document.
#[derive(Clone, Debug)]
pub struct Document {
    pub id: String,
    pub text: String,
    pub origin: Origin,
    /// The record as read, kept only with [`InputOptions::keep_raw`] (for
    /// `--dedup-out`, which copies records through unchanged).
    pub raw: Option<Raw>,
}

/// A record as it was in the input.
#[derive(Clone, Debug)]
pub enum Raw {
    /// A JSONL line, without its line ending.
    Line(String),
    /// A CSV row with its file's header.
    CsvRow {
        header: std::sync::Arc<csv::StringRecord>,
        row: csv::StringRecord,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Csv,
    Text,
}

impl Format {
    /// The format a file name implies, ignoring a trailing `.gz` or `.zst`.
    pub fn from_name(name: &str) -> Option<Format> {
        let lower = name.to_ascii_lowercase();
        let base = lower
            .strip_suffix(".gz")
            .or_else(|| lower.strip_suffix(".zst"))
            .unwrap_or(&lower);
        let ext = base.rsplit_once('.').map(|(_, e)| e)?;
        match ext {
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            "csv" => Some(Format::Csv),
            "txt" | "md" => Some(Format::Text),
            _ => None,
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "jsonl" => Ok(Format::Jsonl),
            "csv" => Ok(Format::Csv),
            "text" => Ok(Format::Text),
            other => Err(format!(
                "unknown format {other:?} (expected jsonl, csv or text)"
            )),
        }
    }
}

#[derive(Clone, Debug)]
pub struct InputOptions {
    /// Overrides detection from file names (and is the format of `-`).
    pub format: Option<Format>,
    pub id_field: String,
    pub text_field: String,
    /// Skip records that cannot be used (and list them) instead of stopping.
    pub skip_bad: bool,
    /// Keep each record as read in [`Document::raw`].
    pub keep_raw: bool,
    /// A folder never read as input, absolute with links resolved: the
    /// reports' own (`destination::check`), so `storydup scan .` does not
    /// read its last run's reports.
    pub skip_folder: Option<std::path::PathBuf>,
    /// The most bytes one record (a JSONL line, a CSV row, a text file) may
    /// hold after decompression: a bound on memory whatever the input (a
    /// small compressed file can expand to gigabytes).
    pub max_record_bytes: u64,
}

/// Records are at most this big by default: a long book is a few MB.
pub const MAX_RECORD_MB: u64 = 64;

fn too_large(limit: u64) -> String {
    format!(
        "record larger than {} MB (--max-doc-mb)",
        limit.div_ceil(1 << 20)
    )
}

impl Default for InputOptions {
    fn default() -> Self {
        InputOptions {
            format: None,
            id_field: "id".into(),
            text_field: "text".into(),
            skip_bad: false,
            keep_raw: false,
            skip_folder: None,
            max_record_bytes: MAX_RECORD_MB << 20,
        }
    }
}

/// What the readers saw besides documents.
#[derive(Clone, Debug, Default)]
pub struct InputStats {
    pub files: u64,
    /// Folder entries whose names imply no known format (reported, not read).
    pub ignored_files: Vec<String>,
    pub bytes: u64,
    /// Records skipped under [`InputOptions::skip_bad`], in reading order.
    pub skipped: Vec<Skipped>,
}

/// A record left out, where it was and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub origin: Origin,
    pub reason: String,
}

impl Skipped {
    /// The skip for a record-level error; `None` for errors that stop a run
    /// (unreadable files, broken compressed streams, usage errors).
    fn of(error: &Error) -> Option<Skipped> {
        match error {
            Error::Record { origin, message } => Some(Skipped {
                origin: origin.clone(),
                reason: message.clone(),
            }),
            Error::DuplicateId { id, first, second } => Some(Skipped {
                origin: second.clone(),
                reason: format!("duplicate id {id:?} (first at {first})"),
            }),
            _ => None,
        }
    }
}

/// Hands a parsed record to `sink`; with `skip_bad`, a record that cannot be
/// parsed or that the sink refuses (a duplicate id) is listed and skipped.
fn deliver(
    record: Result<Document>,
    options: &InputOptions,
    stats: &mut InputStats,
    sink: &mut dyn FnMut(Document) -> Result<()>,
) -> Result<()> {
    let outcome = record.and_then(sink);
    match outcome {
        Err(error) if options.skip_bad => match Skipped::of(&error) {
            Some(skipped) => {
                stats.skipped.push(skipped);
                Ok(())
            }
            None => Err(error),
        },
        other => other,
    }
}

/// Reads every input and hands each document to `sink`, in a stable order.
pub fn read_documents(
    inputs: &[String],
    options: &InputOptions,
    sink: &mut dyn FnMut(Document) -> Result<()>,
) -> Result<InputStats> {
    let mut stats = InputStats::default();
    for input in inputs {
        if input == "-" {
            let format = options.format.unwrap_or(Format::Jsonl);
            if format == Format::Text {
                let mut text = String::new();
                io::stdin()
                    .lock()
                    .take(options.max_record_bytes + 1)
                    .read_to_string(&mut text)
                    .map_err(|e| Error::file("-", format!("cannot read standard input: {e}")))?;
                if text.len() as u64 > options.max_record_bytes {
                    return Err(Error::file("-", too_large(options.max_record_bytes)));
                }
                stats.bytes += text.len() as u64;
                sink(Document {
                    id: "-".into(),
                    text,
                    origin: Origin {
                        path: "-".into(),
                        line: 0,
                    },
                    raw: None,
                })?;
            } else {
                let reader = BufReader::with_capacity(1 << 20, io::stdin().lock());
                read_records(reader, "-", format, options, &mut stats, sink)?;
            }
            stats.files += 1;
            continue;
        }
        let path = Path::new(input);
        let meta = std::fs::metadata(path).map_err(|e| Error::file(path, describe_io(&e)))?;
        if meta.is_dir() {
            read_folder(path, options, &mut stats, sink)?;
        } else {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| input.clone());
            let format = options
                .format
                .or_else(|| Format::from_name(&name))
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "{input}: cannot tell the format from the name; use --format jsonl|csv|text"
                    ))
                })?;
            read_file(path, &name, format, options, &mut stats, sink)?;
        }
    }
    Ok(stats)
}

fn read_folder(
    root: &Path,
    options: &InputOptions,
    stats: &mut InputStats,
    sink: &mut dyn FnMut(Document) -> Result<()>,
) -> Result<()> {
    let skipped = |entry: &walkdir::DirEntry| {
        entry.file_type().is_dir()
            && options
                .skip_folder
                .as_ref()
                .is_some_and(|skip| entry.path().canonicalize().is_ok_and(|p| p == *skip))
    };
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| !skipped(e));
    for entry in walker {
        let entry = entry.map_err(|e| {
            let path = e.path().unwrap_or(root).to_path_buf();
            Error::file(&path, e)
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let relative = entry.path().strip_prefix(root).unwrap_or(entry.path());
        let id = relative_id(relative);
        let name = entry.file_name().to_string_lossy().into_owned();
        match options.format.or_else(|| Format::from_name(&name)) {
            Some(format) => read_file(entry.path(), &id, format, options, stats, sink)?,
            None => stats.ignored_files.push(entry.path().display().to_string()),
        }
    }
    Ok(())
}

/// Whether `path` is a pipe, socket or device rather than a file: it can be
/// read only once (a named pipe, `<(...)`), so nothing may read it again.
pub fn is_stream(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        std::fs::metadata(path).is_ok_and(|m| {
            let t = m.file_type();
            t.is_fifo() || t.is_socket() || t.is_char_device()
        })
    }
    #[cfg(not(unix))]
    {
        std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
    }
}

/// A folder-relative path with `/` separators, the id of a plain-text
/// document. Lossless, so two files never share an id: a byte that is not
/// UTF-8 becomes `\xHH` (two hex digits), and a backslash `\\`.
fn relative_id(relative: &Path) -> String {
    relative
        .components()
        .map(|c| escaped_name(c.as_os_str()))
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(unix)]
fn escaped_name(name: &std::ffi::OsStr) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut out = String::new();
    for chunk in name.as_bytes().utf8_chunks() {
        out.push_str(&chunk.valid().replace('\\', "\\\\"));
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    out
}

#[cfg(not(unix))]
fn escaped_name(name: &std::ffi::OsStr) -> String {
    name.to_string_lossy().replace('\\', "\\\\")
}

fn read_file(
    path: &Path,
    text_id: &str,
    format: Format,
    options: &InputOptions,
    stats: &mut InputStats,
    sink: &mut dyn FnMut(Document) -> Result<()>,
) -> Result<()> {
    let shown = path.display().to_string();
    let reader = open(path)?;
    stats.files += 1;
    match format {
        Format::Text => {
            let record =
                read_text_file(reader, &shown, options.max_record_bytes).map(|text| Document {
                    id: text_id.to_string(),
                    text,
                    origin: Origin {
                        path: shown.clone(),
                        line: 0,
                    },
                    raw: None,
                });
            if let Ok(doc) = &record {
                stats.bytes += doc.text.len() as u64;
            }
            deliver(record, options, stats, sink)
        }
        _ => read_records(reader, &shown, format, options, stats, sink),
    }
}

/// Reads the records of one already opened source (a file's contents, a
/// buffer), naming it `shown` in errors: what the fuzz targets drive.
pub fn read_from(
    reader: impl BufRead + 'static,
    shown: &str,
    format: Format,
    options: &InputOptions,
    sink: &mut dyn FnMut(Document) -> Result<()>,
) -> Result<InputStats> {
    let mut stats = InputStats::default();
    match format {
        Format::Text => {
            let record =
                read_text_file(Box::new(reader), shown, options.max_record_bytes).map(|text| {
                    Document {
                        id: shown.to_string(),
                        text,
                        origin: Origin {
                            path: shown.to_string(),
                            line: 0,
                        },
                        raw: None,
                    }
                });
            deliver(record, options, &mut stats, sink)?;
        }
        _ => read_records(reader, shown, format, options, &mut stats, sink)?,
    }
    Ok(stats)
}

/// Opens a file, decompressing by its suffix.
pub fn open(path: &Path) -> Result<Box<dyn BufRead>> {
    let file = File::open(path).map_err(|e| Error::file(path, describe_io(&e)))?;
    let name = path.to_string_lossy().to_ascii_lowercase();
    let raw: Box<dyn Read> = if name.ends_with(".gz") {
        Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(file)))
    } else if name.ends_with(".zst") {
        Box::new(
            zstd::Decoder::new(file)
                .map_err(|e| Error::file(path, format!("cannot start zstd decoding: {e}")))?,
        )
    } else {
        Box::new(file)
    };
    Ok(Box::new(BufReader::with_capacity(1 << 20, raw)))
}

fn describe_io(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or folder".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

fn read_text_file(reader: Box<dyn BufRead>, shown: &str, limit: u64) -> Result<String> {
    let mut bytes = Vec::new();
    reader
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::file(shown, format!("cannot read: {e}")))?;
    if bytes.len() as u64 > limit {
        return Err(Error::record(
            Origin {
                path: shown.into(),
                line: 1,
            },
            too_large(limit),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let line = 1 + e.as_bytes()[..valid]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        Error::record(
            Origin {
                path: shown.into(),
                line,
            },
            "invalid UTF-8",
        )
    })
}

fn read_records(
    reader: impl BufRead,
    shown: &str,
    format: Format,
    options: &InputOptions,
    stats: &mut InputStats,
    sink: &mut dyn FnMut(Document) -> Result<()>,
) -> Result<()> {
    match format {
        Format::Jsonl => read_jsonl(reader, shown, options, stats, sink),
        Format::Csv => read_csv(reader, shown, options, stats, sink),
        Format::Text => unreachable!("plain text is read whole"),
    }
}

fn read_jsonl(
    mut reader: impl BufRead,
    shown: &str,
    options: &InputOptions,
    stats: &mut InputStats,
    sink: &mut dyn FnMut(Document) -> Result<()>,
) -> Result<()> {
    let mut line = Vec::new();
    let mut line_no = 0u64;
    loop {
        line.clear();
        let origin = |line_no| Origin {
            path: shown.to_string(),
            line: line_no,
        };
        let limit = options.max_record_bytes;
        let n = (&mut reader)
            .take(limit + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::record(origin(line_no + 1), format!("cannot read: {e}")))?;
        if n == 0 {
            return Ok(());
        }
        line_no += 1;
        stats.bytes += n as u64;
        if n as u64 > limit && line.last() != Some(&b'\n') {
            // Too long: the rest of the line is read past, not kept.
            stats.bytes += skip_line(&mut reader)
                .map_err(|e| Error::record(origin(line_no), format!("cannot read: {e}")))?;
            deliver(
                Err(Error::record(origin(line_no), too_large(limit))),
                options,
                stats,
                sink,
            )?;
            continue;
        }
        // A UTF-8 byte order mark before the first record is not part of the
        // JSON (files saved by some Windows tools start with one).
        let bom = if line_no == 1 && line.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        let bytes = &line[bom..];
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        deliver(
            parse_json_record(bytes, bom, options, origin(line_no)),
            options,
            stats,
            sink,
        )?;
    }
}

/// Reads up to and including the next newline without keeping it; returns
/// the bytes read.
fn skip_line(reader: &mut impl BufRead) -> io::Result<u64> {
    let mut skipped = 0u64;
    loop {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            return Ok(skipped);
        }
        let (used, done) = match buffer.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buffer.len(), false),
        };
        reader.consume(used);
        skipped += used as u64;
        if done {
            return Ok(skipped);
        }
    }
}

/// A JSONL line without its line ending (the bytes are valid UTF-8).
fn text_line(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes)
        .unwrap_or_default()
        .trim_end_matches(['\n', '\r'])
}

/// One JSONL line as a document (the id copied, the text moved out).
fn parse_json_record(
    bytes: &[u8],
    bom: usize,
    options: &InputOptions,
    origin: Origin,
) -> Result<Document> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let message = format!("invalid UTF-8 at byte {}", bom + e.valid_up_to() + 1);
            return Err(Error::record(origin, message));
        }
    };
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(e) => return Err(Error::record(origin, format!("malformed JSON: {e}"))),
    };
    let serde_json::Value::Object(mut object) = value else {
        return Err(Error::record(origin, "not a JSON object"));
    };
    // The id is copied (it is short and may also be the text field); the
    // text is moved out, so a large document is never copied.
    let id = match string_field(object.get(&options.id_field), &options.id_field) {
        Ok(id) => id.to_string(),
        Err(message) => return Err(Error::record(origin, message)),
    };
    let text = match object.remove(&options.text_field) {
        Some(serde_json::Value::String(s)) => s,
        other => {
            let message = string_field(other.as_ref(), &options.text_field)
                .err()
                .unwrap_or_default();
            return Err(Error::record(origin, message));
        }
    };
    let raw = options
        .keep_raw
        .then(|| Raw::Line(text_line(bytes).to_string()));
    Ok(Document {
        id,
        text,
        origin,
        raw,
    })
}

fn string_field<'a>(value: Option<&'a serde_json::Value>, name: &str) -> Result<&'a str, String> {
    match value {
        Some(serde_json::Value::String(s)) => Ok(s),
        Some(other) => Err(format!(
            "field {name:?} is not a string (found {})",
            kind_of(other)
        )),
        None => Err(format!("missing field {name:?}")),
    }
}

fn kind_of(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

fn read_csv(
    reader: impl BufRead,
    shown: &str,
    options: &InputOptions,
    stats: &mut InputStats,
    sink: &mut dyn FnMut(Document) -> Result<()>,
) -> Result<()> {
    // The bytes read so far and where the last whole record ended: the
    // reader refuses to run more than the limit past it.
    let read = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let record_end = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let capped = Capped {
        inner: reader,
        read: read.clone(),
        record_end: record_end.clone(),
        limit: options.max_record_bytes,
    };
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(capped);
    let mut last_line = 1u64;
    let csv_error = |e: csv::Error, last_line: u64| {
        let line = e.position().map(|p| p.line()).unwrap_or(last_line + 1);
        let message = match e.kind() {
            csv::ErrorKind::Io(io) if io.kind() == io::ErrorKind::FileTooLarge => {
                too_large(options.max_record_bytes)
            }
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => format!("expected {expected_len} fields, found {len}"),
            csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".to_string(),
            _ => format!("cannot read CSV: {e}"),
        };
        Error::record(
            Origin {
                path: shown.to_string(),
                line,
            },
            message,
        )
    };
    let headers = csv.headers().map_err(|e| csv_error(e, 0))?.clone();
    record_end.set(csv.position().byte());
    let header = std::sync::Arc::new(headers.clone());
    let column = |name: &str| {
        headers.iter().position(|h| h == name).ok_or_else(|| {
            Error::record(
                Origin {
                    path: shown.to_string(),
                    line: 1,
                },
                format!("no column {name:?} in the header"),
            )
        })
    };
    let id_col = column(&options.id_field)?;
    let text_col = column(&options.text_field)?;
    let mut record = csv::StringRecord::new();
    loop {
        match csv.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                record_end.set(csv.position().byte());
                let line = record.position().map(|p| p.line()).unwrap_or(0);
                last_line = line;
                stats.bytes += record.as_slice().len() as u64;
                let doc = Document {
                    id: record[id_col].to_string(),
                    text: record[text_col].to_string(),
                    origin: Origin {
                        path: shown.to_string(),
                        line,
                    },
                    raw: options.keep_raw.then(|| Raw::CsvRow {
                        header: header.clone(),
                        row: record.clone(),
                    }),
                };
                deliver(Ok(doc), options, stats, sink)?;
            }
            // A row of the wrong width or with invalid UTF-8 is one bad
            // record: the reader can go on after it.
            Err(e)
                if matches!(
                    e.kind(),
                    csv::ErrorKind::UnequalLengths { .. } | csv::ErrorKind::Utf8 { .. }
                ) =>
            {
                record_end.set(csv.position().byte());
                deliver(Err(csv_error(e, last_line)), options, stats, sink)?
            }
            Err(e) => return Err(csv_error(e, last_line)),
        }
    }
}

/// A reader that fails (`FileTooLarge`) once it runs more than `limit`
/// bytes, plus a buffer's worth, past the end of the last whole record: the
/// CSV reader would otherwise hold a record of any size in memory.
struct Capped<R> {
    inner: R,
    read: std::rc::Rc<std::cell::Cell<u64>>,
    record_end: std::rc::Rc<std::cell::Cell<u64>>,
    limit: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        const SLACK: u64 = 1 << 16;
        if self.read.get() > self.record_end.get() + self.limit + SLACK {
            return Err(io::Error::new(
                io::ErrorKind::FileTooLarge,
                "record too large",
            ));
        }
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

/// Reads the inputs a second time, handing `sink` the same documents with
/// the same positions as a scan of `expected` documents received: a record
/// whose id came before is left out, as the scan's duplicate check left it
/// out (`--skip-bad`; without it the scan stopped). Inputs that changed in
/// between are an error.
pub fn read_again(
    inputs: &[String],
    options: &InputOptions,
    expected: usize,
    sink: &mut dyn FnMut(u32, Document) -> Result<()>,
) -> Result<()> {
    let mut seen: rustc_hash::FxHashSet<u64> = Default::default();
    let mut position = 0u32;
    read_documents(inputs, options, &mut |doc| {
        if !seen.insert(crate::hash::hash_bytes(doc.id.as_bytes())) {
            return Ok(());
        }
        position += 1;
        sink(position - 1, doc)
    })?;
    if position as usize != expected {
        return Err(Error::file(
            inputs.join(" "),
            format!(
                "the inputs changed during the run: {position} documents now, {expected} before"
            ),
        ));
    }
    Ok(())
}

/// Reads every document into memory, rejecting duplicate ids.
pub fn read_all(inputs: &[String], options: &InputOptions) -> Result<(Vec<Document>, InputStats)> {
    let mut documents = Vec::new();
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let stats = read_documents(inputs, options, &mut |doc| {
        if let Some(&first) = seen.get(&doc.id) {
            let first: &Document = &documents[first];
            return Err(Error::DuplicateId {
                id: doc.id,
                first: first.origin.clone(),
                second: doc.origin,
            });
        }
        seen.insert(doc.id.clone(), documents.len());
        documents.push(doc);
        Ok(())
    })?;
    Ok((documents, stats))
}
