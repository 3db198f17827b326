//! Every read of a policy or applicant file: only regular files, and never more than a
//! limit, so that `/dev/zero`, a FIFO or a huge file is an error and not a hang or an
//! exhausted memory.

use std::fs::{File, Metadata, OpenOptions};
use std::io::Read;
use std::path::Path;

/// Largest file read whole (a policy, an applicant) unless the caller raises it:
/// 64 MiB, three times the largest policy the limits tests compile.
pub(crate) const DEFAULT_MAX_FILE_SIZE: u64 = 64 << 20;

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read `{path}`: {}", reason(.source))]
    Io { path: String, source: std::io::Error },
    #[error("`{path}` is {kind}, not a file")]
    NotAFile { path: String, kind: &'static str },
    #[error("`{path}` is larger than the limit of {limit} bytes")]
    TooLarge { path: String, limit: u64 },
    #[error("`{path}` is not valid UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 { path: String, offset: usize },
    /// Not UTF-8, and reads cleanly as another encoding a Chinese editor saves in.
    #[error("`{path}` is not UTF-8; it looks like {encoding}: save it as UTF-8")]
    OtherEncoding { path: String, encoding: &'static str },
}

/// The reason of an I/O error in a few words.
pub(crate) fn reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

/// Open `path` for reading, refusing anything but a regular file (a folder, a device, a
/// FIFO, a socket). The open itself does not wait: a FIFO is opened non-blocking.
pub(crate) fn open_regular(path: &Path) -> Result<(File, Metadata), ReadError> {
    let shown = || path.display().to_string();
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options.open(path).map_err(|source| ReadError::Io { path: shown(), source })?;
    let metadata = file.metadata().map_err(|source| ReadError::Io { path: shown(), source })?;
    if !metadata.is_file() {
        return Err(ReadError::NotAFile { path: shown(), kind: kind_of(&metadata) });
    }
    Ok((file, metadata))
}

/// Read a regular file whole, at most `limit` bytes.
pub(crate) fn read_bytes(path: &Path, limit: u64) -> Result<(Vec<u8>, Metadata), ReadError> {
    let (file, metadata) = open_regular(path)?;
    if metadata.len() > limit {
        return Err(ReadError::TooLarge { path: path.display().to_string(), limit });
    }
    // The length can lie (files in /proc say 0) or grow while read: `take` bounds the read.
    let bytes = read_bounded(file, limit, metadata.len()).map_err(|e| match e {
        Bounded::Io(source) => ReadError::Io { path: path.display().to_string(), source },
        Bounded::TooLarge => ReadError::TooLarge { path: path.display().to_string(), limit },
    })?;
    Ok((bytes, metadata))
}

/// Read a regular file whole as UTF-8 text, at most `limit` bytes.
pub(crate) fn read_text(path: &Path, limit: u64) -> Result<(String, Metadata), ReadError> {
    let (bytes, metadata) = read_bytes(path, limit)?;
    let text = utf8(bytes, &path.display().to_string())?;
    Ok((text, metadata))
}

/// Bytes as text, or which byte is not UTF-8 (and the encoding the file seems saved in).
pub fn utf8(bytes: Vec<u8>, path: &str) -> Result<String, ReadError> {
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        match other_encoding(e.as_bytes()) {
            Some(encoding) => ReadError::OtherEncoding { path: path.to_string(), encoding },
            None => ReadError::NotUtf8 { path: path.to_string(), offset },
        }
    })
}

/// The encoding of text that is not UTF-8, when it can be named: UTF-16 (by its byte order
/// mark, as Notepad's "Unicode"), or GBK (GB18030, Windows' "ANSI" on Chinese systems) when
/// the bytes decode as GB18030 without error and hold Chinese characters.
fn other_encoding(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Some("UTF-16 (Notepad's \"Unicode\")");
    }
    let text = encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes)?;
    text.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c)).then_some("GBK (GB18030)")
}

/// Why [`read_bounded`] stopped.
#[derive(Debug)]
pub(crate) enum Bounded {
    Io(std::io::Error),
    TooLarge,
}

/// Read a stream to its end, failing once it passes `limit` bytes (`expected` sizes the
/// first allocation, itself bounded by the limit).
pub(crate) fn read_bounded(reader: impl Read, limit: u64, expected: u64) -> Result<Vec<u8>, Bounded> {
    let capacity = usize::try_from(expected.min(limit).saturating_add(1)).unwrap_or(0);
    let mut bytes = Vec::with_capacity(capacity);
    reader.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(Bounded::Io)?;
    if bytes.len() as u64 > limit {
        return Err(Bounded::TooLarge);
    }
    Ok(bytes)
}

/// What a non-regular file is, in words.
fn kind_of(metadata: &Metadata) -> &'static str {
    let kind = metadata.file_type();
    if kind.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_past_the_limit_is_too_large_and_one_at_it_is_read() {
        // 10 bytes against a limit of 9: one byte over; against 10: exactly at it.
        assert!(matches!(read_bounded(&b"0123456789"[..], 9, 0), Err(Bounded::TooLarge)));
        assert_eq!(read_bounded(&b"0123456789"[..], 10, 0).unwrap(), b"0123456789");
    }

    /// `年龄` saved by a Chinese Windows editor in its "ANSI" encoding, GBK: C4EA C1E4.
    #[test]
    fn gbk_text_is_named_and_other_bytes_are_not() {
        let gbk = b"item age \"\xC4\xEA\xC1\xE4\" {}\n".to_vec();
        let e = utf8(gbk, "a.policy").unwrap_err();
        assert_eq!(e.to_string(), "`a.policy` is not UTF-8; it looks like GBK (GB18030): save it as UTF-8");
        // 0xFF is never a byte of GB18030: no encoding to name, the offset is given.
        let e = utf8(b"ab\xFF".to_vec(), "b.policy").unwrap_err();
        assert_eq!(e.to_string(), "`b.policy` is not valid UTF-8 text (invalid byte at offset 2)");
        let e = utf8(b"\xFF\xFEa\x00".to_vec(), "c.policy").unwrap_err();
        assert!(e.to_string().contains("UTF-16"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn devices_and_folders_are_not_files() {
        // /dev/zero would be read for ever; a folder has no bytes to read.
        let e = read_bytes(Path::new("/dev/zero"), 10).unwrap_err();
        assert_eq!(e.to_string(), "`/dev/zero` is a character device, not a file");
        let e = read_bytes(Path::new("/"), 10).unwrap_err();
        assert_eq!(e.to_string(), "`/` is a folder, not a file");
    }
}
