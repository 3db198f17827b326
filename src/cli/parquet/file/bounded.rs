//! Thrift structures of a Parquet file (its footer, each page's header) walked before the
//! `parquet` crate reads them, so that what they say they hold is there.
//!
//! The crate reserves room for a list's or a text's declared length before it reads the
//! elements: five bytes claiming 2³¹ row groups made it ask for 200 GB, and the process
//! aborted (an allocation that fails is not a panic it could be caught as). Here nothing is
//! allocated: every list's elements and every text's bytes must be present in the bytes the
//! structure may take, a list holds at most [`MAX_LIST`] elements, and structures nest at
//! most [`MAX_DEPTH`] deep. What passes can make the crate reserve at most a list of
//! [`MAX_LIST`] elements, or a text of the file's length.

use std::io::Read;

/// The most elements a list, set or map of a footer or page header may hold. A footer's
/// longest lists are its row groups and each row group's columns: a file of a million row
/// groups, or of a million columns, is not one jifen reads.
pub(super) const MAX_LIST: u64 = 1_000_000;

/// How deep structures may nest (a footer's deepest is a few levels).
const MAX_DEPTH: u32 = 64;

/// Walk the Thrift compact struct `input` starts with, reading at most `limit` bytes;
/// `Err` says what is wrong with it.
#[cfg(test)]
fn check_struct(input: impl Read, limit: u64) -> Result<(), String> {
    Walk { input, left: limit, kind: Kind::Plain }.value(STRUCT, 0)
}

/// [`check_struct`] of a file's footer (its `FileMetaData`), and also: no element of its
/// schema says it has more children than the schema has elements (the crate reserves room
/// for that many: 2³¹ − 1 asked it for 16 GiB).
pub(super) fn check_footer(input: impl Read, limit: u64) -> Result<(), String> {
    Walk { input, left: limit, kind: Kind::Footer { in_schema: false, elements: 0 } }.value(STRUCT, 0)
}

/// [`check_struct`] of a page's header, and also: the page does not say it holds more
/// bytes once decompressed than its compressed bytes can give. The crate allocates and
/// zeroes as many as it says (up to 2 GiB) before decompressing.
pub(super) fn check_page_header(input: impl Read, limit: u64) -> Result<(), String> {
    let mut walk = Walk { input, left: limit, kind: Kind::PageHeader { uncompressed: 0, compressed: 0 } };
    walk.value(STRUCT, 0)?;
    let Kind::PageHeader { uncompressed, compressed } = walk.kind else { return Ok(()) };
    if uncompressed > MAX_PAGE || uncompressed > compressed.saturating_mul(MAX_RATIO).saturating_add(64) {
        return Err(format!(
            "the page says it holds {uncompressed} bytes from {compressed} compressed, more than a page can"
        ));
    }
    Ok(())
}

/// The most bytes a page may hold once decompressed.
const MAX_PAGE: i64 = 512 << 20;

/// How many times its compressed size a page may hold: Snappy, the one codec jifen reads,
/// gives at most 64 bytes for each 3 (a copy), so 21 times and its header.
const MAX_RATIO: i64 = 32;

/// What is walked, and what is kept of it for its own checks.
enum Kind {
    /// Any struct (the tests of the walk itself).
    #[cfg(test)]
    Plain,
    /// A footer: whether the walk is in its schema's list (field 2), and how many elements
    /// that list has.
    Footer { in_schema: bool, elements: u64 },
    /// A page header: its uncompressed and compressed sizes (fields 2 and 3).
    PageHeader { uncompressed: i64, compressed: i64 },
}

const STRUCT: u8 = 12;
const I32: u8 = 5;

/// A Thrift compact value being walked: `left` bytes may still be read.
struct Walk<R> {
    input: R,
    left: u64,
    kind: Kind,
}

impl<R: Read> Walk<R> {
    fn byte(&mut self) -> Result<u8, String> {
        if self.left == 0 {
            return Err("it ends before its last value".into());
        }
        let mut b = [0u8];
        self.input.read_exact(&mut b).map_err(|_| "it ends before its last value".to_string())?;
        self.left -= 1;
        Ok(b[0])
    }

