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
}

impl Length for PositionedFile {
    fn len(&self) -> u64 {
        self.len
    }
}

impl ChunkReader for PositionedFile {
    type T = BufReader<At>;

    fn get_read(&self, start: u64) -> Result<Self::T> {
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
