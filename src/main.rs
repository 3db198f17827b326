//! The `jifen` command; all the work is in the library, in `jifen::cli` (src/cli/).
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    jifen::cli::main()
}
