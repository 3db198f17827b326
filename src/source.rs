//! Source files and spans. A span names its file, so a diagnostic found in an
//! inherited policy (`extends`) points into that file.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span { file, start: u32::try_from(start).unwrap_or(u32::MAX), end: u32::try_from(end).unwrap_or(u32::MAX) }
    }

    /// The smallest span covering both (they must be in the same file).
    pub fn to(self, other: Span) -> Span {
        Span { file: self.file, start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.end == self.start
    }
}

/// One policy file's name and text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: Arc<str>,
    /// Byte offset where each line starts.
    line_starts: Vec<u32>,
    /// Characters before each block of `BLOCK` bytes, so that a column on a very long line
    /// costs at most one block to count.
    chars_before_block: Vec<u32>,
}

/// Bytes per entry of [`SourceFile::chars_before_block`].
const BLOCK: usize = 4096;

impl SourceFile {
    /// Characters in `text[..offset]` (`offset` need not be a character boundary).
    fn chars_upto(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        let block = offset / BLOCK;
        let counted = self.chars_before_block.get(block).copied().unwrap_or(0) as usize;
        counted + count_chars(self.text.as_bytes().get(block * BLOCK..offset).unwrap_or(&[]))
    }

    /// Characters in `text[from..to]`: counted directly on a short stretch (a line, as a
    /// rule), through the block table on a long one.
    fn chars_between(&self, from: usize, to: usize) -> usize {
        match self.text.as_bytes().get(from..to) {
            Some(bytes) if bytes.len() <= BLOCK => count_chars(bytes),
            _ => self.chars_upto(to).saturating_sub(self.chars_upto(from)),
        }
    }

    /// 0-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        let offset = u32::try_from(offset).unwrap_or(u32::MAX);
        self.line_starts.partition_point(|start| *start <= offset).saturating_sub(1)
    }

    /// Byte offset where a 0-based line starts; the end of the text past the last line.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts.get(line).map_or(self.text.len(), |s| *s as usize)
    }
}

/// Characters in UTF-8 bytes (cut anywhere): the bytes that start one. Summed 255 bytes
/// at a time in a byte counter, which the compiler turns into vector additions.
fn count_chars(bytes: &[u8]) -> usize {
    bytes.chunks(255).map(|chunk| usize::from(chunk.iter().fold(0u8, |n, &b| n + u8::from(!is_continuation(b))))).sum()
}

fn is_continuation(byte: u8) -> bool {
    byte & 0b1100_0000 == 0b1000_0000
}

/// Every file read while compiling one policy (the policy and what it extends).
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    pub fn add(&mut self, name: impl Into<String>, text: impl Into<Arc<str>>) -> FileId {
        let id = FileId(self.files.len() as u32);
        let text: Arc<str> = text.into();
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| (i + 1) as u32)).collect();
        let mut chars_before_block = Vec::with_capacity(text.len() / BLOCK + 1);
        let mut chars = 0u32;
        for block in text.as_bytes().chunks(BLOCK) {
            chars_before_block.push(chars);
            chars += count_chars(block) as u32;
        }
        self.files.push(SourceFile { name: name.into(), text, line_starts, chars_before_block });
        id
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    pub fn name(&self, id: FileId) -> &str {
        self.get(id).map(|f| f.name.as_str()).unwrap_or("<unknown>")
    }

    pub fn text(&self, id: FileId) -> &str {
        self.get(id).map(|f| &*f.text).unwrap_or("")
    }

    /// The text a span covers, or "" when it is out of range.
    pub fn slice(&self, span: Span) -> &str {
        self.text(span.file).get(span.start as usize..span.end as usize).unwrap_or("")
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, file: FileId, offset: u32) -> (usize, usize) {
        let Some(f) = self.get(file) else { return (1, 1) };
        let offset = (offset as usize).min(f.text.len());
        let line = f.line_of(offset);
        // Only the line's own characters are counted: the checker locates every item and test.
        let col = f.chars_between(f.line_start(line), offset) + 1;
        (line + 1, col)
    }

    /// 1-based line of a byte offset (its column is not needed, so not counted).
    pub fn line(&self, file: FileId, offset: u32) -> usize {
        self.get(file).map_or(1, |f| f.line_of(offset as usize) + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::count_chars;

    #[test]
    fn characters_are_counted_as_str_counts_them_across_the_counters_chunks() {
        let line = "item si_base \"缴纳职工社会保险费基数\" { // ÷ 12 years\n";
        for repeat in [0, 1, 7, 40] {
            let text = line.repeat(repeat);
            assert_eq!(count_chars(text.as_bytes()), text.chars().count(), "{repeat} lines");
        }
        // Cut anywhere, even inside a character: the bytes that start one.
        let text = "年".repeat(300);
        assert_eq!(count_chars(&text.as_bytes()[..256]), 86);
        assert_eq!(count_chars(&[b'a'; 1000]), 1000);
    }
}
