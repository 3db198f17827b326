//! Any bytes as what a language client sends `jifen lsp`: the bounded reader of framed
//! messages must give a message or a refusal for each, never panic, never read past the
//! input, and always advance (at most one message or refusal per byte, then the end).
#![no_main]

use jifen::internals::lsp::{Incoming, MessageReader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut reader = MessageReader::new(data);
    for _ in 0..=data.len() {
        match reader.read() {
            Ok(Some(Incoming::Refused(refusal))) => {
                let response = refusal.response();
                assert_eq!(response["jsonrpc"], "2.0");
                assert!(response["error"]["code"].is_i64(), "{response}");
            }
            Ok(Some(Incoming::Message(_))) => {}
            Ok(None) => return,
            Err(e) => panic!("reading a slice failed: {e}"),
        }
    }
    panic!("more messages than bytes: the reader does not advance");
});
