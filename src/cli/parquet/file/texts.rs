//! A text (BYTE_ARRAY) column read page by page as its dictionary's entries and an index
//! per value, not as a `ByteArray` per value: the crate's reader clones a reference-counted
//! `ByteArray` out of the dictionary for every value, and each costs 32 bytes to hand over
//! to the scoring workers, where an index costs 4. A text is where it is in its page: the
//! page is held once, not a reference-counted slice of it per value. Only the usual
//! encodings are read here (PLAIN and dictionary pages, levels RLE); a column chunk with any
//! other is read by the crate's own reader ([`Texts::push_all`]).

use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use parquet::basic::Encoding;
use parquet::column::page::{Page, PageReader};
use parquet::data_type::ByteArray;
use parquet::errors::{ParquetError, Result};
use parquet::file::metadata::ColumnChunkMetaData;

/// A chunk's values of a text column: each value an index into `entries`.
#[derive(Default)]
pub(super) struct Texts {
    /// The pages the texts are in (dictionary pages, plain data pages), each held once.
    pages: Vec<Bytes>,
    /// The texts the values name, each as where it is in `pages`: the entries of the
    /// dictionaries the values use (each taken once, when first named) and the values of
    /// plain pages.
    entries: Vec<Span>,
    /// Each non-null value, as its place in `entries`.
    pub(super) values: Vec<u32>,
    /// The dictionary whose entries `entries` holds, by its serial number, with its page's
    /// place in `pages`; and where each of its entries is in `entries` ([`NOT_TAKEN`] until
    /// a value names it).
    dictionary: Option<(u64, u32)>,
    taken: Vec<u32>,
}

/// Where a text is: `pages[page][start..end]`.
#[derive(Clone, Copy)]
struct Span {
    page: u32,
    start: u32,
    end: u32,
}

const NOT_TAKEN: u32 = u32::MAX;

/// Tells dictionaries apart (a chunk's rows may come from two row groups).
static DICTIONARIES: AtomicU64 = AtomicU64::new(0);

fn problem(message: &str) -> ParquetError {
    ParquetError::General(message.to_string())
}

impl Texts {
    pub(super) fn clear(&mut self) {
        self.pages.clear();
        self.entries.clear();
        self.values.clear();
        self.dictionary = None;
        self.taken.clear();
    }

    /// The text of the value at `at`.
    #[inline]
    pub(super) fn get(&self, at: usize) -> Option<&[u8]> {
        self.entry(*self.values.get(at)?)
    }

    /// The text of entry `entry` (a value's place in the entries).
    #[inline]
    pub(super) fn entry(&self, entry: u32) -> Option<&[u8]> {
        let span = self.entries.get(entry as usize)?;
        self.pages.get(span.page as usize)?.get(span.start as usize..span.end as usize)
    }

    /// `page`'s place in `pages`: the last one if it is the same page, else a new one.
    fn hold(&mut self, page: &Bytes) -> Result<u32> {
        let same = |held: &Bytes| held.as_ptr() == page.as_ptr() && held.len() == page.len();
        if !self.pages.last().is_some_and(same) {
            self.pages.push(page.clone());
        }
        place(self.pages.len() - 1)
    }

    /// One more value, an entry of its own: `page[start..end]`, `page` at `held`.
    #[inline]
    fn push_span(&mut self, held: u32, start: usize, end: usize) -> Result<()> {
        let (Ok(start), Ok(end)) = (u32::try_from(start), u32::try_from(end)) else {
            return Err(problem("a page of text is too long"));
        };
        self.values.push(place(self.entries.len())?);
        self.entries.push(Span { page: held, start, end });
        Ok(())
    }

    /// More values, each an entry of its own, as the crate's reader gives them: their
    /// bytes copied into one page.
    pub(super) fn push_all(&mut self, texts: &[ByteArray]) -> Result<()> {
        let page: Vec<u8> = texts.iter().flat_map(ByteArray::data).copied().collect();
        let held = self.hold(&Bytes::from(page))?;
        let mut start = 0;
        for text in texts {
            let end = start + text.data().len();
            self.push_span(held, start, end)?;
            start = end;
        }
        Ok(())
    }

