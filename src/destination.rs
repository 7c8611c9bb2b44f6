//! Where a scan writes, checked before it reads a byte of input: a report
//! folder that cannot be written, or a `--dedup-out` that would replace an
//! input or a report, would otherwise surface only after the whole scan, or
//! cost the user an input.

use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

use crate::report::REPORT_FILES;

/// Checks the report folder `out` and the `--dedup-out` file against each
/// other and the inputs, writing nothing. Returns `out` as an absolute path
/// with links resolved, which folder walks skip so the reports are never
/// read as input.
pub fn check(inputs: &[String], out: &Path, dedup_out: Option<&Path>) -> Result<PathBuf> {
    check_folder("--out", out)?;
    let out_resolved = resolved(out)?;
    let Some(dedup) = dedup_out else {
        return Ok(out_resolved);
    };
    crate::dedup::check_name(dedup)?;
    if dedup.is_dir() {
        return usage(format!("--dedup-out {}: is a folder", dedup.display()));
    }
    let parent = match dedup.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    check_folder("--dedup-out", parent)?;
    let dedup_resolved = resolved(dedup)?;
    let name = dedup_resolved
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if dedup_resolved.parent() == Some(out_resolved.as_path()) && REPORT_FILES.contains(&&*name) {
        return usage(format!(
            "--dedup-out {} is the report {name} of --out {}: name another file",
            dedup.display(),
            out.display()
        ));
    }
    for input in inputs.iter().filter(|i| *i != "-") {
        let path = Path::new(input);
        if same_file(path, dedup) {
            return usage(format!(
                "--dedup-out {} is the input {input}: it would be replaced; name another file",
                dedup.display()
            ));
        }
        if path.is_dir()
            && let Ok(folder) = path.canonicalize()
            && dedup_resolved.starts_with(&folder)
            && !dedup_resolved.starts_with(&out_resolved)
        {
            return usage(format!(
                "--dedup-out {} is inside the input folder {input}, so it would be read as input; \
                 write it elsewhere (or inside --out, which is never read)",
                dedup.display()
            ));
        }
    }
    Ok(out_resolved)
}

fn usage(message: String) -> Result<PathBuf> {
    Err(Error::Usage(message))
}

/// `path` is a folder this process can write in, or can be created as one:
/// its nearest existing ancestor is a writable folder.
fn check_folder(option: &str, path: &Path) -> Result<()> {
    let mut existing = path;
    loop {
        match std::fs::metadata(existing) {
            Ok(meta) if meta.is_dir() => break,
            Ok(_) => {
                return Err(Error::Usage(format!(
                    "{option} {}: {} exists and is not a folder",
                    path.display(),
                    existing.display()
                )));
            }
            // Missing, or under a file (which the next step up finds).
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                existing = match existing.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p,
                    _ => Path::new("."),
                };
            }
            Err(e) => return Err(Error::file(existing, e)),
        }
    }
    // An unnamed file (O_TMPFILE where the system has it): nothing is left.
    tempfile::tempfile_in(existing).map(drop).map_err(|e| {
        Error::file(
            existing,
            format!("{option}: cannot write in this folder: {e}"),
        )
    })
}

/// `path` made absolute with its existing part's links resolved (the rest,
/// not yet created, appended as written).
fn resolved(path: &Path) -> Result<PathBuf> {
    let absolute = std::path::absolute(path).map_err(|e| Error::file(path, e))?;
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            let mut out = real;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return Ok(lexically_normal(&out));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return Ok(lexically_normal(&absolute)),
        }
    }
}

/// `a/./b/../c` as `a/c`, without touching the file system.
fn lexically_normal(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Both exist and are one file (device and inode), whatever the names.
#[cfg(unix)]
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(a: &Path, b: &Path) -> bool {
    matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolved_paths_are_absolute_and_normal_even_when_missing() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().canonicalize().unwrap();
        let missing = dir.path().join("a/./b/../c");
        assert_eq!(resolved(&missing).unwrap(), real.join("a/c"));
        assert_eq!(resolved(dir.path()).unwrap(), real);
    }

    #[test]
    fn a_folder_under_a_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, "x").unwrap();
        assert!(check_folder("--out", &file.join("sub")).is_err());
        assert!(check_folder("--out", &dir.path().join("new/sub")).is_ok());
    }
}
