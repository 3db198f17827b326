//! Pages checked, once decompressed, before the `parquet` crate decodes them.
//!
//! The crate sizes some buffers by counts a page states rather than by the bytes it holds:
//! a dictionary of `num_values` entries, and the lengths of a DELTA text page (its own
//! count, a varint). A DELTA_LENGTH_BYTE_ARRAY page whose count said 2³⁶ made it ask for
//! 256 GiB, and the process aborted. Every page of a file jifen reads passes here first: a
//! dictionary must hold its entries (each at least its type's width), and a DELTA page's
//! counts may not exceed the values the page says it has, at most [`MAX_PAGE_VALUES`].

use parquet::basic::{Encoding, Type as Physical};
use parquet::column::page::{Page, PageMetadata, PageReader};
use parquet::errors::{ParquetError, Result};
use parquet::file::metadata::{ParquetMetaData, RowGroupMetaData};
use parquet::file::reader::{FileReader, RowGroupReader};
use parquet::record::reader::RowIter;
use parquet::schema::types::Type as SchemaType;

/// The most values a DELTA-encoded page may say it has (writers cut pages at 20,000 rows
/// or 1 MiB; a row group of pyarrow's holds at most 2²⁰ rows).
const MAX_PAGE_VALUES: u64 = 1 << 24;

/// A file reader whose row groups give [`Checked`] pages.
pub(super) struct CheckedFile<F>(pub(super) F);

/// A row group whose column chunks give [`Checked`] pages.
struct CheckedGroup<'a>(Box<dyn RowGroupReader + 'a>);

/// A column chunk's pages, each checked before it is handed on.
struct Checked {
    pages: Box<dyn PageReader>,
    physical: Physical,
    /// A FIXED_LEN_BYTE_ARRAY's width in bytes.
    width: usize,
    /// Whether the column has definition levels (a flat optional column).
    optional: bool,
}

impl<F: FileReader> FileReader for CheckedFile<F> {
    fn metadata(&self) -> &ParquetMetaData {
        self.0.metadata()
    }

    fn num_row_groups(&self) -> usize {
        self.0.num_row_groups()
    }

    fn get_row_group(&self, i: usize) -> Result<Box<dyn RowGroupReader + '_>> {
        Ok(Box::new(CheckedGroup(self.0.get_row_group(i)?)))
    }

    fn get_row_iter(&self, projection: Option<SchemaType>) -> Result<RowIter<'_>> {
        RowIter::from_file(projection, self)
    }
}

impl RowGroupReader for CheckedGroup<'_> {
    fn metadata(&self) -> &RowGroupMetaData {
        self.0.metadata()
    }

    fn num_columns(&self) -> usize {
        self.0.num_columns()
    }

    fn get_column_page_reader(&self, i: usize) -> Result<Box<dyn PageReader>> {
        let column = self.metadata().schema_descr().column(i);
        Ok(Box::new(Checked {
            pages: self.0.get_column_page_reader(i)?,
            physical: column.physical_type(),
            width: usize::try_from(column.type_length()).unwrap_or(0),
            optional: column.max_def_level() > 0,
        }))
    }

    fn get_column_bloom_filter(&self, i: usize) -> Option<&parquet::bloom_filter::Sbbf> {
        self.0.get_column_bloom_filter(i)
    }

    fn get_row_iter(&self, projection: Option<SchemaType>) -> Result<RowIter<'_>> {
        RowIter::from_row_group(projection, self)
    }
}

impl Iterator for Checked {
    type Item = Result<Page>;

    fn next(&mut self) -> Option<Result<Page>> {
        self.get_next_page().transpose()
    }
}

impl PageReader for Checked {
    fn get_next_page(&mut self) -> Result<Option<Page>> {
        let page = self.pages.get_next_page()?;
        if let Some(page) = &page {
            self.check(page).map_err(ParquetError::General)?;
        }
        Ok(page)
    }

    fn peek_next_page(&mut self) -> Result<Option<PageMetadata>> {
        self.pages.peek_next_page()
    }

    fn skip_next_page(&mut self) -> Result<()> {
        self.pages.skip_next_page()
    }

    fn at_record_boundary(&mut self) -> Result<bool> {
        self.pages.at_record_boundary()
    }
}