    /// An unsigned LEB128 varint of at most ten bytes.
    fn varint(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f).checked_shl(shift).unwrap_or(0);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("a number in it is too long".into())
    }

    /// Skip `n` bytes, which must be there.
    fn skip(&mut self, n: u64) -> Result<(), String> {
        if n > self.left {
            return Err(format!("a value says it holds {n} bytes, more than are left"));
        }
        let copied = std::io::copy(&mut (&mut self.input).take(n), &mut std::io::sink())
            .map_err(|_| "it ends before its last value".to_string())?;
        if copied != n {
            return Err("it ends before its last value".into());
        }
        self.left -= n;
        Ok(())
    }

    /// How many elements a list, set or map says it has, which must be few enough to be
    /// there (each takes at least a byte).
    fn count(&mut self, n: u64) -> Result<u64, String> {
        if n > MAX_LIST || n > self.left {
            return Err(format!("a list says it holds {n} elements, more than can be there"));
        }
        Ok(n)
    }

    /// A value of Thrift compact type `ty`, `depth` structures deep.
    fn value(&mut self, ty: u8, depth: u32) -> Result<(), String> {
        match ty {
            // A boolean field holds its value in its type; in a list, it is a byte.
            1 | 2 => Ok(()),
            3 => self.byte().map(drop),
            4..=6 => self.varint().map(drop),
            7 => self.skip(8),
            8 => {
                let n = self.varint()?;
                self.skip(n)
            }
            9 | 10 => {
                if depth >= MAX_DEPTH {
                    return Err("its structures nest too deep".into());
                }
                let header = self.byte()?;
                let n = match header >> 4 {
                    15 => self.varint()?,
                    n => u64::from(n),
                };
                let element = header & 0x0f;
                let n = self.count(n)?;
                if let Kind::Footer { in_schema: true, elements } = &mut self.kind {
                    if depth == 1 {
                        *elements = n;
                    }
                }
                for _ in 0..n {
                    match element {
                        1 | 2 => self.byte().map(drop)?,
                        _ => self.value(element, depth + 1)?,
                    }
                }
                Ok(())
            }
            11 => {
                if depth >= MAX_DEPTH {
                    return Err("its structures nest too deep".into());
                }
                let n = self.varint()?;
                if n == 0 {
                    return Ok(());
                }
                let types = self.byte()?;
                for _ in 0..self.count(n)? {
                    for t in [types >> 4, types & 0x0f] {
                        match t {
                            1 | 2 => self.byte().map(drop)?,
                            _ => self.value(t, depth + 1)?,
                        }
                    }
                }
                Ok(())
            }
            STRUCT => {
                if depth >= MAX_DEPTH {
                    return Err("its structures nest too deep".into());
                }
                let mut field = 0i64;
                loop {
                    let header = self.byte()?;
                    if header == 0 {
                        return Ok(());
                    }
                    field = match header >> 4 {
                        // The field's number, written out: a zigzag i16.
                        0 => zigzag(self.varint()?),
                        delta => field + i64::from(delta),
                    };
                    let ty = header & 0x0f;
                    if let (Kind::Footer { in_schema, .. }, 0) = (&mut self.kind, depth) {
                        // The footer's schema: field 2, a list of schema elements.
                        *in_schema = field == 2;
                    }
                    match (&self.kind, depth, field, ty) {
                        // A schema element's number of children: field 5.
                        (&Kind::Footer { in_schema: true, elements }, 2, 5, I32) => {
                            let children = zigzag(self.varint()?);
                            if children < 0 || children as u64 > elements {
                                return Err(format!(
                                    "a schema element says it has {children} children, of {elements} elements"
                                ));
                            }
                        }
                        // A page header's sizes: fields 2 and 3.
                        (Kind::PageHeader { .. }, 0, 2 | 3, I32) => {
                            let size = zigzag(self.varint()?);
                            if let Kind::PageHeader { uncompressed, compressed } = &mut self.kind {
                                *if field == 2 { uncompressed } else { compressed } = size;
                            }
                        }
                        _ => self.value(ty, depth + 1)?,
                    }
                }
            }
            other => Err(format!("a value of unknown type {other}")),
        }
    }
}

