//! Any text through `jifen fmt`: a file that parses is formatted (never "the meaning
//! changed" or "a comment was not kept": both are bugs in fmt), and formatting the result
//! again changes nothing.
#![no_main]

use jifen::internals::fmt::{format_source, FormatError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let formatted = match format_source("fuzz.policy", text) {
        Ok(formatted) => formatted,
        Err(FormatError::Syntax(_)) => return,
        Err(e) => panic!("fmt failed on a file that parses: {e}"),
    };
    match format_source("fuzz.policy", &formatted) {
        Ok(again) => assert_eq!(again, formatted, "fmt is not idempotent"),
        Err(e) => panic!("fmt's own output does not format: {e}"),
    }
});
