//! Answering from the last analysis of a document that parsed, while its current text does
//! not: an offset of the current text is mapped to the old text only where the text around
//! it did not change (before the first difference, or after the last), so a hover or a
//! definition is given for a name still at its place and for nothing in the edited part.

/// How the current text differs from the one last analysed: a common start and end.
pub(crate) struct Unchanged {
    /// Bytes equal at the start of both texts.
    prefix: usize,
    /// Bytes equal at the end of both texts (not overlapping the prefix in either).
    suffix: usize,
    old_len: usize,
    new_len: usize,
}

impl Unchanged {
    pub(crate) fn between(old: &str, new: &str) -> Unchanged {
        let (a, b) = (old.as_bytes(), new.as_bytes());
        let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let room = a.len().min(b.len()) - prefix;
        let suffix = a.iter().rev().zip(b.iter().rev()).take(room).take_while(|(x, y)| x == y).count();
        Unchanged { prefix, suffix, old_len: a.len(), new_len: b.len() }
    }

    /// The old offset of the range `start..end` of the new text, if it lies in the
    /// unchanged start or end.
    pub(crate) fn to_old(&self, start: usize, end: usize) -> Option<usize> {
        if end <= self.prefix {
            Some(start)
        } else if start >= self.new_len - self.suffix {
            Some(start + self.old_len - self.new_len)
        } else {
            None
        }
    }

    /// The new range of the range `start..end` of the old text, if it lies in the
    /// unchanged start or end.
    pub(crate) fn to_new(&self, start: usize, end: usize) -> Option<(usize, usize)> {
        if end <= self.prefix {
            Some((start, end))
        } else if start >= self.old_len - self.suffix {
            Some((start + self.new_len - self.old_len, end + self.new_len - self.old_len))
        } else {
            None
        }
    }
}

/// The name (letters, digits, `_`) around `offset` in `text`, as a byte range.
pub(crate) fn word_at(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let start = text[..offset].char_indices().rev().take_while(|(_, c)| is_word(*c)).last().map_or(offset, |(i, _)| i);
    let end = text[offset..].char_indices().find(|(_, c)| !is_word(*c)).map_or(text.len(), |(i, _)| offset + i);
    (start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_unchanged_start_and_end_are_mapped() {
        // "abc XY def" became "abc Z def": `abc` and `def` are where they were (def 1 byte
        // earlier), the edited middle maps to nothing.
        let u = Unchanged::between("abc XY def", "abc Z def");
        assert_eq!(u.to_old(0, 3), Some(0));
        assert_eq!(u.to_old(6, 9), Some(7));
        assert_eq!(u.to_old(4, 5), None);
        assert_eq!(u.to_new(7, 10), Some((6, 9)));
        assert_eq!(u.to_new(4, 6), None);
        // Prefix and suffix never overlap, even when one text is the other repeated.
        let u = Unchanged::between("aa", "aaa");
        assert_eq!((u.prefix, u.suffix), (2, 0));
        // `年龄_1` is bytes 3..11 (two 3-byte characters, then `_1`); inside a character
        // counts as its start.
        assert_eq!(word_at("x  年龄_1 y", 6), (3, 11));
        assert_eq!(word_at("x  年龄_1 y", 4), (3, 11));
    }
}