    /// One more value: entry `index` of `dictionary` (numbered `serial`).
    #[inline]
    fn push_entry(&mut self, dictionary: &Dictionary, serial: u64, index: u32) -> Result<()> {
        let page = match self.dictionary {
            Some((named, page)) if named == serial => page,
            _ => {
                // The dictionary's page is held once a chunk, when its first entry is named.
                self.pages.push(dictionary.page.clone());
                let page = place(self.pages.len() - 1)?;
                self.dictionary = Some((serial, page));
                self.taken.clear();
                self.taken.resize(dictionary.spans.len(), NOT_TAKEN);
                page
            }
        };
        let out_of_range = || problem("a dictionary index is out of range");
        let slot = self.taken.get_mut(index as usize).ok_or_else(out_of_range)?;
        if *slot == NOT_TAKEN {
            let &(start, end) = dictionary.spans.get(index as usize).ok_or_else(out_of_range)?;
            *slot = place(self.entries.len())?;
            self.entries.push(Span { page, start, end });
        }
        self.values.push(*slot);
        Ok(())
    }
}

/// A place in [`Texts::entries`] or [`Texts::pages`] as a value holds it.
fn place(at: usize) -> Result<u32> {
    u32::try_from(at).ok().filter(|&p| p != NOT_TAKEN).ok_or_else(|| problem("too many texts in one chunk"))
}

/// A dictionary page and where each of its texts is in it.
#[derive(Default)]
struct Dictionary {
    page: Bytes,
    spans: Vec<(u32, u32)>,
}

/// Whether [`TextReader`] reads a column chunk: its encodings are PLAIN, dictionary and RLE
/// (the levels') only.
pub(super) fn readable(column: &ColumnChunkMetaData) -> bool {
    column
        .encodings()
        .all(|e| matches!(e, Encoding::PLAIN | Encoding::PLAIN_DICTIONARY | Encoding::RLE_DICTIONARY | Encoding::RLE))
}

/// One column chunk of text, read page by page into [`Texts`].
pub(super) struct TextReader {
    pages: Box<dyn PageReader>,
    /// Whether the column has definition levels (a flat optional column: 0 or 1).
    optional: bool,
    dictionary: Dictionary,
    /// The dictionary's serial number (0: none yet).
    serial: u64,
    /// Rows of the current data page not yet read, its levels and its values.
    left: usize,
    levels: Hybrid,
    values: Values,
}

/// A data page's values.
enum Values {
    /// PLAIN: each a 4-byte little-endian length and the bytes; the next at `at`.
    Plain { page: Bytes, at: usize },
    /// Dictionary indices.
    Indices(Hybrid),
}

impl TextReader {
    pub(super) fn new(pages: Box<dyn PageReader>, optional: bool) -> TextReader {
        TextReader {
            pages,
            optional,
            dictionary: Dictionary::default(),
            serial: 0,
            left: 0,
            levels: Hybrid::empty(),
            values: Values::Plain { page: Bytes::new(), at: 0 },
        }
    }

    /// Up to `rows` more rows: their definition levels into `defs` (an optional column's),
    /// their non-null values into `out`. Returns the rows, values and levels read, as the
    /// crate's `read_records` does.
    pub(super) fn read_records(
        &mut self,
        rows: usize,
        mut defs: Option<&mut Vec<i16>>,
        out: &mut Texts,
    ) -> Result<(usize, usize, usize)> {
        let (mut read, mut values) = (0, 0);
        while read < rows {
            if self.left == 0 && !self.next_page()? {
                break;
            }
            let n = self.left.min(rows - read);
            let given = match (self.optional, defs.as_deref_mut()) {
                (false, _) => n,
                (true, None) => return Err(problem("definition levels are needed")),
                (true, Some(defs)) => {
                    let mut given = 0;
                    let levels = self.levels.read(n, |level| {
                        if level > 1 {
                            return Err(problem("a definition level above 1 in a flat column"));
                        }
                        given += level as usize;
                        defs.push(level as i16);
                        Ok(())
                    })?;
                    if levels != n {
                        return Err(problem("a page has fewer definition levels than values"));
                    }
                    given
                }
            };
            let got = match &mut self.values {
                Values::Indices(indices) => {
                    let (dictionary, serial) = (&self.dictionary, self.serial);
                    indices.read(given, |index| out.push_entry(dictionary, serial, index))?
                }
                Values::Plain { page, at } => {
                    let held = out.hold(page)?;
                    for _ in 0..given {
                        let (start, end) =
                            plain_text(page, *at).ok_or_else(|| problem("a page's text ends too soon"))?;
                        out.push_span(held, start, end)?;
                        *at = end;
                    }
                    given
                }
            };
            if got != given {
                return Err(problem("a page has fewer values than its levels say"));
            }
            self.left -= n;
            read += n;
            values += given;
        }
        Ok((read, values, if self.optional { read } else { 0 }))
    }

