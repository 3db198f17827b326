//! `jifen lsp`: the language server, for editors.

use super::{exit, fail};

/// Run the language server on stdin/stdout (for editors: see docs/editors.md).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  jifen lsp           # what an editor runs; see docs/editors.md for VS Code, Neovim, Helix\n  \
jifen lsp --stdio   # the same, for clients that pass --stdio\n\n\
It speaks the Language Server Protocol on stdin/stdout: diagnostics as you type, hover, go to \
definition, completion, outline and formatting of .policy files.\n\n\
Messages are at most 64 MiB; one that cannot be read is answered with an error, and only \
`exit` (or the end of the input) stops the server.\n\n\
Exit codes: 0 after the client's shutdown and exit, 1 on exit (or the end of the input) \
without shutdown, 4 when the client cannot be read or written."
)]
pub(crate) struct Args {
    /// Accepted for clients that pass it; stdin/stdout is the only transport.
    #[arg(long)]
    pub stdio: bool,
}

pub(crate) fn run(_args: Args) -> u8 {
    match crate::lsp::run_stdio() {
        Ok(()) => exit::OK,
        Err(crate::lsp::ServerError::ExitWithoutShutdown | crate::lsp::ServerError::ClosedWithoutShutdown) => {
            exit::FAILED
        }
        Err(e) => {
            fail(&e.to_string(), Some("`jifen lsp` is started by an editor's language client"));
            exit::IO
        }
    }
}
