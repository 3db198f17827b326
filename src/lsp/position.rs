//! Byte offsets to LSP positions and back. LSP counts characters in UTF-16 code units,
//! so `年` is one and an emoji two, where a span counts bytes (three and four).

use lsp_types::{Position, Range};

/// Where each line of one text starts, to convert offsets and positions.
#[derive(Debug, Clone)]
pub struct LineIndex {
    text: std::sync::Arc<str>,
    line_starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: impl Into<std::sync::Arc<str>>) -> LineIndex {
        let text = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { text, line_starts }
    }

    /// The position of a byte offset (clamped to the text, and back to a char boundary).
    pub fn position(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|start| *start <= offset).saturating_sub(1);
        let start = self.line_starts[line];
        let character: usize = self.text[start..offset].chars().map(char::len_utf16).sum();
        Position { line: line as u32, character: character as u32 }
    }

    pub fn range(&self, start: usize, end: usize) -> Range {
        Range { start: self.position(start), end: self.position(end) }
    }

    /// The byte offset of a position; a character past the end of its line means the
    /// line's end, a line past the end of the text the text's end.
    pub fn offset(&self, position: Position) -> usize {
        let Some(&start) = self.line_starts.get(position.line as usize) else { return self.text.len() };
        let end = self.line_starts.get(position.line as usize + 1).map(|e| e - 1).unwrap_or(self.text.len());
        let line = &self.text[start..end];
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mut units = 0;
        for (i, c) in line.char_indices() {
            if units >= position.character as usize {
                return start + i;
            }
            units += c.len_utf16();
        }
        start + line.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_and_astral_characters_count_in_utf16_units() {
        let text = "item age \"年龄\" {\n// 😀 x\nabc";
        let index = LineIndex::new(text);
        let after_label = text.find(" {").unwrap_or(0);
        assert_eq!(index.position(after_label), Position { line: 0, character: 13 });
        let x = text.find(" x").unwrap_or(0) + 1;
        assert_eq!(index.position(x), Position { line: 1, character: 6 });
        assert_eq!(index.offset(Position { line: 1, character: 6 }), x);
        assert_eq!(index.offset(Position { line: 0, character: 13 }), after_label);
        assert_eq!(index.offset(Position { line: 2, character: 99 }), text.len());
        assert_eq!(index.offset(Position { line: 9, character: 0 }), text.len());
    }

    #[test]
    fn offsets_inside_a_character_round_down() {
        let index = LineIndex::new("年x");
        assert_eq!(index.position(1), Position { line: 0, character: 0 });
        assert_eq!(index.position(3), Position { line: 0, character: 1 });
    }

    #[test]
    fn crlf_line_ends_are_not_characters() {
        let index = LineIndex::new("ab\r\ncd");
        assert_eq!(index.offset(Position { line: 0, character: 9 }), 2);
        assert_eq!(index.position(5), Position { line: 1, character: 1 });
    }
}
