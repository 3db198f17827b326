//! Byte offsets to LSP positions and back. LSP counts characters in UTF-16 code units,
//! so `年` is one and an emoji two, where a span counts bytes (three and four).

use lsp_types::{Position, Range};
use ropey::Rope;

/// Where each line of one text starts, to convert offsets and positions.
#[derive(Debug, Clone)]
pub(crate) struct LineIndex {
    text: std::sync::Arc<str>,
    line_starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(text: impl Into<std::sync::Arc<str>>) -> LineIndex {
        let text = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { text, line_starts }
    }

    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// The position of a byte offset (clamped to the text, and back to a char boundary).
    pub(crate) fn position(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|start| *start <= offset).saturating_sub(1);
        let start = self.line_starts[line];
        let character: usize = self.text[start..offset].chars().map(char::len_utf16).sum();
        Position { line: line as u32, character: character as u32 }
    }

    pub(crate) fn range(&self, start: usize, end: usize) -> Range {
        Range { start: self.position(start), end: self.position(end) }
    }

    /// The byte offset of a position; a character past the end of its line means the
    /// line's end, a line past the end of the text the text's end.
    pub(crate) fn offset(&self, position: Position) -> usize {
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

/// The char index of a position in a rope, read as [`LineIndex::offset`] reads it in the
/// same text: a character past the end of its line means the line's end (before its `\r\n`
/// or `\n`), one inside a surrogate pair the next character, a line past the end the end.
pub(crate) fn char_index(rope: &Rope, position: Position) -> usize {
    let line = position.line as usize;
    if line >= rope.len_lines() {
        return rope.len_chars();
    }
    let start = rope.line_to_char(line);
    let mut end = if line + 1 < rope.len_lines() { rope.line_to_char(line + 1) - 1 } else { rope.len_chars() };
    if end > start && rope.char(end - 1) == '\r' {
        end -= 1;
    }
    let target = rope.char_to_utf16_cu(start).saturating_add(position.character as usize);
    if target >= rope.char_to_utf16_cu(end) {
        return end;
    }
    let at = rope.utf16_cu_to_char(target);
    if rope.char_to_utf16_cu(at) < target {
        at + 1
    } else {
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rope_reads_positions_as_the_line_index_does() {
        let text = "年龄 😀x\r\nab\n\n😀😀\r\nlast\r";
        let (index, rope) = (LineIndex::new(text), Rope::from_str(text));
        for line in 0..7 {
            for character in 0..9 {
                let position = Position { line, character };
                let offset = index.offset(position);
                assert_eq!(rope.byte_to_char(offset), char_index(&rope, position), "{position:?}");
            }
        }
    }

    #[test]
    fn edits_on_a_rope_equal_edits_on_a_string() {
        // A fixed pseudo-random walk of replacements (LCG), checked against
        // `String::replace_range` at the offsets `LineIndex` computes.
        let mut text = String::from("policy p {\r\n  年 😀\n}\n");
        let mut rope = Rope::from_str(&text);
        let mut seed: u64 = 7;
        let mut next = |n: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((seed >> 33) % n.max(1)) as u32
        };
        let inserts = ["", "a", "\n", "\r\n", "年", "😀", "xy\nz"];
        for _ in 0..2000 {
            let lines = text.matches('\n').count() as u64 + 2;
            let a = Position { line: next(lines), character: next(6) };
            let b = Position { line: next(lines), character: next(6) };
            let insert = inserts[next(inserts.len() as u64) as usize];
            let index = LineIndex::new(text.as_str());
            let (start, end) = (index.offset(a), index.offset(b));
            text.replace_range(start..end.max(start), insert);
            let (start, end) = (char_index(&rope, a), char_index(&rope, b));
            rope.remove(start..end.max(start));
            rope.insert(start, insert);
            assert_eq!(rope.to_string(), text);
        }
    }

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
