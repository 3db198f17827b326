//! The `jifen` command; all the work is in the library and `cli/`.
#![forbid(unsafe_code)]
// No panics by construction: a value that may be missing is handled, not unwrapped.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod cli;

fn main() -> std::process::ExitCode {
    report_panics_as_bugs();
    // Unwinding (rather than exiting from the panic hook) drops what the command holds:
    // an output file not yet committed is removed, never left half-written.
    std::panic::catch_unwind(|| {
        // Lets the tests see how a bug is reported (tests/it/limits.rs); nothing else sets it.
        // (`batch` panics in the middle of `jifen batch` instead.)
        if std::env::var_os("JIFEN_TEST_INTERNAL_ERROR").is_some_and(|v| v != "batch") {
            panic!("JIFEN_TEST_INTERNAL_ERROR is set");
        }
        cli::run()
    })
    .unwrap_or(std::process::ExitCode::from(cli::exit::INTERNAL))
}

/// A panic is a bug in jifen: say so in words (`main` then exits 70, internal error),
/// instead of printing a Rust backtrace. `RUST_BACKTRACE` still shows one, for whoever
/// debugs it.
fn report_panics_as_bugs() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".to_string());
        let place = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        eprintln!(
            "internal error: {what}{place}\n  \
             this is a bug in jifen; please report it with the command you ran and the input files"
        );
        if std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0") {
            default_hook(info);
        }
    }));
}