/// Zigzag: 0, -1, 1, -2, … as 0, 1, 2, 3, ….
fn zigzag(n: u64) -> i64 {
    (n >> 1) as i64 ^ -((n & 1) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(bytes: &[u8]) -> Result<(), String> {
        check_struct(bytes, bytes.len() as u64)
    }

    #[test]
    fn what_is_there_passes_and_what_is_claimed_does_not() {
        // { 1: i32 0, 2: list<struct> [{}, {}], 3: binary "ab" }
        assert_eq!(check(&[0x15, 0x00, 0x19, 0x2c, 0x00, 0x00, 0x18, 0x02, b'a', b'b', 0x00]), Ok(()));
        // A list of 2³¹ - 1 structs in a few bytes (what aborted the crate).
        let huge = [0x19, 0xfc, 0xff, 0xff, 0xff, 0xff, 0x07, 0x00, 0x00];
        assert!(check(&huge).unwrap_err().contains("2147483647 elements"));
        // A list of three structs with one there.
        assert!(check(&[0x19, 0x3c, 0x00, 0x00]).is_err());
        // A text of 1 TiB.
        assert!(check(&[0x18, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0x00]).unwrap_err().contains("bytes"));
        // Cut short, an unknown type, a varint too long.
        assert!(check(&[0x15]).is_err());
        assert!(check(&[0x1d, 0x00]).is_err());
        assert!(check(&[0x16, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00]).is_err());
        // Nested past the limit: a struct in a struct in … .
        let mut deep = vec![0x1c; 100];
        deep.extend(vec![0x00; 101]);
        assert!(check(&deep).unwrap_err().contains("deep"));
        // A map of two i32 to binary, then the stop.
        assert_eq!(check(&[0x1b, 0x02, 0x58, 0x02, 0x00, 0x04, 0x01, b'x', 0x00]), Ok(()));
        // Within `limit` only: the same struct, one byte too few allowed.
        let ok = [0x15, 0x00, 0x00];
        assert!(check_struct(&ok[..], 2).is_err());
    }

    #[test]
    fn a_page_header_holds_no_more_than_its_compressed_bytes_can_give() {
        // { 1: type 0, 2: uncompressed, 3: compressed 53 } in the order written, and with
        // the sizes the other way round (field 3 first, then field 2 by its number).
        let header = |uncompressed: &[u8]| {
            let mut bytes = vec![0x15, 0x00, 0x15];
            bytes.extend_from_slice(uncompressed);
            bytes.extend_from_slice(&[0x15, 0x6a, 0x00]);
            check_page_header(&bytes[..], bytes.len() as u64)
        };
        assert_eq!(header(&[0xc0, 0x0c]), Ok(()), "800 bytes from 53");
        assert!(header(&[0xfe, 0x7f]).unwrap_err().contains("8191 bytes from 53"));
        assert!(header(&[0xfe, 0xff, 0xff, 0xff, 0x0f]).unwrap_err().contains("2147483647 bytes"));
        // The largest sizes a varint can say, either way round: no overflow, refused.
        let most = [0x15, 0x00, 0x15, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x15, 0x01, 0x00];
        assert!(check_page_header(&most[..], 16).is_err());
        let most = [0x15, 0x00, 0x15, 0x00, 0x15, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00];
        assert_eq!(check_page_header(&most[..], 16), Ok(()));
        let reordered = [0x15, 0x00, 0x25, 0x6a, 0x05, 0x04, 0xfe, 0xff, 0xff, 0xff, 0x0f, 0x00];
        assert!(check_page_header(&reordered[..], 12).unwrap_err().contains("2147483647 bytes from 53"));
    }

    #[test]
    fn a_footer_schema_element_has_no_more_children_than_the_schema_has_elements() {
        // { 1: version 1, 2: [{ 4: "s", 5: children }, { 4: "a" }] }
        let footer = |children: &[u8]| {
            let mut bytes = vec![0x15, 0x02, 0x19, 0x2c, 0x48, 0x01, b's', 0x15];
            bytes.extend_from_slice(children);
            bytes.extend_from_slice(&[0x00, 0x48, 0x01, b'a', 0x00, 0x00]);
            check_footer(&bytes[..], bytes.len() as u64)
        };
        assert_eq!(footer(&[0x02]), Ok(()), "one child of two elements");
        assert_eq!(footer(&[0x04]), Ok(()), "two");
        assert!(footer(&[0x06]).unwrap_err().contains("3 children, of 2 elements"));
        assert!(footer(&[0xfe, 0xff, 0xff, 0xff, 0x0f]).unwrap_err().contains("2147483647 children"));
        assert!(footer(&[0x01]).unwrap_err().contains("-1 children"));
        // The same bytes are no schema to `check_struct`.
        let bytes = [0x15, 0x02, 0x19, 0x1c, 0x48, 0x01, b's', 0x15, 0x06, 0x00, 0x00];
        assert_eq!(check_struct(&bytes[..], bytes.len() as u64), Ok(()));
    }
}
