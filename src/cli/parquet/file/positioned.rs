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
    /// is checked first ([`bounded::check_page_header`]), before the crate allocates
    /// anything by it.
    fn get_read(&self, start: u64) -> Result<Self::T> {
        // The crate reads the footer's last 8 bytes through a reader too: not a page header.
        if start.checked_add(8) != Some(self.len) {
            // A header is tens of bytes, unless it carries statistics: read a little at a time.
            let header = BufReader::with_capacity(512, At { file: Arc::clone(&self.file), at: start });
            bounded::check_page_header(header, self.len.saturating_sub(start)).map_err(|why| {
                ParquetError::General(format!("the header of a page at byte {start} is damaged: {why}"))
            })?;
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
