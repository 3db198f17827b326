//! Output files written whole or not at all: to a temporary file beside the target,
//! renamed into place only when everything succeeded.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use super::input::io_reason;
use super::{exit, fail};

pub struct Output {
    writer: Option<Box<dyn Write>>,
    temp: Option<PathBuf>,
    dest: Option<PathBuf>,
}

impl Output {
    /// Standard output for `None` or `-`, else a temporary file next to `path`.
    pub fn create(path: Option<&str>) -> Result<Output, u8> {
        match path {
            None | Some("-") => Ok(Output {
                writer: Some(Box::new(BufWriter::with_capacity(1 << 16, std::io::stdout().lock()))),
                temp: None,
                dest: None,
            }),
            Some(p) => {
                let dest = PathBuf::from(p);
                let name = dest.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "output".into());
                let temp = dest.with_file_name(format!(".{name}.jifen-{}.tmp", std::process::id()));
                let file = File::create(&temp).map_err(|e| {
                    fail(
                        &format!("cannot write `{p}`: {}", io_reason(&e)),
                        Some("check that the folder exists and is writable"),
                    );
                    exit::IO
                })?;
                Ok(Output {
                    writer: Some(Box::new(BufWriter::with_capacity(1 << 16, file))),
                    temp: Some(temp),
                    dest: Some(dest),
                })
            }
        }
    }

    pub fn write(&mut self, bytes: &[u8]) -> Result<(), u8> {
        let Some(w) = self.writer.as_mut() else { return Err(exit::INTERNAL) };
        w.write_all(bytes).map_err(|e| {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                fail(&format!("cannot write the output: {}", io_reason(&e)), None);
            }
            exit::IO
        })
    }

    /// Flush and move the file into place.
    pub fn commit(mut self) -> Result<(), u8> {
        if let Some(mut w) = self.writer.take() {
            w.flush().map_err(|e| {
                fail(&format!("cannot write the output: {}", io_reason(&e)), None);
                exit::IO
            })?;
        }
        if let (Some(temp), Some(dest)) = (self.temp.take(), self.dest.take()) {
            if let Err(e) = std::fs::rename(&temp, &dest) {
                let _ = std::fs::remove_file(&temp);
                fail(&format!("cannot write `{}`: {}", dest.display(), io_reason(&e)), None);
                return Err(exit::IO);
            }
        }
        Ok(())
    }
}

impl Drop for Output {
    /// Not committed: leave nothing half-written behind.
    fn drop(&mut self) {
        self.writer.take();
        if let Some(temp) = self.temp.take() {
            let _ = std::fs::remove_file(temp);
        }
    }
}