    /// Open the next data page (reading a dictionary page on the way); `false` at the end.
    fn next_page(&mut self) -> Result<bool> {
        loop {
            let Some(page) = self.pages.get_next_page()? else { return Ok(false) };
            let (page, rows, encoding, levels) = match page {
                Page::DictionaryPage { buf, num_values, encoding, .. } => {
                    self.read_dictionary(&buf, num_values, encoding)?;
                    continue;
                }
                Page::DataPage { buf, num_values, encoding, def_level_encoding, .. } => {
                    let levels = if self.optional {
                        if def_level_encoding != Encoding::RLE {
                            return Err(problem("definition levels not RLE"));
                        }
                        // A 4-byte little-endian length, then the levels.
                        let length = buf.get(..4).and_then(|b| <[u8; 4]>::try_from(b).ok());
                        let end = length.map(|l| 4 + u32::from_le_bytes(l) as usize).filter(|&e| e <= buf.len());
                        end.ok_or_else(|| problem("a page's definition levels end too soon"))?
                    } else {
                        0
                    };
                    (buf.slice(levels..), num_values, encoding, buf.slice(4.min(levels)..levels))
                }
                Page::DataPageV2 { buf, num_values, encoding, def_levels_byte_len, rep_levels_byte_len, .. } => {
                    let start = rep_levels_byte_len as usize;
                    let end = start + def_levels_byte_len as usize;
                    if end > buf.len() {
                        return Err(problem("a page's definition levels end too soon"));
                    }
                    (buf.slice(end..), num_values, encoding, buf.slice(start..end))
                }
            };
            self.left = rows as usize;
            self.levels = Hybrid::new(levels, 1);
            self.values = match encoding {
                Encoding::PLAIN => Values::Plain { page, at: 0 },
                Encoding::PLAIN_DICTIONARY | Encoding::RLE_DICTIONARY if self.serial != 0 => {
                    let bits = u32::from(*page.first().ok_or_else(|| problem("a page of indices is empty"))?);
                    if bits > 32 {
                        return Err(problem("dictionary indices wider than 32 bits"));
                    }
                    Values::Indices(Hybrid::new(page.slice(1..), bits))
                }
                Encoding::PLAIN_DICTIONARY | Encoding::RLE_DICTIONARY => {
                    return Err(problem("a page names a dictionary the column does not have"))
                }
                other => return Err(ParquetError::General(format!("text pages encoded {other} are not read"))),
            };
            if self.left > 0 {
                return Ok(true);
            }
        }
    }

    /// A dictionary page: PLAIN texts.
    fn read_dictionary(&mut self, page: &Bytes, count: u32, encoding: Encoding) -> Result<()> {
        if !matches!(encoding, Encoding::PLAIN | Encoding::PLAIN_DICTIONARY) {
            return Err(problem("a text column's dictionary is not PLAIN"));
        }
        if u32::try_from(page.len()).is_err() {
            return Err(problem("a text column's dictionary is too long"));
        }
        self.dictionary.page = page.clone();
        self.dictionary.spans.clear();
        let mut at = 0;
        for _ in 0..count {
            let Some((start, end)) = plain_text(page, at) else {
                return Err(problem("a text column's dictionary ends too soon"));
            };
            // Both within the page, whose length fits in 32 bits.
            self.dictionary.spans.push((start as u32, end as u32));
            at = end;
        }
        self.serial = DICTIONARIES.fetch_add(1, Ordering::Relaxed) + 1;
        Ok(())
    }
}

/// Where the PLAIN text at `at` of `page` is (its bytes' start and end), after its 4-byte
/// little-endian length; `None` if the page ends first.
fn plain_text(page: &[u8], at: usize) -> Option<(usize, usize)> {
    let length = page.get(at..at.checked_add(4)?).and_then(|b| <[u8; 4]>::try_from(b).ok())?;
    let start = at + 4;
    let end = start.checked_add(u32::from_le_bytes(length) as usize)?;
    (end <= page.len()).then_some((start, end))
}

/// Values of the RLE / bit-packed hybrid encoding (definition levels, dictionary indices):
/// runs of a repeated value, or groups of 8 values of `bits` bits each.
struct Hybrid {
    page: Bytes,
    /// The next run's header.
    at: usize,
    bits: u32,
    run: Run,
}

