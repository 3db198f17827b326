//! Reading files named on the command line (`-` is stdin) and finding policies. Every
//! read is bounded (`--max-file-size`) and takes only regular files; every file read is
//! remembered, so that no output replaces an input of the same run.

use std::fs::Metadata;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use crate::load::read::{self, Bounded, ReadError};
use crate::load::ConfinedLoader;
use crate::{Diagnostics, RuleSet};

use super::{exit, fail, stderr_color, width};

/// How this run reads files, set once from the global options: `--root` for `extends`,
/// `--max-file-size` for every file read whole.
static OPTIONS: OnceLock<ConfinedLoader> = OnceLock::new();

pub(crate) fn configure(options: ConfinedLoader) {
    let _ = OPTIONS.set(options);
}

/// The loader of `extends` for this run.
pub(crate) fn policy_loader() -> ConfinedLoader {
    OPTIONS.get().cloned().unwrap_or_default()
}

/// A size in bytes, with an optional binary suffix: `1000`, `64K`, `64M`, `2G` (or `MiB`…).
pub(crate) fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let digits = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, suffix) = text.split_at(digits);
    let shift = match suffix.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return Err(format!("`{text}` is not a size: write bytes, or a number and K, M or G")),
    };
    let number: u64 = number.parse().map_err(|_| format!("`{text}` is not a size: it needs a whole number"))?;
    number
        .checked_mul(1 << shift)
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("`{text}` is not a size jifen can use (1 byte to 16 EiB)"))
}

/// (device, inode) of every file this run read.
static INPUTS: Mutex<Vec<(u64, u64)>> = Mutex::new(Vec::new());

#[cfg(unix)]
fn identity(metadata: &Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((metadata.dev(), metadata.ino()))
}

/// Elsewhere a file has no identity jifen reads: output = input is then not caught.
#[cfg(not(unix))]
fn identity(_: &Metadata) -> Option<(u64, u64)> {
    None
}

fn remember(metadata: &Metadata) {
    if let (Some(id), Ok(mut inputs)) = (identity(metadata), INPUTS.lock()) {
        inputs.push(id);
    }
}

/// Whether this run read the file `metadata` describes.
pub(crate) fn is_input(metadata: &Metadata) -> bool {
    identity(metadata).is_some_and(|id| INPUTS.lock().is_ok_and(|inputs| inputs.contains(&id)))
}

/// Read a file, or stdin for `-`. On failure, prints the error and returns the exit code.
pub(crate) fn read(path: &str) -> Result<String, u8> {
    read_with_metadata(path).map(|(text, _)| text)
}

/// [`read`], with the file's metadata (none for stdin).
pub(crate) fn read_with_metadata(path: &str) -> Result<(String, Option<Metadata>), u8> {
    read_file(path).map_err(|e| {
        report(&e);
        exit::IO
    })
}

/// Read a file (or stdin for `-`) within the limit, as text; nothing printed.
pub(crate) fn read_file(path: &str) -> Result<(String, Option<Metadata>), ReadError> {
    let limit = policy_loader().max_file_size;
    if path == "-" {
        let bytes = read::read_bounded(std::io::stdin().lock(), limit, 0).map_err(|e| match e {
            Bounded::Io(source) => ReadError::Io { path: "standard input".into(), source },
            Bounded::TooLarge => ReadError::TooLarge { path: "standard input".into(), limit },
        })?;
        return Ok((read::utf8(bytes, path)?, None));
    }
    let (text, metadata) = read::read_text(Path::new(path), limit)?;
    remember(&metadata);
    Ok((text, Some(metadata)))
}

/// Open a file to stream from (stdin for `-`), with its size when known: only a regular
/// file, so that `/dev/zero` or a FIFO is refused rather than read for ever.
pub(crate) fn open_stream(path: &str) -> Result<(Box<dyn Read + Send>, Option<u64>), u8> {
    if path == "-" {
        return Ok((Box::new(std::io::stdin()), None));
    }
    let (file, metadata) = read::open_regular(Path::new(path)).map_err(|e| {
        report(&e);
        exit::IO
    })?;
    remember(&metadata);
    Ok((Box::new(file), Some(metadata.len())))
}

/// Print why a file could not be read, with what to do about it.
pub(crate) fn report(e: &ReadError) {
    fail(&e.to_string(), Some(help(e)));
}

/// What to do about a file that could not be read.
pub(crate) fn help(e: &ReadError) -> &'static str {
    match e {
        ReadError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            "check the path; use `-` to read from standard input"
        }
        ReadError::Io { .. } => "check that the file can be read",
        ReadError::NotAFile { .. } => "name a regular file; use `-` to read from standard input",
        ReadError::TooLarge { .. } => "raise the limit with --max-file-size SIZE or JIFEN_MAX_FILE_SIZE",
        ReadError::NotUtf8 { .. } | ReadError::OtherEncoding { .. } => {
            "save the file as UTF-8 (in Notepad: File > Save As, Encoding: UTF-8)"
        }
    }
}

pub(crate) fn io_reason(e: &std::io::Error) -> String {
    read::reason(e)
}

/// Expand folders into the `.policy` files they hold (sorted), keep files as given.
pub(crate) fn policy_paths(paths: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for p in paths {
        let path = Path::new(p);
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map(|rd| {
                    rd.filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| p.extension().is_some_and(|x| x == "policy"))
                        .collect()
                })
                .unwrap_or_default();
            found.sort();
            out.extend(found.into_iter().map(|p| p.to_string_lossy().to_string()));
        } else {
            out.push(p.clone());
        }
    }
    out
}

/// Compile the policy named by `--policy`, or the bundled 2025 policy. Diagnostics are
/// printed to stderr; the error value is the exit code.
pub(crate) fn load_policy(path: Option<&str>) -> Result<RuleSet, u8> {
    let result = match path {
        None => crate::bundled_policy(),
        Some(p) => {
            let text = read(p)?;
            let report = crate::check_with(p, &text, &policy_loader());
            report.ruleset.ok_or(report.diagnostics)
        }
    };
    result.map_err(|diagnostics: Diagnostics| {
        stderr_text!("{}", diagnostics.render_human(stderr_color(), width()));
        fail(
            &format!("the policy does not compile ({} error(s))", diagnostics.error_count()),
            Some("run `jifen check` on it and fix the errors above"),
        );
        exit::POLICY
    })
}