impl Checked {
    fn check(&self, page: &Page) -> std::result::Result<(), String> {
        check_page(page, self.physical, self.width, self.optional)
    }
}

/// Whether `page`, of a column of type `physical` (`width` bytes wide when fixed, with
/// definition levels when `optional`), holds what it says it holds, as far as the crate
/// sizes buffers by it.
fn check_page(page: &Page, physical: Physical, width: usize, optional: bool) -> std::result::Result<(), String> {
    let (values, num_values, encoding) = match page {
        Page::DictionaryPage { buf, num_values, .. } => {
            // Each entry at least its type's width (a text: its 4-byte length).
            let bits = match physical {
                Physical::BOOLEAN => 1,
                Physical::INT32 | Physical::FLOAT | Physical::BYTE_ARRAY => 32,
                Physical::INT64 | Physical::DOUBLE => 64,
                Physical::INT96 => 96,
                Physical::FIXED_LEN_BYTE_ARRAY => 8 * width.max(1) as u64,
            };
            if u64::from(*num_values) * bits > buf.len() as u64 * 8 {
                return Err(format!("a dictionary page says it holds {num_values} values in {} bytes", buf.len()));
            }
            return Ok(());
        }
        Page::DataPage { buf, num_values, encoding, .. } => {
            // Flat columns only: no repetition levels; definition levels, when the column
            // has them, are a 4-byte length and the levels.
            let start = match optional {
                false => 0,
                true => buf
                    .get(..4)
                    .map(|b| 4 + u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
                    .unwrap_or(usize::MAX),
            };
            (buf.get(start..).unwrap_or_default(), *num_values, *encoding)
        }
        Page::DataPageV2 { buf, num_values, encoding, def_levels_byte_len, rep_levels_byte_len, .. } => {
            let start = *def_levels_byte_len as usize + *rep_levels_byte_len as usize;
            (buf.get(start..).unwrap_or_default(), *num_values, *encoding)
        }
    };
    let delta = matches!(encoding, Encoding::DELTA_LENGTH_BYTE_ARRAY | Encoding::DELTA_BYTE_ARRAY);
    if !delta {
        return Ok(());
    }
    let most = u64::from(num_values);
    if most > MAX_PAGE_VALUES {
        return Err(format!("a page says it holds {most} values, more than {MAX_PAGE_VALUES}"));
    }
    // A count is read as the crate reads it: where it cannot be, the crate cannot either,
    // and stops there before sizing anything by it.
    let too_many = |count: u64| format!("a page of {most} values says it holds {count} text lengths");
    let Some(count) = delta_count(values) else { return Ok(()) };
    if count > most {
        return Err(too_many(count));
    }
    if encoding == Encoding::DELTA_LENGTH_BYTE_ARRAY {
        return Ok(());
    }
    // DELTA_BYTE_ARRAY: those were the prefixes' lengths; the suffixes follow, as a
    // DELTA_LENGTH_BYTE_ARRAY, where the prefixes' stream ends.
    let Some(suffixes) = delta_end(values) else {
        return Err("a page's text lengths cannot be read".into());
    };
    match delta_count(suffixes) {
        Some(count) if count > most => Err(too_many(count)),
        _ => Ok(()),
    }
}

/// An unsigned LEB128 varint at `*at` of `bytes`, moving `at` past it.
fn varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*at)?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// The header of a DELTA_BINARY_PACKED stream: values per block, miniblocks per block,
/// the count of values, and where the first block starts.
fn delta_header(bytes: &[u8]) -> Option<(u64, u64, u64, usize)> {
    let mut at = 0;
    let block = varint(bytes, &mut at)?;
    let minis = varint(bytes, &mut at)?;
    let count = varint(bytes, &mut at)?;
    varint(bytes, &mut at)?; // the first value
    Some((block, minis, count, at))
}

/// The count of values a DELTA_BINARY_PACKED stream at the start of `bytes` states.
fn delta_count(bytes: &[u8]) -> Option<u64> {
    delta_header(bytes).map(|(_, _, count, _)| count)
}