enum Run {
    /// `left` more times the same value.
    Repeat { value: u32, left: usize },
    /// `left` more packed values, the next at bit `bit` of the page.
    Packed { bit: usize, left: usize },
}

impl Hybrid {
    fn new(page: Bytes, bits: u32) -> Hybrid {
        Hybrid { page, at: 0, bits, run: Run::Repeat { value: 0, left: 0 } }
    }

    fn empty() -> Hybrid {
        Hybrid::new(Bytes::new(), 0)
    }

    /// `each(value)` for the next `wanted` values, or as many as there are; returns how many.
    #[inline]
    fn read(&mut self, wanted: usize, mut each: impl FnMut(u32) -> Result<()>) -> Result<usize> {
        let mut read = 0;
        while read < wanted {
            match &mut self.run {
                Run::Repeat { left: 0, .. } | Run::Packed { left: 0, .. } => {
                    if !self.next_run()? {
                        break;
                    }
                }
                Run::Repeat { value, left } => {
                    let n = (*left).min(wanted - read);
                    for _ in 0..n {
                        each(*value)?;
                    }
                    *left -= n;
                    read += n;
                }
                Run::Packed { bit, left } => {
                    let n = (*left).min(wanted - read);
                    let mask = (1u64 << self.bits) - 1;
                    for _ in 0..n {
                        // Eight bytes from the value's first (zeros past the page's end).
                        let mut window = [0u8; 8];
                        let bytes = self.page.get(*bit / 8..).unwrap_or_default();
                        let len = bytes.len().min(8);
                        window[..len].copy_from_slice(&bytes[..len]);
                        each(((u64::from_le_bytes(window) >> (*bit % 8)) & mask) as u32)?;
                        *bit += self.bits as usize;
                    }
                    *left -= n;
                    read += n;
                }
            }
        }
        Ok(read)
    }

    /// Start the next run; `false` at the end of the page.
    fn next_run(&mut self) -> Result<bool> {
        if self.at >= self.page.len() {
            return Ok(false);
        }
        // The header: a ULEB128 varint, its lowest bit telling the run's kind.
        let (mut header, mut shift) = (0u64, 0);
        loop {
            let byte = *self.page.get(self.at).ok_or_else(|| problem("a run of values is cut short"))?;
            self.at += 1;
            header |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                break;
            }
            shift += 7;
            if shift > 35 {
                return Err(problem("a run of values is too long"));
            }
        }
        let count = (header >> 1) as usize;
        if header & 1 == 1 {
            // `count` groups of 8 values, `bits` bits each, packed from the lowest bit; the
            // page's last group may be cut short, and only what is there is read.
            let end = (self.at + count * self.bits as usize).min(self.page.len());
            let left = match self.bits {
                0 => count * 8,
                bits => ((end - self.at) * 8 / bits as usize).min(count * 8),
            };
            self.run = Run::Packed { bit: self.at * 8, left };
            self.at = end;
        } else {
            let width = (self.bits as usize).div_ceil(8);
            let bytes =
                self.page.get(self.at..self.at + width).ok_or_else(|| problem("a run of values is cut short"))?;
            let mut value = [0u8; 4];
            value[..width].copy_from_slice(bytes);
            self.at += width;
            self.run = Run::Repeat { value: u32::from_le_bytes(value), left: count };
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(page: &[u8], bits: u32, wanted: usize) -> Vec<u32> {
        let mut got = Vec::new();
        let mut hybrid = Hybrid::new(bytes::Bytes::copy_from_slice(page), bits);
        let read = hybrid
            .read(wanted, |v| {
                got.push(v);
                Ok(())
            })
            .expect("readable values");
        assert_eq!(read, got.len());
        got
    }

    #[test]
    fn runs_are_read_repeated_and_packed() {
        // 4 × 5 (header 4 << 1 = 8); then one group (header 1 << 1 | 1 = 3) of 0..=7 in
        // 3 bits each, lowest first: 0b10001000, 0b11000110, 0b11111010.
        let page = [8, 5, 3, 0b1000_1000, 0b1100_0110, 0b1111_1010];
        assert_eq!(values(&page, 3, 100), vec![5, 5, 5, 5, 0, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(values(&page, 3, 6), vec![5, 5, 5, 5, 0, 1]);
        // Width 0: every value is 0.
        assert_eq!(values(&[6], 0, 10), vec![0, 0, 0]);
        // 32 bits, repeated: four bytes.
        assert_eq!(values(&[4, 1, 0, 0, 0x80], 32, 10), vec![0x8000_0001, 0x8000_0001]);
    }
}
