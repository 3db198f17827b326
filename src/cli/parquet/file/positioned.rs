//! A Parquet file read at explicit offsets, for readers of several columns on several
//! threads at once.
//!
//! The `parquet` crate reads a `File` through clones of its handle, which share one file
//! offset: two column readers used on two threads would seek under each other. Here every
//! read names its offset (`pread`), and nothing is shared but the open file.

use std::fs::File;
use std::io::{BufReader, Read};
use std::sync::Arc;

use bytes::Bytes;
use parquet::errors::{ParquetError, Result};
use parquet::file::reader::{ChunkReader, Length};

use super::bounded;

/// An open Parquet file and its length when opened.
pub(super) struct PositionedFile {
    file: Arc<File>,
    len: u64,
}

impl PositionedFile {
    pub(super) fn new(file: File) -> std::io::Result<PositionedFile> {
        let len = file.metadata()?.len();
        Ok(PositionedFile { file: Arc::new(file), len })
    }

    /// Check the file's footer (its metadata, before the last 8 bytes: the metadata's
    /// length and `PAR1`) as [`bounded`] does, before the crate reads it. A file too short
    /// for a footer, or whose footer says it is longer than the file, is left to the crate
    /// to refuse.
    pub(super) fn check_footer(&self) -> std::result::Result<(), String> {
        let Some(tail_at) = self.len.checked_sub(8) else { return Ok(()) };
        let mut tail = [0u8; 8];
        let mut at = At { file: Arc::clone(&self.file), at: tail_at };
        if at.read_exact(&mut tail).is_err() {
            return Ok(());
        }
        let length = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
        let Some(start) = tail_at.checked_sub(length) else { return Ok(()) };
        let footer = At { file: Arc::clone(&self.file), at: start };
        bounded::check_footer(BufReader::new(footer), length).map_err(|why| format!("its footer: {why}"))
    }
}

impl Length for PositionedFile {
    fn len(&self) -> u64 {
        self.len
    }
}

impl ChunkReader for PositionedFile {
    type T = BufReader<At>;

    /// A reader from `start`. The crate reads each page's header through one: the header
    /// is checked first ([`bounded`]). Then the crate decompresses the page into as many
    /// bytes as the header says, zeroed first: a page that says it holds more than its
    /// compressed bytes can give is refused here, before that happens (a few bytes could
    /// otherwise make it allocate and fill 2 GiB).
    fn get_read(&self, start: u64) -> Result<Self::T> {
        // The crate reads the footer's last 8 bytes through a reader too: not a page header.
        if start.checked_add(8) == Some(self.len) {
            return Ok(BufReader::new(At { file: Arc::clone(&self.file), at: start }));
        }
        // A header is tens of bytes, unless it carries statistics: read a little at a time.
        let header = BufReader::with_capacity(512, At { file: Arc::clone(&self.file), at: start });
        bounded::check_struct(header, self.len.saturating_sub(start))
            .map_err(|why| ParquetError::General(format!("the header of a page at byte {start} is damaged: {why}")))?;
        let mut at = At { file: Arc::clone(&self.file), at: start };
        let mut head = [0u8; 32];
        let n = read_up_to(&mut at, &mut head)?;
        if let Some((uncompressed, compressed)) = page_sizes(head.get(..n).unwrap_or_default()) {
            if uncompressed > MAX_PAGE || uncompressed > compressed.saturating_mul(MAX_RATIO) + 64 {
                return Err(ParquetError::General(format!(
                    "a page at byte {start} says it holds {uncompressed} bytes from {compressed} \
                     compressed, more than a page of this file can"
                )));
            }
        }
        Ok(BufReader::new(At { file: Arc::clone(&self.file), at: start }))
    }

    /// `length` bytes from `start`; a range past the file's end (a damaged or hostile
    /// footer's) is refused before anything is allocated for it.
    fn get_bytes(&self, start: u64, length: usize) -> Result<Bytes> {
        let end = start.checked_add(length as u64).filter(|&end| end <= self.len);
        if end.is_none() {
            return Err(ParquetError::EOF(format!(
                "bytes {start}..+{length} are past the end of the file ({} bytes)",
                self.len
            )));
        }
        let mut buffer = vec![0; length];
        let mut at = At { file: Arc::clone(&self.file), at: start };
        at.read_exact(&mut buffer)?;
        Ok(buffer.into())
    }
}

/// A reader of the file from an offset of its own.
pub(super) struct At {
    file: Arc<File>,
    at: u64,
}

impl Read for At {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        #[cfg(unix)]
        let n = std::os::unix::fs::FileExt::read_at(&*self.file, buf, self.at)?;
        #[cfg(windows)]
        let n = std::os::windows::fs::FileExt::seek_read(&*self.file, buf, self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

/// The most bytes a page may hold once decompressed.
const MAX_PAGE: i64 = 512 << 20;

/// How many times its compressed size a page may hold: Snappy, the one codec jifen reads,
/// gives at most 64 bytes for each 3 (a copy), so 21 times and its header.
const MAX_RATIO: i64 = 32;

/// Read into `buf` until it is full or the file ends; how many bytes were read.
fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The uncompressed and compressed sizes a page header starts with, or `None` if `bytes`
/// do not start as one. A header is a Thrift compact struct whose first fields are 1 (the
/// page's type), 2 (its uncompressed size) and 3 (its compressed size), each an i32: a
/// field header byte 0x15 (one past the last field, type i32), then a zigzag varint.
fn page_sizes(bytes: &[u8]) -> Option<(i64, i64)> {
    let mut at = 0;
    let mut fields = [0i64; 3];
    for field in &mut fields {
        if *bytes.get(at)? != 0x15 {
            return None;
        }
        at += 1;
        let mut value = 0u64;
        for shift in (0..35).step_by(7) {
            let byte = *bytes.get(at)?;
            at += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                break;
            }
            if shift == 28 {
                return None;
            }
        }
        // Zigzag: 0, -1, 1, -2, … as 0, 1, 2, 3, …
        *field = (value >> 1) as i64 ^ -((value & 1) as i64);
    }
    Some((fields[1], fields[2]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_header_gives_its_sizes() {
        // type 0 (a data page), uncompressed 800 (zigzag 1600 = 0xc0 0x0c), compressed 15.
        assert_eq!(page_sizes(&[0x15, 0x00, 0x15, 0xc0, 0x0c, 0x15, 0x1e, 0x2c]), Some((800, 15)));
        // 2^31 - 1 in five bytes.
        assert_eq!(
            page_sizes(&[0x15, 0x06, 0x15, 0xfe, 0xff, 0xff, 0xff, 0x0f, 0x15, 0x02]),
            Some((i32::MAX as i64, 1))
        );
        // Not a header: another field first, a varint too long, bytes cut short.
        assert_eq!(page_sizes(&[0x16, 0x00, 0x15, 0x02, 0x15, 0x02]), None);
        assert_eq!(page_sizes(&[0x15, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), None);
        assert_eq!(page_sizes(&[0x15, 0x00, 0x15]), None);
        assert_eq!(page_sizes(b"PAR1"), None);
    }
}