/// The bytes after the DELTA_BINARY_PACKED stream at the start of `bytes` (its count
/// already checked to be at most [`MAX_PAGE_VALUES`]).
fn delta_end(bytes: &[u8]) -> Option<&[u8]> {
    let (block, minis, count, mut at) = delta_header(bytes)?;
    let per_mini = block.checked_div(minis).filter(|&n| n > 0 && n % 8 == 0)?;
    // The values after the first, in blocks: a minimum delta, a bit width per miniblock,
    // and the miniblocks holding values (those past the last value are not stored).
    let mut left = count.saturating_sub(1);
    while left > 0 {
        varint(bytes, &mut at)?;
        let widths = bytes.get(at..at.checked_add(usize::try_from(minis).ok()?)?)?;
        at += widths.len();
        for &width in widths {
            if left == 0 {
                break;
            }
            at = at.checked_add(usize::try_from(per_mini.checked_mul(u64::from(width))? / 8).ok()?)?;
            left = left.saturating_sub(per_mini);
        }
    }
    bytes.get(at..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dictionary_holds_its_entries_each_at_least_its_width() {
        let page = |num_values| Page::DictionaryPage {
            buf: bytes::Bytes::from(vec![0u8; 16]),
            num_values,
            encoding: Encoding::PLAIN,
            is_sorted: false,
        };
        assert_eq!(check_page(&page(2), Physical::INT64, 0, false), Ok(()));
        assert!(check_page(&page(3), Physical::INT64, 0, false).unwrap_err().contains("3 values in 16 bytes"));
        assert_eq!(check_page(&page(4), Physical::BYTE_ARRAY, 0, false), Ok(()));
        assert!(check_page(&page(u32::MAX), Physical::BYTE_ARRAY, 0, false).is_err());
        assert!(check_page(&page(5), Physical::FIXED_LEN_BYTE_ARRAY, 4, false).is_err());
    }

    #[test]
    fn a_delta_stream_gives_its_count_and_where_it_ends() {
        // Block of 128 in 4 miniblocks of 32, 3 values, first 5 (zigzag 10); one block:
        // min delta 1 (zigzag 2), widths 1, 0, 0, 0: the first miniblock's 4 bytes only.
        let stream = [0x80, 0x01, 0x04, 0x03, 0x0a, 0x02, 0x01, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xee];
        assert_eq!(delta_count(&stream), Some(3));
        assert_eq!(delta_end(&stream), Some(&[0xee][..]));
        // One value: no block follows.
        assert_eq!(delta_end(&[0x80, 0x01, 0x04, 0x01, 0x00, 0xee]), Some(&[0xee][..]));
        // 2^35 values said in a few bytes: the count is read whatever follows.
        assert_eq!(delta_count(&[0x80, 0x01, 0x04, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x00]), Some(1 << 35));
        // Cut short; a block that is not miniblocks of whole bytes; a miniblock cut short.
        assert_eq!(delta_count(&[0x80, 0x01]), None);
        assert_eq!(delta_end(&[0x03, 0x01, 0x02, 0x00]), None);
        assert_eq!(delta_end(&stream[..12]), None);
        // A block of 2^63 values in one miniblock of width 8: its size does not fit, refused.
        let vast = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x01, 0x03, 0x00, 0x00, 0x08];
        assert_eq!(delta_end(&vast), None);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]

        /// Whatever bytes a page or a header holds, the checks give an answer, never a panic
        /// (an overflow, an index out of range) and never a loop without end.
        #[test]
        fn any_bytes_are_checked_without_a_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64), n in 0u32..200) {
            let _ = delta_count(&bytes);
            let _ = delta_end(&bytes);
            for encoding in [Encoding::DELTA_BYTE_ARRAY, Encoding::DELTA_LENGTH_BYTE_ARRAY] {
                let page = Page::DataPage {
                    buf: bytes::Bytes::from(bytes.clone()),
                    num_values: n,
                    encoding,
                    def_level_encoding: Encoding::RLE,
                    rep_level_encoding: Encoding::RLE,
                    statistics: None,
                };
                let _ = check_page(&page, Physical::BYTE_ARRAY, 0, n % 2 == 0);
            }
            let _ = super::super::bounded::check_page_header(&bytes[..], bytes.len() as u64);
            let _ = super::super::bounded::check_footer(&bytes[..], bytes.len() as u64);
        }
    }
}
